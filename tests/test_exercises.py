"""The workshop's checked exercises: for each, a right answer, a wrong answer and no answer.

The checks that run a program (ls, the mysteries) really run it, under a private $HOME and
$TMPDIR, so the tests work as any user.
"""

from __future__ import annotations

import os
import sys
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
    trace = spykit.trace(["ls"], capture_output=True, cwd=str(work))
    opens = trace.filter("open").df
    opened = int(opens["error"].isna().sum())
    counts = ch00.ls_counts(str(work))
    assert (counts.opened, counts.attempts, counts.calls) == (opened, len(opens), len(trace.df))
    assert counts.paths[-1] == "." and counts.kinds[-1] == "directory"  # the directory it lists
    right = ch00.check_ls_opens(opened, cwd=str(work))
    assert right.status == CORRECT and counts.opened_in_words() in right.message


def test_ch00_ls_opens_answers(monkeypatch):
    monkeypatch.setattr(ch00, "ls_counts", lambda cwd=None: ch00.LsCounts(opened=9, attempts=12, calls=80))
    for right in (9, "9", 9.0, " 9 files ", "'9'"):
        verdict = ch00.q1.check(right)
        assert verdict.status == CORRECT and "also opened 9 files" in verdict.message
    assert "tried to open something" in ch00.q1.check(12).message and "3 of which failed" in ch00.q1.check("12").message
    assert "how many opens failed" in ch00.q1.check(3).message
    assert "system calls `ls` made in all" in ch00.q1.check(80).message
    assert "opened fewer files" in ch00.q1.check(20).message
    assert "opened more files" in ch00.q1.check(2).message
    assert status(ch00.q1.check("lots")) == INCORRECT


def test_ch00_what_ls_opened_in_words():
    counts = ch00.LsCounts(6, 6, 50, ("/etc/ld.so.cache", "/lib/libc.so.6", "/lib/libpcre2-8.so.0",
                                      "/usr/lib/locale/C.utf8/LC_CTYPE", "/proc/filesystems", "."),
                           ("file", "file", "file", "file", "file", "directory"))
    assert counts.opened_in_words() == "2 libraries, 1 locale file, 1 directory and 2 other files"
    assert ch00.LsCounts(1, 1, 9, ("/lib/libc.so.6",), ("file",)).opened_in_words() == "1 library"


@pytest.mark.parametrize("exercise", [ch00.q1, ch02.q3], ids=lambda q: q.name)
def test_a_counted_answer_has_no_number_for_an_example(exercise):
    # ls opens 9 files where LANG is unset, and a traced write rate depends on the machine: any
    # example number could be the right answer somewhere
    assert "check(" in exercise.example and not any(ch.isdigit() for ch in exercise.example.split("check(")[1])
    assert exercise.example in exercise.check().message
    assert not any(ch.isdigit() for ch in exercise.check("many").message.split("(you gave")[0])


def test_ch00_exec_call():
    for right in ("execve", "EXECVE", "execve()", "sys_execve", "`execve`", "'execveat'"):
        verdict = ch00.q2.check(right)
        assert verdict.status == CORRECT and "replaces the program" in verdict.message
    assert "a copy running the same program" in ch00.q2.check("fork").message
    assert "a copy running the same program" in ch00.q2.check("clone").message
    assert "library function" in ch00.q2.check("execvp").message
    assert "library function" in ch00.q2.check("system").message
    assert "waits for a child" in ch00.q2.check("wait4").message
    assert "does not start a program" in ch00.q2.check("openat").message


def test_ch00_enoent():
    for right in ("There is no such file or directory", "the file does not exist", "no entry", "No ENTRY",
                  "'not found'", "Error NO ENTry"):
        verdict = ch00.q3.check(right)
        assert verdict.status == CORRECT and "no such file or directory" in verdict.message
    assert "EACCES" in ch00.q3.check("permission denied").message
    assert "EEXIST" in ch00.q3.check("the file already exists").message
    assert "ENOTDIR" in ch00.q3.check("not a directory").message
    assert "EAGAIN" in ch00.q3.check("try again later").message
    vague = ch00.q3.check("it went wrong")
    assert vague.status == INCORRECT and "os.strerror" in vague.message and "Not that" not in vague.message


# -- chapter 01 --------------------------------------------------------------------------------------------

CONSENT = "Consent To Send Stats"


def test_ch01_consent_path_in_every_form(private_home, monkeypatch, tmp_path):
    forms = [str(private_home / ".config/wizard-browser" / CONSENT),
             f"~/.config/wizard-browser/{CONSENT}",
             "~/.config/wizard-browser/Consent\\ To\\ Send\\ Stats",  # the talk's shell form
             f"'$HOME/.config/wizard-browser/{CONSENT}'",
             f'"~/.wizard-browser/{CONSENT}"',  # its old place works too
             f"${{HOME}}/.local/share/wizard-browser/{CONSENT}"]
    for right in forms:
        verdict = ch01.q1.check(right)
        assert verdict.status == CORRECT and "ON" in verdict.message, (right, verdict)
    # The check works in a copy: nothing is left in the learner's home.
    assert list(private_home.iterdir()) == []


