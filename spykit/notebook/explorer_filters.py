"""What the trace explorer shows, as pure functions of ``Trace.df``: no widgets, no browser.

The widget (spykit/notebook/explorer.py) only turns its controls into a :class:`Selection`, and
shows what these functions return: the choices with their counts, the filtered rows, one page
of them, and the details of one row.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..errors import SpykitError
from ..render.html import cell_text, table_html
from ..syscalls.results import format_result

PER_PAGE = 25


@dataclass(frozen=True)
class Selection:
    """Which rows to keep; every condition left at its default keeps everything."""

    syscalls: tuple[str, ...] = ()  # names; empty: any call
    category: str = ""  # strace class such as "file"; empty: any class
    pid: int | None = None  # a thread or process id (a process id keeps all its threads)
    failed_only: bool = False
    pattern: str = ""  # regular expression searched in the path and the arguments
    duration: tuple[float, float] | None = None  # seconds, both ends included; None: any
    fd_kind: str = ""  # what the call's fd points to ("pipe", "socket", "file"...); empty: any row
    hide_startup: bool = False  # leave out start-up rows (the ``startup`` column: loader, locale, ...)


def counted_options(values: pd.Series) -> list[tuple[str, str]]:
    """``[("openat (12)", "openat"), ...]``: each distinct value with its count, most frequent first."""
    counts = values.astype(str).value_counts()
    return [(f"{name} ({count:,})", name) for name, count in counts.items()]


def fd_kind_column(df: pd.DataFrame) -> pd.Series:
    """``df["fd_kind"]``, worked out for a frame that has none (a hand-made one)."""
    from ..fdkinds import fd_kinds

    return df["fd_kind"] if "fd_kind" in df.columns else fd_kinds(df)


def fd_kind_options(df: pd.DataFrame) -> list[tuple[str, str]]:
    """The "fd points to" choices: "any", then each kind of fd target in the trace with its count."""
    return [("any (or no fd)", ""), *counted_options(fd_kind_column(df).dropna())]


def pid_options(df: pd.DataFrame) -> list[tuple[str, int]]:
    """Each process, then each of its other threads, labelled with its number of calls."""
    options = []
    for tgid, rows in df.groupby("tgid", sort=False):
        options.append((f"process {tgid} ({len(rows):,})", int(tgid)))
        for tid, thread in rows.groupby("pid", sort=False):
            if tid != tgid:
                options.append((f"  thread {tid} ({len(thread):,})", int(tid)))
    return options


def duration_bounds(df: pd.DataFrame) -> tuple[float, float]:
    """The slider's range: from 0 to the longest call (never an empty range)."""
    longest = df["duration"].max() if len(df) else float("nan")
    return 0.0, float(longest) if longest == longest and longest > 0 else 1e-6


def compile_pattern(text: str) -> tuple[re.Pattern[str] | None, str | None]:
    """The regular expression to search for, and an error message when ``text`` is not one.

    A pattern that does not compile is searched for literally, so typing ``open(`` still works.
    """
    if not text:
        return None, None
    try:
        return re.compile(text), None
    except re.error as error:
        return re.compile(re.escape(text)), f"not a regular expression ({error}); searching for the text as typed"


