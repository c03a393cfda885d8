"""What every decoder needs: one call's numbers and blobs, and strace's small printing rules.

A decoder is a generator: it yields the call's arguments one by one, already rendered. When an
argument can only be shown after the call returned (a buffer that was read into, a struct the
kernel filled) and the call never returned, the decoder asks ``call.exited()``, which raises
``Unfinished``; the caller then shows what was yielded so far, as strace shows an unfinished
call: ``wait4(22686, ``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping

from .. import captures as C
from ..strings import quote_buffer, quote_cstring, quote_path

Decoder = Callable[["Call"], Iterator[str]]

_MASK64 = (1 << 64) - 1


class Unfinished(Exception):
    """The call has no exit yet: stop rendering at the first output argument."""


def hexaddr(value: int) -> str:
    """A pointer as strace prints it: ``NULL`` or ``0x7ffd...``."""
    value &= _MASK64
    return "NULL" if value == 0 else f"{value:#x}"


def signed64(value: int) -> int:
    value &= _MASK64
    return value - (1 << 64) if value >> 63 else value


def signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value


class Call:
    """One system call as the decoders see it."""

    __slots__ = ("name", "args", "ret", "errno", "blobs", "limit", "fd_path", "decode_fds", "main_fd")

    def __init__(self, name: str, args: tuple[int, ...], ret: int | None, errno: int | None,
                 blobs: Mapping[int, bytes | None], limit: int, fd_path: str | None, decode_fds: bool):
        self.name = name
        self.args = tuple([int(a) & _MASK64 for a in args]) + (0,) * (6 - len(args))
        self.ret = ret
        self.errno = errno
        self.blobs = blobs
        self.limit = limit
        self.fd_path = fd_path
        self.decode_fds = decode_fds
        # The fd strace -y would annotate: the call's fd argument, or a *at call's directory fd.
        self.main_fd = C.FD_ARG.get(name, 0 if C.PATH_ARG.get(name) == 1 else None)

    # -- numbers ---------------------------------------------------------------------------------
    def u(self, i: int) -> int:
        """Argument ``i`` as an unsigned 64-bit number."""
        return self.args[i]

    def s(self, i: int) -> int:
        """Argument ``i`` as a signed long (offsets, pids, lengths that may be -1)."""
        return signed64(self.args[i])

    def i(self, i: int) -> int:
        """Argument ``i`` as a C int (fds, flags, modes)."""
        return signed32(self.args[i])

    def u32(self, i: int) -> int:
        return self.args[i] & 0xFFFFFFFF

    def ptr(self, i: int) -> str:
        return hexaddr(self.args[i])

    @property
    def failed(self) -> bool:
        return self.errno is not None and self.errno != 0

    @property
    def ok(self) -> bool:
        """The call returned without an error: its output arguments are worth reading."""
        return self.ret is not None and not self.failed

    def exited(self) -> None:
        """Raise Unfinished when the call never returned."""
        if self.ret is None:
            raise Unfinished

    # -- file descriptors ------------------------------------------------------------------------
    def fd(self, i: int) -> str:
        """An fd argument; with ``decode_fds`` the main fd carries its path, like ``strace -y``."""
        value = self.i(i)
        if self.decode_fds and i == self.main_fd and self.fd_path and value >= 0:
            return f"{value}<{self.fd_path}>"
        return str(value)

    def dirfd(self, i: int) -> str:
        """A *at call's directory fd: ``AT_FDCWD`` or an fd."""
        return "AT_FDCWD" if self.i(i) == -100 else self.fd(i)

    # -- blobs -----------------------------------------------------------------------------------
    def has(self, slot: int, at_exit: bool = False) -> bool:
        return slot + (8 if at_exit else 0) in self.blobs

    def blob(self, slot: int, at_exit: bool = False) -> bytes | None:
        """The bytes read for a slot at entry (or exit); None when absent or unreadable."""
        return self.blobs.get(slot + (8 if at_exit else 0))

    def out(self, slot: int) -> bytes | None:
        """An output argument's bytes: needs the exit, and only a successful call filled it."""
        self.exited()
        if not self.ok:
            return None
        return self.blob(slot, True)

    def path(self, slot: int) -> str:
        blob = self.blob(slot)
        if blob is None:
            return self.ptr(slot)
        return quote_path(blob)

    def cstring(self, slot: int) -> str:
        blob = self.blob(slot)
        if blob is None:
            return self.ptr(slot)
        return quote_cstring(blob, self.limit)

    def buffer(self, slot: int, size: int, at_exit: bool) -> str:
        """A data buffer of ``size`` bytes (``write``'s input, ``read``'s output)."""
        blob = self.out(slot) if at_exit else self.blob(slot)
        if blob is None:
            return self.ptr(slot)
        return quote_buffer(blob, max(size, 0), self.limit)


def unpack(fmt: str, blob: bytes | None, offset: int = 0) -> tuple | None:
    """``struct.unpack_from`` that answers None when the blob is missing or too short."""
    if blob is None or len(blob) < offset + struct.calcsize(fmt):
        return None
    return struct.unpack_from(fmt, blob, offset)


def int_in_brackets(call: Call, slot: int, at_exit: bool, fmt: str = "<i") -> str:
    """strace's ``[value]`` for a pointer to one int."""
    blob = call.out(slot) if at_exit else call.blob(slot)
    values = unpack(fmt, blob)
    if values is None:
        return call.ptr(slot)
    return f"[{values[0]}]"


def timespec(blob: bytes | None, fallback: str) -> str:
    values = unpack("<qq", blob)
    if values is None:
        return fallback
    return f"{{tv_sec={values[0]}, tv_nsec={values[1]}}}"


def timeval(blob: bytes | None, fallback: str) -> str:
    values = unpack("<qq", blob)
    if values is None:
        return fallback
    return f"{{tv_sec={values[0]}, tv_usec={values[1]}}}"
