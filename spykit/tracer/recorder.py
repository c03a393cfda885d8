"""Compact columnar buffers the tracer fills at each stop.

No Python object is kept per row while tracing. At a syscall entry we append the entry time,
the thread, and the 56 raw bytes of ``struct ptrace_syscall_info`` that hold the call number and
its six arguments, copied straight out of the ctypes buffer; at the exit, the row number, the
exit time and the 9 raw bytes of the result. Everything else is sparse: a path, an fd or an fd
description is stored as (row, value...) only for the calls that have one, strings are interned
once, and memory captures go into one growing ``bytearray`` with offset columns. The DataFrame is
built from these once, after tracing (``spykit.tracer.build``), with numpy doing the unpacking.
"""

from __future__ import annotations

from array import array

# Offsets in struct ptrace_syscall_info: entry {nr, args[6]} and exit {rval, is_error} both start at 24.
ENTRY_SLICE = slice(24, 80)
EXIT_SLICE = slice(24, 33)
NO_FD = -(1 << 31)  # "no fd" in the dense fd column
NO_STR = -1  # "no string" in the path and description columns


class Recorder:
    def __init__(self, max_events: int | None = None):
        self.max_events = max_events if max_events is not None else 1 << 62
        self.truncated = False
        # one entry per row
        self.t_entry = array("d")
        self.tid = array("i")
        self.tgid = array("i")
        self.entry_raw = bytearray()
        # one entry per finished row
        self.x_row = array("i")
        self.t_exit = array("d")
        self.exit_raw = bytearray()
        # sparse (row, value) columns; a later pair for the same row wins
        self.path_row, self.path_id = array("i"), array("i")
        self.fd_row, self.fd_val, self.fd_desc = array("i"), array("i"), array("i")
        # rows of another table than x86_64 (i386, x32; spykit.syscalls.abi), few: (row, abi)
        self.abi_row, self.abi_val = array("i"), array("b")
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
        # events: (time, tid, kind, signal, status, child, how, text); few, so plain tuples
        self.events: list[tuple] = []

    def __len__(self) -> int:
        return len(self.tid)  # one tid per row (the C loop appends to the same columns)

    def intern(self, text: str) -> int:
        sid = self._string_ids.get(text)
        if sid is None:
            sid = len(self.strings)
            self.strings.append(text)
            self._string_ids[text] = sid
        return sid

    def start_row(self, t: float, tid: int, tgid: int, nr: int, raw, abi: int = 0) -> int:
        """Open a row at a syscall entry from the raw info bytes; -1 when past max_events.

        ``abi`` is the call's table (0: x86_64); counts of other tables are kept under
        ``spykit.syscalls.abi.wide_key`` numbers, above 2**64."""
        if nr < 1024 and not abi:
            self.counts[nr] += 1
        else:
            key = (abi << 64) | nr
            self.extra_counts[key] = self.extra_counts.get(key, 0) + 1
        row = len(self.tid)
        if row >= self.max_events:
            self.truncated = True
            return -1
        self.t_entry.append(t)
        self.tid.append(tid)
        self.tgid.append(tgid)
        self.entry_raw += raw
        if abi:
            self.abi_row.append(row)
            self.abi_val.append(abi)
        return row

    def finish_row(self, row: int, t: float, raw) -> None:
        self.x_row.append(row)
        self.t_exit.append(t)
        self.exit_raw += raw

    def set_path(self, row: int, sid: int) -> None:
        self.path_row.append(row)
        self.path_id.append(sid)

    def set_fd(self, row: int, fd: int, desc: int) -> None:
        """The fd a call uses or returns, and what it points to (an interned string, or NO_STR)."""
        self.fd_row.append(row)
        self.fd_val.append(fd)
        self.fd_desc.append(desc)

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
