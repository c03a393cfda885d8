"""The right-hand side of an strace line: ``= 3``, ``= -1 ENOENT (No such file or directory)``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errnos import RESTART_CODES, errno_message

if TYPE_CHECKING:  # not imported: the command line's text path runs without pandas
    import pandas as pd

# Calls whose result is an address, which strace prints in hex.
HEX_RESULT = frozenset({"mmap", "mremap", "brk", "shmat"})


# fcntl commands whose result is a set of flags, which strace prints in hex (`= 0x1 (flags FD_CLOEXEC)`)
_FCNTL_HEX = ("F_GETFD", "F_GETFL", "F_GETSIG", "F_GET_SEALS")


def format_result(syscall: str, ret: Any, error: Any, args: str | None = None, note: Any = None) -> str:
    """Render a call's result the way strace does.

    ``ret`` is the value the program saw (``-1`` on error), or missing for a call that never
    returned; ``error`` is the errno name or missing. ``args`` (the rendered arguments) tells
    fcntl's flag-returning commands apart; ``note`` is what strace adds after the value
    (the ``note`` column, e.g. `` (flags O_RDONLY)``).
    """
    text = _format_value(syscall, ret, error, args)
    if isinstance(note, str) and note:
        text += note
    return text


def _format_value(syscall: str, ret: Any, error: Any, args: str | None) -> str:
    has_error = isinstance(error, str) and error != ""
    if has_error and error in RESTART_CODES:
        # The program never sees these: the call is restarted or returns EINTR.
        return f"? {error} ({errno_message(error)})"
    if ret is None or type(ret).__name__ == "NAType" or (isinstance(ret, float) and ret != ret):  # (pd.NA too)
        return "?"
    if has_error:
        return f"-1 {error} ({errno_message(error)})"
    ret = int(ret)
    if syscall in HEX_RESULT:
        return hex(ret & 0xFFFFFFFFFFFFFFFF)
    if syscall == "umask":
        return f"0{ret:o}" if ret else "000"
    if ret and syscall == "fcntl" and args and any(f", {cmd}" in args for cmd in _FCNTL_HEX):
        return hex(ret)
    return str(ret)


def format_results(df: pd.DataFrame) -> list[str]:
    """``format_result`` for every row of a trace's frame, with its arguments and note where the
    frame has them (fcntl's ``= 0x1 (flags FD_CLOEXEC)``, poll's ``= 1 ([{fd=3, revents=POLLIN}])``)."""
    n = len(df)
    args = df["args"].astype(object).tolist() if "args" in df.columns else [None] * n
    notes = df["note"].astype(object).tolist() if "note" in df.columns else [None] * n
    return [format_result(str(s), r, e, a if isinstance(a, str) else None, note)
            for s, r, e, a, note in zip(df["syscall"].astype(str), df["ret"], df["error"], args, notes, strict=True)]
