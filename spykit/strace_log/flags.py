"""The ``flags`` column of a trace read from a log: strace's flag names back to numbers, then words.

strace prints ``O_WRONLY|O_CREAT|O_TRUNC, 0644``; the live tracer has the numbers. Turning the
names back into numbers lets both go through the same :func:`~spykit.syscalls.flags.words.flag_words`,
so a learner reads the same words whichever way the trace was made. A name this table does not
know leaves the row's flags missing rather than half right.
"""

from __future__ import annotations

import functools

from ..syscalls.flags import files as F
from ..syscalls.flags.words import ARGS, RUNS, WORD_CALLS, flag_words
from .args import split_args

__all__ = ["WORD_CALLS", "flags_of"]


@functools.cache
def _values() -> dict[str, int]:
    values: dict[str, int] = {"F_OK": 0}
    for table in (F.OPEN_FLAGS, F.ACCESS_MODES, F.AT_FLAGS, F.FACCESSAT_FLAGS, F.STATX_SYNC, F.RENAME_FLAGS,
                  F.ACCESS_FLAGS, F.FILE_TYPES):
        for name, value in table.by_name.items():
            values.setdefault(name, value)
    return values


def number(text: str) -> int | None:
    """``O_RDONLY|O_CLOEXEC`` -> 0o2000000; ``0644`` (octal, as strace prints modes) -> 420; None if unknown."""
    total = 0
    names = _values()
    for token in text.strip().split("|"):
        token = token.strip()
        if " /* " in token:  # "0x8 /* O_??? */": the number strace could not name
            token = token.split(" /* ", 1)[0]
        if token in names:
            total |= names[token]
        elif token.startswith("0x"):
            total |= int(token, 16)
        elif token.isdigit():
            total |= int(token, 8) if token.startswith("0") and len(token) > 1 else int(token)
        else:
            return None
    return total


def flags_of(name: str, args: str) -> str | None:
    """The words for one call's flags and mode, from the arguments as strace printed them."""
    wanted = ARGS.get(name)
    if not wanted:
        return flag_words(name, ()) if name in RUNS else None
    parts = split_args(args)
    numbers = [0] * (max(i for i, _ in wanted) + 2)
    for index, kind in wanted:
        for at in (index, index + 1) if kind == "open" else (index,):
            if at < len(parts):
                value = number(parts[at])
                if value is None:
                    if at == index:
                        return None
                    continue
                numbers[at] = value
    return flag_words(name, numbers)  # "" for a call with none, as the live tracer has it
