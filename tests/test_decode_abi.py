"""Calls of every table: i386 (int $0x80, a 32-bit ELF), x32, and numbers no table knows.

PTRACE_GET_SYSCALL_INFO reports each call's arch; the i386 table's 5 is ``open`` (x86_64's
``fstat``). Once, an i386 open showed as ``fstat(4866272, NULL)`` and ``missing()`` saw nothing,
a 32-bit ELF lost the whole trace and x32 or invalid numbers vanished. Each case runs in the C
loop and in pure Python, as root and (tests/test_unprivileged.py) as nobody.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import PROGRAMS, need_tool

import spykit

DIFFERENTIAL = PROGRAMS.parent / "differential" / "programs"  # (the 32-bit program is the harness's)
LOOPS = pytest.mark.parametrize("pure", ["", "1"], ids=["C loop", "pure Python"])


@pytest.fixture(scope="module")
def elf32(tmp_path_factory) -> str:
    """The differential harness's 32-bit program without libc, assembled now: write, open of a missing
    file, access, getpid, brk, exit_group."""
    as_, ld = need_tool("as"), need_tool("ld")
    out = tmp_path_factory.mktemp("elf32")
    subprocess.run([as_, "--32", "-o", str(out / "elf32.o"), str(DIFFERENTIAL / "abi_elf32.s")], check=True)
    subprocess.run([ld, "-m", "elf_i386", "-o", str(out / "elf32"), str(out / "elf32.o")], check=True)
    os.chmod(out, 0o755)
    os.chmod(out / "elf32", 0o755)
    return str(out / "elf32")


def _trace(monkeypatch, pure, command, **kw):
    monkeypatch.setenv("SPYKIT_PURE_PYTHON", pure)
    return spykit.trace(command, capture_output=True, **kw)


@LOOPS
def test_a_32_bit_program_traces_to_the_end(elf32, monkeypatch, pure):
    trace = _trace(monkeypatch, pure, [elf32])
    df = trace.df
    assert list(df["syscall"].astype(str)) == ["execve", "write", "open", "access", "getpid", "brk", "exit_group"]
    assert list(df["abi"].astype(str)) == ["x86_64"] + ["i386"] * 6
    assert list(df["nr"]) == [59, 4, 5, 33, 20, 45, 252]
    assert df["args"].tolist()[1:3] == ['1, "hello from i386\\n", 16', '"/nonexistent-i386-elf", O_RDONLY']
    assert df["error"].iloc[2] == "ENOENT" and df["path"].iloc[2] == "/nonexistent-i386-elf"
    assert df["data"].iloc[1] == b"hello from i386\n"
    assert trace.missing()["path"].tolist() == ["/nonexistent-i386-elf"]
    text = trace.to_text()
    lines = text.splitlines()
    mark = f"[ Process PID={int(df['pid'].iloc[0])} runs in 32 bit mode. ]"
    assert lines[1] == mark and lines[2].startswith('write(1, "hello from i386\\n", 16)')
    assert trace.meta.counts["open"] == 1 and trace.meta.counts["getpid"] == 1


@LOOPS
@pytest.mark.parametrize("seccomp", [True, False], ids=["seccomp filter", "tracer filters"])
def test_selecting_open_catches_the_i386_open(elf32, compile_c, monkeypatch, pure, seccomp):
    trace = _trace(monkeypatch, pure, [elf32], syscalls=["open"], seccomp=seccomp)
    assert trace.df["syscall"].astype(str).tolist() == ["open"]
    assert trace.df["abi"].astype(str).tolist() == ["i386"]
    exe = compile_c("abi/other_tables.c", "-no-pie")
    trace = _trace(monkeypatch, pure, [exe], syscalls=["open"], seccomp=seccomp)
    rows = trace.df[trace.df["syscall"] == "open"]  # (the loader's openat calls are selected too)
    assert set(trace.df["syscall"].astype(str)) == {"open", "openat"}
    assert rows["abi"].astype(str).tolist() == ["x32", "i386"]
    assert rows["path"].tolist() == ["/nonexistent-x32", "/nonexistent-by-int80"]


@LOOPS
def test_int80_x32_and_unknown_numbers_are_rows(compile_c, monkeypatch, pure):
    exe = compile_c("abi/other_tables.c", "-no-pie")
    trace = _trace(monkeypatch, pure, [exe])
    assert trace.returncode == 0  # the i386 open failed with ENOENT, as untraced
    df = trace.df
    start = df.index[df["syscall"].astype(str) == "syscall_0xffffffffffffffff"][0]
    rows = df.loc[start:, ["syscall", "abi", "args", "error", "path"]].astype(object).values.tolist()
    names = [r[0] for r in rows]
    assert names[:9] == ["syscall_0xffffffffffffffff", "syscall_0x3e8", "syscall_0x1388", "getpid", "open",
                         "getpid", "open", "getppid", "exit_group"]
    assert [r[1] for r in rows[:9]] == ["x86_64", "x86_64", "x86_64", "x32", "x32", "x86_64", "i386", "x86_64",
                                        "x86_64"]
    assert rows[0][2].startswith("0x1, 0x2, 0x3, ")  # strace's printargs: six in hex
    assert rows[6][2] == '"/nonexistent-by-int80", O_RDONLY' and rows[6][3] == "ENOENT"
    assert trace.missing()["path"].tolist() == ["/nonexistent-by-int80"]
    summary = trace.summary()
    assert set(summary["syscall"]) >= {"syscall_0xffffffffffffffff", "syscall_0x3e8", "open"}
    text = trace.to_text()
    pid = int(df["pid"].iloc[0])
    assert [line for line in text.splitlines() if line.startswith("[ Process")] == [
        f"[ Process PID={pid} runs in {mode} mode. ]" for mode in ("x32", "64 bit", "32 bit", "64 bit")]


def test_names_of_every_table():
    from spykit.syscalls import abi as A
    assert A.call_name(A.I386, 5) == "open" and A.call_name(A.X86_64, 5) == "fstat"
    assert A.call_name(A.I386, 192) == "mmap2" and A.call_name(A.I386, 102) == "socketcall"
    assert A.call_name(A.X32, 0x40000000 | 512) == "rt_sigaction"
    assert A.call_name(A.X86_64, (1 << 64) - 1) == "syscall_0xffffffffffffffff"
    assert A.abi_of(A.AUDIT_ARCH_X86_64, (1 << 64) - 1) == A.X86_64  # -1 is no x32 call
    assert A.abi_of(A.AUDIT_ARCH_X86_64, 0x40000027) == A.X32
    assert A.abi_of(A.AUDIT_ARCH_I386, 5) == A.I386


@LOOPS
def test_unknown_numbers_can_be_selected_by_strace_s_names(compile_c, monkeypatch, pure):
    exe = compile_c("abi/other_tables.c", "-no-pie")
    names = ["syscall_0xffffffffffffffff", "syscall_1000", "syscall_0x1388"]
    for seccomp in (True, False):
        trace = _trace(monkeypatch, pure, [exe], syscalls=names, seccomp=seccomp)
        assert trace.df["syscall"].astype(str).tolist() == ["syscall_0xffffffffffffffff", "syscall_0x3e8",
                                                            "syscall_0x1388"]
