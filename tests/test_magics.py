"""The magics in a real IPython shell: ``%%strace`` on this very process, and the line magics.

One shell (IPython's test shell, with ``%load_ext spykit``) serves every test, both those of the
plain functions behind the cell magic (spykit/notebook/cellrun.py) and those of the magics. The
same checks in a real Jupyter kernel, over ZeroMQ, are in test_magics_kernel.py.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from conftest import KILL_OWN_HELPER

import spykit
from spykit.notebook.cellrun import TopLevelAwait, display_values, prepare_cell, run_prepared


@pytest.fixture(scope="module")
def shell(ipython_shell):
    """IPython's global test shell with spykit's magics loaded."""
    ip = ipython_shell
    ip.run_line_magic("load_ext", "spykit")
    yield ip
    ip.user_ns.pop("t", None)


def run(shell, cell: str):
    """Run a cell as the user would (history on, so it has a number), return IPython's result."""
    return shell.run_cell(cell, store_history=True)


def traced_thread_is_free() -> bool:
    """This thread has no tracer attached any more (the helper detached or died)."""
    tid = threading.get_native_id()
    with open(f"/proc/self/task/{tid}/status") as status:
        tracer = next(line for line in status if line.startswith("TracerPid:"))
    return tracer.split()[1] == "0"


# -- the plain functions: running a cell the way IPython would -------------------------------------------

def test_prepared_cell_keeps_variables_and_collects_the_last_value(shell):
    prepared = prepare_cell(shell, "a = 20\nb = a + 1\nb * 2\n")
    shown: list = []
    run_prepared(shell, prepared, shown)
    assert shell.user_ns["b"] == 21
    assert shown == [42]


def test_prepared_cell_follows_the_shell_interactivity(shell):
    shell.ast_node_interactivity = "all"
    try:
        shown: list = []
        run_prepared(shell, prepare_cell(shell, "1\nx = 2\n3\n"), shown)
        assert shown == [1, 3]
    finally:
        shell.ast_node_interactivity = "last_expr"
    shown = []
    run_prepared(shell, prepare_cell(shell, "y = 5\n"), shown)
    assert shown == []


def test_prepared_cell_understands_ipython_syntax(shell):
    shown: list = []
    run_prepared(shell, prepare_cell(shell, "here = !echo spied\nhere[0]\n"), shown)
    assert shown == ["spied"]


def test_prepared_cell_errors_propagate_with_the_cells_line_number(shell):
    prepared = prepare_cell(shell, "x = 1\nraise KeyError('nope')\n")
    with pytest.raises(KeyError) as caught:
        run_prepared(shell, prepared, [])
    frame = caught.traceback[-1]
    assert frame.path == prepared.name or str(frame.path) == prepared.name
    assert frame.lineno + 1 == 3  # line 3 of the notebook cell: under the %%strace line and "x = 1"


def test_syntax_errors_and_top_level_await_are_refused_before_running(shell):
    with pytest.raises(SyntaxError):
        prepare_cell(shell, "never_defined = (\n")
    with pytest.raises(TopLevelAwait):
        prepare_cell(shell, "import asyncio\nawait asyncio.sleep(0)\n")
    assert "never_defined" not in shell.user_ns


def test_display_values_go_through_the_display_hook(shell):
    result = run(shell, "from spykit.notebook.cellrun import display_values\n"
                        "display_values(get_ipython(), ['shown'])")
    assert result.success and shell.user_ns["_"] == "shown"
    assert display_values(shell, []) is None


# -- %%strace: the cell runs as it would without the magic, and is traced --------------------------------

def test_cell_runs_as_usual_and_its_opens_are_traced(shell, tmp_path, capsys):
    here, there = tmp_path / "here.txt", tmp_path / "missing.conf"
    here.write_text("hello")
    shell.user_ns.update(here=str(here), there=str(there))
    result = run(shell, "%%strace -e openat -o t\n"
                        "content = open(here).read()\n"
                        "try:\n    open(there)\nexcept FileNotFoundError:\n    pass\n"
                        "print('printed', content)\n"
                        "len(content)\n")
    assert result.success, result.error_in_exec
    assert shell.user_ns["content"] == "hello"  # variables persist
    assert result.result == 5  # the last expression is the cell's result, displayed as Out[n]
    assert "printed hello" in capsys.readouterr().out  # output shows
    trace = shell.user_ns["t"]
    assert isinstance(trace, spykit.Trace)
    assert set(trace.df["syscall"].astype(str)) == {"openat"}
    # Only the cell's own opens: none of the magic's bookkeeping (imports, the helper's start).
    assert list(trace.df["path"]) == [str(here), str(there)]
    assert list(trace.df["error"].fillna("")) == ["", "ENOENT"]
    assert traced_thread_is_free()


