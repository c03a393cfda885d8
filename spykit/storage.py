"""Saving a trace to one Parquet file and reading it back, exactly.

The file holds ``Trace.df`` as its table. Two entries of the Parquet schema metadata hold the
rest, so a trace is always one file to copy or attach:

- ``spykit.trace``: the :class:`~spykit.tracedata.TraceMeta` as JSON (captured stdout and stderr
  as base64), including the format version;
- ``spykit.events``: ``Trace.events`` as an Arrow IPC stream, base64;
- ``spykit.dtypes``: every column's pandas dtype (with a categorical's categories).

pyarrow keeps most pandas dtypes in its own metadata (``Int64``, ``string``, bytes in
``data``); the dtype list covers what it drops, such as an empty categorical's categories, so
both frames come back exactly as they went in.

Loading trusts nothing in the file: a trace may come from anyone. Everything is checked (the
metadata's entries and their types, the dtype list, the columns readers need, from
:data:`~spykit.tracedata.DF_COLUMNS` and :data:`~spykit.tracedata.EVENT_COLUMNS`, and the kind of values
they hold), and anything wrong is a :class:`~spykit.TraceFileError` that says what.

Traces hold payloads, environment strings and whatever a program wrote, so the file is created
readable by its owner only: written to a new file opened with mode 0600 in the same directory,
then renamed over the destination (an existing file with looser permissions is replaced, never
reused).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import stat
from collections.abc import Iterable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import TraceFileError
from .fdkinds import with_fd_kind
from .private_files import replace_privately
from .tracedata import DF_COLUMNS, EVENT_COLUMNS, FIRST_DF_COLUMNS, TRACE_FORMAT_VERSION, Trace, TraceMeta

META_KEY = b"spykit.trace"
EVENTS_KEY = b"spykit.events"
DTYPES_KEY = b"spykit.dtypes"
_BYTES_FIELDS = ("stdout", "stderr")


def _meta_to_json(meta: TraceMeta) -> bytes:
    fields = dataclasses.asdict(meta)
    for name in _BYTES_FIELDS:
        if fields[name] is not None:
            fields[name] = base64.b64encode(fields[name]).decode("ascii")
    return json.dumps(fields).encode()


# The type each TraceMeta entry must have in the file (stdout and stderr are base64 text there).
_META_TYPES: dict[str, tuple[type, ...]] = {
    "command": (list,), "returncode": (int, type(None)), "start_time": (int, float), "elapsed": (int, float),
    "pid": (int, type(None)), "attached": (bool,), "truncated": (bool,), "counts": (dict,),
    "selection": (list, str, type(None)), "string_limit": (int,), "decode_fds": (bool,),
    "stdout": (str, type(None)), "stderr": (str, type(None)), "version": (int,),
}


def _json(raw: bytes, where: str, what: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:  # RecursionError: nesting deeper than Python's stack
        raise TraceFileError(f"{where} has damaged {what} (not readable JSON: {type(error).__name__})") from None


def _meta_from_json(raw: bytes, where: str) -> TraceMeta:
    fields = _json(raw, where, "trace metadata")
    if not isinstance(fields, dict):
        raise TraceFileError(f"{where} has damaged trace metadata (a JSON object was expected, "
                             f"not {type(fields).__name__})")
    version = fields.get("version")
    if version != TRACE_FORMAT_VERSION:
        raise TraceFileError(
            f"{where} holds a trace in format version {version}; this spykit reads version "
            f"{TRACE_FORMAT_VERSION}",
            hint="open it with the spykit version that saved it, or trace the program again")
    known = {f.name for f in dataclasses.fields(TraceMeta)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise TraceFileError(f"{where} has damaged trace metadata (unknown entries: {', '.join(unknown)})")

    def damaged(name: str, wanted: str) -> TraceFileError:
        return TraceFileError(f"{where} has damaged trace metadata ({name!r} should be {wanted}, "
                              f"not {type(fields[name]).__name__})")

    for name, value in fields.items():
        types = _META_TYPES.get(name)
        if types is not None and (not isinstance(value, types) or (isinstance(value, bool) and bool not in types)):
            raise damaged(name, " or ".join("null" if t is type(None) else t.__name__ for t in types))
    if not all(isinstance(a, str) for a in fields.get("command", [])):
        raise damaged("command", "a list of strings")
    if not all(isinstance(k, str) and isinstance(v, int) for k, v in fields.get("counts", {}).items()):
        raise damaged("counts", "an object of whole numbers")
    if isinstance(fields.get("selection"), list) and not all(isinstance(n, str) for n in fields["selection"]):
        raise damaged("selection", "a list of strings")
    try:
        for name in _BYTES_FIELDS:
            if fields.get(name) is not None:
                fields[name] = base64.b64decode(fields[name], validate=True)
        return TraceMeta(**fields)
    except (ValueError, TypeError) as error:
        raise TraceFileError(f"{where} has damaged trace metadata ({error})") from None


def _check_manifest(manifest: Any, where: str) -> dict[str, dict[str, Any]]:
    """The dtype list, checked entry by entry (a wrong one would fail deep inside pandas)."""
    def damaged(detail: str) -> TraceFileError:
        return TraceFileError(f"{where} has a damaged list of column types ({detail})")

    if not isinstance(manifest, dict):
        raise damaged(f"a JSON object was expected, not {type(manifest).__name__}")
    for frame in ("df", "events"):
        columns = manifest.get(frame, {})
        if not isinstance(columns, dict):
            raise damaged(f"{frame!r} should be an object, not {type(columns).__name__}")
        for column, entry in columns.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("dtype"), str):
                raise damaged(f"column {column!r} has no dtype")
            if "categories" in entry and not (isinstance(entry["categories"], list)
                                              and all(isinstance(c, str) for c in entry["categories"])
                                              and isinstance(entry.get("ordered"), bool)):
                raise damaged(f"column {column!r} needs categories (strings) and ordered (true or false)")
            if "storage" in entry and not (entry["storage"] in ("python", "pyarrow")
                                           and entry.get("na") in ("NA", "nan")):
                raise damaged(f"column {column!r} needs a storage (python, pyarrow) and an na (NA, nan)")
            if not isinstance(entry.get("fsencoded", False), bool):
                raise damaged(f"column {column!r}: fsencoded should be true or false")
    return manifest


_KIND_WORDS = {"float": "numbers", "int": "whole numbers", "bool": "true or false", "category": "categories",
               "string": "text", "bytes": "bytes"}


def _holds(series: pd.Series, kind: str) -> bool:
    dtype = series.dtype
    if kind == "float":
        return pd.api.types.is_float_dtype(dtype)
    if kind == "int":
        return pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(dtype)
    if kind == "category":
        return isinstance(dtype, pd.CategoricalDtype)
    if kind == "string" and isinstance(dtype, pd.StringDtype):
        return True
    wanted = ("string",) if kind == "string" else ("bytes",)
    return pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(series, skipna=True) in (*wanted, "empty")


def _kind(dtype: str) -> str:
    """The kind of value a column of this dtype (as DF_COLUMNS spells it) holds."""
    if dtype.startswith("float"):
        return "float"
    if dtype.lower().startswith(("int", "uint")):
        return "int"
    if dtype in ("bool", "boolean"):
        return "bool"
    return {"object": "bytes"}.get(dtype, dtype)  # (object: only `data`, which holds bytes)


def _check_columns(frame: pd.DataFrame, dtypes: dict[str, str], required: Iterable[str], where: str,
                   what: str) -> None:
    """Every ``required`` column there; every known column that is there holds its kind of value."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise TraceFileError(f"{where} is not a whole trace: its {what} lack the columns {', '.join(missing)}",
                             hint="save the trace again with trace.save(path)")
    for column, dtype in dtypes.items():
        kind = _kind(dtype)
        if column in frame.columns and not _holds(frame[column], kind):
            raise TraceFileError(f"{where} has a damaged column {column!r} in its {what}: it should hold "
                                 f"{_KIND_WORDS[kind]}, not {frame[column].dtype}")


