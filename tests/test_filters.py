"""Filtering a trace's rows, on a frame written by hand."""

from __future__ import annotations

import numpy as np
import pytest
from frames import call, make_df, make_trace

from spykit import filters as f

ROWS = [
    call("execve", '"/bin/app", ["app"], 0x7 /* 1 vars */', pid=10, time=0.0, path="/bin/app"),
    call("openat", 'AT_FDCWD, "/etc/app.conf", O_RDONLY', pid=10, time=0.1, error="ENOENT",
         path="/etc/app.conf"),
    call("openat", 'AT_FDCWD, "/etc/hosts", O_RDONLY', pid=10, time=0.2, ret=3, fd=3, path="/etc/hosts"),
    call("read", "3, ..., 4096", pid=11, tgid=10, time=0.3, ret=9, fd=3, path="/etc/hosts"),
    call("connect", "4, {...}, 16", pid=12, time=0.4, error="ECONNREFUSED", fd=4, addr="127.0.0.1:9"),
    call("write", '1, "done\\n", 5', pid=12, time=0.5, ret=5, fd=1, path="/dev/pts/0"),
]


@pytest.fixture
def df():
    return make_df(ROWS, times=False)


def test_by_pid_selects_a_process_with_its_threads(df):
    assert df[f.by_pid(df, 10)].index.tolist() == [0, 1, 2, 3]  # thread 11 belongs to process 10
    assert df[f.by_pid(df, 11)].index.tolist() == [3]
    assert df[f.by_pid(df, [11, 12])].index.tolist() == [3, 4, 5]
    assert df[f.by_pid(df, np.int64(12))].index.tolist() == [4, 5]


def test_by_failed(df):
    assert df[f.by_failed(df, True)].index.tolist() == [1, 4]
    assert df[f.by_failed(df, False)].index.tolist() == [0, 2, 3, 5]


def test_by_path_is_a_regex_search_that_skips_rows_without_path(df):
    assert df[f.by_path(df, r"^/etc/")].index.tolist() == [1, 2, 3]
    assert df[f.by_path(df, r"\.conf$")].index.tolist() == [1]
    with pytest.raises(ValueError, match="not a regular expression"):
        f.by_path(df, "(")


def test_by_time_includes_both_ends(df):
    assert df[f.by_time(df, 0.1, 0.3)].index.tolist() == [1, 2, 3]
    assert df[f.by_time(df, start=0.4)].index.tolist() == [4, 5]
    assert df[f.by_time(df, end=0.0)].index.tolist() == [0]
    with pytest.raises(ValueError, match="starts after it ends"):
        f.by_time(df, 0.5, 0.1)


def test_by_syscalls_takes_names(df):
    assert df[f.by_syscalls(df, ["read", "write"])].index.tolist() == [3, 5]
    assert df[f.by_syscalls(df, "connect")].index.tolist() == [4]


def test_by_syscalls_takes_classes_and_old_names(df):
    assert df[f.by_syscalls(df, "%network")].index.tolist() == [4]
    assert df[f.by_syscalls(df, ["open"])].index.tolist() == [1, 2]  # open selects openat too
    assert 0 in df[f.by_syscalls(df, "%process")].index


def test_filter_frame_ands_the_conditions_and_keeps_index_and_dtypes(df):
    out = f.filter_frame(df, syscalls=["openat", "read"], pid=10, path="hosts", start=0.15)
    assert out.index.tolist() == [2, 3]
    assert out.dtypes.equals(df.dtypes)
    assert f.filter_frame(df).index.tolist() == df.index.tolist()
    assert f.filter_frame(df, failed=True, pid=12).index.tolist() == [4]


def test_trace_filters_chain_into_new_traces():
    trace = make_trace(ROWS)
    only_etc = trace.filter(path="^/etc")
    chained = only_etc.filter(pid=10).failed()
    assert len(trace) == 6 and len(only_etc) == 3
    assert chained.df["path"].tolist() == ["/etc/app.conf"]
    assert chained.meta is trace.meta
