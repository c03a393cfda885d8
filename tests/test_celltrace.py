"""CellTracer: tracing code that runs in this very process, by thread, through a helper process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from spykit.notebook import celltrace
from spykit.notebook.celltrace import CellTracer


def _tracer_pid() -> int:
    with open(f"/proc/{threading.get_native_id()}/status") as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return -1


def test_only_the_code_inside_is_recorded(tmp_path):
    probe = tmp_path / "inside.txt"
    open(tmp_path / "before.txt", "w").close()
    with CellTracer() as ct:
        with open(probe, "w") as f:
            f.write("hello")
    open(tmp_path / "after.txt", "w").close()
    paths = set(ct.trace.df["path"].dropna())
    assert str(probe) in paths
    assert not any(p.endswith(("before.txt", "after.txt")) for p in paths)
    writes = ct.trace.df[(ct.trace.df.syscall == "write") & (ct.trace.df.path == str(probe))]
    assert writes["data"].iloc[0] == b"hello"
    # no marker call leaks into the trace, and we are left untraced
    assert "getppid" not in set(ct.trace.df["syscall"].astype(str))
    assert _tracer_pid() == 0


def test_other_threads_are_not_traced(tmp_path):
    stop = threading.Event()
    marker = tmp_path / "background.txt"

    def background():
        while not stop.is_set():
            os.stat(marker.parent)
            time.sleep(0.001)

    worker = threading.Thread(target=background)
    worker.start()
    try:
        with CellTracer() as ct:
            time.sleep(0.1)
            os.stat("/etc/hostname")
    finally:
        stop.set()
        worker.join()
    df = ct.trace.df
    assert set(df["pid"]) == {threading.get_native_id()}
    assert "/etc/hostname" in set(df["path"].dropna())
    assert str(marker.parent) not in set(df["path"].dropna())


def test_subprocesses_of_the_cell_are_followed():
    with CellTracer() as ct:
        subprocess.run(["sh", "-c", "ls /nonexistent-cell-dir"], capture_output=True)
    df = ct.trace.df
    execs = df[(df.syscall == "execve") & df.error.isna()]
    assert {os.path.basename(p) for p in execs["path"]} >= {"sh", "ls"}
    assert df["pid"].nunique() >= 3


def test_selection_shows_only_the_cells_opens():
    with CellTracer(syscalls=["openat"]) as ct:
        open("/etc/hostname").close()
    assert list(ct.trace.df["syscall"].astype(str)) == ["openat"]
    assert list(ct.trace.df["path"]) == ["/etc/hostname"]


def test_exception_propagates_and_trace_is_kept():
    tracer = CellTracer()
    with pytest.raises(ZeroDivisionError):
        with tracer:
            os.stat("/etc/hostname")
            1 / 0  # noqa: B018
    assert "/etc/hostname" in set(tracer.trace.df["path"].dropna())
    assert _tracer_pid() == 0


def test_signal_reaches_the_code_inside():
    got = []
    previous = signal.signal(signal.SIGUSR1, lambda *a: got.append(1))
    try:
        with CellTracer() as ct:
            os.kill(os.getpid(), signal.SIGUSR1)
            time.sleep(0.05)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert got == [1]
    assert "SIGUSR1" in set(ct.trace.events["signal"].dropna())


def test_a_killed_helper_leaves_this_process_working():
    tracer = CellTracer()
    with pytest.raises(Exception, match="helper"):
        with tracer:
            os.kill(tracer._helper.pid, signal.SIGKILL)
            time.sleep(0.2)
            result = sum(range(10))
    assert result == 45
    assert _tracer_pid() == 0
    # and the next cell traces fine
    with CellTracer() as ct:
        os.stat("/etc/hostname")
    assert "/etc/hostname" in set(ct.trace.df["path"].dropna())


def test_bad_selection_fails_before_anything_runs():
    ran = []
    with pytest.raises(Exception, match="unknown system call"):
        with CellTracer(syscalls=["opne"]):
            ran.append(1)
    assert ran == []


def test_the_helper_ignores_code_planted_in_the_working_directory(tmp_path, monkeypatch):
    # A cell that changes into a folder with its own spykit/ package and json.py: the helper must
    # import neither (it would run them as the notebook's user).
    marker = tmp_path / "planted-code-ran"
    plant = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    (tmp_path / "spykit").mkdir()
    (tmp_path / "spykit" / "__init__.py").write_text(plant)
    (tmp_path / "json.py").write_text(plant + "from json import *\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("")  # the kernel's own import path starts with '' too
    with CellTracer(syscalls=["openat"]) as ct:
        open("inside.txt", "w").close()
    assert not marker.exists(), marker.read_text()
    assert "inside.txt" in set(ct.trace.df["path"].dropna().map(os.path.basename))



def _gone(pid: int) -> bool:
    """Whether ``pid`` has ended and been reaped (a zombie still has its /proc entry)."""
    return not os.path.exists(f"/proc/{pid}")


def test_one_helper_serves_cell_after_cell():
    pids = []
    for _ in range(3):
        with CellTracer(syscalls=["openat"]) as ct:
            open("/etc/hostname").close()
            pids.append(ct._helper.pid)
        assert "/etc/hostname" in set(ct.trace.df["path"].dropna())
        assert _tracer_pid() == 0  # detached between cells
    assert len(set(pids)) == 1
    assert not _gone(pids[0])  # kept for the next cell


def test_a_helper_that_died_between_cells_is_replaced_without_waiting():
    with CellTracer() as ct:
        old = ct._helper.pid
    os.kill(old, signal.SIGKILL)
    time.sleep(0.1)
    started = time.monotonic()
    with CellTracer(syscalls=["openat"]) as ct:
        open("/etc/hostname").close()
        new = ct._helper.pid
    took = time.monotonic() - started
    assert new != old
    assert _gone(old)  # the dead one was reaped, not left a zombie
    assert "/etc/hostname" in set(ct.trace.df["path"].dropna())
    # a new interpreter's start, not the attach timeout spent on a dead one
    assert took < celltrace.ATTACH_TIMEOUT / 3


def test_a_helper_killed_mid_cell_costs_no_wait_and_the_next_cell_gets_a_new_one():
    tracer = CellTracer()
    started = time.monotonic()
    with pytest.raises(Exception, match="helper"):
        with tracer:
            old = tracer._helper.pid
            os.kill(old, signal.SIGKILL)
            time.sleep(0.2)  # (the kernel lets go of a thread whose tracer died)
    assert time.monotonic() - started < 3  # the end of the cell did not wait for the dead helper
    assert _gone(old)
    with CellTracer() as ct:
        os.getppid()
        new = ct._helper.pid
    assert new != old
    assert "getppid" in set(ct.trace.df["syscall"].astype(str))


def test_the_helper_ends_with_the_process_it_serves():
    code = ("from spykit.notebook.celltrace import CellTracer\n"
            "with CellTracer() as ct:\n    print(ct._helper.pid, flush=True)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    helper = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while not _gone(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(helper)


def test_a_second_thread_meanwhile_is_told_why_and_leaves_nothing_running():
    # The process already has a tracer for this cell's thread (its helper): a second thread's
    # traced code is refused with the reason, as before helpers were kept, and the helper started
    # for it ends with it.
    from spykit import SpykitError

    seen = {}

    def other():
        before = {p for p in os.listdir("/proc") if p.isdigit()}
        try:
            with CellTracer(syscalls=["openat"]):
                pass
        except SpykitError as refused:
            seen["error"] = str(refused)
        seen["left"] = [p for p in os.listdir("/proc") if p.isdigit() and p not in before
                        and os.path.exists(f"/proc/{p}/cmdline")
                        and b"cellhelper" in open(f"/proc/{p}/cmdline", "rb").read()]

    with CellTracer(syscalls=["openat"]) as mine:
        shared = mine._helper.pid
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=60)
        open("/etc/hostname").close()
    assert "already being traced" in seen["error"]
    assert seen["left"] == []
    assert "/etc/hostname" in set(mine.trace.df["path"].dropna())
    assert not _gone(shared)
