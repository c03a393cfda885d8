"""What a thread is waiting for, in plain words: pure functions of one wait sample.

A sample is what /proc lets a normal user see about one thread at one instant: its state
letter, its wait channel, the system call it is blocked in (number and raw arguments) and
what the call's file descriptor is. From that we say what it means ("waiting for data from
127.0.0.1:8000 (TCP)") and give the reason a name: one of ``REASONS`` (cpu, disk, network,
input, child, sleep, lock, other), each described in :data:`spykit.slow.kinds.REASON_TABLE`
with the kind of slow program it counts for. A :class:`Meaning` with any other reason is refused.

The blocked system call and its file descriptor carry most of the meaning: on current
kernels a TCP read sleeps in ``wait_woken``, which a terminal read also uses, so the wait
channel alone cannot tell them apart. The wait channel (and the kernel stack, readable only
by root) are used when the system call is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..syscalls.ptrace_data import ptrace_module
from ..syscalls.table import syscall_name as _table_name
from .kinds import PRIORITY, REASONS

_PROTOTYPES = ptrace_module("ptrace.syscall.prototypes").SYSCALL_PROTOTYPES



def syscall_name(nr: int | None) -> str | None:
    """The name of system call number ``nr`` on this architecture (``syscall_423`` if unknown)."""
    if nr is None:
        return None
    return _table_name(nr)


def format_args(name: str | None, args: tuple[int, ...]) -> str:
    """Raw arguments as text, trimmed to the call's real argument count; pointers in hex."""
    if not args:
        return ""
    proto = _PROTOTYPES.get(name or "")
    params = proto[1] if proto else tuple(("long", "") for _ in args)
    out = []
    for (ctype, _pname), value in zip(params, args, strict=False):
        if "*" in ctype or ctype in ("unsigned long", "caddr_t", "void"):
            out.append(hex(value))
        elif ctype in ("int", "pid_t", "clockid_t", "long"):
            bits = 32 if ctype != "long" else 64
            value &= (1 << bits) - 1
            out.append(str(value - (1 << bits) if value >> (bits - 1) else value))
        else:
            out.append(str(value))
    return ", ".join(out)


# Which argument holds the file descriptor the call waits on (all of these: the first).
FD_CALLS = frozenset({
    "read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev",
    "pwritev2", "recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg", "accept",
    "accept4", "connect", "fsync", "fdatasync", "syncfs", "sync_file_range", "flock", "fcntl",
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "ioctl", "sendfile", "splice", "tee",
    "copy_file_range", "ftruncate", "fallocate", "getdents64",
})

