"""The structs, names and orderings of issue 15, against lines strace 6.1 printed (hand-made blobs),
and the one a signal carries (SI_KERNEL), against strace run here."""

from __future__ import annotations

import struct
import subprocess

import pytest

import spykit
from spykit.syscalls.decode import render_args, result_note
from spykit.syscalls.errnos import errno_message

STACK = 0x7FFD0000


def r(name, args, ret=0, errno=None, blobs=None):
    return render_args(name, tuple(args) + (0,) * (6 - len(args)), ret, errno, blobs or {})


def test_uname_shows_two_fields_like_strace():
    blob = b"".join(field.ljust(65, b"\0") for field in (b"Linux", b"vm", b"6.18", b"#1", b"x86_64", b"(none)"))
    assert r("uname", [STACK], 0, blobs={8: blob}) == '{sysname="Linux", nodename="vm", ...}'


def test_statfs():
    blob = struct.pack("<qqQQQQQiiqqq", 0xEF53, 4096, 66053021, 58259150, 18803857, 16777216, 16120417,
                       0xFCA43FD5 - (1 << 32), 0x10FA214, 255, 4096, 0x1020) + bytes(32)
    assert r("statfs", [1, STACK], 0, blobs={0: b"/", 9: blob}) == (
        '"/", {f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=66053021, f_bfree=58259150, f_bavail=18803857, '
        'f_files=16777216, f_ffree=16120417, f_fsid={val=[0xfca43fd5, 0x10fa214]}, f_namelen=255, f_frsize=4096, '
        'f_flags=ST_VALID|ST_RELATIME}')
    assert r("statfs", [1, STACK], -1, 2, blobs={0: b"/sys/fs/selinux"}) == f'"/sys/fs/selinux", {STACK:#x}'


def test_xattrs_and_mount():
    assert r("getxattr", [1, 2, 0, 0], -1, 61, blobs={0: b"/etc/hostname", 1: b"system.posix_acl_access"}) == \
        '"/etc/hostname", "system.posix_acl_access", NULL, 0'
    assert r("lgetxattr", [1, 2, STACK, 255], -1, 61, blobs={0: b"/etc/hostname", 1: b"security.selinux"}) == \
        f'"/etc/hostname", "security.selinux", {STACK:#x}, 255'
    assert r("mount", [1, 2, 3, 0, 0], -1, 1, blobs={0: b"none", 1: b"/mnt", 2: b"tmpfs"}) == \
        '"none", "/mnt", "tmpfs", 0, NULL'


def test_sigaltstack_affinity_groups():
    stack = struct.pack("<QixxxxQ", 0, 2, 0)
    assert r("sigaltstack", [0, STACK], 0, blobs={9: stack}) == "NULL, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}"
    assert r("sched_getaffinity", [0, 128, STACK], 32, blobs={10: b"\x03" + bytes(31)}) == "0, 128, [0 1]"
    assert r("getgroups", [0, 0], 0) == "0, NULL"
    assert r("getgroups", [0, STACK], 0, blobs={9: b""}) == "0, []"
    assert r("getgroups", [64, STACK], 2, blobs={9: struct.pack("<II", 0, 27)}) == "64, [0, 27]"


def test_prlimit64_and_sysinfo():
    assert r("prlimit64", [0, 3, 0, STACK], 0, blobs={11: struct.pack("<QQ", 8 << 20, (1 << 64) - 1)}) == \
        "0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}"
    blob = struct.pack("<q3QQQQQQQH6xQQI", 100, 1, 2, 3, 10, 9, 8, 7, 6, 5, 4, 0, 0, 1) + bytes(4)
    assert r("sysinfo", [STACK], 0, blobs={8: blob}) == (
        "{uptime=100, loads=[1, 2, 3], totalram=10, freeram=9, sharedram=8, bufferram=7, totalswap=6, "
        "freeswap=5, procs=4, totalhigh=0, freehigh=0, mem_unit=1}")


def test_ptrace_and_prctl_names():
    assert r("ptrace", [16, 1234, 0, 0], -1, 1) == "PTRACE_ATTACH, 1234"
    assert r("ptrace", [0], -1, 1) == "PTRACE_TRACEME"
    assert r("ptrace", [0x4206, 5, 0, 0x11], -1, 3) == "PTRACE_SEIZE, 5, NULL, PTRACE_O_TRACESYSGOOD|PTRACE_O_TRACEEXEC"
    assert r("prctl", [4, 0]) == "PR_SET_DUMPABLE, SUID_DUMP_DISABLE"
    assert r("prctl", [3], 1) == "PR_GET_DUMPABLE"
    assert result_note("prctl", (3, 0, 0, 0, 0, 0), 1, None, {}) == " (SUID_DUMP_USER)"
    assert r("prctl", [15, STACK], 0, blobs={1: b"differential\0"}) == 'PR_SET_NAME, "differential"'
    assert r("prctl", [0x7FFF, 1, 2, 3, 4], -1, 22) == "0x7fff /* PR_??? */, 0x1, 0x2, 0x3, 0x4"


def test_orderings_and_names():
    assert r("socket", [1, 1 | 0o4000 | 0o2000000, 0], 3) == "AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0"
    assert r("ioctl", [4, 0x40049409, 3], -1, 95) == "4, BTRFS_IOC_CLONE or FICLONE, 3"
    assert errno_message("EOPNOTSUPP") == "Operation not supported"
    sa = struct.pack("<QQQQ", 0x401000, 0x04000000 | 0x400 | (1 << 33), 0x7F0000001000, 0)
    assert r("rt_sigaction", [10, STACK, 0, 8], 0, blobs={1: sa}) == \
        "SIGUSR1, {sa_handler=0x401000, sa_mask=[], sa_flags=SA_RESTORER|0x200000400, sa_restorer=0x7f0000001000}, " \
        "NULL, 8"


def test_rt_sigsuspend_interrupted_is_shown_as_not_returned():
    from spykit.syscalls.results import format_result
    assert format_result("rt_sigsuspend", -1, "ERESTARTNOHAND", "[], 8") == \
        "? ERESTARTNOHAND (To be restarted if no handler)"


def test_si_kernel_is_named_as_strace_names_it(compile_c, strace_exe, tmp_path):
    exe = compile_c("decode/si_kernel.c")
    out = tmp_path / "strace.txt"
    subprocess.run([strace_exe, "-qq", "-o", str(out), exe], check=False)
    expected = [line for line in out.read_text().splitlines() if line.startswith("--- SIGSEGV")]
    assert expected == ["--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL} ---"]
    trace = spykit.trace([exe], capture_output=True)
    ours = [t for t in trace.events["text"].dropna() if t.startswith("--- SIGSEGV")]
    assert ours == expected


@pytest.mark.parametrize("pure", ["", "1"], ids=["C loop", "pure Python"])
def test_rt_sigreturn_shows_the_mask_it_restores(compile_c, strace_exe, tmp_path, monkeypatch, pure):
    exe = compile_c("decode/sigreturn.c")
    out = tmp_path / "strace.txt"
    subprocess.run([strace_exe, "-qq", "-e", "trace=rt_sigreturn", "-o", str(out), exe], check=True)
    expected = [line.split(" = ")[0].rstrip() for line in out.read_text().splitlines() if line.startswith("rt_")]
    assert expected == ["rt_sigreturn({mask=[USR2 TERM]})"]
    monkeypatch.setenv("SPYKIT_PURE_PYTHON", pure)
    trace = spykit.trace([exe], capture_output=True)
    rows = trace.df[trace.df["syscall"] == "rt_sigreturn"]
    assert [f"rt_sigreturn({a})" for a in rows["args"]] == expected
