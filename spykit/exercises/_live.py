"""Running the programs an exercise is about, to check answers against what they really do."""

from __future__ import annotations

import os
import sys
from pathlib import Path

MYSTERIES = Path(__file__).resolve().parent.parent.parent / "mysteries"


def mystery(name: str, *args: str) -> list[str]:
    """The command that runs ``mysteries/<name>.py`` with this interpreter."""
    path = MYSTERIES / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"the mystery {name}.py is not in {MYSTERIES}")
    return [os.path.realpath(sys.executable), str(path), *args]


def traced(name: str, *args: str):  # -> spykit.Trace
    """A trace of one mystery run, in this environment (each check runs it afresh: it takes a second)."""
    import spykit

    return spykit.trace(mystery(name, *args), capture_output=True, timeout=60)


def command_lines(trace) -> list[list[str]]:
    """Every command line exec'd anywhere in the traced process tree, as lists of words, in order.

    The one place checks read command lines: from processes()' argv, whole values the tracer kept at
    each exec (not the ``args`` text, which the string limit cuts).
    """
    return [list(argv) for runs in trace.processes()["argv"] for argv in runs]
