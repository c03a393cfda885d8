"""The tracer: one thread, one blocking ``waitpid(-1, __WALL | __WNOTHREAD)`` loop.

Every ptrace request must come from the thread that attached, so the whole loop runs in the
thread that seized the tracees (for ``trace``/``attach``, a thread of its own: see runner.py;
``__WNOTHREAD`` keeps the wait off other threads' children). At each stop it does the least it
can: ask the kernel whether this is a syscall entry or exit (PTRACE_GET_SYSCALL_INFO, which never
gets confused, unlike counting stops), append numbers to the recorder's columns, read the memory
that can change before the next stop, and resume. Decoding happens later, off the hot path.

ptrace corner cases handled here (ptrace(2), and strace's source, are the references):
- a new child may report its first stop before its parent's fork event: we adopt it on sight;
- a non-leader thread calling execve takes over the leader's tid; the exec event tells us the
  former tid (PTRACE_GETEVENTMSG), whose open syscall row moves over;
- group-stops (SIGSTOP, SIGTSTP...) are reported as PTRACE_EVENT_STOP under PTRACE_SEIZE and are
  resumed with PTRACE_LISTEN, so the tracee stays stopped until someone sends SIGCONT;
- signal-delivery-stops re-inject the signal, so the program gets every signal it was sent;
- the tracee can vanish (SIGKILL) between any two requests: ESRCH is expected, never fatal;
- a tracee whose real parent is in the tracer's own process (``attach`` to a child of the caller)
  would be reaped by the tracer's wait, and its parent's wait would find nothing: such a process is
  let go at its exit stop (PTRACE_O_TRACEEXIT), before it is a zombie, so its status reaches its parent.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import os
import signal
import struct
import time
from collections.abc import Callable, Iterator

from .. import procfs
from ..syscalls import abi as A
from ..syscalls import captures as C
from ..syscalls.table import MAX_SYSCALL, SYSCALL_NUMBERS, syscall_name
from . import linux as L
from . import live, native
from .capture import DataLimit, make_reader, sockaddr_len_before, string_cap
from .fdtable import FdTable
from .memory import MemoryReader
from .recorder import ENTRY_SLICE, EXIT_SLICE, Recorder

# The optional C inner loop (built at install when a compiler is there). This file stays the
# reference: every stop the C loop does not handle itself comes back here, and
# SPYKIT_PURE_PYTHON=1 runs everything here.
_fastloop = native.load("_fastloop")

# Calls that cannot change the calling process's memory map: across them, pages the C loop has
# seen readable stay readable (see "known pages" in _fastloop.c). Any other call forgets them.
KEEPS_MEMORY_MAP = frozenset({
    "read", "write", "pread64", "pwrite64", "readv", "writev", "lseek", "close", "openat", "fcntl", "fstat",
    "newfstatat", "getppid", "getpid", "gettid", "clock_gettime", "gettimeofday", "nanosleep", "clock_nanosleep",
    "poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "sendto", "recvfrom", "getrandom", "fsync",
    "fdatasync",
})
_STOP_SIGNALS = frozenset({signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU})
_TABLE_SIZE = max(MAX_SYSCALL + 1, 1024)
_unpack_args = struct.Struct("<6Q").unpack_from  # the six arguments, at offset 32 of the info
_unpack_exit = struct.Struct("<q?").unpack_from  # rval and is_error, at offset 24
_SKIPPED = (-1, None, None, None)  # a pending call that is not recorded
MARKER_SYSCALL = 110  # getppid: harmless, ignores its arguments, so an argument can carry a mark
MARKER_START = 0x5350594B49540001  # "SPYKIT" 1
MARKER_END = 0x5350594B49540002


def _signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"SIG{sig}" if sig < 34 else f"SIGRT_{sig - 34}"


def _parent_of(pid: int) -> int | None:
    """The real parent's process id (PPid in /proc/PID/status), or None when unreadable."""
    try:
        return procfs.ppid(pid)
    except (*procfs.VANISHED, ValueError):
        return None


def rec_abi(rec: Recorder, row: int) -> int:
    """The table of a recorded row's call (x86_64 unless the sparse abi column says otherwise)."""
    for i in range(len(rec.abi_row) - 1, -1, -1):
        if rec.abi_row[i] == row:
            return rec.abi_val[i]
        if rec.abi_row[i] < row:
            break
    return A.X86_64


def read_tgid(tid: int) -> int:
    """The process a thread belongs to (Tgid in /proc/TID/status); ``tid`` itself when unreadable."""
    try:
        return procfs.tgid(tid)
    except (*procfs.VANISHED, ValueError):
        return tid


# sched_setaffinity, sched_getaffinity (x86_64): see Tracer.follow_affinity_calls
_AFFINITY_CALLS = frozenset({203, 204})

