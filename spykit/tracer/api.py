"""``spykit.trace`` and ``spykit.attach``: the public doors into the tracer.

Both translate OS errors into spykit's errors at this boundary, and both guarantee that when
they return or raise, no process is left stopped or traced: launched programs are killed and
reaped, attached ones detached and running.
"""

from __future__ import annotations

import errno
import os
import signal
import threading
import time as _time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

from .. import procfs
from ..errors import InvalidArgument, NoSuchProcess, SpykitError, TraceInterrupted, TracingNotPermitted
from ..launch import Prepared, Redirect, Stdio, prepare
from ..syscalls.captures import DATA_LIMIT
from ..syscalls.table import expand_selection, numbers_of
from ..tracedata import Trace, TraceMeta
from . import linux as L
from .launch import exec_error, spawn_stopped
from .loop import Tracer, read_tgid
from .recorder import Recorder
from .runner import Bell, Watch, kill_to_stop, run_in_tracer_thread
from .seccomp import PreparedFilter


def _build(rec: Recorder, meta: TraceMeta) -> Trace:
    from .build import build_trace  # pandas and the decoders load here, not on `import spykit`

    return build_trace(rec, meta)


def _selection(syscalls: str | Iterable[str] | None) -> tuple[set[int] | None, list[str] | None]:
    if syscalls is None:
        return None, None
    spec = [syscalls] if isinstance(syscalls, str) else list(syscalls)
    names = expand_selection(spec)
    return numbers_of(names), spec


def _yama_scope() -> int | None:
    return procfs.yama_ptrace_scope()


def _status(pid: int | str) -> dict[str, str]:
    """/proc/PID/status as a dict of its fields; empty when the process is gone or unreadable."""
    try:
        return procfs.status(pid)
    except procfs.VANISHED:
        return {}


def _tracer_pid(pid: int) -> int:
    """The process tracing ``pid``, or 0. (TracerPid names the tracing *thread*: spykit traces
    from a thread of its own, strace from its main one; the process is that thread's group.)"""
    try:
        tracer = int(_status(pid).get("TracerPid", "0"))
    except ValueError:
        return 0
    return read_tgid(tracer) if tracer else 0


def _tracer_name(tracer: int) -> tuple[str, str]:
    """Who process ``tracer`` is, for a message, and what to do about it."""
    cmdline = procfs.cmdline(tracer)
    if any("spykit.notebook.cellhelper" in part for part in cmdline):
        return (f"the %%strace cell this code runs in (its helper, process {tracer}), which follows the "
                "threads and processes the cell starts",
                "a process can have only one tracer: call spykit.trace/attach in a cell without %%strace")
    name = os.path.basename(cmdline[0]) if cmdline and cmdline[0] else "?"
    return (f"process {tracer} ({name})",
            "a process can have only one tracer: stop the other tracer (strace, gdb) first, or run strace "
            "without -f, so that it leaves the programs this one starts alone")


_CONTAINER_HINT = ("run the container with --cap-add=SYS_PTRACE or --security-opt seccomp=unconfined, "
                   "or use the recorded traces that come with the workshop")


def _under_seccomp() -> bool:
    """Whether this process runs under a seccomp filter (a container's profile is one)."""
    return _status("self").get("Seccomp", "0") == "2"


