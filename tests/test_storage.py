"""Saving and loading traces: exact round trip, owner-only files, clear errors on bad files."""

from __future__ import annotations

import json
import os
import stat

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from frames import call, event, make_trace

import spykit
from spykit import storage
from spykit.errors import TraceFileError
from spykit.tracedata import TRACE_FORMAT_VERSION


def _sample_trace():
    rows = [
        call("execve", '"/bin/app", ["app", "--secret=hunter2"], 0x7 /* 3 vars */', pid=5, path="/bin/app"),
        call("openat", 'AT_FDCWD, "/etc/app.conf", O_RDONLY', pid=5, error="ENOENT", path="/etc/app.conf"),
        call("write", '1, "\\0\\377bin", 5', pid=6, tgid=5, ret=5, fd=1, path="pipe:[1]", data=b"\x00\xffbin",
             size=5),
        call("read", "0, ...", pid=5, unfinished=True),
    ]
    events = [event("spawn", pid=5, child=6, how="thread", time=0.001),
              event("exit", pid=5, status=0, time=0.01, text="+++ exited with 0 +++")]
    trace = make_trace(rows, events, command=["app", "--secret=hunter2"], returncode=0,
                       start_time=1_700_000_000.123456, elapsed=0.0125, pid=5,
                       counts={"execve": 1, "openat": 7},
                       selection=["%file"], string_limit=64, stdout=b"out\x00put", stderr=b"", truncated=True)
    # the tracer gives the syscall column the whole table as categories, used or not
    trace.df["syscall"] = trace.df["syscall"].cat.add_categories(["close", "mmap"])
    # string columns may keep their strings as Python objects or in pyarrow: both must come back as they were
    trace.df["path"] = trace.df["path"].astype("string[python]")
    trace.events["text"] = trace.events["text"].astype("str")
    return trace


def test_round_trip_is_exact(tmp_path):
    trace = _sample_trace()
    path = tmp_path / "run.parquet"
    trace.save(path)
    back = spykit.load(path)
    pd.testing.assert_frame_equal(back.df, trace.df, check_dtype=True, check_categorical=True,
                                  check_exact=True)
    pd.testing.assert_frame_equal(back.events, trace.events, check_dtype=True, check_exact=True)
    assert list(back.df["syscall"].cat.categories) == list(trace.df["syscall"].cat.categories)
    assert back.df["path"].dtype.storage == "python" and back.df["args"].dtype.storage == "pyarrow"
    assert back.meta == trace.meta
    assert back.stdout == b"out\x00put" and back.stderr == b""


def test_round_trip_of_a_filtered_and_an_empty_trace(tmp_path):
    trace = _sample_trace().filter(pid=6)
    trace.save(tmp_path / "f.parquet")
    back = storage.load(tmp_path / "f.parquet")
    assert back.df.index.tolist() == [2]
    pd.testing.assert_frame_equal(back.df, trace.df)

    empty = make_trace([], [])
    empty.save(tmp_path / "e.parquet")
    back = storage.load(tmp_path / "e.parquet")
    assert len(back) == 0 and back.df.dtypes.equals(empty.df.dtypes)
    assert list(back.events.columns) == list(empty.events.columns)


def test_files_are_private_even_when_replacing_a_readable_one(tmp_path):
    path = tmp_path / "secret.parquet"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    old_umask = os.umask(0)  # even with a permissive umask
    try:
        _sample_trace().save(path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret.parquet"]  # no temporary file left behind


def test_a_failed_save_leaves_no_temporary_file(tmp_path):
    trace = _sample_trace()
    trace.df["data"] = [object(), None, None, None]  # pyarrow cannot store this
    with pytest.raises((pa.ArrowException, TypeError, ValueError)):
        trace.save(tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []


def test_truncated_file_is_a_trace_file_error(tmp_path):
    path = tmp_path / "cut.parquet"
    _sample_trace().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TraceFileError, match="cut short"):
        spykit.load(path)


def test_other_files_are_trace_file_errors(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(TraceFileError, match="not a readable Parquet file"):
        spykit.load(text)
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), plain)
    with pytest.raises(TraceFileError, match="not a spykit trace"):
        spykit.load(plain)
    with pytest.raises(FileNotFoundError):
        spykit.load(tmp_path / "nothing-here.parquet")


def test_another_format_version_is_refused_clearly(tmp_path):
    path = tmp_path / "future.parquet"
    _sample_trace().save(path)
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[storage.META_KEY])
    meta["version"] = TRACE_FORMAT_VERSION + 1
    metadata = {**table.schema.metadata, storage.META_KEY: json.dumps(meta).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)
    with pytest.raises(TraceFileError, match=f"format version {TRACE_FORMAT_VERSION + 1}") as caught:
        spykit.load(path)
    assert caught.value.hint