def test_cell_that_starts_a_program_is_followed(shell):
    result = run(shell, "%%strace -o t\nimport subprocess\nsubprocess.run(['/bin/true'], check=True)\n")
    assert result.success, result.error_in_exec
    trace = shell.user_ns["t"]
    tree = trace.processes()
    assert len(tree) == 2
    assert list(tree["exe"])[1:] == ["/bin/true"]
    assert int(tree["parent"].iloc[1]) == os.getpid()
    assert (trace.df["tgid"] != os.getpid()).any()  # the child's own calls are recorded too


def test_data_limit_keeps_whole_payloads_in_a_cell_and_a_command(shell, tmp_path):
    log = tmp_path / "cell.log"
    shell.user_ns["log"] = str(log)
    line = "x" * 150 + "\n"
    result = run(shell, f"%%strace -o t\nwith open(log, 'w') as f:\n    f.write({line!r})\n")
    assert result.success, result.error_in_exec
    assert shell.user_ns["t"].written(str(log)) == line.encode()  # whole, though -s is 32
    result = run(shell, f"%%strace --data-limit 10 -o t\nwith open(log, 'w') as f:\n    f.write({line!r})\n")
    assert result.success, result.error_in_exec
    assert shell.user_ns["t"].writes().set_index("destination").loc[str(log), "first_bytes"] == b"x" * 10
    result = run(shell, "t4 = %strace --data-limit 3 -o t5 echo hello")
    assert result.success, result.error_in_exec
    writes = shell.user_ns["t4"].df.query("syscall == 'write'")
    assert writes["data"].tolist() == [b"hel"] and writes["ret"].tolist() == [6]


def test_no_follow_stays_on_the_cells_thread(shell):
    result = run(shell, "%%strace --no-follow -o t\nimport subprocess\nsubprocess.run(['/bin/true'])\n")
    assert result.success, result.error_in_exec
    df = shell.user_ns["t"].df
    assert len(df) and set(df["pid"]) == {threading.get_native_id()}


def test_exception_propagates_and_the_calls_before_it_are_kept(shell, tmp_path):
    shell.user_ns["gone"] = str(tmp_path / "gone")
    result = run(shell, "%%strace -e openat -o t\nbefore = 1\nopen(gone)\nafter = 2\n")
    assert isinstance(result.error_in_exec, FileNotFoundError)
    assert shell.user_ns["before"] == 1 and "after" not in shell.user_ns
    assert list(shell.user_ns["t"].df["path"]) == [str(tmp_path / "gone")]
    assert traced_thread_is_free()


def test_summary_option_shows_the_strace_c_table(shell, capsys):
    capsys.readouterr()
    result = run(shell, "%%strace -c -o t\nimport os\nfor _ in range(3):\n    os.getpid()\n")
    assert result.success, result.error_in_exec
    shown = capsys.readouterr().out
    assert "usecs/call" in shown and "getpid" in shown
    assert int(shell.user_ns["t"].counts["getpid"]) == 3


def test_bad_selection_is_a_usage_error_and_the_cell_does_not_run(shell):
    shell.user_ns.pop("ran", None)
    result = run(shell, "%%strace -e no_such_call\nran = True\n")
    assert type(result.error_in_exec).__name__ == "UsageError"
    assert "ran" not in shell.user_ns


def test_interrupt_mid_cell_reaches_the_cell_and_leaves_a_working_shell(shell, interruptible):
    me = os.getpid()
    timer = threading.Timer(0.5, os.kill, (me, signal.SIGINT))
    timer.start()
    try:
        started = time.monotonic()
        result = run(shell, "%%strace -o t\nimport time\nfor _ in range(200):\n    time.sleep(0.05)\n")
    finally:
        timer.cancel()
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert time.monotonic() - started < 8
    assert traced_thread_is_free()
    assert {"nanosleep", "clock_nanosleep"} & set(shell.user_ns["t"].df["syscall"].astype(str))
    again = run(shell, "%%strace -o t\nagain = 1 + 1\n")
    assert again.success and shell.user_ns["again"] == 2


def test_a_killed_helper_leaves_the_cell_running(shell, capsys):
    cell = "%%strace -o t\n" + KILL_OWN_HELPER
    shell.user_ns.pop("t", None)
    result = run(shell, cell)
    assert result.success, result.error_in_exec
    assert shell.user_ns["killed"] >= 1
    assert "t" not in shell.user_ns  # nothing was received, so nothing was stored
    assert "the cell itself ran normally" in capsys.readouterr().err.lower()
    assert traced_thread_is_free()
    assert run(shell, "%%strace -o t\nafter_kill = 3\n").success and shell.user_ns["after_kill"] == 3


def test_when_tracing_is_refused_the_cell_runs_untraced(shell, capsys, monkeypatch):
    from spykit.notebook import celltrace

    def refuse(self):
        raise spykit.TracingNotPermitted("ptrace is not allowed here", hint="use a recorded trace")

    monkeypatch.setattr(celltrace.CellTracer, "__enter__", refuse)
    shell.user_ns.pop("t", None)
    result = run(shell, "%%strace -o t\nuntraced = 7\nuntraced\n")
    assert result.success and result.result == 7 and shell.user_ns["untraced"] == 7
    said = capsys.readouterr().err
    assert "ptrace is not allowed here" in said and "use a recorded trace" in said and "without tracing" in said
    assert "t" not in shell.user_ns


