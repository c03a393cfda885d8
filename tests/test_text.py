"""strace-style text, the -c table and the process tree, from frames written by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from frames import call, event, make_df, make_events, make_trace

from spykit.questions import processes, summary
from spykit.render import text
from spykit.render.tree_html import process_tree_html

ONE_PROCESS = [
    call("openat", 'AT_FDCWD, "/etc/app.conf", O_RDONLY', error="ENOENT", time=0.25, duration=0.000021),
    call("brk", "NULL", ret=0x55D0C0DE0000, time=0.5, duration=0.000004),
    call("exit_group", "0", unfinished=True, time=0.75),
]


def test_lines_look_like_strace():
    out = str(make_trace(ONE_PROCESS)).splitlines()
    assert out == [
        'openat(AT_FDCWD, "/etc/app.conf", O_RDONLY) = -1 ENOENT (No such file or directory)',
        "brk(NULL)                               = 0x55d0c0de0000",  # "=" at column 40, as strace aligns it
        "exit_group(0)                           = ?",
    ]


def test_durations_like_dash_T_and_wall_clock_like_dash_tt():
    start = dt.datetime(2024, 1, 2, 3, 4, 5, 0).timestamp()
    out = make_trace(ONE_PROCESS, start_time=start).to_text(timestamps=True, durations=True).splitlines()
    assert out[0].startswith('03:04:05.250000 openat(AT_FDCWD, "/etc/app.conf", O_RDONLY) = -1 ENOENT')
    assert out[0].endswith(" <0.000021>")
    assert out[1] == "03:04:05.500000 brk(NULL)               = 0x55d0c0de0000 <0.000004>"
    assert out[2] == "03:04:05.750000 exit_group(0)           = ?"  # a call that never returned has no time


def test_several_processes_get_pid_prefixes_and_events_interleave_by_time():
    rows = [
        call("clone", "child_stack=NULL, flags=SIGCHLD", ret=4243, pid=4242, time=0.1),
        call("write", '1, "hi\\n", 3', ret=3, pid=4243, time=0.2),
        call("exit_group", "0", pid=4243, unfinished=True, time=0.3),
        call("wait4", "-1, NULL, 0, NULL", ret=4243, pid=4242, time=0.35),
    ]
    events = [
        event("spawn", pid=4242, child=4243, how="fork", time=0.1),  # strace prints nothing for these
        event("exec", pid=4243, time=0.15, text="/usr/bin/echo"),
        event("exit", pid=4243, status=0, time=0.31, text="+++ exited with 0 +++"),
        event("signal", pid=4242, signal="SIGCHLD", time=0.32,
              text="--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=4243} ---"),
    ]
    trace = make_trace(rows, events)
    out = trace.to_text().splitlines()
    assert out == [
        "[pid  4242] clone(child_stack=NULL, flags=SIGCHLD) = 4243",
        '[pid  4243] write(1, "hi\\n", 3)         = 3',
        "[pid  4243] exit_group(0)               = ?",
        "[pid  4243] +++ exited with 0 +++",
        "[pid  4242] --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=4243} ---",
        "[pid  4242] wait4(-1, NULL, 0, NULL)    = 4243",
    ]
    assert "+++" not in trace.to_text(events=False)
    assert trace.to_text(pids=False).splitlines()[0] == "clone(child_stack=NULL, flags=SIGCHLD)  = 4243"


def test_limit_cuts_lines_and_says_how_many_were_left_out():
    trace = make_trace([call("close", str(fd)) for fd in range(5)])
    out = trace.to_text(limit=2).splitlines()
    assert out[:2] == ["close(0)" + " " * 32 + "= 0", "close(1)" + " " * 32 + "= 0"]
    assert out[2] == "... 3 more lines (limit=2)"
    assert len(trace.to_text(limit=5).splitlines()) == 5


def test_a_truncated_trace_says_so_at_the_end():
    out = make_trace([call("close", "0")], truncated=True).to_text()
    assert out.splitlines()[-1].startswith("... rows stopped being stored at max_events")


def test_format_summary_lays_out_the_table_like_strace_dash_c():
    df = make_df([
        call("read", "0", ret=1, duration=0.003),
        call("read", "0", ret=1, duration=0.001),
        call("openat", '"/x"', error="ENOENT", duration=0.001),
    ])
    assert text.format_summary(summary(df)).splitlines() == [
        "% time     seconds  usecs/call     calls    errors syscall",
        "------ ----------- ----------- --------- --------- ----------------",
        " 80.00    0.004000        2000         2           read",
        " 20.00    0.001000        1000         1         1 openat",
        "------ ----------- ----------- --------- --------- ----------------",
        "100.00    0.005000        1667         3         1 total",
    ]


def _tree_trace():
    rows = [
        call("execve", '"/bin/sh", ["sh", "-c", "a 1; b \'x y\'"], 0x7 /* 1 vars */', pid=1, time=0.0,
             path="/bin/sh"),
        call("execve", '"/bin/a", ["a", "1"], 0x7 /* 1 vars */', pid=2, time=0.2, path="/bin/a"),
        call("execve", '"/bin/b", ["b", "x y"], 0x7 /* 1 vars */', pid=4, time=0.5, path="/bin/b"),
    ]
    events = [
        event("spawn", pid=1, child=2, how="fork", time=0.1),
        event("spawn", pid=2, child=3, how="fork", time=0.3),
        event("exit", pid=3, status=0, time=0.35),
        event("exit", pid=2, status=1, time=0.4),
        event("spawn", pid=1, child=4, how="vfork", time=0.45),
        event("killed", pid=4, signal="SIGSEGV", time=0.6),
    ]
    # what the tracer keeps for each exec: whole argv and environment, beside the cut text in args
    execs = [{"row": 0, "argv": ["sh", "-c", "a 1; b 'x y'"], "env": {}}, {"row": 1, "argv": ["a", "1"], "env": {}},
             {"row": 2, "argv": ["b", "x y"], "env": {}}]
    return make_trace(rows, events, execs=execs)


def test_process_tree_text_draws_branches():
    trace = _tree_trace()
    assert text.process_tree_text(trace.processes()).splitlines() == [
        "1 sh -c 'a 1; b '\"'\"'x y'\"'\"''  [still running]",
        "├── 2 a 1  [exited 1]",
        "│   └── 3 (forked, never exec'd)  [exited 0]",
        "└── 4 b 'x y'  [killed by SIGSEGV]",
    ]


def test_process_tree_html_nests_lists_and_escapes():
    trace = _tree_trace()
    html = process_tree_html(trace.processes())
    assert html.count("<ul") == 3  # the root list, 1's children, 2's child
    assert html.index("<b>2</b>") < html.index("<b>3</b>") < html.index("<b>4</b>")
    assert "b &#x27;x y&#x27;" in html and "'x y'" not in html
    assert "killed by SIGSEGV" in html
    empty = processes(make_df([]), make_events([]))
    assert "no processes" in process_tree_html(empty)


def test_format_table_shows_bytes_argv_and_missing_values_readably():
    table = pd.DataFrame({"time": [0.5, float("nan")], "data": [b"GET / HTTP/1.1\r\n", None],
                          "argv": [[["ls", "-l"], ["ls"]], []], "peer": pd.array(["1.2.3.4:80", None],
                                                                                   dtype="string")})
    out = text.format_table(table, empty="nothing").splitlines()
    assert "b'GET / HTTP/1.1\\r\\n'" in out[1] and "ls -l -> ls" in out[1] and "0.500000" in out[1]
    assert "None" not in out[2] and "nan" not in out[2] and "<NA>" not in out[2]
    assert text.format_table(table.iloc[0:0], empty="nothing") == "nothing"
    assert text.show_bytes(b"x" * 100, width=20) == "b'" + "x" * 15 + "..."  # 20 characters in all
