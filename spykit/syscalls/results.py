"""The right-hand side of an strace line: ``= 3``, ``= -1 ENOENT (No such file or directory)``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .errnos import RESTART_CODES, errno_message

# Calls whose result is an address, which strace prints in hex.
HEX_RESULT = frozenset({"mmap", "mremap", "brk", "shmat"})


def format_result(syscall: str, ret: Any, error: Any) -> str:
    """Render a call's result the way strace does.

    ``ret`` is the value the program saw (``-1`` on error), or missing for a call that never
    returned; ``error`` is the errno name or missing.
    """
    has_error = isinstance(error, str) and error != ""
    if has_error and error in RESTART_CODES:
        # The program never sees these: the call is restarted or returns EINTR.
        return f"? {error} ({errno_message(error)})"
    if ret is None or ret is pd.NA or (isinstance(ret, float) and ret != ret):
        return "?"
    if has_error:
        return f"-1 {error} ({errno_message(error)})"
    ret = int(ret)
    if syscall in HEX_RESULT:
        return hex(ret & 0xFFFFFFFFFFFFFFFF)
    return str(ret)
