"""Signals: names, signal sets, sigaction flags, sigprocmask's how."""

from __future__ import annotations

import signal

from . import Flags, Values

SIGRTMIN_KERNEL = 32  # the kernel's first real-time signal; glibc keeps 32 and 33 for itself
NSIG = 64

_NAMES: dict[int, str] = {}
for _sig in signal.Signals:
    _NAMES.setdefault(int(_sig), _sig.name)  # Signals(n) gives the main name: SIGIO, SIGABRT, SIGCHLD
for _n in (6, 17, 29):
    _NAMES[_n] = signal.Signals(_n).name
# Python names the real-time range after glibc's SIGRTMIN (34); strace counts from the kernel's 32.
for _n in range(SIGRTMIN_KERNEL, NSIG + 1):
    _NAMES[_n] = "SIGRTMIN" if _n == SIGRTMIN_KERNEL else f"SIGRT_{_n - SIGRTMIN_KERNEL}"


def signame(num: int) -> str:
    """``10`` -> ``SIGUSR1``, ``33`` -> ``SIGRT_1``; 0 and unknown numbers stay numbers."""
    return _NAMES.get(num, str(num))


def sigset(mask: int, bits: int = 64) -> str:
    """strace's signal set: ``[HUP CHLD]``; more than half set is shown as the complement, ``~[SEGV]``."""
    mask &= (1 << bits) - 1
    inverted = bin(mask).count("1") * 2 > bits
    if inverted:
        mask = ~mask & ((1 << bits) - 1)
    names = [signame(i + 1)[3:] for i in range(bits) if mask >> i & 1]
    return ("~[" if inverted else "[") + " ".join(names) + "]"


# arch/x86/include/uapi/asm/signal.h, in strace's sigact_flags order.
SA_FLAGS = Flags([
    ("SA_RESTORER", 0x04000000), ("SA_ONSTACK", 0x08000000), ("SA_RESTART", 0x10000000),
    ("SA_INTERRUPT", 0x20000000), ("SA_NODEFER", 0x40000000), ("SA_RESETHAND", 0x80000000),
    ("SA_SIGINFO", 4), ("SA_NOCLDSTOP", 1), ("SA_NOCLDWAIT", 2),
], "SA_???")
SA_RESTORER = 0x04000000

SIGPROCMASK_HOW = Values([("SIG_BLOCK", signal.SIG_BLOCK), ("SIG_UNBLOCK", signal.SIG_UNBLOCK),
                          ("SIG_SETMASK", signal.SIG_SETMASK)], "SIG_???")
HANDLERS = {0: "SIG_DFL", 1: "SIG_IGN", 0xFFFFFFFFFFFFFFFF: "SIG_ERR"}
