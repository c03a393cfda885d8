"""The C launcher (spykit/tracer/_fastspawn.c) against the fork in launch.py it stands in for.

A program must start the same either way: the same stdin, stdout and stderr, no other fds,
default signal dispositions and an empty signal mask, the working directory and environment
asked for, and the same errors when it cannot start.
"""

from __future__ import annotations

import os
import signal

import pytest
from conftest import IN_CI

import spykit
from spykit.errors import CommandNotFound, NotExecutable
from spykit.tracer import launch

pytestmark = pytest.mark.skipif(launch._fastspawn is None and not IN_CI,
                                reason="the C launcher is not built here (pip install -e . with a C compiler)")

# What the started program reports about itself: fds, signals, mask, cpus, directory, environment.
# (A shell and small tools, not Python: Python ignores SIGPIPE itself.)
REPORT = ("ls /proc/self/fd | tr '\\n' ' '; echo; "
          "grep -E '^(SigIgn|SigBlk|Cpus_allowed_list|NoNewPrivs|Seccomp):' /proc/self/status | tr -s ' \\t' ' '; "
          "echo \"$(pwd) $SPYKIT_PROBE $(cat)\"; echo to stderr >&2")


def test_the_c_launcher_is_built_in_ci():
    """CI installs a compiler and Python's headers: there the launcher must have been built."""
    if not IN_CI:
        pytest.skip("only CI promises a compiler")
    assert launch._fastspawn is not None, "spykit/tracer/_fastspawn.c was not built: see setup.py and .ci/run"


@pytest.fixture(params=["c", "fork"])
def launcher(request, monkeypatch):
    if request.param == "fork":
        monkeypatch.setattr(launch, "_fastspawn", None)
    return request.param


def _report(tmp_path, **kwargs):
    env = {"PATH": os.environ["PATH"], "SPYKIT_PROBE": "yes"}
    return spykit.trace(["sh", "-c", REPORT], cwd=tmp_path, env=env, input=b"typed in", capture_output=True,
                        **kwargs)


def _one_cpu(report: bytes) -> bytes:
    """The report with its single allowed CPU replaced by N (checked to be a single CPU)."""
    lines = report.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"Cpus_allowed_list:"):
            cpus = line.split(b": ")[1]
            assert cpus.isdigit() or len(os.sched_getaffinity(0)) < 2, cpus
            lines[i] = b"Cpus_allowed_list: N"
    return b"\n".join(lines)


def _ignored_by_us() -> int:
    with open("/proc/self/status") as f:
        return int(next(line.split()[1] for line in f if line.startswith("SigIgn:")), 16)


@pytest.mark.parametrize("selection", [None, ["openat"]])
def test_the_program_starts_alike(tmp_path, monkeypatch, selection):
    fast = _report(tmp_path, syscalls=selection)
    with monkeypatch.context() as m:
        m.setattr(launch, "_fastspawn", None)
        slow = _report(tmp_path, syscalls=selection)
    assert fast.returncode == slow.returncode == 0
    # Each is pinned to the CPU its tracer thread was on at the start, which may differ.
    assert _one_cpu(fast.stdout) == _one_cpu(slow.stdout) and fast.stderr == slow.stderr == b"to stderr\n"
    lines = fast.stdout.decode().splitlines()
    assert lines[0].split() == ["0", "1", "2", "3"]  # stdin, stdout, stderr, and ls's own
    status = dict(line.split(": ") for line in lines[1:6])
    # SIGPIPE and SIGXFSZ (which Python ignores) are back to their defaults; a signal the test run
    # itself was started with ignored (nohup: SIGHUP) stays ignored, as it would untraced.
    assert int(status["SigIgn"], 16) == _ignored_by_us() & ~(1 << (signal.SIGPIPE - 1) | 1 << (signal.SIGXFSZ - 1))
    assert status["SigBlk"] == "0000000000000000"
    assert status["NoNewPrivs"] == ("1" if selection else "0")
    assert status["Seccomp"] == ("2" if selection else "0")
    assert lines[6] == f"{tmp_path} yes typed in"
    if selection:
        assert set(fast.df["syscall"]) == set(slow.df["syscall"]) == {"openat"}


def test_the_program_gets_one_cpu_until_it_starts_a_thread(tmp_path, launcher):
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU: nothing to pin")
    def cpus(t) -> str:
        return dict(line.split(": ") for line in t.stdout.decode().splitlines()[1:6])["Cpus_allowed_list"]

    assert cpus(_report(tmp_path)).isdigit()
    assert not cpus(_report(tmp_path, pin_cpu=False)).isdigit()


def test_errors_are_the_same(tmp_path, launcher):
    script = tmp_path / "bad-interpreter"
    script.write_text("#!/nonexistent/interpreter\n")
    script.chmod(0o755)
    with pytest.raises(CommandNotFound):
        spykit.trace([str(script)])
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00\x01 not a program")
    junk.chmod(0o755)
    with pytest.raises(NotExecutable, match="exec format error"):
        spykit.trace([str(junk)])
    with pytest.raises(FileNotFoundError, match="not a directory"):
        spykit.trace(["true"], cwd=tmp_path / "missing")
    with pytest.raises(ValueError, match="null byte"):
        spykit.trace(["echo", "a\0b"])
    with pytest.raises(ValueError, match="environment variable name"):
        spykit.trace(["true"], env={"A=B": "1"})


def test_the_launchers_memory_is_freed_only_once_the_child_is_done_with_it(tmp_path):
    """The child runs on a stack in our memory until its execve: release() must refuse before."""
    if launch._fastspawn is None:
        pytest.skip("the C launcher is not built")
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    child = launch._fastspawn.spawn_stopped(b"/bin/true", [b"true"], [b"PATH=/bin"], (-1, -1, -1), write_end,
                                            None, -1, 0, 1024)
    os.close(write_end)
    try:
        _, status = os.waitpid(child.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status) and os.WSTOPSIG(status) == signal.SIGSTOP
        assert child.release() is False  # stopped before its execve: still on our stack
    finally:
        os.kill(child.pid, signal.SIGCONT)
    _, status = os.waitpid(child.pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert os.read(read_end, 64) == b""  # the exec worked: the pipe closed on exec, no errno written
    os.close(read_end)
    assert child.release() is True
    assert child.release() is True  # twice is harmless


def test_the_launchers_memory_is_free_as_soon_as_the_program_runs():
    """After its execve the program has memory of its own: ours can go while it still runs."""
    if launch._fastspawn is None:
        pytest.skip("the C launcher is not built")
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    child = launch._fastspawn.spawn_stopped(b"/bin/sleep", [b"sleep", b"5"], [b"PATH=/bin"], (-1, -1, -1),
                                            write_end, None, -1, 0, 1024)
    os.close(write_end)
    try:
        os.waitpid(child.pid, os.WUNTRACED)
        os.kill(child.pid, signal.SIGCONT)
        assert os.read(read_end, 64) == b""  # returns when the pipe closes: at the execve
        assert child.release() is True
        with open(f"/proc/{child.pid}/comm") as f:
            assert f.read().strip() == "sleep"  # still running, as the program now
    finally:
        os.kill(child.pid, signal.SIGKILL)
        os.waitpid(child.pid, 0)
        os.close(read_end)
