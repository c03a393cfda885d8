"""Running the programs an exercise is about, to check answers against what they really do."""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path

from ..errors import SpykitError

# Where the workshop's programs are, in the order they are looked for:
ENV = "SPYKIT_MYSTERIES"  # 1. a folder named here (notebooks/workshop.py names the checkout's own)
# 2. the copy a regular install ships inside the package (setup.py's build_py puts it there)
PACKAGED = Path(str(files("spykit"))) / "_workshop" / "mysteries"
# 3. the repository's folder, three up from here: an editable install or a checkout
CHECKOUT = Path(__file__).resolve().parent.parent.parent / "mysteries"


class WorkshopFileMissing(SpykitError, FileNotFoundError):
    """A program of the workshop (``mysteries/...``) is in none of the places spykit looks."""


def places() -> list[Path]:
    """The folders looked in for ``mysteries/``, first choice first."""
    named = os.environ.get(ENV)
    return ([Path(named)] if named else []) + [PACKAGED, CHECKOUT]


def find_mysteries() -> Path:
    """The first of :func:`places` that exists (the first place when none does: see :func:`mystery_file`)."""
    found = [p for p in places() if p.is_dir()]
    return (found or places())[0]


MYSTERIES = find_mysteries()


def mystery_file(filename: str) -> Path:
    """The path of ``mysteries/<filename>``; a clear error saying where it looked when it is nowhere."""
    for folder in [MYSTERIES, *places()]:
        path = folder / filename
        if path.is_file():
            return path
    looked = ", ".join(dict.fromkeys(str(p) for p in [MYSTERIES, *places()]))
    raise WorkshopFileMissing(
        f"the workshop's program mysteries/{filename} was not found (looked in: {looked})",
        hint=f"install spykit from its repository (pip install . or pip install -e .), or set {ENV} "
             "to the folder that holds the workshop's mysteries/ programs")


def mystery(name: str, *args: str) -> list[str]:
    """The command that runs ``mysteries/<name>.py`` with this interpreter."""
    return [os.path.realpath(sys.executable), str(mystery_file(f"{name}.py")), *args]


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
