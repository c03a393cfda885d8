"""Nothing spykit starts for its own purposes outlives the call (issue 16, item 4).

``time``, ``wchan``, ``diagnose`` and ``profile`` run the program (some more than once); a server
it forks and forgets must not be left running after they return.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

import spykit
from spykit import procfs

PROGRAM = Path(__file__).parent / "programs" / "slow" / "forgets_a_server.py"


def _alive(pid: int) -> bool:
    st = procfs.read_stat(pid)
    return st is not None and st.state not in ("Z", "X")


@pytest.fixture
def servers(tmp_path):
    """The pidfile the program's servers write to; any server still alive afterwards is killed."""
    pidfile = tmp_path / "servers"
    yield pidfile
    for line in pidfile.read_text().split() if pidfile.exists() else []:
        try:
            os.kill(int(line), signal.SIGKILL)
        except ProcessLookupError:
            pass


def _started(pidfile: Path) -> list[int]:
    return [int(line) for line in pidfile.read_text().split()]


def _command(pidfile: Path, *options: str) -> list[str]:
    return [sys.executable, str(PROGRAM), str(pidfile), *options]


def test_time_ends_the_server_the_program_left_running(servers):
    timing = spykit.time(_command(servers))
    (server,) = _started(servers)
    assert not _alive(server)
    assert timing.returncode == 0 and timing.ended == 1
    assert "left 1 process running, which spykit killed" in str(timing)


def test_wchan_ends_a_server_that_left_the_session(servers):
    samples = spykit.wchan(_command(servers, "--setsid"), interval=0.01)
    (server,) = _started(servers)
    assert server in set(samples["pid"])  # seen while it was a descendant
    assert not _alive(server)
    assert samples.attrs["ended"] == 1


def test_profile_ends_the_server(servers):
    functions = spykit.profile(_command(servers))
    (server,) = _started(servers)
    assert not _alive(server)
    assert functions.attrs["ended"] == 1


def test_diagnose_leaves_nothing_running_and_says_so(servers):
    diagnosis = spykit.diagnose(_command(servers))
    started = _started(servers)
    assert len(started) == 3  # the measured run, the counted (traced) run and the profiled run
    assert not [pid for pid in started if _alive(pid)]
    notes = " ".join(diagnosis.evidence.notes)
    assert "When it exited it left 1 process running, which spykit killed" in notes
    assert "In the profiled run, when it exited it left 1 process running" in notes
    assert "which spykit killed" in str(diagnosis)


def test_a_capped_run_ends_the_whole_tree(servers):
    start = time.monotonic()
    timing = spykit.time(_command(servers) + ["--setsid"], timeout=0.15)
    assert timing.timed_out and time.monotonic() - start < 5
    assert not [pid for pid in _started(servers) if _alive(pid)]
