"""What each file descriptor of each traced process points to, like ``strace -y``/``-yy``.

Descriptions come from /proc/TID/fd/N (read while the tracee is stopped, so the answer is the
one the call saw) and are cached per process: threads share one table, a forked child starts
with a copy, execve drops it (close-on-exec fds vanish; the rest are looked up again lazily).

Sockets are described as strace -yy does: ``TCP:[127.0.0.1:41000->127.0.0.1:8000]``, or
``TCP:[12345]`` (the inode) before the socket has an address. The protocol name comes from the
``system.sockprotoname`` extended attribute of the /proc link, the endpoints from /proc/net.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import procfs
from ..procfs import INET_TABLES, parse_inet_table, parse_unix_table


def describe_socket(tid: int, inode: int, proto: str | None) -> str:
    """``TCP:[src->dst]`` / ``UNIX:[inode,path]`` for a socket inode, or ``PROTO:[inode]``.

    ``proto`` (from system.sockprotoname: TCP, TCPv6, UDP, UNIX...) says which /proc/net tables
    can hold the inode; the tables are read in the tracee's network namespace (/proc/TID/net).
    """
    for filename, name, v6 in INET_TABLES:
        if proto and not proto.startswith(name):
            continue
        text = procfs.read_net_table(tid, filename)
        found = parse_inet_table(text, name, v6).get(inode) if text else None
        if found:
            return found
    if proto is None or proto == "UNIX":
        text = procfs.read_net_table(tid, "unix")
        found = parse_unix_table(text).get(inode) if text else None
        if found:
            return found
    return f"{proto or 'socket'}:[{inode}]"


def describe_fd(tid: int, fd: int) -> str | None:
    """What fd N of thread ``tid`` points to, or None when it is not open (or the thread is gone:
    the tracer looks while the thread is stopped, but a SIGKILL can still take it)."""
    try:
        target = procfs.fd_link(tid, fd)
    except procfs.VANISHED:
        return None
    if target is not None and target.startswith("socket:["):
        return describe_socket(tid, int(target[8:-1]), procfs.socket_protocol(tid, fd))
    return target


NO_DESC = -1


class FdTable:
    """fd -> description per process (thread group), filled lazily from /proc.

    Descriptions are kept as ids from ``intern`` (the recorder's string table), so the hot path
    stores one small int per call.
    """

    def __init__(self, intern: Callable[[str], int]) -> None:
        self._tables: dict[int, dict[int, int]] = {}
        self._intern = intern

    def lookup(self, tgid: int, tid: int, fd: int) -> int:
        table = self._tables.get(tgid)
        if table is None:
            table = self._tables[tgid] = {}
        sid = table.get(fd)
        if sid is None:
            sid = table[fd] = self._describe(tid, fd)
        return sid

    def refresh(self, tgid: int, tid: int, fd: int) -> int:
        """Look an fd up again (it was just opened, or a socket just got an address)."""
        sid = self._describe(tid, fd)
        self._tables.setdefault(tgid, {})[fd] = sid
        return sid

    def _describe(self, tid: int, fd: int) -> int:
        desc = describe_fd(tid, fd)
        return NO_DESC if desc is None else self._intern(desc)

    def close(self, tgid: int, fd: int) -> None:
        table = self._tables.get(tgid)
        if table is not None:
            table.pop(fd, None)

    def close_range(self, tgid: int, first: int, last: int) -> None:
        table = self._tables.get(tgid)
        if table is not None:
            for fd in [fd for fd in table if first <= fd <= last]:
                del table[fd]

    def fork(self, parent_tgid: int, child_tgid: int) -> None:
        self._tables[child_tgid] = dict(self._tables.get(parent_tgid, {}))

    def forget(self, tgid: int) -> None:
        """After execve (close-on-exec) or exit: look everything up again when needed."""
        self._tables.pop(tgid, None)
