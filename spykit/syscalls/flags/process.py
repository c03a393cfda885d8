"""Processes: clone flags, wait options, wait status."""

from __future__ import annotations

import os
import resource as _resource

from . import Flags, Values, pick

# include/uapi/linux/sched.h, in strace's clone_flags order. Python 3.11's os module lacks them.
CLONE_FLAGS = Flags([
    ("CLONE_VM", 0x100), ("CLONE_FS", 0x200), ("CLONE_FILES", 0x400), ("CLONE_SIGHAND", 0x800),
    ("CLONE_PIDFD", 0x1000), ("CLONE_PTRACE", 0x2000), ("CLONE_VFORK", 0x4000), ("CLONE_PARENT", 0x8000),
    ("CLONE_THREAD", 0x10000), ("CLONE_NEWNS", 0x20000), ("CLONE_SYSVSEM", 0x40000),
    ("CLONE_SETTLS", 0x80000), ("CLONE_PARENT_SETTID", 0x100000), ("CLONE_CHILD_CLEARTID", 0x200000),
    ("CLONE_UNTRACED", 0x800000), ("CLONE_CHILD_SETTID", 0x1000000), ("CLONE_NEWCGROUP", 0x2000000),
    ("CLONE_NEWUTS", 0x4000000), ("CLONE_NEWIPC", 0x8000000), ("CLONE_NEWUSER", 0x10000000),
    ("CLONE_NEWPID", 0x20000000), ("CLONE_NEWNET", 0x40000000), ("CLONE_IO", 0x80000000),
], "CLONE_???")
# clone3 only (64-bit flags).
CLONE3_FLAGS = Flags([*CLONE_FLAGS.items, ("CLONE_CLEAR_SIGHAND", 0x100000000),
                      ("CLONE_INTO_CGROUP", 0x200000000), ("CLONE_NEWTIME", 0x80)], "CLONE_???")
CSIGNAL = 0xFF

CLONE_PARENT_SETTID = 0x100000
CLONE_CHILD_SETTID = 0x1000000
CLONE_CHILD_CLEARTID = 0x200000
CLONE_SETTLS = 0x80000

# include/uapi/linux/wait.h; strace names WUNTRACED by its other name, WSTOPPED.
WAIT_OPTIONS = Flags([
    ("WNOHANG", os.WNOHANG), ("WSTOPPED", os.WUNTRACED), ("WEXITED", os.WEXITED), ("WCONTINUED", os.WCONTINUED),
    ("WNOWAIT", os.WNOWAIT), ("__WNOTHREAD", 0x20000000), ("__WALL", 0x40000000), ("__WCLONE", 0x80000000),
], "W???")

# include/uapi/asm-generic/resource.h, from the resource module.

RLIMITS = Values(pick(_resource, """RLIMIT_CPU RLIMIT_FSIZE RLIMIT_DATA RLIMIT_STACK RLIMIT_CORE RLIMIT_RSS
    RLIMIT_NPROC RLIMIT_NOFILE RLIMIT_MEMLOCK RLIMIT_AS RLIMIT_LOCKS RLIMIT_SIGPENDING RLIMIT_MSGQUEUE
    RLIMIT_NICE RLIMIT_RTPRIO RLIMIT_RTTIME""", {"RLIMIT_LOCKS": 10}), "RLIMIT_???")
RLIM64_INFINITY = (1 << 64) - 1

# arch/x86/include/uapi/asm/prctl.h
ARCH_PRCTL_CODES = Values([
    ("ARCH_SET_GS", 0x1001), ("ARCH_SET_FS", 0x1002), ("ARCH_GET_FS", 0x1003), ("ARCH_GET_GS", 0x1004),
    ("ARCH_GET_CPUID", 0x1011), ("ARCH_SET_CPUID", 0x1012), ("ARCH_GET_XCOMP_SUPP", 0x1021),
    ("ARCH_GET_XCOMP_PERM", 0x1022), ("ARCH_REQ_XCOMP_PERM", 0x1023), ("ARCH_MAP_VDSO_X32", 0x2001),
    ("ARCH_MAP_VDSO_32", 0x2002), ("ARCH_MAP_VDSO_64", 0x2003), ("ARCH_CET_STATUS", 0x3001),
], "ARCH_???")
# include/uapi/linux/random.h
GETRANDOM_FLAGS = Flags([("GRND_NONBLOCK", 1), ("GRND_RANDOM", 2), ("GRND_INSECURE", 4)], "GRND_???")
