"""Text (terminal) and HTML (notebook) renderings of Timing, wait samples and Diagnosis.

Pure functions of the data objects; nothing here measures anything.
"""

from __future__ import annotations

import html
import signal
import textwrap
from typing import TYPE_CHECKING

import pandas as pd

from .waits import summarize

if TYPE_CHECKING:
    from .diagnose import Diagnosis
    from .timing import Timing

WIDTH = 100

KIND_TITLES = {
    "cpu": "busy on the CPU, in its own code",
    "syscalls": "busy in the kernel, on many small system calls",
    "disk": "waiting for the disk",
    "network": "waiting on the network",
    "sleep": "sleeping on a timer",
    "child": "waiting for a child process",
    "lock": "waiting on a lock",
    "input": "waiting for input",
    "unknown": "no clear answer",
}


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


def format_wchan(df: pd.DataFrame) -> str:
    """What each process of a :func:`spykit.wchan` frame was doing, as terminal text."""
    attrs = df.attrs
    command = " ".join(attrs.get("command", [])) or "?"
    ticks = df["time"].nunique() if len(df) else 0
    interval = attrs.get("interval")
    every = f" every {1000 * interval:g} ms" if interval else ""
    over = f" over {attrs['elapsed']:.2f} s" if "elapsed" in attrs else ""
    lines = [f"wchan: {command}: {ticks} samples{every}{over}"]
    summary = summarize(df)
    for pid, rows in summary.groupby("pid", sort=False):
        command_line = str(rows["command"].iloc[0])
        shown = command_line if len(command_line) <= 80 else command_line[:77] + "..."
        lines.append(f"  pid {pid}  {shown}")
        lines += _wait_lines(rows, limit=None)
    if not len(summary):
        lines.append("  (no samples: the program ended before the first look)")
    return "\n".join(lines)


def _wait_lines(table: pd.DataFrame, limit: int | None = 5) -> list[str]:
    out = []
    for row in (table if limit is None else table.head(limit)).itertuples():
        target = f"  [{row.target}]" if isinstance(row.target, str) and row.target not in row.meaning else ""
        out.append(f"    {100 * row.share:4.0f}%  {row.reason:<8} {row.meaning}{target}")
    return out


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def diagnosis_text(d: Diagnosis) -> str:
    e = d.evidence
    lines = [f"Diagnosis of {' '.join(d.command)}: {d.kind} ({KIND_TITLES.get(d.kind, d.kind)})", "",
             _wrap(d.explanation), "", "Evidence:", f"  time    {timing_line(e.timing)}"]
    lines.append(f"  waits of the program itself ({e.ticks} samples):")
    lines += _wait_lines(e.waits)
    if len(e.children):
        lines.append("  waits of its child processes:")
        lines += _wait_lines(e.children, 3)
    if e.syscalls is not None and len(e.syscalls):
        calls = ", ".join(f"{name} {int(n):,}" for name, n in e.syscalls.head(5).items())
        lines.append(f"  system calls  {calls}")
    if e.functions is not None and len(e.functions):
        lines.append("  Python functions (own time):")
        for row in e.functions.head(5).itertuples():
            where = f"{row.file}:{row.line}" if isinstance(row.file, str) else "built-in"
            lines.append(f"    {100 * row.own_share:4.0f}%  {row.own:7.3f} s  {row.function}  ({where})")
    for note in e.notes:
        lines.append(_wrap(note, "  note: ").replace("\n  note: ", "\n        "))
    lines += ["", _wrap(f"Next step: {d.next_step}")]
    return "\n".join(lines)


def diagnosis_html(d: Diagnosis) -> str:
    e = d.evidence
    esc = html.escape
    parts = [_STYLE, '<div class="spykit-slow">',
             f"<h4>{esc(' '.join(d.command))}: <b>{esc(d.kind)}</b> "
             f"({esc(KIND_TITLES.get(d.kind, d.kind))})</h4>",
             f"<p>{esc(d.explanation)}</p>", f"<p><b>Next step:</b> {esc(d.next_step)}</p>",
             f"<p><code>{esc(timing_line(e.timing))}</code></p>"]
    if len(e.waits):
        rows = [[_bar(r.share), esc(r.reason), esc(r.meaning),
                 esc(r.target) if isinstance(r.target, str) else ""] for r in e.waits.head(5).itertuples()]
        parts.append(f"<p>Waits of the program itself ({e.ticks} samples)</p>"
                     + _table(rows, ["share", "reason", "meaning", "target"]))
    if len(e.children):
        rows = [[_bar(r.share), esc(r.reason), esc(r.meaning)] for r in e.children.head(3).itertuples()]
        parts.append("<p>Waits of its child processes</p>" + _table(rows, ["share", "reason", "meaning"]))
    if e.syscalls is not None and len(e.syscalls):
        rows = [[esc(str(name)), f"{int(n):,}"] for name, n in e.syscalls.head(5).items()]
        parts.append("<p>System calls (separate traced run)</p>" + _table(rows, ["call", "count"]))
    if e.functions is not None and len(e.functions):
        rows = [[esc(str(r.function)), esc(f"{r.file}:{r.line}" if isinstance(r.file, str) else "built-in"),
                 f"{r.own:.3f} s", _bar(r.own_share)] for r in e.functions.head(5).itertuples()]
        parts.append("<p>Python functions (separate profiled run)</p>"
                     + _table(rows, ["function", "where", "own time", "share"]))
    if e.notes:
        parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in e.notes) + "</ul>")
    parts.append("</div>")
    return "".join(parts)