def _not_permitted(pid: int, exc: OSError, *, launched: bool) -> SpykitError:
    """Say why the kernel refused ptrace, and what the learner can do.

    Read from /proc before anything is killed: the checks follow the kernel's own order
    (kernel/ptrace.c ptrace_attach and __ptrace_may_access, then the Yama LSM): a process that
    has exited, one that already has a tracer, another user's credentials, a non-dumpable
    process (only CAP_SYS_PTRACE may attach), Yama's ptrace_scope, and a seccomp filter on us.
    """
    status = _status(pid)
    what = "the program spykit started" if launched else f"process {pid}"
    if status.get("State", "")[:1] in ("Z", "X"):
        return TracingNotPermitted(
            f"{what} has already exited: it is a zombie (State {status['State']} in /proc/{pid}/status) whose "
            "parent has not yet collected its exit status, and it makes no more system calls",
            hint="there is nothing left to trace; attach to a process that is running")
    tracer = _tracer_pid(pid)
    if tracer and tracer != os.getpid():
        who, hint = _tracer_name(tracer)
        return TracingNotPermitted(
            f"{what} (pid {pid}) is already being traced by {who} (TracerPid in /proc/{pid}/status)", hint=hint)
    if not launched and os.getuid() != 0 and status:
        uids = status.get("Uid", "").split()
        gids = status.get("Gid", "").split()
        mine, my_gid = str(os.getuid()), str(os.getgid())
        # the kernel compares our real uid with the target's real, effective and saved uids (gids too)
        if uids[:3] != [mine] * 3 or gids[:3] != [my_gid] * 3:
            other = next((u for u in uids[:3] if u != mine), uids[0] if uids else "?")
            setuid = uids[:1] == [mine]
            return TracingNotPermitted(
                f"not allowed to attach to process {pid}: "
                + (f"it runs with another user's privileges (a setuid or setgid program: uid {other})" if setuid
                   else f"it belongs to another user (uid {other})"),
                hint="you can only trace your own processes (root can trace any)")
        try:
            owner = procfs.owner(pid)
        except procfs.VANISHED:
            owner = None
        if owner == 0:  # not dumpable (see procfs.owner)
            return TracingNotPermitted(
                f"not allowed to attach to process {pid}: it is yours but not dumpable (it called "
                "prctl(PR_SET_DUMPABLE, 0), as programs that hold secrets do, or it changed its credentials), "
                "and only a tracer with CAP_SYS_PTRACE may attach to such a process",
                hint="trace it from its start with spykit.trace(), or as root")
    scope = _yama_scope()
    if not launched and scope is not None and scope >= 1:
        return TracingNotPermitted(
            f"not allowed to attach to process {pid}: /proc/sys/kernel/yama/ptrace_scope is {scope}, which "
            "only lets a process trace its own children",
            hint="launch the program under spykit.trace() instead, let the target allow you with "
                 "prctl(PR_SET_PTRACER, ...), or (on your own machine) set ptrace_scope to 0")
    if _under_seccomp():
        return TracingNotPermitted(
            f"the kernel refused to let spykit trace {what} ({os.strerror(exc.errno)}) though nothing in "
            "/proc forbids it, and this process runs under a seccomp filter (Seccomp: 2 in /proc/self/status): "
            "a container's seccomp profile that forbids ptrace", hint=_CONTAINER_HINT)
    return TracingNotPermitted(
        f"the kernel refused to let spykit trace {what} ({os.strerror(exc.errno)}), though it is running, "
        "has no other tracer and (as far as /proc shows) may be traced by this user: a security module "
        "(AppArmor, SELinux) or the container may forbid ptrace",
        hint=_CONTAINER_HINT)


LINGER = 0.25  # seconds the program's leftover children get to finish once the program has exited


def _linger(tracer: Tracer, stop: Callable[[], None]) -> None:
    """The program exited but some of its children still run: give them a moment, then stop.

    Whatever is still running afterwards is killed by the caller, so a background child that
    would run for ever cannot keep the trace open. The moment lets a child that was just about to
    exit do so on its own, and be recorded as it really ended.
    """
    tracer.root_gone = False
    timer = threading.Timer(LINGER, stop)
    timer.start()
    try:
        tracer.run()
    finally:
        timer.cancel()


