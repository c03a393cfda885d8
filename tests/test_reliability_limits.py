"""Limits of the calling process: a caller holding more than 1,024 open fds (select()'s ceiling).

A Jupyter kernel or a server may raise RLIMIT_NOFILE and have many files open; every wait spykit
makes must then still work (issue 16, item 10).
"""

from __future__ import annotations

import os
import resource
import sys

import pytest

import spykit
from spykit.notebook.celltrace import CellTracer

MANY = 1100  # above FD_SETSIZE (1024): fds numbered past it are what select() refuses


@pytest.fixture
def many_fds():
    """This process with RLIMIT_NOFILE raised and more than 1,024 fds open; every new fd is > 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MANY + 200
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the hard RLIMIT_NOFILE ({hard}) is below {wanted}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    fds = [os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC) for _ in range(MANY)]
    try:
        probe = os.open(os.devnull, os.O_RDONLY)
        os.close(probe)
        assert probe > 1024
        yield
    finally:
        for fd in fds:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_time_works_with_many_fds_open(many_fds):
    timing = spykit.time([sys.executable, "-c", "import time; time.sleep(0.05)"])
    assert timing.returncode == 0
    assert timing.elapsed >= 0.05


def test_wchan_works_with_many_fds_open(many_fds):
    samples = spykit.wchan([sys.executable, "-c", "import time; time.sleep(0.2)"], interval=0.01)
    assert len(samples) > 0


def test_diagnose_works_with_many_fds_open(many_fds):
    diagnosis = spykit.diagnose(["sleep", "0.2"], count_syscalls=False)
    assert diagnosis.kind == "sleep"


def test_trace_works_with_many_fds_open(many_fds):
    trace = spykit.trace(["cat", "/etc/hostname"], syscalls=["openat"])
    assert trace.returncode == 0
    assert "/etc/hostname" in set(trace.df["path"].dropna())


def test_a_cell_is_traced_with_many_fds_open(many_fds, tmp_path):
    # what %%strace does around a cell: the helper answers through a pipe numbered above 1024
    probe = tmp_path / "cell.txt"
    with CellTracer(syscalls=["openat"]) as ct:
        open(probe, "w").close()
    assert str(probe) in set(ct.trace.df["path"].dropna())
