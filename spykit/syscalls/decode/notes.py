"""What strace adds after a result in parentheses: ``= 0 (Timeout)``, ``= 0 (flags O_RDONLY)``."""

from __future__ import annotations

from collections.abc import Mapping

from ..flags import files as F
from .common import Call, timespec
from .kernel import prctl_note
from .time import _fd_set, pollfds


def _poll_note(call: Call) -> str:
    if call.ret == 0:
        return " (Timeout)"
    shown = pollfds(call.blob(0, True), call.u32(1), "", call.limit, revents=True)
    if not shown:
        return ""
    left = ""
    if call.name == "ppoll" and call.u(2):
        remaining = timespec(call.blob(2, True), "")
        left = f", left {remaining}" if remaining else ""
    return f" ({shown}{left})"


def _select_note(call: Call) -> str:
    if call.ret == 0:
        return " (Timeout)"
    nfds = call.i(0)
    parts = []
    for slot, label in ((1, "in"), (2, "out"), (3, "except")):
        fds = _fd_set(call.blob(slot, True), nfds) if call.u(slot) else None
        if fds:
            parts.append(f"{label} [{' '.join(map(str, fds))}]")
    if call.u(4):
        remaining = (timespec if call.name == "pselect6" else _timeval_left)(call.blob(4, True), "")
        if remaining:
            parts.append(f"left {remaining}")
    return f" ({', '.join(parts)})" if parts else ""


def _timeval_left(blob: bytes | None, fallback: str) -> str:
    from .common import timeval
    return timeval(blob, fallback)


def _fcntl_note(call: Call) -> str:
    cmd = F.FCNTL_CMDS.get(call.u32(1))
    if cmd == "F_GETFL":
        return f" (flags {F.open_flags(call.ret)})"
    if cmd == "F_GETFD" and call.ret:
        return f" (flags {F.FD_FLAGS.fmt(call.ret)})"
    return ""


_NOTES = {"poll": _poll_note, "ppoll": _poll_note, "select": _select_note, "pselect6": _select_note,
          "fcntl": _fcntl_note, "prctl": prctl_note}


def result_note(name: str, args: tuple[int, ...], ret: int | None, errno: int | None,
                blobs: Mapping[int, bytes | None], *, string_limit: int = 32) -> str:
    """The text strace appends after a successful result, with its leading space, or ``""``.

    ``format_result`` renders ``= 2``; strace then adds what the result means for some calls:
    ``poll`` -> ``([{fd=3, revents=POLLIN}])`` or ``(Timeout)``, ``pselect6`` -> ``(in [3], left {...})``,
    ``fcntl(F_GETFL)`` -> ``(flags O_RDONLY|O_NONBLOCK)``.
    """
    note = _NOTES.get(name)
    if note is None or ret is None or (errno is not None and errno != 0) or ret < 0:
        return ""
    try:
        return note(Call(name, args, ret, errno, blobs, string_limit, None, False))
    except Exception:  # like render_args, never break a trace over a note
        return ""
