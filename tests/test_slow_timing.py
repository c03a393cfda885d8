"""spykit.time on programs whose behaviour is known."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from spykit.errors import CommandNotFound, NotExecutable
from spykit.slow.timing import IN_KERNEL, ON_CPU, WAITING, Timing
from spykit.slow.timing import time as spy_time

SLOW = Path(__file__).parent / "programs" / "slow"
LINE = re.compile(r"^\d+\.\d\duser \d+\.\d\dsystem \d+:\d\d\.\d\delapsed \d+%CPU \(\d+maxresident\)k$")


def _on_tmpfs(path: Path) -> bool:
    best, fstype = "", ""
    with open("/proc/mounts") as f:
        for line in f:
            _dev, mount, kind, *_ = line.split()
            if str(path).startswith(mount) and len(mount) > len(best):
                best, fstype = mount, kind
    return fstype == "tmpfs"


def test_sleep_is_waiting():
    t = spy_time(["sleep", "0.5"])
    assert 0.5 <= t.elapsed < 3
    assert t.cpu < 0.2 and t.returncode == 0 and not t.timed_out
    assert t.voluntary_switches >= 1
    assert t.hint == WAITING
    lines = str(t).splitlines()
    assert LINE.match(lines[0]), lines[0]
    assert lines[-1].startswith("-> waiting:")


WORK = "print(sum(i * i for i in range(10_000_000)))"  # a fixed amount of CPU work: 0.3 to 0.7 s


def test_busy_loop_is_on_the_cpu(python_exe):
    # fixed work, not fixed time: a loaded machine stretches the elapsed time, not the CPU time
    t = spy_time([python_exe, "-c", WORK], stdout=subprocess.DEVNULL)
    assert t.user >= 0.1 and t.user > 3 * t.system
    # On a saturated machine a busy program can get the CPU less than half the time.
    assert t.hint == (ON_CPU if t.cpu_percent >= 50 else WAITING)
    assert t.involuntary_switches >= 0 and t.max_rss_kb > 1000


def test_tiny_writes_are_in_the_kernel(compile_c, tmp_path):
    prog = compile_c("slow/tiny_writes.c")
    t = spy_time([prog, "0.5", str(tmp_path / "out")])
    assert t.system > 2 * t.user
    assert t.hint == (IN_KERNEL if t.cpu_percent >= 50 else WAITING)
    assert (tmp_path / "out").stat().st_size > 1000


def test_fsync_loop_writes_blocks_and_switches_often(python_exe, tmp_path):
    t = spy_time([python_exe, str(SLOW / "fsync_loop.py"), "0.5", str(tmp_path / "data")],
                 stdout=subprocess.DEVNULL)
    assert t.voluntary_switches > 50  # every fsync gives the CPU up to wait for the disk
    if not _on_tmpfs(tmp_path):  # tmpfs has no blocks to write
        assert t.blocks_out > 8


def test_the_children_it_waits_for_are_counted(python_exe):
    # The child spins until its own clock says it has used 0.4 s of CPU, so that much is known to
    # be in its rusage whatever the machine's speed. (Comparing two runs' user times was not
    # steady: the kernel splits a process's CPU time into user and system by sampling ticks, and
    # one run's user time came out 27% below the other's. The sum is exact.)
    burn = "import time\nwhile time.process_time() < 0.4:\n    sum(range(10_000))"
    code = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {burn!r}])"
    t = spy_time([python_exe, "-c", code], stdout=subprocess.DEVNULL)
    # the child's CPU time is there, though the parent only waited for it
    assert t.cpu >= 0.4


def test_orphans_are_not_counted(python_exe):
    # The parent starts a busy child and exits without waiting: the child is re-parented to
    # init and its CPU time never reaches our wait4.
    code = ("import subprocess, sys; p = subprocess.Popen([sys.executable, "
            f"{str(SLOW / 'busy.py')!r}, '3']); print(p.pid, flush=True)")
    proc_pid = None
    try:
        r, w = os.pipe()
        t = spy_time([python_exe, "-c", code], stdout=w)
        os.close(w)
        with os.fdopen(r) as f:
            proc_pid = int(f.readline().strip())  # the orphan keeps the pipe open: no read to EOF
        assert t.user < 0.5 and t.elapsed < 2.5  # the orphan spins for 3 s, uncounted
    finally:
        if proc_pid:
            try:
                os.kill(proc_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_peak_memory_is_the_programs_not_ours(python_exe):
    # The launching Python (pytest with pandas) is far bigger than `sleep`; a forked child
    # inherits that size in the kernel's bookkeeping until it execs.
    small = spy_time(["sleep", "0.1"])
    assert small.max_rss_kb < 20_000
    big = spy_time([python_exe, "-c", "x = bytearray(300_000_000); x[::4096] = b'x' * len(x[::4096])"])
    assert big.max_rss_kb > 290_000


def test_command_as_a_string_is_split_not_run_by_a_shell():
    t = spy_time("sh -c 'exit 3'")
    assert t.returncode == 3 and t.command == ["sh", "-c", "exit 3"]
    assert "exit status 3" in str(t)
    assert spy_time("echo '$HOME'", stdout=subprocess.DEVNULL).returncode == 0


def test_timeout_kills_the_program_and_its_children(python_exe):
    code = "import subprocess; p = subprocess.Popen(['sleep', '30']); print(p.pid, flush=True); p.wait()"
    r, w = os.pipe()
    start = time.monotonic()
    t = spy_time([python_exe, "-c", code], timeout=0.5, stdout=w)
    os.close(w)
    assert time.monotonic() - start < 5
    assert t.timed_out and t.returncode == -signal.SIGKILL
    assert 0.5 <= t.elapsed < 5
    assert "timeout" in str(t)
    with os.fdopen(r) as f:
        sleeper = int(f.readline())
    deadline = time.monotonic() + 5  # killed (init reaps it soon after)
    while _alive(sleeper) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(sleeper)


def _alive(pid: int) -> bool:
    """Running or sleeping; not a zombie, not gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def test_missing_command_names_the_command_and_path():
    with pytest.raises(CommandNotFound) as err:
        spy_time(["no-such-program-spykit"])
    assert "no-such-program-spykit" in str(err.value) and "PATH=" in str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    with pytest.raises(CommandNotFound, match="no such file"):
        spy_time(["./definitely/not/here"])


