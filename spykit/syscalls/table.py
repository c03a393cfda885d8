"""The system call table: numbers, names and strace's classes, kept as data.

Names come from python-ptrace's x86_64 table (Linux 5.8) and are completed here up to
the current kernel (arch/x86/entry/syscalls/syscall_64.tbl). Numbers 512 and up in
python-ptrace's table belong to the x32 ABI, which a 64-bit process never uses, so they
are left out. An unknown number is shown as ``syscall_NNN``, never an error.

Classes follow strace's ``-e trace=%class`` sets (strace's sysent flags TF, TD, TN, TP,
TS, TM, TI, TC, TCL). A call can be in several (openat is ``%file`` and ``%desc``); the
``category`` column of a trace shows one main class, chosen by ``CATEGORY_PRIORITY``.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Iterable
from functools import cache

from ..errors import SpykitError
from .ptrace_data import ptrace_module

_PTRACE_NAMES: dict[int, str] = ptrace_module("ptrace.syscall.linux.x86_64").SYSCALL_NAMES

if platform.machine() not in ("x86_64", "AMD64"):  # pragma: no cover - other arches not supported yet
    raise ImportError(f"spykit's syscall table covers x86_64 only, not {platform.machine()}")

# Calls added after python-ptrace's table was made (Linux 5.9 to 6.18).
_NEWER_NAMES = {
    441: "epoll_pwait2",
    442: "mount_setattr",
    443: "quotactl_fd",
    444: "landlock_create_ruleset",
    445: "landlock_add_rule",
    446: "landlock_restrict_self",
    447: "memfd_secret",
    448: "process_mrelease",
    449: "futex_waitv",
    450: "set_mempolicy_home_node",
    451: "cachestat",
    452: "fchmodat2",
    453: "map_shadow_stack",
    454: "futex_wake",
    455: "futex_wait",
    456: "futex_requeue",
    457: "statmount",
    458: "listmount",
    459: "lsm_get_self_attr",
    460: "lsm_set_self_attr",
    461: "lsm_list_modules",
    462: "mseal",
    463: "setxattrat",
    464: "getxattrat",
    465: "listxattrat",
    466: "removexattrat",
    467: "open_tree_attr",
    468: "file_getattr",
    469: "file_setattr",
}

SYSCALL_NAMES: dict[int, str] = {nr: name for nr, name in _PTRACE_NAMES.items() if nr < 512}
SYSCALL_NAMES.update(_NEWER_NAMES)
SYSCALL_NUMBERS: dict[str, int] = {name: nr for nr, name in SYSCALL_NAMES.items()}
MAX_SYSCALL = max(SYSCALL_NAMES)

# Every name a trace can hold, for the categorical dtype of the `syscall` column.
ALL_NAMES: tuple[str, ...] = tuple(SYSCALL_NAMES[nr] for nr in sorted(SYSCALL_NAMES))


def syscall_name(nr: int) -> str:
    """The name of system call ``nr``; ``syscall_NNN`` when the table does not know it."""
    name = SYSCALL_NAMES.get(nr)
    return name if name is not None else f"syscall_{nr}"


# --- strace's classes ------------------------------------------------------------------------
# %file: calls that take a file name.
_FILE = """
open openat openat2 creat stat lstat newfstatat statx access faccessat faccessat2 execve execveat
chdir chroot mkdir mkdirat rmdir unlink unlinkat rename renameat renameat2 link linkat symlink
symlinkat readlink readlinkat chmod fchmodat fchmodat2 chown lchown fchownat truncate utime utimes
utimensat futimesat mknod mknodat statfs swapon swapoff mount umount2 pivot_root acct uselib
getxattr lgetxattr setxattr lsetxattr listxattr llistxattr removexattr lremovexattr
inotify_add_watch fanotify_mark name_to_handle_at quotactl open_tree move_mount fspick fsconfig
mount_setattr setxattrat getxattrat listxattrat removexattrat open_tree_attr file_getattr file_setattr
"""
# %desc: calls that take or return a file descriptor.
_DESC = """
read write close fstat poll lseek mmap ioctl pread64 pwrite64 readv writev select dup dup2 dup3
sendfile fcntl flock fsync fdatasync ftruncate getdents getdents64 fchdir fchmod fchown fstatfs
readahead fsetxattr fgetxattr flistxattr fremovexattr epoll_create epoll_create1 epoll_ctl epoll_wait
epoll_pwait epoll_pwait2 epoll_ctl_old epoll_wait_old openat openat2 creat open newfstatat statx
faccessat faccessat2 mkdirat unlinkat renameat renameat2 fchmodat fchmodat2 fchownat linkat
symlinkat readlinkat utimensat futimesat mknodat splice tee vmsplice sync_file_range timerfd_create
timerfd_settime timerfd_gettime eventfd eventfd2 signalfd signalfd4 fallocate inotify_init
inotify_init1 inotify_add_watch inotify_rm_watch pipe pipe2 preadv pwritev preadv2 pwritev2
fanotify_init fanotify_mark syncfs setns copy_file_range memfd_create pselect6 ppoll io_uring_setup
io_uring_enter io_uring_register close_range pidfd_open pidfd_getfd pidfd_send_signal
name_to_handle_at open_by_handle_at execveat fsopen fsmount fspick fsconfig move_mount open_tree
mq_open mq_timedsend mq_timedreceive mq_notify mq_getsetattr perf_event_open bpf userfaultfd
memfd_secret quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self
process_madvise process_mrelease cachestat statmount listmount file_getattr file_setattr
"""
_NETWORK = """
socket socketpair bind listen accept accept4 connect getsockname getpeername sendto recvfrom
sendmsg recvmsg sendmmsg recvmmsg shutdown setsockopt getsockopt
"""
_PROCESS = """
clone clone3 fork vfork execve execveat exit exit_group wait4 waitid kill tkill tgkill
rt_sigqueueinfo rt_tgsigqueueinfo pidfd_send_signal pidfd_open unshare setns
"""
_SIGNAL = """
rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending rt_sigtimedwait rt_sigsuspend sigaltstack
kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo pause signalfd signalfd4 pidfd_send_signal
"""
_MEMORY = """
mmap munmap mprotect brk mremap msync mincore madvise mlock munlock mlock2 mlockall munlockall
remap_file_pages mbind set_mempolicy get_mempolicy migrate_pages move_pages pkey_mprotect
process_madvise map_shadow_stack mseal shmat shmdt set_mempolicy_home_node io_setup
"""
_IPC = """
shmget shmat shmctl shmdt semget semop semctl semtimedop msgget msgsnd msgrcv msgctl
"""
_CREDS = """
getuid geteuid getgid getegid setuid setgid setreuid setregid setresuid getresuid setresgid
getresgid setfsuid setfsgid getgroups setgroups capget capset prctl
"""
_CLOCK = """
clock_gettime clock_settime clock_getres clock_adjtime adjtimex gettimeofday settimeofday time times
"""

CLASSES: dict[str, frozenset[str]] = {
    "file": frozenset(_FILE.split()),
    "desc": frozenset(_DESC.split()),
    "network": frozenset(_NETWORK.split()),
    "process": frozenset(_PROCESS.split()),
    "signal": frozenset(_SIGNAL.split()),
    "memory": frozenset(_MEMORY.split()),
    "ipc": frozenset(_IPC.split()),
    "creds": frozenset(_CREDS.split()),
    "clock": frozenset(_CLOCK.split()),
}
# strace's stat families, also usable as %classes.
CLASSES["stat"] = frozenset({"stat", "statx", "newfstatat"})
CLASSES["lstat"] = frozenset({"lstat", "statx", "newfstatat"})
CLASSES["fstat"] = frozenset({"fstat", "newfstatat", "statx"})
CLASSES["%stat"] = CLASSES["stat"] | CLASSES["lstat"] | CLASSES["fstat"]
CLASSES["statfs"] = frozenset({"statfs"})
CLASSES["fstatfs"] = frozenset({"fstatfs"})
CLASSES["%statfs"] = frozenset({"statfs", "fstatfs", "ustat"})
# strace's %pure: calls that always succeed and take no arguments.
CLASSES["pure"] = frozenset({"getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getpgrp"})

# One main class per call, for the `category` column: the most telling one first.
CATEGORY_PRIORITY = ("process", "network", "signal", "memory", "ipc", "file", "desc", "creds", "clock")
CATEGORIES: tuple[str, ...] = (*CATEGORY_PRIORITY, "other")

# Names a learner types from older tutorials, and the calls that do that job today.
# `open` prints nothing on current glibc, which calls openat (see facts.md).
FAMILIES: dict[str, frozenset[str]] = {
    "open": frozenset({"open", "openat", "openat2", "creat"}),
    "stat": frozenset({"stat", "newfstatat", "statx"}),
    "lstat": frozenset({"lstat", "newfstatat", "statx"}),
    "access": frozenset({"access", "faccessat", "faccessat2"}),
    "fork": frozenset({"fork", "vfork", "clone", "clone3"}),
    "clone": frozenset({"clone", "clone3"}),
    "execve": frozenset({"execve", "execveat"}),
    "mkdir": frozenset({"mkdir", "mkdirat"}),
    "unlink": frozenset({"unlink", "unlinkat"}),
    "rename": frozenset({"rename", "renameat", "renameat2"}),
    "chmod": frozenset({"chmod", "fchmodat", "fchmodat2"}),
    "readlink": frozenset({"readlink", "readlinkat"}),
    "dup2": frozenset({"dup2", "dup3"}),
    "pipe": frozenset({"pipe", "pipe2"}),
    "select": frozenset({"select", "pselect6"}),
    "poll": frozenset({"poll", "ppoll"}),
    "epoll_wait": frozenset({"epoll_wait", "epoll_pwait", "epoll_pwait2"}),
    "wait": frozenset({"wait4", "waitid"}),
}


@cache
def classes_of(name: str) -> frozenset[str]:
    """strace's classes a call belongs to, e.g. ``openat`` -> ``{"file", "desc"}``."""
    return frozenset(cls for cls in CATEGORIES[:-1] if name in CLASSES[cls])


