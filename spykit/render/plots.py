"""Pictures of a trace and of wait samples, with matplotlib.

- :func:`timeline`: one lane per thread, one mark per call, coloured by class, failures crossed.
- :func:`summary_bar`: the ``strace -c`` table as bars.
- :func:`wchan_plot`: what a program waited for, as shares stacked over time.

Each takes an optional ``ax`` to draw into and returns the Axes, so pictures can be combined and
tested by their artists. matplotlib is imported only when a picture is drawn; nothing here needs a
display (the Agg backend works).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..tracedata import Trace

# strace's classes, each with its own colour (the tab10 palette, so colour-blind friendlier than rainbow).
CLASS_COLOURS: dict[str, str] = {
    "file": "#1f77b4",
    "desc": "#ff7f0e",
    "network": "#2ca02c",
    "process": "#d62728",
    "signal": "#9467bd",
    "memory": "#8c564b",
    "ipc": "#e377c2",
    "creds": "#bcbd22",
    "clock": "#17becf",
}
OTHER_COLOUR = "#7f7f7f"
FAILED_COLOUR = "#000000"
FAILED_MARKER = "x"
MAX_MEANINGS = 6  # wchan_plot: more than this many meanings become "something else"


def class_colour(category: str) -> str:
    """The colour a class of calls is drawn in."""
    return CLASS_COLOURS.get(category, OTHER_COLOUR)


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size)
    return ax


def lanes(df: pd.DataFrame) -> list[int]:
    """The threads of a trace, one lane each: grouped by process, in the order first seen."""
    if df.empty:
        return []
    first = df.groupby("pid", sort=False)["time"].min()
    process_first = df.groupby("tgid", sort=False)["time"].min()
    tgid_of = df.drop_duplicates("pid").set_index("pid")["tgid"]
    order = sorted(first.index, key=lambda pid: (process_first[tgid_of[pid]], tgid_of[pid], first[pid], pid))
    return [int(pid) for pid in order]


def timeline(trace: Trace, ax: Axes | None = None, *, marker_size: float = 12.0) -> Axes:
    """Every call of ``trace`` as a mark: time on the x axis, one lane per thread (top: first seen).

    Marks are coloured by the call's class (see :data:`CLASS_COLOURS`), and failed calls get a
    black cross on top. Returns the Axes; the legend names the classes present.
    """
    df = trace.df
    order = lanes(df)
    ax = _axes(ax, (10, 1.2 + 0.35 * max(1, len(order))))
    lane_of = {pid: i for i, pid in enumerate(order)}
    y = df["pid"].map(lane_of).to_numpy(dtype=float) if len(df) else np.array([])
    x = df["time"].to_numpy(dtype=float)
    categories = df["category"].astype(str).to_numpy() if len(df) else np.array([], dtype=str)
    for category in pd.unique(categories):
        chosen = categories == category
        ax.scatter(x[chosen], y[chosen], s=marker_size, c=class_colour(category), marker="|", label=category,
                   gid=f"class:{category}", linewidths=1.5)
    failed = df["error"].notna().to_numpy(dtype=bool) if len(df) else np.array([], dtype=bool)
    if failed.any():
        ax.scatter(x[failed], y[failed], s=marker_size * 1.5, c=FAILED_COLOUR, marker=FAILED_MARKER,
                   label="failed", gid="failed", linewidths=1.0, zorder=3)
    tgid_of = df.drop_duplicates("pid").set_index("pid")["tgid"] if len(df) else pd.Series(dtype="int64")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([f"{pid}" if tgid_of[pid] == pid else f"{pid} (in {tgid_of[pid]})" for pid in order])
    ax.set_ylim(max(1, len(order)) - 0.5, -0.5)  # first lane at the top, like reading a log
    ax.set_xlabel("seconds since the trace started")
    ax.set_ylabel("thread")
    ax.set_title(f"System calls of {' '.join(trace.command) or '?'}")
    if len(df):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return ax


def summary_bar(trace: Trace, ax: Axes | None = None, *, by: str = "calls", top: int = 15) -> Axes:
    """The ``top`` system calls as horizontal bars, by ``"calls"``, ``"seconds"`` or ``"errors"``.

    Bars are coloured by the call's class; the biggest is at the top.
    """
    if by not in ("calls", "seconds", "errors"):
        raise ValueError(f"by={by!r}: choose 'calls', 'seconds' or 'errors'")
    table = trace.summary().sort_values(by, ascending=False, kind="stable").head(top)
    ax = _axes(ax, (7, 0.6 + 0.3 * max(1, len(table))))
    classes = trace.df.drop_duplicates("syscall").set_index("syscall")["category"].astype(str) \
        if len(trace.df) else pd.Series(dtype=str)
    names = [str(name) for name in table["syscall"]]
    colours = [class_colour(classes.get(name, "")) for name in names]
    ax.barh(range(len(table)), table[by].to_numpy(dtype=float), color=colours)
    ax.set_yticks(range(len(table)))
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xlabel({"calls": "calls", "seconds": "seconds inside the call", "errors": "failed calls"}[by])
    ax.set_title(f"System calls of {' '.join(trace.command) or '?'}, by {by}")
    return ax


def meaning_shares(samples: pd.DataFrame, bins: int = 40, max_meanings: int = MAX_MEANINGS) -> pd.DataFrame:
    """Share of each meaning per time bin: index = bin start (seconds), one column per meaning.

    Each tick counts once (its most telling thread, as :func:`spykit.slow.waits.collapse` picks);
    meanings beyond the ``max_meanings`` most frequent are summed as ``"something else"``.
    """
    from ..slow.waits import collapse

    ticks = collapse(samples, by=("time",))
    if ticks.empty:
        return pd.DataFrame()
    meaning = ticks["meaning"].astype(object).where(ticks["meaning"].notna(), "unknown")
    common = meaning.value_counts().index[:max_meanings]
    meaning = meaning.where(meaning.isin(common), "something else")
    times = ticks["time"].to_numpy(dtype=float)
    n = max(1, min(bins, len(np.unique(times))))
    edges = np.linspace(times.min(), times.max(), n + 1) if times.max() > times.min() else np.array([times.min()] * 2)
    which = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, n - 1)
    counts = pd.crosstab(edges[which], meaning.to_numpy())
    shares = counts.div(counts.sum(axis=1), axis=0)
    order = [m for m in meaning.value_counts().index if m in shares.columns]
    shares = shares[order]
    shares.index.name, shares.columns.name = "time", "meaning"
    return shares


def wchan_plot(samples: pd.DataFrame, ax: Axes | None = None, *, bins: int = 40) -> Axes:
    """What a program waited for over time: the share of each meaning, stacked to 100%.

    ``samples`` is what :func:`spykit.wchan` returns. One stacked layer per meaning, the most
    frequent at the bottom.
    """
    ax = _axes(ax, (10, 3.5))
    shares = meaning_shares(samples, bins=bins)
    if shares.empty:
        ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
        return ax
    x = shares.index.to_numpy(dtype=float)
    if len(x) == 1:  # one bin: draw it as a thin band so it is visible
        x = np.array([x[0], x[0] + max(float(samples.attrs.get("interval", 0.01)), 1e-3)])
        layers = [np.repeat(shares[c].to_numpy(), 2) for c in shares.columns]
    else:
        layers = [shares[c].to_numpy() for c in shares.columns]
    ax.stackplot(x, *layers, labels=[str(c) for c in shares.columns], step="post")
    ax.set_ylim(0, 1)
    ax.set_xlabel("seconds since sampling started")
    ax.set_ylabel("share of samples")
    command = samples.attrs.get("command")
    ax.set_title("What it was doing" + (f": {' '.join(map(str, command))}" if command else ""))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return ax