def test_ch01_consent_path_under_the_notebooks_pretend_home(private_home, tmp_path):
    import tempfile

    # as notebooks/workshop.py's pretend_home() makes it, and as missing() then prints the path
    pretend = tempfile.mkdtemp(prefix="wizard-home-", dir=tmp_path)
    right = ch01.q1.check(f"{pretend}/.config/wizard-browser/{CONSENT}")
    assert right.status == CORRECT and "ON" in right.message
    gone = f"{tmp_path}/wizard-home-zzzz9999/.wizard-browser/{CONSENT}"  # a pretend home since thrown away
    assert status(ch01.q1.check(gone)) == CORRECT
    assert os.listdir(pretend) == []


def test_ch01_consent_path_wrong_answers(private_home):
    assert "a directory the browser passes through" in ch01.q1.check("~/.config/wizard-browser").message
    # Python looks for its user site-packages under the home: really looked for, and not the consent
    site = f"~/.local/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"
    assert "did look for that path, but a file there changes nothing" in ch01.q1.check(site).message
    zipped = f"{sys.base_prefix}/lib/python{sys.version_info[0]}{sys.version_info[1]}.zip"  # outside the home
    assert "it is a start-up lookup" in ch01.q1.check(zipped).message
    assert "still says 'Usage statistics: OFF'" in ch01.q1.check("~/.config/wizard-browser/consent.txt").message
    assert "only looks under your home directory" in \
        ch01.q1.check(f"/etc/wizard-browser/{CONSENT}").message
    assert "whole path" in ch01.q1.check("relative/path").message


def test_ch01_consent_path_follows_xdg_config_home(private_home, monkeypatch, tmp_path):
    config = tmp_path / "elsewhere"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    assert status(ch01.q1.check(str(config / "wizard-browser" / CONSENT))) == CORRECT
    assert status(ch01.q1.check(f"$XDG_CONFIG_HOME/wizard-browser/{CONSENT}")) == CORRECT
    assert status(ch01.q1.check(f"~/.config/wizard-browser/{CONSENT}")) == INCORRECT


