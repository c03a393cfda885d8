"""Files: open flags, *at flags, access modes, file types, fcntl commands, lseek whence."""

from __future__ import annotations

import fcntl
import os
import stat

from . import Flags, Values, pick

# include/uapi/asm-generic/fcntl.h: the values strace uses on x86_64. glibc defines O_LARGEFILE
# as 0 for 64-bit programs, but the kernel bit exists and strace names it.
_O_EXTRA = {"O_LARGEFILE": 0o100000, "__O_SYNC": 0o4000000, "__O_TMPFILE": 0o20000000, "FASYNC": 0o20000}
# strace's open_mode_flags order; O_SYNC (= __O_SYNC|O_DSYNC) and O_TMPFILE (= __O_TMPFILE|O_DIRECTORY)
# come before their parts so the combined names win.
OPEN_FLAGS = Flags(
    [(n, v or _O_EXTRA.get(n, 0)) for n, v in pick(os, """O_CREAT O_EXCL O_NOCTTY O_TRUNC O_APPEND
        O_NONBLOCK O_SYNC __O_SYNC O_DSYNC O_DIRECT O_LARGEFILE O_NOFOLLOW O_NOATIME O_CLOEXEC O_PATH
        O_TMPFILE __O_TMPFILE O_DIRECTORY FASYNC""", _O_EXTRA)],
    "O_???",
)
ACCESS_MODES = Values(pick(os, "O_RDONLY O_WRONLY O_RDWR") + [("O_ACCMODE", 3)], "O_???")
O_CREAT = os.O_CREAT
O_TMPFILE_BIT = _O_EXTRA["__O_TMPFILE"]


def open_flags(value: int) -> str:
    """``O_RDONLY|O_CLOEXEC``: the access mode always comes first, then the other flags."""
    value &= 0xFFFFFFFF
    mode = ACCESS_MODES.fmt(value & 3)
    rest = value & ~3
    if not rest:
        return mode
    return mode + "|" + OPEN_FLAGS.fmt(rest, comment=False)


def open_needs_mode(flags: int) -> bool:
    """strace prints the mode argument only when the call can create a file."""
    return bool(flags & O_CREAT or flags & O_TMPFILE_BIT)


# include/uapi/linux/fcntl.h
AT_FDCWD = -100
AT_FLAGS = Flags([
    ("AT_SYMLINK_NOFOLLOW", 0x100), ("AT_REMOVEDIR", 0x200), ("AT_SYMLINK_FOLLOW", 0x400),
    ("AT_NO_AUTOMOUNT", 0x800), ("AT_EMPTY_PATH", 0x1000), ("AT_RECURSIVE", 0x8000),
], "AT_???")
# faccessat2 takes AT_EACCESS (0x200, the same bit as AT_REMOVEDIR).
FACCESSAT_FLAGS = Flags([
    ("AT_SYMLINK_NOFOLLOW", 0x100), ("AT_EACCESS", 0x200), ("AT_EMPTY_PATH", 0x1000),
], "AT_???")
# statx: the sync type occupies two bits; AT_STATX_SYNC_AS_STAT (0) is always named.
STATX_SYNC = Values([("AT_STATX_SYNC_AS_STAT", 0), ("AT_STATX_FORCE_SYNC", 0x2000),
                     ("AT_STATX_DONT_SYNC", 0x4000)], "AT_STATX_???")
STATX_MASK = Flags([
    ("STATX_TYPE", 0x1), ("STATX_MODE", 0x2), ("STATX_NLINK", 0x4), ("STATX_UID", 0x8), ("STATX_GID", 0x10),
    ("STATX_ATIME", 0x20), ("STATX_MTIME", 0x40), ("STATX_CTIME", 0x80), ("STATX_INO", 0x100),
    ("STATX_SIZE", 0x200), ("STATX_BLOCKS", 0x400), ("STATX_BTIME", 0x800), ("STATX_MNT_ID", 0x1000),
    ("STATX_DIOALIGN", 0x2000),
], "STATX_???")
STATX_BASIC_STATS = 0x7FF
STATX_ALL = 0xFFF
STATX_ATTRS = Flags([
    ("STATX_ATTR_COMPRESSED", 0x4), ("STATX_ATTR_IMMUTABLE", 0x10), ("STATX_ATTR_APPEND", 0x20),
    ("STATX_ATTR_NODUMP", 0x40), ("STATX_ATTR_ENCRYPTED", 0x800), ("STATX_ATTR_AUTOMOUNT", 0x1000),
    ("STATX_ATTR_MOUNT_ROOT", 0x2000), ("STATX_ATTR_VERITY", 0x100000), ("STATX_ATTR_DAX", 0x200000),
], "STATX_ATTR_???")


def statx_mask(value: int) -> str:
    """STATX_BASIC_STATS and STATX_ALL are named as wholes, like strace does."""
    value &= 0xFFFFFFFF
    for name, bits in (("STATX_ALL", STATX_ALL), ("STATX_BASIC_STATS", STATX_BASIC_STATS)):
        if value & bits == bits:
            rest = value & ~bits
            return name + ("|" + STATX_MASK.fmt(rest, comment=False) if rest else "")
    return STATX_MASK.fmt(value)


def statx_flags(value: int) -> str:
    value &= 0xFFFFFFFF
    text = STATX_SYNC.fmt(value & 0x6000)
    rest = value & ~0x6000
    return text + ("|" + AT_FLAGS.fmt(rest, comment=False) if rest else "")


