"""Which system call table a call belongs to: x86_64, i386 or x32, and the name strace gives it.

A 64-bit Linux runs three kinds of calls. PTRACE_GET_SYSCALL_INFO reports each call's ``arch``:
AUDIT_ARCH_X86_64 for 64-bit calls and for x32 calls (whose numbers carry bit 0x40000000),
AUDIT_ARCH_I386 for ``int $0x80`` and 32-bit programs (their own numbers: 5 is ``open``, which
is ``fstat`` on x86_64). A number no table knows is named as strace names it,
``syscall_0xffffffffffffffff``: a program can ask for any number, and the row must stay.

Rows keep the number the program used (``nr``) and the table (``abi``); where one integer must
stand for both (counts), :func:`wide_key` packs them.
"""

from __future__ import annotations

from functools import cache

from .i386 import I386_SYSCALLS
from .ptrace_data import ptrace_module
from .table import SYSCALL_NAMES

_X86_64_AND_X32: dict[int, str] = ptrace_module("ptrace.syscall.linux.x86_64").SYSCALL_NAMES

AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_I386 = 0x40000003
X32_SYSCALL_BIT = 0x40000000
_MASK64 = (1 << 64) - 1

X86_64, I386, X32 = 0, 1, 2
ABI_NAMES = ("x86_64", "i386", "x32")
# strace's personality names, for "[ Process PID=N runs in 32 bit mode. ]"
PERSONALITY_NAMES = ("64 bit", "32 bit", "x32")

# x32 shares most numbers with x86_64 (plus the bit); 512 and up are its own versions of calls
# whose structures hold pointers. python-ptrace's x86_64 table lists those too.
_X32_NAMES = {nr: name for nr, name in _X86_64_AND_X32.items() if nr >= 512}


def abi_of(arch: int, nr: int) -> int:
    """The table of a call, from PTRACE_GET_SYSCALL_INFO's ``arch`` and ``nr``."""
    if arch == AUDIT_ARCH_I386:
        return I386
    # -1 is no x32 call: seccomp's RET_ERRNO and syscall(-1) leave it (strace's get_scno agrees)
    if nr & X32_SYSCALL_BIT and nr & _MASK64 != _MASK64:
        return X32
    return X86_64


@cache
def call_name(abi: int, nr: int) -> str:
    """strace's name for call ``nr`` of table ``abi``; ``syscall_0x3e8`` for an unknown number."""
    nr &= _MASK64
    if abi == I386:
        entry = I386_SYSCALLS.get(nr)
        name = entry[1] if entry else None
    elif abi == X32:
        base = nr & ~X32_SYSCALL_BIT
        name = _X32_NAMES.get(base) or (SYSCALL_NAMES.get(base) if base < 512 else None)
    else:
        name = SYSCALL_NAMES.get(nr)
    return name if name is not None else f"syscall_{nr:#x}"


def arg_count(abi: int, nr: int) -> int | None:
    """How many arguments strace prints for an i386 call (None: decide by name)."""
    entry = I386_SYSCALLS.get(nr) if abi == I386 else None
    return entry[0] if entry else None


def wide_key(abi: int, nr: int) -> int:
    """One integer for (abi, nr): the number itself for x86_64, above 2**64 for the others."""
    return (abi << 64) | (nr & _MASK64)


def split_key(key: int) -> tuple[int, int]:
    return key >> 64, key & _MASK64


def numbers_for(names: set[str], abi: int) -> set[int]:
    """The numbers of table ``abi`` whose calls have these names (for a selection)."""
    if abi == I386:
        return {nr for nr, (_n, name) in I386_SYSCALLS.items() if name in names}
    table = {nr | X32_SYSCALL_BIT: call_name(X32, nr | X32_SYSCALL_BIT) for nr in (*SYSCALL_NAMES, *_X32_NAMES)}
    return {nr for nr, name in table.items() if name in names}


# Calls of the i386 and x32 tables that spykit's decoders show right: their arguments are numbers,
# fds, paths, strings and buffers, which read the same in every table (arguments arrive zero-
# extended from 32-bit registers; call.i() reads them as C ints). Structures differ between the
# tables (32-bit pointers and longs), so a call that passes one is shown as strace shows a call
# it has no decoder for: its arguments in hex.
PORTABLE_DECODERS = frozenset("""
open openat creat access faccessat faccessat2 chdir chroot mkdir mkdirat rmdir unlink unlinkat rename
renameat link symlink chmod fchmodat readlink readlinkat getcwd read write pread64 pwrite64 close dup dup2
dup3 exit exit_group fsync fdatasync fchdir fchmod umask kill tkill tgkill getpid getppid gettid getuid
geteuid getgid getegid fork vfork pause sync setsid getpgrp sched_yield brk munmap mprotect madvise
""".split())


def portable_captures(name: str, abi: int):
    """The captures of call ``name`` that read the same memory in table ``abi``: paths, strings,
    buffers and socket addresses; never a structure, whose layout is the table's own."""
    from . import captures as C

    if abi == X86_64:
        return ()  # a number no table knows: nothing behind its arguments is known either
    if name not in PORTABLE_DECODERS:
        return ()
    return tuple(c for c in C.CAPTURES.get(name, ()) if c.kind in (C.PATH, C.STR, C.BUF, C.SOCKADDR))
