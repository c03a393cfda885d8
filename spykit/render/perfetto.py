"""A Trace as Chrome's trace-event JSON, which ui.perfetto.dev and chrome://tracing open.

The format (the "Trace Event Format" document) is a JSON object with a ``traceEvents`` list.
Every event has ``ph`` (its phase: ``X`` a complete slice with ``dur``, ``i`` an instant, ``C``
a counter, ``M`` metadata such as a process's name), ``ts`` in microseconds, ``pid`` and ``tid``.
Here each process is a track group, each thread a track, each system call one ``X`` slice whose
``args`` hold its arguments and result; signals, exits and kills are instants; wait-channel
samples, when given, become a counter track per process. Unlike a matplotlib plot, the viewer
stays usable with a million calls.
"""

from __future__ import annotations

import gc
import json
import math
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..tracedata import Trace

REQUIRED = ("name", "ph", "ts", "pid", "tid")  # the fields every event here carries
_INSTANT_KINDS = {"signal": "signal", "exit": "exit", "killed": "killed", "stop": "stop"}
_CHUNK = 20_000  # events encoded at a time
_REASONS = ("cpu", "disk", "network", "input", "child", "sleep", "lock", "other")


def _number(value: Any) -> int | None:
    """json's fallback: numpy integers as numbers, pandas' NA as null."""
    import pandas as pd

    return None if value is pd.NA else int(value)


