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

from spykit import procfs
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
        prefix = workdir.name[:-8]
        for right in (str(lock), f"'{lock}'", f"{tmp}/{prefix}*/sync.lock", f"$TMPDIR/{prefix}XXXXXXXX/sync.lock",
                      f"{tmp}/{prefix}<random>/sync.lock"):
            verdict = ch03.q1.check(right)  # the check removes the file from a run of its own, not this one
            assert verdict.status == CORRECT and "deadlock" in verdict.message, (right, verdict)
        assert lock.exists() and program.poll() is None
        assert "directory it works in" in ch03.q1.check(str(workdir)).message
        assert "directory it works in" in ch03.q1.check(f"{tmp}/{prefix}*").message
        assert "That is the temporary directory" in ch03.q1.check(str(tmp)).message
        assert "the program itself" in ch03.q1.check(str(MYSTERIES / "hangs.py")).message
        assert "no file of that name" in ch03.q1.check(str(workdir / "daemon.pid")).message
        assert "keeps nothing there" in ch03.q1.check(f"/var/{workdir.name}/sync.lock").message
        assert "name changes every run" in ch03.q1.check(str(tmp / "elsewhere-12345678" / "sync.lock")).message
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
    for right in ("~/.config/wizfmt/wizfmt.conf", str(private_home / ".config" / "wizfmt" / "wizfmt.conf"),
                  '"$HOME/.config/wizfmt/wizfmt.conf"', "${HOME}/.config/wizfmt/wizfmt.conf",
                  ".wizfmt.conf", "./.wizfmt.conf", str(MYSTERIES / ".." / "etc" / "wizfmt.conf")):
        verdict = ch03.q2.check(right)
        assert verdict.status == CORRECT and "Configuration loaded" in verdict.message, (right, verdict)
    for right in ("WIZFMT_CONFIG", "$WIZFMT_CONFIG", "${WIZFMT_CONFIG}", "WIZFMT_CONFIG=/some/file.conf"):
        verdict = ch03.q2.check(right)
        assert verdict.status == CORRECT and "$WIZFMT_CONFIG names a config file" in verdict.message, right
    assert "no notice" in ch03.q2.check("$WIZARD_CONFIG").message
    assert "/etc is a directory; wizfmt looks for a file" in ch03.q2.check("/etc").message
    assert "is a directory" in ch03.q2.check("'/etc/'").message
    assert "the program itself" in ch03.q2.check(str(MYSTERIES / "toolconf.py")).message
    wrong = ch03.q2.check("~/.config/wizfmt/config.ini")
    assert wrong.status == INCORRECT and "still finds no configuration" in wrong.message
    assert status(ch03.q2.check(42)) == INCORRECT
    nothing_made_in(private_home)


def test_q2_and_q3_under_the_notebooks_pretend_home(private_home, tmp_path):
    import tempfile

    pretend = tempfile.mkdtemp(prefix="wizard-home-", dir=tmp_path)  # as notebooks/workshop.py makes it
    right = ch03.q2.check(f"{pretend}/.config/wizfmt/wizfmt.conf")
    assert right.status == CORRECT and "Configuration loaded" in right.message
    right = ch03.q3.check(f"{pretend}/.config/wizfmt/wizfmt.d/house.rules")
    assert right.status == CORRECT and "house rules" in right.message
    assert os.listdir(pretend) == []
    nothing_made_in(private_home)


def test_q2_follows_xdg_config_home(private_home, monkeypatch, tmp_path):
    config = tmp_path / "elsewhere"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    assert status(ch03.q2.check(str(config / "wizfmt" / "wizfmt.conf"))) == CORRECT
    assert status(ch03.q2.check("$XDG_CONFIG_HOME/wizfmt/wizfmt.conf")) == CORRECT
    assert status(ch03.q2.check("~/.config/wizfmt/wizfmt.conf")) == INCORRECT
    assert not config.exists()


def test_q2_a_place_the_check_cannot_fill_is_not_marked_wrong_and_not_blamed_on_root():
    if os.path.exists("/etc/wizfmt.conf"):
        pytest.skip("this machine has a real /etc/wizfmt.conf")
    verdict = ch03.q2.check("/etc/wizfmt.conf")
    assert verdict.status == UNCHECKED and "It does look there" in verdict.message
    assert "root" not in verdict.message  # true for root and for everyone else


