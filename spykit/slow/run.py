"""Run a command untraced, watch it while it runs, and collect its resource usage.

One loop serves ``time``, ``wchan`` and ``diagnose``: launch the program, call a sampler
every ``interval`` seconds until it exits (a pidfd tells us the moment it does, so the
elapsed time is not rounded up to the next sample), then reap it with ``os.wait4``.

``wait4``'s resource usage covers the child plus every descendant that was waited for
(directly or by a waited-for parent). A descendant that outlives its parent is re-parented
to init, nobody waits for it on our side, and its CPU time is not counted: daemons that
double-fork escape the measurement, as they do with the shell's ``time``.

Nothing these runs start may outlive them: spykit starts them for its own purposes (timing,
sampling, profiling), so a server a program forked and forgot would otherwise run on for ever.
The program starts in a session of its own. A session, unlike a process group, survives
orphaning and double forks (a process leaves it only by calling ``setsid`` itself), and a
process without a controlling terminal can still read and write the terminal it inherited
(job control only applies to a terminal's own session), so the program behaves as usual.
When the program has exited, but before it is reaped (so its pid, which is the session's id,
cannot be reused), everything still in its session is ended, plus any descendant the samples
saw that left the session. :attr:`Finished.ended` says how many processes that was.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spykit.errors import NoSuchProcess
from spykit.launch import Command, Prepared, Stdio, exec_failure, prepare

from .. import procfs

__all__ = ["Finished", "end_tree", "launch", "run_watched", "watch_pid"]


@dataclass
class Finished:
    """How a watched run ended."""

    pid: int
    returncode: int  # negative: killed by that signal, as in subprocess
    rusage: Any  # os.wait4's struct_rusage
    elapsed: float  # wall-clock seconds from launch to exit
    timed_out: bool
    max_rss_kb: int | None  # peak resident memory of the largest process (see PeakMemory)
    ended: int = 0  # descendants still running when it ended, which spykit then killed
    stdout: bytes | None = None  # what it wrote, when stdout was captured (PIPE, capture_output)
    stderr: bytes | None = None


class PeakMemory:
    """The peak resident memory of the largest process in the tree.

    ``wait4``'s ``ru_maxrss`` would do, but the kernel folds the memory a child had before
    ``execve`` into it, and a child forked (or vforked) from this Python process starts with
    all of ours: a 2 MB ``sleep`` launched from a 100 MB notebook kernel reports 100 MB. So
    ``ru_maxrss`` is believed only when it is above our own peak at launch; below that, the
    highest ``VmHWM`` seen while sampling /proc is used (a lower bound: growth in the last
    instant before exit can be missed), or None when the program ended before the first look.
    """

    def __init__(self) -> None:
        self.ours_at_launch = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.seen = 0

    def sample(self, pids: list[int]) -> None:
        for pid in pids:
            self.seen = max(self.seen, procfs.read_peak_rss(pid) or 0)

    def result(self, ru_maxrss: int) -> int | None:
        if ru_maxrss > self.ours_at_launch:
            return int(ru_maxrss)
        return self.seen or None


def _signal(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass  # already gone


def end_tree(root: int, tree: procfs.ProcessTree | None = None, *, include_root: bool = False) -> int:
    """SIGKILL what is left of a program started in a session of its own; returns how many processes.

    Call it before ``root`` is reaped (exited, it is a zombie: its pid, the session's id, cannot
    be reused). Ends every living process in the session and the descendants ``tree`` has seen
    (those that called ``setsid`` left the session); ``root`` too when ``include_root``. They are
    all stopped first: a stopped process can neither fork nor exit, so the tree holds still while
    it is collected, and the root cannot end normally (returncode 0) in the instant between its
    children's deaths and its own. Returns once they are gone (or zombies), at most about 1 s.
    """
    seen: list[int] = []
    for _ in range(5):  # a new pass catches children forked before their parent stopped
        found = set(procfs.session_members(root))
        if tree is not None:
            found.update(tree.pids())
            found.update(tree.seen_alive())
        if not include_root:
            found.discard(root)
        new = [p for p in found if p not in seen]
        if not new:
            break
        _signal(new, signal.SIGSTOP)
        seen += new
    _signal(seen, signal.SIGKILL)
    others = [p for p in seen if p != root]
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        alive = [p for p in others if (st := procfs.read_stat(p)) is not None and st.state not in ("Z", "X")]
        if not alive:
            break
        time.sleep(0.005)
    return len(others)


class _ExitWatcher:
    """Waits until a pid exits or a timeout passes: a pidfd when the kernel has them (5.3+)."""

    def __init__(self, pid: int, is_child: bool):
        self.pid, self.is_child = pid, is_child
        try:
            self.fd: int | None = os.pidfd_open(pid)
        except (OSError, AttributeError):
            self.fd = None

    def wait(self, seconds: float | None) -> bool:
        """True when the process has exited (for a child: is a zombie ready to reap); None: no limit."""
        seconds = None if seconds is None else max(0.0, seconds)
        if self.fd is not None:
            # poll, not select: select() refuses fds above 1023, which a caller with a raised
            # RLIMIT_NOFILE (and many files open) hands out.
            poller = select.poll()
            poller.register(self.fd, select.POLLIN)
            return bool(poller.poll(None if seconds is None else seconds * 1000))
        deadline = float("inf") if seconds is None else time.monotonic() + seconds
        while True:
            if self.is_child:
                st = procfs.read_stat(self.pid)
                if st is None or st.state in ("Z", "X"):
                    return True
            elif not procfs.exists(self.pid):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(0.002, max(0.0, deadline - time.monotonic())))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def launch(run: Prepared, *, stdin: int | None = None, stdout: int | None = None, stderr: int | None = None,
           sigint_default: bool = False) -> subprocess.Popen:
    """Start a prepared command in a session of its own, with the fds a :class:`~spykit.launch.Stdio` gave.

    The session is how :func:`end_tree` finds what the program leaves behind. ``sigint_default``
    gives the program SIGINT's default action even when the caller ignores it (``nohup``, ``cmd &``
    without job control pass SIG_IGN on): for a run that spykit itself ends with SIGINT.
    """
    ignored = sigint_default and signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    try:
        return subprocess.Popen(run.argv, executable=run.executable, stdin=stdin, stdout=stdout, stderr=stderr,
                                env=run.env, cwd=run.cwd, start_new_session=True,
                                preexec_fn=_default_sigint if ignored else None)
    except OSError as e:
        raise exec_failure(e.errno or 0, run.executable) from e


Tick = Callable[[list[int], float], None]


def run_watched(cmd: Command | Prepared, *, interval: float = 0.01, on_tick: Tick | None = None,
                **how: Any) -> Finished:
    """Run ``cmd`` to the end (or its timeout), looking at its process tree every ``interval``.

    ``cmd`` is a :class:`~spykit.launch.Prepared` command, or a command and :func:`~spykit.launch.prepare`'s
    keyword arguments (``timeout``, ``stdin``, ``stdout``, ``stderr``, ``input``, ``env``, ``cwd``,
    ``capture_output``) in ``how``.

    Each look notes the peak memory and calls ``on_tick(pids, seconds)`` with the program's
    pid followed by its living descendants. On timeout the program and its descendants are
    killed. On any exception (Ctrl-C included) they are killed and reaped before it goes on.
    When it exits, whatever it started and left running is killed (see :func:`end_tree`).
    """
    run = cmd if isinstance(cmd, Prepared) else prepare(cmd, **how)
    with run.stdio() as stdio:
        done = _watch_child(run, stdio, interval, on_tick)
        done.stdout, done.stderr = stdio.collect()
    return done


def _watch_child(run: Prepared, stdio: Stdio, interval: float, on_tick: Tick | None) -> Finished:
    """:func:`run_watched`'s loop, with the program's streams already open."""
    timeout = run.timeout
    memory = PeakMemory()
    start = time.monotonic()
    proc = launch(run, stdin=stdio.stdin, stdout=stdio.stdout, stderr=stdio.stderr)
    watcher = _ExitWatcher(proc.pid, is_child=True)
    tree = procfs.ProcessTree(proc.pid)
    timed_out = False
    ended = 0
    try:
        deadline = None if timeout is None else start + timeout
        while True:
            now = time.monotonic()
            pids = tree.pids()
            memory.sample(pids)
            if on_tick is not None:
                on_tick(pids, now - start)
            if deadline is not None and now >= deadline:
                timed_out = True
                ended = end_tree(proc.pid, tree, include_root=True)
                break
            wake = now + interval if deadline is None else min(now + interval, deadline)
            if watcher.wait(wake - time.monotonic()):
                ended = end_tree(proc.pid, tree)
                break
        _, status, rusage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - start
    except BaseException:
        end_tree(proc.pid, tree, include_root=True)
        try:
            os.wait4(proc.pid, 0)
        except ChildProcessError:
            pass  # already reaped
        proc.returncode = -signal.SIGKILL
        raise
    finally:
        watcher.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Finished(pid=proc.pid, returncode=proc.returncode, rusage=rusage, elapsed=elapsed,
                    timed_out=timed_out, max_rss_kb=memory.result(rusage.ru_maxrss), ended=ended)


def watch_pid(pid: int, *, duration: float | None = None, interval: float = 0.01, on_tick: Tick) -> float:
    """Call ``on_tick(pids, seconds)`` every ``interval`` until ``pid`` exits or ``duration`` passes.

    For a process we did not start: we cannot reap it, only watch it. Returns the seconds
    watched. Ctrl-C ends the watch quietly (it is how a notebook user stops an open-ended one).
    """
    if not procfs.exists(pid):
        raise NoSuchProcess(f"no process with id {pid}", hint="check the pid with ps or pgrep")
    watcher = _ExitWatcher(pid, is_child=False)
    tree = procfs.ProcessTree(pid)
    start = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            if duration is not None and now - start >= duration:
                break
            on_tick(tree.pids(), now - start)
            wake = now + interval
            if duration is not None:
                wake = min(wake, start + duration)
            if watcher.wait(wake - time.monotonic()):
                break
    except KeyboardInterrupt:
        pass
    finally:
        watcher.close()
    return time.monotonic() - start
