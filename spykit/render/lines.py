"""strace's lines from plain values: one call, one event, a whole trace.

Pure functions of numbers and strings, without pandas: the DataFrame's text
(:func:`spykit.render.text.trace_to_text`), the command line's text made straight from the
recorder (:mod:`spykit.tracer.rows`) and a streaming writer that prints each row as it finishes
all go through :func:`call_line`, so they print the same characters for the same call.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from ..syscalls.results import format_result

# The events strace prints a line for; a new process or an exec shows only through its calls.
PRINTED_EVENTS = frozenset({"signal", "exit", "killed", "stop"})

# strace pads a call so that its " = result" starts at column 40, when the call is short enough.
RESULT_COLUMN = 40

# strace's names for the three tables' modes
PERSONALITY = {"x86_64": "64 bit", "i386": "32 bit", "x32": "x32"}


class CallRow(NamedTuple):
    """One recorded call as plain values (the columns of ``Trace.df`` that its line shows).

    ``ret`` and ``error`` are None for a call that never returned (``unfinished``); ``abi`` is
    the call's table name (``"x86_64"``, ``"i386"``, ``"x32"``) or None when unknown.
    """

    time: float
    pid: int
    syscall: str
    args: str | None
    ret: int | None
    error: str | None
    duration: float | None
    unfinished: bool
    note: str | None = None
    abi: str | None = None


class EventRow(NamedTuple):
    """One process event as plain values (the ``time``, ``pid``, ``kind``, ``text`` of ``Trace.events``)."""

    time: float
    pid: int
    kind: str
    text: str | None


def pid_prefix(pid: int) -> str:
    """``[pid  4242] ``, as ``strace -f`` starts each line when it follows several processes."""
    return f"[pid {pid:5d}] "


def wall_clock(start_time: float, seconds: float) -> str:
    """``HH:MM:SS.ffffff`` local time, as ``strace -tt`` prints it."""
    return _dt.datetime.fromtimestamp(start_time + seconds).strftime("%H:%M:%S.%f")


def syscall_line(syscall: str, args: str, result: str, *, prefix: str = "",
                 duration: float | None = None) -> str:
    """One call the way strace prints it: ``openat(AT_FDCWD, "/x", O_RDONLY) = -1 ENOENT (...)``."""
    head = f"{prefix}{syscall}({args})"
    head = head.ljust(RESULT_COLUMN) if len(head) < RESULT_COLUMN else head + " "
    line = f"{head}= {result}"
    if duration is not None:
        line += f" <{duration:.6f}>"
    return line


# How a moment is shown, given its seconds since the trace started (default: the -tt wall clock)
Clock = Callable[[float], str]


def line_head(pid: int, time: float, *, start_time: float = 0.0, pids: bool = False,
              timestamps: bool = False, clock: Clock | None = None) -> str:
    """What comes before a line's call or event: ``[pid N] `` and the ``-tt`` clock, as asked.

    A time that is not known (NaN: a log strace wrote without timestamps) shows no clock.
    """
    shown = ""
    if timestamps and time == time:
        shown = (clock(time) if clock is not None else wall_clock(start_time, time)) + " "
    return (pid_prefix(pid) if pids else "") + shown


def call_line(row: CallRow, *, start_time: float = 0.0, pids: bool = False, timestamps: bool = False,
              durations: bool = False, clock: Clock | None = None) -> str:
    """One recorded call as strace prints it (``-f`` prefix, ``-tt`` clock and ``-T`` time as asked)."""
    ret, error = (None, None) if row.unfinished else (row.ret, row.error)
    # (the arguments tell fcntl's flag results apart; the note is what strace adds after them)
    result = format_result(row.syscall, ret, error, row.args, row.note)
    shown = row.duration if durations and not row.unfinished else None
    return syscall_line(row.syscall, row.args or "", result, duration=shown,
                        prefix=line_head(row.pid, row.time, start_time=start_time, pids=pids, timestamps=timestamps,
                                         clock=clock))


def several_pids(calls: Iterable[Any], events: Iterable[Any]) -> bool:
    """Whether more than one process or thread appears (``strace -f`` then prefixes each line)."""
    seen = {row.pid for row in calls} | {event.pid for event in events}
    return len(seen) > 1


def trace_lines(calls: Iterable[CallRow], events: Iterable[EventRow] = (), *, start_time: float = 0.0,
                timestamps: bool = False, durations: bool = False, pids: bool = False,
                limit: int | None = None, truncated: bool = False, clock: Clock | None = None) -> str:
    """A trace as strace prints it: calls and printed events interleaved by time, a call before an
    event of the same moment, each in its recorded order; a line where a process changes table
    (``[ Process PID=N runs in 32 bit mode. ]``). ``limit`` keeps that many lines and says how
    many were left out; ``truncated`` adds that rows stopped being stored at ``max_events``.
    ``clock`` shows a moment another way than the wall clock (a log's own time of day).
    """
    options = {"start_time": start_time, "pids": pids, "timestamps": timestamps, "clock": clock}
    entries: list[tuple[float, int, int, str]] = []  # (time, calls before events, order, line)
    mode: dict[int, str] = {}  # each process's table so far: strace says when a call changes it
    for order, row in enumerate(calls):
        if row.abi is not None and mode.get(row.pid, "x86_64") != row.abi:
            mode[row.pid] = row.abi
            entries.append((row.time, 0, order, line_head(row.pid, row.time, **options)
                            + f"[ Process PID={row.pid} runs in {PERSONALITY[row.abi]} mode. ]"))
        entries.append((row.time, 0, order, call_line(row, durations=durations, **options)))
    for order, event in enumerate(events):
        if event.kind in PRINTED_EVENTS and event.text:
            entries.append((event.time, 1, order, line_head(event.pid, event.time, **options) + event.text))
    if any(e[0] == e[0] for e in entries):
        entries.sort(key=lambda e: e[:3])  # (a log without times keeps its calls' order, events after)
    lines = [e[3] for e in entries]
    if limit is not None and len(lines) > limit:
        left_out = len(lines) - limit
        lines = lines[:limit] + [f"... {left_out} more line{'s' if left_out != 1 else ''} (limit={limit})"]
    if truncated:
        lines.append("... rows stopped being stored at max_events; trace.counts still has every call")
    return "\n".join(lines)
