"""What long work is doing now, for a person waiting on it.

Library code marks its runs with :func:`phase` (``"run 2 of 3: counting system calls, traced"``);
it prints nothing. Readers look at :func:`current`: the command line's :func:`reporting` says on
stderr what is running and for how long, once a run has taken more than a second; a notebook's
live status shows the same. Outside those, a phase costs two assignments.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import IO

_stack: list[tuple[str, float]] = []  # the phases open now, outermost first: (what, started)


@contextlib.contextmanager
def phase(what: str) -> Iterator[None]:
    """Mark the work inside as ``what`` (a run of the program, in words) while it lasts."""
    _stack.append((what, time.monotonic()))
    try:
        yield
    finally:
        _stack.pop()


def current() -> tuple[str, float] | None:
    """The outermost phase open now and the seconds it has lasted; None when none is open.

    (The outermost says most: diagnose's third run is "diagnose, last run: ...", whatever the
    profiler it calls names its own run.)"""
    try:
        what, started = _stack[0]
    except IndexError:
        return None
    return what, time.monotonic() - started


def status_line(what: str, seconds: float) -> str:
    """``spykit: run 1 of 3: timing, untraced: 2 s so far``."""
    return f"spykit: {what}: {seconds:.0f} s so far"


@contextlib.contextmanager
def reporting(stream: IO[str], *, after: float = 1.0, every: float = 1.0) -> Iterator[None]:
    """While inside, a thread writes :func:`status_line` to ``stream`` for a phase that has run
    longer than ``after`` seconds, then every ``every`` seconds, and when a new phase starts."""
    stop = threading.Event()

    def report() -> None:
        said: dict[str, float] = {}  # phase -> seconds when last said
        while not stop.wait(0.1):
            now = current()
            if now is None:
                continue
            what, seconds = now
            last = said.get(what)
            if seconds >= after and (last is None or seconds - last >= every or seconds < last):
                said[what] = seconds
                try:
                    stream.write(status_line(what, seconds) + "\n")
                    stream.flush()
                except (OSError, ValueError):
                    return  # the stream went away: say nothing more

    thread = threading.Thread(target=report, name="spykit-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