class _CallPlan:
    """Per-syscall-number precomputed work, so the hot path does list lookups only."""

    __slots__ = ("nr", "entry_caps", "exit_caps", "path_arg", "fd_arg", "returns_fd", "fd_pair", "closes",
                 "redescribes", "sockaddr_out", "needs_args", "exit_work", "closes_range", "fast", "sigframe")

    def __init__(self, nr: int, name: str, mem: MemoryReader, string_limit: int, data: DataLimit | None = None,
                 caps: tuple[C.Capture, ...] | None = None):
        self.nr = nr
        caps = C.CAPTURES.get(name, ()) if caps is None else caps

        def reader(c: C.Capture):
            return make_reader(c, mem, string_limit, data if C.is_data_capture(name, c) else None)

        # (slot, blob key, reader) for each capture, the reader specialised for its kind
        self.entry_caps = tuple((c.slot, C.blob_key(c), reader(c)) for c in caps if not c.at_exit)
        self.exit_caps = tuple((c.slot, C.blob_key(c), reader(c)) for c in caps if c.at_exit)
        self.sockaddr_out = tuple(c for c in caps if c.at_exit and c.kind == C.SOCKADDR_OUT)
        self.path_arg = C.PATH_ARG.get(name)
        self.fd_arg = C.FD_ARG.get(name)
        self.returns_fd = name in C.RETURNS_FD
        self.fd_pair = C.RETURNS_FD_PAIR.get(name)
        self.closes = name == "close"
        self.closes_range = name == "close_range"
        self.redescribes = name in C.REDESCRIBES_FD
        self.exit_work = bool(self.exit_caps or self.returns_fd or self.closes or self.redescribes
                              or self.fd_pair is not None or self.closes_range)
        # rt_sigreturn (x86_64's: foreign plans have nr -1): the mask it restores is on the stack
        self.sigframe = name == "rt_sigreturn" and nr >= 0
        self.needs_args = bool(self.entry_caps or self.exit_work or self.fd_arg is not None or self.sigframe)
        # What the C loop needs to record this call itself, or None when only Python can.
        self.fast = _fast_plan(self, caps, name, string_limit)


def _fast_capture(cap: C.Capture, name: str, string_limit: int) -> tuple | None:
    """A capture as the C loop takes it, (slot, key, size mode, size, limit), or None. The limit is
    _fastloop.CUT_STRING (cut at string_limit), CUT_DATA (at the data limit while the budget lasts)
    or 0 (a structure: never cut). A string (SIZE_STRING) is read as make_reader's readers read it
    (capture.string_cap)."""
    if cap.kind == C.DIRENTS and cap.size_arg == C.RET and cap.at_exit:
        return (cap.slot, C.blob_key(cap), _fastloop.SIZE_DIRENTS, 0, 0)
    if cap.kind in (C.PATH, C.STR):  # (never a data capture: those are buffers)
        return (cap.slot, C.blob_key(cap), _fastloop.SIZE_STRING, string_cap(cap.kind, string_limit), 0)
    if cap.kind == C.BUF and cap.size_arg is not None:
        cut = _fastloop.CUT_DATA if C.is_data_capture(name, cap) else _fastloop.CUT_STRING
        if cap.size_arg == C.RET:
            return (cap.slot, C.blob_key(cap), _fastloop.SIZE_RET, 0, cut)
        return (cap.slot, C.blob_key(cap), _fastloop.SIZE_ARG, cap.size_arg, cut)
    if cap.kind == C.FIXED:
        return (cap.slot, C.blob_key(cap), _fastloop.SIZE_FIXED, cap.size, 0)
    return None


def _fast_plan(plan: _CallPlan, caps, name: str, string_limit: int) -> dict | None:
    """The keyword arguments of ``Loop.set_plan`` for a call the C loop can record on its own:
    a row, an fd lookup, buffers of known size, strings and paths, a close, a new fd. Socket
    addresses and the other calls that change the fd table (pipes, close_range) stay in Python."""
    if _fastloop is None:
        return None
    if (plan.sockaddr_out or plan.closes_range or plan.sigframe
            or plan.redescribes or plan.fd_pair is not None):
        return None
    entry = [_fast_capture(c, name, string_limit) for c in caps if not c.at_exit]
    exit_ = [_fast_capture(c, name, string_limit) for c in caps if c.at_exit]
    if None in entry or None in exit_ or len(entry) > 4 or len(exit_) > 4:
        return None
    return {"fd_arg": -1 if plan.fd_arg is None else plan.fd_arg, "needs_args": plan.needs_args,
            "entry": tuple(entry), "exit": tuple(exit_),
            "path_slot": -1 if plan.path_arg is None else plan.path_arg, "closes": plan.closes,
            "returns_fd": plan.returns_fd}