# -- the line magics: thin shells over the public functions ----------------------------------------------

def test_line_strace_traces_a_command_and_returns_the_trace(shell, tmp_path):
    target = tmp_path / "read-me"
    target.write_text("x")
    shell.user_ns["target"] = str(target)
    result = run(shell, "t2 = %strace -e openat -o t3 cat {target}")
    assert result.success, result.error_in_exec
    trace = shell.user_ns["t2"]
    assert trace is shell.user_ns["t3"] and trace.returncode == 0
    assert str(target) in set(trace.df["path"])
    assert set(trace.df["syscall"].astype(str)) == {"openat"}


def test_line_strace_summary_and_missing_command(shell):
    result = run(shell, "s = %strace -c /bin/true")
    assert result.success, result.error_in_exec
    assert "calls" in shell.user_ns["s"].columns
    assert type(run(shell, "%strace -e openat").error_in_exec).__name__ == "UsageError"


def test_line_magics_split_their_line_as_a_shell_does(shell, python_exe, tmp_path):
    # IPython's own split keeps the quotes: Python would get the literal string '"print(1)"'
    result = run(shell, f"t4 = %strace -e write {python_exe} -c \"print('one two')\"")
    assert result.success, result.error_in_exec
    trace = shell.user_ns["t4"]
    assert trace.returncode == 0
    assert b"one two" in b"".join(trace.df["data"].dropna())
    (tmp_path / "a b").write_text("x")
    shell.user_ns["spaced"] = str(tmp_path)
    result = run(shell, "t5 = %strace -e openat cat '{spaced}/a b'")
    assert result.success, result.error_in_exec
    assert shell.user_ns["t5"].returncode == 0 and f"{tmp_path}/a b" in set(shell.user_ns["t5"].df["path"])
    assert type(run(shell, "%spytime sleep 'unclosed").error_in_exec).__name__ == "UsageError"


def test_spytime_and_wchan_return_their_functions_answers(shell):
    result = run(shell, "tm = %spytime sleep 0.2")
    assert result.success, result.error_in_exec
    timing = shell.user_ns["tm"]
    assert isinstance(timing, spykit.Timing) and timing.elapsed >= 0.2 and timing.hint == "waiting"
    result = run(shell, "w = %wchan -o samples sleep 0.3")
    assert result.success, result.error_in_exec
    table = shell.user_ns["w"]
    assert "sleep" in set(table["reason"]) and len(shell.user_ns["samples"]) >= 5


def test_wchan_of_a_pid(shell):
    sleeper = __import__("subprocess").Popen(["sleep", "5"])
    try:
        result = run(shell, f"w = %wchan -d 0.3 {sleeper.pid}")
        assert result.success, result.error_in_exec
        assert set(shell.user_ns["w"]["pid"]) == {sleeper.pid}
    finally:
        sleeper.kill()
        sleeper.wait()


def test_diagnose_magic(shell):
    result = run(shell, "d = %diagnose --timeout 10 sleep 0.5")
    assert result.success, result.error_in_exec
    assert shell.user_ns["d"].kind == "sleep"


def test_help_lists_every_option(shell):
    from spykit.notebook.magics import SpykitMagics

    doc = SpykitMagics.strace.__doc__
    for option in ("-e SPEC", "--no-follow", "-c", "-s N", "--data-limit N", "-o NAME"):
        assert option in doc


def test_the_display_names_the_variable_the_trace_is_in(shell, capsys):
    shell.user_ns.pop("_strace", None)
    cell = "import os\nfor _ in range(30):\n    os.getpid()\n"
    result = run(shell, "%%strace -e getpid\n" + cell)
    assert result.success, result.error_in_exec
    shown = capsys.readouterr().out
    kept = shell.user_ns["_strace"]  # without -o, the last cell's trace
    assert isinstance(kept, spykit.Trace) and len(kept.df) == 30
    assert "30 system calls" in shown and "more calls: all of them are in _strace.df" in shown
    assert "still running" not in shown and "traced while the cell ran" in shown
    assert run(shell, "%%strace -e getpid -o mine\n" + cell).success
    assert "all of them are in mine.df" in capsys.readouterr().out and shell.user_ns["_strace"] is kept


def test_when_tracing_is_refused_the_line_magic_says_why_without_a_traceback(shell, capsys, monkeypatch):
    def refuse(cmd, **options):
        raise spykit.TracingNotPermitted("ptrace is not allowed here", hint="use a recorded trace")

    monkeypatch.setattr(spykit, "trace", refuse)
    result = run(shell, "%strace -e openat true")
    assert result.success and result.result is None
    said = capsys.readouterr().err
    assert "ptrace is not allowed here" in said and "use a recorded trace" in said and "was not run" in said
