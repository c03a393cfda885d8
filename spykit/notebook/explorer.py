"""``explore(trace)``: an ipywidgets explorer for a trace, for when a table is too long to read.

Controls on top (calls with their counts, class, process, what the fd points to, failed only, hide
start-up (on at first: the loader, locale and interpreter start-up lookups every program makes), a
regular expression on the path or the arguments, a duration range), a paged table of the rows that
match, and under it the details of one row with what its call and its error mean. The filtering
itself lives in :mod:`spykit.notebook.explorer_filters`, as pure functions; this module only wires widgets to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from .explorer_filters import (
    PER_PAGE,
    Selection,
    compile_pattern,
    counted_options,
    detail_html,
    duration_bounds,
    fd_kind_options,
    page_count,
    page_html,
    page_of,
    pid_options,
    select_rows,
)

if TYPE_CHECKING:
    from ..tracedata import Trace


class Explorer:
    """The widgets of one explorer and the state behind them; ``.widget`` is what the notebook shows.

    Tests (and curious users) can drive the controls by setting their ``.value`` and read what is
    shown: ``.rows`` (every matching row), ``.page`` (the rows on screen), ``.table.value`` (HTML).
    """

    def __init__(self, trace: Trace, per_page: int = PER_PAGE):
        import ipywidgets as w

        self.trace = trace
        self.df = trace.df
        self.per_page = per_page
        self.page_number = 0
        self.rows = self.df
        self.page = self.df.iloc[0:0]
        low, high = duration_bounds(self.df)
        self._full_range = (low, high)

        self.syscalls = w.SelectMultiple(options=counted_options(self.df["syscall"]), rows=8,
                                         description="calls", layout=w.Layout(width="260px"))
        self.category = w.Dropdown(options=[("any class", ""), *counted_options(self.df["category"])],
                                   description="class")
        self.pid = w.Dropdown(options=[("any process", None), *pid_options(self.df)], description="pid")
        self.fd_kind = w.Dropdown(options=fd_kind_options(self.df), description="fd points to",
                                  style={"description_width": "initial"})
        self.failed_only = w.Checkbox(value=False, description="failed calls only", indent=False)
        self.hide_startup = w.Checkbox(value=True, description="hide start-up", indent=False,
                                       tooltip="the loader, locale, PATH search, the interpreter's own start-up")
        self.pattern = w.Text(value="", description="regex", placeholder="in path or arguments, e.g. \\.conf$",
                              continuous_update=False)
        self.duration = w.FloatRangeSlider(value=(low, high), min=low, max=high, step=(high - low) / 200,
                                           description="duration", readout_format=".6f",
                                           continuous_update=False, layout=w.Layout(width="420px"))
        self.clear = w.Button(description="show everything", icon="undo")
        self.status = w.HTML()
        self.table = w.HTML()
        self.previous = w.Button(description="previous", icon="arrow-left", layout=w.Layout(width="110px"))
        self.next = w.Button(description="next", icon="arrow-right", layout=w.Layout(width="110px"))
        self.page_label = w.Label()
        self.chosen = w.Dropdown(options=[], description="details of")
        self.detail = w.HTML()

        for control in (self.syscalls, self.category, self.pid, self.fd_kind, self.failed_only, self.hide_startup,
                        self.pattern, self.duration):
            control.observe(self._filters_changed, names="value")
        self.previous.on_click(lambda _: self.go_to(self.page_number - 1))
        self.next.on_click(lambda _: self.go_to(self.page_number + 1))
        self.clear.on_click(lambda _: self.reset())
        self.chosen.observe(lambda _: self._show_detail(), names="value")

        controls = w.HBox([self.syscalls, w.VBox([self.category, self.pid, self.fd_kind, self.pattern,
                                                  self.duration,
                                                  w.HBox([self.failed_only, self.hide_startup, self.clear])])])
        pager = w.HBox([self.previous, self.page_label, self.next])
        self.widget = w.VBox([controls, self.status, self.table, pager, self.chosen, self.detail])
        self.widget.add_class("spykit-explorer")  # a stable handle for styling and browser tests
        self._filters_changed()

    # -- state -------------------------------------------------------------------------------------------
    def selection(self) -> Selection:
        """The controls' values as a :class:`Selection`."""
        low, high = self.duration.value
        full = self._full_range
        narrowed = low > full[0] + 1e-12 or high < full[1] - 1e-12
        return Selection(syscalls=tuple(self.syscalls.value), category=self.category.value or "",
                         pid=self.pid.value, failed_only=bool(self.failed_only.value),
                         hide_startup=bool(self.hide_startup.value),
                         pattern=self.pattern.value, duration=(low, high) if narrowed else None,
                         fd_kind=self.fd_kind.value or "")

    def reset(self) -> None:
        """Every control back to "everything"."""
        self.syscalls.value = ()
        self.category.value = ""
        self.pid.value = None
        self.fd_kind.value = ""
        self.failed_only.value = False
        self.hide_startup.value = False
        self.pattern.value = ""
        self.duration.value = self._full_range

    def go_to(self, page: int) -> None:
        """Show page ``page`` (from 0), kept within the pages there are."""
        self.page_number = min(max(0, page), page_count(len(self.rows), self.per_page) - 1)
        self._render_page()

    # -- drawing --------------------------------------------------------------------------------------------
    def _filters_changed(self, _change: Any = None) -> None:
        selection = self.selection()
        self.rows = select_rows(self.df, selection)
        _, problem = compile_pattern(selection.pattern)
        said = f"<b>{len(self.rows):,}</b> of {len(self.df):,} calls"
        if selection.hide_startup and "startup" in self.df.columns:
            hidden = int(self.df["startup"].sum())
            if hidden:
                said += f" ({hidden:,} start-up calls hidden: untick <i>hide start-up</i> to see them)"
        if problem:
            said += f' <span style="color: #c62828;">(regex {problem})</span>'
        self.status.value = said
        self.page_number = 0
        self._render_page()

    def _render_page(self) -> None:
        first = self.page_number * self.per_page
        self.page = page_of(self.rows, self.page_number, self.per_page)
        self.table.value = page_html(self.page, first) if len(self.page) else "<i>no call matches</i>"
        pages = page_count(len(self.rows), self.per_page)
        self.page_label.value = f"page {self.page_number + 1} of {pages}"
        self.previous.disabled = self.page_number == 0
        self.next.disabled = self.page_number >= pages - 1
        options = [(f"#{first + i} {name}", first + i) for i, name in enumerate(self.page["syscall"].astype(str))]
        self.chosen.options = options
        self.chosen.value = options[0][1] if options else None
        self._show_detail()

    def _show_detail(self) -> None:
        number = self.chosen.value
        if number is None or not len(self.rows):
            self.detail.value = ""
            return
        row: pd.Series = self.rows.iloc[number]
        self.detail.value = detail_html(row)


def explore(trace: Trace, per_page: int = PER_PAGE) -> Any:
    """An interactive explorer of ``trace``'s calls (an ipywidgets ``VBox``; its ``.explorer`` drives it)."""
    explorer = Explorer(trace, per_page=per_page)
    explorer.widget.explorer = explorer  # reach the state from the widget the notebook displays
    return explorer.widget
