"""spykit.diagnose: every kind from a test program written for it, every run; and honest timing."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from servers import SlowServer

import spykit
from spykit.errors import TraceInterrupted, TracingNotPermitted
from spykit.slow.diagnose import KINDS, Diagnosis, diagnose
from spykit.slow.render import KIND_HINTS

SLOW = Path(__file__).parent / "programs" / "slow"
QUICK = {"timeout": 10, "count_syscalls": False, "profile_python": False}


@pytest.fixture
def server():
    made = []

    def make(silence):
        made.append(SlowServer(silence))
        return made[-1]

    yield make
    for s in made:
        s.close()


@pytest.fixture
def command_for(python_exe, compile_c, tmp_path, server):
    """The test program for each kind, busy or waiting for about 0.8 s."""

    def command(kind: str) -> list[str]:
        if kind == "cpu":
            return [python_exe, str(SLOW / "busy.py"), "0.8"]
        if kind == "syscalls":
            return [compile_c("slow/tiny_writes.c"), "0.8", str(tmp_path / "tiny")]
        if kind == "disk":
            return [python_exe, str(SLOW / "fsync_loop.py"), "0.8", str(tmp_path / "journal")]
        if kind == "network":
            return [python_exe, str(SLOW / "tcp_client.py"), str(server(0.8).port)]
        if kind == "sleep":
            return [python_exe, str(SLOW / "sleeper.py"), "0.8"]
        if kind == "child":
            return [python_exe, str(SLOW / "runs_child.py"), "0.8"]
        if kind == "lock":
            return [python_exe, str(SLOW / "lock_wait.py"), "0.8", str(tmp_path / "lockfile")]
        if kind == "input":
            return [python_exe, str(SLOW / "pipe_reader.py"), "0.8"]
        raise AssertionError(kind)

    return command


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_from_its_test_program(kind, command_for):
    cmd = command_for(kind)
    d = diagnose(cmd, stdout=subprocess.DEVNULL, **QUICK)
    assert d.kind == kind, str(d)
    t = d.timing
    assert t.returncode == 0 and not t.timed_out and 0.8 <= t.elapsed < 8, str(d)
    # the explanation carries the numbers that led there
    assert f"It took {t.elapsed:.2f} s" in d.explanation
    if kind in ("cpu", "syscalls"):
        running = d.evidence.waits[d.evidence.waits["reason"] == "cpu"]["share"].sum()
        assert running >= 0.5 and "of the elapsed time" in d.explanation
    else:
        # On a loaded machine an fsync loop queues for a CPU after every fsync, and is then seen
        # "running": its disk share of the samples can be small (the verdict hands the queueing
        # back to the disk). The other programs wait on one thing only.
        share = d.evidence.waits[d.evidence.waits["reason"] == kind]["share"].sum()
        assert share >= (0.05 if kind == "disk" else 0.5), str(d)
        assert f"in {100 * share:.0f}% of {d.evidence.ticks} samples" in d.explanation, str(d)
    assert d.next_step


def test_network_names_the_server(python_exe, server):
    port = server(0.8).port
    d = diagnose([python_exe, str(SLOW / "tcp_client.py"), str(port)], stdout=subprocess.DEVNULL, **QUICK)
    assert f"waiting for data from 127.0.0.1:{port} (TCP)" in d.explanation
    assert f"127.0.0.1:{port}" in d.next_step


def test_child_says_what_the_child_was_doing(python_exe):
    d = diagnose([python_exe, str(SLOW / "runs_child.py"), "0.8"], **QUICK)
    assert "child process (sleep 0.8) was mostly sleeping on a timer" in d.explanation
    assert "spykit.diagnose('sleep 0.8')" in d.next_step
    assert d.evidence.children.iloc[0]["reason"] == "sleep"


def test_a_program_that_hangs_is_diagnosed_at_the_timeout(python_exe, server):
    port = server(None).port  # accepts, never answers
    start = time.monotonic()
    d = diagnose([python_exe, str(SLOW / "tcp_client.py"), str(port)], timeout=2.0, count_syscalls=False,
                 profile_python=False)
    assert time.monotonic() - start < 8
    assert d.kind == "network" and d.timing.timed_out
    assert any("timeout" in note for note in d.evidence.notes)


def test_python_programs_get_their_top_functions(python_exe):
    d = diagnose([python_exe, str(SLOW / "busy.py"), "0.5"], timeout=10, count_syscalls=False)
    assert d.kind == "cpu"
    functions = d.evidence.functions
    assert functions.iloc[0]["function"] == "sum_of_squares"
    assert "sum_of_squares (busy.py:7)" in d.explanation and "sum_of_squares" in d.next_step
    assert "Python functions" in str(d)


class FakeTrace:
    def __init__(self, counts: dict[str, int]):
        self.counts = pd.Series(counts, name="calls").sort_values(ascending=False)


def test_counts_are_evidence_and_cannot_change_the_verdict(python_exe, monkeypatch):
    calls = []

    def fake_trace(cmd, **kwargs):
        calls.append((cmd, kwargs))
        return FakeTrace({"fsync": 500_000, "write": 500_000, "read": 3})  # shouts "disk"

    monkeypatch.setattr(spykit, "trace", fake_trace, raising=False)
    cmd = [python_exe, str(SLOW / "sleeper.py"), "0.5"]
    d = diagnose(cmd, timeout=10, profile_python=False)
    assert d.kind == "sleep"
    assert calls and calls[0][0] == cmd and calls[0][1]["timeout"] <= 10 and calls[0][1]["max_events"]
    assert d.evidence.syscalls.index[0] in ("fsync", "write")
    # A sleeper's counts say nothing about its verdict: only on request (.details()), not in the words.
    assert "1,000,003" not in d.explanation and "1,000,003" not in str(d)
    assert "system calls, 1,000,003 in all" in d.details()


def test_an_interrupted_or_refused_count_is_a_note(python_exe, monkeypatch):
    def interrupted(cmd, **kwargs):
        raise TraceInterrupted("timeout", trace=FakeTrace({"write": 10}))

    monkeypatch.setattr(spykit, "trace", interrupted, raising=False)
    d = diagnose(["sleep", "0.3"], timeout=10)
    assert d.kind == "sleep" and d.evidence.syscalls.to_dict() == {"write": 10}
    stopped = [n for n in d.evidence.notes if "stopped at its limit" in n]
    assert stopped and "the untraced run took 0.3 s" in stopped[0]

    def refused(cmd, **kwargs):
        raise TracingNotPermitted("ptrace is not allowed here")

    monkeypatch.setattr(spykit, "trace", refused, raising=False)
    d = diagnose(["sleep", "0.3"], timeout=10)
    assert d.kind == "sleep" and d.evidence.syscalls is None
    assert any("ptrace is not allowed here" in n for n in d.evidence.notes)


def test_counts_from_the_real_tracer(compile_c, tmp_path):
    d = diagnose([compile_c("slow/tiny_writes.c"), "0.3", str(tmp_path / "out")], timeout=10)
    assert d.kind == "syscalls"
    counts = d.evidence.syscalls
    assert counts is not None, d.evidence.notes
    assert counts.index[0] == "write" and counts.iloc[0] > 1000
    assert "Start with write" in d.next_step


def test_text_and_html(python_exe):
    d = diagnose(["sh", "-c", "sleep 0.3", "<b>"], **QUICK)
    assert isinstance(d, Diagnosis) and d.kind == "child"
    text = str(d)
    assert text.splitlines()[0] == "Diagnosis of sh -c sleep 0.3 <b>: child (waiting for a child process)"
    assert "Evidence for 'child':" in text and "Next step:" in text and "0.3" in text
    assert "0:00." in d.details() and "context switches" in d.details()
    bundle = d._repr_mimebundle_()
    assert bundle["text/plain"] == text
    html = bundle["text/html"]
    assert "&lt;b&gt;" in html and "<table>" in html and "child" in html
    assert repr(d) == "<Diagnosis of 'sh -c sleep 0.3 <b>': child>"


def test_the_verdict_comes_first_and_the_counters_only_on_request():
    d = diagnose(["sh", "-c", "sleep 0.4"], **QUICK)
    text = str(d)
    lines = text.splitlines()
    assert lines[0].startswith("Diagnosis of sh -c sleep 0.4: child")
    assert d.explanation.startswith("It is waiting, for a child process:")  # the verdict, then numbers
    assert text.index("Next step:") < text.index("Evidence for 'child':")
    for counter in ("maxresident", "context switches", "inputs+", "voluntary"):
        assert counter not in text and counter not in d._repr_mimebundle_()["text/html"]
        assert counter in d.details()
    assert ".details()" in text


def test_the_label_agrees_with_spykit_time():
    d = diagnose(["sleep", "0.4"], **QUICK)
    assert d.kind == "sleep" and d.hint == "waiting" == d.timing.hint
    assert {KIND_HINTS[k] for k in ("disk", "network", "input", "child", "lock", "sleep")} == {"waiting"}
    assert KIND_HINTS["cpu"] == "on the CPU" and KIND_HINTS["syscalls"] == "in the kernel"


def test_a_program_blocked_opening_a_fifo_waits_for_input_and_the_pipe_is_named(tmp_path):
    fifo = tmp_path / "readings"
    os.mkfifo(fifo)
    d = diagnose(["cat", str(fifo)], timeout=1.0, interval=0.01, count_syscalls=False)
    assert d.kind == "input", d.explanation
    assert f"the named pipe {fifo}" in d.explanation
    samples = d.evidence.samples
    assert (samples["wchan"] == "wait_for_partner").any()  # the kernel's word for it, readable by anyone
    # A program opening it to write waits for a reader: not input.
    writer = spykit.wchan(["sh", "-c", f"echo x > {fifo}"], duration=0.5)
    waiting = writer[writer["wchan"] == "wait_for_partner"]
    assert len(waiting) and waiting["meaning"].str.contains("for reading").all()
    assert (waiting["reason"] == "other").all()
