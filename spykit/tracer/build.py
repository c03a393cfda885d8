"""Turn a Recorder's columns into the DataFrames of a Trace, once, after tracing.

This is where the decoding happens: flag names, quoted strings and addresses are made from the
raw numbers and memory blobs here, off the tracer's hot path.
"""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd

from ..syscalls import captures as C
from ..syscalls.errnos import errno_name
from ..syscalls.table import ALL_NAMES, CATEGORIES, SYSCALL_NUMBERS, category_of, syscall_name
from ..trace import Trace, TraceMeta
from .recorder import NO_FD, NO_STR, Recorder

# Calls that move data, and where their bytes are: the capture holding them.
_DATA_CALLS = ("read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2",
               "pwritev2", "sendto", "recvfrom", "sendmsg", "recvmsg")
_DATA_CAPTURE: dict[str, C.Capture] = {
    name: next(c for c in C.CAPTURES[name] if c.kind in (C.BUF, C.IOV, C.MSGHDR)) for name in _DATA_CALLS
}
_ADDR_CAPTURE: dict[str, C.Capture] = {
    name: next(c for c in caps if c.kind in (C.SOCKADDR, C.SOCKADDR_OUT))
    for name, caps in C.CAPTURES.items() if any(c.kind in (C.SOCKADDR, C.SOCKADDR_OUT) for c in caps)
}
_COUNT_ARG = {"read": 2, "write": 2, "pread64": 2, "pwrite64": 2, "sendto": 2, "recvfrom": 2}

EVENT_COLUMNS = ["time", "pid", "kind", "signal", "status", "child", "how", "text"]


def _iov_data(blob: bytes) -> tuple[bytes, int]:
    """(the data bytes, the total of the iovec lengths) from an IOV blob."""
    (count,) = struct.unpack_from("<I", blob, 0)
    head = 4 + 16 * count
    total = sum(struct.unpack_from("<Q", blob, 4 + 16 * i + 8)[0] for i in range(count))
    return blob[head:], total


def _msghdr_data(blob: bytes) -> tuple[bytes, int]:
    namelen = struct.unpack_from("<I", blob, 8)[0]
    head = struct.calcsize("<QIQQQi")
    rest = blob[head + min(namelen, 128):]
    return _iov_data(rest) if len(rest) >= 4 else (b"", 0)


def _data_and_size(name: str, blob: bytes | None, args: tuple[int, ...]) -> tuple[bytes | None, int | None]:
    cap = _DATA_CAPTURE[name]
    size = args[_COUNT_ARG[name]] if name in _COUNT_ARG else None
    if blob is None:
        return None, size
    if cap.kind == C.BUF:
        return bytes(blob), size
    data, total = _iov_data(blob) if cap.kind == C.IOV else _msghdr_data(blob)
    return bytes(data), total


def _blobs_by_row(rec: Recorder) -> dict[int, dict[int, bytes | None]]:
    out: dict[int, dict[int, bytes | None]] = {}
    data = rec.blob_data
    for row, key, off, n in zip(rec.blob_row, rec.blob_key, rec.blob_off, rec.blob_len, strict=True):
        out.setdefault(row, {})[key] = None if n < 0 else bytes(data[off:off + n])
    return out