def trace(
    cmd: str | Sequence[str | os.PathLike[str]],
    *,
    syscalls: str | Iterable[str] | None = None,
    follow_forks: bool = True,
    capture_output: bool = False,
    input: bytes | str | None = None,
    stdin: Redirect = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    string_limit: int = 32,
    max_events: int | None = None,
    decode_fds: bool = False,
    seccomp: bool = True,
    pin_cpu: bool = True,
    wait_for_descendants: bool = False,
    data_limit: int = DATA_LIMIT,
    stdout: Redirect = None,
    stderr: Redirect = None,
) -> Trace:
    """Run ``cmd`` to the end under ptrace and return its system calls as a :class:`Trace`.

    ``cmd`` is a list of arguments, or a string split as a shell splits words (no shell runs it).
    Every child process and thread is followed (``follow_forks``), and every execve.

    ``syscalls`` selects calls by name and by strace class (``"%file"``, ``"%network"``,
    ``"%process"``, ``"%signal"``, ``"%desc"``, ``"%memory"``); ``"open"`` also selects ``openat``.
    With a selection a seccomp filter stops only those calls, so the rest run at full speed
    (``seccomp=False`` filters in the tracer instead). The filter is used only with
    ``follow_forks``: children and threads inherit it, and in one nobody traces every call it
    selects would fail with ENOSYS.

    ``stdin``, ``stdout``, ``stderr``, ``input``, ``env``, ``cwd`` and ``capture_output`` mean
    what they mean in :func:`subprocess.run`, as for every spykit function that runs a program
    (see :func:`spykit.launch.prepare`): the program's output goes where it would without
    tracing unless ``stdout``/``stderr`` say otherwise; captured output (``capture_output=True``
    or ``subprocess.PIPE``) is in ``trace.stdout``/``trace.stderr``; ``input`` (bytes or str)
    is fed to its stdin.

    ``timeout`` (seconds), Ctrl-C or an error stop tracing: the program and everything it
    started are killed and reaped, and :class:`~spykit.TraceInterrupted` is raised with the trace
    recorded so far in its ``trace`` attribute. ``max_events`` caps the rows kept (the per-call
    ``counts`` stay exact). ``decode_fds`` shows fds in ``args`` as ``strace -y`` does
    (``3</etc/hostname>``); the ``path`` column always says what an fd points to. ``pin_cpu``
    keeps tracer and program on one CPU while the program is single-threaded, which makes tracing
    several times faster on virtual machines; the program does not see it (asked for its CPUs, or at
    its first thread, every tracee gets them back).

    When the program exits, the children it leaves running (a daemon that double-forked, a
    background job) get a quarter of a second to end, and are then killed by spykit: the trace
    shows their end as ``killed by SIGKILL (spykit ended it: ...)`` (an event with ``how`` =
    ``"spykit"``), ``processes()`` marks them ``ended_by_spykit`` and ``meta.ended_by_spykit``
    lists them. ``wait_for_descendants=True`` waits for every followed descendant instead, as
    strace does (``timeout`` still applies).

    ``string_limit`` cuts strings and buffers in the strace-style ``args`` text only (strace's
    ``-s``). ``data_limit`` is how many bytes of each data call (read, write, send*, recv* and
    their vector forms) the ``data`` column keeps, up to a budget of 64 MiB per trace; beyond it
    calls keep their sizes and ``data_complete`` says their bytes were cut.
    """
    return _trace(_build, cmd,
                  syscalls=syscalls, follow_forks=follow_forks, capture_output=capture_output, input=input,
                  stdin=stdin, stdout=stdout, stderr=stderr, env=env, cwd=cwd, timeout=timeout,
                  string_limit=string_limit, max_events=max_events, decode_fds=decode_fds, seccomp=seccomp,
                  pin_cpu=pin_cpu, wait_for_descendants=wait_for_descendants, data_limit=data_limit)


