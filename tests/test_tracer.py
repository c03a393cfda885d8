"""The tracing core: spykit.trace / spykit.attach against real programs, and against real strace."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict

import pandas as pd
import pytest
from conftest import children_of

import spykit
from spykit.syscalls.captures import PATH_ARG
from spykit.syscalls.table import ALL_NAMES

COLUMNS = ["time", "pid", "syscall", "args", "ret", "error", "duration", "path", "fd", "category"]


def test_missing_config_file_row(python_exe):
    t = spykit.trace([python_exe, "-c", "open('/nonexistent/app.conf')"], capture_output=True)
    rows = t.df[(t.df.syscall == "openat") & (t.df.path == "/nonexistent/app.conf")]
    assert len(rows) == 1
    assert rows.iloc[0]["error"] == "ENOENT"
    assert rows.iloc[0]["ret"] == -1
    assert t.returncode == 1
    assert b"FileNotFoundError" in t.stderr


def test_columns_and_dtypes(python_exe):
    t = spykit.trace([python_exe, "-c", "pass"])
    df = t.df
    for col in COLUMNS:
        assert col in df.columns
    assert isinstance(df["syscall"].dtype, pd.CategoricalDtype)
    assert set(ALL_NAMES) <= set(df["syscall"].cat.categories)
    assert str(df["ret"].dtype) == "Int64" and str(df["fd"].dtype) == "Int64"
    assert isinstance(df["category"].dtype, pd.CategoricalDtype)
    assert df["time"].is_monotonic_increasing
    assert (df["duration"].dropna() >= 0).all()
    # the first row is the program's own execve, as strace shows it
    assert df.iloc[0]["syscall"] == "execve"
    assert df.iloc[0]["path"] == python_exe
    assert df.iloc[0]["ret"] == 0
    # errors are named, successes are not
    failed = df[df["ret"] == -1]
    assert failed["error"].notna().all()
    assert df[df["ret"] >= 0]["error"].isna().all()
    # reads on an fd get the fd's target in `path`, as strace -y shows it
    reads = df[(df.syscall == "read") & df.path.notna()]
    assert len(reads) > 0 and reads["fd"].notna().all()


def test_shell_pipeline_children_and_returncode():
    t = spykit.trace(["sh", "-c", "ls / | wc -l"], capture_output=True)
    assert t.returncode == 0
    assert int(t.stdout.strip()) > 3
    execs = t.df[t.df.syscall == "execve"]
    pids = execs["pid"].unique()
    assert len(pids) >= 3, "sh, ls and wc each exec in their own process"
    programs = {os.path.basename(p) for p in execs["path"]}
    assert {"sh", "ls", "wc"} <= programs
    spawns = t.events[t.events.kind == "spawn"]
    assert set(spawns["child"].astype(int)) >= set(pids) - {t.meta.pid}
    exits = t.events[t.events.kind == "exit"]
    assert set(exits["pid"]) >= set(pids)


def test_returncode_nonzero_and_signal():
    assert spykit.trace(["sh", "-c", "exit 7"]).returncode == 7
    t = spykit.trace(["sh", "-c", "kill -TERM $$"])
    assert t.returncode == -signal.SIGTERM
    killed = t.events[t.events.kind == "killed"]
    assert list(killed["signal"]) == ["SIGTERM"]
    signals = t.events[t.events.kind == "signal"]
    assert "SIGTERM" in set(signals["signal"])


def test_command_as_string_is_split_not_run_by_a_shell(tmp_path):
    marker = tmp_path / "should-not-exist"
    t = spykit.trace(f"echo 'hello world' ; touch {marker}", capture_output=True)
    assert t.stdout == f"hello world ; touch {marker}\n".encode()
    assert not marker.exists()


def test_selection_open_means_the_open_family(python_exe):
    t = spykit.trace([python_exe, "-c", "open('/nonexistent/x')"], syscalls=["open"])
    assert set(t.df["syscall"].astype(str)) <= {"open", "openat", "openat2", "creat"}
    assert "/nonexistent/x" in set(t.df["path"].dropna())


@pytest.mark.parametrize("seccomp", [True, False])
def test_selection_by_class_follows_children(seccomp):
    t = spykit.trace(["sh", "-c", "cat /etc/hostname > /dev/null; ls /nonexistent-dir"], syscalls="%file",
                     seccomp=seccomp, capture_output=True)
    names = set(t.df["syscall"].astype(str))
    assert "openat" in names and "execve" in names
    assert not names & {"read", "write", "mmap", "brk", "close"}
    assert set(t.df["category"].astype(str)) <= {"file", "process"}
    # the children were followed: cat and ls exec'd in their own pids
    assert t.df[t.df.syscall == "execve"]["pid"].nunique() == 3
    assert t.returncode == 2
    assert t.counts["openat"] == (t.df.syscall == "openat").sum()


def test_unknown_selection_is_a_clear_error():
    with pytest.raises(spykit.SpykitError, match="unknown system call 'opne'"):
        spykit.trace(["true"], syscalls=["opne"])
    with pytest.raises(spykit.SpykitError, match="unknown syscall class"):
        spykit.trace(["true"], syscalls=["%nothing"])


def test_bad_commands(tmp_path):
    with pytest.raises(ValueError, match="empty command"):
        spykit.trace([])
    with pytest.raises(ValueError, match="empty command"):
        spykit.trace("   ")
    with pytest.raises(spykit.CommandNotFound, match=r"no-such-program-xyz: command not found.*PATH="):
        spykit.trace(["no-such-program-xyz"])
    with pytest.raises(FileNotFoundError):
        spykit.trace([str(tmp_path / "missing")])
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    with pytest.raises(PermissionError, match="not executable"):
        spykit.trace([str(script)])
    with pytest.raises(spykit.NotExecutable, match="is a directory"):
        spykit.trace([str(tmp_path)])
    with pytest.raises(FileNotFoundError, match="not a directory"):
        spykit.trace(["true"], cwd=tmp_path / "nowhere")


def test_max_events_keeps_counts_exact():
    t = spykit.trace(["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=2000"], max_events=100,
                     capture_output=True)
    assert len(t.df) == 100
    assert t.truncated
    assert t.counts["read"] >= 2000 and t.counts["write"] >= 2000


def test_timeout_kills_program_and_its_children_and_keeps_the_trace():
    before = set(children_of(os.getpid()))
    start = time.monotonic()
    with pytest.raises(spykit.TraceInterrupted) as info:
        spykit.trace(["sh", "-c", "sleep 30 & sleep 30; echo never"], timeout=0.5)
    assert time.monotonic() - start < 10
    partial = info.value.trace
    assert partial is not None and (partial.df.syscall == "execve").sum() >= 2
    time.sleep(0.1)
    assert set(children_of(os.getpid())) <= before, "launched processes must be killed and reaped"


def test_the_callers_own_children_keep_their_exit_status(python_exe):
    """The tracer waits only for its own tracees: a Popen started before the trace, which exits
    during it, is still there for Popen.wait() (a plain waitpid(-1) would reap it, and Popen
    would then report 0)."""
    ours = subprocess.Popen(["sh", "-c", "exit 3"])
    spykit.trace(["sleep", "0.3"])
    assert _left_for_its_parent(ours.pid), "reaped by somebody else"
    assert ours.wait(timeout=5) == 3
    target = _sleeper(python_exe)
    try:
        ours = subprocess.Popen(["sh", "-c", "exit 4"])
        spykit.attach(target.pid, duration=0.3)
        assert _left_for_its_parent(ours.pid), "reaped by somebody else"
        assert ours.wait(timeout=5) == 4
    finally:
        target.kill()
        target.wait()


def _left_for_its_parent(pid: int, seconds: float = 5.0) -> bool:
    """The child has exited (it is a zombie) and nobody has reaped it: its parent still can."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if _status(pid)["State"].startswith("Z"):
                return True
        except FileNotFoundError:
            return False  # reaped
        time.sleep(0.01)
    return False


