"""errno names and messages, from Python's ``errno`` and ``os.strerror``.

The kernel's internal restart codes (include/linux/errno.h) never reach a program, but a
tracer sees them when a signal interrupts a blocking call, so strace names them and so do we.
"""

from __future__ import annotations

import errno
import os

# include/linux/errno.h: not in Python's errno module; the messages are strace's.
KERNEL_ONLY = {
    512: ("ERESTARTSYS", "To be restarted if SA_RESTART is set"),
    513: ("ERESTARTNOINTR", "To be restarted"),
    514: ("ERESTARTNOHAND", "To be restarted if no handler"),
    515: ("ENOIOCTLCMD", "No ioctl command"),
    516: ("ERESTART_RESTARTBLOCK", "Interrupted by signal"),
    517: ("EPROBE_DEFER", "Driver requests probe retry"),
    518: ("EOPENSTALE", "Open found a stale dentry"),
    519: ("ENOPARAM", "Parameter not supported"),
    521: ("EBADHANDLE", "Illegal NFS file handle"),
    522: ("ENOTSYNC", "Update synchronization mismatch"),
    523: ("EBADCOOKIE", "Cookie is stale"),
    524: ("ENOTSUPP", "Operation is not supported"),
    525: ("ETOOSMALL", "Buffer or request is too small"),
    526: ("ESERVERFAULT", "An untranslatable error occurred"),
    527: ("EBADTYPE", "Type not supported by server"),
    528: ("EJUKEBOX", "Request initiated, but will not complete before timeout"),
    529: ("EIOCBQUEUED", "iocb queued, will get completion event"),
    530: ("ERECALLCONFLICT", "conflict with recalled state"),
}
RESTART_CODES = frozenset({"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ERESTART_RESTARTBLOCK"})

# Python's errorcode maps some numbers to an alias (EWOULDBLOCK for EAGAIN, EDEADLOCK for EDEADLK);
# strace prints the primary name, so prefer it.
_PREFERRED = {errno.EAGAIN: "EAGAIN", errno.EDEADLK: "EDEADLK", errno.EOPNOTSUPP: "EOPNOTSUPP"}

ERRNO_NAMES: dict[int, str] = {**errno.errorcode, **_PREFERRED, **{n: v[0] for n, v in KERNEL_ONLY.items()}}
ERRNO_NUMBERS: dict[str, int] = {name: num for num, name in errno.errorcode.items()}
ERRNO_NUMBERS.update({v[0]: n for n, v in KERNEL_ONLY.items()})
ERRNO_NUMBERS["EWOULDBLOCK"] = errno.EAGAIN
ERRNO_NUMBERS.update({name: num for num, name in _PREFERRED.items()})  # EOPNOTSUPP has a message too


def errno_name(num: int) -> str:
    """``2`` -> ``"ENOENT"``; an unknown number -> ``"errno 1234"``."""
    return ERRNO_NAMES.get(num, f"errno {num}")


def errno_message(name_or_num: str | int) -> str:
    """The C library's message for an errno, as strace prints it in parentheses."""
    num = ERRNO_NUMBERS.get(name_or_num) if isinstance(name_or_num, str) else name_or_num
    if num is None:
        return "Unknown error"
    if num in KERNEL_ONLY:
        return KERNEL_ONLY[num][1]
    return os.strerror(num)
