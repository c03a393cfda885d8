"""What the tracer must read from a tracee's memory, and when, for each system call.

A system call's arguments are six numbers; most of what a learner wants to see (a path, the
bytes written, an address) sits in the tracee's memory behind a pointer. That memory must be
read while the tracee is stopped, and at the right stop: inputs at entry (the program may
change them afterwards), outputs at exit (the kernel fills them in). Everything else, such
as flag names, is decoded later from the numbers, off the hot path.

A ``Capture`` names an argument slot holding a pointer, what lies behind it, and when to read
it. The tracer stores each result as a bytes blob under ``blob_key(capture)``; the decoders in
``spykit.syscalls.decode`` read the blobs back.

The tracer also needs to know which argument is a path, which is an fd, and which calls return
a new fd: those tables are at the bottom.
"""

from __future__ import annotations

from typing import NamedTuple

# What lies behind the pointer.
PATH = 1  # NUL-terminated string, read up to PATH_MAX (strace never cuts paths)
STR = 2  # NUL-terminated string, read up to the string limit + 1 (so a cut is visible)
BUF = 3  # buffer whose length is an argument (`size_arg`) or the return value (`size_arg=RET`)
FIXED = 4  # a structure of `size` bytes
SOCKADDR = 5  # socket address, length in argument `size_arg`
SOCKADDR_OUT = 6  # socket address written by the kernel; argument `size_arg` points to its length
STRARRAY = 7  # NULL-terminated array of string pointers (argv, envp), read whole up to the kernel's limits;
#               blob: u32 count, then each string as u32 length + bytes
STRCOUNT = 8  # NULL-terminated array of pointers, only counted (envp: strace shows /* N vars */)
IOV = 9  # struct iovec array, count in argument `size_arg`; data up to the total (`total_arg`)
ARRAY = 10  # `size` bytes per element, element count in argument `size_arg` (pollfd, epoll_event)
MSGHDR = 11  # struct msghdr: the address, and iovec data; blob: see encode_msghdr
SIGSET_PAIR = 13  # pselect6's {const sigset_t *ss; size_t ss_len}: blob = those 16 bytes + the ss_len
#                   (at most 8) bytes of the set behind ss, when readable
DIRENTS = 12  # getdents buffer of `size_arg` (RET) bytes; blob: struct.pack("<I", number of records),
#              counted by following d_reclen (a u16 at offset 16 of each record, in both dirent layouts)

RET = -1  # size_arg value meaning "the return value"


class Capture(NamedTuple):
    slot: int  # argument index (0-5) holding the pointer
    kind: int
    at_exit: bool = False
    size_arg: int | None = None  # argument index holding a length or count, or RET
    size: int = 0  # FIXED: bytes; ARRAY: bytes per element
    total_arg: int | None = None  # IOV/MSGHDR: argument (or RET) bounding the data to read


def blob_key(cap: Capture) -> int:
    """Where a capture's bytes are stored for a row: one key per slot and stop."""
    return cap.slot + (8 if cap.at_exit else 0)


# Sizes of structures on x86_64 (include/uapi/asm-generic/stat.h and friends).
STAT_SIZE = 144
STATX_SIZE = 256
TIMESPEC_SIZE = 16
SIGSET_SIZE = 8
KSIGACTION_SIZE = 32  # struct kernel_sigaction: handler, flags, restorer, mask
POLLFD_SIZE = 8
EPOLL_EVENT_SIZE = 12  # packed on x86_64
UTSNAME_SIZE = 390
RLIMIT_SIZE = 16
CLONE_ARGS_SIZE = 88
OPEN_HOW_SIZE = 24
TERMIOS_SIZE = 36  # struct termios (asm-generic/termbits.h); winsize and int requests use a prefix
FLOCK_SIZE = 32
SOCKOPT_SIZE = 64
RUSAGE_TIMES_SIZE = 32  # ru_utime and ru_stime, all strace shows of a struct rusage by default

_I, _X = False, True  # read at entry / at exit

