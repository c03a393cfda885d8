"""Text (terminal) and HTML (notebook) renderings of Timing, wait samples and Diagnosis.

Pure functions of the data objects; nothing here measures anything.
"""

from __future__ import annotations

import html
import signal
import textwrap
from typing import TYPE_CHECKING

import pandas as pd

from .kinds import KIND_HINTS, KIND_TITLES  # noqa: F401 - the names render has always offered
from .kinds import kind as kind_row
from .results import as_frame
from .waits import summarize

if TYPE_CHECKING:
    from .diagnose import Diagnosis
    from .timing import Timing

WIDTH = 100



def clock(seconds: float) -> str:
    """``[h:]m:ss.cc`` like GNU time's %E."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{int(hours)}:{int(minutes):02d}:{secs:05.2f}"
    return f"{int(minutes)}:{secs:05.2f}"


def timing_line(t: Timing) -> str:
    """The talk's line: ``0.09user 0.01system 0:02.11elapsed 5%CPU``, plus the peak memory."""
    line = f"{t.user:.2f}user {t.system:.2f}system {clock(t.elapsed)}elapsed {t.cpu_percent:.0f}%CPU"
    return line if t.max_rss_kb is None else f"{line} ({t.max_rss_kb}maxresident)k"


def _ending(t: Timing) -> str | None:
    if t.timed_out:
        return "stopped: killed when the timeout passed"
    if t.returncode is None or t.returncode == 0:
        return None
    if t.returncode < 0:
        try:
            name = signal.Signals(-t.returncode).name
        except ValueError:
            name = f"signal {-t.returncode}"
        return f"killed by {name}"
    return f"exit status {t.returncode}"


def ended_sentence(count: int, timed_out: bool) -> str | None:
    """What spykit did to the processes a measured run left behind (None when it left none)."""
    if not count:
        return None
    some = "1 process" if count == 1 else f"{count} processes"
    if timed_out:
        return f"{some} it had started {'was' if count == 1 else 'were'} killed with it"
    return f"when it exited it left {some} running, which spykit killed"


def hint_sentence(t: Timing) -> str:
    if t.hint == "waiting":
        return (f"waiting: {t.waiting:.2f} s of {t.elapsed:.2f} s it was not on a CPU "
                f"({100 - min(t.cpu_percent, 100):.0f}% of the time)")
    if t.hint == "in the kernel":
        return f"in the kernel: {t.system:.2f} s of its {t.cpu:.2f} s on a CPU was system time"
    return f"on the CPU: {t.user:.2f} s of its {t.cpu:.2f} s on a CPU was its own code"


def timing_text(t: Timing) -> str:
    lines = [
        timing_line(t),
        f"{t.blocks_in}inputs+{t.blocks_out}outputs (512-byte blocks) "
        f"{t.voluntary_switches}voluntary+{t.involuntary_switches}involuntary context switches",
        f"-> {hint_sentence(t)}",
    ]
    for note in (_ending(t), ended_sentence(t.ended, t.timed_out)):
        if note:
            lines.append(f"   ({note})")
    return "\n".join(lines)


_STYLE = ("<style>.spykit-slow td,.spykit-slow th{text-align:left;padding:2px 8px;vertical-align:top}"
          ".spykit-slow .bar{display:inline-block;height:0.8em;background:#4a7fb5}</style>")


