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

import errno
import os
import resource
import select
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from spykit.errors import CommandNotFound, NoSuchProcess, NotExecutable, SpykitError

from .. import procfs

Command = str | Sequence[str]
Redirect = int | IO[Any] | None


def split_command(cmd: Command) -> list[str]:
    """A list of arguments; a string is split like a shell would (but never run by one)."""
    argv = shlex.split(cmd) if isinstance(cmd, str) else [os.fspath(a) for a in cmd]
    if not argv:
        raise CommandNotFound("no command given", hint="pass a command such as ['sleep', '1'] or 'sleep 1'")
    return argv


def resolve_command(argv: list[str], env: dict[str, str] | None = None) -> str:
    """The path that will be executed, or a spykit error saying why it cannot be."""
    prog = argv[0]
    path_var = (env or os.environ).get("PATH", os.defpath)
    if "/" in prog:
        candidates = [prog]
    else:
        found = shutil.which(prog, path=path_var)
        if found:
            return found
        candidates = [os.path.join(d or ".", prog) for d in path_var.split(os.pathsep)]
    for candidate in candidates:
        if os.path.isdir(candidate):
            if "/" in prog:
                raise NotExecutable(f"{prog!r} is a directory, not a program")
            continue
        if os.path.exists(candidate):
            if not os.access(candidate, os.X_OK):
                raise NotExecutable(f"{candidate!r} exists but is not executable (permission denied)",
                                    hint=f"make it executable (chmod +x {candidate}) or run it with its "
                                         "interpreter, e.g. ['python3', ...]")
            return candidate
    if "/" in prog:
        raise CommandNotFound(f"command not found: {prog!r} (no such file)",
                              hint="check the path, relative to the current directory")
    raise CommandNotFound(f"command not found: {prog!r} (searched PATH={path_var})",
                          hint="check the spelling, or give the full path to the program")


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


def launch(argv: list[str], *, stdin: Redirect = None, stdout: Redirect = None, stderr: Redirect = None,
           env: dict[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
           sigint_default: bool = False) -> subprocess.Popen:
    """Start ``argv`` in a session of its own, with spykit's errors for a missing or unrunnable program.

    The session is how :func:`end_tree` finds what the program leaves behind. ``sigint_default``
    gives the program SIGINT's default action even when the caller ignores it (``nohup``, ``cmd &``
    without job control pass SIG_IGN on): for a run that spykit itself ends with SIGINT.
    """
    executable = resolve_command(argv, env)
    ignored = sigint_default and signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    try:
        return subprocess.Popen(argv, executable=executable, stdin=stdin, stdout=stdout, stderr=stderr,
                                env=env, cwd=cwd, start_new_session=True,
                                preexec_fn=_default_sigint if ignored else None)
    except FileNotFoundError as e:
        raise CommandNotFound(f"command not found: {argv[0]!r} ({e.strerror})") from e
    except PermissionError as e:
        raise NotExecutable(f"{executable!r} cannot be executed ({e.strerror})") from e
    except BlockingIOError as e:  # fork() failed with EAGAIN
        raise SpykitError(f"cannot start {argv[0]!r}: the limit on processes was reached ({e.strerror})",
                          hint="end some processes, or raise the limit (ulimit -u, RLIMIT_NPROC)") from e
    except OSError as e:
        if e.errno == errno.ENOEXEC:
            raise NotExecutable(f"{executable!r} is not a program the kernel can run",
                                hint="a script needs a '#!' line, or run it with its interpreter") from e
        raise


Tick = Callable[[list[int], float], None]


def run_watched(cmd: Command, *, timeout: float | None = None, interval: float = 0.01,
                on_tick: Tick | None = None, stdin: Redirect = None, stdout: Redirect = None,
                stderr: Redirect = None, env: dict[str, str] | None = None,
                cwd: str | os.PathLike[str] | None = None) -> Finished:
    """Run ``cmd`` to the end (or ``timeout``), looking at its process tree every ``interval``.

    Each look notes the peak memory and calls ``on_tick(pids, seconds)`` with the program's
    pid followed by its living descendants. On timeout the program and its descendants are
    killed. On any exception (Ctrl-C included) they are killed and reaped before it goes on.
    When it exits, whatever it started and left running is killed (see :func:`end_tree`).
    """
    argv = split_command(cmd)
    memory = PeakMemory()
    start = time.monotonic()
    proc = launch(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env, cwd=cwd)
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
