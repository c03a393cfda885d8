"""spykit.compare: what changed between two runs, matched by meaning, never by pid or time."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest
from frames import call, event, make_trace

import spykit
from spykit.comparison import (
    calls_changed,
    destination_key,
    errors_changed,
    files_found_now,
    files_missing_now,
    network_changed,
    processes_changed,
    writes_changed,
)
from spykit.errors import SpykitError

ROOT = Path(__file__).resolve().parent.parent
CONF = "/home/u/.config/app/settings"


def _run(found: bool, pid: int, peer_bytes: int, child_argv: list[str]) -> spykit.Trace:
    """A hand-made run: looks for its config, starts a child, talks to a server, writes a log."""
    rows = [
        call("execve", pid=pid, path="/usr/bin/app", time=0.0),
        call("openat", pid=pid, path=CONF, fd=3 if found else None, ret=3 if found else -1,
             error=None if found else "ENOENT", time=0.1),
        call("openat", pid=pid, path="/etc/ld.so.preload", error="ENOENT", startup=True, time=0.11),
        call("clone", pid=pid, ret=pid + 1, time=0.2),
        call("execve", pid=pid + 1, path=child_argv[0], time=0.3),
        call("connect", pid=pid, fd=4, path="socket:[77]", addr="127.0.0.1:8000", time=0.4),
        call("sendto", pid=pid, fd=4, path="socket:[77]", ret=peer_bytes, data=b"x" * peer_bytes, time=0.5),
        call("write", pid=pid, fd=5, path=f"pipe:[{pid}]", ret=3, data=b"on\n" if found else b"off", time=0.6),
    ]
    events = [event("spawn", pid=pid, child=pid + 1, how="fork", time=0.2)]
    execs = [{"row": 0, "argv": ["app"], "env": {}}, {"row": 4, "argv": child_argv, "env": {}}]
    return make_trace(rows, events, execs=execs, command=["app"])


def test_the_parts_match_by_meaning_not_by_pid():
    before = _run(False, 100, 5, ["/bin/helper", "--old"])
    after = _run(True, 900, 7, ["/bin/helper", "--new"])
    result = spykit.compare(before, after)
    assert result.files_found_now.to_dict("records") == [{"path": CONF, "before": "ENOENT", "after": "openat"}]
    assert result.files_missing_now.empty
    assert result.commands_only_before["command"].tolist() == ["/bin/helper --old"]
    assert result.commands_only_after["command"].tolist() == ["/bin/helper --new"]
    assert result.network.to_dict("records") == [{"peer": "127.0.0.1:8000", "direction": "out", "calls_before": 2,
                                                  "calls_after": 2, "bytes_before": 5, "bytes_after": 7}]
    # the socket and the pipe have other inodes in each run: matched by kind, and what was written changed
    assert result.writes.to_dict("records") == [
        {"destination": "pipe", "bytes_before": 3, "bytes_after": 3, "first_bytes_before": b"off",
         "first_bytes_after": b"on\n"},
        {"destination": "socket", "bytes_before": 5, "bytes_after": 7, "first_bytes_before": b"xxxxx",
         "first_bytes_after": b"xxxxxxx"}]
    # the start-up lookup failed in both runs; the config lookup's error went away
    assert result.errors_gone[["syscall", "path", "error"]].to_dict("records") == [
        {"syscall": "openat", "path": CONF, "error": "ENOENT"}]
    assert result.errors_appeared.empty
    assert result.calls.empty  # the same calls, as often
    assert not result.same
    assert "files found now that were missing before (1)" in str(result)
    assert CONF in result._repr_html_() and ".files_found_now" in result._repr_html_()
    assert before.compare(after).files_found_now.equals(result.files_found_now)
    assert spykit.compare(before, before).same
    assert "no difference" in str(spykit.compare(before, before))


def test_reverse_direction_and_counts():
    found = pd.DataFrame({"time": [0.0], "pid": [1], "syscall": ["openat"], "path": ["/a"], "flags": [""],
                          "ok": [True], "error": [None]})
    missing = pd.DataFrame({"path": ["/a"], "syscall": ["openat"], "error": ["EACCES"]})
    assert files_missing_now(found, missing).to_dict("records") == [{"path": "/a", "before": "openat",
                                                                     "after": "EACCES"}]
    assert files_found_now(missing.iloc[0:0], found).empty
    procs = pd.DataFrame({"argv": [[["sh", "-c", "x y"]], [["ls"], ["ls"]], []]})
    only_before, only_after = processes_changed(procs, procs.iloc[[0]])
    assert only_before.to_dict("records") == [{"command": "ls", "times": 2}] and only_after.empty
    counts = calls_changed(pd.Series({"read": 10, "write": 1}), pd.Series({"read": 4, "openat": 5}), top=2)
    assert counts.to_dict("records") == [{"syscall": "read", "before": 10, "after": 4, "change": -6},
                                         {"syscall": "openat", "before": 0, "after": 5, "change": 5}]


def test_network_writes_and_errors_tables_on_hand_made_answers():
    net = pd.DataFrame({"peer": ["10.0.0.1:53", None], "direction": ["out", ""], "bytes": [40, pd.NA]})
    changed = network_changed(net, net.iloc[0:0])
    assert changed.to_dict("records") == [{"peer": "10.0.0.1:53", "direction": "out", "calls_before": 1,
                                           "calls_after": 0, "bytes_before": 40, "bytes_after": 0}]
    assert network_changed(net, net).empty
    writes = pd.DataFrame({"destination": ["/var/log/app.log"], "bytes": [10], "first_bytes": [b"hello"]})
    only = writes_changed(writes, writes.iloc[0:0])
    assert only["destination"].tolist() == ["/var/log/app.log"] and only["first_bytes_after"].tolist() == [None]
    assert destination_key("TCP:[127.0.0.1:41000->127.0.0.1:8000]") == "TCP to 127.0.0.1:8000"
    assert destination_key("/tmp/#1234 (deleted)") == "/tmp/#N (deleted)"
    df = make_trace([call("stat", path="/x", error="ENOENT"), call("stat", path="/x", error="ENOENT")]).df
    appeared, gone = errors_changed(df.iloc[0:1], df)
    assert appeared.to_dict("records") == [{"syscall": "stat", "path": "/x", "error": "ENOENT", "times": 1}]
    assert gone.empty


def test_bad_input():
    with pytest.raises(SpykitError, match="two Trace objects"):
        spykit.compare("before.strace", "after.strace")


def _consent_in_a_fresh_home(tmp_path) -> tuple:
    """(home, env, command): consent.py run with an empty home of its own, as notebook 01 runs it."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("XDG_DATA_HOME", None)
    return home, env, [sys.executable, str(ROOT / "mysteries" / "consent.py")]