def _dtypes_of(frame: pd.DataFrame) -> dict[str, Any]:
    """Each column's dtype by name, with what pyarrow does not keep: a string column's storage, the
    categories of an empty categorical."""
    manifest: dict[str, Any] = {}
    for column, dtype in frame.dtypes.items():
        entry: dict[str, Any] = {"dtype": str(dtype)}
        if isinstance(dtype, pd.StringDtype):
            # "string" names two storages (python objects, pyarrow) and "str" a third kind: keep which
            entry["storage"] = dtype.storage
            entry["na"] = "nan" if dtype.na_value is not pd.NA else "NA"
        if isinstance(dtype, pd.CategoricalDtype):
            entry["categories"] = [str(c) for c in dtype.categories]
            entry["ordered"] = bool(dtype.ordered)
        manifest[str(column)] = entry
    return manifest


def _has_surrogates(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _encode_raw_names(frame: pd.DataFrame, manifest: dict[str, Any]) -> pd.DataFrame:
    """Store text columns holding non-UTF-8 names as bytes.

    The tracer keeps a name that is not UTF-8 (a file called ``caf\xe9``) as a str with surrogate
    escapes, so ``os.fsencode`` gives its bytes back; Arrow refuses such strings. Those columns are
    written as binary and marked ``fsencoded`` in the manifest, and decoded again on load.
    """
    out = frame
    for column, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.StringDtype) and any(_has_surrogates(v) for v in frame[column]):
            if out is frame:
                out = frame.copy()
            out[column] = pd.Series([None if v is pd.NA or v is None else os.fsencode(v) for v in frame[column]],
                                    index=frame.index, dtype=object)
            manifest[column]["fsencoded"] = True
    return out


