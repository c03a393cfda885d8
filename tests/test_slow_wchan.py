"""spykit.wchan on programs whose waits are known: a sleep, a busy loop, a silent server, an
fsync loop, a wait on a child. Shares are asserted loosely (the machine is shared and loaded);
the meanings exactly."""

from __future__ import annotations

import itertools
import re
import subprocess
import time
from pathlib import Path

import pytest
from servers import SlowServer

from spykit.errors import NoSuchProcess
from spykit.slow.wchan import COLUMNS, format_wchan, summarize, wchan

SLOW = Path(__file__).parent / "programs" / "slow"


def own(df, reason=None):
    """Rows of the launched process (not its children), optionally of one reason."""
    rows = df[df["pid"] == df.attrs["pid"]]
    return rows if reason is None else rows[rows["reason"] == reason]


def share(df, reason):
    rows = own(df)
    return len(own(df, reason)) / len(rows)


@pytest.fixture
def silent_server():
    server = SlowServer(1.0)
    yield server
    server.close()


def test_sleep(python_exe):
    df = wchan([python_exe, str(SLOW / "sleeper.py"), "0.6"])
    assert list(df.columns) == COLUMNS
    assert share(df, "sleep") >= 0.6
    sleeping = own(df, "sleep")
    assert set(sleeping["meaning"]) == {"sleeping on a timer"}
    assert set(sleeping["syscall"].dropna()) == {"clock_nanosleep"}  # (see test_wait_on_a_child)
    assert sleeping["syscall"].notna().mean() >= 0.8
    assert df["time"].is_monotonic_increasing and df.attrs["returncode"] == 0
    assert len(df) >= 20  # about 60 looks at 10 ms; fewer when the machine is busy


def test_busy_loop(python_exe):
    df = wchan([python_exe, str(SLOW / "busy.py"), "0.5"])
    assert share(df, "cpu") >= 0.8
    assert set(own(df, "cpu")["meaning"]) == {"running on the CPU"}
    assert set(own(df, "cpu")["state"]) == {"R"}


def test_blocking_socket_read_on_loopback(python_exe, silent_server):
    df = wchan([python_exe, str(SLOW / "tcp_client.py"), str(silent_server.port)], stdout=subprocess.DEVNULL)
    assert share(df, "network") >= 0.6
    waiting = own(df, "network")
    port = silent_server.port
    assert set(waiting["meaning"]) == {f"waiting for data from 127.0.0.1:{port} (TCP)"}
    assert set(waiting["syscall"].dropna()) <= {"recvfrom", "read", "recvmsg"}
    targets = set(waiting["target"])
    assert len(targets) == 1 and re.fullmatch(rf"TCP:\[127\.0\.0\.1:\d+->127\.0\.0\.1:{port}\]", targets.pop())
    assert (waiting["fd"] >= 3).all()
    assert "(TCP)" in format_wchan(df)


def test_fsync_loop(python_exe, tmp_path):
    data = tmp_path / "data"
    df = wchan([python_exe, str(SLOW / "fsync_loop.py"), "0.6", str(data)], stdout=subprocess.DEVNULL)
    syncing = own(df)[own(df)["syscall"] == "fsync"]
    assert len(syncing) >= 5, df["state"].value_counts()
    assert set(syncing["meaning"]) == {"waiting for the disk to finish writing"}
    assert set(syncing["target"]) == {str(data)}
    assert share(df, "disk") >= 0.2


def _sample_faked_proc(monkeypatch, *, state, calls, wchan=None):
    """One sampler tick over a faked /proc: one thread in ``state``, /proc/PID/syscall reading
    ``calls`` in turn, and no fd that can be read (fd 3 is already closed)."""
    from spykit import procfs
    from spykit.slow.wchan import WaitSampler

    monkeypatch.setattr(procfs, "list_threads", lambda pid: [pid])
    monkeypatch.setattr(procfs, "read_stat", lambda pid, tid=None: procfs.ThreadStat(state, 1, "prog", 0, 0))
    monkeypatch.setattr(procfs, "cmdline", lambda pid: ["prog"])
    monkeypatch.setattr(procfs, "read_syscall", lambda pid, tid=None: next(calls))
    monkeypatch.setattr(procfs, "read_wchan", lambda pid, tid=None: wchan)
    monkeypatch.setattr(procfs, "read_fd_link", lambda pid, fd: None)
    monkeypatch.setattr(procfs, "read_stack", lambda pid, tid=None: None)
    sampler = WaitSampler()
    sampler([4242], 0.0)
    return sampler.frame()


FSYNC_3 = (74, (3, 0, 0, 0, 0, 0))  # x86_64 fsync(3)


