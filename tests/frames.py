"""Hand-made trace frames for tests: a few rows, written out, with the dtypes of spykit/tracedata.py.

Tests of pure functions build their input here instead of tracing, so each test says exactly
which calls it is about. ``call(...)`` and ``event(...)`` fill in the columns a test does not
care about with what the tracer would put there.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from spykit.fdkinds import with_fd_kind
from spykit.tracedata import DF_COLUMNS, Trace, TraceMeta

# Column order and dtypes, as spykit/tracedata.py defines them (fd_kind is derived from the others).
DF_DTYPES: dict[str, str] = {c: t for c, t in DF_COLUMNS.items() if c != "fd_kind"}

EVENT_DTYPES: dict[str, str] = {
    "time": "float64",
    "pid": "int64",
    "kind": "string",
    "signal": "string",
    "status": "Int64",
    "child": "Int64",
    "how": "string",
    "text": "string",
}

# A handful of x86_64 numbers and main classes, enough for the frames below.
_NR = {"read": 0, "write": 1, "open": 2, "close": 3, "stat": 4, "access": 21, "sendto": 44, "recvfrom": 45,
       "connect": 42, "accept": 43, "bind": 49, "listen": 50, "clone": 56, "execve": 59, "exit_group": 231,
       "openat": 257, "newfstatat": 262, "mkdir": 83, "unlink": 87, "wait4": 61, "writev": 20,
       "sendmsg": 46, "recvmsg": 47, "accept4": 288, "socket": 41, "readlink": 89, "fsync": 74,
       "nanosleep": 35, "pwrite64": 18}
_CATEGORY = {"read": "desc", "write": "desc", "writev": "desc", "pwrite64": "desc", "close": "desc",
             "fsync": "desc", "open": "file", "openat": "file", "stat": "file", "newfstatat": "file",
             "access": "file", "mkdir": "file", "unlink": "file", "readlink": "file",
             "execve": "process", "clone": "process", "exit_group": "process", "wait4": "process",
             "sendto": "network", "recvfrom": "network", "connect": "network", "accept": "network",
             "accept4": "network", "bind": "network", "listen": "network", "socket": "network",
             "sendmsg": "network", "recvmsg": "network", "nanosleep": "clock"}


def call(syscall: str, args: str = "", ret: Any = 0, *, time: float = 0.0, pid: int = 100,
         error: str | None = None, duration: float | None = 1e-5, path: str | None = None,
         fd: int | None = None, addr: str | None = None, data: bytes | None = None,
         size: int | None = None, unfinished: bool = False, tgid: int | None = None,
         flags: str | None = None, startup: bool = False, abi: str = "x86_64", note: str | None = None,
         data_complete: bool | None = None) -> dict[str, Any]:
    """One row of ``Trace.df``. A failed call gets ``ret=-1``; an unfinished one no ret nor duration."""
    if error is not None:
        ret = -1
    if unfinished:
        ret, duration = None, None
    return {
        "time": time, "pid": pid, "syscall": syscall, "args": args, "ret": ret, "error": error,
        "duration": float("nan") if duration is None else duration, "path": path, "fd": fd,
        "category": _CATEGORY.get(syscall, "other"), "nr": _NR.get(syscall, 999), "addr": addr,
        "data": data, "size": size, "unfinished": unfinished, "tgid": pid if tgid is None else tgid,
        "flags": flags, "startup": startup, "abi": abi, "note": note,
        # (data kept whole unless a test says otherwise; no data, no answer)
        "data_complete": (data is not None) if data_complete is None and data is not None else data_complete,
    }


def event(kind: str, *, time: float = 0.0, pid: int = 100, signal: str | None = None,
          status: int | None = None, child: int | None = None, how: str | None = None,
          text: str | None = None) -> dict[str, Any]:
    """One row of ``Trace.events``."""
    return {"time": time, "pid": pid, "kind": kind, "signal": signal, "status": status, "child": child,
            "how": how, "text": text}


def _typed(rows: list[dict[str, Any]], dtypes: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(dtypes))
    for column, dtype in dtypes.items():
        if dtype == "object":
            frame[column] = pd.Series([r[column] for r in rows], dtype=object)
        else:
            frame[column] = frame[column].astype(dtype)
    return frame


def make_df(rows: list[dict[str, Any]], *, times: bool = True) -> pd.DataFrame:
    """A ``Trace.df`` from ``call(...)`` rows; ``times`` spaces rows 1 ms apart when all times are 0."""
    if times and rows and all(r["time"] == 0.0 for r in rows):
        rows = [{**r, "time": i / 1000} for i, r in enumerate(rows)]
    return with_fd_kind(_typed(rows, DF_DTYPES))  # derived from the other columns, as the tracer does


def make_events(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A ``Trace.events`` from ``event(...)`` rows."""
    return _typed(rows, EVENT_DTYPES)


def make_trace(rows: list[dict[str, Any]], events: list[dict[str, Any]] | None = None,
               **meta: Any) -> Trace:
    """A whole ``Trace`` from rows and events; keyword arguments set ``TraceMeta`` fields."""
    meta.setdefault("command", ["prog"])
    meta.setdefault("returncode", 0)
    meta.setdefault("pid", rows[0]["pid"] if rows else 100)
    return Trace(make_df(rows), make_events(events or []), TraceMeta(**meta))