def _trace(
    build: Callable[[Recorder, TraceMeta], Any],
    cmd: str | Sequence[str | os.PathLike[str]],
    *,
    syscalls: str | Iterable[str] | None = None,
    follow_forks: bool = True,
    capture_output: bool = False,
    input: bytes | str | None = None,
    stdin: Redirect = None,
    stdout: Redirect = None,
    stderr: Redirect = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    string_limit: int = 32,
    max_events: int | None = None,
    decode_fds: bool = False,
    seccomp: bool = True,
    pin_cpu: bool = True,
    wait_for_descendants: bool = False,
    data_limit: int = DATA_LIMIT,
) -> Any:
    """``trace``, with ``build`` making its result from the recording (a Trace, or plain rows for text)."""
    run = prepare(cmd, stdin=stdin, stdout=stdout, stderr=stderr, input=input, env=env, cwd=cwd,
                  timeout=timeout, capture_output=capture_output)
    _check_limits(string_limit, data_limit)
    selected, spec = _selection(syscalls)
    # A seccomp filter is inherited by every child and thread, and a call it stops in a process
    # nobody traces fails with ENOSYS: so only when every descendant is followed (strace, too,
    # drops --seccomp-bpf without -f). Without it the selection is applied in the tracer: slower,
    # same rows.
    use_filter = selected is not None and seccomp and follow_forks
    rec = Recorder(max_events)
    tracer = Tracer(rec, selected=selected, seccomp=use_filter, string_limit=string_limit,
                    follow_forks=follow_forks, data_limit=data_limit)
    if pin_cpu:
        tracer.follow_affinity_calls()  # the program must not see the one CPU it is pinned to
    # (`prepared` lives until we return: the C launcher's child reads it until its execve)
    prepared = PreparedFilter(tracer.stopped_numbers(), tracer.stopped_i386_numbers()) if use_filter else None
    meta = TraceMeta(command=run.argv, start_time=_time.time(), selection=spec, string_limit=string_limit,
                     decode_fds=decode_fds, data_limit=data_limit)

    def stop() -> None:
        kill_to_stop(tracer)

    def in_tracer_thread(watch: Watch) -> tuple[_Child, bool, BaseException | None]:
        return _trace_launched(watch, run, stdio, tracer, _CpuPin(pin_cpu), prepared, stop, wait_for_descendants)

    with run.stdio() as stdio:
        (child, stopped_early, error), why = run_in_tracer_thread(in_tracer_thread, stop, seconds=run.timeout)
        meta.stdout, meta.stderr = stdio.collect()
    # Ctrl-C counts even while the program's leftover children are given their moment (_linger);
    # the timeout only if it came before the program ended.
    interrupted = why if isinstance(why, KeyboardInterrupt) or stopped_early else error
    meta.pid = child.pid
    meta.elapsed = _time.monotonic() - tracer.t0
    meta.ended_by_spykit = list(tracer.ended_processes)
    meta.returncode = _returncode(tracer.root_status)
    failure = child.failure() if interrupted is None else None
    child.close()
    reason = "interrupted (Ctrl-C)" if isinstance(interrupted, KeyboardInterrupt) else str(interrupted)
    return _finish(build, rec, meta, failure=failure, interrupted=interrupted,
                   message=f"tracing of {run.argv[0]} stopped early: {reason}; the program and its children "
                           "were killed")


class _Child:
    """The program, started stopped before its execve: its pid, the pipe on which a failed
    execve reports its errno, and what the C launcher needs kept until the program has exec'd."""

    def __init__(self, path: str, pid: int, errpipe: int, keep: Any):
        self.path, self.pid, self.errpipe, self.keep = path, pid, errpipe, keep

    def failure(self) -> SpykitError | None:
        """Why execve failed, read once from the pipe; None if it worked (or was already read)."""
        if self.errpipe < 0:
            return None
        err = exec_error(self.errpipe, self.path)  # (closes the pipe)
        self.errpipe = -1
        return err

    def close(self) -> None:
        if self.errpipe >= 0:
            os.close(self.errpipe)
            self.errpipe = -1

    def release(self) -> None:
        """The program has exec'd or been reaped: the launcher's memory can go."""
        if self.keep is not None:
            self.keep.release()
            self.keep = None


class _CpuPin:
    """Tracer and program on one CPU while the program is single-threaded (trace's ``pin_cpu``).

    One CPU for both makes every stop cheaper (no cross-CPU wake-up), and processes that run one
    after another (a shell loop) lose nothing. Threads run side by side, so the program's first
    thread lets the whole tree spread over the CPUs again. Only the tracer thread is pinned
    (sched_setaffinity(0) is a thread's own), never the caller's other threads.
    """

    def __init__(self, wanted: bool):
        self.cpus: set[int] | None = None
        self.saved: set[int] | None = None
        if wanted:
            allowed = os.sched_getaffinity(0)
            if len(allowed) > 1:
                self.cpus, self.saved = {min(allowed)}, allowed

    def pin(self, tracer: Tracer) -> None:
        """Pin the tracer thread (the program was started pinned), and unpin all at the first thread."""
        if self.cpus is None:
            return
        os.sched_setaffinity(0, self.cpus)
        tracer.on_first_thread = lambda: self._unpin(tracer)

    def _unpin(self, tracer: Tracer) -> None:
        for tid in list(tracer.tgid):
            try:
                os.sched_setaffinity(tid, self.saved)
            except OSError:
                pass
        os.sched_setaffinity(0, self.saved)

    def restore(self, tracer: Tracer) -> None:
        tracer.on_first_thread = None  # (a closure over the tracer: the pair would wait for the GC)
        if self.saved is not None:
            os.sched_setaffinity(0, self.saved)


