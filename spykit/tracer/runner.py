"""The tracer's own thread, and the ways another thread makes it stop.

Why a thread of its own: the loop waits with ``waitpid(-1)``, and a plain ``waitpid(-1)`` takes
the report of *any* child of the process. In a Jupyter kernel that has run
``subprocess.Popen(...)`` before, the tracer would reap that child and its exit status would be
lost (``Popen.wait()`` then says 0). With ``__WNOTHREAD`` the wait only sees the children and
tracees of the calling thread, and a thread made for the trace has no children but ours. The
calling thread waits for it, and is the one that takes Ctrl-C and watches the clock.

How the waiting thread stops the tracer: ``waitpid`` has no timeout, and only the tracer thread
may make ptrace requests, so a deadline, Ctrl-C or ``stop_event`` must give that ``waitpid`` a
report to return with. For a program we launched, killing it does (``kill_to_stop``): a trace
that stops early ends with the program killed anyway. A process we attached to must live on,
so ``attach`` has a bell: a child of the tracer thread, ``cat`` reading a pipe, which exits when
the pipe is closed. It runs in a session of its own, so a terminal's Ctrl-C (sent to the whole
foreground group) does not ring it early.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from ..errors import SpykitError
from . import live
from .loop import Tracer

T = TypeVar("T")

# Seconds between looks at a deadline or a stop event (each look briefly takes the GIL from the
# tracer thread: 20 a second is plenty). The waiting thread never blocks without a
# timeout: a signal that lands just before a lock wait starts (its handler has run, so the wait
# is not interrupted) would otherwise leave Ctrl-C unanswered until the trace ends. CPython
# raises KeyboardInterrupt at the first bytecode after the timed wait returns.
_POLL = 0.05


class Bell:
    """A child of the tracer thread that exits when rung, waking the tracer's ``waitpid``."""

    def __init__(self, tracer: Tracer):
        self.tracer = tracer
        self.pid: int | None = None
        self._pipe = -1  # the write end: closing it rings
        self._lock = threading.Lock()

    def install(self) -> None:
        """Start the bell; must run in the tracer thread (the bell must be that thread's child)."""
        read_end, write_end = os.pipe()
        actions = [(os.POSIX_SPAWN_DUP2, read_end, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_DUP2, 1, 2)]
        cat = shutil.which("cat") or "/bin/cat"  # (coreutils: on every machine spykit runs on)
        try:
            self.pid = os.posix_spawn(cat, ["cat"], {}, file_actions=actions, setsid=True)
        except OSError as exc:
            os.close(write_end)
            raise SpykitError(f"could not start spykit's helper process ({cat}): {exc.strerror}",
                              hint="too many processes running? close some and try again") from exc
        finally:
            os.close(read_end)
        self.tracer.doorbells.add(self.pid)  # its exit is not a tracee's: the loop skips it
        with self._lock:
            # (rung before this? then stop_requested is set, and the loop will not wait at all)
            self._pipe = write_end

    def ring(self) -> None:
        """Ask the loop to stop and wake it; from any thread, any number of times."""
        with self._lock:
            self.tracer.stop_requested = True
            self._silence()

    def _silence(self) -> None:
        if self._pipe >= 0:
            os.close(self._pipe)
            self._pipe = -1

    def remove(self) -> None:
        """Stop the bell and reap it (in the tracer thread, at the end)."""
        with self._lock:
            self._silence()
        if self.pid is not None and self.pid in self.tracer.doorbells:
            try:
                os.waitpid(self.pid, 0)  # (cat exits at once on end of file)
            except ChildProcessError:
                pass  # the loop's cleanup reaped it already, as something not ours
            self.tracer.doorbells.discard(self.pid)


def kill_to_stop(tracer: Tracer) -> None:
    """Stop the trace of a launched program from another thread: ask the loop to end, and kill
    the traced processes so that its ``waitpid`` returns. (Their deaths are then recorded like
    any other; the tracer's cleanup kills and reaps whatever the loop has not seen yet.)"""
    tracer.stop_requested = True
    tids = dict(tracer.tgid)  # (a copy first: the tracer thread changes it)
    tracer.mark_ending(tids)
    for tgid in set(tids.values()):
        try:
            os.kill(tgid, signal.SIGKILL)
        except OSError:
            pass


class Stopped(Exception):
    """Why the waiting thread stopped the tracer when its ``stop_event`` was set."""


class Watch:
    """Shared by the two threads: when the deadline's clock started (see ``arm``)."""

    def __init__(self) -> None:
        self.armed_at: float | None = None

    def arm(self) -> None:
        """Start the deadline's clock now (the program is running, or we are attached)."""
        self.armed_at = time.monotonic()


def run_in_tracer_thread(
    work: Callable[[Watch], T],
    stop: Callable[[], None],
    *,
    seconds: float | None = None,
    stop_event: threading.Event | None = None,
) -> tuple[T, BaseException | None]:
    """Run ``work(watch)`` in a new thread and wait for it here.

    ``work`` makes every ptrace request and leaves nothing traced when it returns. This thread
    calls ``stop`` (which must make the tracer's loop end, and wake its ``waitpid``) on Ctrl-C,
    ``seconds`` after ``work`` calls ``watch.arm()``, or when ``stop_event`` is set. Returns what
    ``work`` returned and why ``stop`` was called (``KeyboardInterrupt``, ``TimeoutError``,
    :class:`Stopped` for the event, or ``None``); an exception from ``work`` is raised here.
    """
    watch = Watch()
    done = threading.Event()
    outcome: dict[str, object] = {}

    def body() -> None:
        try:
            outcome["result"] = work(watch)
        except BaseException as exc:  # handed to the waiting thread, which raises it
            outcome["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=body, name="spykit-tracer", daemon=True)
    why: BaseException | None = None
    try:
        thread.start()
    except RuntimeError as error:  # "can't start new thread": clone() failed with EAGAIN
        raise SpykitError("cannot start the tracer's thread: the limit on processes and threads was reached "
                          f"({error})",
                          hint="end some processes, or raise the limit (ulimit -u, RLIMIT_NPROC)") from None
    try:
        while not done.is_set():
            try:
                done.wait(_POLL)
            except KeyboardInterrupt as exc:
                why = exc
                stop()
                continue
            live.tick()  # a live reader (spykit.tracer.live), if any, gets the calls so far
            if why is not None or done.is_set():
                continue
            if seconds is not None and watch.armed_at is not None and time.monotonic() - watch.armed_at >= seconds:
                why = TimeoutError(f"timed out after {seconds} s")
                stop()
            elif stop_event is not None and stop_event.is_set():
                why = Stopped("stop_event was set")
                stop()
    finally:
        if not done.is_set():
            # Something escaped the loop above (a second Ctrl-C at an unlucky moment): the tracer
            # must still let go of every process before we leave.
            stop()
            _wait_through_interrupts(done)
    thread.join()
    live.tick(final=True)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"], why  # type: ignore[return-value]


def _wait_through_interrupts(done: threading.Event) -> None:
    while True:
        try:
            if done.wait(_POLL):
                return
        except KeyboardInterrupt:
            continue
