"""What kind of thing a row's file descriptor points to: ``Trace.df["fd_kind"]``.

A pure function of a trace's frame, decided from what the trace itself says (the ``path``
column, which for a call on an fd holds the fd's target as ``strace -y`` shows it), never
from this machine's files, so a trace loaded elsewhere gets the same kinds:

========== =================================================================================
kind       the fd's target looks like
========== =================================================================================
pipe       ``pipe:[123]`` (an anonymous pipe; a named pipe, a FIFO, shows its path: ``file``)
socket     ``socket:[45]``, ``TCP:[127.0.0.1:41000->127.0.0.1:8000]``, ``UNIX:[...]``
tty        ``/dev/pts/0``, ``/dev/tty``, ``/dev/ttyS0``, ``/dev/console``, ``/dev/ptmx``
device     any other ``/dev/...`` (``/dev/null``, ``/dev/urandom``) but ``/dev/shm`` files
anon       ``anon_inode:[eventfd]``, ``anon_inode:inotify`` and other kernel objects with no
           path (``net:[4026531840]``: a namespace)
directory  a path the trace shows being used as a directory: listed (getdents), entered with
           fchdir, or ``.``/``..``/``/``/a path ending in ``/``; an fd opened on a path keeps
           that kind in the same process until it is closed
file       any other path
<NA>       the row has no fd target: the call uses and returns no fd, or failed to make one
========== =================================================================================

A directory opened only to be named as a ``dirfd`` (``O_PATH``) and never listed is called a
``file``: the trace holds nothing else that tells them apart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

KINDS = ("file", "directory", "pipe", "socket", "tty", "device", "anon")

# Targets as the tracer writes them (spykit.tracer.fdtable, after /proc/PID/fd/N). Sockets are
# "PROTO:[...]" as strace -yy shows them (TCP, UDPv6, UNIX, NETLINK...), or "socket:[inode]".
_PIPE = re.compile(r"^pipe:\[")
_SOCKET = re.compile(r"^(?:[A-Z][A-Za-z0-9-]*|socket):\[")
_ANON = re.compile(r"^(?:anon_inode:|[a-z_]+:\[)")  # anon_inode:[eventfd], and nsfs such as net:[...]
_TTY = re.compile(r"^/dev/(?:pts/\d+|tty[A-Za-z0-9]*|console|ptmx|pts/ptmx)$")
_DIRECTORY_NAME = re.compile(r"(?:^|/)\.{0,2}$")  # ".", "..", "/", "dir/", "a/.."
# Calls that only work on a directory's fd: the fd they use is a directory.
DIRECTORY_CALLS = frozenset({"getdents", "getdents64", "fchdir"})


def kind_of_target(path: object) -> str | None:
    """The kind of one fd target (``"pipe:[12]"`` -> ``"pipe"``), or None when it is not a target.

    Paths are ``file`` unless they name a directory by their form alone (``.``, ``/``, ``dir/``);
    :func:`fd_kinds` also recognises directories from how the trace uses them.
    """
    if not isinstance(path, str) or not path:
        return None
    if _PIPE.match(path):
        return "pipe"
    if _SOCKET.match(path):
        return "socket"
    if _ANON.match(path):
        return "anon"
    if path.startswith("/dev/") and not path.startswith("/dev/shm/"):
        return "tty" if _TTY.match(path) else "device"
    if _DIRECTORY_NAME.search(path):
        return "directory"
    return "file"


def fd_kinds(df: pd.DataFrame, paths: tuple[np.ndarray, list[str]] | None = None) -> pd.Series:
    """The ``fd_kind`` column for a trace's frame (``syscall``, ``tgid``, ``path``, ``fd``, ``error``).

    A row gets a kind when it has an fd (``fd`` is set) and a target (``path``): a call on an fd,
    or an open that returned one. Directories are also found from use: a row listing an fd
    (``getdents64``) makes its path a directory in every row, and makes the fd a directory in
    its process from the open that returned it to its close.

    ``paths`` may give the ``path`` column already factorized, ``(codes, values)`` with -1 for no
    path, as the tracer has it (``df`` then needs no ``path`` column): no hashing of the paths.
    """
    import numpy as np
    import pandas as pd

    from .columncodes import column_codes, per_row, rows_with
    from .syscalls.captures import RETURNS_FD

    # Each distinct target once: a trace has many rows and few targets.
    codes, targets = column_codes(df["path"]) if paths is None else paths
    has_target = df["fd"].notna().to_numpy(dtype=bool) & (codes >= 0)
    # one object array of the row count (None for the rows without a target)
    kinds = per_row(np.where(has_target, codes, -1), targets, kind_of_target, None, object)
    # the call names are compared by their codes: a string copy of that column would cost more
    # than the whole fd_kind column
    name_codes, names = column_codes(df["syscall"])

    def rows_naming(wanted) -> np.ndarray:
        return rows_with(name_codes, names, wanted)

    succeeded = df["error"].isna().to_numpy(dtype=bool)
    listed = rows_naming(DIRECTORY_CALLS) & succeeded
    if listed.any():
        # plain arrays: reading a pandas column one element at a time costs microseconds a row
        path_of = np.array([*targets, None], dtype=object)[codes]  # (code -1, no path: None)
        directories = {p for p in path_of[listed].tolist() if isinstance(p, str)}
        # Follow each fd from the call that returned it (an open of ".", a relative name) to its
        # close: one listing makes every row on that fd, in that process, a directory. An fd seen
        # with another target than its last use (reused after a close the trace did not show, such
        # as one of pipe2's fds) starts a new life too.
        lifetime: dict[tuple[int, int], tuple[int, object, bool]] = {}  # -> (life, target, opened here)
        life_of = [-1] * len(df)
        opens = rows_naming(RETURNS_FD) & succeeded
        closes = rows_naming(("close", "close_range"))
        tgids = df["tgid"].to_numpy(dtype=np.int64)
        in_scope = has_target & np.isin(tgids, np.unique(tgids[listed]))
        fds = df["fd"].to_numpy(dtype=np.int64, na_value=-1)
        for i in np.flatnonzero(in_scope).tolist():
            path = path_of[i]
            key = (int(tgids[i]), int(fds[i]))
            known = lifetime.get(key)
            if opens[i] or known is None or (not known[2] and known[1] != path):
                known = (i, path, bool(opens[i]))
            lifetime[key] = (known[0], path, bool(opens[i]))
            life_of[i] = known[0]
            if closes[i]:
                del lifetime[key]
        directory_lives = {life_of[i] for i in range(len(df)) if listed[i] and life_of[i] >= 0}
        for i in np.flatnonzero(has_target).tolist():
            if life_of[i] in directory_lives or path_of[i] in directories:
                kinds[i] = "directory"
    # taken over as it is (None becomes <NA> in place): pandas would otherwise copy and check it
    return pd.Series(pd.arrays.StringArray(kinds, dtype=pd.StringDtype("python"), copy=False), index=df.index,
                     name="fd_kind", copy=False)


def with_fd_kind(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its ``fd_kind`` column (added in place, and returned, for one-line use)."""
    df["fd_kind"] = fd_kinds(df)
    return df
