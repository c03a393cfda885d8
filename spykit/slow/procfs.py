"""Reading what the kernel shows about a process in /proc (private to spykit.slow).

Everything here works without root for processes of the same user. Each reader returns
``None`` (or an empty result) when the kernel will not say, rather than raising: a sampler
that looks at a process 100 times a second must shrug off a thread that exits between two
reads. Kernel quirks are recorded next to the code that copes with them.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import struct
from dataclasses import dataclass

# Reads that fail with these mean "the thread or process is gone, or we may not look":
# a race between listing /proc and reading it, or another user's process. Skip silently.
_GONE = (errno.ENOENT, errno.ESRCH, errno.EACCES, errno.EPERM, errno.EINVAL, errno.EIO)


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError as e:
        if e.errno in _GONE:
            return None
        raise


def _task(pid: int, tid: int | None) -> str:
    return f"/proc/{pid}" if tid is None else f"/proc/{pid}/task/{tid}"


# -- processes and threads -------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadStat:
    """The few fields of /proc/PID/task/TID/stat the sampler needs."""

    state: str  # R running, S sleeping, D disk (uninterruptible), T stopped, t traced, Z zombie, ...
    ppid: int
    comm: str
    utime: int  # clock ticks
    stime: int
    session: int = 0  # the session id: kept when a process is orphaned, unless it calls setsid
    start: int = 0  # when it started, in clock ticks after boot: with the pid, names one process for good


def read_stat(pid: int, tid: int | None = None) -> ThreadStat | None:
    """Parse /proc/PID[/task/TID]/stat; ``None`` when the thread is gone."""
    text = _read(_task(pid, tid) + "/stat")
    if not text:
        return None
    # The command name sits in parentheses and may itself contain ") " or spaces,
    # so split at the LAST closing parenthesis.
    head, _, rest = text.rpartition(")")
    comm = head.partition("(")[2]
    fields = rest.split()
    if len(fields) < 13:
        return None
    return ThreadStat(state=fields[0], ppid=int(fields[1]), comm=comm,
                      utime=int(fields[11]), stime=int(fields[12]), session=int(fields[3]),
                      start=int(fields[19]) if len(fields) > 19 else 0)


def list_threads(pid: int) -> list[int]:
    """Thread ids of a process (the main thread's id equals the pid); empty when it is gone."""
    try:
        return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return []


@dataclass(frozen=True)
class Scheduling:
    """How one thread has been scheduled so far."""

    on_cpu: float  # seconds running
    waiting_for_cpu: float  # seconds runnable but waiting for a CPU (the run queue)
    voluntary: int  # times it gave the CPU up to wait for something
    involuntary: int  # times the kernel took the CPU away (preempted)


def read_scheduling(pid: int, tid: int) -> Scheduling | None:
    """From /proc/PID/task/TID/schedstat (nanoseconds) and the switch counts in its status.

    The run-queue time is what a busy machine costs a program: a thread ready to run
    shows state R in /proc whether or not it has a CPU.
    """
    sched = _read(f"/proc/{pid}/task/{tid}/schedstat")
    status = _read(f"/proc/{pid}/task/{tid}/status")
    if not sched or not status:
        return None
    fields = sched.split()
    vol = re.search(r"^voluntary_ctxt_switches:\s+(\d+)", status, re.M)
    invol = re.search(r"^nonvoluntary_ctxt_switches:\s+(\d+)", status, re.M)
    if len(fields) < 2 or not vol or not invol:
        return None
    return Scheduling(int(fields[0]) / 1e9, int(fields[1]) / 1e9, int(vol.group(1)), int(invol.group(1)))


def read_peak_rss(pid: int) -> int | None:
    """VmHWM from /proc/PID/status: the peak resident memory in KiB (absent for zombies)."""
    text = _read(f"/proc/{pid}/status") or ""
    m = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else None


def exists(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}/stat")


def cmdline(pid: int) -> list[str]:
    """The argv of a process; empty for zombies and kernel threads."""
    text = _read(f"/proc/{pid}/cmdline")
    return text.rstrip("\0").split("\0") if text else []


def session_members(sid: int) -> list[int]:
    """The pids of the living processes (zombies left out) in session ``sid``."""
    try:
        listing = [int(n) for n in os.listdir("/proc") if n.isdigit()]
    except OSError:
        return []
    members = []
    for pid in listing:
        st = read_stat(pid)
        if st is not None and st.session == sid and st.state not in ("Z", "X"):
            members.append(pid)
    return members


class ProcessTree:
    """Finds the descendants of a process by scanning /proc.

    /proc/PID/task/TID/children would be cheaper, but it needs CONFIG_PROC_CHILDREN, which
    many kernels (including the development machine's) leave out. A scan of /proc is a
    listdir plus one stat read per process never seen before: parents are cached, since a
    process's parent only changes when it is orphaned. An orphan stays linked to its cached
    parent while that parent lives; once the parent is gone it drops out of :meth:`pids`, and
    only :meth:`seen_alive` still knows it.
    """

    def __init__(self, root: int):
        self.root = root
        self._parent: dict[int, int] = {}
        self._start: dict[int, int] = {}
        self._seen: dict[int, int] = {}  # every descendant ever returned, with its start time

    def seen_alive(self) -> list[int]:
        """Descendants seen by :meth:`pids` at some time that still run, wherever they are now.

        A process orphaned when its parent exits is re-parented to init (or a subreaper) and drops
        out of :meth:`pids`; this still knows it. The start time makes sure a reused pid is not
        taken for it.
        """
        alive = []
        for pid, start in self._seen.items():
            st = read_stat(pid)
            if st is not None and st.start == start and st.state not in ("Z", "X"):
                alive.append(pid)
        return alive

    def pids(self) -> list[int]:
        """The root followed by every living descendant, parents before children."""
        try:
            listing = [int(n) for n in os.listdir("/proc") if n.isdigit()]
        except OSError:
            return [self.root]
        alive = set(listing)
        if self.root not in alive:
            return []
        for pid in list(self._parent):
            if pid not in alive:
                del self._parent[pid]  # gone; the number may be reused later
                del self._start[pid]
        for pid in listing:
            if pid not in self._parent:
                st = read_stat(pid)
                if st is not None:
                    self._parent[pid], self._start[pid] = st.ppid, st.start
        children: dict[int, list[int]] = {}
        for pid, ppid in self._parent.items():
            children.setdefault(ppid, []).append(pid)
        order, todo = [], [self.root]
        while todo:
            pid = todo.pop(0)
            order.append(pid)
            todo.extend(sorted(children.get(pid, ())))
        for pid in order[1:]:
            self._seen.setdefault(pid, self._start[pid])
        return order


# -- what a thread is blocked in ---------------------------------------------------------


def read_wchan(pid: int, tid: int | None = None) -> str | None:
    """The kernel function the thread sleeps in, or ``None``.

    The kernel prints ``0`` when it does not know, when the thread is running, or when we
    may not look (it answers ``0`` rather than an error). Compiler clones such as
    ``poll_schedule_timeout.constprop.0`` are reduced to the plain function name.
    """
    text = _read(_task(pid, tid) + "/wchan")
    if not text or text.strip() in ("0", ""):
        return None
    return text.strip().split(".")[0]


RUNNING = "running"


@dataclass(frozen=True)
class SyscallState:
    """What /proc/PID/syscall says: a blocked call, a running thread, or no call at all."""

    nr: int | None  # None: running, or not inside a system call
    args: tuple[int, ...] = ()
    running: bool = False


def read_syscall(pid: int, tid: int | None = None) -> SyscallState | None:
    """Parse /proc/PID[/task/TID]/syscall.

    Three shapes: ``running`` (on a CPU right now, so its registers cannot be read);
    ``-1 SP PC`` (stopped outside any system call, e.g. in a page fault or preempted in user
    space); ``NR ARG1..ARG6 SP PC``. The file needs ptrace-attach permission: a child of
    ours is fine for the same user, but under Yama ptrace_scope=1 a non-descendant is not,
    and we return ``None``.
    """
    text = _read(_task(pid, tid) + "/syscall")
    if text is None:
        return None
    text = text.strip()
    if text == RUNNING:
        return SyscallState(nr=None, running=True)
    parts = text.split()
    if not parts:
        return None
    nr = int(parts[0])
    if nr < 0:
        return SyscallState(nr=None)
    return SyscallState(nr=nr, args=tuple(int(a, 16) for a in parts[1:7]))


def read_stack(pid: int, tid: int | None = None) -> tuple[str, ...] | None:
    """Kernel stack function names, innermost first; ``None`` unless we are root.

    /proc/PID/stack is mode 0400 root: for a normal user it says nothing, which is why the
    meanings never depend on it.
    """
    text = _read(_task(pid, tid) + "/stack")
    if not text:
        return None
    names = []
    for line in text.splitlines():
        # "[<0>] sk_wait_data+0x10f/0x150"
        m = re.search(r"\]\s+([\w.]+)", line)
        if m:
            names.append(m.group(1).split(".")[0])
    return tuple(names)


def read_memory(pid: int, addr: int, size: int) -> bytes | None:
    """Bytes of a process's memory through /proc/PID/mem (ptrace-attach permission needed)."""
    if size <= 0 or size > 1 << 16:
        return None
    try:
        fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    except OSError:
        return None
    try:
        data = os.pread(fd, size, addr)
        return data if len(data) == size else None
    except OSError:
        return None
    finally:
        os.close(fd)


def read_c_string(pid: int, addr: int, limit: int = 4096) -> str | None:
    """A NUL-terminated string in a process's memory (a path argument), or None when unreadable.

    Read a page at a time: the string may end just before a page that is not mapped.
    """
    if addr <= 0:
        return None
    data = b""
    while len(data) < limit:
        chunk = 4096 - (addr + len(data)) % 4096
        part = read_memory(pid, addr + len(data), chunk)
        if part is None:
            return None
        end = part.find(b"\0")
        if end >= 0:
            return (data + part[:end]).decode("utf-8", "surrogateescape")
        data += part
    return None


def opened_path(pid: int, call: str | None, args: tuple[int, ...]) -> str | None:
    """The path an open call in progress names, made absolute against its folder where it can be.

    Needs the right to read the process's memory (its owner, where ptrace attach is allowed);
    None otherwise.
    """
    if call not in ("open", "openat", "openat2", "creat"):
        return None
    at = 0 if call in ("open", "creat") else 1
    if len(args) <= at:
        return None
    path = read_c_string(pid, args[at])
    if path is None or path.startswith("/"):
        return path
    dirfd = args[0] if at == 1 else -100
    if dirfd & 0xFFFFFFFF == 0xFFFFFF9C:  # AT_FDCWD (-100) as the raw register holds it
        where = f"/proc/{pid}/cwd"
    else:
        where = f"/proc/{pid}/fd/{dirfd & 0xFFFFFFFF}"
    try:
        return os.path.join(os.readlink(where), path)
    except OSError:
        return path


# -- file descriptors ---------------------------------------------------------------------


def read_fd_link(pid: int, fd: int) -> str | None:
    """What /proc/PID/fd/N points at: a path, ``pipe:[ino]``, ``socket:[ino]``, ``anon_inode:[...]``."""
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return None


def epoll_watched_fds(pid: int, epfd: int) -> list[int] | None:
    """The fds an epoll instance watches, from the ``tfd:`` lines of /proc/PID/fdinfo/EPFD."""
    text = _read(f"/proc/{pid}/fdinfo/{epfd}")
    if text is None:
        return None
    return [int(m.group(1)) for m in re.finditer(r"^tfd:\s+(\d+)", text, re.M)]


def poll_fds(pid: int, addr: int, nfds: int) -> list[int] | None:
    """The fds in a ``struct pollfd[nfds]`` array in the process's memory (fd is the first int)."""
    if nfds > 1024:
        return None
    data = read_memory(pid, addr, 8 * nfds)
    if data is None:
        return None
    return [fd for (fd, _events, _revents) in struct.iter_unpack("ihh", data) if fd >= 0]


def select_fds(pid: int, nfds: int, *sets: int) -> list[int] | None:
    """The fds set in select()'s fd_set bitmaps (read, write, except), given their addresses."""
    if nfds > 4096:
        return None
    size = (nfds + 63) // 64 * 8  # fd_set is an array of longs
    fds: set[int] = set()
    for addr in sets:
        if not addr:
            continue
        data = read_memory(pid, addr, size)
        if data is None:
            return None
        bits = int.from_bytes(data, "little")
        fds.update(fd for fd in range(nfds) if bits >> fd & 1)
    return sorted(fds)


# -- sockets ---------------------------------------------------------------------------------

_SOCKET = re.compile(r"socket:\[(\d+)\]")
_TCP_LISTEN = "0A"


def _ipv4(hexaddr: str) -> str:
    # /proc/net/tcp prints the address as the host-order integer of network-order bytes.
    return socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(hexaddr, 16)))


