"""HTML for a notebook: how a ``Trace`` shows itself, and small styled tables for the questions' answers.

Pure functions of the data: they read a trace or a DataFrame and return strings (or a
mimebundle dict). Every value that comes from the traced program is escaped, since a path or a
payload can contain anything. A trace can hold millions of rows; only a few are ever rendered.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..syscalls.results import format_results
from .text import show_bytes

if TYPE_CHECKING:
    from ..tracedata import Trace

FIRST_ROWS = 8  # rows of the trace shown under its summary
TOP_SYSCALLS = 8

# One look for every table spykit draws: monospace cells, a light rule, failed calls in red.
_TABLE_STYLE = "border-collapse: collapse; font-size: 12px; margin: 4px 0;"
_CELL_STYLE = "padding: 1px 8px; text-align: left; border-bottom: 1px solid #ddd; vertical-align: top;"
_CODE_CELL = _CELL_STYLE + " font-family: monospace; white-space: pre;"
_FAILED = "color: #c62828;"
_MUTED = "color: #666;"


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def cell_text(value: Any, width: int = 60) -> str:
    """One value as short readable text: bytes as a literal, lists joined, missing as empty."""
    if isinstance(value, bytes | bytearray):
        return show_bytes(value, width)
    if isinstance(value, list | tuple):
        value = " ".join(map(str, value))
    if _missing(value):
        return ""
    if isinstance(value, float):
        return f"{value:.6f}"
    text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def table_html(table: pd.DataFrame, *, max_rows: int = 20, caption: str | None = None,
               failed: Iterable[bool] | None = None, code_columns: Iterable[str] = ()) -> str:
    """A small styled HTML table of the first ``max_rows`` rows, saying how many were left out.

    ``failed`` marks rows to show in red (one flag per row of ``table``); ``code_columns`` are
    shown in monospace without wrapping (arguments, paths).
    """
    code = set(code_columns)
    flags = list(failed) if failed is not None else [False] * len(table)
    head = "".join(f'<th style="{_CELL_STYLE}">{html.escape(str(c))}</th>' for c in table.columns)
    rows = []
    for (_, row), bad in zip(table.head(max_rows).iterrows(), flags, strict=False):
        cells = "".join(
            f'<td style="{_CODE_CELL if c in code else _CELL_STYLE}">{html.escape(cell_text(row[c]))}</td>'
            for c in table.columns)
        rows.append(f'<tr style="{_FAILED if bad else ""}">{cells}</tr>')
    if table.empty:
        rows.append(f'<tr><td style="{_CELL_STYLE}{_MUTED}" colspan="{max(1, len(table.columns))}">'
                    "<i>no rows</i></td></tr>")
    cap = f'<caption style="text-align: left; font-weight: bold;">{html.escape(caption)}</caption>' \
        if caption else ""
    more = ""
    if len(table) > max_rows:
        more = f'<div style="{_MUTED}">... and {plural(len(table) - max_rows, "more row")}</div>'
    return (f'<table class="spykit-table" style="{_TABLE_STYLE}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>{more}")


def table_mimebundle(table: pd.DataFrame, *, max_rows: int = 20, caption: str | None = None) -> dict[str, str]:
    """A question's answer for ``IPython.display.display(..., raw=True)``: styled HTML and aligned text."""
    shown = table.head(max_rows)
    text = shown.to_string(index=False) if not table.empty else "(no rows)"
    if len(table) > max_rows:
        text += f"\n... and {plural(len(table) - max_rows, 'more row')}"
    if caption:
        text = f"{caption}\n{text}"
    return {"text/plain": text, "text/html": table_html(table, max_rows=max_rows, caption=caption)}


# -- a Trace ---------------------------------------------------------------------------------------------

def trace_facts(trace: Trace) -> dict[str, Any]:
    """The few numbers a trace's summary shows, computed once (also used by the text fallback)."""
    df = trace.df
    calls = int(sum(trace.meta.counts.values())) if trace.meta.counts else len(df)
    processes = int(df["tgid"].nunique()) if len(df) else 0
    threads = int(df["pid"].nunique()) if len(df) else 0
    return {
        "command": " ".join(trace.command) or (f"strace's output {trace.meta.log['origin']}"
                                                if trace.meta.log else "?"),
        "returncode": trace.returncode,
        "calls": calls,
        "stored": len(df),
        "processes": processes,
        "threads": threads,
        "failed": int(df["error"].notna().sum()) if len(df) else 0,
        "duration": float(trace.meta.elapsed),
        "truncated": bool(trace.truncated),
        "log": getattr(trace.meta, "log", None),
        "attached": bool(trace.meta.attached),
        "cell": list(trace.command) == ["<cell>"],
    }


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 system call``, ``2 system calls``: a count with its noun in the right number."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def _ending(returncode: int | None, attached: bool = False, cell: bool = False) -> str:
    if returncode is None:
        # No exit status because the process did not end while traced: a cell's kernel and an
        # attached program go on running after the tracer lets go of them.
        if cell:
            return "traced while the cell ran"
        if attached:
            return "attached, then detached (it went on running)"
        return "no exit status recorded"
    if returncode < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def _summary_line(facts: dict[str, Any]) -> str:
    line = (f"{plural(facts['calls'], 'system call')}, {facts['failed']:,} failed, in "
            f"{plural(facts['processes'], 'process', 'processes')}")
    if facts["threads"] > facts["processes"]:
        line += f" ({plural(facts['threads'], 'thread')})"
    log = facts.get("log")
    if log is not None:  # read from strace's output: say so, and what could not be read
        line += f"; {facts['duration']:.3f} s" if facts["duration"] else ""
        line += "; " + (_ending(facts["returncode"]) if facts["returncode"] is not None
                        else "its end is not in the log")
        line += f"; read from strace's output ({', '.join(log.get('options') or []) or 'no options seen'})"
        bad = len(log.get("unparsed") or [])
        if bad:
            line += f"; {plural(bad, 'line')} not understood (trace.meta.log['unparsed'])"
        return line
    line += (f"; {facts['duration']:.3f} s; "
             f"{_ending(facts['returncode'], facts.get('attached', False), facts.get('cell', False))}")
    if facts["truncated"]:
        line += f"; only the first {plural(facts['stored'], 'call')} were kept"
    return line


