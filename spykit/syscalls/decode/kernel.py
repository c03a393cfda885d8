"""What a program asks of the kernel about itself: uname, sysinfo, sigaltstack, CPU affinity,
groups, ptrace and prctl, shown as strace shows them (strace's default, abbreviated where it is)."""

from __future__ import annotations

from collections.abc import Iterator

from ..flags import kernel as K
from ..flags.signals import signame
from ..strings import quote
from .common import Call, Decoder, hexaddr, unpack

_UTS_FIELD = 65  # struct new_utsname: six fields of 65 bytes


def _utsfield(blob: bytes, index: int) -> str:
    raw = blob[index * _UTS_FIELD:(index + 1) * _UTS_FIELD]
    return quote(raw.split(b"\0", 1)[0])


def uname(call: Call) -> Iterator[str]:
    blob = call.out(0)
    if blob is None or len(blob) < 2 * _UTS_FIELD:
        yield call.ptr(0)
    else:  # strace shows the first two fields unless -v
        yield f"{{sysname={_utsfield(blob, 0)}, nodename={_utsfield(blob, 1)}, ...}}"


def sysinfo(call: Call) -> Iterator[str]:
    values = unpack("<q3QQQQQQQH6xQQI", call.out(0))
    if values is None:
        yield call.ptr(0)
        return
    (uptime, l1, l2, l3, total, free, shared, buffer, tswap, fswap, procs, thigh, fhigh, unit) = values
    yield (f"{{uptime={uptime}, loads=[{l1}, {l2}, {l3}], totalram={total}, freeram={free}, sharedram={shared}, "
           f"bufferram={buffer}, totalswap={tswap}, freeswap={fswap}, procs={procs}, totalhigh={thigh}, "
           f"freehigh={fhigh}, mem_unit={unit}}}")


def _stack(blob: bytes | None, fallback: str) -> str:
    values = unpack("<QixxxxQ", blob)  # stack_t: ss_sp, ss_flags, ss_size
    if values is None:
        return fallback
    sp, flags, size = values
    return f"{{ss_sp={hexaddr(sp)}, ss_flags={K.SS_FLAGS.fmt(flags & 0xFFFFFFFF)}, ss_size={size}}}"


def sigaltstack(call: Call) -> Iterator[str]:
    yield "NULL" if call.u(0) == 0 else _stack(call.blob(0), call.ptr(0))
    call.exited()
    yield "NULL" if call.u(1) == 0 else _stack(call.out(1), call.ptr(1))


def _cpus(blob: bytes | None, size: int, fallback: str) -> str:
    if blob is None:
        return fallback
    cpus = [str(8 * i + b) for i, byte in enumerate(blob[:size]) for b in range(8) if byte >> b & 1]
    return "[" + " ".join(cpus) + "]"


def sched_getaffinity(call: Call) -> Iterator[str]:
    yield str(call.i(0))
    yield str(call.u32(1))
    call.exited()
    if not call.ok or call.u(2) == 0:
        yield call.ptr(2)
    else:
        yield _cpus(call.out(2), call.ret, call.ptr(2))


def sched_setaffinity(call: Call) -> Iterator[str]:
    yield str(call.i(0))
    yield str(call.u32(1))
    yield "NULL" if call.u(2) == 0 else _cpus(call.blob(2), call.u32(1), call.ptr(2))


def _gids(blob: bytes | None, count: int, fallback: str) -> str:
    if blob is None or len(blob) < 4 * count:
        return fallback
    gids = [int.from_bytes(blob[4 * i:4 * i + 4], "little") for i in range(count)]
    return "[" + ", ".join("-1" if g == 0xFFFFFFFF else str(g) for g in gids) + "]"


_NGROUPS_MAX = 65536


def getgroups(call: Call) -> Iterator[str]:
    yield str(call.i(0))
    call.exited()
    count = call.ret if call.ok else -1
    if call.u(1) == 0 or not 0 <= count <= _NGROUPS_MAX:
        yield call.ptr(1)
    else:
        yield _gids(call.out(1) if count else b"", count, call.ptr(1))


def setgroups(call: Call) -> Iterator[str]:
    count = call.i(0)
    yield str(count)
    if call.u(1) == 0 or not 0 <= count <= _NGROUPS_MAX:
        yield call.ptr(1)
    else:
        yield _gids(call.blob(1) if count else b"", count, call.ptr(1))


# --- ptrace ---------------------------------------------------------------------------------------
_PID_ONLY = {0x10, 0x4207, 8, 0x4208}  # ATTACH, INTERRUPT, KILL, LISTEN: addr and data ignored
_SIGNAL_DATA = {7, 9, 0x11, 0x18, 0x1F, 0x20, 0x21}  # CONT, SINGLESTEP, DETACH, SYSCALL, SYSEMU*...
_OPTION_DATA = {0x4200, 0x4206}  # SETOPTIONS, SEIZE
_PEEKS = {1, 2, 3}
# GETREGS, SETREGS, GETFPREGS, SETFPREGS, GETFPXREGS, SETFPXREGS: addr is ignored, data is the registers
_REGS = {0xC, 0xD, 0xE, 0xF, 0x12, 0x13}