@cache
def category_of(name: str) -> str:
    """The one main class of a call, shown in the ``category`` column."""
    for cls in CATEGORY_PRIORITY:
        if name in CLASSES[cls]:
            return cls
    return "other"


def _unknown_number(name: str) -> int | None:
    """The number in a name such as ``syscall_1000`` or strace's ``syscall_0x3e8``; None otherwise."""
    if not name.startswith("syscall_"):
        return None
    tail = name[8:]
    try:
        return int(tail, 16) if tail.lower().startswith("0x") else int(tail) if tail.isdigit() else None
    except ValueError:
        return None


# strace's deprecated spellings of classes without the %: `-e trace=file` is `-e trace=%file`.
BARE_CLASSES = frozenset({"file", "process", "network", "signal", "ipc", "desc", "memory"})
# `-e trace=...` and its short form; strace's other qualifiers (signal=, read=, abbrev=...) are not spykit's.
TRACE_QUALIFIERS = ("trace", "t")
_ACCEPTED = ("a name such as 'openat', a class such as '%file', 'all', 'none', '/regex', "
             "'?name' (no error if unknown), or '!' before the whole list to select every call but those")


def _select_one(item: str) -> set[str]:
    """The calls one item of a selection names (no ``!``, no ``?``)."""
    if item == "all":
        return set(ALL_NAMES)
    if item == "none":
        return set()
    if item.startswith("/"):
        try:
            pattern = re.compile(item[1:])
        except re.error as e:
            raise SpykitError(f"{item!r} is not a regular expression: {e}", hint=_ACCEPTED) from None
        found = {name for name in ALL_NAMES if pattern.search(name)}
        if not found:
            raise SpykitError(f"no system call matches {item!r}", hint="put ? before it to allow that: '?" + item + "'")
        return found
    if "@" in item:
        raise SpykitError(f"{item!r}: spykit selects a call by its name in every ABI (64-bit, i386, x32)",
                          hint=f"drop the @ part: {item.split('@')[0]!r}")
    if item.startswith("%") or item in BARE_CLASSES:
        key = item[1:] if item.startswith("%") else item  # ("%%stat" -> the "%stat" union of the stat classes)
        key = {"net": "network"}.get(key, key)
        if key not in CLASSES:
            raise SpykitError(f"unknown syscall class {item!r}",
                              hint="use one of " + ", ".join("%" + c for c in sorted(CLASSES)))
        return set(CLASSES[key])
    if item in FAMILIES:
        return set(FAMILIES[item])
    if item in SYSCALL_NUMBERS or _unknown_number(item) is not None:
        return {item}
    raise SpykitError(f"unknown system call {item!r}", hint=f"give {_ACCEPTED} (see spykit.syscalls.table.CLASSES)")


