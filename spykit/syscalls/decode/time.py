"""Waiting: sleeps, clocks, poll/select/epoll, futex."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from ..flags import futex as FX
from ..flags import time as T
from ..flags.signals import sigset
from .common import Call, Decoder, timespec, timeval, unpack


def nanosleep(call: Call) -> Iterator[str]:
    yield timespec(call.blob(0), call.ptr(0))
    yield call.ptr(1)  # the remaining time is only written when a signal interrupts the sleep


def clock_nanosleep(call: Call) -> Iterator[str]:
    yield T.CLOCKS.fmt(call.u32(0))
    yield T.TIMER_FLAGS.fmt(call.u32(1))
    yield timespec(call.blob(2), call.ptr(2))
    yield call.ptr(3)


def clock_gettime(call: Call) -> Iterator[str]:
    yield T.CLOCKS.fmt(call.u32(0))
    yield timespec(call.out(1), call.ptr(1))


def _array_items(items: list[str], total: int, limit: int) -> str:
    if total > limit:
        items = items[:limit] + ["..."]
    return "[" + ", ".join(items) + "]"


def pollfds(blob: bytes | None, count: int, fallback: str, limit: int, revents: bool) -> str:
    if blob is None or len(blob) < 8 * min(count, 1024):
        return fallback
    items = []
    for k in range(min(count, 1024, limit)):
        fd, events, rev = struct.unpack_from("<ihh", blob, 8 * k)
        if revents:
            if rev:
                items.append(f"{{fd={fd}, revents={T.POLL_EVENTS.fmt(rev & 0xFFFF)}}}")
        else:
            items.append(f"{{fd={fd}, events={T.POLL_EVENTS.fmt(events & 0xFFFF)}}}")
    if revents:
        return "[" + ", ".join(items) + "]"
    return _array_items(items, count, limit)


def poll(call: Call) -> Iterator[str]:
    count = call.u32(1)
    yield pollfds(call.blob(0), count, call.ptr(0), call.limit, revents=False) if call.u(0) else "NULL"
    yield str(count)
    yield str(call.i(2))


def ppoll(call: Call) -> Iterator[str]:
    count = call.u32(1)
    yield pollfds(call.blob(0), count, call.ptr(0), call.limit, revents=False) if call.u(0) else "NULL"
    yield str(count)
    yield timespec(call.blob(2), call.ptr(2))
    mask = unpack("<Q", call.blob(3))
    yield "NULL" if call.u(3) == 0 else (sigset(mask[0], bits=min(call.u(4), 8) * 8) if mask else call.ptr(3))
    yield str(call.u(4))


def _fd_set(blob: bytes | None, nfds: int) -> list[int] | None:
    if blob is None:
        return None
    fds = []
    for fd in range(min(nfds, len(blob) * 8)):
        if blob[fd // 8] >> (fd % 8) & 1:
            fds.append(fd)
    return fds


def _fd_set_arg(call: Call, slot: int, nfds: int) -> str:
    if call.u(slot) == 0:
        return "NULL"
    fds = _fd_set(call.blob(slot), nfds)
    if fds is None:
        return call.ptr(slot)
    return "[" + " ".join(map(str, fds)) + "]"


def select(call: Call) -> Iterator[str]:
    nfds = call.i(0)
    yield str(nfds)
    for slot in (1, 2, 3):
        yield _fd_set_arg(call, slot, nfds)
    yield timeval(call.blob(4), call.ptr(4))


def pselect6(call: Call) -> Iterator[str]:
    nfds = call.i(0)
    yield str(nfds)
    for slot in (1, 2, 3):
        yield _fd_set_arg(call, slot, nfds)
    yield timespec(call.blob(4), call.ptr(4))
    # The sixth argument points to {const sigset_t *ss; size_t ss_len}; the tracer follows ss too
    # and appends the set's bytes (SIGSET_PAIR).
    blob = call.blob(5)
    pair = unpack("<QQ", blob[:16] if blob else None)
    if call.u(5) == 0:
        yield "NULL"
    elif pair is None:
        yield call.ptr(5)
    else:
        ss, size = pair
        if ss == 0:
            mask = "NULL"
        elif blob is not None and len(blob) >= 16 + min(size, 8) > 16:
            mask = sigset(int.from_bytes(blob[16:16 + min(size, 8)], "little"), 8 * min(size, 8))
        else:
            mask = hex(ss)
        yield f"{{sigmask={mask}, sigsetsize={size}}}"


def epoll_events(blob: bytes | None, count: int, fallback: str, limit: int) -> str:
    if blob is None or len(blob) < 12 * count:
        return fallback
    items = []
    for k in range(min(count, limit)):
        events, data = struct.unpack_from("<IQ", blob, 12 * k)
        items.append(f"{{events={T.EPOLL_EVENTS.fmt(events)}, data={{u32={data & 0xFFFFFFFF}, u64={data}}}}}")
    return _array_items(items, count, limit)


def epoll_wait(call: Call) -> Iterator[str]:
    yield call.fd(0)
    call.exited()
    blob = call.out(1)
    yield epoll_events(blob, call.ret or 0, call.ptr(1), call.limit) if blob is not None or call.ok else call.ptr(1)
    yield str(call.i(2))
    yield str(call.i(3))


def epoll_pwait(call: Call) -> Iterator[str]:
    yield from epoll_wait(call)
    mask = unpack("<Q", call.blob(4))
    yield "NULL" if call.u(4) == 0 else (sigset(mask[0], bits=min(call.u(5), 8) * 8) if mask else call.ptr(4))
    yield str(call.u(5))


def epoll_ctl(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield T.EPOLL_CTL_OPS.fmt(call.u32(1))
    yield str(call.i(2))
    if call.u(3) == 0:
        yield "NULL"
    else:
        yield epoll_events(call.blob(3), 1, call.ptr(3), call.limit)[1:-1]


def epoll_create1(call: Call) -> Iterator[str]:
    yield T.EPOLL_CREATE_FLAGS.fmt(call.u32(0))


def _bitset(value: int) -> str:
    return "FUTEX_BITSET_MATCH_ANY" if value == FX.FUTEX_BITSET_MATCH_ANY else f"{value:#x}"


def _wake_op(value: int) -> str:
    op, cmp_, oparg, cmparg = (value >> 28) & 7, (value >> 24) & 15, (value >> 12) & 0xFFF, value & 0xFFF
    shift = "FUTEX_OP_OPARG_SHIFT|" if value >> 31 else ""
    return f"{{{shift}{FX.WAKE_OPS.fmt(op)}, {oparg}, {FX.WAKE_CMPS.fmt(cmp_)}, {cmparg}}}"


def futex(call: Call) -> Iterator[str]:
    op = call.u32(1)
    cmd = op & 127
    yield call.ptr(0)
    yield FX.futex_op(op)
    val, timeout = call.i(2), timespec(call.blob(3), call.ptr(3))
    if cmd in (0, 11):  # FUTEX_WAIT, FUTEX_WAIT_REQUEUE_PI
        yield from (str(call.u32(2)), timeout)
        if cmd == 11:
            yield call.ptr(4)
    elif cmd == 9:  # FUTEX_WAIT_BITSET
        yield from (str(call.u32(2)), timeout, _bitset(call.u32(5)))
    elif cmd == 1:  # FUTEX_WAKE
        yield str(val)
    elif cmd == 10:  # FUTEX_WAKE_BITSET
        yield from (str(val), _bitset(call.u32(5)))
    elif cmd == 3:  # FUTEX_REQUEUE
        yield from (str(val), str(call.u32(3)), call.ptr(4))
    elif cmd in (4, 12):  # FUTEX_CMP_REQUEUE(_PI)
        yield from (str(val), str(call.u32(3)), call.ptr(4), str(call.u32(5)))
    elif cmd == 5:  # FUTEX_WAKE_OP
        yield from (str(val), str(call.u32(3)), call.ptr(4), _wake_op(call.u32(5)))
    elif cmd in (6, 13):  # FUTEX_LOCK_PI(2)
        yield timeout
    elif cmd in (7, 8):  # FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI
        return
    else:
        yield from (str(val), call.ptr(3), call.ptr(4), f"{call.u32(5):#x}")


def _itimerval(blob: bytes | None, fallback: str) -> str:
    interval, value = timeval(blob, ""), timeval(blob[16:] if blob else None, "")
    if not interval or not value:
        return fallback
    return f"{{it_interval={interval}, it_value={value}}}"


def setitimer(call: Call) -> Iterator[str]:
    yield T.ITIMERS.fmt(call.i(0))
    yield "NULL" if call.u(1) == 0 else _itimerval(call.blob(1), call.ptr(1))
    call.exited()
    yield "NULL" if call.u(2) == 0 else _itimerval(call.out(2), call.ptr(2))


def getitimer(call: Call) -> Iterator[str]:
    yield T.ITIMERS.fmt(call.i(0))
    yield _itimerval(call.out(1), call.ptr(1))


DECODERS: dict[str, Decoder] = {
    "setitimer": setitimer, "getitimer": getitimer,
    "nanosleep": nanosleep, "clock_nanosleep": clock_nanosleep, "clock_gettime": clock_gettime,
    "clock_getres": clock_gettime, "poll": poll, "ppoll": ppoll, "select": select, "pselect6": pselect6,
    "epoll_wait": epoll_wait, "epoll_pwait": epoll_pwait, "epoll_ctl": epoll_ctl,
    "epoll_create1": epoll_create1, "futex": futex,
}