def test_the_trace_runs_in_a_thread_that_is_gone_afterwards():
    """The caller's thread is not pinned to a CPU, and no thread of ours is left behind."""
    affinity = os.sched_getaffinity(0)
    threads = {t.ident for t in threading.enumerate()}
    spykit.trace(["true"])
    assert os.sched_getaffinity(0) == affinity
    assert {t.ident for t in threading.enumerate()} == threads


def test_ctrl_c_while_tracing_kills_the_program_and_keeps_the_trace(python_exe, interruptible):
    """SIGINT reaches the calling (main) thread while the tracer thread waits; the tracer is
    rung, kills the program, and the calls so far come back in the exception."""
    before = set(children_of(os.getpid()))
    code = "import os, time\nwhile True:\n    os.getppid()\n    time.sleep(0.01)\n"
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(spykit.TraceInterrupted, match="Ctrl-C") as info:
            spykit.trace([python_exe, "-c", code], timeout=30)
    finally:
        timer.cancel()
    assert (info.value.trace.df.syscall == "getppid").sum() >= 5
    time.sleep(0.1)
    assert set(children_of(os.getpid())) <= before


def _sleeper(python_exe: str) -> subprocess.Popen:
    code = ("import time, os\n"
            "while True:\n"
            "    os.getppid()\n"
            "    time.sleep(0.01)\n")
    return subprocess.Popen([python_exe, "-c", code])


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return {k: v.strip() for k, v in (line.split(":", 1) for line in f if ":" in line)}


