"""Processes: execve, clone and clone3, wait4, exit."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from ..flags import files as F
from ..flags import process as P
from ..flags.signals import signame
from ..strings import quote_cstring
from .common import Call, Decoder, hexaddr, timeval, unpack


def string_array(blob: bytes | None, fallback: str, limit: int) -> str:
    """argv as strace prints it: every string cut at the limit, at most ``limit`` of them."""
    total = unpack("<I", blob)
    if total is None:
        return fallback
    items = []
    offset = 4
    while offset + 4 <= len(blob) and len(items) < min(total[0], limit):
        n = struct.unpack_from("<I", blob, offset)[0]
        text = blob[offset + 4: offset + 4 + n]
        offset += 4 + n
        items.append(quote_cstring(text, limit))
    if total[0] > len(items):
        items.append("...")
    return "[" + ", ".join(items) + "]"


def _environment(call: Call, slot: int) -> str:
    count = unpack("<I", call.blob(slot))
    if call.u(slot) == 0:
        return "NULL"
    if count is None:
        return call.ptr(slot)
    return f"{call.ptr(slot)} /* {count[0]} var{'' if count[0] == 1 else 's'} */"


def execve(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield string_array(call.blob(1), call.ptr(1), call.limit)
    yield _environment(call, 2)


def execveat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield string_array(call.blob(2), call.ptr(2), call.limit)
    yield _environment(call, 3)
    yield F.AT_FLAGS.fmt(call.u32(4))


def _clone_flags(flags: int, table=P.CLONE_FLAGS) -> str:
    """Clone flags with the exit signal in the low byte: ``CLONE_VM|SIGCHLD``."""
    sig = flags & P.CSIGNAL
    rest = flags & ~P.CSIGNAL
    parts = []
    if rest:
        parts.append(table.fmt(rest, comment=False))
    if sig:
        parts.append(signame(sig))
    return "|".join(parts) if parts else "0"


def clone(call: Call) -> Iterator[str]:
    # x86_64 argument order: flags, stack, parent_tid, child_tid, tls.
    flags = call.u(0)
    yield f"child_stack={call.ptr(1)}"
    yield f"flags={_clone_flags(flags)}"
    if flags & P.CLONE_PARENT_SETTID:
        # The kernel writes the child's id there; in the parent that is the return value.
        call.exited()
        yield f"parent_tid=[{call.ret}]" if call.ok else f"parent_tid={call.ptr(2)}"
    if flags & (P.CLONE_CHILD_SETTID | P.CLONE_CHILD_CLEARTID):
        yield f"child_tidptr={call.ptr(3)}"
    if flags & P.CLONE_SETTLS:
        yield f"tls={call.ptr(4)}"


def clone3(call: Call) -> Iterator[str]:
    size = call.u(1)
    values = unpack("<11Q", call.blob(0))
    if values is None or size < 64:
        yield call.ptr(0)
        yield str(size)
        return
    flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup = values
    fields = [f"flags={P.CLONE3_FLAGS.fmt(flags, comment=False)}"]
    if flags & 0x1000:
        fields.append(f"pidfd={hexaddr(pidfd)}")
    if flags & (P.CLONE_CHILD_SETTID | P.CLONE_CHILD_CLEARTID):
        fields.append(f"child_tid={hexaddr(child_tid)}")
    if flags & P.CLONE_PARENT_SETTID:
        fields.append(f"parent_tid={hexaddr(parent_tid)}")
    fields.append(f"exit_signal={signame(exit_signal) if exit_signal else 0}")
    fields.append(f"stack={hexaddr(stack)}")
    fields.append(f"stack_size={stack_size:#x}" if stack_size else "stack_size=0")
    if flags & P.CLONE_SETTLS:
        fields.append(f"tls={hexaddr(tls)}")
    if set_tid or set_tid_size:
        fields.append(f"set_tid={hexaddr(set_tid)}, set_tid_size={set_tid_size}")
    if size >= 88 and flags & 0x200000000:
        fields.append(f"cgroup={cgroup}")
    text = "{" + ", ".join(fields) + "}"
    if call.ret is not None and call.ok and flags & P.CLONE_PARENT_SETTID and parent_tid:
        text += f" => {{parent_tid=[{call.ret}]}}"
    yield text
    yield str(size)


def wait_status(status: int) -> str:
    """strace's reading of a wait status, as C macros."""
    status &= 0xFFFFFFFF
    sig = status & 0x7F
    if sig == 0:
        text = f"WIFEXITED(s) && WEXITSTATUS(s) == {(status >> 8) & 0xFF}"
    elif sig == 0x7F:
        text = f"WIFSTOPPED(s) && WSTOPSIG(s) == {signame((status >> 8) & 0xFF)}"
    elif status == 0xFFFF:
        text = "WIFCONTINUED(s)"
    else:
        text = f"WIFSIGNALED(s) && WTERMSIG(s) == {signame(sig)}"
        if status & 0x80:
            text += " && WCOREDUMP(s)"
    event = status >> 16
    if event and sig == 0x7F:
        text += f" | PTRACE_EVENT_{event} << 16"
    return text


def wait4(call: Call) -> Iterator[str]:
    yield str(call.i(0))
    call.exited()
    status = unpack("<i", call.out(1))
    if call.u(1) == 0:
        yield "NULL"
    elif status is None or call.ret == 0:
        yield call.ptr(1)
    else:
        yield f"[{{{wait_status(status[0])}}}]"
    yield P.WAIT_OPTIONS.fmt(call.u32(2))
    usage = unpack("<qqqq", call.out(3))
    if call.u(3) == 0:
        yield "NULL"
    elif usage is None:
        yield call.ptr(3)
    else:
        utime = timeval(struct.pack("<qq", usage[0], usage[1]), "")
        stime = timeval(struct.pack("<qq", usage[2], usage[3]), "")
        yield f"{{ru_utime={utime}, ru_stime={stime}, ...}}"


def exit_(call: Call) -> Iterator[str]:
    yield str(call.i(0))


def no_args(call: Call) -> Iterator[str]:
    return iter(())


DECODERS: dict[str, Decoder] = {
    "execve": execve, "execveat": execveat, "clone": clone, "clone3": clone3, "wait4": wait4,
    "exit": exit_, "exit_group": exit_, "fork": no_args, "vfork": no_args,
}
