"""The one reader of /proc in spykit: what the kernel shows about processes, threads and the system.

It sits at the bottom of the import graph (the standard library and ``spykit.errors`` only), so
the tracer, the slow tools, the notebook and the exercises all read /proc the same way.

Two kinds of reader, as in psutil:

- plain readers (``status``, ``stat``, ``threads``, ``tgid``, ``fd_link``, ``cwd``...) raise
  :class:`~spykit.errors.NoSuchProcess` when the process is gone and
  :class:`~spykit.errors.AccessDenied` when the kernel will not let us look. One translator,
  :func:`_translate`, decides which; nothing else here turns an ``errno`` into a verdict;
- the sampler's readers (``read_stat``, ``read_wchan``, ``list_threads``...) return ``None`` (or an
  empty result) instead: a sampler that looks at a process 100 times a second must shrug off a
  thread that exits between two reads. They catch the two errors above explicitly.

Everything works without root for processes of the same user, except where a comment says
otherwise. Kernel quirks are recorded next to the code that copes with them.
"""

from __future__ import annotations

import errno
import os
import re
import struct
from dataclasses import dataclass

from .errors import AccessDenied, NoSuchProcess

# The two verdicts a caller that tolerates a vanished or forbidden process catches.
VANISHED = (NoSuchProcess, AccessDenied)


def _translate(exc: OSError, pid: int | str, path: str) -> Exception:
    """The error to raise for ``exc``, met while reading ``path`` about process ``pid``.

    ENOENT and ESRCH mean the process (or thread) is gone: its folder vanished between two reads,
    or it exited while the kernel was answering. EACCES and EPERM mean we may not look: another
    user's process, a non-dumpable one, or a root-only file. Anything else is returned unchanged.
    """
    name = errno.errorcode.get(exc.errno or 0, str(exc.errno))
    if exc.errno in (errno.ENOENT, errno.ESRCH):
        return _gone(pid, path, name)
    if exc.errno in (errno.EACCES, errno.EPERM):
        error = AccessDenied(
            f"not allowed to read {path} ({name}): it belongs to another user, to a process that is not "
            "dumpable, or it is a file only root may read",
            hint="look at your own processes, or run as the process's user or as root")
        error.pid, error.path = pid, path  # type: ignore[attr-defined]
        return error
    return exc


def _gone(pid: int | str, path: str, how: str) -> NoSuchProcess:
    """NoSuchProcess for ``pid``: from the translator, or where a read says so without an errno
    (a stat or status file that reads empty or cut short: the task was released mid-read)."""
    error = NoSuchProcess(f"process {pid} is gone ({path}: {how}): it exited, or there never was one",
                          hint="it may have finished before spykit looked; list running processes with `ps -e`")
    error.pid, error.path = pid, path  # type: ignore[attr-defined]
    return error