def test_not_executable(tmp_path):
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    with pytest.raises(NotExecutable, match="not executable") as err:
        spy_time([str(script)])
    assert isinstance(err.value, PermissionError) and "chmod +x" in str(err.value)
    with pytest.raises(NotExecutable, match="directory"):
        spy_time([str(tmp_path)])
    no_shebang = tmp_path / "data.bin"
    no_shebang.write_bytes(b"\x00\x01 not a program")
    no_shebang.chmod(0o755)
    with pytest.raises(NotExecutable, match="kernel can run"):
        spy_time([str(no_shebang)])


def test_rich_display_has_text_and_html():
    t = spy_time(["true"])
    bundle = t._repr_mimebundle_()
    assert bundle["text/plain"] == str(t)
    assert "<table>" in bundle["text/html"] and "elapsed" in bundle["text/html"]


def test_hint_rule_on_hand_made_timings():
    def timing(user, system, elapsed):
        return Timing(command=["x"], user=user, system=system, elapsed=elapsed,
                      cpu_percent=100 * (user + system) / elapsed, max_rss_kb=1, voluntary_switches=0,
                      involuntary_switches=0, blocks_in=0, blocks_out=0, returncode=0)

    assert timing(0.09, 0.01, 2.11).hint == WAITING  # the talk's mystery 1
    assert timing(2.74, 0.00, 2.74).hint == ON_CPU  # mystery 2
    assert timing(0.08, 1.03, 1.20).hint == IN_KERNEL
    assert str(timing(0.09, 0.01, 2.11)).splitlines()[0] == (
        "0.09user 0.01system 0:02.11elapsed 5%CPU (1maxresident)k")
    assert str(timing(1, 0, 3725.5)).startswith("1.00user 0.00system 1:02:05.50elapsed")


def test_what_spykit_ended_is_said_in_plain_words():
    from spykit.slow.render import ended_sentence

    assert ended_sentence(0, False) is None and ended_sentence(0, True) is None
    assert ended_sentence(1, False) == "when it exited it left 1 process running, which spykit killed"
    assert ended_sentence(2, False) == "when it exited it left 2 processes running, which spykit killed"
    assert ended_sentence(1, True) == "1 process it had started was killed with it"
    assert ended_sentence(3, True) == "3 processes it had started were killed with it"