def test_attach_records_and_detaches_leaving_it_running(python_exe):
    proc = _sleeper(python_exe)
    try:
        time.sleep(0.3)
        t = spykit.attach(proc.pid, duration=0.5)
        assert (t.df.syscall == "getppid").sum() >= 5
        assert t.meta.attached and t.returncode is None
        time.sleep(0.05)
        status = _status(proc.pid)
        assert status["TracerPid"] == "0"
        assert not status["State"].startswith("t")
        assert proc.poll() is None
        # still running: it keeps making calls after we left
        t2 = spykit.attach(proc.pid, duration=0.3, syscalls=["getppid"])
        assert set(t2.df["syscall"].astype(str)) == {"getppid"}
    finally:
        proc.kill()
        proc.wait()


def test_attach_stop_event(python_exe):
    proc = _sleeper(python_exe)
    try:
        time.sleep(0.2)
        before = set(children_of(os.getpid()))
        stop = threading.Event()
        threading.Timer(0.3, stop.set).start()
        t = spykit.attach(proc.pid, stop_event=stop)
        assert len(t.df) > 0
        assert _status(proc.pid)["TracerPid"] == "0"
        assert set(children_of(os.getpid())) == before, "the tracer's bell is reaped"
    finally:
        proc.kill()
        proc.wait()


def test_attach_refuses_bad_pids():
    for bad in (0, -5, "abc", 1.5):
        with pytest.raises(ValueError):
            spykit.attach(bad)
    with pytest.raises(spykit.NoSuchProcess, match="no process with pid 4999999"):
        spykit.attach(4999999)
    with pytest.raises(spykit.SpykitError, match="own process"):
        spykit.attach(os.getpid())
    with pytest.raises(spykit.SpykitError, match="seccomp"):
        spykit.attach(1, seccomp=True)


# --- against real strace --------------------------------------------------------------------------

_LINE = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+|0x[0-9a-f]+|\?)")


def strace_calls(strace_exe: str, cmd: list[str]) -> dict[int, list[tuple[str, str, str | None]]]:
    """Per pid, the (name, result, first quoted path) of each call strace -f shows."""
    out = subprocess.run([strace_exe, "-f", "-qq", "-o", "/dev/stderr", *cmd], capture_output=True, text=True,
                         errors="replace")
    calls: dict[int, list] = defaultdict(list)
    resumed: dict[int, str] = {}
    for line in out.stderr.splitlines():
        if " <unfinished ...>" in line:
            pid, rest = line.split(None, 1)
            resumed[int(pid)] = rest.split(" <unfinished", 1)[0]
            continue
        m = re.match(r"^(\d+)\s+<\.\.\. (\w+) resumed>(.*)", line)
        if m:
            pid = int(m.group(1))
            line = f"{pid} {resumed.pop(pid, m.group(2) + '(')}{m.group(3)}"
        m = _LINE.match(line)
        if not m:
            continue
        pid, name, args, result = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        path = re.match(r'^(?:AT_FDCWD, |\d+, )?"([^"]*)"', args) if name in PATH_ARG else None
        calls[pid].append((name, result, path.group(1) if path else None))
    return calls


def spykit_calls(t: spykit.Trace) -> dict[int, list[tuple[str, str, str | None]]]:
    calls: dict[int, list] = defaultdict(list)
    for row in t.df.itertuples():
        result = "?" if pd.isna(row.ret) else str(row.ret)
        if row.syscall in ("mmap", "brk", "mremap") and not pd.isna(row.ret) and row.ret != -1:
            result = hex(row.ret)
        calls[row.pid].append((row.syscall, result, None if pd.isna(row.path) else row.path))
    return calls


FILE_CALLS = {"openat", "open", "access", "faccessat", "faccessat2", "newfstatat", "stat", "mkdir", "rename",
              "unlink", "rmdir", "readlink", "execve", "close", "read", "write", "fsync"}