CAPTURES: dict[str, tuple[Capture, ...]] = {
    # files
    "open": (Capture(0, PATH),),
    "creat": (Capture(0, PATH),),
    "openat": (Capture(1, PATH),),
    "openat2": (Capture(1, PATH), Capture(2, FIXED, _I, size=OPEN_HOW_SIZE)),
    "stat": (Capture(0, PATH), Capture(1, FIXED, _X, size=STAT_SIZE)),
    "lstat": (Capture(0, PATH), Capture(1, FIXED, _X, size=STAT_SIZE)),
    "fstat": (Capture(1, FIXED, _X, size=STAT_SIZE),),
    "newfstatat": (Capture(1, PATH), Capture(2, FIXED, _X, size=STAT_SIZE)),
    "statx": (Capture(1, PATH), Capture(4, FIXED, _X, size=STATX_SIZE)),
    "statfs": (Capture(0, PATH),),
    "access": (Capture(0, PATH),),
    "faccessat": (Capture(1, PATH),),
    "faccessat2": (Capture(1, PATH),),
    "chdir": (Capture(0, PATH),),
    "chroot": (Capture(0, PATH),),
    "mkdir": (Capture(0, PATH),),
    "mkdirat": (Capture(1, PATH),),
    "rmdir": (Capture(0, PATH),),
    "unlink": (Capture(0, PATH),),
    "unlinkat": (Capture(1, PATH),),
    "rename": (Capture(0, PATH), Capture(1, PATH)),
    "renameat": (Capture(1, PATH), Capture(3, PATH)),
    "renameat2": (Capture(1, PATH), Capture(3, PATH)),
    "link": (Capture(0, PATH), Capture(1, PATH)),
    "linkat": (Capture(1, PATH), Capture(3, PATH)),
    "symlink": (Capture(0, PATH), Capture(1, PATH)),
    "symlinkat": (Capture(0, PATH), Capture(2, PATH)),
    "chmod": (Capture(0, PATH),),
    "fchmodat": (Capture(1, PATH),),
    "fchmodat2": (Capture(1, PATH),),
    "chown": (Capture(0, PATH),),
    "lchown": (Capture(0, PATH),),
    "fchownat": (Capture(1, PATH),),
    "truncate": (Capture(0, PATH),),
    "utimensat": (Capture(1, PATH), Capture(2, FIXED, _I, size=2 * TIMESPEC_SIZE)),
    "mknod": (Capture(0, PATH),),
    "mknodat": (Capture(1, PATH),),
    "readlink": (Capture(0, PATH), Capture(1, BUF, _X, RET)),
    "readlinkat": (Capture(1, PATH), Capture(2, BUF, _X, RET)),
    "getcwd": (Capture(0, PATH, _X),),  # strace prints the directory whole, like any path
    "getdents64": (Capture(1, DIRENTS, _X, RET),),  # strace shows only the entry count by default
    "getdents": (Capture(1, DIRENTS, _X, RET),),
    "inotify_add_watch": (Capture(1, PATH),),
    "getxattr": (Capture(0, PATH), Capture(1, STR)),
    "lgetxattr": (Capture(0, PATH), Capture(1, STR)),
    "setxattr": (Capture(0, PATH), Capture(1, STR)),
    "listxattr": (Capture(0, PATH),),
    "llistxattr": (Capture(0, PATH),),
    "mount": (Capture(0, PATH), Capture(1, PATH), Capture(2, STR)),
    "umount2": (Capture(0, PATH),),
    # descriptors and data
    "read": (Capture(1, BUF, _X, RET),),
    "pread64": (Capture(1, BUF, _X, RET),),
    "write": (Capture(1, BUF, _I, 2),),
    "pwrite64": (Capture(1, BUF, _I, 2),),
    "readv": (Capture(1, IOV, _X, 2, total_arg=RET),),
    "preadv": (Capture(1, IOV, _X, 2, total_arg=RET),),
    "preadv2": (Capture(1, IOV, _X, 2, total_arg=RET),),
    "writev": (Capture(1, IOV, _I, 2),),
    "pwritev": (Capture(1, IOV, _I, 2),),
    "pwritev2": (Capture(1, IOV, _I, 2),),
    "pipe": (Capture(0, FIXED, _X, size=8),),
    "pipe2": (Capture(0, FIXED, _X, size=8),),
    "poll": (Capture(0, ARRAY, _I, 1, size=POLLFD_SIZE), Capture(0, ARRAY, _X, 1, size=POLLFD_SIZE)),
    "ppoll": (Capture(0, ARRAY, _I, 1, size=POLLFD_SIZE), Capture(0, ARRAY, _X, 1, size=POLLFD_SIZE),
              Capture(2, FIXED, _I, size=TIMESPEC_SIZE), Capture(3, FIXED, _I, size=SIGSET_SIZE),
              Capture(2, FIXED, _X, size=TIMESPEC_SIZE)),
    "select": (Capture(1, FIXED, _I, size=128), Capture(2, FIXED, _I, size=128), Capture(3, FIXED, _I, size=128),
               Capture(4, FIXED, _I, size=16),
               Capture(1, FIXED, _X, size=128), Capture(2, FIXED, _X, size=128), Capture(3, FIXED, _X, size=128),
               Capture(4, FIXED, _X, size=16)),
    "pselect6": (Capture(1, FIXED, _I, size=128), Capture(2, FIXED, _I, size=128), Capture(3, FIXED, _I, size=128),
                 Capture(4, FIXED, _I, size=TIMESPEC_SIZE),
                 Capture(1, FIXED, _X, size=128), Capture(2, FIXED, _X, size=128),
                 Capture(3, FIXED, _X, size=128), Capture(4, FIXED, _X, size=TIMESPEC_SIZE),
                 Capture(5, SIGSET_PAIR, _I)),
    "epoll_wait": (Capture(1, ARRAY, _X, RET, size=EPOLL_EVENT_SIZE),),
    "epoll_pwait": (Capture(1, ARRAY, _X, RET, size=EPOLL_EVENT_SIZE), Capture(4, FIXED, _I, size=SIGSET_SIZE)),
    "epoll_pwait2": (Capture(1, ARRAY, _X, RET, size=EPOLL_EVENT_SIZE),
                     Capture(3, FIXED, _I, size=TIMESPEC_SIZE)),
    "epoll_ctl": (Capture(3, FIXED, _I, size=EPOLL_EVENT_SIZE),),
    # the argument is a pointer for most terminal requests: an int, a winsize or a termios,
    # handed in (read at entry) or filled in (read at exit); the decoder picks by request
    "ioctl": (Capture(2, FIXED, _I, size=TERMIOS_SIZE), Capture(2, FIXED, _X, size=TERMIOS_SIZE)),
    "fcntl": (Capture(2, FIXED, _I, size=FLOCK_SIZE), Capture(2, FIXED, _X, size=FLOCK_SIZE)),
    "getrandom": (Capture(0, BUF, _X, RET),),
    # network
    "connect": (Capture(1, SOCKADDR, _I, 2),),
    "bind": (Capture(1, SOCKADDR, _I, 2),),
    # the length pointer is also read at entry: a failed call shows the length offered ([16])
    "accept": (Capture(1, SOCKADDR_OUT, _X, 2), Capture(2, FIXED, _I, size=4)),
    "accept4": (Capture(1, SOCKADDR_OUT, _X, 2), Capture(2, FIXED, _I, size=4)),
    "getsockname": (Capture(1, SOCKADDR_OUT, _X, 2), Capture(2, FIXED, _I, size=4)),
    "getpeername": (Capture(1, SOCKADDR_OUT, _X, 2), Capture(2, FIXED, _I, size=4)),
    "sendto": (Capture(1, BUF, _I, 2), Capture(4, SOCKADDR, _I, 5)),
    "recvfrom": (Capture(1, BUF, _X, RET), Capture(4, SOCKADDR_OUT, _X, 5), Capture(5, FIXED, _I, size=4)),
    "sendmsg": (Capture(1, MSGHDR, _I),),
    # msg_name and msg_namelen as offered: strace shows `{msg_namelen=N}` for a failed call
    "recvmsg": (Capture(1, MSGHDR, _X, total_arg=RET), Capture(1, FIXED, _I, size=12)),
    "socketpair": (Capture(3, FIXED, _X, size=8),),
    "setsockopt": (Capture(3, BUF, _I, 4),),
    # the value's length is only known after the call (*optlen): read enough for any common option
    "getsockopt": (Capture(3, FIXED, _X, size=SOCKOPT_SIZE), Capture(4, FIXED, _X, size=4),
                   Capture(4, FIXED, _I, size=4)),
    # processes
    # argv and envp whole (processes() gives both); the args text still cuts them at the string limit
    "execve": (Capture(0, PATH), Capture(1, STRARRAY), Capture(2, STRARRAY)),
    "execveat": (Capture(1, PATH), Capture(2, STRARRAY), Capture(3, STRARRAY)),
    "wait4": (Capture(1, FIXED, _X, size=4), Capture(3, FIXED, _X, size=RUSAGE_TIMES_SIZE)),
    "clone3": (Capture(0, FIXED, _I, size=CLONE_ARGS_SIZE),),
    "uname": (Capture(0, FIXED, _X, size=UTSNAME_SIZE),),
    "prlimit64": (Capture(2, FIXED, _I, size=RLIMIT_SIZE), Capture(3, FIXED, _X, size=RLIMIT_SIZE)),
    "getrlimit": (Capture(1, FIXED, _X, size=RLIMIT_SIZE),),
    # signals
    "rt_sigaction": (Capture(1, FIXED, _I, size=KSIGACTION_SIZE), Capture(2, FIXED, _X, size=KSIGACTION_SIZE)),
    "rt_sigprocmask": (Capture(1, FIXED, _I, size=SIGSET_SIZE), Capture(2, FIXED, _X, size=SIGSET_SIZE)),
    # time
    "nanosleep": (Capture(0, FIXED, _I, size=TIMESPEC_SIZE), Capture(1, FIXED, _X, size=TIMESPEC_SIZE)),
    "clock_nanosleep": (Capture(2, FIXED, _I, size=TIMESPEC_SIZE), Capture(3, FIXED, _X, size=TIMESPEC_SIZE)),
    "clock_gettime": (Capture(1, FIXED, _X, size=TIMESPEC_SIZE),),
    "futex": (Capture(3, FIXED, _I, size=TIMESPEC_SIZE),),
}

