"""The pictures (spykit/render/plots.py), checked by their artists: marks, lanes, colours, layers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from frames import call, make_trace  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from spykit.render.plots import (  # noqa: E402
    CLASS_COLOURS,
    lanes,
    meaning_shares,
    summary_bar,
    timeline,
    wchan_plot,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def two_process_trace():
    return make_trace([
        call("openat", "", 3, time=0.001, pid=100, path="/a"),
        call("openat", "", error="ENOENT", time=0.002, pid=100, path="/b"),
        call("read", "", 10, time=0.003, pid=100, fd=3),
        call("clone", "", 200, time=0.004, pid=100),
        call("execve", "", 0, time=0.005, pid=200),
        call("write", "", 1, time=0.006, pid=200, fd=1),
        call("futex", "", 0, time=0.0065, pid=101, tgid=100),  # a thread of 100, first seen after 200
        call("connect", "", error="ECONNREFUSED", time=0.007, pid=200),
    ], command=["demo"])


def by_gid(ax, gid):
    return [c for c in ax.collections if c.get_gid() == gid]


def test_lanes_group_threads_under_their_process():
    assert lanes(two_process_trace().df) == [100, 101, 200]


def test_timeline_draws_one_mark_per_call_coloured_by_class():
    ax = timeline(two_process_trace())
    marks = {c.get_gid(): c for c in ax.collections if c.get_gid().startswith("class:")}
    assert set(marks) == {"class:file", "class:desc", "class:process", "class:network", "class:other"}
    assert len(marks["class:file"].get_offsets()) == 2
    assert len(marks["class:desc"].get_offsets()) == 2
    assert sum(len(c.get_offsets()) for c in marks.values()) == 8
    assert to_hex(marks["class:network"].get_facecolor()[0]) == CLASS_COLOURS["network"]
    assert to_hex(marks["class:file"].get_facecolor()[0]) == CLASS_COLOURS["file"]


def test_timeline_puts_each_thread_in_its_lane_and_crosses_failures():
    ax = timeline(two_process_trace())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["100", "101 (in 100)", "200"]
    execs = by_gid(ax, "class:process")[0].get_offsets()
    assert sorted(map(tuple, np.asarray(execs))) == [(0.004, 0.0), (0.005, 2.0)]
    failed = np.asarray(by_gid(ax, "failed")[0].get_offsets())
    assert sorted(map(tuple, failed)) == [(0.002, 0.0), (0.007, 2.0)]


def test_timeline_draws_into_a_given_axes_and_survives_an_empty_trace():
    fig, (top, bottom) = plt.subplots(2)
    assert timeline(two_process_trace(), ax=bottom) is bottom
    assert len(top.collections) == 0
    empty = timeline(make_trace([]))
    assert len(empty.collections) == 0 and empty.get_yticks().size == 0


def test_summary_bar_orders_by_the_chosen_column():
    trace = make_trace([call("read", "", 1, duration=0.5)] + [call("write", "", 1, duration=0.01)] * 3
                       + [call("openat", "", error="ENOENT", duration=0.001)] * 2)
    ax = summary_bar(trace, by="calls")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["write", "openat", "read"]
    assert [p.get_width() for p in ax.patches] == [3, 2, 1]
    assert to_hex(ax.patches[1].get_facecolor()) == CLASS_COLOURS["file"]
    by_time = summary_bar(trace, by="seconds")
    assert by_time.get_yticklabels()[0].get_text() == "read"
    with pytest.raises(ValueError):
        summary_bar(trace, by="colour")


def samples(rows):
    """A spykit.wchan-like frame: (time, tid, reason, meaning) per thread per tick."""
    return pd.DataFrame({
        "time": [r[0] for r in rows], "pid": 7, "tid": [r[1] for r in rows], "state": "S",
        "reason": [r[2] for r in rows], "meaning": [r[3] for r in rows], "target": None,
    })


def test_meaning_shares_collapses_threads_and_bins_time():
    rows = []
    for i in range(10):
        t = i * 0.1
        rows.append((t, 7, "network", "waiting for data from 127.0.0.1:8000 (TCP)") if i < 6
                    else (t, 7, "cpu", "running"))
        rows.append((t, 8, "lock", "waiting on a lock"))  # a second thread: less telling than the main one
    shares = meaning_shares(samples(rows), bins=2)
    assert list(shares.columns) == ["waiting for data from 127.0.0.1:8000 (TCP)", "running"]
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert shares.iloc[0, 0] == pytest.approx(1.0)  # first half: all network
    assert shares.iloc[1, 1] == pytest.approx(0.8)  # second half: 4 of 5 ticks running


def test_wchan_plot_stacks_one_layer_per_meaning():
    rows = [(i * 0.01, 7, "sleep" if i % 3 else "cpu", "sleeping" if i % 3 else "running") for i in range(30)]
    frame = samples(rows)
    frame.attrs["command"] = ["sleep", "1"]
    ax = wchan_plot(frame)
    assert len(ax.collections) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sleeping", "running"]
    assert ax.get_ylim() == (0, 1)
    assert "sleep 1" in ax.get_title()


def test_wchan_plot_of_nothing_says_so():
    ax = wchan_plot(samples([]))
    assert len(ax.collections) == 0 and ax.texts[0].get_text() == "no samples"
