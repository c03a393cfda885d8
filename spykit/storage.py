"""Saving a trace to one Parquet file and reading it back, exactly.

The file holds ``Trace.df`` as its table. Two entries of the Parquet schema metadata hold the
rest, so a trace is always one file to copy or attach:

- ``spykit.trace``: the :class:`~spykit.trace.TraceMeta` as JSON (captured stdout and stderr
  as base64), including the format version;
- ``spykit.events``: ``Trace.events`` as an Arrow IPC stream, base64;
- ``spykit.dtypes``: every column's pandas dtype (with a categorical's categories).

pyarrow keeps most pandas dtypes in its own metadata (``Int64``, ``string``, bytes in
``data``); the dtype list covers what it drops, such as an empty categorical's categories, so
both frames come back exactly as they went in.

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
import tempfile
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import TraceFileError
from .fdkinds import with_fd_kind
from .trace import TRACE_FORMAT_VERSION, Trace, TraceMeta

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


def _meta_from_json(raw: bytes, where: str) -> TraceMeta:
    try:
        fields = json.loads(raw)
        version = fields.get("version")
        if version != TRACE_FORMAT_VERSION:
            raise TraceFileError(
                f"{where} holds a trace in format version {version}; this spykit reads version "
                f"{TRACE_FORMAT_VERSION}",
                hint="open it with the spykit version that saved it, or trace the program again")
        for name in _BYTES_FIELDS:
            if fields.get(name) is not None:
                fields[name] = base64.b64decode(fields[name])
        return TraceMeta(**fields)
    except TraceFileError:
        raise
    except (ValueError, TypeError, AttributeError) as error:
        raise TraceFileError(f"{where} has damaged trace metadata ({error})") from None


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
        with pa.ipc.open_stream(base64.b64decode(raw)) as reader:
            return reader.read_all().to_pandas()
    except (pa.ArrowException, ValueError) as error:
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

    # mkstemp creates the file with O_EXCL and mode 0600: never readable by others, not even briefly.
    fd, temporary = tempfile.mkstemp(prefix=".spykit-", suffix=".parquet.tmp",
                                     dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as sink:
            pq.write_table(table, sink)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def load(path: str | os.PathLike[str]) -> Trace:
    """Read a trace saved by :meth:`Trace.save`.

    Raises :class:`~spykit.TraceFileError` when the file is cut short, is not a spykit trace, or
    was written in another format version; ``FileNotFoundError`` when there is no such file.
    """
    where = os.fspath(path)
    try:
        table = pq.read_table(where)
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError):
        raise  # the usual Python errors say these best
    except (pa.ArrowException, OSError, ValueError) as error:  # pyarrow reports damaged pages as OSError
        raise TraceFileError(
            f"{where} is not a readable Parquet file: it may be cut short or something else ({error})",
            hint="save the trace again with trace.save(path)") from None
    metadata = table.schema.metadata or {}
    if META_KEY not in metadata or EVENTS_KEY not in metadata:
        raise TraceFileError(f"{where} is a Parquet file but not a spykit trace (no spykit metadata)")
    meta = _meta_from_json(metadata[META_KEY], where)
    events = _events_from_bytes(metadata[EVENTS_KEY], where)
    try:
        df = table.to_pandas()
        dtypes = json.loads(metadata.get(DTYPES_KEY, b"{}"))
        df = _restore_dtypes(df, dtypes.get("df", {}))
        events = _restore_dtypes(events, dtypes.get("events", {}))
    except (pa.ArrowException, OSError, ValueError, TypeError) as error:
        raise TraceFileError(f"{where} has a damaged table of calls ({error})") from None
    if "startup" not in df.columns:  # saved before the column existed: work it out as the tracer does
        from .startup import startup_mask

        df["startup"] = startup_mask(df)
    if "fd_kind" not in df.columns:  # saved before the column existed: it is a function of the others
        with_fd_kind(df)
    return Trace(df, events, meta)