def _trace_launched(watch: Watch, run: Prepared, stdio: Stdio, tracer: Tracer, pin: _CpuPin,
                    prepared: PreparedFilter | None, stop: Callable[[], None],
                    wait_for_descendants: bool) -> tuple[_Child, bool, BaseException | None]:
    """In the tracer thread: start the program, trace it, and leave nothing running.

    Returns the started program, whether the trace was stopped before the program ended (by the
    caller: a timeout or Ctrl-C), and the error that cut it short, if any. A SpykitError (it could
    not start, ptrace was refused) is raised once the program is gone.
    """
    child = _Child(run.executable, *spawn_stopped(
        run.executable, run.argv, run.env, cwd=run.cwd, stdin=stdio.stdin, stdout=stdio.stdout,
        stderr=stdio.stderr, cpus=pin.cpus, seccomp=prepared))
    tracer.root = child.pid
    stopped_early = False
    error: BaseException | None = None
    try:
        _await_stop(child)
        pin.pin(tracer)
        _seize(tracer, child.pid, child.pid, launched=True)
        tracer.t0 = _time.monotonic()
        os.kill(child.pid, signal.SIGCONT)  # off it goes, to execve
        watch.arm()  # the timeout counts from here
        stopped_early = _run_to_the_end(tracer, stop, wait_for_descendants)
    except SpykitError:
        tracer.kill_all()
        child.close()
        raise
    except BaseException as exc:
        error = exc
    finally:
        if tracer.tgid:
            tracer.kill_all()
        child.release()
        pin.restore(tracer)
    return child, stopped_early, error


def _await_stop(child: _Child) -> None:
    """Wait for the new program's SIGSTOP; if it exited instead, raise why it could not start."""
    _, status = os.waitpid(child.pid, os.WUNTRACED)
    if not os.WIFSTOPPED(status):
        raise child.failure() or SpykitError(f"{child.path}: could not be started")


def _seize(tracer: Tracer, tid: int, pid: int, *, launched: bool) -> bool:
    """PTRACE_SEIZE thread ``tid`` of process ``pid`` and adopt it; False if that thread (not the
    process) exited meanwhile. A refusal becomes the error that says why, read from /proc while the
    process is still there; a program spykit launched is then ended."""
    try:
        L.ptrace(L.PTRACE_SEIZE, tid, 0, tracer.options())
    except OSError as exc:
        if exc.errno == errno.ESRCH and not launched:
            if tid != pid:
                return False  # a thread that just exited
            raise NoSuchProcess(f"process {pid} exited before spykit could attach") from None
        refused = _not_permitted(pid, exc, launched=launched)
        if launched:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        raise refused from None
    tracer.adopt(tid, pid)
    return True


def _seize_all_threads(tracer: Tracer, pid: int) -> None:
    """Seize every thread of a running process and stop each (PTRACE_INTERRUPT) to start tracing it.
    Threads can appear while we attach: repeat until none is new."""
    seen: set[int] = set()
    while new := [t for t in procfs.list_threads(pid) if t not in seen]:
        for tid in new:
            seen.add(tid)
            if _seize(tracer, tid, pid, launched=False):
                L.ptrace(L.PTRACE_INTERRUPT, tid, 0, 0)


def _run_to_the_end(tracer: Tracer, stop: Callable[[], None], wait_for_descendants: bool) -> bool:
    """Trace until the program exits, then until its leftover children end (all of them with
    ``wait_for_descendants``, else for :data:`LINGER`). True if the caller stopped it early."""
    tracer.run()
    if tracer.stop_requested or not tracer.tgid:
        return tracer.stop_requested
    if wait_for_descendants:
        tracer.root_gone = False
        tracer.run()  # until the last one ends (or the timeout, or Ctrl-C)
        return tracer.stop_requested
    _linger(tracer, stop)
    return False


