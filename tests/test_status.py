"""The notebook's live status, without a kernel: what it says, and that it stays out of terminals."""

from __future__ import annotations

import subprocess
import time

from spykit import progress
from spykit.notebook.status import Glance, activate, status_html, take_glance


def test_the_status_says_the_run_the_time_the_calls_and_each_thread():
    text = status_html(Glance(elapsed=2.4, phase="diagnose, run 2: sleep traced", calls=1234,
                              threads=[f"tid {n}: in read (0.5 s)" for n in range(8)]))
    assert "spykit: diagnose, run 2: sleep traced, 2 s so far, 1,234 calls traced" in text
    assert "tid 0: in read (0.5 s)" in text and "tid 6:" not in text and "... and 2 more threads" in text
    assert "&lt;b&gt;" in status_html(Glance(elapsed=0, phase="<b>"))  # text, never markup


def test_a_glance_sees_a_child_waiting_and_the_phase():
    child = subprocess.Popen(["sleep", "5"])
    try:
        time.sleep(0.3)
        with progress.phase("time: sleep running"):
            glance = take_glance(time.monotonic() - 1.5, [], None)
    finally:
        child.kill()
        child.wait()
    assert glance.phase == "time: sleep running" and 1.4 < glance.elapsed < 3 and glance.calls is None
    assert any(f"pid {child.pid}" in t and "in clock_nanosleep, waiting in " in t for t in glance.threads), \
        glance.threads


def test_a_thread_stopped_outside_a_system_call_is_said_so(monkeypatch):
    # /proc/PID/syscall reads "-1 SP PC" for a thread stopped outside any call (a page fault,
    # preempted in user space), and "running" on a CPU: neither names a call
    from spykit import procfs

    child = subprocess.Popen(["sleep", "5"])
    try:
        deadline = time.monotonic() + 10
        while getattr(procfs.read_stat(child.pid), "state", None) != "S":  # asleep in its nap
            assert time.monotonic() < deadline
            time.sleep(0.01)
        for state in (procfs.SyscallState(nr=None), procfs.SyscallState(nr=None, running=True)):
            monkeypatch.setattr(procfs, "read_syscall", lambda pid, tid=None, state=state: state)
            glance = take_glance(time.monotonic(), [], None)
            mine = [t for t in glance.threads if f"pid {child.pid}" in t]
            assert len(mine) == 1, glance.threads
            doing = mine[0].split(": ", 1)[1]
            assert doing.startswith("waiting in ") or doing == "asleep", doing
    finally:
        child.kill()
        child.wait()


def test_nothing_is_activated_outside_a_jupyter_kernel(ipython_shell):
    shell = ipython_shell
    before = len(shell.events.callbacks["pre_run_cell"])
    activate(shell)
    assert len(shell.events.callbacks["pre_run_cell"]) == before
