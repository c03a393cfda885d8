"""Turn a Recorder's columns into the DataFrames of a Trace, once, after tracing.

This is where the decoding happens: flag names, quoted strings and addresses are made from the
raw numbers and memory blobs here, off the tracer's hot path.
"""

from __future__ import annotations

import functools
import struct

import numpy as np
import pandas as pd

from ..fdkinds import fd_kinds
from ..startup import startup_mask
from ..syscalls import abi as A
from ..syscalls import captures as C
from ..syscalls.errnos import errno_name
from ..syscalls.flags.words import WORD_CALLS, flag_words
from ..syscalls.table import ALL_NAMES, CATEGORIES, SYSCALL_NUMBERS, category_of, syscall_name
from ..tracedata import Trace, TraceMeta
from .recorder import NO_FD, NO_STR, Recorder
from .rows import decode_row

# Calls that move data, and where their bytes are: the capture holding them.
_DATA_CAPTURE: dict[str, C.Capture] = {
    name: next(c for c in C.CAPTURES[name] if C.is_data_capture(name, c)) for name in sorted(C.DATA_CALLS)
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


_INT64_MAX = (1 << 63) - 1


def _iov_data(blob: bytes, moved_total: int | None) -> tuple[bytes, int]:
    """(the data bytes, the total of the iovec lengths) from an IOV blob.

    The data is what the iovecs held, in order, up to the first one the tracer cut: each iovec
    is kept up to a per-element limit, so the bytes after a cut one do not follow on from it.
    ``moved_total`` is how many bytes the call moved (None: every iovec whole, as for writev).
    """
    (count,) = struct.unpack_from("<I", blob, 0)
    head = 4 + 16 * count
    lengths = [struct.unpack_from("<Q", blob, 4 + 16 * i + 8)[0] for i in range(count)]
    left = sum(lengths) if moved_total is None else max(moved_total, 0)
    moved = []
    for length in lengths:
        moved.append(min(length, left))
        left -= moved[-1]
    data = blob[head:]
    kept = C.iov_chunks(moved, len(data))
    end = 0
    for went, have in zip(moved, kept, strict=True):
        end += have
        if have < went:
            break
    total = sum(lengths)
    # The lengths are the program's own numbers, up to SIZE_MAX each (the kernel then fails the
    # call with EINVAL): a total past what the int64 `size` column holds is unknown there (-1).
    return data[:end], total if total <= _INT64_MAX else -1


def _msghdr_data(blob: bytes, moved_total: int | None) -> tuple[bytes, int]:
    namelen = struct.unpack_from("<I", blob, 8)[0]
    head = struct.calcsize("<QIQQQi")
    rest = blob[head + min(namelen, 128):]
    return _iov_data(rest, moved_total) if len(rest) >= 4 else (b"", 0)


_ENTRY_DTYPE = np.dtype([("nr", "<u8"), ("args", "<u8", (6,))])
_EXIT_DTYPE = np.dtype([("rval", "<i8"), ("is_error", "u1")])  # packed: 9 bytes
_TABLE = 1024  # per-syscall-number lookup tables; larger numbers get the "other" treatment


def _sparse(n: int, rows, values, fill: int) -> np.ndarray:
    """A dense column from (row, value) pairs; later pairs win."""
    out = np.full(n, fill, dtype=np.int32)
    if len(rows):
        out[np.frombuffer(rows, dtype=np.int32)] = np.frombuffer(values, dtype=np.int32)
    return out


class _Blobs:
    """The recorder's memory captures, deduplicated: equal contents become one bytes object.

    ``content[j]`` is the id of blob j's bytes in ``objects`` (-1: the pointer was unreadable),
    and ``row_sig`` gives each row one integer standing for all its blobs, so that rows can be
    compared as plain numbers. Blobs of up to 8 bytes (a read or write of a few bytes, the bulk
    of a busy trace) are deduplicated by numpy; longer ones one by one.
    """

    def __init__(self, rec: Recorder, n: int):
        m = len(rec.blob_row)
        self.rows = np.frombuffer(rec.blob_row, dtype=np.int32, count=m)
        self.keys = np.frombuffer(rec.blob_key, dtype=np.int8, count=m)
        lengths = np.frombuffer(rec.blob_len, dtype=np.int32, count=m).astype(np.int64)
        offsets = np.frombuffer(rec.blob_off, dtype=np.uint64, count=m).astype(np.int64)
        content = np.full(m, -1, dtype=np.int64)
        objects: list[bytes] = []
        raw = np.frombuffer(rec.blob_data, dtype=np.uint8)
        small = np.flatnonzero((lengths >= 0) & (lengths <= 8))
        if len(small):
            packed = np.zeros(len(small), dtype=np.uint64)
            for byte in range(8):
                present = lengths[small] > byte
                where = np.minimum(offsets[small] + byte, max(len(raw) - 1, 0))
                value = raw[where].astype(np.uint64) if len(raw) else np.zeros(len(small), dtype=np.uint64)
                packed |= np.where(present, value, 0).astype(np.uint64) << np.uint64(8 * byte)
            # Up to 7 bytes leave the top byte free for the length; 8-byte blobs are a group of their own.
            short = lengths[small] < 8
            for group, key in ((short, packed | (lengths[small].astype(np.uint64) << np.uint64(56))),
                               (~short, packed)):
                if not group.any():
                    continue
                codes, distinct = pd.factorize(key[group])
                content[small[group]] = codes + len(objects)
                size = None if group is short else 8
                objects.extend(int(v).to_bytes(8, "little")[:(v >> 56) if size is None else 8]
                               for v in distinct.tolist())
        ids: dict[bytes, int] = {obj: i for i, obj in enumerate(objects)}
        view = memoryview(rec.blob_data)
        for j in np.flatnonzero(lengths > 8).tolist():
            off = int(offsets[j])
            data = bytes(view[off:off + int(lengths[j])])
            cid = ids.get(data)
            if cid is None:
                cid = ids[data] = len(objects)
                objects.append(data)
            content[j] = cid
        self.content = content
        self.objects = objects
        # one number per row for all its blobs: (key, content) packed, or a tuple's id when several
        per_row = np.bincount(self.rows, minlength=n) if m else np.zeros(n, dtype=np.int64)
        sig = np.full(n, -1, dtype=np.int64)
        if m:
            packed_sig = (self.keys.astype(np.int64) << 40) | (content + 1)
            single = per_row[self.rows] == 1
            sig[self.rows[single]] = packed_sig[single]
            several: dict[int, list[int]] = {}
            for j in np.flatnonzero(~single).tolist():
                several.setdefault(int(self.rows[j]), []).append(int(packed_sig[j]))
            tuples: dict[tuple[int, ...], int] = {}
            for row, parts in several.items():
                sig[row] = (1 << 62) + tuples.setdefault(tuple(parts), len(tuples))
        self.row_sig = sig

    def for_rows(self, rows: np.ndarray) -> dict[int, dict[int, bytes | None]]:
        """The blobs of the given rows, as the decoders take them."""
        out: dict[int, dict[int, bytes | None]] = {int(r): {} for r in rows.tolist()}
        mine = np.flatnonzero(np.isin(self.rows, rows))
        for row, key, cid in zip(self.rows[mine].tolist(), self.keys[mine].tolist(), self.content[mine].tolist(),
                                 strict=True):
            out[row][key] = None if cid < 0 else self.objects[cid]
        return out


def _row_hashes(columns: list[np.ndarray]) -> np.ndarray:
    """One 64-bit hash per row over several numeric columns, a column at a time (little memory)."""
    hashes = np.zeros(len(columns[0]), dtype=np.uint64)
    for column in columns:
        hashes *= np.uint64(0x100000001B3)  # FNV-style mixing of the per-column hashes
        hashes ^= pd.util.hash_array(np.ascontiguousarray(column))
    return hashes


@functools.cache
def _error_names() -> np.ndarray:
    """errno number -> name, as an array to index with a whole column at once."""
    return np.array([None] + [errno_name(e) for e in range(1, 4096)], dtype=object)


@functools.cache
def _categories(names: tuple[str, ...]) -> tuple[pd.CategoricalDtype, dict[str, int]]:
    """The dtype of a categorical column and each name's code, made once: pandas checks the 400-odd
    names on each creation, and reading them back out of the dtype is slower still."""
    return pd.CategoricalDtype(list(names)), {name: code for code, name in enumerate(names)}


def _nullable_ints(values: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    """An Int64 column from int64 values and a mask of the missing ones, without a copy or a check."""
    return pd.arrays.IntegerArray(values.astype(np.int64, copy=False), missing)


def _text(values: np.ndarray) -> pd.arrays.StringArray:
    """A text column over an object array of str and None that we own: taken over in place (None
    becomes NA), not copied, which matters at a million rows."""
    return pd.arrays.StringArray(values, dtype=TEXT, copy=False)


def _first_of_each(codes: np.ndarray, k: int) -> np.ndarray:
    """The index of the first row of each group, for group codes 0..k-1."""
    first = np.empty(k, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first


def _release(*buffers) -> None:
    """Empty recorder buffers that are no longer needed, giving their memory back at once.

    (A buffer something still views cannot be resized: it is left as it is.)
    """
    for buffer in buffers:
        try:
            del buffer[:]
        except BufferError:
            pass


@functools.cache
def _abi_dtype() -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(A.ABI_NAMES))


def _call_keys(nrs: np.ndarray, abis: np.ndarray):
    """One int64 per row standing for its call (table and number), and the way back to (abi, nr).

    Nearly every trace is x86_64 only: then the key is the number itself. With calls of other
    tables, whose numbers mean other calls (i386's 5 is open, x86_64's fstat), the key is a hash
    of both."""
    if not abis.any():
        return nrs, lambda key: (A.X86_64, key)
    keys = _row_hashes([nrs, abis]).view(np.int64)
    _uniq, first = np.unique(keys, return_index=True)
    pairs = {int(keys[i]): (int(abis[i]), int(nrs[i])) for i in first.tolist()}
    return keys, pairs.__getitem__


def build_frame(rec: Recorder, *, string_limit: int, decode_fds: bool = False,
                data_limit: int = C.DATA_LIMIT) -> pd.DataFrame:
    """The ``Trace.df`` of a recording. The recorder is used up: its buffers are emptied as soon
    as what they hold is in the frame's columns, so that a big trace does not need both at once.

    Programs repeat themselves (a loop reads into the same buffer again and again), so the rows
    are grouped by everything the decoders look at, with a hash over the numeric columns, and
    each group is decoded once: a million-row trace of a loop costs a handful of decodes.
    """
    from ..syscalls.decode import short_address  # only needed here

    n = len(rec)
    # The raw entries first (56 bytes a row, the biggest buffer): the call numbers, the count
    # arguments, and the rows grouped by their arguments, whose first rows' arguments are kept.
    entries = np.frombuffer(rec.entry_raw, dtype=_ENTRY_DTYPE, count=n)
    nrs = entries["nr"].astype(np.int64)
    argv = entries["args"]
    abis = np.zeros(n, dtype=np.int8)  # the table of each call (spykit.syscalls.abi): x86_64 but a few
    if len(rec.abi_row):
        abis[np.frombuffer(rec.abi_row, dtype=np.int32)] = np.frombuffer(rec.abi_val, dtype=np.int8)
    keys, call_of_key = _call_keys(nrs, abis)
    present = np.unique(keys)
    names_by_nr = {int(key): A.call_name(*call_of_key(int(key))) for key in present}
    size_col = np.full(n, -1, dtype=np.int64)
    for nr in present.tolist():
        name = names_by_nr[nr]
        if name in _COUNT_ARG:
            rows_of_call = np.flatnonzero(keys == nr)
            size_col[rows_of_call] = argv[rows_of_call, _COUNT_ARG[name]].astype(np.int64)
    arg_codes, arg_uniques = pd.factorize(_row_hashes([keys, *(argv[:, a] for a in range(6))]))
    args_of = argv[_first_of_each(arg_codes, len(arg_uniques))].copy()  # by arg_codes
    del entries, argv, arg_uniques
    _release(rec.entry_raw)

    exits = np.frombuffer(rec.exit_raw, dtype=_EXIT_DTYPE, count=len(rec.x_row))
    x_rows = np.frombuffer(rec.x_row, dtype=np.int32)
    done = np.zeros(n, dtype=bool)
    done[x_rows] = True
    t_exit = np.full(n, np.nan)
    t_exit[x_rows] = np.frombuffer(rec.t_exit, dtype=np.float64)
    errs = np.zeros(n, dtype=np.int32)
    rets = np.zeros(n, dtype=np.int64)
    is_error = exits["is_error"].astype(bool)
    rvals = exits["rval"]
    rets[x_rows] = np.where(is_error, -1, rvals)
    errs[x_rows] = np.where(is_error, -rvals, 0)
    del exits, is_error, rvals, x_rows
    _release(rec.exit_raw, rec.x_row, rec.t_exit)
    desc_ids = _sparse(n, rec.fd_row, rec.fd_desc, NO_STR)
    # `path`: the string a call names; for calls on an fd, what the fd points to (strace -y)
    path_ids = _sparse(n, rec.path_row, rec.path_id, NO_STR)
    path_ids = np.where(path_ids == NO_STR, desc_ids, path_ids)
    fds = _sparse(n, rec.fd_row, rec.fd_val, NO_FD)
    _release(rec.fd_row, rec.fd_desc, rec.fd_val, rec.path_row, rec.path_id)
    blobs = _Blobs(rec, n)

    # Group the rows that decode the same, and decode one row of each group.
    codes, uniques = pd.factorize(_row_hashes([arg_codes, done, rets, errs, desc_ids, blobs.row_sig]))
    blobs.row_sig = None  # 8 bytes a row, no longer needed
    k = len(uniques)
    first = _first_of_each(codes, k)
    group_argv = args_of[arg_codes[first]]
    del arg_codes, args_of, uniques
    rendered_args: list[str] = []
    rendered_notes: list[str | None] = []
    group_flags: list[str | None] = []  # a file call's flags in words, from its numbers
    strings = rec.strings
    blobs_of = blobs.for_rows(first)
    # (the groups' values as Python lists first: indexing numpy arrays one scalar at a time is slow)
    columns = (first.tolist(), abis[first].tolist(), nrs[first].tolist(), done[first].tolist(),
               errs[first].tolist(), rets[first].tolist(), desc_ids[first].tolist(), group_argv.tolist())
    for i, abi, nr, finished, error, result, desc_id, argv_row in zip(*columns, strict=True):
        name = A.call_name(abi, nr)
        args = tuple(argv_row)
        row_blobs = blobs_of[i]
        err = error if finished and error else None
        ret = result if finished else None
        fd_path = strings[desc_id] if desc_id != NO_STR else None
        text, note = decode_row(name, args, ret, err, row_blobs, string_limit=string_limit, fd_path=fd_path,
                                decode_fds=decode_fds, abi=abi)
        rendered_args.append(text)
        rendered_notes.append(note)
        portable = not abi or name in A.PORTABLE_DECODERS
        group_flags.append(flag_words(name, args) if name in WORD_CALLS and portable else None)
    args_col = np.array(rendered_args, dtype=object)[codes] if n else np.empty(0, dtype=object)
    note_col = np.array(rendered_notes, dtype=object)[codes] if n else np.empty(0, dtype=object)
    flag_codes, flag_texts = pd.factorize(np.array(group_flags, dtype=object), use_na_sentinel=True)
    flags_col = pd.Categorical.from_codes(flag_codes[codes] if n else np.empty(0, dtype=np.int64),
                                          categories=pd.CategoricalDtype(list(flag_texts)).categories)

    # Names, classes, and the data and addresses some calls carry, by lookup tables over numbers.
    extra = sorted({nm for nm in names_by_nr.values() if nm not in SYSCALL_NUMBERS})
    categories, name_code = _categories((*ALL_NAMES, *extra))
    syscall_codes = np.array([name_code[names_by_nr[int(nr)]] for nr in present], dtype=np.int64)
    syscall_col = pd.Categorical.from_codes(syscall_codes[np.searchsorted(present, keys)], dtype=categories)
    classes, class_code = _categories(tuple(CATEGORIES))
    class_codes = np.array([class_code[category_of(names_by_nr[int(nr)])] for nr in present], dtype=np.int64)
    category_col = pd.Categorical.from_codes(class_codes[np.searchsorted(present, keys)], dtype=classes)

    data_col = np.full(n, None, dtype=object)
    data_len = np.full(n, -1, dtype=np.int64)  # bytes kept in `data`; -1: none
    addr_col = np.full(n, None, dtype=object)
    # A data blob is read up to the string limit at least (the args text shows that much): the
    # data column keeps at most data_limit of it.
    kept = [o if len(o) <= data_limit else o[:data_limit] for o in blobs.objects]
    data_objects = np.array(kept + [None], dtype=object)  # index -1: unreadable
    data_lengths = np.array([len(o) for o in kept] + [-1], dtype=np.int64)
    for nr in present.tolist():
        name = names_by_nr[nr]
        data_cap = _DATA_CAPTURE.get(name)
        addr_cap = _ADDR_CAPTURE.get(name)
        if data_cap is None and addr_cap is None:
            continue
        if data_cap is not None:
            mine = (blobs.keys == C.blob_key(data_cap)) & (keys[blobs.rows] == nr)
            rows, cids = blobs.rows[mine], blobs.content[mine]
            if data_cap.kind == C.BUF:
                data_col[rows] = data_objects[cids]
                data_len[rows] = data_lengths[cids]
            else:  # iovec and msghdr blobs carry a header before the data: parse each distinct one
                parse = _iov_data if data_cap.kind == C.IOV else _msghdr_data
                by_ret = data_cap.total_arg == C.RET  # a receiving call: its result says how much came
                parsed: dict[tuple[int, int], tuple[bytes, int]] = {}
                for row, cid in zip(rows.tolist(), cids.tolist(), strict=True):
                    if cid < 0:
                        continue
                    moved = int(rets[row]) if by_ret else -1
                    if (cid, moved) not in parsed:
                        data, size = parse(blobs.objects[cid], moved if by_ret else None)
                        parsed[(cid, moved)] = (data[:data_limit], size)
                    data_col[row], size_col[row] = parsed[(cid, moved)]
                    data_len[row] = len(data_col[row])
        if addr_cap is not None:
            mine = (blobs.keys == C.blob_key(addr_cap)) & (keys[blobs.rows] == nr)
            shown: dict[int, str | None] = {}
            for row, cid in zip(blobs.rows[mine].tolist(), blobs.content[mine].tolist(), strict=True):
                if cid < 0:
                    continue
                if cid not in shown:
                    blob = blobs.objects[cid]
                    if addr_cap.kind == C.SOCKADDR_OUT:
                        blob = blob[8:]
                    shown[cid] = short_address(blob) if blob else None
                addr_col[row] = shown[cid]

    del blobs, blobs_of
    _release(rec.blob_row, rec.blob_key, rec.blob_off, rec.blob_len, rec.blob_data)
    string_col = np.array([*strings, None], dtype=object)
    path_col = string_col[np.where(path_ids == NO_STR, len(strings), path_ids)]
    error_col = _error_names()[np.clip(errs, 0, 4095)]
    ret_col = _nullable_ints(rets, ~done)
    fd_col = _nullable_ints(fds, fds == NO_FD)
    size_arr = _nullable_ints(size_col, size_col < 0)
    # whole when every byte the call moved is kept; unknown where no data was kept or it failed
    complete = pd.arrays.BooleanArray(data_len >= rets, (data_len < 0) | ~done | (errs != 0))
    del data_len
    error_text = _text(error_col)
    # widened to int64 only now, after the grouping's transient peak
    pid_col = np.frombuffer(rec.tid, dtype=np.int32, count=n).astype(np.int64)
    tgid_col = np.frombuffer(rec.tgid, dtype=np.int32, count=n).astype(np.int64)
    t_entry = np.frombuffer(rec.t_entry, dtype=np.float64, count=n).copy()
    _release(rec.tid, rec.tgid, rec.t_entry)
    # start-up lookups and fd kinds, from the columns they are decided on and the paths as the
    # tracer interned them (a frame of its own: adding a column to the finished frame would make
    # pandas copy its blocks; and the paths need no hashing)
    deciding = pd.DataFrame({"pid": pid_col, "tgid": tgid_col, "syscall": syscall_col, "fd": fd_col,
                             "error": error_text}, copy=False)
    startup = startup_mask(deciding, paths=(path_ids, strings), errnos=errs)  # (NO_STR is their -1)
    fd_kind = fd_kinds(deciding, paths=(path_ids, strings))
    del path_ids, deciding
    # copy=False: the columns are fresh arrays of ours; copying them into pandas' 2-D blocks would
    # add a transient third of the frame's size to the peak memory of a big build.
    frame = pd.DataFrame({
        "time": t_entry,
        "pid": pid_col,
        "syscall": syscall_col,
        "args": _text(args_col),
        "ret": ret_col,
        "error": error_text,
        "duration": t_exit - t_entry,
        "path": _text(path_col),
        "fd": fd_col,
        "category": category_col,
        "nr": nrs.astype(np.int32),
        "addr": _text(addr_col),
        "data": pd.Series(data_col, dtype=object, copy=False),
        "data_complete": complete,
        "size": size_arr,
        "unfinished": ~done,
        "tgid": tgid_col,
        "note": _text(note_col),
        "flags": flags_col,
        "startup": startup,
        "abi": pd.Categorical.from_codes(abis.astype(np.int64), dtype=_abi_dtype()),
        "fd_kind": fd_kind.array,
    }, copy=False)
    return frame


def build_events(rec: Recorder) -> pd.DataFrame:
    columns = dict(zip(EVENT_COLUMNS, map(list, zip(*rec.events, strict=True)), strict=True)) if rec.events \
        else {name: [] for name in EVENT_COLUMNS}

    def ints(values: list) -> pd.arrays.IntegerArray:
        missing = np.array([v is None for v in values], dtype=bool)
        return _nullable_ints(np.array([0 if v is None else v for v in values], dtype=np.int64), missing)

    def text(values: list) -> pd.arrays.StringArray:
        return _text(np.array(values, dtype=object))

    return pd.DataFrame({
        "time": np.array(columns["time"], dtype=np.float64),
        "pid": np.array(columns["pid"], dtype=np.int64),
        "kind": text(columns["kind"]),
        "signal": text(columns["signal"]),
        "status": ints(columns["status"]),
        "child": ints(columns["child"]),
        "how": text(columns["how"]),
        "text": text(columns["text"]),
    })


# The argv and envp captures of the exec calls: (blob key of argv, blob key of envp)
_EXEC_ARRAYS = {name: tuple(C.blob_key(c) for c in C.CAPTURES[name] if c.kind == C.STRARRAY)
                for name in ("execve", "execveat")}


def _string_list(blob: bytes) -> list[str]:
    """The strings of a STRARRAY blob; names that are not UTF-8 keep their bytes as surrogate escapes."""
    out = []
    offset = 4
    while offset + 4 <= len(blob):
        (n,) = struct.unpack_from("<I", blob, offset)
        out.append(blob[offset + 4:offset + 4 + n].decode("utf-8", "surrogateescape"))
        offset += 4 + n
    return out


def exec_values(rec: Recorder) -> list[dict]:
    """Each recorded exec call's whole argv and environment: ``{"row", "argv", "env"}``, by row.

    ``env`` maps each variable to its value (an entry without ``=`` maps to ``""``; a name given
    twice keeps its last value, as getenv would not, but as a shell shows it); None when unreadable.
    """
    n = len(rec)
    if not n or not len(rec.blob_row):
        return []
    nrs = np.frombuffer(rec.entry_raw, dtype=_ENTRY_DTYPE, count=n)["nr"].astype(np.int64)
    if len(rec.abi_row):  # an i386 or x32 call's number means another call: never one of these
        nrs = nrs.copy()
        nrs[np.frombuffer(rec.abi_row, dtype=np.int32)] = -1
    keys_of_nr = {int(nr): _EXEC_ARRAYS[syscall_name(int(nr))] for nr in np.unique(nrs).tolist()
                  if syscall_name(int(nr)) in _EXEC_ARRAYS}
    if not keys_of_nr:
        return []
    m = len(rec.blob_row)
    blob_rows = np.frombuffer(rec.blob_row, dtype=np.int32, count=m)
    blob_keys = np.frombuffer(rec.blob_key, dtype=np.int8, count=m)
    offsets = np.frombuffer(rec.blob_off, dtype=np.uint64, count=m)
    lengths = np.frombuffer(rec.blob_len, dtype=np.int32, count=m)
    found: dict[int, dict] = {}
    view = memoryview(rec.blob_data)
    for j in np.flatnonzero(np.isin(blob_rows, np.flatnonzero(np.isin(nrs, list(keys_of_nr))))).tolist():
        row = int(blob_rows[j])
        argv_key, env_key = keys_of_nr[int(nrs[row])]
        key = int(blob_keys[j])
        if key not in (argv_key, env_key):
            continue
        entry = found.setdefault(row, {"row": row, "argv": None, "env": None})
        if lengths[j] < 0:
            continue
        strings = _string_list(bytes(view[int(offsets[j]):int(offsets[j]) + int(lengths[j])]))
        if key == argv_key:
            entry["argv"] = strings
        else:
            entry["env"] = dict(item.partition("=")[::2] for item in strings)
    return [found[row] for row in sorted(found)]


def build_trace(rec: Recorder, meta: TraceMeta) -> Trace:
    meta.truncated = rec.truncated
    meta.execs = exec_values(rec)
    meta.counts = {}
    for key, count in sorted(rec.all_counts().items(), key=lambda kv: -kv[1]):
        name = A.call_name(*A.split_key(key))
        meta.counts[name] = meta.counts.get(name, 0) + count  # i386's open counts with x86_64's
    df = build_frame(rec, string_limit=meta.string_limit, decode_fds=meta.decode_fds, data_limit=meta.data_limit)
    return Trace(df, build_events(rec), meta)