def build_frame(rec: Recorder, *, string_limit: int) -> pd.DataFrame:
    from ..syscalls.decode import render_args, short_address  # the decoders are only needed here

    n = len(rec)
    nrs = np.frombuffer(rec.nr, dtype=np.int32) if n else np.zeros(0, np.int32)
    names = [syscall_name(int(nr)) for nr in nrs]
    extra = sorted({nm for nm in set(names) if nm not in SYSCALL_NUMBERS})
    categories = list(ALL_NAMES) + extra
    done = np.frombuffer(rec.done, dtype=np.int8).astype(bool) if n else np.zeros(0, bool)
    t_entry = np.frombuffer(rec.t_entry, dtype=np.float64) if n else np.zeros(0)
    t_exit = np.frombuffer(rec.t_exit, dtype=np.float64) if n else np.zeros(0)
    rets = np.frombuffer(rec.ret, dtype=np.int64) if n else np.zeros(0, np.int64)
    errs = np.frombuffer(rec.err, dtype=np.int32) if n else np.zeros(0, np.int32)
    strings = np.array([*rec.strings, None], dtype=object)
    path_ids = np.frombuffer(rec.path, dtype=np.int32) if n else np.zeros(0, np.int32)
    desc_ids = np.frombuffer(rec.fd_desc, dtype=np.int32) if n else np.zeros(0, np.int32)
    fds = np.frombuffer(rec.fd, dtype=np.int32) if n else np.zeros(0, np.int32)
    arg_cols = [rec.a0, rec.a1, rec.a2, rec.a3, rec.a4, rec.a5]

    blobs = _blobs_by_row(rec)
    args_text: list[str] = []
    addr: list[str | None] = [None] * n
    data: list[bytes | None] = [None] * n
    size: list[int | None] = [None] * n
    empty: dict[int, bytes | None] = {}
    for i in range(n):
        name = names[i]
        args = (arg_cols[0][i], arg_cols[1][i], arg_cols[2][i], arg_cols[3][i], arg_cols[4][i], arg_cols[5][i])
        row_blobs = blobs.get(i, empty)
        finished = bool(done[i])
        err = int(errs[i]) if finished and errs[i] else None
        ret = int(rets[i]) if finished else None
        desc_id = desc_ids[i]
        fd_path = rec.strings[desc_id] if desc_id != NO_STR else None
        args_text.append(render_args(name, args, ret, err, row_blobs, string_limit=string_limit, fd_path=fd_path))
        if name in _DATA_CAPTURE:
            cap = _DATA_CAPTURE[name]
            blob = row_blobs.get(C.blob_key(cap))
            data[i], size[i] = _data_and_size(name, blob, args)
        if name in _ADDR_CAPTURE:
            blob = row_blobs.get(C.blob_key(_ADDR_CAPTURE[name]))
            if blob:
                if _ADDR_CAPTURE[name].kind == C.SOCKADDR_OUT:
                    blob = blob[8:]
                addr[i] = short_address(blob) if blob else None

    path_col = strings[np.where(path_ids == NO_STR, len(strings) - 1, path_ids)] if n else []
    error_names = [errno_name(int(e)) if d and e else None for e, d in zip(errs, done, strict=True)]
    df = pd.DataFrame({
        "time": t_entry.copy(),
        "pid": np.frombuffer(rec.tid, dtype=np.int32).astype(np.int64) if n else np.zeros(0, np.int64),
        "syscall": pd.Categorical(names, categories=categories),
        "args": pd.array(args_text, dtype="string"),
        "ret": pd.array(np.where(done, rets, 0), dtype="Int64"),
        "error": pd.array(error_names, dtype="string"),
        "duration": np.where(done, t_exit - t_entry, np.nan),
        "path": pd.array(list(path_col), dtype="string"),
        "fd": pd.array(fds.astype(np.int64), dtype="Int64"),
        "category": pd.Categorical([category_of(nm) for nm in names], categories=CATEGORIES),
        "nr": nrs.astype(np.int32).copy(),
        "addr": pd.array(addr, dtype="string"),
        "data": pd.Series(data, dtype=object),
        "size": pd.array(size, dtype="Int64"),
        "unfinished": ~done,
        "tgid": np.frombuffer(rec.tgid, dtype=np.int32).astype(np.int64) if n else np.zeros(0, np.int64),
    })
    if n:
        df.loc[~done, "ret"] = pd.NA
        df.loc[fds == NO_FD, "fd"] = pd.NA
    return df


def build_events(rec: Recorder) -> pd.DataFrame:
    ev = pd.DataFrame(rec.events, columns=EVENT_COLUMNS)
    return pd.DataFrame({
        "time": ev["time"].astype("float64"),
        "pid": ev["pid"].astype("int64"),
        "kind": ev["kind"].astype("string"),
        "signal": ev["signal"].astype("string"),
        "status": pd.array(ev["status"].tolist(), dtype="Int64"),
        "child": pd.array(ev["child"].tolist(), dtype="Int64"),
        "how": ev["how"].astype("string"),
        "text": ev["text"].astype("string"),
    })


def build_trace(rec: Recorder, meta: TraceMeta) -> Trace:
    meta.truncated = rec.truncated
    meta.counts = {syscall_name(nr): c for nr, c in sorted(rec.all_counts().items(), key=lambda kv: -kv[1])}
    return Trace(build_frame(rec, string_limit=meta.string_limit), build_events(rec), meta)

