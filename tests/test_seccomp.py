"""The seccomp-bpf filter, run on a small classic-BPF interpreter: it must say TRACE for exactly the
selected numbers on x86_64 and on i386 (each table its own numbers), TRACE for x32 calls, numbers
no table knows and other arches (the tracer decides by name: letting them run unseen let an
``int $0x80`` open hide from ``syscalls=["open"]``), ALLOW for everything else, and stay short
whatever the selection, since every call the program makes runs it."""

from __future__ import annotations

import struct

import pytest

from spykit.syscalls.table import numbers_of
from spykit.tracer import seccomp as S
from spykit.tracer.linux import AUDIT_ARCH_X86_64

AUDIT_ARCH_I386 = 0x40000003


def run_filter(code: bytes, nr: int, arch: int = AUDIT_ARCH_X86_64) -> tuple[int, int]:
    """(verdict, instructions executed) for one call; only the opcodes the filter uses."""
    insns = [struct.unpack_from("<HBBI", code, i) for i in range(0, len(code), 8)]
    data = {S._NR: nr, S._ARCH: arch}
    acc = pc = steps = 0
    while True:
        op, jt, jf, k = insns[pc]
        steps += 1
        if op == S.BPF_LD | S.BPF_W | S.BPF_ABS:
            acc = data[k]
            pc += 1
        elif op == S.BPF_JMP | S.BPF_JEQ | S.BPF_K:
            assert pc + 1 + max(jt, jf) < len(insns)
            pc += 1 + (jt if acc == k else jf)
        elif op == S.BPF_JMP | S.BPF_JGE | S.BPF_K:
            pc += 1 + (jt if acc >= k else jf)
        elif op == S.BPF_JMP | S.BPF_JA:
            pc += 1 + k
        elif op == S.BPF_RET | S.BPF_K:
            return k, steps
        else:
            raise AssertionError(f"unexpected opcode {op:#x}")


SELECTIONS = {
    "nothing": set(),
    "one": {257},
    "openat and the fd changers": numbers_of(["openat", "close", "dup", "dup2", "dup3", "pipe", "pipe2", "socket",
                                              "accept", "accept4", "connect", "eventfd2", "memfd_create"]),
    "every other number": set(range(0, 460, 2)),
    "all": set(range(0, 460)),
    "edges": {0, 1, 459, 1023},
}


@pytest.mark.parametrize("name", SELECTIONS)
def test_trace_exactly_the_selected_numbers(name):
    chosen = SELECTIONS[name]
    i386_chosen = {nr // 2 for nr in chosen}  # any other set of numbers will do
    code = S.build_filter(chosen, i386_chosen)
    assert len(code) // 8 < 4096  # the kernel's limit on a filter's length
    worst = 0
    for nr in range(1100):
        verdict, steps = run_filter(code, nr)
        assert verdict == (S.SECCOMP_RET_TRACE if nr in chosen else S.SECCOMP_RET_ALLOW), nr
        worst = max(worst, steps)
    # a search, not a chain: a handful of compares even with hundreds of numbers selected
    assert worst <= 6 + 2 * max(1, len(chosen)).bit_length() + S._LEAF + 1
    for nr in (257 | S.X32_SYSCALL_BIT, S.X32_SYSCALL_BIT, 0xFFFFFFFF):  # x32, and syscall(-1)
        assert run_filter(code, nr)[0] == S.SECCOMP_RET_TRACE
    for nr in range(600):  # a 32-bit program's calls: by their own numbers
        verdict = run_filter(code, nr, AUDIT_ARCH_I386)[0]
        assert verdict == (S.SECCOMP_RET_TRACE if nr in i386_chosen else S.SECCOMP_RET_ALLOW), nr
    assert run_filter(code, 5, 0xC00000B7)[0] == S.SECCOMP_RET_TRACE  # an arch with no table here
