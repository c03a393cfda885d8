"""A trace while it is being recorded: the Recorder's new rows and events, as plain data.

The tracer thread only fills the Recorder. A reader (the command line's strace-style stream,
a notebook's status) registers a sink with :func:`watching`; the thread that waits for the
tracer (``runner.run_in_tracer_thread``) then calls :func:`tick` every poll, and once more after
the tracer has finished. A tick looks at the Recorder only while the tracer waits for the next
stop (``Tracer.settled``): the columns are then whole, the C loop's staged rows included. What
came since the last look is handed to the sink as ``(time, kind, what)`` tuples (entries and
exits of :class:`Call` objects, and process events), in the order they happened. Nothing here
decodes or prints.

Why a reader that looks, rather than callbacks from the Recorder: the C loop appends rows without
running any Python, and a callback per call would cost the tracer at every stop. Looking every
poll (50 ms) costs the tracer nothing between looks, and a call that blocks is seen at the next
look, since the tracer is then waiting.
"""

from __future__ import annotations

import contextlib
import operator
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .recorder import Recorder

if TYPE_CHECKING:
    from .loop import Tracer

_ENTRY = struct.Struct("<Q6Q")  # nr, args: the 56 bytes kept per row
_EXIT = struct.Struct("<qB")  # rval, is_error: the 9 bytes kept per finished row


@dataclass(slots=True)
class Call:
    """One recorded call, filled in as the tracer sees it: entry first, then its exit."""

    row: int
    time: float  # entry, seconds since the tracer started
    tid: int
    tgid: int
    nr: int
    args: tuple[int, ...]
    abi: int = 0
    blobs: dict[int, bytes | None] = field(default_factory=dict)
    fd_path: str | None = None  # what the call's fd pointed to
    exit_time: float | None = None
    ret: int | None = None  # None: not finished
    err: int | None = None  # errno when the call failed

    @property
    def finished(self) -> bool:
        return self.exit_time is not None


# One step of the live trace, a plain tuple (time, kind, what): kind "entry" or "exit" with the
# Call, or "event" with the Recorder's event tuple (time, tid, kind, signal, status, child, how, text).
Happening = tuple[float, str, Any]
ENTRY, EXIT, EVENT = "entry", "exit", "event"

_by_time = operator.itemgetter(0)  # (two stops never read the same clock)


class Sink(Protocol):
    """A reader of live traces. One with ``wants_rows = False`` gets ``glance(tracer, final=...)``
    at each tick instead, and reads what it needs itself (Tracer.in_progress, len(tracer.rec))."""

    def feed(self, happenings: list[Happening], now: float, *, final: bool) -> None:
        """Take what happened since the last call (``now``: the tracer's clock; ``final``: the
        tracer has finished, calls still open will not finish)."""


