"""The process tree as HTML: nested lists a notebook shows without any JavaScript."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from .text import describe_ending, describe_process, process_children

_LIST_STYLE = "list-style: none; margin: 0; padding-left: 1.5em; font-family: monospace;"
_ENDING_COLOURS = {"exited 0": "#2e7d32", "still running": "#555"}  # anything else (failure, signal): red


def _item(proc: Any, children: dict[int | None, list[Any]]) -> str:
    ending = describe_ending(proc)
    colour = _ENDING_COLOURS.get(ending, "#c62828")
    ended = "" if proc.end != proc.end else f", ended at {proc.end:.6f} s"  # NaN: still running
    timing = f"started at {proc.start:.6f} s{ended}"
    threads = f", {proc.threads} threads" if proc.threads > 1 else ""
    kids = children.get(int(proc.pid), [])
    nested = _list(kids, children) if kids else ""
    return (f'<li title="{html.escape(timing + threads)}"><b>{proc.pid}</b> '
            f"<code>{html.escape(describe_process(proc))}</code> "
            f'<span style="color: {colour}">[{html.escape(ending)}]</span>{nested}</li>')


def _list(procs: list[Any], children: dict[int | None, list[Any]]) -> str:
    items = "".join(_item(proc, children) for proc in procs)
    return f'<ul style="{_LIST_STYLE}">{items}</ul>'


def process_tree_html(procs: pd.DataFrame) -> str:
    """The answer of :func:`spykit.questions.processes` as nested HTML lists, parents above children.

    Each process shows its pid, what it ran and how it ended (green for exit 0, red for a
    failure or a signal); hovering shows when it started and ended.
    """
    children = process_children(procs)
    roots = children.get(None, [])
    if not roots:
        return '<div class="spykit-tree"><i>no processes were traced</i></div>'
    return f'<div class="spykit-tree">{_list(roots, children)}</div>'
