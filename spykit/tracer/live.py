"""A trace while it is being recorded: the Recorder's new rows and events, as plain data.

The tracer thread only fills the Recorder. A reader (the command line's strace-style stream,
a notebook's status) registers a sink with :func:`watching`; the thread that waits for the
tracer (``runner.run_in_tracer_thread``) then calls :func:`tick` every poll, and once more after
the tracer has finished. A tick looks at the Recorder only while the tracer waits for the next
stop (``Tracer.settled``): the columns are then whole, the C loop's staged rows included. What
came since the last look is handed to the sink as :class:`Call` and :class:`Happening` objects,
in the order they happened. Nothing here decodes or prints.
"""

from __future__ import annotations

import contextlib
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

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


@dataclass(slots=True)
class Happening:
    """One step of the live trace: a call's ``entry`` or ``exit``, or a process ``event``."""

    kind: str  # "entry", "exit" or "event"
    time: float
    call: Call | None = None
    event: tuple | None = None  # the Recorder's event tuple (time, tid, kind, signal, status, child, how, text)


class Sink(Protocol):
    def feed(self, happenings: list[Happening], now: float, *, final: bool) -> None:
        """Take what happened since the last call (``now``: the tracer's clock; ``final``: the
        tracer has finished, calls still open will not finish)."""


class Cursor:
    """Reads what a Recorder gained since the last read. Keeps only the calls still open."""

    def __init__(self, rec: Recorder):
        self.rec = rec
        self.rows = self.exits = self.paths = self.fds = self.abis = self.blobs = self.events = 0
        self.open: dict[int, Call] = {}

    def read(self) -> list[Happening]:
        rec = self.rec
        out: list[Happening] = []
        n = len(rec.tid)
        entry_raw, t_entry, tid, tgid = rec.entry_raw, rec.t_entry, rec.tid, rec.tgid
        fresh: dict[int, Call] = {}
        for row in range(self.rows, n):
            nr, *args = _ENTRY.unpack_from(entry_raw, 56 * row)
            call = Call(row, t_entry[row], tid[row], tgid[row], nr, tuple(args))
            fresh[row] = call
            out.append(Happening("entry", call.time, call))
        self.rows = n
        calls = self.open
        calls.update(fresh)
        get = calls.get
        for i in range(self.abis, len(rec.abi_row)):
            call = get(rec.abi_row[i])
            if call is not None:
                call.abi = rec.abi_val[i]
        self.abis = len(rec.abi_row)
        strings = rec.strings
        for i in range(self.fds, len(rec.fd_row)):
            call = get(rec.fd_row[i])
            if call is not None and rec.fd_desc[i] >= 0:
                call.fd_path = strings[rec.fd_desc[i]]
        self.fds = len(rec.fd_row)
        blob_data = rec.blob_data
        for i in range(self.blobs, len(rec.blob_row)):
            call = get(rec.blob_row[i])
            if call is not None:
                length = rec.blob_len[i]
                off = rec.blob_off[i]
                call.blobs[rec.blob_key[i]] = None if length < 0 else bytes(blob_data[off:off + length])
        self.blobs = len(rec.blob_row)
        exit_raw = rec.exit_raw
        for i in range(self.exits, len(rec.x_row)):
            call = calls.pop(rec.x_row[i], None)
            if call is None:
                continue
            rval, is_error = _EXIT.unpack_from(exit_raw, 9 * i)
            call.exit_time = rec.t_exit[i]
            call.ret, call.err = (-1, -rval) if is_error else (rval, None)
            out.append(Happening("exit", call.exit_time, call))
        self.exits = len(rec.x_row)
        for event in rec.events[self.events:]:
            out.append(Happening("event", event[0], event=event))
        self.events = len(rec.events)
        if len(out) > 1:
            # entries and exits are in order each; merge them (an exit before the next entry of a tie)
            out.sort(key=lambda h: (h.time, h.kind != "exit"))
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
            if not final and not tracer.settled():
                continue
            happenings = cursor.read()
            watch.sink.feed(happenings, time.monotonic() - tracer.t0, final=final)
            if final:
                watch.tracers.remove((tracer, cursor))