def test_the_consent_mystery_before_and_after(tmp_path):
    """Notebook 01's moment: create the consent file and run again; the kit shows the difference."""
    home, env, cmd = _consent_in_a_fresh_home(tmp_path)
    before = spykit.trace(cmd, env=env, capture_output=True)
    consent = home / ".config" / "wizard-browser" / "Consent To Send Stats"
    consent.parent.mkdir(parents=True)
    consent.write_text("wizard-1234\n")
    after = spykit.trace(cmd, env=env, capture_output=True)
    result = spykit.compare(before, after)
    assert str(consent) in result.files_found_now["path"].tolist()
    assert str(consent) in result.errors_gone["path"].tolist()
    stdout = result.writes[result.writes["destination"].str.contains("deleted")]
    assert b"OFF" in stdout["first_bytes_before"].iloc[0] and b"ON" in stdout["first_bytes_after"].iloc[0]
    assert result.commands_only_before.empty and result.commands_only_after.empty


def test_two_strace_logs_compare_like_two_traces(tmp_path):
    """The same before/after, recorded by strace elsewhere and read back."""
    import subprocess

    from conftest import need_tool

    strace = need_tool("strace")
    home, env, cmd = _consent_in_a_fresh_home(tmp_path)
    subprocess.run([strace, "-f", "-tt", "-o", str(tmp_path / "before.strace"), *cmd], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    consent = home / ".wizard-browser" / "Consent To Send Stats"
    consent.parent.mkdir()
    consent.write_text("wizard-1\n")
    subprocess.run([strace, "-f", "-tt", "-o", str(tmp_path / "after.strace"), *cmd], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    result = spykit.read_strace(tmp_path / "before.strace").compare(spykit.read_strace(tmp_path / "after.strace"))
    assert result.files_found_now["path"].tolist() == [str(consent)]
    assert result.commands_only_before.empty and result.commands_only_after.empty