# --- the data calls ----------------------------------------------------------------------------
# Calls that move data: their buffer (BUF), iovec (IOV) or msghdr (MSGHDR) capture keeps up to
# the trace's data_limit bytes (while its data budget lasts), not just the string limit.
DATA_CALLS = frozenset({"read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2",
                        "pwritev2", "sendto", "recvfrom", "sendmsg", "recvmsg"})
DATA_LIMIT = 4096  # bytes kept per data call, by default
DATA_BUDGET = 64 << 20  # bytes of data kept per trace, at most (beyond it, calls keep the string limit)


def is_data_capture(name: str, cap: Capture) -> bool:
    return name in DATA_CALLS and cap.kind in (BUF, IOV, MSGHDR)


def iov_chunks(moved: list[int], kept: int) -> list[int]:
    """How many bytes of each iovec an IOV blob holding ``kept`` data bytes has.

    The tracer reads each iovec up to one per-element limit (the string limit, or the data limit
    while the budget lasts): find that limit from the total kept, so the blob needs no list of
    lengths. ``moved`` is what each iovec moved.
    """
    if kept >= sum(moved):
        return list(moved)
    low, high = 0, max(moved, default=0)
    while low < high:  # the smallest per-element limit that accounts for every kept byte
        mid = (low + high) // 2
        if sum(min(m, mid) for m in moved) >= kept:
            high = mid
        else:
            low = mid + 1
    return [min(m, low) for m in moved]