def _table(rows: list[list[str]], header: list[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _bar(share: float) -> str:
    width = max(1, round(100 * share))
    return f'<span class="bar" style="width:{width}px"></span> {100 * share:.0f}%'


def timing_html(t: Timing) -> str:
    rows = [
        ["user (its own code)", f"{t.user:.2f} s"],
        ["system (in the kernel)", f"{t.system:.2f} s"],
        ["elapsed", f"{t.elapsed:.2f} s"],
        ["CPU", f"{t.cpu_percent:.0f}%"],
        ["peak memory", "unknown (too quick)" if t.max_rss_kb is None else f"{t.max_rss_kb:,} KiB"],
        ["context switches", f"{t.voluntary_switches:,} voluntary, {t.involuntary_switches:,} involuntary"],
        ["disk blocks", f"{t.blocks_in:,} read, {t.blocks_out:,} written"],
    ]
    ending = _ending(t)
    if ending:
        rows.append(["ending", html.escape(ending)])
    left = ended_sentence(t.ended, t.timed_out)
    if left:
        rows.append(["left behind", html.escape(left)])
    return (f'{_STYLE}<div class="spykit-slow"><code>{html.escape(timing_line(t))}</code>'
            f"<p><b>{html.escape(t.hint)}</b>: {html.escape(hint_sentence(t))}</p>"
            f"{_table(rows, ['', ''])}</div>")


def _wchan_headline(df: pd.DataFrame) -> str:
    attrs = df.attrs
    command = " ".join(attrs.get("command", [])) or "?"
    ticks = df["time"].nunique() if len(df) else 0
    interval = attrs.get("interval")
    every = f" every {1000 * interval:g} ms" if interval else ""
    over = f" over {attrs['elapsed']:.2f} s" if "elapsed" in attrs else ""
    return f"wchan: {command}: {ticks} samples{every}{over}"


_NO_SAMPLES = "(no samples: the program ended before the first look)"


def format_wchan(df: pd.DataFrame) -> str:
    """What each process of a :func:`spykit.wchan` result was doing, as terminal text."""
    df = as_frame(df)
    lines = [_wchan_headline(df)]
    summary = summarize(df)
    for pid, rows in summary.groupby("pid", sort=False):
        command_line = str(rows["command"].iloc[0])
        shown = command_line if len(command_line) <= 80 else command_line[:77] + "..."
        lines.append(f"  pid {pid}  {shown}")
        lines += _wait_lines(rows, limit=None)
    if not len(summary):
        lines.append(f"  {_NO_SAMPLES}")
    return "\n".join(lines)


def wchan_html(df: pd.DataFrame) -> str:
    """:func:`format_wchan` for a notebook: the same headline and rows, a table per process."""
    df = as_frame(df)
    esc = html.escape
    parts = [_STYLE, '<div class="spykit-slow">', f"<code>{esc(_wchan_headline(df))}</code>"]
    summary = summarize(df)
    for pid, rows in summary.groupby("pid", sort=False):
        parts.append(f"<p>pid {pid} <code>{esc(str(rows['command'].iloc[0]))}</code></p>")
        table = [[_bar(r.share), esc(r.reason), esc(r.meaning),
                  esc(r.target) if isinstance(r.target, str) and r.target not in r.meaning else ""]
                 for r in rows.itertuples()]
        parts.append(_table(table, ["share", "reason", "meaning", "target"]))
    if not len(summary):
        parts.append(f"<p>{esc(_NO_SAMPLES)}</p>")
    parts.append('<p style="color:#666">Every sample, one row per thread per tick: <code>.df</code></p></div>')
    return "".join(parts)


PROFILE_TOP = 10


def _profile_headline(df: pd.DataFrame) -> str:
    command = " ".join(df.attrs.get("command", [])) or "?"
    own = float(df["own"].sum()) if len(df) else 0.0
    n = len(df)
    return f"profile: {command}: {n:,} function{'' if n == 1 else 's'}, {own:.3f} s of own time in all"


def _profile_notes(df: pd.DataFrame) -> list[str]:
    notes = []
    if df.attrs.get("truncated"):
        notes.append("stopped at the timeout: the rows cover the part that ran")
    left = ended_sentence(int(df.attrs.get("ended", 0) or 0), bool(df.attrs.get("truncated")))
    if left:
        notes.append(left)
    return notes


def _more_functions(df: pd.DataFrame) -> str | None:
    hidden = len(df) - PROFILE_TOP
    return f"{hidden:,} more function{'s' if hidden != 1 else ''}: .df has every one" if hidden > 0 else None


def profile_text(df: pd.DataFrame) -> str:
    """A :func:`spykit.profile` result as text: the functions with the most own time first."""
    df = as_frame(df)
    lines = [_profile_headline(df)]
    lines += [f"   ({note})" for note in _profile_notes(df)]
    if len(df):
        lines.append("    share   own time  function  (where)")
        lines += _function_lines(df, PROFILE_TOP)
    more = _more_functions(df)
    if more:
        lines.append(f"  ... {more}")
    return "\n".join(lines)


def profile_html(df: pd.DataFrame) -> str:
    """:func:`profile_text` for a notebook: the same headline, notes and rows."""
    df = as_frame(df)
    esc = html.escape
    parts = [_STYLE, '<div class="spykit-slow">', f"<code>{esc(_profile_headline(df))}</code>"]
    parts += [f"<p>({esc(note)})</p>" for note in _profile_notes(df)]
    if len(df):
        rows = [[_bar(r.own_share), f"{r.own:.3f} s", esc(str(r.function)),
                 esc(f"{r.file}:{r.line}" if isinstance(r.file, str) else "built-in")]
                for r in df.head(PROFILE_TOP).itertuples()]
        parts.append(_table(rows, ["own share", "own time", "function", "where"]))
    more = _more_functions(df)
    if more:
        parts.append(f'<p style="color:#666">... {esc(more)}</p>')
    parts.append("</div>")
    return "".join(parts)


def _wait_lines(table: pd.DataFrame, limit: int | None = 5) -> list[str]:
    out = []
    for row in (table if limit is None else table.head(limit)).itertuples():
        target = f"  [{row.target}]" if isinstance(row.target, str) and row.target not in row.meaning else ""
        out.append(f"    {100 * row.share:4.0f}%  {row.reason:<8} {row.meaning}{target}")
    return out


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def time_words(t: Timing) -> str:
    """The three times in words, without the memory and counters ``time`` adds."""
    return (f"{t.elapsed:.2f} s elapsed; on a CPU {t.cpu:.2f} s ({t.user:.2f} s its own code, "
            f"{t.system:.2f} s in the kernel)")


def _relevant_calls(d: Diagnosis) -> pd.Series | None:
    """The system call counts that bear on this verdict, or None when none do.

    A Python program's start-up alone makes about a thousand calls (the interpreter looking
    for its modules); they say nothing about why it is slow, so only the verdict's calls show.
    """
    counts = d.evidence.syscalls
    if counts is None or not len(counts):
        return None
    return kind_row(d.kind).calls(counts)


def _headline(d: Diagnosis) -> str:
    return f"Diagnosis of {' '.join(d.command)}: {d.kind} ({kind_row(d.kind).title})"


def _verdict_notes(d: Diagnosis) -> list[str]:
    """Notes that change how the verdict reads (it was cut short) or that say spykit ended processes
    the program left running (a learner must not think they are still there); the rest are details."""
    return [n for n in d.evidence.notes if n.startswith("It was stopped") or "which spykit killed" in n]


def diagnosis_text(d: Diagnosis, more: str | None = ".details()") -> str:
    """The verdict, then the evidence for it; every other number is in :func:`diagnosis_details`.

    ``more`` is how the reader asks for those numbers where the text is shown (``.details()`` in
    Python, ``--details`` on the command line); None leaves the pointer out.
    """
    e = d.evidence
    lines = [_headline(d), "", _wrap(d.explanation), "", _wrap(f"Next step: {d.next_step}"), "",
             f"Evidence for {d.kind!r}:", f"  time    {time_words(e.timing)}"]
    if "children" in kind_row(d.kind).shows and len(e.children):
        lines.append("  what its child processes were doing:")
        lines += _wait_lines(e.children, 3)
    if "waits" in kind_row(d.kind).shows and len(e.waits):
        lines.append(f"  what the program itself was doing ({e.ticks} samples):")
        lines += _wait_lines(e.waits, 3)
    calls = _relevant_calls(d)
    if calls is not None:
        lines.append("  system calls (separate traced run)  "
                     + ", ".join(f"{name} {int(n):,}" for name, n in calls.items()))
    if "functions" in kind_row(d.kind).shows and e.functions is not None and len(e.functions):
        lines.append("  Python functions (own time, separate profiled run):")
        lines += _function_lines(e.functions, 3)
    for note in _verdict_notes(d):
        lines.append(_wrap(note, "  note: ").replace("\n  note: ", "\n        "))
    if more:
        lines += ["", f"Every other number spykit gathered (peak memory, counters, every system call): {more}"]
    return "\n".join(lines)


def _function_lines(functions: pd.DataFrame, limit: int) -> list[str]:
    out = []
    for row in functions.head(limit).itertuples():
        where = f"{row.file}:{row.line}" if isinstance(row.file, str) else "built-in"
        out.append(f"    {100 * row.own_share:4.0f}%  {row.own:7.3f} s  {row.function}  ({where})")
    return out


def diagnosis_details(d: Diagnosis) -> str:
    """Everything the diagnosis gathered, for a closer look: ``Diagnosis.details()``."""
    e = d.evidence
    lines = [_headline(d), "", "Evidence, all of it:", f"  time    {timing_line(e.timing)}",
             f"          {e.timing.blocks_in}inputs+{e.timing.blocks_out}outputs (512-byte blocks) "
             f"{e.timing.voluntary_switches}voluntary+{e.timing.involuntary_switches}involuntary context switches"]
    lines.append(f"  waits of the program itself ({e.ticks} samples):")
    lines += _wait_lines(e.waits, None)
    if len(e.children):
        lines.append("  waits of its child processes:")
        lines += _wait_lines(e.children, None)
    if e.syscalls is not None and len(e.syscalls):
        lines.append(f"  system calls, {int(e.syscalls.sum()):,} in all (separate traced run, start-up included)  "
                     + ", ".join(f"{name} {int(n):,}" for name, n in e.syscalls.head(10).items()))
    if e.functions is not None and len(e.functions):
        lines.append("  Python functions (own time):")
        lines += _function_lines(e.functions, len(e.functions))
    for note in e.notes:
        lines.append(_wrap(note, "  note: ").replace("\n  note: ", "\n        "))
    return "\n".join(lines)


def diagnosis_html(d: Diagnosis) -> str:
    e = d.evidence
    esc = html.escape
    parts = [_STYLE, '<div class="spykit-slow">',
             f"<h4>{esc(' '.join(d.command))}: <b>{esc(d.kind)}</b> "
             f"({esc(kind_row(d.kind).title)})</h4>",
             f"<p>{esc(d.explanation)}</p>", f"<p><b>Next step:</b> {esc(d.next_step)}</p>",
             f"<p><b>Evidence for {esc(repr(d.kind))}</b>: {esc(time_words(e.timing))}</p>"]
    if "children" in kind_row(d.kind).shows and len(e.children):
        rows = [[_bar(r.share), esc(r.reason), esc(r.meaning)] for r in e.children.head(3).itertuples()]
        parts.append("<p>What its child processes were doing</p>" + _table(rows, ["share", "reason", "meaning"]))
    if "waits" in kind_row(d.kind).shows and len(e.waits):
        rows = [[_bar(r.share), esc(r.reason), esc(r.meaning),
                 esc(r.target) if isinstance(r.target, str) else ""] for r in e.waits.head(3).itertuples()]
        parts.append(f"<p>What the program itself was doing ({e.ticks} samples)</p>"
                     + _table(rows, ["share", "reason", "meaning", "target"]))
    calls = _relevant_calls(d)
    if calls is not None:
        rows = [[esc(str(name)), f"{int(n):,}"] for name, n in calls.items()]
        parts.append("<p>System calls (separate traced run)</p>" + _table(rows, ["call", "count"]))
    if "functions" in kind_row(d.kind).shows and e.functions is not None and len(e.functions):
        rows = [[esc(str(r.function)), esc(f"{r.file}:{r.line}" if isinstance(r.file, str) else "built-in"),
                 f"{r.own:.3f} s", _bar(r.own_share)] for r in e.functions.head(3).itertuples()]
        parts.append("<p>Python functions (separate profiled run)</p>"
                     + _table(rows, ["function", "where", "own time", "share"]))
    notes = _verdict_notes(d)
    if notes:
        parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    parts.append('<p style="color:#666">Every other number spykit gathered (peak memory, counters, every '
                 "system call): <code>.details()</code></p></div>")
    return "".join(parts)
