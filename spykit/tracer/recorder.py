"""Compact columnar buffers the tracer fills at each stop.

No Python object is kept per row while tracing: numbers go into ``array.array`` columns,
strings (paths, fd descriptions) are interned once into a list and referred to by index, and
memory captures go into one growing ``bytearray`` with offset columns. The DataFrame is built
from these once, after tracing (``spykit.tracer.build``).
"""

from __future__ import annotations

from array import array

NO_FD = -(1 << 31)  # "no fd" in the int32 fd column
NO_STR = -1


class Recorder:
    def __init__(self, max_events: int | None = None):
        self.max_events = max_events
        self.truncated = False
        # one entry per row
        self.t_entry = array("d")
        self.t_exit = array("d")
        self.tid = array("i")
        self.tgid = array("i")
        self.nr = array("i")
        self.a0, self.a1, self.a2 = array("Q"), array("Q"), array("Q")
        self.a3, self.a4, self.a5 = array("Q"), array("Q"), array("Q")
        self.ret = array("q")
        self.err = array("i")  # errno, 0 when the call succeeded
        self.done = array("b")  # 1 once the exit was seen
        self.path = array("i")  # index into strings, or NO_STR
        self.fd = array("i")
        self.fd_desc = array("i")  # what the call's fd pointed to (strace -y), index into strings
        # memory captures
        self.blob_row = array("i")
        self.blob_key = array("b")
        self.blob_off = array("Q")
        self.blob_len = array("i")  # -1: the pointer could not be read
        self.blob_data = bytearray()
        # interned strings
        self.strings: list[str] = []
        self._string_ids: dict[str, int] = {}
        # exact counts per syscall number, even past max_events
        self.counts = array("Q", bytes(8 * 1024))
        self.extra_counts: dict[int, int] = {}
        # events: (time, tid, kind, signal, status, child, how, text)
        self.events: list[tuple] = []

    def __len__(self) -> int:
        return len(self.nr)

    def intern(self, text: str) -> int:
        sid = self._string_ids.get(text)
        if sid is None:
            sid = len(self.strings)
            self.strings.append(text)
            self._string_ids[text] = sid
        return sid

    def count(self, nr: int) -> None:
        if 0 <= nr < 1024:
            self.counts[nr] += 1
        else:
            self.extra_counts[nr] = self.extra_counts.get(nr, 0) + 1

    def start_row(self, t: float, tid: int, tgid: int, nr: int, args) -> int:
        """Open a row at a syscall entry; returns its index, or -1 when past max_events."""
        self.count(nr)
        if self.max_events is not None and len(self.nr) >= self.max_events:
            self.truncated = True
            return -1
        self.t_entry.append(t)
        self.t_exit.append(float("nan"))
        self.tid.append(tid)
        self.tgid.append(tgid)
        self.nr.append(nr)
        self.a0.append(args[0])
        self.a1.append(args[1])
        self.a2.append(args[2])
        self.a3.append(args[3])
        self.a4.append(args[4])
        self.a5.append(args[5])
        self.ret.append(0)
        self.err.append(0)
        self.done.append(0)
        self.path.append(NO_STR)
        self.fd.append(NO_FD)
        self.fd_desc.append(NO_STR)
        return len(self.nr) - 1

    def finish_row(self, row: int, t: float, ret: int, err: int) -> None:
        self.t_exit[row] = t
        self.ret[row] = ret
        self.err[row] = err
        self.done[row] = 1

    def add_blob(self, row: int, key: int, data: bytes | None) -> None:
        self.blob_row.append(row)
        self.blob_key.append(key)
        self.blob_off.append(len(self.blob_data))
        if data is None:
            self.blob_len.append(-1)
        else:
            self.blob_len.append(len(data))
            self.blob_data += data

    def add_event(self, t: float, tid: int, kind: str, *, signal: str | None = None, status: int | None = None,
                  child: int | None = None, how: str | None = None, text: str = "") -> None:
        self.events.append((t, tid, kind, signal, status, child, how, text))

    def all_counts(self) -> dict[int, int]:
        out = {nr: int(c) for nr, c in enumerate(self.counts) if c}
        out.update(self.extra_counts)
        return out
