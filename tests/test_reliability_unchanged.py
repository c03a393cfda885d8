"""Issue 16: a traced program behaves exactly as it does untraced, and the trace says what spykit did.

- a selection without following children uses no seccomp filter (an unfollowed child or thread
  would inherit it and get ENOSYS from every selected call);
- ``attach`` to a child of the caller leaves the child's exit status to the caller;
- descendants that outlive the program are either waited for or, when spykit ends them, shown
  as ended by spykit (not as if they had crashed);
- messages about refused tracing say what is really the case.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import spykit

REPO = Path(__file__).resolve().parent.parent


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "spykit.cli", *args], capture_output=True, env=env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def _untraced(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


# -- item 1: no seccomp filter where a descendant is not followed ----------------------------------

_THREAD_OPENS = """
import threading
out = []
def work():
    try:
        with open('/etc/hostname') as f:
            out.append(f.read().strip())
    except OSError as e:
        out.append(repr(e))
t = threading.Thread(target=work); t.start(); t.join()
print(out[0])
"""


@pytest.mark.parametrize("selection, command", [
    ("openat", ["sh", "-c", "cat /etc/hostname"]),
    ("write", ["sh", "-c", "sleep 0.1; echo slept"]),
    ("execve", ["bash", "-c", "ls /"]),
    ("execve", ["bash", "-c", "ls /; echo listed"]),  # (bash runs a lone command in its own process)
])
def test_the_command_line_without_f_leaves_children_working(selection, command):
    plain = _untraced(command)
    traced = _cli("trace", "-e", selection, "--", *command)
    assert (traced.returncode, traced.stdout) == (plain.returncode, plain.stdout), traced.stderr[-2000:]
    assert b"Error 38" not in traced.stderr and b"Function not implemented" not in traced.stderr


def test_a_thread_of_an_unfollowed_program_keeps_working(python_exe):
    cmd = [python_exe, "-c", _THREAD_OPENS]
    plain = _untraced(cmd)
    t = spykit.trace(cmd, syscalls=["openat"], follow_forks=False, capture_output=True)
    assert (t.returncode, t.stdout) == (plain.returncode, plain.stdout)
    assert b"Errno 38" not in t.stdout


@pytest.mark.parametrize("seccomp", [True, False])
def test_the_api_without_following_gives_the_untraced_result_and_the_same_rows(seccomp):
    cmd = ["sh", "-c", "cat /etc/hostname; exit 3"]
    plain = _untraced(cmd)
    t = spykit.trace(cmd, syscalls=["openat"], follow_forks=False, capture_output=True, seccomp=seccomp)
    assert (t.returncode, t.stdout, t.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    # only sh's own calls: cat (unfollowed) opens /etc/hostname, sh does not
    assert set(t.df["syscall"]) <= {"openat"}
    assert "/etc/hostname" not in set(t.df["path"].dropna())
    assert t.df["pid"].nunique() == 1


def test_the_filter_still_speeds_up_followed_selections():
    # with every descendant followed the filter is safe, and the selected calls are all there
    t = spykit.trace(["sh", "-c", "cat /etc/hostname"], syscalls=["openat"], capture_output=True)
    assert t.returncode == 0
    assert "/etc/hostname" in set(t.df["path"].dropna())
