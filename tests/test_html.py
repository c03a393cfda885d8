"""How a Trace shows itself in a notebook, and the small styled tables (spykit/render/html.py)."""

from __future__ import annotations

import re

import pandas as pd
from frames import call, make_trace

from spykit.render.html import (
    FIRST_ROWS,
    first_rows,
    plural,
    table_html,
    table_mimebundle,
    trace_facts,
    trace_mimebundle,
    variable_name,
)


def small_trace():
    return make_trace([
        call("execve", '"/bin/prog", ["prog"], 0x7ffd /* 3 vars */', 0, path="/bin/prog"),
        call("openat", 'AT_FDCWD, "/etc/app.conf", O_RDONLY', error="ENOENT", path="/etc/app.conf"),
        call("openat", 'AT_FDCWD, "/etc/passwd", O_RDONLY', 3, path="/etc/passwd", fd=3),
        call("write", '1, "<b>hi</b>\\n", 10', 10, fd=1, path="/dev/pts/0", data=b"<b>hi</b>\n", size=10),
        call("clone", "...", 101, pid=100),
        call("write", '1, "x", 1', 1, pid=101, fd=1, data=b"x", size=1),
        call("exit_group", "0", None, pid=101),
    ], command=["prog", "--flag"], returncode=3, elapsed=0.25)


def test_facts_count_calls_processes_and_failures():
    facts = trace_facts(small_trace())
    assert facts["calls"] == 7 and facts["failed"] == 1
    assert facts["processes"] == 2 and facts["threads"] == 2
    assert facts["returncode"] == 3 and facts["duration"] == 0.25
    assert facts["command"] == "prog --flag"


def test_facts_use_exact_counts_when_rows_were_truncated():
    trace = make_trace([call("read", "0", 1), call("read", "0", 1)], counts={"read": 5000}, truncated=True)
    facts = trace_facts(trace)
    assert facts["calls"] == 5000 and facts["stored"] == 2 and facts["truncated"]
    assert "only the first 2 calls were kept" in trace_mimebundle(trace)["text/plain"]


def test_mimebundle_has_summary_counts_and_first_rows():
    bundle = small_trace()._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    page = bundle["text/html"]
    assert "prog --flag" in page
    assert "7 system calls, 1 failed, in 2 processes" in page
    assert "exit status 3" in page
    assert re.search(r"openat&nbsp;<b>2</b>", page)  # most made calls
    assert re.search(r"desc&nbsp;<b>2</b>", page)  # counts by class
    assert "-1 ENOENT (No such file or directory)" in page
    # the failed call's row is drawn in red, the others are not
    rows = re.findall(r'<tr style="([^"]*)"><td', page)
    assert rows[1] == "color: #c62828;" and rows.count("color: #c62828;") == 1


def test_program_data_is_escaped():
    page = trace_mimebundle(small_trace())["text/html"]
    assert "<b>hi</b>" not in page
    assert "&lt;b&gt;hi&lt;/b&gt;" in page


def test_plain_text_shows_strace_lines():
    text = trace_mimebundle(small_trace())["text/plain"]
    lines = text.splitlines()
    assert lines[0] == "Trace of prog --flag"
    assert any('openat(AT_FDCWD, "/etc/app.conf", O_RDONLY)' in line and "ENOENT" in line for line in lines)


def test_a_huge_trace_shows_only_its_first_rows():
    rows = [call("read", f"0, {i}", 1, time=i / 1e4, fd=0) for i in range(5000)]
    trace = make_trace(rows)
    bundle = trace_mimebundle(trace)
    assert bundle["text/html"].count("<tr") == FIRST_ROWS + 1  # header + first rows
    more = f"{5000 - FIRST_ROWS:,} more calls: all of them are in the trace&#x27;s <code>.df</code>"
    assert more in bundle["text/html"]
    assert f"{5000 - FIRST_ROWS:,} more calls: all of them are in the trace's .df" in bundle["text/plain"]
    assert len(bundle["text/plain"].splitlines()) < FIRST_ROWS + 5
    assert "0, 4999" not in bundle["text/plain"]