def expand_selection(spec: str | Iterable[str]) -> set[str]:
    """Turn a selection such as ``"open,%network"`` or ``["write", "%file"]`` into syscall names.

    Items, in a comma-separated string or a list, are what strace's ``-e trace=`` takes: names,
    classes (``%file``; ``file`` too, as strace still accepts), ``all``, ``none``, ``/regex``
    (names it matches), ``?item`` (no error when it names nothing), and ``!`` before the first
    item to select every call except the list. Old names select the calls that do their job
    today (``open`` selects ``openat``).
    Anything else raises a SpykitError saying what is accepted.
    """
    # (a list's items may hold commas too: trace(syscalls="openat,read") hands over ["openat,read"])
    items = [part.strip() for s in ([spec] if isinstance(spec, str) else spec) for part in str(s).split(",")]
    negate = bool(items) and items[0].startswith("!")
    if negate:
        items[0] = items[0][1:].strip()
        if not any(items):
            raise SpykitError("'!' needs the calls not to select after it", hint="e.g. '!read,write'")
    selected: set[str] = set()
    for item in items:
        if item.startswith("!"):
            raise SpykitError(f"{item!r}: '!' negates the whole list, so it can only come first",
                              hint=f"e.g. '!{item[1:]},...'")
        optional = item.startswith("?")
        item = item[1:] if optional else item
        if not item:
            continue
        try:
            selected |= _select_one(item)
        except SpykitError:
            if not optional:
                raise
    return set(ALL_NAMES) - selected if negate else selected


