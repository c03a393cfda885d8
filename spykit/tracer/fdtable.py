"""What each file descriptor of each traced process points to, like ``strace -y``/``-yy``.

Descriptions come from /proc/TID/fd/N (read while the tracee is stopped, so the answer is the
one the call saw) and are cached per process: threads share one table, a forked child starts
with a copy, execve drops it (close-on-exec fds vanish; the rest are looked up again lazily).

Sockets are described as strace -yy does: ``TCP:[127.0.0.1:41000->127.0.0.1:8000]``, or
``TCP:[12345]`` (the inode) before the socket has an address. The protocol name comes from the
``system.sockprotoname`` extended attribute of the /proc link, the endpoints from /proc/net.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Callable

_NET_TABLES = (("tcp", "TCP", socket.AF_INET), ("tcp6", "TCPv6", socket.AF_INET6),
               ("udp", "UDP", socket.AF_INET), ("udp6", "UDPv6", socket.AF_INET6))


def _hex_to_endpoint(text: str, family: int) -> str:
    addr_hex, port_hex = text.split(":")
    port = int(port_hex, 16)
    raw = bytes.fromhex(addr_hex)
    if family == socket.AF_INET:
        # /proc/net/tcp prints the address as a host-order (little-endian) 32-bit number.
        ip = socket.inet_ntop(socket.AF_INET, raw[::-1])
        return f"{ip}:{port}"
    # IPv6: four 32-bit words, each in host order.
    words = struct.unpack("<4I", raw)
    ip = socket.inet_ntop(socket.AF_INET6, struct.pack(">4I", *words))
    return f"[{ip}]:{port}"


def describe_socket(tid: int, inode: int, proto: str | None) -> str:
    """``TCP:[src->dst]`` / ``UNIX:[inode->peer,path]`` for a socket inode, or ``PROTO:[inode]``."""
    for table, name, family in _NET_TABLES:
        if proto and not proto.startswith(name[:3]):
            continue
        try:
            with open(f"/proc/{tid}/net/{table}") as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if len(parts) > 9 and parts[9] == str(inode):
                        local = _hex_to_endpoint(parts[1], family)
                        remote = _hex_to_endpoint(parts[2], family)
                        label = proto or name
                        if remote.endswith(":0") and remote.startswith(("0.0.0.0", "[::]")):
                            return f"{label}:[{local}]"
                        return f"{label}:[{local}->{remote}]"
        except OSError:
            continue
    if proto is None or proto == "UNIX":
        try:
            with open(f"/proc/{tid}/net/unix") as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if len(parts) > 6 and parts[6] == str(inode):
                        path = parts[7] if len(parts) > 7 else ""
                        return f"UNIX:[{inode}{',' + path if path else ''}]"
        except OSError:
            pass
    return f"{proto or 'socket'}:[{inode}]"


def describe_fd(tid: int, fd: int) -> str | None:
    """What fd N of thread ``tid`` points to, or None when it is not open."""
    link = f"/proc/{tid}/fd/{fd}"
    try:
        target = os.readlink(link)
    except OSError:
        return None
    if target.startswith("socket:["):
        inode = int(target[8:-1])
        try:
            proto = os.getxattr(link, "system.sockprotoname").rstrip(b"\0").decode()
        except OSError:
            proto = None
        return describe_socket(tid, inode, proto)
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
