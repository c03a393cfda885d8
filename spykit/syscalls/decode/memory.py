"""Memory: mmap, mprotect, munmap, brk, madvise."""

from __future__ import annotations

from collections.abc import Iterator

from ..flags import memory as M
from .common import Call, Decoder


def mmap(call: Call) -> Iterator[str]:
    yield call.ptr(0)
    yield str(call.u(1))
    yield M.PROT_FLAGS.fmt(call.u32(2))
    yield M.mmap_flags(call.u32(3))
    yield str(call.i(4)) if not call.decode_fds or call.i(4) < 0 else call.fd(4)
    offset = call.u(5)
    yield f"{offset:#x}" if offset else "0"


def mprotect(call: Call) -> Iterator[str]:
    yield call.ptr(0)
    yield str(call.u(1))
    yield M.PROT_FLAGS.fmt(call.u32(2))


def munmap(call: Call) -> Iterator[str]:
    yield call.ptr(0)
    yield str(call.u(1))


def brk(call: Call) -> Iterator[str]:
    yield call.ptr(0)


def madvise(call: Call) -> Iterator[str]:
    yield call.ptr(0)
    yield str(call.u(1))
    yield M.MADVICE.fmt(call.u32(2))


DECODERS: dict[str, Decoder] = {
    "mmap": mmap, "mprotect": mprotect, "munmap": munmap, "brk": brk, "madvise": madvise,
}
