"""Carry out the Captures of ``spykit.syscalls.captures``: read memory into blobs at a stop.

The blob layouts are documented in ``spykit/syscalls/captures.py``'s contract and read back by
the decoders; this module only reads, it does not interpret.
"""

from __future__ import annotations

import struct
from array import array

from ..syscalls import captures as C
from .memory import MemoryReader

PATH_MAX = 4096
MAX_ELEMENTS = 1024
# execve's argv and envp are kept whole, up to what the kernel itself accepts: one string of at
# most MAX_ARG_STRLEN (32 pages, include/uapi/linux/binfmts.h); their number is bounded only by
# the total size (a quarter of the stack limit), so we stop at a generous count.
MAX_ARG_STRLEN = 32 * 4096
MAX_ARG_STRINGS = 1 << 16
MAX_SOCKADDR = 128


def string_cap(kind: int, string_limit: int) -> int:
    """How many bytes of a string capture to read: a path up to PATH_MAX (strace never cuts
    paths at -s), another string one byte past the string limit (that byte shows it was cut)."""
    return PATH_MAX if kind == C.PATH else string_limit + 1


def _size_of(cap: C.Capture, args, ret: int | None) -> int:
    if cap.size_arg is None:
        return 0
    if cap.size_arg == C.RET:
        return ret if ret is not None and ret > 0 else 0
    value = args[cap.size_arg]
    # A length argument is a size_t; a "negative" one is garbage the kernel will refuse.
    return value if value < (1 << 31) else 0


def _read_iov(mem: MemoryReader, pid: int, addr: int, count: int, total: int, limit: int) -> bytes | None:
    count = min(count, MAX_ELEMENTS)
    raw = mem.read(pid, addr, 16 * count)
    if raw is None or len(raw) < 16 * count:
        return None
    vecs = [struct.unpack_from("<QQ", raw, 16 * i) for i in range(count)]
    out = [struct.pack("<I", count)]
    out.extend(struct.pack("<QQ", base, length) for base, length in vecs)
    left = total
    for base, length in vecs:
        moved = min(length, left)
        left -= moved
        if moved > 0:
            out.append(mem.read(pid, base, min(moved, limit)) or b"")
    return b"".join(out)


class DataLimit:
    """How many bytes a data call keeps: ``limit`` per call while ``left[0]`` (the per-trace budget,
    in an array the C loop reads and charges too) is above 0, the string limit after that."""

    __slots__ = ("limit", "left")

    def __init__(self, limit: int = C.DATA_LIMIT, budget: int = C.DATA_BUDGET):
        self.limit = limit
        self.left = array("q", [budget])

    def now(self, string_limit: int) -> int:
        """The per-call limit for the next data call."""
        return self.limit if self.limit > string_limit and self.left[0] > 0 else string_limit

    def charge(self, blob: bytes | None) -> bytes | None:
        if blob:
            self.left[0] -= len(blob)
        return blob


def capture(mem: MemoryReader, pid: int, cap: C.Capture, args, ret: int | None, string_limit: int,
            before: int | None = None) -> bytes | None:
    """Read one capture's blob. ``before`` is SOCKADDR_OUT's length read at entry. For a data
    call's IOV or MSGHDR, ``string_limit`` is the per-element limit its caller chose."""
    addr = args[cap.slot]
    kind = cap.kind
    if kind in (C.PATH, C.STR):
        return mem.read_string(pid, addr, string_cap(kind, string_limit))
    if kind == C.BUF:
        # (a huge length is no reason to show nothing: strace shows the first string_limit bytes)
        size = args[cap.size_arg] if cap.size_arg not in (None, C.RET) else _size_of(cap, args, ret)
        return mem.read(pid, addr, min(size, string_limit))
    if kind == C.FIXED:
        return mem.read(pid, addr, cap.size)
    if kind == C.ARRAY:
        count = min(_size_of(cap, args, ret), MAX_ELEMENTS)
        return mem.read(pid, addr, count * cap.size)
    if kind == C.SOCKADDR:
        return mem.read(pid, addr, min(_size_of(cap, args, ret), MAX_SOCKADDR))
    if kind == C.SOCKADDR_OUT:
        lenptr = args[cap.size_arg]
        if lenptr == 0:
            return struct.pack("<ii", -1, -1)
        raw = mem.read(pid, lenptr, 4)
        after = struct.unpack("<i", raw)[0] if raw and len(raw) == 4 else -1
        data = mem.read(pid, addr, min(max(after, 0), MAX_SOCKADDR)) if after > 0 else b""
        return struct.pack("<ii", before if before is not None else after, after) + (data or b"")
    if kind == C.STRARRAY:
        ptrs, total = mem.read_pointers(pid, addr, MAX_ARG_STRINGS)
        out = [struct.pack("<I", total)]
        for s in mem.read_strings(pid, ptrs, MAX_ARG_STRLEN):
            s = s or b""
            out.append(struct.pack("<I", len(s)) + s)
        return b"".join(out)
    if kind == C.SIGSET_PAIR:
        pair = mem.read(pid, addr, 16)
        if pair is None or len(pair) < 16:
            return pair
        ss, ss_len = struct.unpack("<QQ", pair)
        mask = mem.read(pid, ss, min(ss_len, 8)) if ss else None
        return pair + (mask or b"")
    if kind == C.DIRENTS:
        # strace shows only how many entries getdents returned: count them by their d_reclen
        raw = mem.read(pid, addr, min(_size_of(cap, args, ret), 1 << 20))
        if raw is None:
            return None
        count = offset = 0
        while offset + 18 <= len(raw):
            reclen = int.from_bytes(raw[offset + 16:offset + 18], "little")
            if reclen == 0:
                break
            count += 1
            offset += reclen
        return struct.pack("<I", count)
    if kind == C.STRCOUNT:
        _, total = mem.read_pointers(pid, addr, 0)
        return struct.pack("<I", total)
    if kind == C.IOV:
        count = _size_of(cap, args, ret)
        if cap.total_arg == C.RET:
            total = ret if ret is not None and ret > 0 else 0
        else:
            total = 1 << 62
        return _read_iov(mem, pid, addr, count, total, string_limit)
    if kind == C.MSGHDR:
        raw = mem.read(pid, addr, 56)
        if raw is None or len(raw) < 56:
            return None
        name, namelen, iov, iovlen, control, controllen, flags = struct.unpack("<QI4xQQQQi4x", raw)
        head = struct.pack("<QIQQQi", name, namelen, iov, iovlen, controllen, flags)
        name_bytes = mem.read(pid, name, min(namelen, MAX_SOCKADDR)) if name and namelen else b""
        if cap.total_arg == C.RET:
            total = ret if ret is not None and ret > 0 else 0
        else:
            total = 1 << 62
        iov_blob = _read_iov(mem, pid, iov, iovlen, total, string_limit) if iov and iovlen else b""
        return head + (name_bytes or b"") + (iov_blob or struct.pack("<I", 0))
    return None


