"""The trace explorer: its pure filters, and the widget driven through its controls (no browser)."""

from __future__ import annotations

import re
import time

import pytest
from frames import call, make_trace

from spykit.notebook.explorer import Explorer, explore
from spykit.notebook.explorer_filters import (
    Selection,
    compile_pattern,
    counted_options,
    detail_html,
    duration_bounds,
    page_count,
    page_of,
    pid_options,
    select_rows,
)

pytest.importorskip("ipywidgets")


def sample_trace():
    rows = [
        call("openat", 'AT_FDCWD, "/etc/app.conf", O_RDONLY', error="ENOENT", path="/etc/app.conf",
             duration=0.00002),
        call("openat", 'AT_FDCWD, "/home/u/.apprc", O_RDONLY', 3, path="/home/u/.apprc", fd=3, duration=0.00001),
        call("read", '3, "colour=blue\\n", 4096', 12, path="/home/u/.apprc", fd=3, data=b"colour=blue\n",
             size=4096, duration=0.00003),
        call("close", "3", 0, fd=3, duration=0.000005),
        call("connect", '4, {sa_family=AF_INET, sin_port=htons(80)}, 16', error="ECONNREFUSED", fd=4,
             addr="127.0.0.1:80", duration=0.0002),
        call("clone", "...", 201, duration=0.0001),
        call("execve", '"/bin/helper", ["helper", "--secret"], 0x7ff /* 2 vars */', 0, pid=201,
             path="/bin/helper", duration=0.0004),
        call("write", '1, "done\\n", 5', 5, pid=201, fd=1, path="/dev/pts/0", data=b"done\n", duration=0.00005),
        call("futex", "0x7f, FUTEX_WAIT", 0, pid=102, tgid=100, duration=0.5),
    ]
    return make_trace(rows, command=["app"])