# include/uapi/linux/openat2.h
RESOLVE_FLAGS = Flags([
    ("RESOLVE_NO_XDEV", 0x1), ("RESOLVE_NO_MAGICLINKS", 0x2), ("RESOLVE_NO_SYMLINKS", 0x4),
    ("RESOLVE_BENEATH", 0x8), ("RESOLVE_IN_ROOT", 0x10), ("RESOLVE_CACHED", 0x20),
], "RESOLVE_???")
# include/uapi/linux/fs.h
RENAME_FLAGS = Flags([("RENAME_NOREPLACE", 1), ("RENAME_EXCHANGE", 2), ("RENAME_WHITEOUT", 4)], "RENAME_???")
# include/uapi/linux/close_range.h
CLOSE_RANGE_FLAGS = Flags([("CLOSE_RANGE_UNSHARE", 2), ("CLOSE_RANGE_CLOEXEC", 4)], "CLOSE_RANGE_???")
# include/uapi/linux/fs.h
SYNC_FILE_RANGE_FLAGS = Flags([("SYNC_FILE_RANGE_WAIT_BEFORE", 1), ("SYNC_FILE_RANGE_WRITE", 2),
                               ("SYNC_FILE_RANGE_WAIT_AFTER", 4)], "SYNC_FILE_RANGE_???")

# access(2) modes: F_OK is 0.
ACCESS_FLAGS = Flags(pick(os, "R_OK W_OK X_OK"), "?_OK", zero="F_OK")

# File types, from the stat module; strace prints the type then the permission bits in octal.
_S_IFMT = 0o170000  # stat.S_IFMT is a function in Python
FILE_TYPES = Values(pick(stat, "S_IFREG S_IFSOCK S_IFLNK S_IFBLK S_IFDIR S_IFCHR S_IFIFO"), "S_IF???")


def file_mode(mode: int) -> str:
    """``S_IFREG|0644``; a mode without a type is just the octal bits."""
    kind = mode & _S_IFMT
    perms = mode & ~_S_IFMT
    if not kind:
        return f"0{perms:02o}" if perms else "000"
    text = FILE_TYPES.get(kind) or f"{kind:#o}"
    return f"{text}|0{perms:02o}" if perms else f"{text}|000"



LSEEK_WHENCE = Values(pick(os, "SEEK_SET SEEK_CUR SEEK_END SEEK_DATA SEEK_HOLE"), "SEEK_???")

# fcntl commands: from the fcntl module; the rest from include/uapi/asm-generic/fcntl.h and
# include/uapi/linux/fcntl.h.
_F_EXTRA = {
    "F_SETSIG": 10, "F_GETSIG": 11, "F_SETOWN_EX": 15, "F_GETOWN_EX": 16, "F_GETOWNER_UIDS": 17,
    "F_OFD_GETLK": 36, "F_OFD_SETLK": 37, "F_OFD_SETLKW": 38, "F_SETLEASE": 1024, "F_GETLEASE": 1025,
    "F_NOTIFY": 1026, "F_CANCELLK": 1029, "F_DUPFD_CLOEXEC": 1030, "F_SETPIPE_SZ": 1031,
    "F_GETPIPE_SZ": 1032, "F_ADD_SEALS": 1033, "F_GET_SEALS": 1034, "F_GET_RW_HINT": 1035,
    "F_SET_RW_HINT": 1036, "F_GET_FILE_RW_HINT": 1037, "F_SET_FILE_RW_HINT": 1038,
}
FCNTL_CMDS = Values(pick(fcntl, """F_DUPFD F_GETFD F_SETFD F_GETFL F_SETFL F_GETLK F_SETLK F_SETLKW
    F_SETOWN F_GETOWN F_SETSIG F_GETSIG F_SETOWN_EX F_GETOWN_EX F_GETOWNER_UIDS F_OFD_GETLK F_OFD_SETLK
    F_OFD_SETLKW F_SETLEASE F_GETLEASE F_NOTIFY F_CANCELLK F_DUPFD_CLOEXEC F_SETPIPE_SZ F_GETPIPE_SZ
    F_ADD_SEALS F_GET_SEALS F_GET_RW_HINT F_SET_RW_HINT F_GET_FILE_RW_HINT F_SET_FILE_RW_HINT""", _F_EXTRA),
    "F_???")
FD_FLAGS = Flags([("FD_CLOEXEC", fcntl.FD_CLOEXEC)], "FD_???")
LOCK_TYPES = Values(pick(fcntl, "F_RDLCK F_WRLCK F_UNLCK"), "F_???")
# include/uapi/linux/fcntl.h
SEALS = Flags([("F_SEAL_SEAL", 1), ("F_SEAL_SHRINK", 2), ("F_SEAL_GROW", 4), ("F_SEAL_WRITE", 8),
               ("F_SEAL_FUTURE_WRITE", 16)], "F_SEAL_???")
LEASES = Values(pick(fcntl, "F_RDLCK F_WRLCK F_UNLCK"), "F_???")
NOTIFY_FLAGS = Flags([("DN_ACCESS", 1), ("DN_MODIFY", 2), ("DN_CREATE", 4), ("DN_DELETE", 8),
                      ("DN_RENAME", 16), ("DN_ATTRIB", 32), ("DN_MULTISHOT", 0x80000000)], "DN_???")

# posix_fadvise advice, from the os module.
FADVICE = Values(pick(os, """POSIX_FADV_NORMAL POSIX_FADV_RANDOM POSIX_FADV_SEQUENTIAL POSIX_FADV_WILLNEED
    POSIX_FADV_DONTNEED POSIX_FADV_NOREUSE"""), "POSIX_FADV_???")