def _ipv6(hexaddr: str) -> str:
    words = [int(hexaddr[i:i + 8], 16) for i in range(0, 32, 8)]
    return socket.inet_ntop(socket.AF_INET6, struct.pack("<4I", *words))


def _endpoint(text: str, v6: bool) -> tuple[str, int]:
    addr, port = text.split(":")
    return (_ipv6(addr) if v6 else _ipv4(addr)), int(port, 16)


def _format_endpoint(host: str, port: int, v6: bool) -> str:
    return f"[{host}]:{port}" if v6 else f"{host}:{port}"


def parse_inet_table(text: str, proto: str, v6: bool) -> dict[int, str]:
    """Socket inode -> ``TCP:[local->remote]`` (``TCP:[local]`` when listening or unconnected).

    Pure: takes the text of /proc/net/tcp, tcp6, udp or udp6. The names follow strace -yy
    (``TCPv6:[[::1]:41000->[::1]:8000]``).
    """
    table = {}
    name = proto + ("v6" if v6 else "")
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 10:
            continue
        local, remote, state, inode = f[1], f[2], f[3], int(f[9])
        if inode == 0:  # TIME_WAIT sockets belong to no one
            continue
        lhost, lport = _endpoint(local, v6)
        rhost, rport = _endpoint(remote, v6)
        left = _format_endpoint(lhost, lport, v6)
        if rport == 0 or (proto == "TCP" and state == _TCP_LISTEN):
            table[inode] = f"{name}:[{left}]"
        else:
            table[inode] = f"{name}:[{left}->{_format_endpoint(rhost, rport, v6)}]"
    return table