def trace_events(trace: Trace, wchan: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The trace's events, in the order the format wants none in particular (the viewer sorts).

    Times are microseconds since the trace started. A trace read from a log without timestamps
    has no times: its calls are laid out one microsecond apart, in order, and the metadata says so.
    An unfinished call lasts until the end of the trace; a call without a duration (a log without
    ``-T``) is a slice of length 0.
    """
    import numpy as np
    import pandas as pd

    from ..syscalls.results import format_result

    df = trace.df
    events: list[dict[str, Any]] = []
    times = df["time"].to_numpy(dtype=float)
    ordered = bool(len(times)) and bool(np.isnan(times).all())
    if ordered:
        times = np.arange(len(times), dtype=float) / 1e6
    durations = df["duration"].to_numpy(dtype=float)
    # the end of the trace: the last thing seen (a call's end, an exit), or the time traced
    ends = [times + np.nan_to_num(durations), times]
    if not ordered:
        ends.append(trace.events["time"].to_numpy(dtype=float))
    known_end = float(np.nanmax(np.concatenate(ends))) if len(times) else 0.0
    if not ordered and trace.meta.log is None:
        known_end = max(known_end, float(trace.meta.elapsed))
    unfinished = df["unfinished"].to_numpy(dtype=bool)
    durations = np.where(unfinished, known_end - times, np.nan_to_num(durations))
    ts = np.round(times * 1e6, 3).tolist()
    dur = np.round(np.maximum(durations, 0.0) * 1e6, 3).tolist()

    # names: each process after the program it ran, each thread by its id
    names: dict[int, str] = {}
    for pid, argvs, exe in zip(*(trace.processes()[c] for c in ("pid", "argv", "exe")), strict=True):
        label = " ".join(argvs[-1]) if argvs else (exe if isinstance(exe, str) else "")
        names[int(pid)] = f"{label} ({pid})" if label else f"process {pid}"
    threads = df[["pid", "tgid"]].drop_duplicates()
    for tgid in threads["tgid"].unique().tolist():
        events.append({"name": "process_name", "ph": "M", "ts": 0, "pid": tgid, "tid": tgid,
                       "args": {"name": names.get(tgid, f"process {tgid}")}})
    for tid, tgid in threads.itertuples(index=False):
        events.append({"name": "thread_name", "ph": "M", "ts": 0, "pid": int(tgid), "tid": int(tid),
                       "args": {"name": f"thread {tid}"}})

    columns = zip(df["pid"].tolist(), df["tgid"].tolist(), df["syscall"].astype(str).tolist(),
                  df["category"].astype(str).tolist(), df["args"].tolist(), df["ret"].tolist(),
                  df["error"].tolist(), df["note"].tolist() if "note" in df else [pd.NA] * len(df),
                  df["path"].tolist(), ts, dur, unfinished.tolist(),
                  strict=True)
    results: dict[tuple[Any, ...], str] = {}  # a result's text depends on these, bar fcntl's (its args)
    for tid, tgid, name, category, args, ret, error, note, path, start, length, running in columns:
        error = None if error is pd.NA else error
        args = None if args is pd.NA else args
        key = (name, ret, error, note, running, args if name == "fcntl" else None)
        result = results.get(key)
        if result is None:
            result = results[key] = "unfinished" if running else format_result(
                name, None if ret is pd.NA else ret, error, args, None if note is pd.NA else note)
        details: dict[str, Any] = {"args": args, "result": result}
        if error:
            details["error"] = error
        if path is not pd.NA:
            details["path"] = path
        events.append({"name": name, "cat": category, "ph": "X", "ts": start, "dur": length, "pid": tgid,
                       "tid": tid, "args": details})

    tgid_of = dict(zip(df["pid"].tolist(), df["tgid"].tolist(), strict=True))
    for time, pid, kind, sig, status, text in zip(trace.events["time"].tolist(), trace.events["pid"].tolist(),
                                                  trace.events["kind"].tolist(), trace.events["signal"].tolist(),
                                                  trace.events["status"].tolist(), trace.events["text"].tolist(),
                                                  strict=True):
        if kind not in _INSTANT_KINDS:
            continue
        if ordered or (isinstance(time, float) and math.isnan(time)):
            continue  # no time to put it at
        label = (f"exited with {status}" if kind == "exit" else f"killed by {sig}" if kind == "killed"
                 else f"stopped by {sig}" if kind == "stop" else str(sig))
        events.append({"name": label, "cat": _INSTANT_KINDS[kind], "ph": "i", "s": "t",
                       "ts": round(time * 1e6, 3), "pid": tgid_of.get(pid, pid), "tid": pid,
                       "args": {"text": None if text is pd.NA else text}})

    if wchan is not None and len(wchan):
        # one counter track per process: which reason its sampled threads were waiting for
        for time, pid, reason in zip(wchan["time"].tolist(), wchan["pid"].tolist(),
                                     wchan["reason"].astype(object).tolist(), strict=True):
            values = {r: 0 for r in _REASONS}
            if isinstance(reason, str) and reason in values:
                values[reason] = 1
            events.append({"name": "wait reason (wchan samples)", "ph": "C", "ts": round(time * 1e6, 3),
                           "pid": int(pid), "tid": int(pid), "args": values})
    return events


def to_perfetto(trace: Trace, path: str | os.PathLike[str], wchan: pd.DataFrame | None = None) -> None:
    """Write ``trace`` as trace-event JSON to ``path`` (created readable by its owner only: 0600).

    ``wchan`` takes samples from :func:`spykit.wchan` of the same run, their times counted from
    the start of the trace, and shows them as a counter track per process.
    """

    collecting = gc.isenabled()
    gc.disable()  # a million small dicts that all stay alive: the cyclic collector would only slow us
    try:
        _write(trace, path, trace_events(trace, wchan))
    finally:
        if collecting:
            gc.enable()


def _write(trace: Trace, path: str | os.PathLike[str], events: list[dict[str, Any]]) -> None:
    from ..errors import SpykitError

    source = trace.meta.log["origin"] if trace.meta.log else "spykit"
    document = {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {"command": " ".join(trace.command), "source": source,
                      "time": "the log has no timestamps: calls are 1 us apart, in order"
                      if len(trace.df) and trace.df["time"].isna().all() else "microseconds since the trace started"},
    }
    from ..private_files import replace_privately

    # json.dump encodes in Python, ten times slower than json.dumps in C: encode in chunks with
    # dumps, so a million calls neither take a minute nor need the whole text in memory
    encode = json.JSONEncoder(separators=(",", ":"), default=_number).encode
    head = encode({**document, "traceEvents": []})
    try:
        with replace_privately(path, "w", encoding="utf-8") as out:
            out.write(head[:head.index("[") + 1])
            for start in range(0, len(events), _CHUNK):
                if start:
                    out.write(",")
                out.write(encode(events[start:start + _CHUNK])[1:-1])
            out.write(head[head.index("[") + 1:])
    except OSError as error:
        raise SpykitError(f"cannot write the timeline to {os.fspath(path)!r}: {error.strerror}",
                          hint="give a path in a folder you can write to") from None
