"""A live wait-channel monitor: run a command, watch what it waits for while it runs.

``monitor(cmd)`` returns a widget at once and samples the program in a background thread, the
way :func:`spykit.wchan` does. While the program runs, a status line (time so far, samples) and
the picture of what it has been doing are redrawn every ``redraw`` seconds; when it ends, the
final picture and the per-process summary stay behind. The samples are in ``.samples``.
"""

from __future__ import annotations

import html
import io
import threading
import time
from typing import Any

import pandas as pd

from ..render.html import table_html

REDRAW = 0.5  # seconds between two redraws: fast enough to feel live, slow enough to stay cheap


def _png(samples: pd.DataFrame) -> bytes:
    """The wait picture as PNG bytes, drawn without pyplot (safe from a background thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..render.plots import wchan_plot

    figure = Figure(figsize=(9, 3.2))
    FigureCanvasAgg(figure)
    wchan_plot(samples, ax=figure.add_subplot(1, 1, 1))
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=80)
    return out.getvalue()


class WaitMonitor:
    """The widget and the sampling thread behind it. ``.widget`` is what the notebook shows."""

    def __init__(self, cmd: Any, *, interval: float = 0.01, duration: float | None = None,
                 redraw: float = REDRAW, env: dict[str, str] | None = None, cwd: str | None = None):
        import ipywidgets as w

        from ..launch import split_command
        from ..slow.wchan import WaitSampler

        self.argv = split_command(cmd)
        self.interval, self.duration, self.redraw = interval, duration, redraw
        self.env, self.cwd = env, cwd
        self.sampler = WaitSampler()
        self.samples: pd.DataFrame | None = None
        self.error: BaseException | None = None
        self.returncode: int | None = None
        self.redraws = 0
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self._ended = threading.Event()  # the program has ended (set before the final picture)
        self._done = threading.Event()
        self._drawing = threading.Lock()  # a live picture never lands on top of the final one
        self.status = w.HTML(f"<b>{html.escape(' '.join(self.argv))}</b>: starting")
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=duration or 1.0, description="running",
                                        bar_style="info")
        self.picture = w.Image(format="png")
        self.summary = w.HTML()
        self.widget = w.VBox([self.status, self.progress, self.picture, self.summary])
        self.widget.monitor = self

    # -- running -----------------------------------------------------------------------------------------
    def start(self) -> WaitMonitor:
        """Launch the program and sample it in a background thread; another one redraws meanwhile.

        Drawing takes far longer than a sample, so it never happens in the sampling thread.
        """
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="spykit-monitor", daemon=True)
        self._thread.start()
        threading.Thread(target=self._paint_while_running, name="spykit-monitor-paint", daemon=True).start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the program has ended and the final picture is drawn; False on timeout."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def _run(self) -> None:
        from ..slow.run import run_watched

        try:
            try:
                finished = run_watched(self.argv, timeout=self.duration, interval=self.interval,
                                       on_tick=self.sampler, env=self.env, cwd=self.cwd)
            finally:
                self._ended.set()
            self.returncode = finished.returncode
            self.samples = self._frame(finished.elapsed)
            self._draw(final=True, elapsed=finished.elapsed)
        except BaseException as error:  # shown in the widget: a background thread has nobody to raise to
            self.error = error
            self.status.value = f'<span style="color: #c62828;">could not run it: {html.escape(str(error))}</span>'
            self.progress.bar_style = "danger"
        finally:
            self._done.set()

    def _frame(self, elapsed: float) -> pd.DataFrame:
        samples = self.sampler.frame()
        samples.attrs.update(command=self.argv, interval=self.interval, elapsed=elapsed,
                             returncode=self.returncode)
        return samples

    def _paint_while_running(self) -> None:
        while not self._ended.wait(self.redraw):
            try:
                self._draw(final=False, elapsed=time.monotonic() - self._started)
            except Exception:  # noqa: BLE001 - a failed live picture must not stop the monitor; the final one shows
                continue

    # -- drawing ---------------------------------------------------------------------------------------------
    def _draw(self, *, final: bool, elapsed: float) -> None:
        with self._drawing:
            if final or not self._ended.is_set():
                self._draw_now(final=final, elapsed=elapsed)

    def _draw_now(self, *, final: bool, elapsed: float) -> None:
        from ..slow.waits import summarize

        samples = self.samples if final and self.samples is not None else self._frame(elapsed)
        ticks = samples["time"].nunique() if len(samples) else 0
        what = html.escape(" ".join(self.argv))
        if final:
            ending = "" if self.returncode in (0, None) else f", exit status {self.returncode}"
            self.status.value = f"<b>{what}</b>: finished after {elapsed:.2f} s, {ticks} samples{ending}"
            self.progress.max = max(elapsed, 1e-6)
            self.progress.value = self.progress.max
            self.progress.bar_style = "success"
            self.progress.description = "done"
        else:
            self.status.value = f"<b>{what}</b>: running for {elapsed:.1f} s, {ticks} samples so far"
            if self.duration:
                self.progress.value = min(elapsed, self.duration)
            else:  # no end known: the bar fills and starts again, to show life
                self.progress.value = (elapsed % 5.0) / 5.0
        self.picture.value = _png(samples)
        table = summarize(samples)[["pid", "command", "reason", "meaning", "share"]] if len(samples) else samples
        self.summary.value = table_html(table, max_rows=12, caption="what each process was doing")
        self.redraws += 1


def monitor(cmd: Any, *, interval: float = 0.01, duration: float | None = None, redraw: float = REDRAW,
            env: dict[str, str] | None = None, cwd: str | None = None) -> Any:
    """Run ``cmd`` and show, live, what it waits for. Returns the widget (``.monitor`` has the samples)."""
    return WaitMonitor(cmd, interval=interval, duration=duration, redraw=redraw, env=env, cwd=cwd).start().widget