def parse_unix_table(text: str) -> dict[int, str]:
    """Socket inode -> ``UNIX:[inode]`` or ``UNIX:[inode,/path]`` from /proc/net/unix."""
    table = {}
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 7:
            continue
        inode = int(f[6])
        path = f[7] if len(f) > 7 else ""
        table[inode] = f"UNIX:[{inode},{path}]" if path else f"UNIX:[{inode}]"
    return table


class SocketTable:
    """Maps socket inodes to endpoints, reading /proc/PID/net/* only when an inode is new.

    /proc/PID/net is the network namespace of that process (not ours), which matters in
    containers. Tables are re-read at most once per lookup miss, so a socket that is closed
    before we look simply stays unnamed.
    """

    _FILES = (("tcp", "TCP", False), ("tcp6", "TCP", True), ("udp", "UDP", False), ("udp6", "UDP", True))

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def name(self, pid: int, inode: int) -> str | None:
        if inode not in self._names:
            self._refresh(pid)
        return self._names.get(inode)

    def _refresh(self, pid: int) -> None:
        for filename, proto, v6 in self._FILES:
            text = _read(f"/proc/{pid}/net/{filename}")
            if text:
                self._names.update(parse_inet_table(text, proto, v6))
        text = _read(f"/proc/{pid}/net/unix")
        if text:
            self._names.update(parse_unix_table(text))


def describe_fd(pid: int, fd: int, sockets: SocketTable) -> str | None:
    """What an fd is, in trace.df's ``path`` style: a file path, ``pipe:[ino]``, ``TCP:[a->b]``..."""
    link = read_fd_link(pid, fd)
    if link is None:
        return None
    m = _SOCKET.fullmatch(link)
    if m:
        return sockets.name(pid, int(m.group(1))) or link
    return link
