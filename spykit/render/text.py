"""Plain text: strace-style lines for a trace, the ``strace -c`` table, the process tree, and tables.

These turn the answers of :mod:`spykit.questions` (and the trace itself) into text for a
terminal or ``print()``. They read DataFrames and return strings; they never print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..questions import command_line
from .lines import (  # noqa: F401 (pid_prefix, wall_clock, syscall_line, ...: their names here stay)
    PRINTED_EVENTS,
    RESULT_COLUMN,
    CallRow,
    Clock,
    EventRow,
    pid_prefix,
    several_pids,
    syscall_line,
    trace_lines,
    wall_clock,
)

if TYPE_CHECKING:
    from ..tracedata import Trace

def _value(x: Any) -> Any:
    """A cell as plain Python: None for any kind of missing value."""
    return None if x is None or x is pd.NA or (isinstance(x, float) and x != x) else x


def _clock(trace: Trace) -> Clock | None:
    """How a time is shown: the wall clock of a live trace (None: the default); for a trace read from
    strace's output, the clock its log had (time of day for -t/-tt, none known for -r: seconds since
    the first line)."""
    log = trace.meta.log
    if log is None or log.get("stamps") == "-ttt":
        return None
    if log.get("stamps") in ("-t", "-tt") and log.get("time_of_day") is not None:
        first = float(log["time_of_day"])

        def time_of_day(seconds: float) -> str:
            whole = first + seconds
            micros = round(whole * 1e6) % (86400 * 10**6)
            hours, rest = divmod(micros, 3600 * 10**6)
            minutes, rest = divmod(rest, 60 * 10**6)
            return f"{hours:02d}:{minutes:02d}:{rest / 1e6:09.6f}"

        return time_of_day
    return lambda seconds: f"{seconds:.6f}"


def _call_rows(df: pd.DataFrame) -> list[CallRow]:
    """The frame's calls as the plain rows :func:`spykit.render.lines.trace_lines` reads."""
    n = len(df)
    columns = [df[c].astype(object).tolist() if c in df.columns else [None] * n
               for c in ("time", "pid", "syscall", "args", "ret", "error", "duration", "unfinished", "note", "abi")]
    return [CallRow(float(time), int(pid), str(syscall), None if _value(args) is None else str(args),
                    None if _value(ret) is None else int(ret), _value(error), _value(duration), bool(unfinished),
                    _value(note), _value(abi))
            for time, pid, syscall, args, ret, error, duration, unfinished, note, abi in zip(*columns, strict=True)]


def trace_to_text(trace: Trace, *, timestamps: bool = False, durations: bool = False,
                  pids: bool | None = None, events: bool = True, limit: int | None = None) -> str:
    """The trace as strace would print it, calls and process events interleaved by time.

    ``timestamps`` adds the wall clock like ``strace -tt``; ``durations`` adds each call's time
    like ``-T``; ``pids`` prefixes lines with ``[pid N]`` (by default when more than one process
    or thread appears, as ``strace -f`` does); ``events`` includes the lines strace prints for
    signals, exits, deaths by signal and stops;
    ``limit`` keeps at most that many lines and says how many were left out.
    """
    calls = _call_rows(trace.df)
    happenings = [EventRow(float(time), int(pid), str(kind), _value(text))
                  for time, pid, kind, text in trace.events[["time", "pid", "kind", "text"]].itertuples(index=False)]
    with_pids = several_pids(calls, happenings) if pids is None else pids
    return trace_lines(calls, happenings if events else (), start_time=trace.meta.start_time,
                       timestamps=timestamps, durations=durations, pids=with_pids, limit=limit,
                       truncated=bool(trace.meta.truncated), clock=_clock(trace))


# -- the strace -c table ------------------------------------------------------------------------

_RULE = "------ ----------- ----------- --------- --------- ----------------"


def format_summary(table: pd.DataFrame) -> str:
    """The table from :func:`spykit.questions.summary` laid out as ``strace -c`` prints it, with a total."""
    lines = ["% time     seconds  usecs/call     calls    errors syscall", _RULE]

    def row(percent: float, seconds: float, usecs: int, calls: int, errors: int, name: str) -> str:
        shown_errors = f"{errors:9d}" if errors else " " * 9
        return f"{percent:6.2f} {seconds:11.6f} {usecs:11d} {calls:9d} {shown_errors} {name}"

    for r in table.itertuples(index=False):
        lines.append(row(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), str(r[5])))
    seconds, calls, errors = table["seconds"].sum(), int(table["calls"].sum()), int(table["errors"].sum())
    lines.append(_RULE)
    total_percent = 100.0 if seconds > 0 else 0.0
    average = round(seconds * 1e6 / calls) if calls else 0
    lines.append(row(total_percent, seconds, average, calls, errors, "total"))
    return "\n".join(lines)


# -- the process tree ---------------------------------------------------------------------------------