class Tracer:
    """Runs the loop over a set of tracees and fills a Recorder."""

    def __init__(self, recorder: Recorder, *, selected: set[int] | None, seccomp: bool, string_limit: int,
                 follow_forks: bool = True, attached: bool = False, markers: bool = False,
                 data_limit: int = C.DATA_LIMIT, data_budget: int | None = None):
        self.rec = recorder
        self.mem = MemoryReader()
        self.fds = FdTable(recorder.intern)
        self.string_limit = string_limit
        # bytes a data call keeps; the budget left is one array both loops charge (the C loop reads
        # `data_limit` and `data_left` when it is made)
        self.data = DataLimit(data_limit, C.DATA_BUDGET if data_budget is None else data_budget)
        self.data_limit = data_limit
        self.data_left = self.data.left
        self.follow_forks = follow_forks
        self.seccomp = seccomp
        self.attached = attached
        self.selected = bytearray(_TABLE_SIZE)
        for nr in range(_TABLE_SIZE) if selected is None else selected:
            if 0 <= nr < _TABLE_SIZE:
                self.selected[nr] = 1
        # Calls not selected but followed anyway, unrecorded, because they change the fd table: if
        # only read and write are selected, a close and a pipe2 still change what fd 4 is.
        self.tracked = bytearray(_TABLE_SIZE)
        if selected is not None and any(syscall_name(nr) in C.USES_FDS for nr in selected):
            for name in C.FD_CHANGERS:
                nr = SYSCALL_NUMBERS.get(name)
                if nr is not None and not self.selected[nr]:
                    self.tracked[nr] = 1
        self.plans: list[_CallPlan | None] = [None] * _TABLE_SIZE
        # Calls of the i386 and x32 tables and numbers no table knows go by name: (abi, nr) ->
        # (plan or None, recorded?). `open` selected selects i386's open (5) as well.
        self.selected_names = None if selected is None else {A.call_name(A.X86_64, nr) for nr in selected}
        self.tracks_fds = any(self.tracked)
        # numbers past the table a selection names (syscall_0x1388): a seccomp filter must stop them too
        self.selected_beyond = set() if selected is None else {nr for nr in selected if _TABLE_SIZE <= nr < 1 << 32}
        self.foreign_plans: dict[tuple[int, int], tuple[_CallPlan | None, bool]] = {}
        self.tgid: dict[int, int] = {}  # every live tracee: tid -> process id
        # tid -> (row or -1, plan, args or None, sockaddr length offered) of a call in progress
        self.pending: dict[int, tuple] = {}
        self.skipped = _SKIPPED  # (the C loop stores this same object)
        self._fast = None  # the C loop, made on the first run
        self.root: int | None = None
        self.root_status: int | None = None  # waitpid status of the root process
        # A launched program is recorded from its first execve on; a cell from its start marker.
        self.markers = markers
        self.recording = attached and not markers
        # Every thread that shares a traced process's memory is traced too: so for a program we
        # launched and follow, not for a cell (only its thread is traced), nor for a process we
        # attached to (another process may share its memory, created with CLONE_VM), nor without
        # following forks. The C loop relies on it to remember which pages are readable (see
        # "known pages" in _fastloop.c).
        self.sees_every_thread = follow_forks and not attached and not markers
        # When attached from inside a process, that process's own children among the tracees are
        # let go at their exit stop, so that their parent can still wait for them (see _event_stop).
        self.parent_pid: int | None = os.getpid() if attached and not markers else None
        self.stop_requested = False
        # Tracees spykit itself sends SIGKILL (still running when the trace ends): their deaths are
        # recorded as spykit's doing (``how="spykit"``), not as if they had crashed.
        self.ending: set[int] = set()
        self.ending_reason = ""
        self.ended_processes: list[int] = []  # processes whose end was spykit's SIGKILL, in order
        self.root_gone = False  # the launched or attached process has exited: the trace is over
        self.held = 0  # a tracee whose stop the loop has consumed and not yet resumed
        self.doorbells: set[int] = set()
        self.t0 = time.monotonic()
        self.clock = time.monotonic
        self.idle = False  # the Python loop is in waitpid (see settled)
        self.waits = 0
        # Called once when the program starts its first thread (used to stop sharing one CPU).
        self.on_first_thread: Callable[[], None] | None = None
        self._info = L.SyscallInfo()
        view = memoryview(self._info).cast("B")  # raw bytes, copied into the recorder at each stop
        self._view = view
        self._entry_bytes = view[ENTRY_SLICE]
        self._exit_bytes = view[EXIT_SLICE]
        if live.watched():
            live.adopt(self)

    # -- options ------------------------------------------------------------------------------
    def follow_affinity_calls(self) -> None:
        """Stop at sched_getaffinity and sched_setaffinity even when not selected (unrecorded then).

        While tracer and program share one CPU (``pin_cpu``), the program must not see it: at the
        entry of either call ``on_first_thread`` (which gives every tracee its CPUs back) runs first,
        so the call reads, or replaces, the mask the program had untraced (``nproc`` counts them all).
        """
        for nr in _AFFINITY_CALLS:
            if not self.selected[nr]:
                self.tracked[nr] = 1

    def stopped_numbers(self) -> set[int]:
        """What a seccomp filter must stop: the selected calls, and those followed for the fd table."""
        return {nr for nr in range(_TABLE_SIZE) if self.selected[nr] or self.tracked[nr]} | self.selected_beyond

    def stopped_i386_numbers(self) -> set[int]:
        """The same for i386 calls (a filter sees their own numbers): the calls of those names."""
        names = {A.call_name(A.X86_64, nr) for nr in self.stopped_numbers() if nr < _TABLE_SIZE}
        return A.numbers_for(names, A.I386)

    def options(self) -> int:
        opts = L.PTRACE_O_TRACESYSGOOD | L.PTRACE_O_TRACEEXEC
        if self.follow_forks:
            opts |= L.PTRACE_O_TRACEFORK | L.PTRACE_O_TRACEVFORK | L.PTRACE_O_TRACECLONE
        if self.seccomp:
            opts |= L.PTRACE_O_TRACESECCOMP
        if not self.attached:
            # If the tracer dies, launched programs die with it instead of running on untraced.
            opts |= L.PTRACE_O_EXITKILL
        if self.parent_pid is not None:
            opts |= L.PTRACE_O_TRACEEXIT
        return opts

    def settled(self) -> int | None:
        """Called from another thread, holding the GIL: while the loop waits for the next stop, a
        number for this moment (the count of waits so far); else None. At such a moment the
        Recorder's columns hold every stop so far, the C loop's staged rows included (it hands them
        over here). Python may switch threads at any time, so a reader notes the columns' lengths
        and calls again: the same number means the lengths were taken at one moment."""
        fast = self._fast
        if fast is not None:
            return fast.flush_idle()
        return self.waits if self.idle else None

    def in_progress(self) -> dict[int, tuple[str, float]]:
        """Each traced thread's recorded call in progress: tid -> (name, seconds so far). For a
        live status, from any thread (a stale answer at worst). When the C loop is waiting, it
        first hands over the rows it staged: ``len(rec)`` then counts them too."""
        out: dict[int, tuple[str, float]] = {}
        now = self.clock() - self.t0
        rec = self.rec
        self.settled()  # (the rows the C loop staged reach the Recorder, if it is waiting now)
        try:
            pending = list(self.pending.items())
        except RuntimeError:  # it changed while copied: try at the next look
            return out
        if self._fast is not None:  # the C loop keeps the calls it entered itself until Python runs
            pending += [(tid, (row,)) for tid, row in self._fast.in_flight().items()]
        for tid, entry in pending:
            row = entry[0] if isinstance(entry, tuple) else -1
            if 0 <= row < len(rec):
                nr = int.from_bytes(rec.entry_raw[56 * row:56 * row + 8], "little")
                out[tid] = (A.call_name(rec_abi(rec, row), nr), now - rec.t_entry[row])
        return out

    def adopt(self, tid: int, tgid: int | None = None) -> None:
        self.tgid[tid] = tgid if tgid is not None else read_tgid(tid)

    # -- the loop --------------------------------------------------------------------------------
    def run(self) -> None:
        """Trace until every tracee is gone or a stop is requested (the caller then cleans up)."""
        # The loop makes small tuples at every stop and keeps none of them in cycles: the cyclic
        # garbage collector would only walk the growing buffers again and again.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._run()
        finally:
            self._fast = None  # the C loop refers back to us: let the pair go as soon as we are unused
            if collecting:
                gc.enable()

    def _run(self) -> None:
        waitpid = os.waitpid
        wall = L.WAIT_TRACEES
        raw = L._ptrace
        info = self._info
        info_addr = ctypes.addressof(info)
        info_size = ctypes.sizeof(info)
        SYSCALL_STOP = L.SYSCALL_STOP_SIG
        GET_INFO = L.PTRACE_GET_SYSCALL_INFO
        RESUME = L.PTRACE_CONT if self.seccomp else L.PTRACE_SYSCALL
        PTRACE_SYSCALL = L.PTRACE_SYSCALL
        clock = self.clock
        tgids = self.tgid
        entry = self._entry
        exit_ = self._exit
        fast = self._fast_loop()
        fetched = False  # the C loop already read this stop's syscall info
        while tgids and not self.stop_requested and not self.root_gone:
            if fast is not None:
                got = fast.run(self.recording, self.t0)
                if got is None:
                    break
                pid, status, fetched = got
            else:
                self.idle = True  # (see settled: every stop so far is handled)
                try:
                    pid, status = waitpid(-1, wall)
                except ChildProcessError:
                    break
                finally:
                    self.idle = False
                    self.waits += 1
            if (status & 0xFF) == 0x7F:  # stopped
                self.held = pid  # in our hands until resumed: detach_all must know
                sig = (status >> 8) & 0xFF
                if sig == SYSCALL_STOP and pid in tgids:
                    if not fetched and raw(GET_INFO, pid, info_size, info_addr) < 0:
                        # ESRCH: a SIGKILL (ours, ending the trace) took it out of the stop since
                        # waitpid reported it; `info` still holds the previous stop's, which would
                        # read as a second entry of the call it was in. Its death comes next.
                        err = ctypes.get_errno()
                        if err != errno.ESRCH:
                            raise OSError(err, f"PTRACE_GET_SYSCALL_INFO({pid}): {os.strerror(err)}")
                        self.held = 0
                        continue
                    op = info.op
                    if op == 1:
                        # (an entry already seen at a seccomp stop, on kernels before 4.8, is skipped)
                        if not (self.seccomp and pid in self.pending):
                            entry(pid, clock() - self.t0, info)
                            if self.stop_requested:
                                break  # the end marker: detach right here, from this stop
                        raw(PTRACE_SYSCALL, pid, 0, 0)
                    elif op == 2:
                        exit_(pid, clock() - self.t0, info)
                        raw(RESUME, pid, 0, 0)
                    else:
                        raw(PTRACE_SYSCALL, pid, 0, 0)
                    self.held = 0
                    continue
                self._other_stop(pid, status, sig)
                self.held = 0
            else:
                self._gone(pid, status)

    def _fast_loop(self):
        """The C loop for this tracer, or None (not built, or a seccomp filter: few stops then)."""
        if _fastloop is None or self.seccomp:
            return None
        if self._fast is None:
            fast = _fastloop.Loop(self)
            for nr in range(min(_TABLE_SIZE, len(self.rec.counts))):
                if self.markers and nr == MARKER_SYSCALL:
                    continue  # a marker may end the trace: Python's
                if not self.selected[nr] and not self.tracked[nr]:
                    fast.set_plan(nr, _fastloop.KIND_SKIP, keeps_maps=syscall_name(nr) in KEEPS_MEMORY_MAP)
                elif self.plans[nr] is not None:
                    self._teach(fast, self.plans[nr])
            self._fast = fast
        return self._fast

    def _teach(self, fast, plan: _CallPlan) -> None:
        """Let the C loop record this call number itself from now on, when it can."""
        nr = plan.nr
        if (plan.fast is not None and 0 <= nr < len(self.rec.counts) and self.selected[nr]
                and not (self.markers and nr == MARKER_SYSCALL)
                and not (nr in _AFFINITY_CALLS and self.on_first_thread is not None)):  # (Python's: it unpins)
            fast.set_plan(nr, _fastloop.KIND_FAST, plan=plan, keeps_maps=syscall_name(nr) in KEEPS_MEMORY_MAP,
                          **plan.fast)

    # -- syscall stops ---------------------------------------------------------------------------
    def _plan(self, nr: int) -> _CallPlan:
        plan = _CallPlan(nr, syscall_name(nr), self.mem, self.string_limit, self.data)
        if 0 <= nr < _TABLE_SIZE:
            self.plans[nr] = plan
            if self._fast is not None:
                self._teach(self._fast, plan)
        return plan

    def _foreign_plan(self, abi: int, nr: int) -> tuple[_CallPlan | None, bool]:
        name = A.call_name(abi, nr)
        record = self.selected_names is None or name in self.selected_names
        followed = record or (self.tracks_fds and name in C.FD_CHANGERS)
        # nr -1: the C loop finds its plans by x86_64 number, and must leave this call's exit to Python
        plan = _CallPlan(-1, name, self.mem, self.string_limit, self.data, caps=A.portable_captures(name, abi)) \
            if followed else None
        self.foreign_plans[(abi, nr)] = (plan, record)
        return plan, record

    def _entry(self, tid: int, t: float, info: L.SyscallInfo) -> None:
        nr = info.nr
        if nr == MARKER_SYSCALL and self.markers and tid == self.root:
            # %%strace brackets the cell with getppid(MARKER_START) ... getppid(MARKER_END): record only
            # between them, so none of the magic's own calls show.
            marker = info.args[0]
            if marker == MARKER_START:
                self.recording = True
                self.t0 = self.clock()
                self.pending[tid] = _SKIPPED
                return
            if marker == MARKER_END:
                self.recording = False
                self.stop_requested = True
                self.pending[tid] = _SKIPPED
                return
        if not self.recording:
            # A launched program is recorded from its first execve: what came before was ours.
            if tid == self.root and nr in (59, 322) and info.arch == A.AUDIT_ARCH_X86_64:  # execve, execveat
                self.recording = True
            else:
                self.pending[tid] = _SKIPPED
                return
        if nr in _AFFINITY_CALLS and self.on_first_thread is not None and info.arch == A.AUDIT_ARCH_X86_64:
            # the program asks for (or sets) its CPUs: give them back first (follow_affinity_calls)
            hook, self.on_first_thread = self.on_first_thread, None
            hook()
        abi = A.X86_64
        if nr >= _TABLE_SIZE or info.arch != A.AUDIT_ARCH_X86_64:
            # an i386 or x32 call, or a number no table knows: a row all the same, by name
            abi = A.abi_of(info.arch, nr)
            plan, record = self.foreign_plans.get((abi, nr)) or self._foreign_plan(abi, nr)
            if not record:
                self.pending[tid] = _SKIPPED if plan is None else (-1, plan, _unpack_args(self._view, 32), None)
                return
        elif not self.selected[nr]:
            if self.tracked[nr]:
                plan = self.plans[nr] or self._plan(nr)
                self.pending[tid] = (-1, plan, _unpack_args(self._view, 32), None)
            else:
                self.pending[tid] = _SKIPPED
            return
        else:
            plan = self.plans[nr] or self._plan(nr)
        rec = self.rec
        tgid = self.tgid[tid]
        row = rec.start_row(t, tid, tgid, nr, self._entry_bytes, abi)
        if row < 0 or not plan.needs_args:
            self.pending[tid] = (row, plan, None, None)
            return
        args = _unpack_args(self._view, 32)
        before = None
        if plan.sigframe:  # the signal frame's uc_sigmask, at the stack pointer (the handler returned)
            rec.add_blob(row, 0, self.mem.read(tid, info.stack_pointer + C.SIGFRAME_MASK_OFFSET, 8))
        for slot, key, reader in plan.entry_caps:
            if args[slot]:
                blob = reader(tid, args, None, None)
                rec.add_blob(row, key, blob)
                if slot == plan.path_arg and blob is not None:
                    rec.set_path(row, rec.intern(blob.decode("utf-8", "surrogateescape")))
        for cap in plan.sockaddr_out:
            if args[cap.slot]:
                before = sockaddr_len_before(self.mem, tid, cap, args)
        if plan.fd_arg is not None:
            fd = args[plan.fd_arg]
            if fd < (1 << 31):
                rec.set_fd(row, fd, self.fds.lookup(tgid, tid, fd))
        self.pending[tid] = (row, plan, args, before)

    def _exit(self, tid: int, t: float, info: L.SyscallInfo) -> None:
        pending = self.pending.pop(tid, None)
        if pending is None:
            return  # the exit of a call that started before we attached
        row, plan, args, before = pending
        if row < 0:
            if args is None:
                return  # not recorded, and no fd bookkeeping to do
        else:
            self.rec.finish_row(row, t, self._exit_bytes)
        if not plan.exit_work:
            return
        rec = self.rec
        rval, is_error = _unpack_exit(self._view, 24)
        if is_error:
            if plan.redescribes and rval == -errno.EINPROGRESS:
                # a non-blocking connect: the socket already has its peer, describe it now
                desc = self.fds.refresh(self.tgid.get(tid, tid), tid, args[0])
                if row >= 0:
                    rec.set_fd(row, args[0], desc)
            return
        tgid = self.tgid.get(tid, tid)
        if row >= 0:
            for slot, key, reader in plan.exit_caps:
                if args[slot]:
                    rec.add_blob(row, key, reader(tid, args, rval, before))
        if plan.returns_fd:
            desc = self.fds.refresh(tgid, tid, rval)
            if row >= 0:
                rec.set_fd(row, rval, desc)
        elif plan.closes:
            self.fds.close(tgid, args[0])
        elif plan.closes_range:
            self.fds.close_range(tgid, args[0], args[1])
        elif plan.redescribes:
            desc = self.fds.refresh(tgid, tid, args[0])
            if row >= 0:
                rec.set_fd(row, args[0], desc)
        elif plan.fd_pair is not None:
            raw = self.mem.read(tid, args[plan.fd_pair], 8)
            if raw and len(raw) == 8:
                for fd in (int.from_bytes(raw[:4], "little", signed=True),
                           int.from_bytes(raw[4:], "little", signed=True)):
                    self.fds.refresh(tgid, tid, fd)

    # -- everything that is not a syscall stop ------------------------------------------------------
    def _resume(self, tid: int, sig: int = 0, request: int | None = None) -> None:
        if request is None:
            # Under a seccomp filter we only need syscall stops to see the exit of a call we are
            # recording (an execve or clone interrupted by its event stop, a read by a signal).
            request = L.PTRACE_SYSCALL if not self.seccomp or tid in self.pending else L.PTRACE_CONT
        try:
            L.ptrace(request, tid, 0, sig)
        except OSError as exc:
            if exc.errno != errno.ESRCH:  # gone meanwhile (SIGKILL): its exit is coming
                raise

    def _now(self) -> float:
        return self.clock() - self.t0

    def _other_stop(self, tid: int, status: int, sig: int) -> None:
        event = status >> 16
        if tid not in self.tgid:
            if tid in self.doorbells:
                return
            # A new child reporting before its parent's fork event: adopt it now.
            self.adopt(tid)
            self._resume(tid)
            return
        if sig == signal.SIGTRAP and event:
            self._event_stop(tid, event)
            return
        if event == L.PTRACE_EVENT_STOP:
            if sig in _STOP_SIGNALS:
                # group-stop: record it, and let it stay stopped until SIGCONT (no spurious continue).
                if self.recording:
                    self.rec.add_event(self._now(), tid, "stop", signal=_signame(sig),
                                       text=f"--- stopped by {_signame(sig)} ---")
                self._resume(tid, 0, L.PTRACE_LISTEN)
            else:
                self._resume(tid)  # PTRACE_INTERRUPT, or the first stop of a new child
            return
        # signal-delivery-stop: show it, then deliver it.
        # (Under PTRACE_SEIZE group-stops come as PTRACE_EVENT_STOP above, so this is one; if its
        # siginfo cannot be read the tracee is going away, and the signal is still passed on.)
        siginfo = L.get_siginfo(tid)
        if self.recording:
            text = _signal_text(sig, siginfo) if siginfo is not None else f"--- {_signame(sig)} ---"
            self.rec.add_event(self._now(), tid, "signal", signal=_signame(sig),
                               how=str(siginfo.si_code) if siginfo is not None else None, text=text)
        self._resume(tid, sig)

    def _event_stop(self, tid: int, event: int) -> None:
        if event == L.PTRACE_EVENT_EXIT:
            # (only with parent_pid) The tracer is a thread of the same process as a tracee's real
            # parent, so its wait would reap the tracee: the kernel treats the two as one. Let a
            # child of that process go now, while it exits; the exit is recorded from the status.
            if self.tgid.get(tid) == tid and _parent_of(tid) == self.parent_pid:
                status = L.get_event_msg(tid)
                try:
                    L.ptrace(L.PTRACE_DETACH, tid, 0, 0)
                except OSError as exc:
                    if exc.errno != errno.ESRCH:
                        raise
                self._gone(tid, status)
                return
            self._resume(tid)
            return
        if event == L.PTRACE_EVENT_SECCOMP:
            # The filter picked this call. Since Linux 4.8 this stop comes first, and as we resumed
            # with PTRACE_CONT no syscall-entry stop follows: this stop is the entry (its info has
            # nr and args, op 3). PTRACE_SYSCALL then brings the exit stop.
            info = self._info
            try:
                op = L.get_syscall_info(tid, info)
            except OSError as exc:
                if exc.errno != errno.ESRCH:
                    raise
                return  # killed since the stop was reported (see _run): its death comes next
            if op == L.SYSCALL_INFO_SECCOMP:
                self._entry(tid, self._now(), info)
            self._resume(tid, 0, L.PTRACE_SYSCALL)
            return
        if event in (L.PTRACE_EVENT_FORK, L.PTRACE_EVENT_VFORK, L.PTRACE_EVENT_CLONE):
            child = L.get_event_msg(tid)
            parent_tgid = self.tgid[tid]
            if event != L.PTRACE_EVENT_CLONE:
                child_tgid = child  # fork and vfork always make a new process
            elif child in self.tgid:
                child_tgid = self.tgid[child]  # it reported first and was adopted: already read
            else:
                child_tgid = read_tgid(child)  # a clone: a thread or a process, /proc says which
            if event == L.PTRACE_EVENT_CLONE and child_tgid == parent_tgid:
                how = "thread"
            else:
                how = {L.PTRACE_EVENT_FORK: "fork", L.PTRACE_EVENT_VFORK: "vfork"}.get(event, "clone")
            self.tgid[child] = child_tgid
            if how != "thread":
                self.fds.fork(parent_tgid, child_tgid)
            if self.recording:
                self.rec.add_event(self._now(), tid, "spawn", child=child, how=how)
            if how == "thread" and self.on_first_thread is not None:
                hook, self.on_first_thread = self.on_first_thread, None
                hook()
        elif event == L.PTRACE_EVENT_EXEC:
            self.recording = True  # under a seccomp filter that skips execve, this is the first sign
            former = L.get_event_msg(tid)
            if former != tid:
                # A non-leader thread ran execve: it now has the leader's tid; the other threads
                # (the old leader included) are gone without an exit report.
                moved = self.pending.pop(former, None)
                # The old leader's own call (if any) never returns: its row stays unfinished.
                self.pending.pop(tid, None)
                if moved is not None:
                    self.pending[tid] = moved
                self.tgid.pop(former, None)
            tgid = self.tgid.get(tid, tid)
            for other in [t for t, g in self.tgid.items() if g == tgid and t != tid]:
                self.tgid.pop(other, None)
                self.pending.pop(other, None)
            self.fds.forget(tgid)
            if self.recording:
                try:
                    exe = procfs.exe(tid)
                except procfs.VANISHED:
                    exe = ""
                # `child`: the thread that ran execve, when it was not the leader (its tid is gone now)
                self.rec.add_event(self._now(), tid, "exec", child=former if former != tid else None, text=exe)
        self._resume(tid)

    def _gone(self, tid: int, status: int) -> None:
        if tid in self.doorbells:
            self.doorbells.discard(tid)
            return
        if tid not in self.tgid:
            return
        # A call still pending keeps done=0 in its row: shown as unfinished ("= ?").
        self.pending.pop(tid, None)
        tgid = self.tgid.pop(tid)
        if os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            self.rec.add_event(self._now(), tid, "exit", status=code, text=f"+++ exited with {code} +++")
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGKILL and tid in self.ending:
                if tgid == tid:
                    self.ended_processes.append(tid)
                self.rec.add_event(self._now(), tid, "killed", signal="SIGKILL", how="spykit",
                                   text=f"+++ killed by SIGKILL (spykit ended it: {self.ending_reason}) +++")
            else:
                core = " (core dumped)" if os.WCOREDUMP(status) else ""
                self.rec.add_event(self._now(), tid, "killed", signal=_signame(sig),
                                   text=f"+++ killed by {_signame(sig)}{core} +++")
        if tid == self.root:
            # Descendants that outlive the command are not waited for: the caller kills them
            # (launched) or lets them go (attached).
            self.root_status = status
            self.root_gone = True

    # -- leaving -------------------------------------------------------------------------------------
    def kill_all(self, reason: str | None = None) -> None:
        """Kill every tracee and reap it: nothing is left stopped, traced or orphaned. ``reason``
        (why spykit ends them) goes into the record of each death."""
        tids = list(self.tgid)
        self.mark_ending(tids, reason)
        for tgid in {self.tgid[t] for t in tids}:
            try:
                os.kill(tgid, signal.SIGKILL)
            except OSError:
                pass
        for tid in tids:
            try:
                os.kill(tid, signal.SIGKILL)
            except OSError:
                pass
        self._reap_all(tids)

    def mark_ending(self, tids, reason: str | None = None) -> None:
        """Say that spykit is about to SIGKILL these tracees (from any thread: before the kill)."""
        if not self.ending:  # (the first reason given is the one that holds)
            self.ending_reason = reason or ("still running after the traced program exited"
                                            if self.root_status is not None else
                                            "tracing stopped before the program ended")
        self.ending.update(tids)

    def _reap_all(self, tids: list[int]) -> None:
        left = set(tids)
        for pid, status in _reports_from(left, seconds=10):
            if (status & 0xFF) == 0x7F:
                continue  # a last stop before SIGKILL lands
            self._gone(pid, status)
            left.discard(pid)
        self.tgid.clear()

    def detach_all(self) -> None:
        """Detach from every tracee and leave it running (or stopped, if it was group-stopped).

        A tracee may only be detached from a ptrace-stop, and a stop may carry a signal on its
        way in, which PTRACE_DETACH must hand over or it is lost. So every tracee is interrupted
        and each stop it then reports (or had already reported, unread) is looked at before it
        is detached. Only the one tracee whose stop the loop has just consumed (``held``: the
        %%strace end marker, or a stop interrupted by Ctrl-C) is detached directly.
        """
        held = self.held
        self.held = 0
        if held in self.tgid:
            try:
                L.ptrace(L.PTRACE_DETACH, held, 0, 0)
                self.tgid.pop(held, None)
            except OSError:
                pass  # it was running after all: interrupt it like the others
        waiting = set()
        for tid in list(self.tgid):
            try:
                L.ptrace(L.PTRACE_INTERRUPT, tid, 0, 0)
                waiting.add(tid)
            except OSError:  # ESRCH: gone
                self.tgid.pop(tid, None)
        for pid, status in _reports_from(waiting, seconds=5):
            if (status & 0xFF) != 0x7F:  # it exited meanwhile
                waiting.discard(pid)
                continue
            sig = (status >> 8) & 0xFF
            event = status >> 16
            if event in (L.PTRACE_EVENT_FORK, L.PTRACE_EVENT_VFORK, L.PTRACE_EVENT_CLONE):
                try:  # a child born during the detach is traced too: it must be let go as well
                    waiting.add(L.get_event_msg(pid))
                except OSError:
                    pass
            inject = 0
            if event == 0 and sig != L.SYSCALL_STOP_SIG and L.get_siginfo(pid) is not None:
                inject = sig  # a signal-delivery-stop: deliver the signal, don't lose it
            try:
                L.ptrace(L.PTRACE_DETACH, pid, 0, inject)
            except OSError:
                pass
            waiting.discard(pid)
        self.tgid.clear()


