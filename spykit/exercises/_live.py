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


def argument_values(trace, flag: str) -> set[str]:
    """Every value that followed ``flag`` on a command line anywhere in the traced process tree."""
    values = set()
    for runs in trace.processes()["argv"]:
        for argv in runs:
            values.update(argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == flag)
    return values
