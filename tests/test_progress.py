"""Live words while work runs: progress phases, the command line's reports, wchan's changes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

from spykit import progress
from spykit.slow.wchan import WaitChanges

REPO = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_the_outermost_phase_is_current_and_ends_with_its_block():
    assert progress.current() is None
    with progress.phase("diagnose, run 3"):
        with progress.phase("profile"):
            what, seconds = progress.current()
            assert what == "diagnose, run 3" and 0 <= seconds < 1
    assert progress.current() is None


def test_a_phase_is_reported_only_after_a_second_then_every_second():
    out = io.StringIO()
    with progress.reporting(out, after=0.3, every=0.3), progress.phase("time: sleep running"):
        time.sleep(0.2)
        assert out.getvalue() == ""  # quick work says nothing
        time.sleep(0.55)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all(line.startswith("spykit: time: sleep running: ") for line in lines)


def test_wait_changes_says_each_change_once():
    said: list[str] = []
    changes = WaitChanges(said.append)
    sleeping = (0.1, 7, 7, "S", "hrtimer_nanosleep", "clock_nanosleep", "0, 0, 0x1, 0x0", None, None,
                "sleeping on a timer")
    changes(sleeping)
    changes((0.2, *sleeping[1:]))  # the same: nothing new
    changes((0.3, 7, 7, "R", None, None, None, None, None, "running on the CPU"))
    assert said == [
        "   0.10 s  pid 7 tid 7  S  hrtimer_nanosleep  clock_nanosleep(0, 0, 0x1, 0x0)  sleeping on a timer",
        "   0.30 s  pid 7 tid 7  R  -  -  running on the CPU",
    ]


def _lines_while_running(args: list[str], stream: str, wanted: str, seconds: float) -> tuple[float, str]:
    """Run ``spykit ARGS``; return when the first line holding ``wanted`` came (seconds from the
    start) and everything the stream said."""
    process = subprocess.Popen([sys.executable, "-m", "spykit.cli", *args], env=_env(), text=True,
                               stdout=subprocess.PIPE if stream == "stdout" else subprocess.DEVNULL,
                               stderr=subprocess.PIPE if stream == "stderr" else subprocess.DEVNULL)
    start = time.monotonic()
    pipe = process.stdout if stream == "stdout" else process.stderr
    came = None
    text = ""
    for line in pipe:
        text += line
        if came is None and wanted in line:
            came = time.monotonic() - start
            assert process.poll() is None  # said while it still runs
    process.wait(timeout=seconds)
    assert came is not None, text
    return came, text


def test_wchan_prints_what_a_command_waits_for_while_it_waits():
    came, text = _lines_while_running(["wchan", "--", "sleep", "3"], "stdout", "clock_nanosleep", 30)
    assert came < 2.5
    assert "wchan: sleep 3:" in text  # and the summary at the end


def test_diagnose_says_which_run_it_is_doing_when_it_takes_a_while():
    came, text = _lines_while_running(["diagnose", "--", "sleep", "2"], "stderr",
                                      "spykit: diagnose, run 1: sleep untraced, timed and sampled: 1 s so far", 60)
    assert "diagnose, run 2: sleep traced, counting its system calls" in text
