"""A file call's flags and mode in words a learner can read aloud, from its numeric arguments.

``flag_words("openat", (AT_FDCWD, ptr, O_WRONLY|O_CREAT|O_TRUNC, 0o644))`` gives
``"write, create, truncate; mode rw-r--r--"``. The numbers go through the same flag tables the
decoders use (:mod:`spykit.syscalls.flags.files`); the tables below only say which argument of
which call holds what, and what each flag means in plain words.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence

from . import files as F

# Plain words for each flag name; a name missing here is shown as it is.
WORDS: dict[str, str] = {
    "O_RDONLY": "read", "O_WRONLY": "write", "O_RDWR": "read and write", "O_CREAT": "create",
    "O_EXCL": "must not exist", "O_TRUNC": "truncate", "O_APPEND": "append", "O_CLOEXEC": "close on exec",
    "O_DIRECTORY": "must be a directory", "O_NOFOLLOW": "do not follow a symlink",
    "O_NONBLOCK": "non-blocking", "O_NDELAY": "non-blocking", "O_PATH": "path only",
    "O_TMPFILE": "unnamed temporary file", "__O_TMPFILE": "unnamed temporary file",
    "O_SYNC": "sync every write", "__O_SYNC": "sync every write", "O_DSYNC": "sync data on write",
    "O_NOCTTY": "not as controlling terminal", "O_LARGEFILE": "large file", "O_DIRECT": "bypass the cache",
    "O_NOATIME": "keep access time", "FASYNC": "signal when ready",
    "AT_SYMLINK_NOFOLLOW": "do not follow a symlink", "AT_SYMLINK_FOLLOW": "follow a symlink",
    "AT_EMPTY_PATH": "the fd itself", "AT_REMOVEDIR": "remove a directory", "AT_EACCESS": "as effective user",
    "AT_NO_AUTOMOUNT": "no automount", "AT_RECURSIVE": "recursive", "AT_STATX_SYNC_AS_STAT": "",
    "AT_STATX_FORCE_SYNC": "force sync", "AT_STATX_DONT_SYNC": "do not sync",
    "F_OK": "exists?", "R_OK": "readable?", "W_OK": "writable?", "X_OK": "executable?",
    "S_IFREG": "regular file", "S_IFDIR": "directory", "S_IFIFO": "named pipe", "S_IFSOCK": "socket",
    "S_IFCHR": "character device", "S_IFBLK": "block device", "S_IFLNK": "symlink",
    "RENAME_NOREPLACE": "do not replace", "RENAME_EXCHANGE": "swap", "RENAME_WHITEOUT": "whiteout",
}

# Which argument holds what, per call: (index, kind). Kinds: "open" (open flags; the mode
# follows when the call can create), "mode" (permission bits), "filemode" (type and bits, as
# mknod takes), "access" (R_OK...), "at" (AT_* flags), "faccessat" (its AT_* flags), "statx"
# (statx's AT_* and sync flags), "rename" (RENAME_*), "creat" (creat's implied flags).
ARGS: dict[str, tuple[tuple[int, str], ...]] = {
    "open": ((1, "open"),), "openat": ((2, "open"),), "creat": ((1, "creat"),),
    "access": ((1, "access"),), "faccessat": ((2, "access"),), "faccessat2": ((2, "access"), (3, "faccessat")),
    "newfstatat": ((3, "at"),), "fstatat64": ((3, "at"),), "statx": ((2, "statx"),),
    "mkdir": ((1, "mode"),), "mkdirat": ((2, "mode"),), "chmod": ((1, "mode"),), "fchmodat": ((2, "mode"),),
    "fchmodat2": ((2, "mode"), (3, "at")), "mknod": ((1, "filemode"),), "mknodat": ((2, "filemode"),),
    "unlinkat": ((2, "at"),), "renameat2": ((4, "rename"),), "linkat": ((4, "at"),),
    "fchownat": ((4, "at"),), "utimensat": ((3, "at"),), "execveat": ((4, "at"),),
}
RUNS = frozenset({"execve", "execveat"})
WORD_CALLS = frozenset(ARGS) | RUNS  # the calls flag_words has something to say about


def _names(table: F.Flags, value: int) -> list[str]:
    names, rest = table.names(value)
    return names + ([f"{rest:#x}"] if rest else [])


def _mode(value: int) -> str:
    return "mode " + stat.filemode(value & 0o7777)[1:]


def flag_words(syscall: str, args: Sequence[int]) -> str:
    """The flags and mode among a file call's numeric arguments, in words ("" when it has none)."""
    names: list[str] = []
    mode = ""
    for index, kind in ARGS.get(syscall, ()):
        if index >= len(args):
            continue
        value = int(args[index]) & 0xFFFFFFFF
        if kind == "open":
            names.append(F.ACCESS_MODES.get(value & 3) or f"{value & 3:#x}")
            names += _names(F.OPEN_FLAGS, value & ~3)
            if F.open_needs_mode(value) and index + 1 < len(args):
                mode = _mode(int(args[index + 1]))
        elif kind == "creat":
            names += ["O_WRONLY", "O_CREAT", "O_TRUNC"]
            mode = _mode(value)
        elif kind == "mode":
            mode = _mode(value)
        elif kind == "filemode":
            kind_name = F.FILE_TYPES.get(value & 0o170000)
            if kind_name:
                names.append(kind_name)
            mode = _mode(value)
        elif kind == "access":
            names += _names(F.ACCESS_FLAGS, value) if value else ["F_OK"]
        elif kind == "at":
            names += _names(F.AT_FLAGS, value)
        elif kind == "faccessat":
            names += _names(F.FACCESSAT_FLAGS, value)
        elif kind == "statx":
            names.append(F.STATX_SYNC.get(value & 0x6000) or "")
            names += _names(F.AT_FLAGS, value & ~0x6000)
        elif kind == "rename":
            names += _names(F.RENAME_FLAGS, value)
    words: list[str] = ["run"] if syscall in RUNS else []
    for name in names:
        word = WORDS.get(name, name)
        if word and word not in words:
            words.append(word)
    text = ", ".join(words)
    return f"{text}; {mode}" if text and mode else text or mode
