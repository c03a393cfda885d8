"""Choosing rows of a trace: small predicates over ``Trace.df``, and ``filter_frame`` that ands them.

Each predicate takes the DataFrame and one condition and returns a boolean Series aligned with
it, so they are easy to test alone and to combine. ``Trace.filter`` wraps ``filter_frame`` and
returns a new ``Trace``, which is what makes filters chainable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from numbers import Integral

import pandas as pd


def by_syscalls(df: pd.DataFrame, selection: str | Iterable[str]) -> pd.Series:
    """Rows whose call is in ``selection``: names and strace classes such as ``"%file"``.

    ``"open"`` also selects ``openat``, as :func:`spykit.syscalls.table.expand_selection` does.
    """
    from .syscalls.table import expand_selection

    names = expand_selection(selection)
    return df["syscall"].astype("string").isin(names).fillna(False).astype(bool)


def by_pid(df: pd.DataFrame, pid: int | Iterable[int]) -> pd.Series:
    """Rows made by these processes or threads: a process id also selects all of its threads."""
    pids = [int(pid)] if isinstance(pid, Integral) else [int(p) for p in pid]
    return df["pid"].isin(pids) | df["tgid"].isin(pids)


def by_failed(df: pd.DataFrame, failed: bool) -> pd.Series:
    """Rows that returned an error (``failed=True``) or did not (``failed=False``)."""
    has_error = df["error"].notna().astype(bool)
    return has_error if failed else ~has_error


def by_path(df: pd.DataFrame, pattern: str) -> pd.Series:
    """Rows whose path matches the regular expression ``pattern`` anywhere (``re.search``)."""
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise ValueError(f"path={pattern!r} is not a regular expression: {error}") from None
    return pd.Series([isinstance(p, str) and regex.search(p) is not None for p in df["path"]],
                     index=df.index, dtype=bool)


def by_fd_kind(df: pd.DataFrame, kind: str | Iterable[str]) -> pd.Series:
    """Rows on an fd of this kind (or any of these kinds): ``"pipe"``, ``"socket"``, ``"file"``...

    Uses the ``fd_kind`` column, or works it out (:func:`spykit.fdkinds.fd_kinds`) for a frame without it.
    """
    from .errors import SpykitError
    from .fdkinds import KINDS, fd_kinds

    wanted = [kind] if isinstance(kind, str) else list(kind)
    unknown = [k for k in wanted if k not in KINDS]
    if unknown or not wanted:
        raise SpykitError(f"fd_kind={kind!r} is not a kind of fd target",
                          hint=f"use one or more of: {', '.join(KINDS)}")
    kinds = df["fd_kind"] if "fd_kind" in df.columns else fd_kinds(df)
    return kinds.isin(wanted).fillna(False).astype(bool)


def by_time(df: pd.DataFrame, start: float | None = None, end: float | None = None) -> pd.Series:
    """Rows that entered between ``start`` and ``end`` seconds after the trace started, both included."""
    if start is not None and end is not None and start > end:
        raise ValueError(f"the time window starts after it ends (start={start}, end={end})")
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= df["time"] >= start
    if end is not None:
        keep &= df["time"] <= end
    return keep


def filter_frame(df: pd.DataFrame, *, syscalls: str | Iterable[str] | None = None,
                 pid: int | Iterable[int] | None = None, failed: bool | None = None, path: str | None = None,
                 start: float | None = None, end: float | None = None,
                 fd_kind: str | Iterable[str] | None = None) -> pd.DataFrame:
    """The rows of ``df`` that meet every condition given; ``None`` means "any".

    The index is kept, so a row can still be found in the unfiltered frame.
    """
    keep = pd.Series(True, index=df.index)
    if syscalls is not None:
        keep &= by_syscalls(df, syscalls)
    if pid is not None:
        keep &= by_pid(df, pid)
    if failed is not None:
        keep &= by_failed(df, failed)
    if path is not None:
        keep &= by_path(df, path)
    if start is not None or end is not None:
        keep &= by_time(df, start, end)
    if fd_kind is not None:
        keep &= by_fd_kind(df, fd_kind)
    return df[keep]
