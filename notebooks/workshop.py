"""What the workshop notebooks share: tracing that falls back to recorded traces, and the mysteries.

Every trace in the notebooks goes through :func:`trace`, which is :func:`spykit.trace` plus a name.
Where this machine does not allow ptrace (some containers block it), it loads the trace of the same
name from ``notebooks/recorded/`` instead, so a notebook still runs top to bottom, and it says so.

``notebooks/record.py`` remakes the recordings: it runs every notebook with ``SPYKIT_WORKSHOP_RECORD``
set, and :func:`trace` then saves each trace it makes under its name.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import spykit

HERE = Path(__file__).resolve().parent
RECORDED = HERE / "recorded"
MYSTERIES = HERE.parent / "mysteries"
RECORD_ENV = "SPYKIT_WORKSHOP_RECORD"

_live: bool | None = None  # None until check_tracing() has looked


def check_tracing() -> bool:
    """Trace a tiny program once, say whether tracing works here, and remember the answer."""
    global _live
    try:
        spykit.trace([sys.executable, "-c", "pass"], timeout=60)
    except spykit.TracingNotPermitted as refused:
        _live = False
        print("Tracing is NOT allowed on this machine, so this notebook cannot trace programs live.")
        print(f"  Why: {refused.message}")
        if refused.hint:
            print(f"  What you could do: {refused.hint}")
        print("Every trace below is loaded from a recording made on another machine (notebooks/recorded/).")
        print("The tools that need no tracing (time, wait channels, the profiler) still run live.")
    else:
        _live = True
        print("Tracing works here: every trace in this notebook is made live, on this machine.")
    return _live


def is_live() -> bool:
    """True when traces are made live, False when they come from recordings."""
    return check_tracing() if _live is None else _live


def trace(name: str, cmd: list[str] | str, **options: Any) -> spykit.Trace:
    """``spykit.trace(cmd, **options)``; where tracing is not allowed, the recording called ``name``."""
    recording = RECORDED / f"{name}.parquet"
    if not is_live():
        print(f"(recorded trace: {recording.name})")
        return spykit.load(recording)
    result = spykit.trace(cmd, **options)
    if os.environ.get(RECORD_ENV):
        RECORDED.mkdir(exist_ok=True)
        result.save(recording)
    return result


def python(*args: str) -> list[str]:
    """A command that runs this notebook's own Python (``python3`` on PATH may be another one)."""
    return [sys.executable, *args]


def mystery(name: str, *args: str) -> list[str]:
    """The command that runs ``mysteries/<name>.py`` with this notebook's Python."""
    return python(str(MYSTERIES / f"{name}.py"), *args)


def scratch_dir(prefix: str = "workshop-") -> Path:
    """A new empty folder for the notebook's files, removed when the notebook's kernel stops."""
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return Path(folder)


def pretend_home() -> dict[str, str]:
    """Environment variables giving a program a brand-new, empty home directory.

    The Wizard Browser looks for its files under your home; giving it a home of its own keeps your
    real one tidy, and lets you start the case again from scratch by running this again.
    """
    home = str(scratch_dir("wizard-home-"))
    return {**os.environ, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config",
            "XDG_DATA_HOME": f"{home}/.local/share"}