def test_empty_trace_displays():
    bundle = trace_mimebundle(make_trace([], returncode=None))
    assert "0 system calls" in bundle["text/html"] and "no rows" in bundle["text/html"]
    assert "0 system calls" in bundle["text/plain"]


def test_first_rows_table():
    table = first_rows(small_trace(), 3)
    assert list(table.columns) == ["time", "pid", "syscall", "args", "result"]
    assert list(table["result"]) == ["0", "-1 ENOENT (No such file or directory)", "3"]


def test_table_html_limits_rows_and_marks_failures():
    table = pd.DataFrame({"path": [f"/p/{i}" for i in range(30)], "data": [b"\x00ab"] * 30})
    page = table_html(table, max_rows=5, caption="paths", failed=[i == 1 for i in range(30)],
                      code_columns=["path"])
    assert page.count("<tr") == 6
    assert "25 more rows" in page and "paths" in page
    assert "/p/4" in page and "/p/5" not in page
    assert "b&#x27;\\x00ab&#x27;" in page  # bytes as a readable literal, escaped
    assert page.count("color: #c62828;") == 1


def test_table_mimebundle_has_text_too():
    bundle = table_mimebundle(pd.DataFrame({"a": [1, 2, 3]}), max_rows=2, caption="numbers")
    assert bundle["text/plain"].startswith("numbers\n")
    assert "1 more row" in bundle["text/plain"] and "1 more row<" in bundle["text/html"]
    assert "1 more rows" not in bundle["text/plain"] + bundle["text/html"]
    assert "no rows" in table_mimebundle(pd.DataFrame({"a": []}))["text/html"]


def test_fcntl_flag_results_read_as_strace_shows_them():
    trace = make_trace([call("fcntl", "3, F_GETFD", ret=1)])
    trace.df["note"] = pd.array([" (flags FD_CLOEXEC)"], dtype="string")
    assert first_rows(trace)["result"].tolist() == ["0x1 (flags FD_CLOEXEC)"]


def test_the_way_to_the_rest_names_the_variable_the_trace_is_in():
    trace = make_trace([call("read", f"0, {i}", 1, time=i / 1e4, fd=0) for i in range(20)])
    bundle = trace_mimebundle(trace, name="ls")
    assert f"{20 - FIRST_ROWS} more calls: all of them are in ls.df" in bundle["text/plain"]
    assert "<code>ls.df</code>" in bundle["text/html"] and "<code>ls.explore()</code>" in bundle["text/html"]
    # Found in a namespace by identity; the learner's own name before IPython's _ and _12.
    namespace = {"_": trace, "_7": trace, "copy": make_trace([]), "ls": trace}
    assert variable_name(trace, namespace) == "ls"
    assert variable_name(trace, {"_": trace, "_3": trace, "Out": {3: trace}, "_strace": trace}) == "_strace"
    assert variable_name(trace, {"_": trace, "_3": trace}) is None
    assert variable_name(trace, {"other": make_trace([])}) is None and variable_name(trace, None) is None


def test_counts_are_worded_in_the_right_number():
    one = trace_mimebundle(make_trace([call("getpid", "", 7)]))
    assert "1 system call," in one["text/plain"] and "1 system calls" not in one["text/plain"]
    assert "in 1 process;" in one["text/plain"]
    assert plural(2, "process", "processes") == "2 processes" and plural(1, "thread") == "1 thread"


def test_a_finished_cell_or_a_detached_program_is_not_said_to_be_still_running():
    cell = make_trace([call("getpid", "", 7)], returncode=None)
    cell.meta.command, cell.meta.attached = ["<cell>"], True
    text = trace_mimebundle(cell)["text/plain"]
    assert "still running" not in text and "traced while the cell ran" in text
    attached = make_trace([call("getpid", "", 7)], returncode=None)
    attached.meta.command, attached.meta.attached = ["<pid 42>"], True
    assert "attached, then detached" in trace_mimebundle(attached)["text/plain"]