def _returncode(status: int | None) -> int | None:
    """A wait status as subprocess's returncode: the exit code, or minus the signal that killed it."""
    return None if status is None else os.waitstatus_to_exitcode(status)


def _finish(build: Callable[[Recorder, TraceMeta], Any], rec: Recorder, meta: TraceMeta, *,
            failure: SpykitError | None, interrupted: BaseException | None, message: str) -> Any:
    """The result built from what was recorded; or an error that carries it in ``.trace``:
    ``failure`` (the program could not start) as it is, ``interrupted`` as TraceInterrupted."""
    result = build(rec, meta)
    if failure is not None:
        failure.trace = result
        raise failure
    if interrupted is not None:
        raise TraceInterrupted(message, hint="the calls recorded so far are in the exception's .trace attribute",
                               trace=result) from interrupted
    return result


def _check_pid(pid: object) -> int:
    if isinstance(pid, bool) or not isinstance(pid, int | str):
        raise ValueError(f"pid must be a positive whole number, not {pid!r}")
    try:
        value = int(pid)
    except ValueError:
        raise ValueError(f"pid must be a positive whole number, not {pid!r}") from None
    if value <= 0:
        raise ValueError(f"pid must be a positive whole number, not {value}")
    if not procfs.exists(value):
        raise NoSuchProcess(f"no process with pid {value}", hint="list processes with `ps -e` or psutil")
    if _is_kernel_thread(value):
        raise TracingNotPermitted(f"pid {value} is a kernel thread: it runs inside the kernel and makes no "
                                  "system calls, so nobody can trace it, not even root",
                                  hint="pick a program's process (see `ps -e`; kernel threads show in [brackets])")
    if _status(value).get("State", "")[:1] in ("Z", "X"):
        raise _not_permitted(value, OSError(errno.EPERM, "exited"), launched=False)
    own = os.getpid()
    if value == own or read_tgid(value) == own:
        raise SpykitError(f"pid {value} is spykit's own process: a process cannot trace itself",
                          hint="use the %%strace cell magic to trace code in this kernel")
    return value


PF_KTHREAD = 0x00200000  # include/linux/sched.h: the task is a kernel thread


def _is_kernel_thread(pid: int) -> bool:
    try:
        return bool(procfs.stat(pid).flags & PF_KTHREAD)
    except procfs.VANISHED:
        return False


def _check_limits(string_limit: int, data_limit: int) -> None:
    """``trace``'s and ``attach``'s limits: whole numbers, 0 or more."""
    def whole(value: object) -> bool:
        return isinstance(value, Integral) and not isinstance(value, bool) and value >= 0

    if not whole(string_limit):
        raise InvalidArgument(f"string_limit must be a whole number, 0 or more (strace's -s), not {string_limit!r}",
                              hint="string_limit=32 shows the first 32 bytes of each string in args")
    if not whole(data_limit):
        raise InvalidArgument(f"data_limit must be a whole number of bytes, 0 or more (got {data_limit!r})",
                              hint="data_limit=4096 keeps the first 4 KiB of each read, write, send and receive; "
                                   "0 keeps none")


