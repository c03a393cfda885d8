"""Futex operations (include/uapi/linux/futex.h): the number is an operation plus two flag bits."""

from __future__ import annotations

from . import Values

FUTEX_OPS = Values([
    ("FUTEX_WAIT", 0), ("FUTEX_WAKE", 1), ("FUTEX_FD", 2), ("FUTEX_REQUEUE", 3), ("FUTEX_CMP_REQUEUE", 4),
    ("FUTEX_WAKE_OP", 5), ("FUTEX_LOCK_PI", 6), ("FUTEX_UNLOCK_PI", 7), ("FUTEX_TRYLOCK_PI", 8),
    ("FUTEX_WAIT_BITSET", 9), ("FUTEX_WAKE_BITSET", 10), ("FUTEX_WAIT_REQUEUE_PI", 11),
    ("FUTEX_CMP_REQUEUE_PI", 12), ("FUTEX_LOCK_PI2", 13),
], "FUTEX_???")
FUTEX_PRIVATE_FLAG = 128
FUTEX_CLOCK_REALTIME = 256
FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF

WAKE_OPS = Values([("FUTEX_OP_SET", 0), ("FUTEX_OP_ADD", 1), ("FUTEX_OP_OR", 2), ("FUTEX_OP_ANDN", 3),
                   ("FUTEX_OP_XOR", 4)], "FUTEX_OP_???")
WAKE_CMPS = Values([("FUTEX_OP_CMP_EQ", 0), ("FUTEX_OP_CMP_NE", 1), ("FUTEX_OP_CMP_LT", 2),
                    ("FUTEX_OP_CMP_LE", 3), ("FUTEX_OP_CMP_GT", 4), ("FUTEX_OP_CMP_GE", 5)], "FUTEX_OP_CMP_???")


def futex_op(op: int) -> str:
    """``FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME``."""
    op &= 0xFFFFFFFF
    base = op & FUTEX_CMD_MASK & 0xFFFFFFFF
    name = FUTEX_OPS.get(base)
    if name is None:
        return f"{op:#x} /* FUTEX_??? */"
    if op & FUTEX_PRIVATE_FLAG:
        name += "_PRIVATE"
    if op & FUTEX_CLOCK_REALTIME:
        name += "|FUTEX_CLOCK_REALTIME"
    return name