def test_damaged_metadata_is_a_trace_file_error(tmp_path):
    path = tmp_path / "damaged.parquet"
    _sample_trace().save(path)
    table = pq.read_table(path)
    metadata = {**table.schema.metadata, storage.EVENTS_KEY: b"not base64 arrow"}
    pq.write_table(table.replace_schema_metadata(metadata), path)
    with pytest.raises(TraceFileError, match="damaged process events"):
        spykit.load(path)


# -- crafted files: every one is a TraceFileError saying what is wrong (issue 16, item 9) ---------------

def _rewrite(path, *, table=None, **entries: bytes) -> None:
    """Replace spykit metadata entries (by key name: meta, events, dtypes) and/or the table in a saved file."""
    original = pq.read_table(path)
    keys = {"meta": storage.META_KEY, "events": storage.EVENTS_KEY, "dtypes": storage.DTYPES_KEY}
    metadata = {**original.schema.metadata, **{keys[k]: v for k, v in entries.items()}}
    pq.write_table((original if table is None else table).replace_schema_metadata(metadata), path)


def _entries(path) -> dict:
    metadata = pq.read_table(path).schema.metadata
    return {"meta": json.loads(metadata[storage.META_KEY]), "dtypes": json.loads(metadata[storage.DTYPES_KEY])}


def _without_ordered(path):
    dtypes = _entries(path)["dtypes"]
    del dtypes["df"]["syscall"]["ordered"]
    return {"dtypes": json.dumps(dtypes).encode()}


def _meta_with(**changes):
    def make(path):
        meta = _entries(path)["meta"]
        meta.update(changes)
        return {"meta": json.dumps(meta).encode()}
    return make


def _without_column(name):
    def make(path):
        table = pq.read_table(path)
        return {"table": table.drop_columns([name])}
    return make


def _pid_as_text(path):
    table = pq.read_table(path)
    dtypes = _entries(path)["dtypes"]
    dtypes["df"]["pid"] = {"dtype": "object"}
    column = table.schema.get_field_index("pid")
    table = table.set_column(column, "pid", pa.array([str(p) for p in table.column("pid").to_pylist()]))
    return {"table": table, "dtypes": json.dumps(dtypes).encode()}


CRAFTED = {
    "a manifest entry missing a key": (_without_ordered, "column 'syscall' needs categories"),
    "a list where an object belongs": (lambda p: {"dtypes": b"[]"}, "a JSON object was expected, not list"),
    "a list as the metadata": (lambda p: {"meta": b"[1, 2]"}, "a JSON object was expected, not list"),
    "random bytes as the events": (lambda p: {"events": __import__("base64").b64encode(os.urandom(300))},
                                   "damaged process events"),
    "deeply nested JSON": (lambda p: {"meta": b"[" * 200_000 + b"]" * 200_000}, "not readable JSON"),
    "deeply nested dtypes": (lambda p: {"dtypes": b'{"df": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"},
                             "not readable JSON"),
    "a number as the command": (_meta_with(command=5), "'command' should be list, not int"),
    "an unknown metadata entry": (_meta_with(owner="mallory"), "unknown entries: owner"),
    "a table without the syscall column": (_without_column("syscall"), "lack the columns syscall"),
    "pids as text": (_pid_as_text, "column 'pid' in its calls: it should hold whole numbers"),
}


@pytest.mark.parametrize("damage", CRAFTED, ids=list(CRAFTED))
def test_crafted_files_are_trace_file_errors_saying_what_is_wrong(tmp_path, damage):
    make, message = CRAFTED[damage]
    path = tmp_path / "crafted.parquet"
    _sample_trace().save(path)
    _rewrite(path, **make(path))
    with pytest.raises(TraceFileError) as caught:
        spykit.load(path)
    assert message in str(caught.value)


def test_load_reads_one_regular_file_only(tmp_path):
    folder = tmp_path / "traces"
    folder.mkdir()
    _sample_trace().save(folder / "one.parquet")
    _sample_trace().save(folder / "two.parquet")
    with pytest.raises(TraceFileError, match="is a directory, not a trace file"):
        spykit.load(folder)  # pyarrow alone merges both as a dataset
    with pytest.raises(TraceFileError, match="is a device, not a trace file"):
        spykit.load("/dev/zero")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(TraceFileError, match="is a named pipe, not a trace file"):
        spykit.load(fifo)  # and it does not block waiting for a writer
    with pytest.raises(FileNotFoundError):
        spykit.load(tmp_path / "nothing-here.parquet")


def test_extra_columns_are_kept(tmp_path):
    trace = _sample_trace()
    trace.df["startup"] = [True, False, False, True]  # a column added later is neither required nor lost
    trace.save(tmp_path / "more.parquet")
    loaded = spykit.load(tmp_path / "more.parquet")
    pd.testing.assert_frame_equal(loaded.df, trace.df)
