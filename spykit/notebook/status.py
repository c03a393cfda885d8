"""A small live status in a notebook while a cell works for more than a second.

``%load_ext spykit`` calls :func:`activate`: in a Jupyter kernel with ipywidgets, every cell that
runs longer than ``after`` seconds (a ``spykit.trace``, ``attach``, ``%strace``, ``%%strace``,
``diagnose``, ``profile``, ``wchan``, or anything else slow) shows a line that changes while it
runs: the time so far, which run spykit is doing (spykit.progress), how many calls a trace has
recorded, and what each thread is doing now: its call in progress when spykit traces it, else its
wait channel as /proc shows it. When the cell ends the status is closed, and the cell's own
output is what stays. In a terminal IPython, or without ipywidgets, nothing of it appears.

The status reads; it never changes what it looks at. The state it shows is gathered by
:class:`Glance` (plain data, tested without a kernel) and laid out by :func:`status_html`.
"""

from __future__ import annotations

import contextvars
import html
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .. import progress
from ..tracer import live

_MAX_THREADS = 6  # lines about threads, at most


@dataclass
class Glance:
    """What the status shows at one moment."""

    elapsed: float
    phase: str | None = None
    calls: int | None = None  # calls recorded so far by the traces running now; None: no trace
    threads: list[str] = field(default_factory=list)  # "pid 12 tid 13: in read (0.4 s)", ...


class _Tracers:
    """A live sink that only keeps the tracers running now (their rows are not read: cheap)."""

    wants_rows = False

    def __init__(self) -> None:
        self.tracers: list[Any] = []

    def glance(self, tracer: Any, *, final: bool) -> None:
        if final:
            if tracer in self.tracers:
                self.tracers.remove(tracer)
        elif tracer not in self.tracers:
            self.tracers.append(tracer)

    def feed(self, happenings: list, now: float, *, final: bool) -> None:  # (not called: wants_rows)
        pass


def _descendants() -> list[int]:
    from ..procfs import ProcessTree

    return [p for p in ProcessTree(os.getpid()).pids() if p != os.getpid()]


def _waits(pids: list[int], cell_thread: int | None) -> list[str]:
    """What each thread of these processes (and the cell's own thread) waits on, from /proc."""
    from .. import procfs
    from ..syscalls.table import syscall_name

    lines = []
    targets = [(os.getpid(), cell_thread, "this kernel's cell")] if cell_thread is not None else []
    for pid in pids:
        targets += [(pid, tid, None) for tid in procfs.list_threads(pid)]
    for pid, tid, label in targets:
        st = procfs.read_stat(pid, tid)
        if st is None or st.state in ("Z", "X"):
            continue
        if st.state == "R":
            doing = "running"
        else:
            call = procfs.read_syscall(pid, tid)
            wchan = procfs.read_wchan(pid, tid)
            in_call = f"in {syscall_name(call.nr)}, " if call is not None and call.nr is not None else ""
            doing = f"{in_call}waiting in {wchan}" if wchan else f"{in_call}asleep"
        who = label or f"pid {pid} tid {tid} ({st.comm})"
        lines.append(f"{who}: {doing}")
    return lines


def take_glance(started: float, tracers: list[Any], cell_thread: int | None) -> Glance:
    """The status now: spykit's phase, its traces' calls and calls in progress, other threads' waits."""
    found = progress.current()
    glance = Glance(elapsed=time.monotonic() - started, phase=found[0] if found else None)
    traced: set[int] = set()
    if tracers:
        glance.calls = 0
        for tracer in tracers:
            in_progress = tracer.in_progress()  # (first: the C loop's staged rows reach the Recorder)
            glance.calls += len(tracer.rec)
            for tid, (name, seconds) in sorted(in_progress.items()):
                traced.add(tid)
                glance.threads.append(f"tid {tid}: in {name} ({seconds:.1f} s)")
    try:
        others = [p for p in _descendants() if p not in traced]
        glance.threads += _waits(others, None if tracers else cell_thread)
    except OSError:
        pass
    return glance


def status_html(glance: Glance) -> str:
    """The status as a few lines of HTML."""
    head = f"spykit: {html.escape(glance.phase)}" if glance.phase else "running"
    head += f", {glance.elapsed:.0f} s so far"
    if glance.calls is not None:
        head += f", {glance.calls:,} calls traced"
    shown = glance.threads[:_MAX_THREADS]
    more = len(glance.threads) - len(shown)
    rows = [html.escape(t) for t in shown] + ([f"... and {more} more threads"] if more > 0 else [])
    body = "".join(f"<div style='margin-left:1em'>{r}</div>" for r in rows)
    return f"<div style='font-family:monospace;font-size:90%;color:#555'><div>{head}</div>{body}</div>"


class LiveStatus:
    """The status of one cell: shown after ``after`` seconds, updated every ``every``, closed at the end."""

    def __init__(self, *, after: float = 1.0, every: float = 0.5) -> None:
        self.after = after
        self.every = every
        self.sink = _Tracers()
        self._watch = live.watching(self.sink)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._widget: Any = None
        self._handle: Any = None
        self.updates = 0
        self.cell_thread = threading.get_native_id()

    def start(self) -> None:
        self.started = time.monotonic()
        self._watch.__enter__()
        # The kernel knows which cell output is whose by context variables (the request being
        # answered): the status thread writes in a copy of the cell's context, so into the cell.
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run,), name="spykit-status", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if time.monotonic() - self.started < self.after:
                continue
            try:
                self._show(status_html(take_glance(self.started, list(self.sink.tracers), self.cell_thread)))
            except Exception:  # a status must never break the cell it describes
                return

    def _show(self, text: str) -> None:
        if self._stop.is_set():
            return
        if self._widget is None:
            import ipywidgets
            from IPython.display import display

            self._widget = ipywidgets.HTML(value=text)
            self._handle = display(self._widget, display_id=True)
        else:
            self._widget.value = text
        self.updates += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._watch.__exit__(None, None, None)
        if self._widget is not None:
            # the status goes (its output emptied, its widget closed): the cell's own output stays
            self._handle.update({"text/plain": ""}, raw=True)
            self._widget.close()
            self._widget = None


def _in_a_kernel(ipython: Any) -> bool:
    if type(ipython).__name__ != "ZMQInteractiveShell":
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def activate(ipython: Any) -> None:
    """Show a live status for every long cell of this kernel (once; nothing outside a kernel)."""
    if not _in_a_kernel(ipython) or getattr(ipython, "_spykit_status", False):
        return
    ipython._spykit_status = True
    current: dict[str, LiveStatus] = {}

    def before(*_args: Any) -> None:
        status = LiveStatus()
        current["status"] = status
        status.start()

    def after(*_args: Any) -> None:
        status = current.pop("status", None)
        if status is not None:
            status.stop()

    ipython.events.register("pre_run_cell", before)
    ipython.events.register("post_run_cell", after)