def shown_calls(explorer: Explorer) -> list[str]:
    """The call names in the table on screen, in order (the table's fourth column)."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", explorer.table.value)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    return [row[3] for row in cells if len(row) > 3]


# -- the pure functions ------------------------------------------------------------------------------------

def test_options_carry_counts():
    df = sample_trace().df
    assert counted_options(df["syscall"])[0] == ("openat (2)", "openat")
    assert pid_options(df) == [("process 100 (7)", 100), ("  thread 102 (1)", 102), ("process 201 (2)", 201)]
    assert duration_bounds(df) == (0.0, 0.5)


def test_select_rows_by_each_condition():
    df = sample_trace().df

    def calls(**kw):
        return list(select_rows(df, Selection(**kw))["syscall"].astype(str))

    assert len(calls()) == len(df)
    assert calls(syscalls=("openat", "close")) == ["openat", "openat", "close"]
    assert calls(category="network") == ["connect"]
    assert calls(pid=201) == ["execve", "write"]
    assert calls(pid=100) == ["openat", "openat", "read", "close", "connect", "clone", "futex"]  # with its thread
    assert calls(failed_only=True) == ["openat", "connect"]
    assert calls(pattern=r"\.apprc$") == ["openat", "read"]  # in the path
    assert calls(pattern="--secret") == ["execve"]  # in the arguments
    assert calls(duration=(0.0001, 1.0)) == ["connect", "clone", "execve", "futex"]
    assert calls(failed_only=True, category="file") == ["openat"]


def test_a_pattern_that_is_not_a_regex_is_searched_as_text():
    regex, problem = compile_pattern("open(")
    assert problem and "not a regular expression" in problem
    assert regex.search("open(x)")
    assert compile_pattern("") == (None, None)
    df = make_trace([call("openat", 'AT_FDCWD, "a(b", O_RDONLY', 3, path="a(b")]).df
    assert len(select_rows(df, Selection(pattern="a(b"))) == 1


def test_pages():
    df = make_trace([call("read", f"0, {i}", 1) for i in range(55)]).df
    assert page_count(55, 25) == 3 and page_count(0, 25) == 1
    assert list(page_of(df, 2, 25)["args"]) == [f"0, {i}" for i in range(50, 55)]
    assert list(page_of(df, 9, 25)["args"]) == list(page_of(df, 2, 25)["args"])  # past the end: last page


def test_detail_explains_the_call_and_its_error():
    row = sample_trace().df.iloc[0]
    meanings = {"openat": "opens a file", "ENOENT": "there is no such file"}
    page = detail_html(row, explain=meanings.get)
    assert 'openat(AT_FDCWD, &quot;/etc/app.conf&quot;, O_RDONLY) = -1 ENOENT' in page
    assert "opens a file" in page and "there is no such file" in page
    # Without an explanation of the errno, the C library's message is used.
    assert "No such file or directory" in detail_html(row, explain=lambda name: None)


# -- the widget, driven through its controls -----------------------------------------------------------------

def test_explorer_starts_with_everything():
    widget = explore(sample_trace())
    explorer = widget.explorer
    assert len(explorer.rows) == 9
    assert shown_calls(explorer)[:3] == ["openat", "openat", "read"]
    assert "<b>9</b> of 9 calls" in explorer.status.value
    assert explorer.detail.value.count("openat") >= 1  # the first row's details


def test_controls_filter_the_table():
    explorer = Explorer(sample_trace())
    explorer.syscalls.value = ("openat", "read")
    assert shown_calls(explorer) == ["openat", "openat", "read"]
    explorer.failed_only.value = True
    assert shown_calls(explorer) == ["openat"]
    assert "ENOENT" in explorer.table.value and ".apprc" not in explorer.table.value
    explorer.reset()
    explorer.category.value = "process"
    assert shown_calls(explorer) == ["clone", "execve"]
    explorer.category.value = ""
    explorer.pid.value = 201
    assert shown_calls(explorer) == ["execve", "write"]
    explorer.pid.value = None
    explorer.pattern.value = "secret"
    assert shown_calls(explorer) == ["execve"]
    explorer.pattern.value = "open("
    assert "not a regular expression" in explorer.status.value
    explorer.reset()
    explorer.duration.value = (0.1, 0.5)
    assert shown_calls(explorer) == ["futex"]
    explorer.reset()
    assert len(shown_calls(explorer)) == 9


def test_start_up_rows_are_hidden_until_asked_for():
    rows = [call("access", '"/etc/ld.so.preload", R_OK', error="ENOENT", path="/etc/ld.so.preload", startup=True),
            call("openat", 'AT_FDCWD, "/usr/lib/locale/locale-archive", O_RDONLY', error="ENOENT",
                 path="/usr/lib/locale/locale-archive", startup=True),
            call("openat", 'AT_FDCWD, "/etc/app.conf", O_RDONLY', error="ENOENT", path="/etc/app.conf")]
    explorer = Explorer(make_trace(rows))
    assert explorer.hide_startup.value is True
    assert shown_calls(explorer) == ["openat"] and "/etc/app.conf" in explorer.table.value
    assert "<b>1</b> of 3 calls" in explorer.status.value and "2 start-up calls hidden" in explorer.status.value
    explorer.hide_startup.value = False
    assert shown_calls(explorer) == ["access", "openat", "openat"]
    assert "hidden" not in explorer.status.value
    explorer.hide_startup.value = True
    explorer.reset()  # "show everything" shows the start-up rows too
    assert len(shown_calls(explorer)) == 3


def test_pager_moves_through_pages():
    explorer = Explorer(make_trace([call("read", f"0, {i}", 1, fd=0) for i in range(12)]), per_page=5)
    assert explorer.page_label.value == "page 1 of 3" and explorer.previous.disabled
    explorer.next.click()
    assert explorer.page_label.value == "page 2 of 3"
    assert "0, 5" in explorer.table.value and "0, 4" not in explorer.table.value
    explorer.next.click()
    explorer.next.click()  # already on the last page: stays
    assert explorer.page_label.value == "page 3 of 3" and explorer.next.disabled
    assert len(explorer.page) == 2
    explorer.previous.click()
    assert explorer.page_label.value == "page 2 of 3"
    explorer.failed_only.value = True  # a new filter starts again at page 1
    assert explorer.page_label.value == "page 1 of 1" and "no call matches" in explorer.table.value


def test_choosing_a_row_shows_its_details():
    explorer = Explorer(sample_trace())
    explorer.failed_only.value = True
    assert [label for label, _ in explorer.chosen.options] == ["#0 openat", "#1 connect"]
    explorer.chosen.value = 1
    assert "ECONNREFUSED" in explorer.detail.value and "127.0.0.1:80" in explorer.detail.value
    assert "Connection refused" in explorer.detail.value or "refused" in explorer.detail.value.lower()


# -- the live wait-channel monitor -------------------------------------------------------------------------------

def test_monitor_updates_while_the_program_runs_and_leaves_the_final_picture():
    import matplotlib.figure  # noqa: F401  (imported up front: the first import alone can take a second)

    from spykit.notebook.monitor import monitor

    # (3 s: the first drawing, with matplotlib warming up on a loaded machine, once took over 1.5 s)
    widget = monitor(["sleep", "3"], interval=0.02, redraw=0.2)
    watcher = widget.monitor
    seen_running = []
    deadline = time.monotonic() + 10
    while not watcher.done and time.monotonic() < deadline:
        if "running for" in watcher.status.value:
            seen_running.append(len(watcher.picture.value))
        time.sleep(0.05)
    assert watcher.wait(10) and watcher.error is None
    assert seen_running and max(seen_running) > 0  # a picture was drawn while the program ran
    assert watcher.redraws >= 2
    assert "finished after" in watcher.status.value and watcher.progress.bar_style == "success"
    assert watcher.picture.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert watcher.returncode == 0
    samples = watcher.samples
    assert samples["time"].nunique() >= 10
    assert "sleep" in set(samples["reason"])
    assert "sleep" in watcher.summary.value


def test_monitor_says_when_the_program_cannot_start():
    from spykit.notebook.monitor import WaitMonitor

    watcher = WaitMonitor(["/no/such/program"]).start()
    assert watcher.wait(10)
    assert watcher.error is not None and "could not run it" in watcher.status.value