def _reports_from(tids: set[int], seconds: float) -> Iterator[tuple[int, int]]:
    """Yield the waitpid reports of the given tracees until ``tids`` is empty (the caller removes
    the ones it is done with) or time runs out. Polls, so a tracee that never reports (gone
    without a word, as a thread that died in another's execve) cannot hang us; others' reports
    (a doorbell, a tracee already let go) are skipped.
    """
    deadline = time.monotonic() + seconds
    while tids and time.monotonic() < deadline:
        try:
            pid, status = os.waitpid(-1, L.WAIT_TRACEES | os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.0005)
            tids.intersection_update([t for t in tids if procfs.exists(t)])
        elif pid in tids:
            yield pid, status


_CLD_CODES = {1: "CLD_EXITED", 2: "CLD_KILLED", 3: "CLD_DUMPED", 4: "CLD_TRAPPED", 5: "CLD_STOPPED",
              6: "CLD_CONTINUED"}
_SI_CODES = {0: "SI_USER", 0x80: "SI_KERNEL", -1: "SI_QUEUE", -2: "SI_TIMER", -3: "SI_MESGQ", -4: "SI_ASYNCIO",
             -5: "SI_SIGIO", -6: "SI_TKILL"}
_FAULT_CODES = {
    signal.SIGSEGV: {1: "SEGV_MAPERR", 2: "SEGV_ACCERR", 3: "SEGV_BNDERR", 4: "SEGV_PKUERR"},
    signal.SIGBUS: {1: "BUS_ADRALN", 2: "BUS_ADRERR", 3: "BUS_OBJERR"},
    signal.SIGFPE: {1: "FPE_INTDIV", 2: "FPE_INTOVF", 3: "FPE_FLTDIV", 4: "FPE_FLTOVF", 5: "FPE_FLTUND",
                    6: "FPE_FLTRES", 7: "FPE_FLTINV", 8: "FPE_FLTSUB"},
    signal.SIGILL: {1: "ILL_ILLOPC", 2: "ILL_ILLOPN", 3: "ILL_ILLADR", 4: "ILL_ILLTRP", 5: "ILL_PRVOPC"},
    signal.SIGTRAP: {1: "TRAP_BRKPT", 2: "TRAP_TRACE"},
}