def ptrace(call: Call) -> Iterator[str]:
    request = call.u(0)
    yield K.PTRACE_REQUESTS.fmt(request) if request < (1 << 32) else f"{request:#x} /* PTRACE_??? */"
    if request == 0:  # PTRACE_TRACEME takes nothing more
        return
    yield str(call.i(1))
    if request in _PID_ONLY:
        return
    if request in _REGS:
        yield call.ptr(3)
        return
    yield call.ptr(2) if request not in (0x420A, 0x420B, 0x420E) else str(call.u(2))
    if request in _SIGNAL_DATA:
        yield signame(call.i(3)) if call.u(3) else "0"
    elif request in _OPTION_DATA:
        yield K.PTRACE_OPTIONS.fmt(call.u32(3))
    elif request in _PEEKS:
        call.exited()
        value = unpack("<Q", call.out(3))
        yield call.ptr(3) if value is None else f"[{hexaddr(value[0])}]"
    else:
        yield call.ptr(3)


# --- prctl ----------------------------------------------------------------------------------------
_PRCTL_NO_ARGS = {7, 13, 21, 30, 31, 32}  # GET_KEEPCAPS, GET_TIMING, GET_SECCOMP, GET_TIMERSLACK, PERF_*
# option: the first of the arguments after it shown in hex (0: none)
_PRCTL_SET_ULONG = {8: 0, 10: 0, 12: 0, 14: 0, 20: 0, 29: 0, 36: 0, 38: 2, 41: 2, 57: 2}
_PRCTL_GET_UINT = {9, 11, 19, 37}  # GET_FPEMU, GET_FPEXC, GET_ENDIAN, GET_CHILD_SUBREAPER: [value] at *arg2


def _xval(value: int) -> str:
    return f"{value:#x}" if value else "0"


def prctl(call: Call) -> Iterator[str]:
    option = call.u32(0)
    yield K.PRCTL_OPTIONS.fmt(option)
    arg2 = call.u(1)
    if option in _PRCTL_NO_ARGS or option == 3:  # (PR_GET_DUMPABLE: the result says it)
        return
    if option in _PRCTL_SET_ULONG:
        yield str(arg2)
        if _PRCTL_SET_ULONG[option]:
            yield from (_xval(call.u(k)) for k in range(2, 5))
        return
    if option == 1:  # PR_SET_PDEATHSIG
        yield str(arg2) if arg2 > 128 else signame(int(arg2))
    elif option == 2:  # PR_GET_PDEATHSIG: an int the kernel fills
        call.exited()
        value = unpack("<i", call.out(1))
        yield call.ptr(1) if value is None else f"[{signame(value[0])}]"
    elif option in _PRCTL_GET_UINT:
        call.exited()
        value = unpack("<I", call.out(1))
        yield call.ptr(1) if value is None else f"[{value[0]}]"
    elif option == 4:  # PR_SET_DUMPABLE
        yield K.SUID_DUMP.fmt(arg2) if arg2 < (1 << 32) else f"{arg2:#x} /* SUID_DUMP_??? */"
    elif option == 15:  # PR_SET_NAME: at most 15 bytes count
        blob = call.blob(1)
        yield call.ptr(1) if blob is None else _comm(blob, 15)
    elif option == 16:  # PR_GET_NAME
        call.exited()
        blob = call.out(1)
        yield call.ptr(1) if blob is None else _comm(blob, 16)
    elif option == 0x59616D61:  # PR_SET_PTRACER
        yield "PR_SET_PTRACER_ANY" if call.i(1) == -1 else str(call.i(1))
    else:  # strace's default: the other four arguments in hex
        yield from (_xval(call.u(k)) for k in range(1, 5))


def _comm(blob: bytes, size: int) -> str:
    """A task name: NUL-terminated within ``size`` bytes (strace: QUOTE_0_TERMINATED)."""
    text = blob[:size]
    if b"\0" in text:
        return quote(text.split(b"\0", 1)[0])
    return quote(text, cut=len(blob) > size)


def prctl_note(call: Call) -> str:
    """``prctl(PR_GET_DUMPABLE) = 1 (SUID_DUMP_USER)``."""
    if call.u32(0) == 3 and call.ret is not None and call.ret >= 0:
        name = K.SUID_DUMP.get(call.ret)
        return f" ({name})" if name else ""
    return ""


DECODERS: dict[str, Decoder] = {
    "uname": uname, "sysinfo": sysinfo, "sigaltstack": sigaltstack,
    "sched_getaffinity": sched_getaffinity, "sched_setaffinity": sched_setaffinity,
    "getgroups": getgroups, "setgroups": setgroups, "ptrace": ptrace, "prctl": prctl,
}