SLEEP_CALLS = frozenset({"nanosleep", "clock_nanosleep"})
CHILD_CALLS = frozenset({"wait4", "waitid", "waitpid"})
OPEN_CALLS = frozenset({"open", "openat", "openat2", "creat"})
SYNC_CALLS = frozenset({"fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "msync"})
READ_CALLS = frozenset({"read", "readv", "pread64", "preadv", "preadv2", "recvfrom", "recvmsg", "recvmmsg"})
WRITE_CALLS = frozenset({"write", "writev", "pwrite64", "pwritev", "pwritev2", "sendto", "sendmsg",
                         "sendmmsg", "sendfile", "splice", "tee", "copy_file_range"})
POLL_CALLS = frozenset({"poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "epoll_pwait2"})
SIGNAL_CALLS = frozenset({"pause", "rt_sigsuspend", "rt_sigtimedwait", "sigsuspend"})
F_SETLKW, F_OFD_SETLKW = 7, 38


@dataclass(frozen=True)
class Sample:
    """One thread at one instant, as /proc shows it to its owner.

    ``watched`` lists what a poll/select/epoll call waits on (``None`` when it could not be
    read); ``stack`` is the kernel stack, known only to root.
    """

    state: str
    wchan: str | None = None
    syscall: str | None = None
    args: tuple[int, ...] = ()
    fd: int | None = None
    target: str | None = None
    watched: tuple[str, ...] | None = None
    stack: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Meaning:
    meaning: str
    reason: str  # one of REASONS (spykit.slow.kinds.REASON_TABLE): checked, never mapped silently

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"wait reason {self.reason!r} is not in spykit.slow.kinds.REASON_TABLE "
                             f"({', '.join(REASONS)}): add it there with the kind it counts for")


# -- what a file descriptor is -----------------------------------------------------------------



def fd_kind(target: str | None) -> str:
    """socket, pipe, terminal, file, timer, event, epoll, device or unknown."""
    if not target:
        return "unknown"
    if target.startswith(("TCP", "UDP", "UNIX", "socket:")):
        return "socket"
    if target.startswith("pipe:"):
        return "pipe"
    if re.match(r"^/dev/(pts/\d+|tty\w*|console)$", target):
        return "terminal"
    if "timerfd" in target:
        return "timer"
    if "eventpoll" in target:
        return "epoll"
    if target.startswith("anon_inode:"):
        return "event"
    if target.startswith("/dev/"):
        return "device"
    if target.startswith("/"):
        return "file"
    return "unknown"


def _socket_parts(target: str) -> tuple[str, str | None, str | None]:
    """(protocol label, local end, remote end) of a socket target such as ``TCP:[a->b]``."""
    proto, _, inner = target.partition(":[")
    inner = inner.removesuffix("]")
    if proto == "UNIX":  # UNIX:[inode] or UNIX:[inode,/path]
        return "UNIX", (inner.split(",", 1)[1] if "," in inner else None), None
    if proto not in ("TCP", "TCPv6", "UDP", "UDPv6"):
        return "socket", None, None
    local, _, remote = inner.partition("->")
    return proto, local or None, remote or None


def _socket_wait(target: str, call: str) -> str:
    """The sentence for a wait on a socket; ``call`` is read, send, accept or connect."""
    proto, local, remote = _socket_parts(target)
    if proto == "UNIX":
        where = f" ({local})" if local else ""
        return {
            "accept": f"waiting for a connection on a UNIX socket{where}",
            "connect": f"waiting to connect to a UNIX socket{where}",
            "send": f"waiting to send data on a UNIX socket{where}",
        }.get(call, f"waiting for data on a UNIX socket{where}")
    tag = f" ({proto})" if proto != "socket" else ""
    if call == "accept":
        return f"waiting for a connection on {local}{tag}" if local else "waiting for a connection"
    if call == "connect":
        return f"waiting to connect to {remote}{tag}" if remote else "waiting to connect"
    if call == "send":
        return f"waiting to send data to {remote}{tag}" if remote else f"waiting to send data{tag}"
    if remote:
        return f"waiting for data from {remote}{tag}"
    if local:
        return f"waiting for data on {local}{tag}"
    return "waiting for data on a socket"


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value


def _poll_timeout(s: Sample) -> bool | None:
    """Whether a poll-family call has a finite timeout (None when unknown)."""
    a = s.args
    if s.syscall == "poll" and len(a) > 2:
        return _signed32(a[2]) >= 0
    if s.syscall in ("epoll_wait", "epoll_pwait") and len(a) > 3:
        return _signed32(a[3]) >= 0
    if s.syscall == "ppoll" and len(a) > 2:
        return a[2] != 0  # pointer to a timespec; NULL waits forever
    if s.syscall in ("select", "pselect6") and len(a) > 4:
        return a[4] != 0
    if s.syscall == "epoll_pwait2" and len(a) > 3:
        return a[3] != 0
    return None


def _is_wakeup_channel(target: str) -> bool:
    # Event loops (asyncio, glib, libuv) watch an unnamed socketpair or an eventfd so other
    # threads can wake them: a wait that watches only those is not a wait on the network.
    return target.startswith("UNIX:[") and "," not in target or "eventfd" in target


def _poll_meaning(s: Sample) -> Meaning:
    watched = s.watched
    call = s.syscall
    if watched is None:
        return Meaning(f"waiting for one of several files to be ready ({call})", "other")
    real = [t for t in watched if not _is_wakeup_channel(t)]
    if not real:
        if _poll_timeout(s) is not False:
            return Meaning("sleeping on a timer", "sleep")
        if watched:
            return Meaning("waiting to be woken by another thread", "other")
        return Meaning("waiting forever (poll on nothing)", "other")
    kinds = [fd_kind(t) for t in real]
    sockets = [t for t, k in zip(real, kinds, strict=True) if k == "socket"]
    inet = [t for t in sockets if t.startswith(("TCP", "UDP"))]
    if inet or sockets:
        first = (inet or sockets)[0]
        listening = "->" not in first and first.startswith("TCP")
        text = _socket_wait(first, "accept" if listening else "read")
        if len(sockets) > 1:
            text += f" (and {len(sockets) - 1} more socket{'s' if len(sockets) > 2 else ''})"
        return Meaning(text, "network")
    if "terminal" in kinds:
        return Meaning("waiting for input from the terminal", "input")
    if "pipe" in kinds:
        return Meaning("waiting for input on a pipe", "input")
    if all(k == "timer" for k in kinds):
        return Meaning("sleeping on a timer (timerfd)", "sleep")
    return Meaning(f"waiting for one of {len(real)} files to be ready ({', '.join(real[:3])})", "other")


def _read_meaning(s: Sample) -> Meaning:
    kind = fd_kind(s.target)
    if kind == "socket":
        return Meaning(_socket_wait(s.target or "", "read"), "network")
    if kind == "pipe":
        return Meaning("waiting for input on a pipe", "input")
    if kind == "terminal":
        return Meaning("waiting for input from the terminal", "input")
    if kind == "file":
        return Meaning("waiting for the disk to read a file", "disk")
    if kind == "timer":
        return Meaning("sleeping on a timer (timerfd)", "sleep")
    if kind == "event" and s.target and "inotify" in s.target:
        return Meaning("waiting for a file to change (inotify)", "other")
    if kind == "event" and s.target and "signalfd" in s.target:
        return Meaning("waiting for a signal (signalfd)", "other")
    if kind in ("event", "device"):
        return Meaning(f"waiting to read from {s.target}", "other")
    return Meaning(f"waiting to read from fd {s.fd}" if s.fd is not None else "waiting to read", "other")


def _write_meaning(s: Sample) -> Meaning:
    kind = fd_kind(s.target)
    if kind == "socket":
        return Meaning(_socket_wait(s.target or "", "send"), "network")
    if kind == "pipe":
        return Meaning("waiting for the program reading the pipe to catch up", "other")
    if kind == "terminal":
        return Meaning("waiting for the terminal to take more output", "other")
    if kind == "file":
        return Meaning("waiting for the disk to accept more writes", "disk")
    return Meaning(f"waiting to write to {s.target or f'fd {s.fd}'}", "other")


def _lock_meaning(s: Sample) -> Meaning | None:
    name, a = s.syscall, s.args
    if name in ("futex", "futex_waitv"):
        return Meaning("waiting on a lock", "lock")
    if name == "flock":
        return Meaning("waiting on a file lock (flock)", "lock")
    if name == "fcntl" and len(a) > 1 and a[1] in (F_SETLKW, F_OFD_SETLKW):
        return Meaning("waiting on a file lock (fcntl)", "lock")
    if name in ("semop", "semtimedop"):
        return Meaning("waiting on a lock (semaphore)", "lock")
    return None


def _syscall_meaning(s: Sample) -> Meaning | None:
    name = s.syscall
    if name in SLEEP_CALLS:
        return Meaning("sleeping on a timer", "sleep")
    if name in CHILD_CALLS:
        return Meaning("waiting for a child process", "child")
    if name in SYNC_CALLS:
        return Meaning("waiting for the disk to finish writing", "disk")
    lock = _lock_meaning(s)
    if lock:
        return lock
    if name in READ_CALLS:
        return _read_meaning(s)
    if name in WRITE_CALLS:
        return _write_meaning(s)
    if name in ("accept", "accept4"):
        return Meaning(_socket_wait(s.target or "socket", "accept"), "network")
    if name == "connect":
        return Meaning(_socket_wait(s.target or "socket", "connect"), "network")
    if name in POLL_CALLS:
        return _poll_meaning(s)
    if name in SIGNAL_CALLS:
        return Meaning("waiting for a signal", "other")
    if name in ("io_getevents", "io_pgetevents"):
        return Meaning("waiting for asynchronous disk I/O to finish", "disk")
    if name in OPEN_CALLS and _opening_a_fifo(s):
        return _fifo_meaning(s)
    if name in ("open", "openat", "openat2") and s.state == "D":
        return Meaning("waiting for the disk while opening a file", "disk")
    return None


# Opening a named pipe (FIFO) blocks until a program opens the other end: the kernel parks the
# opener in wait_for_partner, called from fifo_open (older kernels: pipe_wait under fifo_open).
_FIFO_WAITS = ("wait_for_partner", "fifo_open")
_O_ACCMODE, _O_WRONLY = 0o3, 0o1


def _opening_a_fifo(s: Sample) -> bool:
    return s.wchan in _FIFO_WAITS or any(name in _FIFO_WAITS for name in (s.stack or ()))


def _fifo_meaning(s: Sample) -> Meaning:
    """A reader waits for a writer (input); a writer waits for a reader (like a full pipe: other)."""
    flags_at = 1 if s.syscall == "open" else 2  # open(path, flags), openat(dirfd, path, flags)
    writing = s.syscall == "creat" or (len(s.args) > flags_at and s.args[flags_at] & _O_ACCMODE == _O_WRONLY)
    pipe = f"the named pipe {s.target}" if s.target else "a named pipe (FIFO)"
    if writing:
        return Meaning(f"waiting for a program to open {pipe} for reading", "other")
    return Meaning(f"waiting for a program to open {pipe} and write to it", "input")


# Wait channels and kernel stack functions, for when the system call is unknown.
_KERNEL_HINTS: tuple[tuple[str, Meaning], ...] = (
    (r"nanosleep", Meaning("sleeping on a timer", "sleep")),
    (r"^(do_wait|kernel_wait4?|do_wait4|kernel_waitid)$", Meaning("waiting for a child process", "child")),
    (r"^futex", Meaning("waiting on a lock", "lock")),
    (r"lock_inode_wait|fcntl_setlk|flock_lock|posix_lock", Meaning("waiting on a lock (file lock)", "lock")),
    (r"^(anon_)?pipe_(read|wait_readable|wait)$", Meaning("waiting for input on a pipe", "input")),
    (r"^(anon_)?pipe_(write|wait_writable)$",
     Meaning("waiting for the program reading the pipe to catch up", "other")),
    (r"^(sk_wait_data|tcp_recvmsg\w*|unix_stream_\w*|__?skb_\w*recv\w*|__?skb_wait_for_more_packets"
     r"|udp_recvmsg)$", Meaning("waiting for data on a socket", "network")),
    (r"^inet_csk_(accept|wait_for_connect)$", Meaning("waiting for a connection", "network")),
    (r"^inet_wait_for_connect$", Meaning("waiting to connect", "network")),
    (r"^sk_stream_wait_memory$", Meaning("waiting to send on a socket", "network")),
    (r"^(rpc_|nfs)", Meaning("waiting for a network file system (NFS)", "network")),
    (r"jbd2|folio_wait|wait_on_page|io_schedule|bit_wait_io|^blk_|bio_wait|balance_dirty|wait_on_buffer"
     r"|sync_dirty_buffer|fsync_buffers|fdatawait|wait_for_completion_io|xfs_log|btrfs_\w*(sync|wait)",
     Meaning("waiting for the disk", "disk")),
    (r"^n_tty_read$", Meaning("waiting for input from the terminal", "input")),
    (r"sigtimedwait|sigsuspend|sys_pause", Meaning("waiting for a signal", "other")),
)
# Generic waiting functions: used only when no function on the stack says more.
_WEAK_HINTS: tuple[tuple[str, Meaning], ...] = (
    (r"^(do_sys_poll|poll_schedule_timeout|do_select|core_sys_select|ep_poll|do_epoll_wait)$",
     Meaning("waiting for one of several files to be ready (poll)", "other")),
    (r"^wait_woken$", Meaning("waiting in wait_woken (usually a socket or a terminal)", "other")),
)


def _kernel_meaning(names: tuple[str, ...]) -> Meaning | None:
    for hints in (_KERNEL_HINTS, _WEAK_HINTS):
        for name in names:
            for pattern, meaning in hints:
                if re.search(pattern, name):
                    return meaning
    return None


_STATES = {
    "T": Meaning("stopped by a signal (Ctrl-Z, SIGSTOP)", "other"),
    "t": Meaning("stopped by a debugger or tracer", "other"),
    "Z": Meaning("finished, not yet collected by its parent (zombie)", "other"),
    "X": Meaning("exiting", "other"),
}


def meaning_of(sample: Sample) -> Meaning:
    """Plain words for one sample, and the kind of reason (one of :data:`REASONS`).

    >>> meaning_of(Sample("S", "wait_woken", "read", (4, 0, 10), 4, "TCP:[127.0.0.1:5000->127.0.0.1:8000]"))
    Meaning(meaning='waiting for data from 127.0.0.1:8000 (TCP)', reason='network')
    """
    s = sample
    if s.state in _STATES:
        return _STATES[s.state]
    if s.syscall in SYNC_CALLS:
        # fsync shows R as often as D: the thread is woken between writeback steps.
        return _syscall_meaning(s) or Meaning("waiting for the disk", "disk")
    if s.state == "R":
        return Meaning("running on the CPU", "cpu")
    found = _syscall_meaning(s) if s.syscall else None
    if found is None:
        hints = tuple(n for n in (s.wchan,) if n) + (s.stack or ())
        found = _kernel_meaning(hints)
    if found is None and s.state == "D":
        found = Meaning("waiting in the kernel, unable to be interrupted (usually the disk)", "disk")
    if found is None:
        where = s.syscall or s.wchan
        found = Meaning(f"waiting in {where}" if where else "waiting (the kernel does not say for what)",
                        "other")
    return found


# When several threads (or processes) are sampled at the same instant, the one that says
# most about where the time goes wins: PRIORITY (from the order of kinds.REASON_TABLE).
__all__ = ["PRIORITY", "REASONS", "Meaning", "Sample", "fd_kind", "format_args", "meaning_of", "syscall_name"]