def test_q3_include_place_is_checked_with_a_config_file_in_each_place(private_home):
    right = ch03.q3.check("~/.config/wizfmt/wizfmt.d/house.rules")
    assert right.status == CORRECT and str(private_home / ".config" / "wizfmt" / "wizfmt.conf") in right.message
    for right in ("wizfmt.d/house.rules", "'$HOME/.config/wizfmt/wizfmt.d/house.rules'",  # beside ./.wizfmt.conf
                  str(MYSTERIES.parent / "etc" / "wizfmt.d" / "house.rules")):
        verdict = ch03.q3.check(right)
        assert verdict.status == CORRECT and "house rules" in verdict.message, (right, verdict)
    assert "question q2" in ch03.q3.check("~/.config/wizfmt/wizfmt.conf").message  # the first level, not the second
    assert "a directory it looks in once it has a config file" in \
        ch03.q3.check("~/.config/wizfmt/wizfmt.d").message
    assert "does not read a file there" in ch03.q3.check("~/.config/wizfmt/house.rules").message
    assert "does not read a file there" in ch03.q3.check("/nowhere/wizfmt.d/house.rules").message
    nothing_made_in(private_home)


# -- q4: what the child of slow_4_child.py waits for --------------------------------------------------------

def test_q4_child_wait_is_checked_against_a_live_diagnosis(monkeypatch):
    assert status(ch03.q4.check("the network: a TCP socket")) == CORRECT
    measured = ch03.live_child_wait()
    assert measured[:2] == ("child", "network")
    monkeypatch.setattr(ch03, "live_child_wait", lambda seconds=1.0: measured)  # one live run is enough here
    for right in ("network", "NETWORK", "'waiting for data from 127.0.0.1'", "a socket: its server answers slowly"):
        verdict = ch03.q4.check(right)
        assert verdict.status == CORRECT and "A live diagnosis agrees" in verdict.message, right
    assert "Not sleep" in ch03.q4.check("sleep").message
    assert "Not cpu" in ch03.q4.check("it computes").message
    for the_programs_own in ("its child", "wait4", "a subprocess"):  # what the program itself waits for
        assert "itself waits for" in ch03.q4.check(the_programs_own).message
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
    for right in ("the indexer", "its child", "'the --indexer process'", "a subprocess it started"):
        verdict = ch03.q5.check(right)
        assert verdict.status == CORRECT and f"held by pid {holder}" in verdict.message, right
    which = ch03.q5.check("another process")  # the question asks which one
    assert which.status == INCORRECT and "which one?" in which.message
    assert "which one?" in ch03.q5.check("some other program").message
    assert "pids change from run to run" in ch03.q5.check(f"process {holder}").message
    wrong = ch03.q5.check("another thread")
    assert wrong.status == INCORRECT and "/proc/locks" in wrong.message
    assert "threads that wait for the lock" in ch03.q5.check("the clerks").message
    assert f"another pid, {holder}" in ch03.q5.check("the program itself").message
    assert status(ch03.q5.check("dunno")) == INCORRECT
    monkeypatch.setattr(ch03, "live_lock_holder", lambda seconds=3.0: None)
    assert status(ch03.q5.check("a child process")) == UNCHECKED


def test_parse_proc_locks_pairs_waiters_with_the_lock_they_wait_for():
    table = ("1: FLOCK  ADVISORY  WRITE 4242 00:2e:1234 0 EOF\n"
             "1: -> FLOCK  ADVISORY  WRITE 4200 00:2e:1234 0 EOF\n"
             "1: -> FLOCK  ADVISORY  WRITE 4200 00:2e:1234 0 EOF\n"
             "2: POSIX  ADVISORY  READ 777 fd:01:99 0 EOF\n")
    holders, waiters = procfs.parse_proc_locks(table)
    assert holders == {"1:": (4242, "00:2e:1234"), "2:": (777, "fd:01:99")}
    assert waiters == [("1:", 4200), ("1:", 4200)]


