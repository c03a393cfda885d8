"""Trace.to_perfetto: Chrome trace-event JSON, one slice per call, that the viewers open."""

from __future__ import annotations

import json
import os
import stat
import sys

import pandas as pd
import pytest
from frames import call, event, make_trace

import spykit
from spykit.errors import SpykitError
from spykit.render.perfetto import REQUIRED

PHASES = {"X", "i", "C", "M"}


def _check_format(document: dict) -> list[dict]:
    """The fields the trace-event format requires, with the types it requires."""
    assert isinstance(document["traceEvents"], list)
    for e in document["traceEvents"]:
        for key in REQUIRED:
            assert key in e, (key, e)
        assert e["ph"] in PHASES and isinstance(e["name"], str)
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
        assert isinstance(e["ts"], int | float) and e["ts"] >= 0
        if e["ph"] == "X":
            assert isinstance(e["dur"], int | float) and e["dur"] >= 0
        if e["ph"] == "i":
            assert e["s"] in ("t", "p", "g")
        if e["ph"] == "C":
            assert all(isinstance(v, int | float) for v in e["args"].values())
    return document["traceEvents"]


def test_hand_made_trace_slices_instants_tracks_and_counter(tmp_path):
    rows = [call("openat", path="/etc/x", error="ENOENT", time=0.001, duration=0.0005),
            call("read", fd=0, path="/dev/pts/0", ret=3, time=0.002, pid=101, tgid=100),
            call("wait4", unfinished=True, time=0.003)]
    trace = make_trace(rows, [event("signal", pid=100, signal="SIGCHLD", time=0.0025, text="--- SIGCHLD ---"),
                              event("exit", pid=100, status=0, time=0.004)])
    wchan = pd.DataFrame({"time": [0.001, 0.002], "pid": [100, 100], "reason": ["network", None]})
    out = tmp_path / "t.json"
    trace.to_perfetto(out, wchan=wchan)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    events = _check_format(json.loads(out.read_text()))
    slices = [e for e in events if e["ph"] == "X"]
    assert [e["name"] for e in slices] == ["openat", "read", "wait4"]
    first = slices[0]
    assert (first["ts"], first["dur"], first["pid"], first["tid"]) == (1000.0, 500.0, 100, 100)
    assert first["args"]["result"] == "-1 ENOENT (No such file or directory)" and first["args"]["path"] == "/etc/x"
    assert slices[1]["tid"] == 101 and slices[1]["pid"] == 100  # a thread of process 100: its own track
    assert slices[2]["args"]["result"] == "unfinished" and slices[2]["ts"] + slices[2]["dur"] == pytest.approx(4000)
    instants = [e["name"] for e in events if e["ph"] == "i"]
    assert instants == ["SIGCHLD", "exited with 0"]
    counters = [e for e in events if e["ph"] == "C"]
    assert counters[0]["args"]["network"] == 1 and sum(counters[1]["args"].values()) == 0
    names = {(e["name"], e["tid"]) for e in events if e["ph"] == "M"}
    assert ("thread_name", 101) in names and ("process_name", 100) in names


def test_existing_file_becomes_private_and_bad_path_is_a_clear_error(tmp_path):
    out = tmp_path / "t.json"
    out.write_text("old")
    os.chmod(out, 0o644)
    make_trace([call("getpid", ret=100)]).to_perfetto(out)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with pytest.raises(SpykitError, match="cannot write the timeline"):
        make_trace([call("getpid", ret=100)]).to_perfetto(tmp_path / "no" / "such" / "t.json")


def test_a_log_without_timestamps_is_laid_out_in_order(tmp_path):
    trace = spykit.read_strace("getpid() = 5\ngetppid() = 1\n+++ exited with 0 +++\n")
    trace.to_perfetto(tmp_path / "t.json")
    document = json.loads((tmp_path / "t.json").read_text())
    slices = [e for e in _check_format(document) if e["ph"] == "X"]
    assert [e["ts"] for e in slices] == [0.0, 1.0]
    assert "no timestamps" in document["otherData"]["time"]


def test_a_real_trace_has_exactly_one_slice_per_call(tmp_path):
    trace = spykit.trace([sys.executable, "-c", "import os; os.fork() or os._exit(0); os.wait()"])
    out = tmp_path / "t.json"
    trace.to_perfetto(out)
    events = _check_format(json.loads(out.read_text()))
    assert sum(e["ph"] == "X" for e in events) == len(trace.df)
    assert len({e["pid"] for e in events if e["ph"] == "X"}) == 2
    assert any(e["ph"] == "i" and e["name"].startswith("exited") for e in events)


def test_cli_trace_writes_the_timeline(tmp_path, capsys):
    from spykit.cli import main

    out = tmp_path / "cli.json"
    assert main(["trace", "--perfetto", str(out), "-o", str(tmp_path / "t.txt"), "--", "/bin/true"]) == 0
    events = _check_format(json.loads(out.read_text()))
    assert any(e["name"] == "execve" for e in events)


def test_the_timeline_is_never_written_through_a_planted_symlink(tmp_path):
    # A name someone else planted as a symbolic link to a file of ours: the timeline replaces the
    # name, and the file it pointed to keeps its contents (as -o and --save do).
    victim = tmp_path / "precious.txt"
    victim.write_text("precious\n")
    planted = tmp_path / "t.json"
    planted.symlink_to(victim)
    make_trace([call("getpid", ret=100)]).to_perfetto(planted)
    assert victim.read_text() == "precious\n"
    assert not planted.is_symlink() and stat.S_IMODE(os.stat(planted).st_mode) == 0o600
    _check_format(json.loads(planted.read_text()))


def test_cli_checks_the_timeline_path_before_the_program_runs(tmp_path, capsys):
    from spykit.cli import main

    ran = tmp_path / "ran"
    status = main(["trace", "--perfetto", str(tmp_path / "no" / "such" / "t.json"), "-o", str(tmp_path / "t.txt"),
                   "--", "touch", str(ran)])
    assert status == 1 and not ran.exists()
    assert "--perfetto" in capsys.readouterr().err