def attach(
    pid: int,
    *,
    duration: float | None = None,
    stop_event: threading.Event | None = None,
    syscalls: str | Iterable[str] | None = None,
    follow_forks: bool = True,
    string_limit: int = 32,
    max_events: int | None = None,
    decode_fds: bool = False,
    seccomp: bool = False,
    data_limit: int = DATA_LIMIT,
) -> Trace:
    """Trace a running process (all its threads), like ``strace -p``, then detach.

    Tracing lasts ``duration`` seconds, until ``stop_event`` is set, until the process exits, or
    until Ctrl-C; then every thread is detached and keeps running exactly as before (a stopped
    one stays stopped). The selection is applied in the tracer: a seccomp filter cannot be
    removed, and after detaching it would break every call it selected, so ``seccomp=True`` is
    refused here. ``string_limit`` and ``data_limit`` are as for :func:`trace`.

    The process may be a child of the caller (``subprocess.Popen(...)`` then ``attach(p.pid)``):
    its exit status is left to the caller, so ``p.wait()`` afterwards gives the real one.
    """
    _check_limits(string_limit, data_limit)
    if seccomp:
        raise SpykitError("a seccomp filter cannot be used when attaching",
                          hint="it would stay in the process after detaching and make its calls fail with "
                               "ENOSYS; attach without seccomp (the default)")
    pid = _check_pid(pid)
    selected, spec = _selection(syscalls)
    command = [a for a in procfs.cmdline(pid) if a]
    meta = TraceMeta(command=command or [f"<pid {pid}>"], start_time=_time.time(), selection=spec,
                     string_limit=string_limit, pid=pid, attached=True, decode_fds=decode_fds,
                     data_limit=data_limit)
    rec: Recorder | None = None
    outcome: Attached | None = None
    scope = _yama_scope()
    # (under Yama's ptrace_scope 1 only the child's ancestors may trace it, not a helper beside it)
    helper_may_trace = scope is None or scope == 0 or os.geteuid() == 0
    if helper_may_trace and _waitable_by_us(pid):
        # The tracer's wait would reap our own child (the kernel counts every thread of the
        # parent's process as its parent): trace it from a helper process, as %%strace does.
        from .attachhelper import HelperRefused, attach_from_helper

        try:
            rec, outcome = attach_from_helper(pid, selection=spec, follow_forks=follow_forks,
                                              string_limit=string_limit, data_limit=data_limit,
                                              max_events=max_events, duration=duration, stop_event=stop_event)
        except HelperRefused:
            # Yama's ptrace_scope 1 (Ubuntu, Binder) lets only the parent's line trace it, not a
            # helper beside it: trace here, where a child is let go at its exit stop instead.
            rec = None
    if rec is None:
        rec = Recorder(max_events)
        outcome = attach_here(pid, rec, selected=selected, follow_forks=follow_forks, string_limit=string_limit,
                              data_limit=data_limit, duration=duration, stop_event=stop_event)
    assert outcome is not None
    meta.elapsed = outcome.elapsed
    meta.returncode = _returncode(outcome.root_status)
    return _finish(_build, rec, meta, failure=None, interrupted=KeyboardInterrupt() if outcome.interrupted else None,
                   message=f"tracing of process {pid} interrupted; it was detached and keeps running")


def _waitable_by_us(pid: int) -> bool:
    """Whether this process could wait for ``pid``: its parent is us (by way of any thread)."""
    from .loop import _parent_of

    return _parent_of(pid) == os.getpid()


@dataclass
class Attached:
    """How an attach ended: seconds traced, the process's wait status if it ended, Ctrl-C."""

    elapsed: float
    root_status: int | None
    interrupted: bool


def attach_here(pid: int, rec: Recorder, *, selected: set[int] | None, follow_forks: bool, string_limit: int,
                duration: float | None, stop_event: threading.Event | None, data_limit: int = DATA_LIMIT) -> Attached:
    """Attach to every thread of ``pid`` from a thread of this process, trace, and detach."""
    tracer = Tracer(rec, selected=selected, seccomp=False, string_limit=string_limit,
                    follow_forks=follow_forks, attached=True, data_limit=data_limit)
    tracer.root = pid
    bell = Bell(tracer)

    def attach_and_trace(watch: Watch) -> None:
        """In the tracer thread: seize every thread, trace, and detach from all of them."""
        bell.install()  # a child of this thread, so that its exit wakes this thread's waitpid
        try:
            _seize_all_threads(tracer, pid)
            tracer.t0 = _time.monotonic()
            watch.arm()  # the duration counts from here
            tracer.run()
        finally:
            if tracer.tgid:
                tracer.detach_all()
            bell.remove()

    _, why = run_in_tracer_thread(attach_and_trace, bell.ring, seconds=duration, stop_event=stop_event)
    return Attached(elapsed=_time.monotonic() - tracer.t0, root_status=tracer.root_status,
                    interrupted=isinstance(why, KeyboardInterrupt))


__all__ = ["attach", "trace"]