def test_a_clerks_own_turn_is_told_apart_from_the_holder_they_wait_for():
    # A clerk's turn: the other clerks (pid 4200) queue behind their own process for a moment.
    own_turn = ("1: FLOCK  ADVISORY  WRITE 4200 00:2e:1234 0 EOF\n"
                "1: -> FLOCK  ADVISORY  WRITE 4200 00:2e:1234 0 EOF\n"
                "1: -> FLOCK  ADVISORY  WRITE 4201 00:2e:1234 0 EOF\n")
    assert procfs.holders_waited_for(own_turn, 4200) == [4200]
    indexer = own_turn.replace("WRITE 4200 00:2e:1234 0 EOF\n1: ->", "WRITE 4242 00:2e:1234 0 EOF\n1: ->", 1)
    assert procfs.holders_waited_for(indexer, 4200) == [4242]
    assert procfs.holders_waited_for(indexer, 9999) == []


def test_holder_named_reads_answers_in_words():
    assert ch03.holder_named("A child process") == "indexer"
    assert ch03.holder_named("the indexer helper") == "indexer"
    assert ch03.holder_named("a thread of another process") == "process"
    assert ch03.holder_named("another process") == "process"
    assert ch03.holder_named("another thread") == "thread"
    assert ch03.holder_named("the program itself") == "program"
    assert ch03.holder_named("one of the clerks") == "clerk"
    assert ch03.holder_named("somebody") is None


# -- q6: the pace of slow_6_pipe.py's station -----------------------------------------------------------------

def test_q6_reading_gap_is_checked_against_a_traced_run(monkeypatch):
    gaps = ch03.live_reading_gaps()
    assert len(gaps) >= 3 and all(0.1 < gap < 0.6 for gap in gaps), gaps
    monkeypatch.setattr(ch03, "live_reading_gaps", lambda seconds=1.3: gaps)
    typical = sorted(gaps)[len(gaps) // 2]
    for right in (typical, f"{typical:.2f} s", f"{typical * 1000:.0f} ms", f"'{typical:.2f} seconds'", "1/4 s"):
        verdict = ch03.q6.check(right)
        assert verdict.status == CORRECT and "received a reading every" in verdict.message, right
    assert "per second" in ch03.q6.check(round(1 / typical)).message
    assert "the time between two of them" in ch03.q6.check(sum(gaps)).message  # how long the readings went on
    assert "too long" in ch03.q6.check(typical * 10).message
    # a measured gap is the example's number somewhere: the example gives none
    assert not any(ch.isdigit() for ch in ch03.q6.example.split("check(")[1] + ch03.q6.check("soon").message)
    assert "too short" in ch03.q6.check(0.0001).message  # what path='pipe' gave: reads of slow_6_pipe.py itself
    assert status(ch03.q6.check("quite slowly")) == INCORRECT
    assert status(ch03.q6.check(True)) == INCORRECT
    monkeypatch.setattr(ch03, "live_reading_gaps", lambda seconds=1.3: [0.25])
    assert status(ch03.q6.check(0.25)) == UNCHECKED


def test_q6_solution_code_gives_positive_sensible_gaps():
    import spykit

    t = spykit.trace(ch03.mystery("slow_6_pipe", "--seconds", "1.3"), capture_output=True, timeout=60)
    assert ch03.Q6_SOLUTION_CODE in str(ch03.q6.solution())
    namespace = {"t": t}
    exec(ch03.Q6_SOLUTION_CODE.rsplit(";", 1)[0], namespace)  # r = ...
    gaps = eval(ch03.Q6_SOLUTION_CODE.rsplit(";", 1)[1], namespace).dropna()  # the expression it shows
    assert len(gaps) >= 3 and (gaps > 0.1).all() and (gaps < 0.6).all(), gaps.tolist()
    assert not namespace["r"]["path"].str.endswith(".py").any()
    # The trap it replaces: a path search for "pipe" also finds the program's own file, slow_6_pipe.py
    by_name = t.filter("read", path="pipe").df
    assert by_name["path"].str.endswith("slow_6_pipe.py").any()
    assert "fd_kind='pipe'" in " ".join(ch03.q6.hints)
