"""Reading a stopped tracee's memory.

``process_vm_readv`` is the fast way: one system call for a whole buffer, and it reports
exactly what the kernel could read. It refuses to split one remote iovec on a fault, so reads
are cut into page-sized remote pieces: a string that runs into an unmapped page then yields
its readable part instead of nothing.

Where ``process_vm_readv`` is refused (some container seccomp profiles block it, returning
EPERM or ENOSYS) we fall back to ``PTRACE_PEEKDATA``, one word at a time.

We never keep a /proc/PID/mem descriptor: after execve it silently reads 0 bytes.
"""

from __future__ import annotations

import ctypes
import errno
import struct

from .. import procfs
from .linux import PTRACE_PEEKDATA, _ptrace, libc

PAGE = 4096
_MAX_PIECES = 16
_IOV_MAX = 1024  # the most iovecs one process_vm_readv takes (UIO_MAXIOV)


class _IoVec(ctypes.Structure):
    _fields_ = (("base", ctypes.c_void_p), ("len", ctypes.c_size_t))


# No argtypes: pointers are passed as prebuilt c_void_p objects, which saves the per-call argument
# conversion on the hottest path of the tracer (a read or write of one byte costs one of these).
_process_vm_readv = libc.process_vm_readv
_process_vm_readv.restype = ctypes.c_ssize_t
_set_iov = struct.Struct("<QQ").pack_into


def _readable_length(pid: int, addr: int, size: int) -> int:
    """How many bytes from ``addr`` lie in mappings the process may read (per /proc/PID/maps)."""
    try:
        maps = procfs.maps(pid)
    except procfs.VANISHED:
        return 0
    cur, end = addr, addr + size
    for lo, hi, perms in maps:
        if lo <= cur < hi:
            if perms[0] != "r":
                break
            cur = min(hi, end)
            if cur >= end:
                break
    return cur - addr