class Cursor:
    """Reads what a Recorder gained since the last read. Keeps only the calls still open."""

    def __init__(self, rec: Recorder):
        self.rec = rec
        self.rows = self.exits = self.fds = self.abis = self.blobs = self.events = 0
        self.open: dict[int, Call] = {}

    def lengths(self) -> tuple[int, ...]:
        """The lengths of the columns the reader uses, to read up to (see Tracer.settled)."""
        rec = self.rec
        return (len(rec.tid), len(rec.x_row), len(rec.abi_row), len(rec.fd_row), len(rec.blob_row),
                len(rec.events))

    def read(self, lengths: tuple[int, ...]) -> list[Happening]:
        """What was recorded since the last read, up to ``lengths`` (taken at a settled moment).

        The tracer may append meanwhile (Python switches threads when it likes): the columns
        only grow while tracing, and they are read by copying slices, never through a view that
        would stop the tracer's buffers from growing."""
        rec = self.rec
        n, n_exits, n_abis, n_fds, n_blobs, n_events = lengths
        out: list[Happening] = []
        start = self.rows
        calls = self.open
        if n > start:
            entries = _ENTRY.iter_unpack(rec.entry_raw[56 * start:56 * n])
            for row, t, tid, tgid, entry in zip(range(start, n), rec.t_entry[start:n], rec.tid[start:n],
                                                rec.tgid[start:n], entries, strict=True):
                call = calls[row] = Call(row, t, tid, tgid, entry[0], entry[1:])
                out.append((t, ENTRY, call))
        self.rows = n
        get = calls.get
        for row, abi in zip(rec.abi_row[self.abis:n_abis], rec.abi_val[self.abis:n_abis], strict=True):
            call = get(row)
            if call is not None:
                call.abi = abi
        self.abis = n_abis
        strings = rec.strings
        for row, desc in zip(rec.fd_row[self.fds:n_fds], rec.fd_desc[self.fds:n_fds], strict=True):
            call = get(row)
            if call is not None and desc >= 0:
                call.fd_path = strings[desc]
        self.fds = n_fds
        first = self.blobs
        blob_data = rec.blob_data
        for row, key, off, length in zip(rec.blob_row[first:n_blobs], rec.blob_key[first:n_blobs],
                                         rec.blob_off[first:n_blobs], rec.blob_len[first:n_blobs], strict=True):
            call = get(row)
            if call is not None:
                call.blobs[key] = None if length < 0 else bytes(blob_data[off:off + length])
        self.blobs = n_blobs
        first = self.exits
        exits = _EXIT.iter_unpack(rec.exit_raw[9 * first:9 * n_exits])
        for row, t, (rval, is_error) in zip(rec.x_row[first:n_exits], rec.t_exit[first:n_exits], exits,
                                            strict=True):
            call = calls.pop(row, None)
            if call is None:
                continue
            call.exit_time = t
            call.ret, call.err = (-1, -rval) if is_error else (rval, None)
            out.append((t, EXIT, call))
        self.exits = n_exits
        for event in rec.events[self.events:n_events]:
            out.append((event[0], EVENT, event))
        self.events = n_events
        if len(out) > 1:
            # entries, exits and events are in order each: merge them
            out.sort(key=_by_time)
        return out


class _Watch:
    def __init__(self, sink: Sink):
        self.sink = sink
        self.tracers: list[tuple[Tracer, Cursor]] = []


_watches: list[_Watch] = []
_lock = threading.Lock()


@contextlib.contextmanager
def watching(sink: Sink) -> Iterator[None]:
    """Hand every trace recorded in this process meanwhile to ``sink`` while it is recorded."""
    watch = _Watch(sink)
    with _lock:
        _watches.append(watch)
    try:
        yield
    finally:
        with _lock:
            _watches.remove(watch)


def watched() -> bool:
    return bool(_watches)


def adopt(tracer: Tracer) -> None:
    """A new Tracer: each watcher will read its Recorder."""
    with _lock:
        for watch in _watches:
            watch.tracers.append((tracer, Cursor(tracer.rec)))


def tick(*, final: bool = False) -> None:
    """Hand each watcher what its tracers recorded since the last tick.

    Called by the thread that waits for the tracer; with ``final`` after the tracer thread has
    ended (the Recorder is then whole, whatever the loop's state), which also lets the tracers go.
    """
    if not _watches:
        return
    with _lock:
        watches = list(_watches)
    for watch in watches:
        for tracer, cursor in list(watch.tracers):
            if not getattr(watch.sink, "wants_rows", True):
                # a sink that looks at the tracers themselves (a notebook's status): no rows read
                watch.sink.glance(tracer, final=final)
                if final:
                    watch.tracers.remove((tracer, cursor))
                continue
            if final:
                lengths = cursor.lengths()
            else:
                moment = tracer.settled()
                if moment is None:
                    continue
                lengths = cursor.lengths()
                if tracer.settled() != moment:
                    continue  # the tracer ran meanwhile: look again at the next tick
            happenings = cursor.read(lengths)
            watch.sink.feed(happenings, time.monotonic() - tracer.t0, final=final)
            if final:
                watch.tracers.remove((tracer, cursor))
