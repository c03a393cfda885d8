"""Signals: rt_sigaction, rt_sigprocmask, kill, tgkill."""

from __future__ import annotations

from collections.abc import Iterator

from ..flags import signals as S
from .common import Call, Decoder, hexaddr, unpack


def sigaction_struct(blob: bytes | None, fallback: str) -> str:
    """``{sa_handler=SIG_IGN, sa_mask=[INT], sa_flags=SA_RESTORER, sa_restorer=0x7f...}``."""
    values = unpack("<QQQQ", blob)  # struct kernel_sigaction: handler, flags, restorer, mask
    if values is None:
        return fallback
    handler, flags, restorer, mask = values
    text = (f"{{sa_handler={S.HANDLERS.get(handler) or hexaddr(handler)}, sa_mask={S.sigset(mask)}, "
            f"sa_flags={S.SA_FLAGS.fmt(flags)}")  # (a long: strace shows bits above 32 too)
    if flags & S.SA_RESTORER:
        text += f", sa_restorer={hexaddr(restorer)}"
    return text + "}"


def rt_sigreturn(call: Call) -> Iterator[str]:
    """``rt_sigreturn({mask=[]})``: the mask the call restores, read from the signal frame."""
    mask = unpack("<Q", call.blob(0))
    if mask is not None:
        yield f"{{mask={S.sigset(mask[0])}}}"


def sigset_arg(call: Call, slot: int, at_exit: bool) -> str:
    if call.u(slot) == 0:
        return "NULL"
    blob = call.out(slot) if at_exit else call.blob(slot)
    size = min(call.u(3), 8)
    mask = unpack("<Q", blob)
    if mask is None or size == 0:
        return call.ptr(slot)
    return S.sigset(mask[0], bits=size * 8)


def rt_sigaction(call: Call) -> Iterator[str]:
    yield S.signame(call.i(0))
    yield sigaction_struct(call.blob(1), call.ptr(1)) if call.u(1) else "NULL"
    call.exited()
    if call.u(2) == 0:
        yield "NULL"
    else:
        yield sigaction_struct(call.out(2), call.ptr(2))
    yield str(call.u(3))


def rt_sigprocmask(call: Call) -> Iterator[str]:
    yield S.SIGPROCMASK_HOW.fmt(call.u32(0))
    yield sigset_arg(call, 1, False)
    if call.u(2) == 0:
        yield "NULL"
    else:
        yield sigset_arg(call, 2, True)
    yield str(call.u(3))


def kill(call: Call) -> Iterator[str]:
    yield str(call.i(0))
    yield S.signame(call.i(1))


def tgkill(call: Call) -> Iterator[str]:
    yield str(call.i(0))
    yield str(call.i(1))
    yield S.signame(call.i(2))


DECODERS: dict[str, Decoder] = {
    "rt_sigreturn": rt_sigreturn,
    "rt_sigaction": rt_sigaction, "rt_sigprocmask": rt_sigprocmask, "kill": kill, "tkill": kill,
    "tgkill": tgkill,
}
