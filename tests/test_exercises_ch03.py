"""Chapter 03's checked exercises (the wizard exercises): a right answer, a wrong answer and no answer each.

The checks really run the mysteries, under a private $HOME and $TMPDIR, so the tests work as any
user. Where one live measurement serves several answers, it is taken once and the check is then
given it (monkeypatch), as the chapter 02 tests do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spykit.exercises import ch03
from spykit.exercises._core import CORRECT, INCORRECT, UNCHECKED, Verdict
from spykit.exercises._live import MYSTERIES

EXERCISES = [ch03.q1, ch03.q2, ch03.q3, ch03.q4, ch03.q5, ch03.q6]


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "WIZFMT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return home


def status(verdict: Verdict) -> str:
    assert isinstance(verdict, Verdict) and verdict.message
    return verdict.status


def test_chapter_is_registered_and_every_exercise_has_hints_and_a_solution():
    import spykit.exercises

    assert spykit.exercises.ch03 is ch03 and "ch03" in spykit.exercises.__all__
    assert [getattr(ch03, name) for name in ch03.__all__] == EXERCISES
    for number, q in enumerate(EXERCISES, start=1):
        assert q.name == f"ch03.q{number}" and f"q{number}" in ch03.__doc__
        assert len(q.hints) >= 2 and str(q.solution()) and q.example.startswith(f"q{number}.check(")
        assert "mysteries/" in q.question


# -- q1: the file that keeps hangs.py hanging ----------------------------------------------------------------

def learners_own_hang(tmp: Path) -> tuple[subprocess.Popen, Path]:
    """Run hangs.py as a learner would and find its work directory (another run than the check's)."""
    program = subprocess.Popen([sys.executable, str(MYSTERIES / "hangs.py"), "--seconds", "20"],
                               stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not (found := [d for d in tmp.iterdir() if d.is_dir()]):
        assert time.monotonic() < deadline and program.poll() is None, "hangs.py never made its directory"
        time.sleep(0.05)
    return program, found[0]


def test_q1_hang_file_is_checked_by_removing_it_from_a_live_run(private_home, tmp_path):
    tmp = tmp_path / "tmp"
    program, workdir = learners_own_hang(tmp)
    try:
        lock = workdir / "sync.lock"
        right = ch03.q1.check(str(lock))  # the check removes the file from a run of its own, not this one
        assert right.status == CORRECT and "deadlock" in right.message
        assert lock.exists() and program.poll() is None
        assert "directory it works in" in ch03.q1.check(str(workdir)).message
        assert "no file of that name" in ch03.q1.check(str(workdir / "daemon.pid")).message
        assert status(ch03.q1.check(f"/var/{workdir.name}/sync.lock")) == INCORRECT
        assert status(ch03.q1.check(str(tmp / "elsewhere-12345678" / "sync.lock"))) == INCORRECT
        assert "whole path" in ch03.q1.check("sync.lock").message
    finally:
        program.terminate()
        program.wait(timeout=10)
    assert list(tmp.iterdir()) == []  # neither run left anything behind


# -- q2 and q3: where wizfmt looks --------------------------------------------------------------------------

def nothing_made_in(home: Path) -> None:
    """The checks work in a mirror: nothing appears in the learner's home or beside the program."""
    assert list(home.iterdir()) == []
    assert not (MYSTERIES.parent / "etc" / "wizfmt.conf").exists()
    assert not (Path.cwd() / ".wizfmt.conf").exists()


def test_q2_config_place_is_checked_by_running_wizfmt_with_a_file_there(private_home):
    right = ch03.q2.check("~/.config/wizfmt/wizfmt.conf")
    assert right.status == CORRECT and "Configuration loaded" in right.message
    assert status(ch03.q2.check(str(private_home / ".config" / "wizfmt" / "wizfmt.conf"))) == CORRECT
    assert status(ch03.q2.check(".wizfmt.conf")) == CORRECT  # in the current directory
    assert status(ch03.q2.check(str(MYSTERIES / ".." / "etc" / "wizfmt.conf"))) == CORRECT  # beside the program
    assert "--help" in ch03.q2.check("$WIZFMT_CONFIG").message
    assert status(ch03.q2.check("WIZFMT_CONFIG")) == CORRECT
    assert "no notice" in ch03.q2.check("$WIZARD_CONFIG").message
    wrong = ch03.q2.check("~/.config/wizfmt/config.ini")
    assert wrong.status == INCORRECT and "missing" in wrong.message
    assert status(ch03.q2.check(42)) == INCORRECT
    nothing_made_in(private_home)


def test_q2_follows_xdg_config_home(private_home, monkeypatch, tmp_path):
    config = tmp_path / "elsewhere"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    assert status(ch03.q2.check(str(config / "wizfmt" / "wizfmt.conf"))) == CORRECT
    assert status(ch03.q2.check("~/.config/wizfmt/wizfmt.conf")) == INCORRECT
    assert not config.exists()


def test_q2_a_place_only_root_can_fill_is_not_marked_wrong():
    if os.path.exists("/etc/wizfmt.conf"):
        pytest.skip("this machine has a real /etc/wizfmt.conf")
    assert status(ch03.q2.check("/etc/wizfmt.conf")) == UNCHECKED  # it looks there, but the check cannot write


def test_q3_include_place_is_checked_with_a_config_file_in_each_place(private_home):
    right = ch03.q3.check("~/.config/wizfmt/wizfmt.d/house.rules")
    assert right.status == CORRECT and str(private_home / ".config" / "wizfmt" / "wizfmt.conf") in right.message
    assert status(ch03.q3.check("wizfmt.d/house.rules")) == CORRECT  # beside a .wizfmt.conf in the current directory
    assert "q2" in ch03.q3.check("~/.config/wizfmt/wizfmt.conf").message  # the first level, not the second
    assert status(ch03.q3.check("~/.config/wizfmt/house.rules")) == INCORRECT
    assert status(ch03.q3.check("/nowhere/wizfmt.d/house.rules")) == INCORRECT
    nothing_made_in(private_home)


# -- q4: what the child of slow_4_child.py waits for --------------------------------------------------------

def test_q4_child_wait_is_checked_against_a_live_diagnosis(monkeypatch):
    assert status(ch03.q4.check("the network: a TCP socket")) == CORRECT
    measured = ch03.live_child_wait()
    assert measured[:2] == ("child", "network")
    monkeypatch.setattr(ch03, "live_child_wait", lambda seconds=1.0: measured)  # one live run is enough here
    assert status(ch03.q4.check("network")) == CORRECT
    assert "Not sleep" in ch03.q4.check("sleep").message
    assert "itself waits for" in ch03.q4.check("its child").message
    assert status(ch03.q4.check("no idea")) == INCORRECT
    assert status(ch03.q4.check(["network"])) == INCORRECT
    monkeypatch.setattr(ch03, "live_child_wait", lambda seconds=1.0: ("cpu", None, None))
    assert status(ch03.q4.check("network")) == UNCHECKED  # a run that did not behave is no verdict


def test_kinds_named_reads_answers_in_words():
    assert ch03.kinds_named("It waits for data on a TCP socket") == ["network"]
    assert ch03.kinds_named("SLEEPING on a timer") == ["sleep"]
    assert ch03.kinds_named("its child waits on the network") == ["network", "child"]
    assert ch03.kinds_named("no idea") == []


# -- q5: who holds the lock in slow_5_lock.py ----------------------------------------------------------------

def test_q5_lock_holder_is_checked_against_proc_locks_in_a_live_run(monkeypatch):
    right = ch03.q5.check("a child process: the indexer")
    assert right.status == CORRECT and "--indexer" in right.message
    found = ch03.live_lock_holder()
    assert found is not None
    program, holder, command = found
    assert holder != program and "--indexer" in command
    monkeypatch.setattr(ch03, "live_lock_holder", lambda seconds=3.0: found)
    wrong = ch03.q5.check("another thread")
    assert wrong.status == INCORRECT and "/proc/locks" in wrong.message
    assert status(ch03.q5.check("dunno")) == INCORRECT
    monkeypatch.setattr(ch03, "live_lock_holder", lambda seconds=3.0: None)
    assert status(ch03.q5.check("a child process")) == UNCHECKED


def test_parse_proc_locks_pairs_waiters_with_the_lock_they_wait_for():
    table = ("1: FLOCK  ADVISORY  WRITE 4242 00:2e:1234 0 EOF\n"
             "1: -> FLOCK  ADVISORY  WRITE 4200 00:2e:1234 0 EOF\n"
             "1: -> FLOCK  ADVISORY  WRITE 4200 00:2e:1234 0 EOF\n"
             "2: POSIX  ADVISORY  READ 777 fd:01:99 0 EOF\n")
    holders, waiters = ch03.parse_proc_locks(table)
    assert holders == {"1:": (4242, "00:2e:1234"), "2:": (777, "fd:01:99")}
    assert waiters == [("1:", 4200), ("1:", 4200)]


def test_holder_named_reads_answers_in_words():
    assert ch03.holder_named("A child process") == "process"
    assert ch03.holder_named("the indexer helper") == "process"
    assert ch03.holder_named("a thread of another process") == "process"
    assert ch03.holder_named("another thread") == "thread"
    assert ch03.holder_named("the program itself") == "thread"
    assert ch03.holder_named("somebody") is None


# -- q6: the pace of slow_6_pipe.py's station -----------------------------------------------------------------

def test_q6_reading_gap_is_checked_against_a_traced_run(monkeypatch):
    gaps = ch03.live_reading_gaps()
    assert len(gaps) >= 3 and all(0.1 < gap < 0.6 for gap in gaps), gaps
    monkeypatch.setattr(ch03, "live_reading_gaps", lambda seconds=1.3: gaps)
    typical = sorted(gaps)[len(gaps) // 2]
    assert status(ch03.q6.check(typical)) == CORRECT
    assert status(ch03.q6.check(f"{typical:.2f} s")) == CORRECT
    assert "per second" in ch03.q6.check(round(1 / typical)).message
    assert "too long" in ch03.q6.check(typical * 10).message
    assert "too short" in ch03.q6.check(typical / 10).message
    assert status(ch03.q6.check("quite slowly")) == INCORRECT
    assert status(ch03.q6.check(True)) == INCORRECT
    monkeypatch.setattr(ch03, "live_reading_gaps", lambda seconds=1.3: [0.25])
    assert status(ch03.q6.check(0.25)) == UNCHECKED