def parse_trace_option(expressions: Iterable[str] | None) -> list[str] | None:
    """strace's ``-e`` values as a ``syscalls=`` selection; None (every call) without any.

    Used by the command line (``spykit trace -e ...``) and the ``%strace`` magic alike. As in
    strace, ``trace=`` (or ``t=``) may be left out, and a later ``-e trace=`` replaces an earlier
    one. A typo raises a SpykitError here, before anything runs; the caller shows it as a usage error.
    """
    selection = None
    for expression in expressions or []:
        text = expression.strip()
        qualified = re.fullmatch(r"([a-z][a-z_-]*)=(.*)", text, re.S)
        if qualified and qualified[1] not in TRACE_QUALIFIERS:
            raise SpykitError(f"-e {expression}: only -e trace=... is supported (strace's {qualified[1]}= is not)",
                              hint="select calls with -e trace=NAMES, e.g. -e trace=openat,%network")
        value = qualified[2] if qualified else text
        items = [item.strip() for item in value.split(",") if item.strip()]
        if not items:
            raise SpykitError(f"-e {expression}: no system call given", hint=f"give {_ACCEPTED}")
        expand_selection(items)  # a typo is reported now
        selection = items
    return selection


def numbers_of(names: Iterable[str]) -> set[int]:
    """System call numbers for names (``syscall_NNN`` included)."""
    out = set()
    for name in names:
        if name in SYSCALL_NUMBERS:
            out.add(SYSCALL_NUMBERS[name])
        elif _unknown_number(name) is not None:
            out.add(_unknown_number(name))
    return out