def sockaddr_len_before(mem: MemoryReader, pid: int, cap: C.Capture, args) -> int | None:
    """SOCKADDR_OUT needs the length the program offered, read at entry."""
    lenptr = args[cap.size_arg]
    if lenptr == 0:
        return None
    raw = mem.read(pid, lenptr, 4)
    return struct.unpack("<i", raw)[0] if raw and len(raw) == 4 else None


def make_reader(cap: C.Capture, mem: MemoryReader, string_limit: int, data: DataLimit | None = None):
    """A function ``(tid, args, ret, before) -> blob`` for one capture, specialised ahead of time.

    The common kinds (a path, a data buffer) get a direct closure, which keeps the generic
    dispatch of ``capture`` off the hot path. ``data`` is given for a data call's capture: it
    then keeps up to the data limit (string_limit at least, for the strace-style text).
    """
    slot = cap.slot
    if data is not None and data.limit > string_limit:
        return _data_reader(cap, mem, string_limit, data)
    if cap.kind == C.PATH:
        read_string = mem.read_string
        cap_bytes = string_cap(C.PATH, string_limit)

        def read_path(tid, args, ret, before):
            return read_string(tid, args[slot], cap_bytes)

        return read_path
    if cap.kind == C.BUF and cap.size_arg is not None:
        read = mem.read
        size_arg = cap.size_arg
        limit = string_limit

        if size_arg == C.RET:
            def read_buf(tid, args, ret, before):
                return read(tid, args[slot], ret if ret < limit else limit) if ret and ret > 0 else b""
        else:
            def read_buf(tid, args, ret, before):
                size = args[size_arg]  # even a huge one: strace shows the first `limit` bytes
                return read(tid, args[slot], size if size < limit else limit)

        return read_buf

    def read_other(tid, args, ret, before):
        return capture(mem, tid, cap, args, ret, string_limit, before)

    return read_other


def _data_reader(cap: C.Capture, mem: MemoryReader, string_limit: int, data: DataLimit):
    """A data call's reader: up to the data limit while the trace's data budget lasts."""
    slot = cap.slot
    read, left, limit = mem.read, data.left, data.limit
    if cap.kind == C.BUF and cap.size_arg == C.RET:
        def read_received(tid, args, ret, before):
            if not ret or ret <= 0:
                return b""
            cut = limit if left[0] > 0 else string_limit
            blob = read(tid, args[slot], ret if ret < cut else cut)
            if blob:
                left[0] -= len(blob)
            return blob

        return read_received
    if cap.kind == C.BUF:
        size_arg = cap.size_arg

        def read_sent(tid, args, ret, before):
            size = args[size_arg]
            cut = limit if left[0] > 0 else string_limit
            blob = read(tid, args[slot], size if size < cut else cut)
            if blob:
                left[0] -= len(blob)
            return blob

        return read_sent

    def read_vector(tid, args, ret, before):
        blob = capture(mem, tid, cap, args, ret, data.now(string_limit), before)
        if blob:  # (the charge counts the iovec headers too: a few bytes more, never fewer)
            left[0] -= len(blob)
        return blob

    return read_vector