def _restore_dtypes(frame: pd.DataFrame, manifest: dict[str, Any]) -> pd.DataFrame:
    """Give every column back the dtype it had when saved."""
    for column, entry in manifest.items():
        if column not in frame.columns:
            continue
        if entry.get("fsencoded"):
            frame[column] = pd.Series([None if v is None else os.fsdecode(v) for v in frame[column]],
                                      index=frame.index, dtype=object)
        if "categories" in entry:
            wanted = pd.CategoricalDtype(entry["categories"], ordered=entry["ordered"])
            if frame[column].dtype != wanted:
                frame[column] = frame[column].astype(object).astype(wanted)
        elif "storage" in entry:
            wanted = pd.StringDtype(entry["storage"], na_value=pd.NA if entry["na"] == "NA" else float("nan"))
            if frame[column].dtype != wanted:
                frame[column] = frame[column].astype(wanted)
        elif str(frame[column].dtype) != entry["dtype"]:
            frame[column] = frame[column].astype(entry["dtype"])
    return frame


def _events_to_bytes(events: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(events)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return base64.b64encode(sink.getvalue().to_pybytes())


def _events_from_bytes(raw: bytes, where: str) -> pd.DataFrame:
    try:
        with pa.ipc.open_stream(base64.b64decode(raw, validate=True)) as reader:
            return reader.read_all().to_pandas()
    except (pa.ArrowException, OSError, ValueError, TypeError) as error:  # random bytes: OSError
        raise TraceFileError(f"{where} has damaged process events ({error})") from None


def save(trace: Trace, path: str | os.PathLike[str]) -> None:
    """Write ``trace`` to the Parquet file ``path``, created readable and writable by the owner only."""
    path = os.fspath(path)
    dtypes = {"df": _dtypes_of(trace.df), "events": _dtypes_of(trace.events)}
    table = pa.Table.from_pandas(_encode_raw_names(trace.df, dtypes["df"]))
    metadata: dict[Any, Any] = dict(table.schema.metadata or {})
    metadata[META_KEY] = _meta_to_json(trace.meta)
    metadata[EVENTS_KEY] = _events_to_bytes(_encode_raw_names(trace.events, dtypes["events"]))
    metadata[DTYPES_KEY] = json.dumps(dtypes).encode()
    table = table.replace_schema_metadata(metadata)

    with replace_privately(path) as sink:
        pq.write_table(table, sink)


def _describe(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
             (stat.S_ISBLK, "a disk device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _read_table(where: str) -> pa.Table:
    """The Parquet table of one regular file (pyarrow alone would read a directory as a dataset,
    merging every file in it, and would block on a named pipe)."""
    fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # O_NONBLOCK: a FIFO must not block us
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TraceFileError(f"{where} is {_describe(info.st_mode)}, not a trace file",
                                 hint="give the path of one file saved with trace.save(path)")
        with os.fdopen(fd, "rb") as source:
            fd = -1
            return pq.read_table(source)
    except (pa.ArrowException, OSError, ValueError) as error:  # pyarrow reports damaged pages as OSError
        raise TraceFileError(
            f"{where} is not a readable Parquet file: it may be cut short or something else ({error})",
            hint="save the trace again with trace.save(path)") from None
    finally:
        if fd >= 0:
            os.close(fd)


def load(path: str | os.PathLike[str]) -> Trace:
    """Read a trace saved by :meth:`Trace.save`.

    Raises :class:`~spykit.TraceFileError`, saying what is wrong, when the path is not one regular
    file, the file is cut short, is not a spykit trace, was written in another format version, or
    holds anything a trace cannot (missing columns, values of the wrong kind, damaged metadata);
    ``FileNotFoundError`` or ``PermissionError`` when it cannot be opened.
    """
    where = os.fspath(path)
    table = _read_table(where)
    metadata = table.schema.metadata or {}
    if META_KEY not in metadata or EVENTS_KEY not in metadata:
        raise TraceFileError(f"{where} is a Parquet file but not a spykit trace (no spykit metadata)")
    meta = _meta_from_json(metadata[META_KEY], where)
    events = _events_from_bytes(metadata[EVENTS_KEY], where)
    dtypes = _check_manifest(_json(metadata.get(DTYPES_KEY, b"{}"), where, "list of column types"), where)
    try:
        df = table.to_pandas()
        df = _restore_dtypes(df, dtypes.get("df", {}))
        events = _restore_dtypes(events, dtypes.get("events", {}))
    except (pa.ArrowException, OSError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise TraceFileError(f"{where} has a damaged table of calls ({type(error).__name__}: {error})") from None
    _check_columns(df, DF_COLUMNS, FIRST_DF_COLUMNS, where, "calls")
    _check_columns(events, EVENT_COLUMNS, EVENT_COLUMNS, where, "process events")
    return Trace(_with_later_columns(df), events, meta)


def _with_later_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Add the columns a trace saved before they existed lacks, so every reader finds them."""
    if "data_complete" not in df.columns:
        # data holds every byte moved when it is as long as the result (the count read or written)
        lengths = df["data"].map(lambda d: len(d) if isinstance(d, bytes) else -1)
        moved = df["ret"].where(df["data"].notna() & (df["ret"] >= 0))
        df.insert(df.columns.get_loc("size"), "data_complete",
                  pd.array((lengths >= moved).where(moved.notna(), pd.NA), dtype="boolean"))
    if "note" not in df.columns:
        df["note"] = pd.array([pd.NA] * len(df), dtype=pd.StringDtype("python"))
    if "flags" not in df.columns:  # the flags in words were made from numbers no old file kept
        df["flags"] = pd.Categorical([None] * len(df))
    if "startup" not in df.columns:  # work it out as the tracer does
        from .startup import startup_mask

        df["startup"] = startup_mask(df)
    if "abi" not in df.columns:  # spykit traced x86_64 calls only before the column existed
        df["abi"] = pd.Categorical(["x86_64"] * len(df), categories=["x86_64", "i386", "x32"])
    if "fd_kind" not in df.columns:  # a function of the other columns
        with_fd_kind(df)
    return df