def _read_bytes(path: str, pid: int | str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise _translate(exc, pid, path) from exc


def _read(path: str, pid: int | str, *, empty_means_gone: bool = False) -> str:
    """The text of a file about process ``pid``; raises NoSuchProcess or AccessDenied.

    ``empty_means_gone``: for files that are never empty while the task lives (stat, status).
    """
    data = _read_bytes(path, pid)
    if not data and empty_means_gone:
        raise _gone(pid, path, "read empty")
    return data.decode("utf-8", "replace")


def _read_or_none(path: str, pid: int | str) -> str | None:
    """The sampler's read: ``None`` when the process is gone or we may not look."""
    try:
        return _read(path, pid)
    except VANISHED:
        return None
    except OSError as exc:
        # The translator leaves EINVAL and EIO alone; a sampler takes them as "no answer" too, as
        # it always has, rather than stop a whole diagnosis over one thread's file.
        if exc.errno in (errno.EINVAL, errno.EIO):
            return None
        raise


def _task(pid: int, tid: int | None) -> str:
    return f"/proc/{pid}" if tid is None else f"/proc/{pid}/task/{tid}"


def exists(pid: int) -> bool:
    """Whether a process (or thread: /proc/TID is there though ``ls /proc`` does not list it) exists."""
    return os.path.exists(f"/proc/{pid}/stat")


def all_pids() -> list[int]:
    """The ids of every process now (threads other than leaders are not listed in /proc)."""
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


# -- processes and threads -------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadStat:
    """The few fields of /proc/PID/task/TID/stat spykit needs."""

    state: str  # R running, S sleeping, D disk (uninterruptible), T stopped, t traced, Z zombie, ...
    ppid: int
    comm: str
    utime: int  # clock ticks
    stime: int
    session: int = 0  # the session id: kept when a process is orphaned, unless it calls setsid
    group: int = 0  # the process group id (what killpg and a shell's job control act on)
    start: int = 0  # when it started, in clock ticks after boot: with the pid, names one process for good
    flags: int = 0  # the task's PF_* flags (include/linux/sched.h), e.g. PF_KTHREAD for a kernel thread


def parse_stat(text: str) -> ThreadStat | None:
    """Pure: the fields of a stat file's text; ``None`` when it is cut short."""
    # The command name sits in parentheses and may itself contain ") " or spaces,
    # so split at the LAST closing parenthesis.
    head, _, rest = text.rpartition(")")
    comm = head.partition("(")[2]
    fields = rest.split()
    if len(fields) < 13:
        return None
    return ThreadStat(state=fields[0], ppid=int(fields[1]), comm=comm,
                      utime=int(fields[11]), stime=int(fields[12]), session=int(fields[3]), group=int(fields[2]),
                      start=int(fields[19]) if len(fields) > 19 else 0, flags=int(fields[6]))


def stat(pid: int, tid: int | None = None) -> ThreadStat:
    """/proc/PID[/task/TID]/stat; raises NoSuchProcess or AccessDenied.

    stat is readable for every process, whoever owns it (a few fields read 0 for others).
    """
    path = _task(pid, tid) + "/stat"
    found = parse_stat(_read(path, pid, empty_means_gone=True))
    if found is None:
        raise _gone(pid, path, "cut short")
    return found


def read_stat(pid: int, tid: int | None = None) -> ThreadStat | None:
    """Like :func:`stat`, for samplers: ``None`` when the thread is gone."""
    try:
        return stat(pid, tid)
    except VANISHED:
        return None


def threads(pid: int) -> list[int]:
    """Thread ids of a process (the main thread's id equals the pid); raises NoSuchProcess."""
    path = f"/proc/{pid}/task"
    try:
        return sorted(int(t) for t in os.listdir(path))
    except OSError as exc:
        raise _translate(exc, pid, path) from exc


def list_threads(pid: int) -> list[int]:
    """Like :func:`threads`, for samplers: empty when the process is gone."""
    try:
        return threads(pid)
    except VANISHED:
        return []


def status(pid: int | str) -> dict[str, str]:
    """/proc/PID/status as a dict of its fields (``pid`` may be ``"self"``).

    Raises NoSuchProcess or AccessDenied. Readable for every process, but a zombie's lacks the
    memory fields (VmHWM...). Uid/Gid hold four numbers: real, effective, saved, filesystem.
    """
    return _status_fields(_read(f"/proc/{pid}/status", pid, empty_means_gone=True))


def _status_fields(text: str) -> dict[str, str]:
    """A status file's ``Name:\tvalue`` lines as a dict."""
    return {k: v.strip() for k, v in (line.split(":", 1) for line in text.splitlines() if ":" in line)}


def _status_number(pid: int, field: bytes) -> int:
    """One number from /proc/PID/status, by the tracer's fast path (no file object, one read).

    The tracer reads Tgid for every new thread and PPid on attach: os.open/os.read takes about 4 us
    here, a file object read line by line 5.6 us. Tgid, PPid and TracerPid come in the first lines,
    well inside one 4 KiB read (only the command name, at most 64 bytes escaped, is before them).
    """
    path = f"/proc/{pid}/status"
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            data = os.read(fd, 4096)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _translate(exc, pid, path) from exc
    key = b"\n" + field + b":"
    at = data.find(key)
    if at < 0:
        raise _gone(pid, path, f"no {field.decode()} line")
    end = data.find(b"\n", at + len(key))
    return int(data[at + len(key):end if end >= 0 else None])


def tgid(tid: int) -> int:
    """The process (thread group) thread ``tid`` belongs to; raises NoSuchProcess or AccessDenied."""
    return _status_number(tid, b"Tgid")


def ppid(pid: int) -> int:
    """The real parent's process id (PPid in status; 0 for init and kernel thread roots)."""
    return _status_number(pid, b"PPid")


def owner(pid: int) -> int:
    """The uid /proc/PID's files belong to: the process's effective uid, or 0 when it is not dumpable.

    Kernel quirk: the files in /proc/PID of a process that is not dumpable (it called
    prctl(PR_SET_DUMPABLE, 0), or changed its credentials as a setuid program does) belong to root,
    whoever runs it (task_dump_owner in fs/proc/base.c); the folder itself keeps the real owner.
    """
    path = f"/proc/{pid}/stat"
    try:
        return os.stat(path).st_uid
    except OSError as exc:
        raise _translate(exc, pid, path) from exc


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
    shows state R in /proc whether or not it has a CPU. ``None`` when the thread is gone.
    """
    sched = _read_or_none(f"/proc/{pid}/task/{tid}/schedstat", pid)
    text = _read_or_none(f"/proc/{pid}/task/{tid}/status", pid)
    if not sched or not text:
        return None
    fields = sched.split()
    switches = _status_fields(text)
    vol, invol = switches.get("voluntary_ctxt_switches"), switches.get("nonvoluntary_ctxt_switches")
    if len(fields) < 2 or not vol or not invol:
        return None
    return Scheduling(int(fields[0]) / 1e9, int(fields[1]) / 1e9, int(vol), int(invol))


def read_peak_rss(pid: int) -> int | None:
    """VmHWM from /proc/PID/status: the peak resident memory in KiB (``None`` for zombies and the gone)."""
    peak = _status_fields(_read_or_none(f"/proc/{pid}/status", pid) or "").get("VmHWM")  # "1234 kB"
    return int(peak.split()[0]) if peak else None


def cmdline(pid: int) -> list[str]:
    """The argv of a process; empty when it is gone, for zombies and for kernel threads.

    Kernel quirk: a zombie's cmdline reads empty (its memory is already freed), like a kernel
    thread's, which never had one; callers show ``<pid N>`` instead.
    """
    text = _read_or_none(f"/proc/{pid}/cmdline", pid)
    return text.rstrip("\0").split("\0") if text else []


def exe(pid: int) -> str:
    """The program the process runs (the /proc/PID/exe link); raises NoSuchProcess or AccessDenied.

    Needs ptrace-read permission: another user's process gives AccessDenied.
    """
    path = f"/proc/{pid}/exe"
    try:
        return os.readlink(path)
    except OSError as exc:
        raise _translate(exc, pid, path) from exc


def cwd(pid: int) -> str:
    """The process's current folder (the /proc/PID/cwd link); raises NoSuchProcess or AccessDenied."""
    path = f"/proc/{pid}/cwd"
    try:
        return os.readlink(path)
    except OSError as exc:
        raise _translate(exc, pid, path) from exc


def all_stats() -> list[tuple[int, ThreadStat]]:
    """``(pid, stat)`` of every process now, as ps scans /proc (one that ends meanwhile is left out)."""
    return [(pid, st) for pid in all_pids() if (st := read_stat(pid)) is not None]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` now, by a scan of /proc as ps does (see ProcessTree)."""
    return [other for other, st in all_stats() if st.ppid == pid]


def session_members(sid: int) -> list[int]:
    """The pids of the living processes (zombies left out) in session ``sid``."""
    return _living_with("session", sid)


def group_members(pgid: int) -> list[int]:
    """The pids of the living processes (zombies left out) in process group ``pgid``."""
    return _living_with("group", pgid)


def _living_with(field: str, value: int) -> list[int]:
    return [pid for pid, st in all_stats() if getattr(st, field) == value and st.state not in ("Z", "X")]


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
        listing = all_pids()
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
    text = _read_or_none(_task(pid, tid) + "/wchan", pid)
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
    text = _read_or_none(_task(pid, tid) + "/syscall", pid)
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

    Kernel quirk: /proc/PID/stack is mode 0400 root, and even root's read is refused (EACCES)
    without CAP_SYS_ADMIN (proc_pid_stack in fs/proc/base.c): for a normal user it says nothing,
    which is why the meanings never depend on it.
    """
    text = _read_or_none(_task(pid, tid) + "/stack", pid)
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
    try:
        if dirfd & 0xFFFFFFFF == 0xFFFFFF9C:  # AT_FDCWD (-100) as the raw register holds it
            where = cwd(pid)
        else:
            where = fd_link(pid, dirfd & 0xFFFFFFFF)
    except VANISHED:
        return path
    return path if where is None else os.path.join(where, path)


# -- file descriptors ---------------------------------------------------------------------


def fd_link(pid: int, fd: int) -> str | None:
    """What /proc/PID/fd/N points at: a path, ``pipe:[ino]``, ``socket:[ino]``, ``anon_inode:[...]``.

    ``None`` when the process has no fd N; raises NoSuchProcess when the process is gone and
    AccessDenied for another user's process (the links need ptrace-read permission).
    """
    path = f"/proc/{pid}/fd/{fd}"
    try:
        return os.readlink(path)
    except OSError as exc:
        # ENOENT is "no such fd" while the process lives; only its folder's absence says it is gone.
        if exc.errno == errno.ENOENT and os.path.exists(f"/proc/{pid}/fd"):
            return None
        raise _translate(exc, pid, path) from exc


def read_fd_link(pid: int, fd: int) -> str | None:
    """Like :func:`fd_link`, for samplers: ``None`` also when the process is gone or forbidden."""
    try:
        return fd_link(pid, fd)
    except VANISHED:
        return None


def socket_protocol(pid: int, fd: int) -> str | None:
    """The protocol of socket fd N (TCP, TCPv6, UDP, UNIX, NETLINK...), or None when unknown.

    Kernel quirk: the name is the ``system.sockprotoname`` extended attribute of the /proc/PID/fd/N
    link itself (sockfs answers it), which spares reading every /proc/net table.
    """
    try:
        return os.getxattr(f"/proc/{pid}/fd/{fd}", "system.sockprotoname").rstrip(b"\0").decode()
    except OSError:
        return None


def epoll_watched_fds(pid: int, epfd: int) -> list[int] | None:
    """The fds an epoll instance watches, from the ``tfd:`` lines of /proc/PID/fdinfo/EPFD."""
    text = _read_or_none(f"/proc/{pid}/fdinfo/{epfd}", pid)
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
    return ".".join(str(b) for b in struct.pack("<I", int(hexaddr, 16)))


def _ipv6(hexaddr: str) -> str:
    import socket  # here, not at the top: the command line's text path imports this module

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


# The /proc/net tables of IP sockets, with the name strace -yy gives their sockets (the v6 tables
# add "v6"): the tracer's fd descriptions and wchan's socket names read the same ones.
INET_TABLES = (("tcp", "TCP", False), ("tcp6", "TCP", True), ("udp", "UDP", False), ("udp6", "UDP", True))


class SocketTable:
    """Maps socket inodes to endpoints, reading /proc/PID/net/* only when an inode is new.

    /proc/PID/net is the network namespace of that process (not ours), which matters in
    containers. Tables are re-read at most once per lookup miss, so a socket that is closed
    before we look simply stays unnamed.
    """

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def name(self, pid: int, inode: int) -> str | None:
        if inode not in self._names:
            self._refresh(pid)
        return self._names.get(inode)

    def _refresh(self, pid: int) -> None:
        for filename, proto, v6 in INET_TABLES:
            text = read_net_table(pid, filename)
            if text:
                self._names.update(parse_inet_table(text, proto, v6))
        text = read_net_table(pid, "unix")
        if text:
            self._names.update(parse_unix_table(text))


def net_table(pid: int, name: str) -> str:
    """The text of /proc/PID/net/NAME (tcp, tcp6, udp, udp6, unix); raises NoSuchProcess.

    Kernel quirk: /proc/PID/net is the network namespace of that process, not ours (plain /proc/net
    is our own): in a container, or for a program run under unshare, only this one lists its sockets.
    A table whose protocol the kernel lacks (tcp6 without IPv6) is absent: NoSuchProcess would lie,
    so that one reads as empty.
    """
    path = f"/proc/{pid}/net/{name}"
    try:
        return _read(path, pid)
    except NoSuchProcess:
        if os.path.exists(f"/proc/{pid}/net"):
            return ""
        raise


def read_net_table(pid: int, name: str) -> str | None:
    """Like :func:`net_table`, for samplers: ``None`` when the process is gone or forbidden."""
    try:
        return net_table(pid, name)
    except VANISHED:
        return None


def describe_fd(pid: int, fd: int, sockets: SocketTable) -> str | None:
    """What an fd is, in trace.df's ``path`` style: a file path, ``pipe:[ino]``, ``TCP:[a->b]``..."""
    link = read_fd_link(pid, fd)
    if link is None:
        return None
    m = _SOCKET.fullmatch(link)
    if m:
        return sockets.name(pid, int(m.group(1))) or link
    return link


# -- memory maps -----------------------------------------------------------------------------


def maps(pid: int) -> list[tuple[int, int, str]]:
    """The process's mappings from /proc/PID/maps as (start, end, permissions such as ``r-xp``).

    Raises NoSuchProcess or AccessDenied (the file needs ptrace-read permission).
    """
    found = []
    for line in _read(f"/proc/{pid}/maps", pid).splitlines():
        span, perms = line.split(None, 2)[:2]
        lo, _, hi = span.partition("-")
        found.append((int(lo, 16), int(hi, 16), perms))
    return found


# -- the system ------------------------------------------------------------------------------


def yama_ptrace_scope() -> int | None:
    """Yama's ptrace_scope (0 classic, 1 only descendants, 2 only CAP_SYS_PTRACE, 3 none); ``None``
    when the kernel has no Yama (the file is absent) or it cannot be read."""
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope", "rb") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def parse_proc_locks(text: str) -> tuple[dict[str, tuple[int, str]], list[tuple[str, int]]]:
    """Pure: /proc/locks as (holders: number -> (pid, device:inode), waiters: [(number, pid)]).

    A waiter's line repeats the number of the lock it is blocked on, followed by ``->``.
    """
    holders: dict[str, tuple[int, str]] = {}
    waiters: list[tuple[str, int]] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) > 6 and fields[1] == "->":
            waiters.append((fields[0], int(fields[5])))
        elif len(fields) > 5:
            holders[fields[0]] = (int(fields[4]), fields[5])
    return holders, waiters


def holders_waited_for(table: str, pid: int) -> list[int]:
    """Pure: the pids holding the locks that process ``pid`` is queued for, in a /proc/locks text."""
    holders, waiters = parse_proc_locks(table)
    return [holders[number][0] for number, waiter in waiters if waiter == pid and number in holders]


def locks() -> str:
    """The text of /proc/locks: every file lock on the machine, held or waited for.

    Kernel quirk: the pid shown is the one that took the lock, in the reader's pid namespace (0
    when that process is outside it, or dead): an flock lock inherited by a child shows its parent.
    """
    with open("/proc/locks", encoding="ascii", errors="replace") as f:
        return f.read()