def select_rows(df: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    """The rows of ``df`` that meet every condition of ``selection``, in their order."""
    keep = pd.Series(True, index=df.index)
    if selection.syscalls:
        keep &= df["syscall"].astype(str).isin(selection.syscalls)
    if selection.category:
        keep &= df["category"].astype(str) == selection.category
    if selection.pid is not None:
        keep &= (df["pid"] == selection.pid) | (df["tgid"] == selection.pid)
    if selection.failed_only:
        keep &= df["error"].notna().astype(bool)
    if selection.hide_startup and "startup" in df.columns:
        keep &= ~df["startup"].astype(bool)
    regex, _ = compile_pattern(selection.pattern)
    if regex is not None:
        found = [bool(isinstance(p, str) and regex.search(p)) or bool(isinstance(a, str) and regex.search(a))
                 for p, a in zip(df["path"], df["args"], strict=True)]
        keep &= pd.Series(found, index=df.index, dtype=bool)
    if selection.duration is not None:
        low, high = selection.duration
        keep &= df["duration"].between(low, high).fillna(False).astype(bool)
    if selection.fd_kind:
        keep &= (fd_kind_column(df) == selection.fd_kind).fillna(False).astype(bool)
    return df[keep]


def page_count(rows: int, per_page: int = PER_PAGE) -> int:
    """How many pages ``rows`` rows fill (at least one, even when empty)."""
    return max(1, math.ceil(rows / per_page))


def page_of(df: pd.DataFrame, page: int, per_page: int = PER_PAGE) -> pd.DataFrame:
    """Page ``page`` (from 0) of the rows; a page past the end gives the last page."""
    page = min(max(0, page), page_count(len(df), per_page) - 1)
    return df.iloc[page * per_page:(page + 1) * per_page]


def rows_table(rows: pd.DataFrame, first_number: int = 0) -> pd.DataFrame:
    """The columns the explorer's table shows: row number, time, pid, call, arguments, result, path, duration."""
    return pd.DataFrame({
        "#": range(first_number, first_number + len(rows)),
        "time": rows["time"].to_numpy(),
        "pid": rows["pid"].to_numpy(),
        "syscall": rows["syscall"].astype(str).to_numpy(),
        "args": [cell_text(a, 60) for a in rows["args"]],
        "result": [format_result(s, r, e) for s, r, e in
                   zip(rows["syscall"].astype(str), rows["ret"], rows["error"], strict=True)],
        "path": [cell_text(p, 50) for p in rows["path"]],
        "duration": rows["duration"].to_numpy(),
    })


def page_html(rows: pd.DataFrame, first_number: int = 0) -> str:
    """One page of rows as a styled HTML table, failed calls in red."""
    return table_html(rows_table(rows, first_number), max_rows=len(rows) or 1,
                      failed=rows["error"].notna().tolist(), code_columns=("args", "result", "path"))


Explain = Callable[[str], str]


def _default_explain(name: str) -> str | None:
    """spykit.explain, or None when it has nothing to say about ``name``."""
    try:
        import spykit

        return spykit.explain(name)
    except (ImportError, LookupError, ValueError, SpykitError):  # not written yet, or an unknown name
        return None


def detail_html(row: pd.Series, explain: Explain | None = None) -> str:
    """Everything about one call: the strace line, each column, and what the call and its errno mean."""
    explain = explain or _default_explain
    name = str(row["syscall"])
    result = format_result(name, row["ret"], row["error"])
    line = f"{name}({'' if pd.isna(row['args']) else row['args']}) = {result}"
    parts = [f'<div style="font-family: monospace; white-space: pre-wrap;">{html.escape(line)}</div>']
    took = row["duration"]
    duration = "unfinished" if row["unfinished"] else (f"{took * 1e6:.1f} µs" if took == took else "")
    facts = [("thread", row["pid"]), ("process", row["tgid"]), ("class", row["category"]),
             ("time", f"{row['time']:.6f} s"), ("duration", duration), ("path", row["path"]), ("fd", row["fd"]),
             ("address", row["addr"]), ("data", row["data"])]
    shown = [f"<b>{label}</b> {html.escape(cell_text(value, 120))}" for label, value in facts
             if cell_text(value, 120) != ""]
    parts.append("<div>" + " &middot; ".join(shown) + "</div>")
    about_call = explain(name)
    if about_call:
        parts.append(f"<div><b>{html.escape(name)}</b>: {html.escape(about_call)}</div>")
    error = row["error"]
    if isinstance(error, str) and error:
        about_error = explain(error)
        if not about_error:
            from ..syscalls.errnos import errno_message

            about_error = errno_message(error)
        parts.append(f'<div style="color: #c62828;"><b>{html.escape(error)}</b>: {html.escape(about_error)}</div>')
    return '<div class="spykit-detail">' + "".join(parts) + "</div>"
