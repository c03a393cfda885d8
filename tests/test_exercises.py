"""The workshop's checked exercises: for each, a right answer, a wrong answer and no answer.

The checks that run a program (ls, the mysteries) really run it, under a private $HOME and
$TMPDIR, so the tests work as any user.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spykit.exercises import Exercise, Verdict, ch00, ch01, ch02, ch03
from spykit.exercises._core import CORRECT, INCORRECT, MISSING


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


def status(verdict: Verdict) -> str:
    assert isinstance(verdict, Verdict) and verdict.message
    return verdict.status


@pytest.mark.parametrize("exercise", [ch00.q1, ch00.q2, ch00.q3, ch01.q1, ch01.q2, ch01.q3, ch01.q4,
                                      ch02.q1, ch02.q2, ch02.q3, ch03.q1, ch03.q2, ch03.q3, ch03.q4,
                                      ch03.q5, ch03.q6], ids=lambda q: q.name)
def test_no_answer_is_said_plainly(exercise):
    for nothing in ((), (None,), ("",), ("____",)):
        verdict = exercise.check(*nothing)
        assert verdict.status == MISSING and not verdict
        assert "answer" in verdict.message.lower()


def test_hints_step_towards_the_answer_and_the_solution_is_last():
    q = Exercise("t", "Which number?", lambda a: Verdict(CORRECT if a == 3 else INCORRECT, "ok"),
                 hints=["a nudge", "warmer", "nearly: three"], solution="3")
    assert "Hint 1 of 3" in str(q.hint()) and "a nudge" in str(q.hint(1))
    assert "warmer" in str(q.hint())
    last = q.hint()
    assert "the last" in str(last) and "nearly: three" in str(last)
    assert "nearly: three" in str(q.hint())  # asking again repeats the last one
    assert "3" in str(q.solution()) and "<b>Solution:</b>" in q.solution()._repr_html_()
    assert not q.solved and q.check(3) and q.solved
    assert "color: #2e7d32" in q.check(3)._repr_html_()
    with pytest.raises(ValueError):
        Exercise("empty", "?", lambda a: Verdict(CORRECT, ""), hints=[], solution="")


def test_every_exercise_has_hints_and_a_solution():
    for chapter in (ch00, ch01, ch02):
        for name in chapter.__all__:
            q = getattr(chapter, name)
            assert len(q.hints) >= 2 and str(q.solution())


# -- chapter 00 --------------------------------------------------------------------------------------------

def test_ch00_ls_opens_is_checked_against_a_live_trace(tmp_path):
    import spykit

    work = tmp_path / "listing"
    work.mkdir()
    (work / "a-file").write_text("x")
    trace = spykit.trace(["ls"], syscalls=["open"], capture_output=True, cwd=str(work))
    opened = int(trace.df["error"].isna().sum())
    attempts = len(trace.df)
    assert status(ch00.check_ls_opens(opened, cwd=str(work))) == CORRECT
    assert status(ch00.check_ls_opens(str(opened), cwd=str(work))) == CORRECT
    assert status(ch00.check_ls_opens(opened + 5, cwd=str(work))) == INCORRECT
    if attempts != opened:  # counting the failed attempts too gets its own explanation
        assert "failed" in ch00.check_ls_opens(attempts, cwd=str(work)).message
    assert status(ch00.q1.check("lots")) == INCORRECT


def test_ch00_exec_call():
    assert status(ch00.q2.check("execve")) == CORRECT
    assert status(ch00.q2.check("execve()")) == CORRECT
    wrong = ch00.q2.check("fork")
    assert wrong.status == INCORRECT and "copy" in wrong.message
    assert status(ch00.q2.check("openat")) == INCORRECT


def test_ch00_enoent():
    assert status(ch00.q3.check("There is no such file or directory")) == CORRECT
    assert status(ch00.q3.check("the file does not exist")) == CORRECT
    wrong = ch00.q3.check("permission denied")
    assert wrong.status == INCORRECT and "EACCES" in wrong.message


# -- chapter 01 --------------------------------------------------------------------------------------------

def test_ch01_consent_path_is_checked_by_running_the_browser(private_home):
    right = ch01.q1.check(str(private_home / ".config/wizard-browser/Consent To Send Stats"))
    assert right.status == CORRECT and "ON" in right.message
    assert status(ch01.q1.check("~/.wizard-browser/Consent To Send Stats")) == CORRECT  # its old place works too
    assert status(ch01.q1.check("~/.config/wizard-browser/consent.txt")) == INCORRECT
    assert status(ch01.q1.check("/etc/wizard-browser/Consent To Send Stats")) == INCORRECT
    assert status(ch01.q1.check("relative/path")) == INCORRECT
    # The check works in a copy: nothing is left in the learner's home.
    assert list(private_home.iterdir()) == []


def test_ch01_consent_path_follows_xdg_config_home(private_home, monkeypatch, tmp_path):
    config = tmp_path / "elsewhere"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    assert status(ch01.q1.check(str(config / "wizard-browser/Consent To Send Stats"))) == CORRECT
    assert status(ch01.q1.check("~/.config/wizard-browser/Consent To Send Stats")) == INCORRECT


def test_ch01_secret():
    assert status(ch01.q2.check("owl-feather-42")) == CORRECT
    assert status(ch01.q2.check("9AB27880551192CE2F44D8F3")) == CORRECT
    assert status(ch01.q2.check("hunter2")) == INCORRECT
    assert "value after" in ch01.q2.check("--password").message


def test_ch01_message():
    assert status(ch01.q3.check("MEET THE OWL AT NOON.")) == CORRECT
    assert status(ch01.q3.check("meet the owl at noon")) == CORRECT
    assert "small talk" in ch01.q3.check("HELLO from apprentice 7").message
    assert status(ch01.q3.check("MEET THE CAT AT DAWN")) == INCORRECT


def test_ch01_log_path():
    import spykit

    run = spykit.trace(ch01.mystery("hidden_log", "--seconds", "0.3"), capture_output=True)
    written = run.writes()
    files = written[written["kind"] == "file"]["destination"]
    diary = next(d for d in files if d.endswith(".log"))  # a learner's own run: another directory than the check's
    assert status(ch01.q4.check(diary)) == CORRECT
    assert "wrong place" in ch01.q4.check(f"/var/{Path(diary).name}").message
    assert status(ch01.q4.check(os.path.join(os.path.dirname(diary), "other.log"))) == INCORRECT


# -- chapter 02 --------------------------------------------------------------------------------------------

def test_ch02_kinds():
    right = {"slow_1_network": "network", "slow_2_cpu": "CPU", "slow_3_writes.py": "disk"}
    assert status(ch02.q1.check(right)) == CORRECT
    wrong = ch02.q1.check({**right, "slow_2_cpu": "network"})
    assert wrong.status == INCORRECT and "slow_2_cpu" in wrong.message
    assert "missing" in ch02.q1.check({"slow_1_network": "network"}).message
    assert status(ch02.q1.check("cpu")) == INCORRECT


def test_ch02_hot_function_is_checked_against_a_live_profile():
    assert status(ch02.q2.check("is_magic")) == CORRECT
    assert "calls it" in ch02.q2.check("search_batch").message
    assert status(ch02.q2.check("no_such_function")) == INCORRECT


def test_ch02_write_rate_is_checked_against_a_traced_run(monkeypatch):
    rate = ch02.traced_write_rate(0.5)
    assert rate > 10
    monkeypatch.setattr(ch02, "traced_write_rate", lambda seconds=1.0: rate)  # one run is enough here
    assert status(ch02.q3.check(rate * 1.5)) == CORRECT
    assert "too high" in ch02.q3.check(rate * 100).message
    assert "too low" in ch02.q3.check(rate / 100).message
    assert status(ch02.q3.check("fast")) == INCORRECT