def first_rows(trace: Trace, n: int = FIRST_ROWS) -> pd.DataFrame:
    """The first ``n`` calls as a small table: time, pid, call, arguments, result."""
    df = trace.df.head(n)
    return pd.DataFrame({
        "time": df["time"].astype("float64"),
        "pid": df["pid"],
        "syscall": df["syscall"].astype(str),
        "args": [cell_text(a, 70) for a in df["args"]],
        "result": format_results(df),
    })


def _counts_html(title: str, counts: pd.Series) -> str:
    items = ", ".join(f"{html.escape(str(k))}&nbsp;<b>{int(v):,}</b>" for k, v in counts.items())
    return f"<div><span style=\"{_MUTED}\">{title}:</span> {items or '<i>none</i>'}</div>"


def _where(name: str | None) -> tuple[str, str]:
    """How to reach the whole trace: (the words before ``.df``, the prefix of its methods).

    Through the variable it is in when there is one (``ls.df``); else the trace's own ``.df``.
    """
    return (name, name) if name else ("the trace's ", "")


def trace_html(trace: Trace, rows: int = FIRST_ROWS, name: str | None = None) -> str:
    """The HTML a notebook shows for a Trace: summary line, counts by class and call, first rows.

    ``name`` is the variable the trace is in, so the way to the rest can say ``t.df`` and not
    leave the learner to guess which object ``.df`` belongs to.
    """
    facts = trace_facts(trace)
    df = trace.df
    by_class = df["category"].astype(str).value_counts() if len(df) else pd.Series(dtype="int64")
    top = trace.counts.head(TOP_SYSCALLS)
    shown = first_rows(trace, rows)
    failed = df["error"].head(rows).notna().tolist()
    table = table_html(shown, max_rows=rows, failed=failed, code_columns=("args", "result"))
    more = ""
    if len(df) > rows:
        lead, where = (html.escape(part) for part in _where(name))
        lead = f"<code>{lead}.df</code>" if name else f"{lead}<code>.df</code>"
        more = (f'<div style="{_MUTED}">{plural(len(df) - rows, "more call")}: all of them are in '
                f"{lead}; try <code>{where}.summary()</code>, <code>{where}.files()</code>, "
                f"<code>{where}.filter(...)</code> or <code>{where}.explore()</code></div>")
    return (f'<div class="spykit-trace"><div><b>Trace</b> of <code>{html.escape(facts["command"])}</code></div>'
            f"<div>{html.escape(_summary_line(facts))}</div>"
            f"{_counts_html('by class', by_class)}{_counts_html('most made', top)}"
            f"{table}{more}</div>")


def trace_text(trace: Trace, rows: int = FIRST_ROWS, name: str | None = None) -> str:
    """The plain-text fallback: the same summary and the first lines as strace prints them."""
    df = trace.df
    facts = trace_facts(trace)
    lines = [f"Trace of {facts['command']}", _summary_line(facts)]
    if len(df):
        # Render only the first rows: formatting a whole huge frame would take seconds.
        head = trace._derive(df.head(rows), trace.events.iloc[0:0])
        lines.append(head.to_text(pids=df["pid"].nunique() > 1, events=False))
        if len(df) > rows:
            lines.append(f"... {plural(len(df) - rows, 'more call')}: all of them are in {_where(name)[0]}.df")
    return "\n".join(lines)


_IPYTHON_NAMES = re.compile(r"_+|_\d+|_i+|_i\d+|_ih|_oh|_dh|In|Out")  # IPython's own output history


def variable_name(value: Any, namespace: dict[str, Any] | None) -> str | None:
    """The name a learner gave ``value`` in ``namespace`` (the same object, not an equal one).

    Names IPython makes (``_``, ``_12``, ``Out``) are passed over for the learner's own; among
    several, the first bound is taken. ``None`` when no variable holds it.
    """
    if not namespace:
        return None
    found = [key for key, held in list(namespace.items())
             if held is value and key.isidentifier() and not _IPYTHON_NAMES.fullmatch(key)]
    own = [key for key in found if not key.startswith("_")]
    return (own or found or [None])[0]


def _user_namespace() -> dict[str, Any] | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "user_ns", None)


def trace_mimebundle(trace: Trace, name: str | None = None) -> dict[str, str]:
    """``Trace._repr_mimebundle_``: a short HTML summary with a plain-text fallback.

    Without ``name``, the variable of the running IPython that holds this trace is named, if any.
    """
    if name is None:
        name = variable_name(trace, _user_namespace())
    return {"text/plain": trace_text(trace, name=name), "text/html": trace_html(trace, name=name)}
