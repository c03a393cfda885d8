"""A seccomp-bpf filter that stops only the selected system calls, as ``strace --seccomp-bpf`` does.

Installed in the launched child just before execve. Calls the filter does not select run at
full speed: the tracer is resumed with PTRACE_CONT and hears of them no more. fork, clone and
execve events still reach the tracer through ptrace options, not through the filter.

Never used when attaching: a filter cannot be removed, so after detaching the process would
get ENOSYS from every call the filter traced (SECCOMP_RET_TRACE with no tracer).
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Iterable

from ..syscalls.abi import AUDIT_ARCH_I386
from .linux import AUDIT_ARCH_X86_64

# linux/bpf_common.h
BPF_LD, BPF_JMP, BPF_RET = 0x00, 0x05, 0x06
BPF_W, BPF_ABS = 0x00, 0x20
BPF_JEQ, BPF_JGE, BPF_JA = 0x10, 0x30, 0x00
BPF_K = 0x00
# linux/seccomp.h
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_TRACE = 0x7FF00000
X32_SYSCALL_BIT = 0x40000000
# struct seccomp_data: nr at offset 0, arch at offset 4
_NR, _ARCH = 0, 4
_LEAF = 4  # numbers compared one by one at the bottom of the search tree


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def _search(nrs: list[int]) -> list[bytes]:
    """A binary search over sorted ``nrs``, ending in RET TRACE (found) or RET ALLOW.

    Every system call the program makes runs this filter, so it is a tree (a few compares for
    any selection) rather than a chain (one compare per selected number: 40 for ``openat`` and
    the fd-changing calls followed with it). Conditional jumps reach at most a few instructions
    ahead (their offsets are 8 bits); the long jump to a right subtree is a BPF_JA (32 bits).
    """
    if len(nrs) <= _LEAF:
        n = len(nrs)
        # JEQ i jumps over the remaining compares and the RET ALLOW to the RET TRACE
        out = [_insn(BPF_JMP | BPF_JEQ | BPF_K, n - i, 0, nr) for i, nr in enumerate(nrs)]
        return [*out, _insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW), _insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRACE)]
    mid = len(nrs) // 2
    left, right = _search(nrs[:mid]), _search(nrs[mid:])
    # nr >= nrs[mid]: take the JA to the right subtree; otherwise skip it into the left one
    return [_insn(BPF_JMP | BPF_JGE | BPF_K, 0, 1, nrs[mid]), _insn(BPF_JMP | BPF_JA, 0, 0, len(left)), *left, *right]


def build_filter(numbers: Iterable[int], i386_numbers: Iterable[int] = ()) -> bytes:
    """BPF program returning TRACE for the given syscall numbers, ALLOW for everything else.

    Numbers belong to a table: an i386 call (``int $0x80``, a 32-bit program) has its own (5 is
    ``open``), so it is looked up among ``i386_numbers``; letting every other ABI run unseen would
    let a program hide an ``open`` from ``syscalls=["open"]``. x32 calls, numbers no table knows and
    any other arch stop: the tracer decides by name (they are rare, so this costs nothing).
    """
    x86_64 = [
        _insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, _NR),
        _insn(BPF_JMP | BPF_JGE | BPF_K, 0, 1, X32_SYSCALL_BIT),  # (an unsigned compare: -1 too)
        _insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRACE),
        *_search(sorted(set(numbers))),
    ]
    other = [
        _insn(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_I386),
        _insn(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRACE),  # an arch we have no table for
        _insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, _NR),
        *_search(sorted(set(i386_numbers))),
    ]
    prog = [
        _insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, _ARCH),
        _insn(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64),
        _insn(BPF_JMP | BPF_JA, 0, 0, len(x86_64)),  # not x86_64: the i386 part
        *x86_64,
        *other,
    ]
    return b"".join(prog)


class SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


class PreparedFilter:
    """Everything the child needs, allocated before fork so the child only makes system calls."""

    def __init__(self, numbers: Iterable[int], i386_numbers: Iterable[int] = ()):
        code = build_filter(numbers, i386_numbers)
        self._code = ctypes.create_string_buffer(code, len(code))
        self.prog = SockFprog(len(code) // 8, ctypes.addressof(self._code))