class MemoryReader:
    """Reads bytes and strings out of stopped tracees. One per tracer (not thread-safe)."""

    def __init__(self, size: int = 65536):
        self._size = size
        self._buf = ctypes.create_string_buffer(size)
        self._view = memoryview(self._buf)
        self._local = _IoVec(ctypes.addressof(self._buf), size)
        self._local_view = memoryview(self._local).cast("B")
        self._local_ptr = ctypes.c_void_p(ctypes.addressof(self._local))
        self._remote = (_IoVec * _MAX_PIECES)()
        self._remote_view = memoryview(self._remote).cast("B")
        self._remote_ptr = ctypes.c_void_p(ctypes.addressof(self._remote))
        self.use_vm_readv = True

    def _grow(self, size: int) -> None:
        if size > self._size:
            self._size = size
            self._buf = ctypes.create_string_buffer(size)
            self._view = memoryview(self._buf)
            self._local.base = ctypes.addressof(self._buf)

    def read(self, pid: int, addr: int, size: int) -> bytes | None:
        """Up to ``size`` bytes at ``addr``: all of them, the readable prefix, or None."""
        if size <= 0:
            return b""
        if addr == 0:
            return None
        if self.use_vm_readv:
            if size <= 4096 and (addr ^ (addr + size - 1)) < PAGE:
                # within one page, the common case: one remote piece, no buffer growth
                _set_iov(self._local_view, 0, ctypes.addressof(self._buf), size)
                _set_iov(self._remote_view, 0, addr, size)
                n = _process_vm_readv(pid, self._local_ptr, 1, self._remote_ptr, 1, 0)
                if n > 0:
                    return bytes(self._view[:n])
                got = self._vm_failed()
            else:
                got = self._vm_read(pid, addr, size)
            if got is not None or self.use_vm_readv:
                return got
        return self._peek_read(pid, addr, size)

    def _vm_read(self, pid: int, addr: int, size: int) -> bytes | None:
        self._grow(size)
        remote = self._remote
        end = addr + size
        pieces = 0
        cur = addr
        while cur < end and pieces < _MAX_PIECES:
            piece_end = min(end, (cur // PAGE + 1) * PAGE)
            if pieces == _MAX_PIECES - 1:
                piece_end = end  # the rest in one piece: a fault there loses only its tail
            remote[pieces].base = cur
            remote[pieces].len = piece_end - cur
            pieces += 1
            cur = piece_end
        _set_iov(self._local_view, 0, ctypes.addressof(self._buf), size)
        n = _process_vm_readv(pid, self._local_ptr, 1, self._remote_ptr, pieces, 0)
        if n > 0:
            return bytes(self._view[:n])
        return self._vm_failed()

    def _vm_failed(self) -> None:
        if ctypes.get_errno() in (errno.EPERM, errno.ENOSYS):
            # Refused for this tracer (e.g. a container's seccomp profile): fall back for good.
            self.use_vm_readv = False
        return None

    def _peek_read(self, pid: int, addr: int, size: int) -> bytes | None:
        # PTRACE_PEEKDATA reads through page protections (FOLL_FORCE); the kernel itself would
        # fault on a PROT_NONE or unmapped page. Read only what a readable mapping covers, so we
        # show what the kernel saw.
        size = _readable_length(pid, addr, size)
        if size <= 0:
            return None
        start = addr & ~7
        out = bytearray()
        word = start
        ctypes.set_errno(0)
        while word < addr + size:
            value = _ptrace(PTRACE_PEEKDATA, pid, word, 0)
            if value == -1 and ctypes.get_errno():
                break
            out += struct.pack("<q", value)
            word += 8
        skip = addr - start
        data = bytes(out[skip:skip + size])
        return data or None

    def read_string(self, pid: int, addr: int, cap: int) -> bytes | None:
        """A NUL-terminated string at ``addr``, without the NUL, at most ``cap`` bytes.

        Reads page by page so a short string costs one call and a string that runs into
        an unmapped page keeps its readable part.
        """
        if addr == 0:
            return None
        out = b""
        cur = addr
        while len(out) < cap:
            chunk = min(cap - len(out), (cur // PAGE + 1) * PAGE - cur)
            data = self.read(pid, cur, chunk)
            if not data:
                return out if out else None
            nul = data.find(b"\0")
            if nul >= 0:
                return out + data[:nul]
            out += data
            if len(data) < chunk:
                break
            cur += chunk
        return out[:cap]

    def read_strings(self, pid: int, addrs: list[int], cap: int) -> list[bytes | None]:
        """``[read_string(pid, a, cap) for a in addrs]``, in as few system calls as it can.

        An execve's argv and envp are dozens of short strings: reading each costs a system call,
        so all are asked for in one ``process_vm_readv``, each from its address to the end of its
        page (``cap`` at most). The kernel fills remote pieces in order and never splits one, so
        every piece below the count it returns is whole. A string that does not end in its page,
        and every string from the first piece the kernel could not read, is read on its own.
        """
        if not self.use_vm_readv or len(addrs) < 2:
            return [self.read_string(pid, addr, cap) for addr in addrs]
        out: list[bytes | None] = []
        for start in range(0, len(addrs), _IOV_MAX):
            out += self._read_strings_batch(pid, addrs[start:start + _IOV_MAX], cap)
        return out

    def _read_strings_batch(self, pid: int, addrs: list[int], cap: int) -> list[bytes | None]:
        sizes = [min(cap, PAGE - addr % PAGE) if addr else 0 for addr in addrs]
        total = sum(sizes)
        remote = (_IoVec * len(addrs))()
        pieces = 0
        for addr, size in zip(addrs, sizes, strict=True):
            if size:  # (a NULL pointer gets no piece: the kernel would fail on it)
                remote[pieces].base = addr
                remote[pieces].len = size
                pieces += 1
        self._grow(total)
        _set_iov(self._local_view, 0, ctypes.addressof(self._buf), total)
        n = _process_vm_readv(pid, self._local_ptr, 1, ctypes.byref(remote), pieces, 0) if pieces else 0
        if n < 0:
            self._vm_failed()
            n = 0
        data = bytes(self._view[:n])
        out: list[bytes | None] = []
        offset = 0
        for addr, size in zip(addrs, sizes, strict=True):
            if not addr:
                out.append(None)
                continue
            if offset + size > n:  # this piece (and every one after it) was not read
                out.append(self.read_string(pid, addr, cap))
                continue
            piece = data[offset:offset + size]
            offset += size
            nul = piece.find(b"\0")
            if nul >= 0:
                out.append(piece[:nul])
            elif size >= cap:
                out.append(piece)
            else:  # runs on into the next page
                rest = self.read_string(pid, addr + size, cap - size)
                out.append(piece + (rest or b""))
        return out

    def read_pointers(self, pid: int, addr: int, limit: int) -> tuple[list[int], int]:
        """A NULL-terminated array of pointers: (the first ``limit`` pointers, total count)."""
        ptrs: list[int] = []
        total = 0
        cur = addr
        while True:
            data = self.read(pid, cur, 8 * 64)
            if not data:
                return ptrs, total
            count = len(data) // 8
            for value in struct.unpack(f"<{count}Q", data[: count * 8]):
                if value == 0:
                    return ptrs, total
                if total < limit:
                    ptrs.append(value)
                total += 1
                if total > 1 << 20:  # a runaway array: stop counting
                    return ptrs, total
            cur += count * 8