def test_a_call_that_returns_while_sampled_is_sampled_again(monkeypatch):
    """The race behind a rare fsync row with no target: the sampler reads fsync(3) from
    /proc/PID/syscall, the call returns and the program closes fd 3 before the sampler reads
    /proc/PID/fd/3. The row must describe one moment, not fsync with the target missing."""
    from spykit.procfs import SyscallState

    calls = iter([SyscallState(*FSYNC_3), SyscallState(nr=None), SyscallState(nr=None)])
    df = _sample_faked_proc(monkeypatch, state="R", calls=calls)
    assert len(df) == 1
    assert df["syscall"].isna().all() and (df["state"] == "R").all()
    assert next(calls, "used up") == "used up"  # read once, then once more to see it moved on


def test_an_fd_that_cannot_be_read_in_a_call_still_in_progress_keeps_the_row(monkeypatch):
    """If the thread is still in the same call, the fd is just unreadable: keep the sample."""
    from spykit.procfs import SyscallState

    calls = itertools.repeat(SyscallState(*FSYNC_3))
    df = _sample_faked_proc(monkeypatch, state="D", calls=calls, wchan="jbd2_log_wait_commit")
    assert df["syscall"].tolist() == ["fsync"] and df["target"].isna().all()


def test_wait_on_a_child(python_exe):
    df = wchan([python_exe, str(SLOW / "runs_child.py"), "0.6"])
    assert share(df, "child") >= 0.6
    # a sample may catch the thread between two reads of /proc (state from wchan, no syscall line):
    # the blocked call, where it was read, is a wait, and it was read for nearly every sample
    calls = own(df, "child")["syscall"]
    assert set(calls.dropna()) <= {"wait4", "waitid"}
    assert calls.notna().mean() >= 0.8
    kids = df[df["pid"] != df.attrs["pid"]]
    assert (kids["ppid"] == df.attrs["pid"]).all()
    # between fork and exec the child still shows the parent's command line
    sleeps = kids[kids["command"] == "sleep 0.6"]
    assert len(sleeps) >= 0.8 * len(kids) and (sleeps["reason"] == "sleep").mean() >= 0.6
    summary = summarize(df)
    assert summary.iloc[0]["reason"] == "child" and summary["pid"].nunique() == 2


def test_every_thread_is_sampled(python_exe):
    code = ("import threading, time\n"
            "lock = threading.Lock(); lock.acquire()\n"
            "t = threading.Thread(target=lock.acquire, daemon=True); t.start()\n"
            "time.sleep(0.8)")
    df = wchan([python_exe, "-c", code])
    pid = df.attrs["pid"]
    assert df["tid"].nunique() == 2
    worker = df[df["tid"] != pid]
    assert (worker["reason"] == "lock").mean() >= 0.5 and (worker["pid"] == pid).all()
    locked = worker[worker["reason"] == "lock"]["syscall"]
    assert set(locked.dropna()) == {"futex"} and locked.notna().mean() >= 0.8


def test_a_running_pid_is_sampled_for_a_duration_and_left_running():
    proc = subprocess.Popen(["sleep", "10"])
    try:
        time.sleep(0.1)
        start = time.monotonic()
        df = wchan(proc.pid, duration=0.4)
        assert time.monotonic() - start < 3
        assert set(df["pid"]) == {proc.pid} and df.attrs["returncode"] is None
        assert (df["reason"] == "sleep").mean() >= 0.8
        assert proc.poll() is None  # still running
    finally:
        proc.kill()
        proc.wait()


def test_a_pid_is_sampled_until_it_exits():
    proc = subprocess.Popen(["sleep", "0.3"])
    df = wchan(proc.pid)
    proc.wait()
    assert 0.2 <= df.attrs["elapsed"] < 3


def test_duration_on_a_command_stops_it():
    start = time.monotonic()
    df = wchan("sleep 10", duration=0.3)
    assert time.monotonic() - start < 3
    assert df.attrs["returncode"] == -9 and len(df) >= 5


def test_no_such_process_and_bad_interval():
    proc = subprocess.Popen(["true"])
    proc.wait()
    with pytest.raises(NoSuchProcess):
        wchan(proc.pid, duration=0.1)
    with pytest.raises(ValueError):
        wchan("true", interval=0)



@pytest.mark.parametrize(
    ("how", "calls"),
    [
        ("conn.settimeout(5); conn.recv(10)", {"poll", "ppoll"}),  # a socket timeout polls first
        ("import selectors; sel = selectors.DefaultSelector(); sel.register(conn, selectors.EVENT_READ); "
         "sel.select()", {"epoll_wait", "epoll_pwait", "epoll_pwait2"}),
    ],
)
def test_poll_and_epoll_waits_name_the_socket(python_exe, silent_server, how, calls):
    code = f"import socket\nconn = socket.create_connection(('127.0.0.1', {silent_server.port}))\n{how}"
    df = wchan([python_exe, "-c", code])
    waiting = own(df, "network")
    assert len(waiting) >= 0.6 * len(own(df))
    assert set(waiting["syscall"].dropna()) <= calls
    assert set(waiting["meaning"]) == {f"waiting for data from 127.0.0.1:{silent_server.port} (TCP)"}