@pytest.fixture(scope="module")
def mystery_traces(tmp_path_factory):
    """One traced run of each chapter 01 mystery, shared by the checks (each check would trace afresh),
    and the temporary directory they ran with."""
    from spykit.exercises._live import traced

    tmp = tmp_path_factory.mktemp("shared-tmp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(tmp))
        patch.setenv("HOME", str(tmp_path_factory.mktemp("shared-home")))
        traces = {name: traced(name, *args) for name, args in
                  (("secret_helpers", ()), ("chatty", ()), ("hidden_log", ("--seconds", "0.5")))}
    return traces, tmp


@pytest.fixture
def shared_traces(monkeypatch, mystery_traces):
    traces, tmp = mystery_traces
    monkeypatch.setenv("TMPDIR", str(tmp))  # the learner's runs and the check's share a temporary directory
    monkeypatch.setattr(ch01, "traced", lambda name, *args: traces[name])
    return traces


def test_ch01_secret(shared_traces):
    for right in ("owl-feather-42", "--password owl-feather-42", "--password=owl-feather-42", "'owl-feather-42'",
                  "password: owl-feather-42"):
        verdict = ch01.q2.check(right)
        assert verdict.status == CORRECT and "updater's password" in verdict.message, (right, verdict)
    for right in ("9AB27880551192CE2F44D8F3", "--install-id 9AB27880551192CE2F44D8F3",
                  "the install id is 9AB27880551192CE2F44D8F3."):
        assert "install id" in ch01.q2.check(right).message
    assert "after --password, not after --install-id" in ch01.q2.check("--install-id owl-feather-42").message
    assert "value after" in ch01.q2.check("--password").message
    assert "an argument it was given" in ch01.q2.check("--type=crash-reporter").message
    assert "an argument it was given" in ch01.q2.check("--sync").message
    assert "Neither helper was given that" in ch01.q2.check("hunter2").message


def test_ch01_secret_against_a_live_trace():
    assert status(ch01.q2.check("--password owl-feather-42")) == CORRECT


def test_ch01_message(shared_traces):
    for right in ("MEET THE OWL AT NOON.", "meet the owl at noon", "'Meet the owl at noon!'",
                  "It says: meet the owl at noon",
                  b"MEET THE OWL AT NOON.\n", "b'MEET THE OWL AT NOON.\\n'"):
        verdict = ch01.q3.check(right)
        assert verdict.status == CORRECT and "what it sent" in verdict.message, (right, verdict)
    assert "its greeting" in ch01.q3.check("HELLO from apprentice 7").message
    assert "what the server said" in ch01.q3.check("HELLO. What is your message?").message
    assert "what the server said" in ch01.q3.check("got it. goodbye").message
    assert "no such message" in ch01.q3.check("MEET THE CAT AT DAWN").message


def learners_diary() -> str:
    """The diary's path from a learner's own run (another directory than the check's)."""
    import spykit

    run = spykit.trace(ch01.mystery("hidden_log", "--seconds", "0.3"), capture_output=True)
    written = run.writes()
    return next(d for d in written[written["kind"] == "file"]["destination"] if d.endswith(".log"))


def test_ch01_log_path(shared_traces, tmp_path):
    diary = Path(learners_diary())
    hideout = diary.parent
    for right in (str(diary), f"'{diary}'", f"{hideout.parent}/.quiet-*/.diary.log",
                  f"$TMPDIR/.quiet-XXXXXXXX/{diary.name}", f"{hideout.parent}/.quiet-<random>/.diary.log"):
        verdict = ch01.q4.check(right)
        assert verdict.status == CORRECT and "hidden directory" in verdict.message, (right, verdict)
    assert "the hidden directory it makes" in ch01.q4.check(str(hideout)).message
    # Python's tempfile probe of the temporary directory: the program did write it (a random name each run)
    probe = ch01.q4.check(str(hideout.parent / "_7zm7e5u"))
    assert probe.status == INCORRECT and "It did write" in probe.message and "tempfile" in probe.message
    assert "wrong place" in ch01.q4.check(f"/var/{diary.name}").message
    assert "no file of that name" in ch01.q4.check(str(hideout / "other.log")).message
    assert "whole path" in ch01.q4.check(".diary.log").message


# -- chapter 02 --------------------------------------------------------------------------------------------

def test_ch02_kinds():
    rights = [{"slow_1_network": "network", "slow_2_cpu": "CPU", "slow_3_writes.py": "disk"},
              {"mysteries/slow_1_network.py": "waiting on the network", "slow_2_cpu": "busy on the CPU",
               "SLOW_3_WRITES": "the disk (fsync)"},
              {"slow_1_network": "Network", "slow_2_cpu": "computing", "slow_3_writes": "writes and fsyncs"}]
    for right in rights:
        verdict = ch02.q1.check(right)
        assert verdict.status == CORRECT and "slow_3_writes: it makes thousands" in verdict.message
    base = rights[0]
    wrong = ch02.q1.check({**base, "slow_2_cpu": "network"})
    assert wrong.status == INCORRECT and "slow_2_cpu: nearly all its time is user time" in wrong.message
    wrong = ch02.q1.check({**base, "slow_3_writes": "cpu"})
    assert "slow_3_writes: its CPU time is mostly system time" in wrong.message
    vague = ch02.q1.check({**base, "slow_3_writes": "waiting"})  # true, but of the network one too
    assert "true of slow_3_writes, but of more than one" in vague.message
    assert "slow_2_cpu" in ch02.q1.check({**base, "slow_2_cpu": "waiting"}).message
    assert "missing" in ch02.q1.check({"slow_1_network": "network"}).message
    assert status(ch02.q1.check("cpu")) == INCORRECT


def test_ch02_hot_function_is_checked_against_a_live_profile():
    for right in ("is_magic", "is_magic()", "slow_2_cpu.is_magic", "'slow_2_cpu.py:is_magic'"):
        verdict = ch02.q2.check(right)
        assert verdict.status == CORRECT and "A fresh profile agrees: is_magic" in verdict.message
    assert "calls it" in ch02.q2.check("search_batch").message
    assert "calls it" in ch02.q2.check("main()").message
    assert "No function called no_such_function ran" in ch02.q2.check("no_such_function").message


def test_ch02_write_rate_is_checked_against_a_traced_run(monkeypatch):
    writes, elapsed = ch02.traced_writes(0.5)
    assert writes > 10 and elapsed > 0.4
    rate = writes / elapsed
    monkeypatch.setattr(ch02, "traced_writes", lambda seconds=1.0: (writes, elapsed))  # one run is enough here
    for right in (rate * 1.5, f"{rate:,.0f}", f"about {rate:.0f} writes/s", f"{rate / 2:.0f} per second"):
        verdict = ch02.q3.check(right)
        assert verdict.status == CORRECT and "writes per second" in verdict.message, right
    assert "the time one write takes" in ch02.q3.check(1 / rate).message
    assert "the time one write takes" in ch02.q3.check(f"{1000 / rate:.3f} ms").message
    assert "too high" in ch02.q3.check(rate * 100).message
    assert "too low" in ch02.q3.check(rate / 100).message
    assert status(ch02.q3.check("fast")) == INCORRECT
