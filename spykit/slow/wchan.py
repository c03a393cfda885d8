"""``spykit.wchan``: sample what every thread of a process tree is waiting for.

Every ``interval`` seconds each thread of the program and of its descendants is looked at
through /proc: state, wait channel, the system call it is blocked in with its arguments,
what that call's file descriptor is (file, pipe, terminal, socket with its endpoints), and
what all that means in plain words. Nothing here needs root or ptrace: a user may read these
files for their own processes. /proc/PID/stack is read too when the kernel allows it (root).

The DataFrame has one row per thread per tick:

============ ======= ==============================================================
column       dtype   meaning
============ ======= ==============================================================
time         float64 seconds since sampling started
pid          int64   process id (thread group)
tid          int64   thread id
state        string  R running/runnable, S sleeping, D uninterruptible (disk), T stopped,
                     t traced, Z zombie
wchan        string  kernel function it sleeps in; <NA> when the kernel says ``0``
syscall      string  the system call it is in; <NA> when running or not in a call
syscall_args string  its raw arguments, pointers in hex
fd           Int64   the file descriptor the call waits on
target       string  what that fd is: a path, ``pipe:[ino]``, ``TCP:[a->b]``, ``UNIX:[ino,path]``
meaning      string  plain words, e.g. ``waiting for data from 127.0.0.1:8000 (TCP)``
reason       string  cpu, disk, network, input, child, sleep, lock or other
ppid         int64   parent process id
command      string  the process's command line (shortened)
stack        string  innermost kernel functions (root only), ``;``-separated
============ ======= ==============================================================

``df.attrs`` holds ``command``, ``pid``, ``interval``, ``elapsed`` and ``returncode``.
:func:`wchan` returns it as the ``.df`` of a :class:`~spykit.slow.results.WaitSamples`.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Mapping

import pandas as pd

from .. import procfs
from ..errors import InvalidArgument
from ..launch import Command, Redirect, prepare, refuse_launch_arguments
from .meanings import FD_CALLS, OPEN_CALLS, POLL_CALLS, Sample, format_args, meaning_of, syscall_name
from .render import format_wchan
from .results import WaitSamples
from .run import run_watched, watch_pid
from .waits import summarize

__all__ = ["COLUMNS", "WaitSampler", "WaitSamples", "format_wchan", "summarize", "wchan"]

COLUMNS = ["time", "pid", "tid", "state", "wchan", "syscall", "syscall_args", "fd", "target", "meaning",
           "reason", "ppid", "command", "stack"]
_DTYPES = {"time": "float64", "pid": "int64", "tid": "int64", "state": "string", "wchan": "string",
           "syscall": "string", "syscall_args": "string", "fd": "Int64", "target": "string",
           "meaning": "string", "reason": "string", "ppid": "int64", "command": "string", "stack": "string"}
_STACK_FRAMES = 6
_CLK_TCK = os.sysconf("SC_CLK_TCK")  # /proc reports CPU times in these ticks


def _signed(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value


class WaitSampler:
    """Collects one row per thread of a process tree each time it is called.

    Call it as ``sampler(pids, seconds)``, the ``on_tick`` shape of the run loop: ``pids`` is
    the program's pid followed by its descendants'.
    """

    def __init__(self, *, kernel_stacks: bool = True):
        self.rows: list[tuple] = []
        self.ticks = 0
        self.root_cpu: tuple[float, float] | None = None  # (user, system) seconds at the last tick
        self.root_scheduling: dict[int, procfs.Scheduling] = {}  # per thread of the first process
        self._sockets = procfs.SocketTable()
        self._commands: dict[tuple[int, str], str] = {}
        # /proc/PID/stack needs CAP_SYS_ADMIN; after a few refusals stop asking.
        self._stack_tries = 3 if kernel_stacks else 0
        self.on_row: Callable[[tuple], None] | None = None  # each row as it is taken (a live reader)

    def __call__(self, pids: list[int], seconds: float) -> None:
        self.sample(pids, seconds)

    def sample(self, pids: list[int], seconds: float) -> None:
        self.ticks += 1
        if pids:
            # The first process's own CPU time so far (all its threads, not its children):
            # lets a diagnosis tell a parent's work from the work of the children it waits for.
            own = procfs.read_stat(pids[0])
            if own is not None:
                self.root_cpu = (own.utime / _CLK_TCK, own.stime / _CLK_TCK)
        for pid in pids:
            command = None
            for tid in procfs.list_threads(pid):
                st = procfs.read_stat(pid, tid)
                if st is None or st.state in ("Z", "X"):
                    continue  # it ended (between listing and reading, or is a zombie): not waiting
                if command is None:
                    command = self._command(pid, st.comm)
                row = self._row(seconds, pid, tid, st, command)
                self.rows.append(row)
                if self.on_row is not None:
                    self.on_row(row)
                if pid == pids[0]:
                    sched = procfs.read_scheduling(pid, tid)
                    if sched is not None:
                        self.root_scheduling[tid] = sched

    def _command(self, pid: int, comm: str) -> str:
        key = (pid, comm)  # comm changes on exec, and so does the command line
        if key not in self._commands:
            argv = procfs.cmdline(pid)
            text = shlex.join(argv) if argv else comm
            self._commands[key] = text  # whole: renderers shorten it for display
        return self._commands[key]

    def _stack(self, pid: int, tid: int) -> tuple[str, ...] | None:
        if self._stack_tries <= 0:
            return None
        stack = procfs.read_stack(pid, tid)
        if stack is None:
            self._stack_tries -= 1
        else:
            self._stack_tries = 3
        return stack

    def _row(self, seconds: float, pid: int, tid: int, st: procfs.ThreadStat, command: str,
             *, retake: bool = True) -> tuple:
        call = procfs.read_syscall(pid, tid)
        if call is not None and call.running and st.state != "R":
            # It was asleep a moment ago but changed state while the kernel read its registers
            # (the file then says "running"): one more look usually finds the call it sleeps in.
            call = procfs.read_syscall(pid, tid)
        wchan = procfs.read_wchan(pid, tid)
        name = syscall_name(call.nr) if call is not None else None
        args = call.args if call is not None else ()
        fd = _signed(args[0]) if name in FD_CALLS and args else None
        if fd is not None and fd < 0:
            fd = None
        target = procfs.describe_fd(pid, fd, self._sockets) if fd is not None else None
        if name in OPEN_CALLS and st.state != "R":
            target = procfs.opened_path(pid, name, args)  # what it is opening: a FIFO waits for a partner
        if fd is not None and target is None and retake and procfs.read_syscall(pid, tid) != call:
            # The fd is gone and the thread is no longer in that call: it returned while we
            # looked and closed the fd (the last fsync before a close). A row mixing the old
            # call with a missing target would be half of two moments: take the sample again.
            fresh = procfs.read_stat(pid, tid)
            if fresh is not None and fresh.state not in ("Z", "X"):
                return self._row(seconds, pid, tid, fresh, command, retake=False)
        watched = self._watched(pid, name, args, fd) if name in POLL_CALLS else None
        stack = self._stack(pid, tid) if st.state != "R" else None
        found = meaning_of(Sample(state=st.state, wchan=wchan, syscall=name, args=args, fd=fd,
                                  target=target, watched=watched, stack=stack))
        return (seconds, pid, tid, st.state, wchan, name, format_args(name, args) if name else None, fd,
                target, found.meaning, found.reason, st.ppid, command,
                ";".join(stack[:_STACK_FRAMES]) if stack else None)

    def _watched(self, pid: int, name: str | None, args: tuple[int, ...],
                 fd: int | None) -> tuple[str, ...] | None:
        """What a poll, select or epoll call is waiting on; None when it cannot be read."""
        if len(args) < 4:
            return None
        if name in ("poll", "ppoll"):
            fds = procfs.poll_fds(pid, args[0], args[1])
        elif name in ("select", "pselect6"):
            fds = procfs.select_fds(pid, args[0], args[1], args[2], args[3])
        else:
            fds = procfs.epoll_watched_fds(pid, fd) if fd is not None else None
        if fds is None:
            return None
        return tuple(procfs.describe_fd(pid, f, self._sockets) or f"fd {f}" for f in fds)

    def frame(self) -> pd.DataFrame:
        """The samples so far as a DataFrame with the columns in the module docstring."""
        df = pd.DataFrame.from_records(self.rows, columns=COLUMNS)
        return df.astype(_DTYPES)


class WaitChanges:
    """A live reader of samples: says a thread's state each time it changes (``on_row`` of a
    :class:`WaitSampler`, or ``on_sample`` of :func:`wchan`), through ``say(line)``.

    ``  0.52 s  pid 4242 tid 4242  S  pipe_read  read(0, ...)  waiting for input from a pipe``
    """

    def __init__(self, say: Callable[[str], None]):
        self.say = say
        self.last: dict[int, tuple] = {}  # tid -> what it was doing at its last change

    def __call__(self, row: tuple) -> None:
        seconds, pid, tid, state, wchan, syscall, args, _fd, target, meaning = row[:10]
        now = (state, wchan, syscall, args, target, meaning)
        if self.last.get(tid) == now:
            return
        self.last[tid] = now
        call = f"{syscall}({args})" if syscall else "-"
        shown = call if len(call) <= 40 else call[:37] + "..."
        self.say(f"{seconds:7.2f} s  pid {pid} tid {tid}  {state}  {wchan or '-'}  {shown}  {meaning}")


def wchan(target: Command | int, *, interval: float = 0.01, duration: float | None = None,
          stdin: Redirect = None, stdout: Redirect = None, stderr: Redirect = None,
          env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
          on_sample: Callable[[tuple], None] | None = None, input: bytes | str | None = None,
          timeout: float | None = None, capture_output: bool = False) -> WaitSamples:
    """Sample the wait channels of a program and its descendants, one row per thread per tick.

    Returns a :class:`~spykit.slow.results.WaitSamples`: the samples in ``.df`` (the columns
    above), the run in ``.attrs``; ``print()`` and a notebook show what each process was doing
    in plain words. It answers DataFrame questions as before (``w["wchan"]``, ``w.attrs``).

    ``target`` is a command (a list, or a string split like a shell), launched and sampled
    until it exits (killed after ``duration`` seconds, if given); or the pid of a running
    process, sampled until it exits or ``duration`` passes (Ctrl-C stops early and keeps the
    samples). Use :func:`summarize` or :func:`format_wchan` for the short story. A command's
    descendants still running when it exits are killed; ``df.attrs["ended"]`` counts them.
    ``on_sample``, if given, is called with each row (a tuple in the order of :data:`COLUMNS`)
    as it is taken: :class:`WaitChanges` prints each change live.

    For a command, ``stdin``, ``stdout``, ``stderr``, ``input``, ``env``, ``cwd`` and
    ``capture_output`` mean what they mean in :func:`subprocess.run` (see
    :func:`spykit.launch.prepare`); captured output is in ``df.attrs["stdout"]``/``["stderr"]``.
    ``timeout`` is another name for ``duration``, as the other functions that run a program call it.
    """
    if interval <= 0:
        raise ValueError("interval must be a positive number of seconds")
    if timeout is not None:
        if duration is not None:
            raise InvalidArgument("give duration= or timeout= (the same limit), not both",
                                  hint="e.g. spykit.wchan(cmd, timeout=5)")
        duration = timeout
    if isinstance(target, int) and not isinstance(target, bool):
        refuse_launch_arguments(f"{{name}}= is for a command that wchan starts, not for process {target}, "
                                "which is already running", "give a command", stdin=stdin, stdout=stdout,
                                stderr=stderr, input=input, env=env, cwd=cwd, capture_output=capture_output)
        sampler = WaitSampler()
        sampler.on_row = on_sample
        elapsed = watch_pid(target, duration=duration, interval=interval, on_tick=sampler)
        df = sampler.frame()
        df.attrs.update(command=procfs.cmdline(target) or [f"<pid {target}>"], pid=target,
                        interval=interval, elapsed=elapsed, returncode=None)
        return WaitSamples(df)
    run = prepare(target, stdin=stdin, stdout=stdout, stderr=stderr, input=input, env=env, cwd=cwd,
                  timeout=duration, capture_output=capture_output)
    sampler = WaitSampler()
    sampler.on_row = on_sample
    done = run_watched(run, interval=interval, on_tick=sampler)
    df = sampler.frame()
    df.attrs.update(command=run.argv, pid=done.pid, interval=interval, elapsed=done.elapsed,
                    returncode=done.returncode, ended=done.ended)
    if done.stdout is not None or done.stderr is not None:
        df.attrs.update(stdout=done.stdout, stderr=done.stderr)
    return WaitSamples(df)
