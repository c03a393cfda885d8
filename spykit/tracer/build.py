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

# Python-backed strings for every text column: a name that is not UTF-8 keeps its bytes (as
# surrogate escapes; os.fsencode gives them back), which Arrow-backed strings cannot hold, and
# masks built from different columns combine without surprises.
TEXT = pd.StringDtype("python")
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


_ENTRY_DTYPE = np.dtype([("nr", "<u8"), ("args", "<u8", (6,))])
_EXIT_DTYPE = np.dtype([("rval", "<i8"), ("is_error", "u1")])  # packed: 9 bytes


def _sparse(n: int, rows, values, fill: int) -> np.ndarray:
    """A dense column from (row, value) pairs; later pairs win."""
    out = np.full(n, fill, dtype=np.int64)
    if len(rows):
        out[np.frombuffer(rows, dtype=np.int32)] = np.frombuffer(values, dtype=np.int32)
    return out


def build_frame(rec: Recorder, *, string_limit: int) -> pd.DataFrame:
    from ..syscalls.decode import render_args, result_note, short_address  # only needed here

    n = len(rec)
    entries = np.frombuffer(rec.entry_raw, dtype=_ENTRY_DTYPE, count=n)
    nrs = entries["nr"].astype(np.int64)
    argv = entries["args"]
    exits = np.frombuffer(rec.exit_raw, dtype=_EXIT_DTYPE, count=len(rec.x_row))
    x_rows = np.frombuffer(rec.x_row, dtype=np.int32)
    done = np.zeros(n, dtype=bool)
    done[x_rows] = True
    t_entry = np.frombuffer(rec.t_entry, dtype=np.float64, count=n).copy()
    t_exit = np.full(n, np.nan)
    t_exit[x_rows] = np.frombuffer(rec.t_exit, dtype=np.float64)
    errs = np.zeros(n, dtype=np.int64)
    rets = np.zeros(n, dtype=np.int64)
    is_error = exits["is_error"].astype(bool)
    rvals = exits["rval"]
    rets[x_rows] = np.where(is_error, -1, rvals)
    errs[x_rows] = np.where(is_error, -rvals, 0)
    desc_ids = _sparse(n, rec.fd_row, rec.fd_desc, NO_STR)
    # `path`: the string a call names; for calls on an fd, what the fd points to (strace -y)
    path_ids = _sparse(n, rec.path_row, rec.path_id, NO_STR)
    path_ids = np.where(path_ids == NO_STR, desc_ids, path_ids)
    fds = _sparse(n, rec.fd_row, rec.fd_val, NO_FD)

    names_by_nr = {int(nr): syscall_name(int(nr)) for nr in np.unique(nrs)}
    names = [names_by_nr[nr] for nr in nrs.tolist()]
    extra = sorted({nm for nm in names_by_nr.values() if nm not in SYSCALL_NUMBERS})
    categories = list(ALL_NAMES) + extra

    blobs = _blobs_by_row(rec)
    args_list = argv.tolist()
    ret_list = rets.tolist()
    err_list = errs.tolist()
    done_list = done.tolist()
    desc_list = desc_ids.tolist()
    strings = rec.strings
    args_text: list[str] = []
    addr: list[str | None] = [None] * n
    data: list[bytes | None] = [None] * n
    size: list[int | None] = [None] * n
    notes: list[str | None] = [None] * n
    empty: dict[int, bytes | None] = {}
    # Programs repeat themselves (a loop reads the same buffer again and again), so rows that are
    # the same in everything the decoders look at are rendered once: most rows of a long trace
    # are then a dict lookup instead of a decode.
    rendered: dict[tuple, tuple[str, str | None]] = {}
    _data_capture = _DATA_CAPTURE
    _addr_capture = _ADDR_CAPTURE
    for i in range(n):
        name = names[i]
        args = tuple(args_list[i])
        row_blobs = blobs.get(i, empty)
        finished = done_list[i]
        err = err_list[i] if finished and err_list[i] else None
        ret = ret_list[i] if finished else None
        desc_id = desc_list[i]
        key = (name, args, ret, err, desc_id, *row_blobs.items())
        hit = rendered.get(key)
        if hit is None:
            fd_path = strings[desc_id] if desc_id != NO_STR else None
            text = render_args(name, args, ret, err, row_blobs, string_limit=string_limit, fd_path=fd_path)
            note = (result_note(name, args, ret, err, row_blobs, string_limit=string_limit) or None
                    if finished and not err else None)
            hit = rendered[key] = (text, note)
        args_text.append(hit[0])
        notes[i] = hit[1]
        if name in _data_capture:
            blob = row_blobs.get(C.blob_key(_data_capture[name]))
            data[i], size[i] = _data_and_size(name, blob, args)
        if name in _addr_capture:
            cap = _addr_capture[name]
            blob = row_blobs.get(C.blob_key(cap))
            if blob and cap.kind == C.SOCKADDR_OUT:
                blob = blob[8:]
            if blob:
                addr[i] = short_address(blob)

    string_col = np.array([*strings, None], dtype=object)
    path_col = string_col[np.where(path_ids == NO_STR, len(strings), path_ids)]
    error_names = [errno_name(e) if e else None for e in err_list]
    ret_col = pd.array(rets, dtype="Int64")
    ret_col[~done] = pd.NA
    fd_col = pd.array(fds, dtype="Int64")
    fd_col[fds == NO_FD] = pd.NA
    return pd.DataFrame({
        "time": t_entry,
        "pid": np.frombuffer(rec.tid, dtype=np.int32, count=n).astype(np.int64),
        "syscall": pd.Categorical(names, categories=categories),
        "args": pd.array(args_text, dtype=TEXT),
        "ret": ret_col,
        "error": pd.array(error_names, dtype=TEXT),
        "duration": t_exit - t_entry,
        "path": pd.array(path_col, dtype=TEXT),
        "fd": fd_col,
        "category": pd.Categorical([category_of(nm) for nm in names], categories=CATEGORIES),
        "nr": nrs.astype(np.int32),
        "addr": pd.array(addr, dtype=TEXT),
        "data": pd.Series(data, dtype=object),
        "size": pd.array(size, dtype="Int64"),
        "unfinished": ~done,
        "tgid": np.frombuffer(rec.tgid, dtype=np.int32, count=n).astype(np.int64),
        "note": pd.array(notes, dtype=TEXT),
    })


def build_events(rec: Recorder) -> pd.DataFrame:
    ev = pd.DataFrame(rec.events, columns=EVENT_COLUMNS)
    return pd.DataFrame({
        "time": ev["time"].astype("float64"),
        "pid": ev["pid"].astype("int64"),
        "kind": ev["kind"].astype(TEXT),
        "signal": ev["signal"].astype(TEXT),
        "status": pd.array(ev["status"].tolist(), dtype="Int64"),
        "child": pd.array(ev["child"].tolist(), dtype="Int64"),
        "how": ev["how"].astype(TEXT),
        "text": ev["text"].astype(TEXT),
    })


def build_trace(rec: Recorder, meta: TraceMeta) -> Trace:
    meta.truncated = rec.truncated
    meta.counts = {syscall_name(nr): c for nr, c in sorted(rec.all_counts().items(), key=lambda kv: -kv[1])}
    return Trace(build_frame(rec, string_limit=meta.string_limit), build_events(rec), meta)