# --- what the tracer tracks per call -------------------------------------------------------
# The argument holding the path a call names (first path when there are two).
PATH_ARG: dict[str, int] = {
    name: caps[0].slot for name, caps in CAPTURES.items() if caps and caps[0].kind == PATH and not caps[0].at_exit
}

# Calls whose (successful) return value is a new file descriptor.
RETURNS_FD = frozenset("""
open openat openat2 creat socket accept accept4 dup dup2 dup3 epoll_create epoll_create1 eventfd
eventfd2 timerfd_create signalfd signalfd4 inotify_init inotify_init1 memfd_create pidfd_open
pidfd_getfd perf_event_open fanotify_init userfaultfd io_uring_setup open_by_handle_at fsopen
fsmount open_tree mq_open memfd_secret
""".split())

# Calls that return a pair of new fds in an int[2] at the given argument.
RETURNS_FD_PAIR: dict[str, int] = {"pipe": 0, "pipe2": 0, "socketpair": 3}

# Calls that use the fd in argument 0, other than the path-based *at calls (whose arg 0 is a dirfd).
_FD0 = """
read write close fstat lseek ioctl pread64 pwrite64 readv writev preadv pwritev preadv2 pwritev2
sendfile fcntl flock fsync fdatasync ftruncate getdents getdents64 fchdir fchmod fchown fstatfs
readahead fsetxattr fgetxattr flistxattr fremovexattr epoll_ctl epoll_wait epoll_pwait epoll_pwait2
sync_file_range fallocate syncfs connect bind listen accept accept4 getsockname getpeername sendto
recvfrom sendmsg recvmsg sendmmsg recvmmsg shutdown setsockopt getsockopt splice tee vmsplice
copy_file_range dup dup2 dup3 inotify_add_watch inotify_rm_watch timerfd_settime timerfd_gettime
"""
FD_ARG: dict[str, int] = {name: 0 for name in _FD0.split()}
FD_ARG["mmap"] = 4

# Calls after which an fd's description may have changed (a socket got its address).
REDESCRIBES_FD = frozenset({"connect", "bind", "listen", "accept", "accept4"})

# Calls that change what fds point to. Under a selection that shows fds (read, write...), the tracer
# follows these too, without recording them, so that the `path` of a later read is right.
FD_CHANGERS = RETURNS_FD | frozenset(RETURNS_FD_PAIR) | REDESCRIBES_FD | {"close", "close_range"}
USES_FDS = frozenset(FD_ARG) | RETURNS_FD | frozenset(RETURNS_FD_PAIR)
