"""Where no C compiler was at hand when spykit was installed, its tracer runs the pure-Python loop
(spykit/tracer/loop.py alone). Everything else in this suite runs with the C loop when it is
built, so the tracer's own tests run here a second time, with SPYKIT_PURE_PYTHON=1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spykit.tracer import loop

TESTS = Path(__file__).resolve().parent
TRACER_TESTS = ["test_tracer.py", "test_reliability.py", "test_celltrace.py", "test_cli_text.py", "differential"]


@pytest.mark.skipif(loop._fastloop is None, reason="the C loop is not built: this whole run is pure Python")
def test_tracer_tests_pass_with_the_pure_python_loop(tmp_path):
    env = {**os.environ, "SPYKIT_PURE_PYTHON": "1"}
    probe = subprocess.run([sys.executable, "-c", "from spykit.tracer import loop; print(loop._fastloop)"],
                           env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "None"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                             "--basetemp", str(tmp_path / "pytest"), *TRACER_TESTS],
                            env=env, cwd=TESTS, capture_output=True, text=True, timeout=900)
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
    assert result.returncode == 0, f"tracer tests failed with the pure-Python loop:\n{tail}"
    assert " passed" in tail