def _by_creation_order(calls: dict[int, list]) -> list[list]:
    return [calls[pid] for pid in sorted(calls)]


def _comparable(seq: list, drop: set[str] = frozenset()) -> list:
    return [c for c in seq if c[0] not in drop]


@pytest.mark.strace
@pytest.mark.parametrize("program", ["files", "procs", "threads"])
def test_same_calls_as_strace(program, compile_c, strace_exe, tmp_path):
    exe = compile_c(f"tracer/{program}.c", "-pthread")
    work = tmp_path / "work"
    work.mkdir()
    cmd = [exe, str(work)]
    expected = strace_calls(strace_exe, cmd)
    t = spykit.trace(cmd, capture_output=True)
    got = spykit_calls(t)
    # futex calls depend on how threads happen to meet; everything else must match
    drop = {"futex"} if program == "threads" else set()
    exp_seqs = [_comparable(s, drop) for s in _by_creation_order(expected)]
    got_seqs = [_comparable(s, drop) for s in _by_creation_order(got)]
    assert len(exp_seqs) == len(got_seqs), "the same number of processes and threads"
    for exp, actual in zip(exp_seqs, got_seqs, strict=True):
        assert [c[0] for c in actual] == [c[0] for c in exp]
        for (name, e_ret, e_path), (_, g_ret, g_path) in zip(exp, actual, strict=True):
            if name in FILE_CALLS:
                if program == "threads":
                    # threads race for the lowest free fd number: compare success and failure only
                    g_ret, e_ret = g_ret.startswith("-"), e_ret.startswith("-")
                assert (name, g_ret) == (name, e_ret)
                if e_path is not None and name in PATH_ARG:
                    assert (name, g_path) == (name, e_path)
    expected_rc = {"files": 4, "procs": 5, "threads": 0}[program]
    assert t.returncode == expected_rc


def test_program_output_goes_where_it_would(tmp_path):
    out = tmp_path / "out.txt"
    with open(out, "wb") as f:
        code = subprocess.run([sys.executable, "-c",
                               "import spykit; t = spykit.trace(['echo', 'to-the-terminal']); "
                               "print('rc', t.returncode)"], stdout=f, check=True).returncode
    assert code == 0
    assert out.read_text().splitlines() == ["to-the-terminal", "rc 0"]


@pytest.mark.parametrize("seccomp", [True, False])
def test_fd_paths_stay_right_when_only_reads_and_writes_are_selected(python_exe, seccomp):
    # fd 5 is first a file, then (after close and pipe) a pipe: the tracer must follow close and
    # pipe2 although they are not selected, or the pipe's write would show the file's path
    code = ("import os\n"
            "r, w = os.pipe()\n"
            "f = open('/etc/hostname'); f.read(); f.close()\n"
            "r2, w2 = os.pipe()\n"
            "os.write(w2, b'x'); os.read(r2, 1)\n")
    t = spykit.trace([python_exe, "-c", code], syscalls=["read", "write"], seccomp=seccomp)
    assert set(t.df["syscall"].astype(str)) <= {"read", "write"}
    hostname_read = t.df[t.df.path == "/etc/hostname"]
    assert len(hostname_read) >= 1
    last_write = t.df[t.df.syscall == "write"].iloc[-1]
    last_read = t.df[t.df.syscall == "read"].iloc[-1]
    assert last_write["data"] == b"x"
    assert last_write["path"].startswith("pipe:[") and last_read["path"] == last_write["path"]


def test_decode_fds_shows_what_each_fd_is_like_strace_y(strace_exe):
    # (head, not cat: cat may copy with copy_file_range and never read)
    t = spykit.trace(["head", "-c", "100", "/etc/hostname"], syscalls=["read"], decode_fds=True,
                     capture_output=True)
    reads = t.df[t.df.path == "/etc/hostname"]
    assert reads["args"].str.startswith(f"{int(reads.iloc[0]['fd'])}</etc/hostname>, ").all()
    out = subprocess.run([strace_exe, "-y", "-e", "trace=read", "-o", "/dev/stderr", "head", "-c", "100",
                          "/etc/hostname"],
                         capture_output=True, text=True).stderr
    expected = [line.split("(", 1)[1].rsplit(")", 1)[0] for line in out.splitlines() if "/etc/hostname>" in line]
    assert list(reads["args"]) == expected
