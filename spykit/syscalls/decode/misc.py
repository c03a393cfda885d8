"""The calls every program makes while it starts: arch_prctl, set_tid_address, rseq, prlimit64, getrandom."""

from __future__ import annotations

from collections.abc import Iterator

from ..flags import process as P
from .common import Call, Decoder, unpack


def arch_prctl(call: Call) -> Iterator[str]:
    code = call.u32(0)
    yield P.ARCH_PRCTL_CODES.fmt(code)
    if code in (0x1003, 0x1004):  # ARCH_GET_FS/GS write an address back
        yield call.ptr(1)
    elif code in (0x1001, 0x1002):
        yield call.ptr(1)
    else:
        yield f"{call.u(1):#x}"


def set_tid_address(call: Call) -> Iterator[str]:
    yield call.ptr(0)


def set_robust_list(call: Call) -> Iterator[str]:
    yield call.ptr(0)
    yield str(call.u(1))


def rseq(call: Call) -> Iterator[str]:
    yield call.ptr(0)
    yield f"{call.u32(1):#x}"
    yield str(call.i(2))
    yield f"{call.u32(3):#x}"


def _rlim(value: int) -> str:
    if value == P.RLIM64_INFINITY:
        return "RLIM64_INFINITY"
    if value and value % 1024 == 0:
        return f"{value // 1024}*1024"
    return str(value)


def rlimit(blob: bytes | None, fallback: str) -> str:
    values = unpack("<QQ", blob)
    if values is None:
        return fallback
    return f"{{rlim_cur={_rlim(values[0])}, rlim_max={_rlim(values[1])}}}"


def prlimit64(call: Call) -> Iterator[str]:
    yield str(call.i(0))
    yield P.RLIMITS.fmt(call.u32(1))
    yield "NULL" if call.u(2) == 0 else rlimit(call.blob(2), call.ptr(2))
    if call.u(3) == 0:
        yield "NULL"
    else:
        yield rlimit(call.out(3), call.ptr(3))


def getrlimit(call: Call) -> Iterator[str]:
    yield P.RLIMITS.fmt(call.u32(0))
    yield rlimit(call.out(1), call.ptr(1))


def getrandom(call: Call) -> Iterator[str]:
    call.exited()
    blob = call.out(0)
    if blob is None or call.ret is None or call.ret < 0:
        yield call.ptr(0)
    else:
        # strace shows random bytes in hex: they are not text.
        shown = blob[: min(call.ret, call.limit)]
        yield '"' + "".join(f"\\x{b:02x}" for b in shown) + '"' + ("..." if call.ret > call.limit else "")
    yield str(call.u(1))
    yield P.GETRANDOM_FLAGS.fmt(call.u32(2))


DECODERS: dict[str, Decoder] = {
    "arch_prctl": arch_prctl, "set_tid_address": set_tid_address, "set_robust_list": set_robust_list,
    "rseq": rseq, "prlimit64": prlimit64, "getrlimit": getrlimit, "getrandom": getrandom,
}