def _signal_text(sig: int, info) -> str:
    """The line strace prints for a signal, e.g. ``--- SIGCHLD {si_signo=SIGCHLD, ...} ---``."""
    name = _signame(sig)
    code = info.si_code
    fields = [f"si_signo={name}"]
    sender = info._sigchld  # kill() and SIGCHLD both put pid and uid first
    if sig == signal.SIGCHLD and code > 0:
        status = sender.status
        shown = str(status) if code in (1, 6) else _signame(status)
        fields += [f"si_code={_CLD_CODES.get(code, code)}", f"si_pid={sender.pid}", f"si_uid={sender.uid}",
                   f"si_status={shown}", f"si_utime={sender.utime}", f"si_stime={sender.stime}"]
    elif code <= 0:
        fields += [f"si_code={_SI_CODES.get(code, code)}", f"si_pid={sender.pid}", f"si_uid={sender.uid}"]
    elif sig in _FAULT_CODES:
        addr = info._sigfault._addr
        # (a fault the kernel raised itself, a general protection fault, has SI_KERNEL: 0x80)
        shown = _FAULT_CODES[sig].get(code) or _SI_CODES.get(code, code)
        fields += [f"si_code={shown}", f"si_addr={hex(addr) if addr else 'NULL'}"]
    else:
        fields.append(f"si_code={_SI_CODES.get(code, code)}")
    return f"--- {name} {{{', '.join(fields)}}} ---"
