"""strace and spykit, line by line, on the programs in programs/ (see harness.py)."""

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

pytestmark = [
    pytest.mark.strace,
    pytest.mark.skipif(shutil.which("strace") is None or shutil.which("gcc") is None,
                       reason="needs strace and gcc"),
]


@pytest.fixture(scope="module")
def outcomes():
    return harness.run_all()


def test_there_are_enough_programs():
    assert len([p for p in harness.PROGRAMS.iterdir() if p.suffix in (".c", ".py", ".sh", ".s")]) >= 30


def test_every_program_ran(outcomes):
    failed = {o.program: o.error for o in outcomes if o.error}
    assert not failed


def test_agreement(outcomes):
    all_pct, listed_pct, text = harness.summary(outcomes)
    print("\n" + text)
    details = harness.mismatch_report(outcomes, limit=40)
    assert all_pct >= 99.0, details
    assert listed_pct == 100.0, details
