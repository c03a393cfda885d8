"""A recording's calls as plain rows, decoded one by one, without numpy or pandas.

The command line's text needs each call's name, arguments and result, not a DataFrame: reading
them straight from the recorder's columns saves importing pandas and building the frame (most of
the time ``spykit trace -- true`` took). The values are decoded exactly as
:func:`spykit.tracer.build.build_frame` decodes them (the same decoders, the same arguments), so
the text is the same; ``tests/test_cli_text.py`` compares the two.
"""

from __future__ import annotations

import struct
from typing import Any

from ..render.lines import CallRow, EventRow, several_pids, trace_lines
from ..syscalls import abi as A
from ..syscalls.errnos import errno_name
from ..tracedata import TraceMeta
from .recorder import NO_STR, Recorder

_ENTRY = struct.Struct("<7Q")  # struct ptrace_syscall_info from `nr`: nr, args[6]
_EXIT = struct.Struct("<qB")  # rval, is_error (packed)


_decoders = None  # (render_args, result_note), imported on first use: `import spykit` stays light


def _load_decoders() -> None:
    global _decoders
    from ..syscalls.decode import render_args, result_note

    _decoders = render_args, result_note


def decode_row(name: str, args: tuple[int, ...], ret: int | None, err: int | None,
               blobs: dict[int, bytes | None], *, string_limit: int, fd_path: str | None = None,
               decode_fds: bool = False, abi: int = A.X86_64) -> tuple[str, str | None]:
    """One call's ``args`` text and ``note`` (what strace adds after the result; None if nothing),
    from its numbers and memory captures: ``ret`` None while the call is unfinished, ``err`` the
    errno when it failed. The frame is built with this, once per group of like rows; a live
    stream (spykit.render.stream) decodes each call with it as it finishes."""
    if _decoders is None:
        _load_decoders()
    render_args, result_note = _decoders
    text = render_args(name, args, ret, err, blobs, string_limit=string_limit, fd_path=fd_path,
                       decode_fds=decode_fds, abi=abi)
    portable = not abi or name in A.PORTABLE_DECODERS
    note = result_note(name, args, ret, err, blobs, string_limit=string_limit) \
        if ret is not None and not err and portable else ""
    return text, note or None


def call_rows(rec: Recorder, *, string_limit: int, decode_fds: bool = False) -> list[CallRow]:
    """Every recorded call as a :class:`~spykit.render.lines.CallRow`, in recorded order.

    The recorder is only read. Rows that decode the same (a loop repeating one call) are decoded
    once, as the frame's builder does.
    """
    n = len(rec)
    exits: dict[int, tuple[float, int, int]] = {}  # row -> (exit time, rval, is_error)
    for row, t, (rval, is_error) in zip(rec.x_row, rec.t_exit, _EXIT.iter_unpack(rec.exit_raw), strict=True):
        exits[row] = (t, rval, is_error)
    descs = dict(zip(rec.fd_row, rec.fd_desc, strict=True))  # a later pair for the same row wins
    abis = dict(zip(rec.abi_row, rec.abi_val, strict=True))
    blobs: dict[int, dict[int, bytes | None]] = {}
    for row, key, off, length in zip(rec.blob_row, rec.blob_key, rec.blob_off, rec.blob_len, strict=True):
        blobs.setdefault(row, {})[key] = None if length < 0 else bytes(rec.blob_data[off:off + length])
    strings = rec.strings
    decoded: dict[tuple, tuple[str, str | None]] = {}
    rows: list[CallRow] = []
    for row, (nr, *arguments) in enumerate(_ENTRY.iter_unpack(memoryview(rec.entry_raw)[:n * _ENTRY.size])):
        abi = abis.get(row, A.X86_64)
        name = A.call_name(abi, nr)
        args = tuple(arguments)
        done = exits.get(row)
        ret = err = None
        if done is not None:
            _t, rval, is_error = done
            ret, err = (-1, -rval or None) if is_error else (rval, None)
        desc_id = descs.get(row, NO_STR)
        row_blobs = blobs.get(row, {})
        key = (abi, nr, args, done is not None, ret, err, desc_id, tuple(row_blobs.items()))
        text = decoded.get(key)
        if text is None:
            fd_path = strings[desc_id] if desc_id != NO_STR else None
            text = decoded[key] = decode_row(name, args, ret, err, row_blobs, string_limit=string_limit,
                                             fd_path=fd_path, decode_fds=decode_fds, abi=abi)
        t = rec.t_entry[row]
        rows.append(CallRow(t, rec.tid[row], name, text[0], ret, errno_name(min(err, 4095)) if err else None,
                            None if done is None else done[0] - t, done is None, text[1], A.ABI_NAMES[abi]))
    return rows


def event_rows(rec: Recorder) -> list[EventRow]:
    """The recorded process events (exits, signals, stops, ...) as plain rows."""
    return [EventRow(t, tid, kind, text) for t, tid, kind, _signal, _status, _child, _how, text in rec.events]


class TextTrace:
    """A recording kept as plain rows, for text: what ``spykit trace`` prints needs no DataFrame.

    It has the parts of :class:`~spykit.tracedata.Trace` the text needs (``meta``, ``returncode``,
    ``to_text``); :meth:`spykit.tracedata.Trace` is what every other reader takes.
    """

    def __init__(self, calls: list[CallRow], events: list[EventRow], meta: TraceMeta):
        self.calls = calls
        self.events = events
        self.meta = meta

    @classmethod
    def from_recorder(cls, rec: Recorder, meta: TraceMeta) -> TextTrace:
        meta.truncated = rec.truncated
        return cls(call_rows(rec, string_limit=meta.string_limit, decode_fds=meta.decode_fds), event_rows(rec), meta)

    @property
    def returncode(self) -> int | None:
        """The program's exit status; ``-N`` when signal N killed it; None if it never ended."""
        return self.meta.returncode

    def to_text(self, *, timestamps: bool = False, durations: bool = False, pids: bool | None = None,
                events: bool = True, limit: int | None = None) -> str:
        """strace-style lines, as :meth:`spykit.tracedata.Trace.to_text` gives them."""
        with_pids = several_pids(self.calls, self.events) if pids is None else pids
        return trace_lines(self.calls, self.events if events else (), start_time=self.meta.start_time,
                           timestamps=timestamps, durations=durations, pids=with_pids, limit=limit,
                           truncated=bool(self.meta.truncated))

    def __len__(self) -> int:
        return len(self.calls)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"TextTrace has no {name!r}: it holds the text's rows only; "
                             "spykit.trace() gives the full Trace")