def describe_process(proc: Any) -> str:
    """What a process ran: its argv (``a -> b`` when it exec'd twice), its program, or that it only forked."""
    argvs = [a for a in proc.argv if a] if isinstance(proc.argv, list) else []
    if argvs:
        return " -> ".join(command_line(argv) for argv in argvs)
    if _value(proc.exe) is not None:
        return str(proc.exe)
    return "(forked, never exec'd)"


def describe_ending(proc: Any) -> str:
    """How a process ended: ``exited 0``, ``killed by SIGKILL``, ``ended by spykit`` or ``still running``."""
    if bool(getattr(proc, "ended_by_spykit", False)):
        return "ended by spykit (SIGKILL): still running when tracing ended"
    if _value(proc.signal) is not None:
        return f"killed by {proc.signal}"
    if _value(proc.status) is not None:
        return f"exited {int(proc.status)}"
    return "still running"


def process_children(procs: pd.DataFrame) -> dict[int | None, list[Any]]:
    """Each process's children in start order; the key ``None`` holds the roots (no parent in the table)."""
    known = set(procs["pid"].tolist())
    children: dict[int | None, list[Any]] = {}
    for proc in procs.sort_values(["start", "pid"], kind="stable").itertuples(index=False):
        parent = _value(proc.parent)
        children.setdefault(int(parent) if parent is not None and parent in known else None, []).append(proc)
    return children


def process_label(proc: Any) -> str:
    """One process on one line: ``4243 python3 a.py one  [exited 0]``."""
    return f"{proc.pid} {describe_process(proc)}  [{describe_ending(proc)}]"


def process_tree_text(procs: pd.DataFrame) -> str:
    """The answer of :func:`spykit.questions.processes` as an indented tree, like ``pstree``.

    ::

        4242 sh -c 'a one; b two'  [exited 0]
        ├── 4243 a one  [exited 0]
        └── 4244 b two  [killed by SIGTERM]
    """
    children = process_children(procs)
    lines: list[str] = []

    def visit(proc: Any, lead: str, below: str) -> None:
        lines.append(lead + process_label(proc))
        kids = children.get(int(proc.pid), [])
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            visit(kid, below + ("└── " if last else "├── "), below + ("    " if last else "│   "))

    for root in children.get(None, []):
        visit(root, "", "")
    return "\n".join(lines)


# -- other answers as plain tables ---------------------------------------------------------------------

def show_bytes(data: Any, width: int = 40) -> str:
    """Bytes as a short readable Python literal (``b'GET / HTTP/1.1\\r\\n'``); empty when there are none."""
    if not isinstance(data, bytes | bytearray):
        return ""
    text = repr(bytes(data))
    return text if len(text) <= width else text[: width - 3] + "..."


def _cell(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return show_bytes(value)
    if isinstance(value, list):
        return " -> ".join(command_line(v) if isinstance(v, list) else str(v) for v in value)
    return "" if _value(value) is None else str(value)


def format_table(table: pd.DataFrame, *, empty: str) -> str:
    """A question's answer as aligned text; ``empty`` is said instead when there are no rows."""
    if table.empty:
        return empty
    shown = table.copy()
    for column in shown.columns:
        if shown[column].dtype == "float64" and column in ("time", "first_time", "start", "end"):
            shown[column] = [_cell(t) if t != t else f"{t:.6f}" for t in shown[column]]
        elif not pd.api.types.is_float_dtype(shown[column].dtype):
            shown[column] = [_cell(v) for v in shown[column]]
    return shown.to_string(index=False, na_rep="")


def format_path_table(table: pd.DataFrame, *, empty: str, width: int = 100) -> str:
    """A file question's answer (``missing``, ``files``) for a terminal: path first and left-aligned.

    The other columns keep their natural width (a cell of more than 30 characters is cut); the
    path gets the rest of ``width``. A longer path is never cut (it is the answer): it takes a
    line of its own and its other columns go on the next line, under their headings.
    """
    if table.empty:
        return empty
    columns = ["path", *(c for c in table.columns if c != "path")]
    cells: dict[str, list[str]] = {}
    for column in columns:
        values = table[column]
        if values.dtype == "float64":
            texts = ["" if v != v else f"{v:.6f}" for v in values]
        else:
            texts = [_cell(v) for v in values]
        if column != "path":
            texts = [t if len(t) <= 30 else t[:27] + "..." for t in texts]
        cells[column] = texts
    others = {c: max(len(c), *(len(t) for t in cells[c])) for c in columns[1:]}
    room = max(20, width - sum(w + 2 for w in others.values()))
    path_width = min(room, max(len("path"), *(len(p) for p in cells["path"])))

    def line(path: str, rest: list[str]) -> str:
        row = [path.ljust(path_width)] + [r.rjust(others[c]) for c, r in zip(columns[1:], rest, strict=True)]
        return "  ".join(row).rstrip()

    lines = [line("path", columns[1:])]
    for i, path in enumerate(cells["path"]):
        rest = [cells[c][i] for c in columns[1:]]
        if len(path) > path_width:
            lines += [path, line("", rest)]
        else:
            lines.append(line(path, rest))
    return "\n".join(lines)
