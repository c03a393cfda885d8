"""The code stays ruff clean (the rules are in pyproject.toml): checked with the tests, so a
style slip fails CI like any other defect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert "No module named ruff" not in result.stderr, "install the test extras: pip install -e '.[test]'"
    assert result.returncode == 0, result.stdout + result.stderr
