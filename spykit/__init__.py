"""spykit: spy on your programs.

Trace a program's system calls into a pandas DataFrame, find out where a slow program
spends its time, and do both from a Jupyter notebook.

The public API::

    spykit.trace(cmd)        run a program under ptrace -> Trace
    spykit.attach(pid)       trace a running process until stopped -> Trace
    spykit.load(path)        read a saved Trace
    spykit.time(cmd)         user, system and elapsed time -> Timing
    spykit.wchan(target)     sample wait channels -> WaitSamples
    spykit.profile(target)   where a Python program spends its time -> Profile
    spykit.diagnose(cmd)     why is it slow? -> Diagnosis
    spykit.explain(name)     one plain sentence about a system call or an errno
    spykit.read_strace(log)  read strace's text output (a file, -ff files, or the text) -> Trace
    spykit.compare(a, b)     what changed between two traces of a program -> Comparison

The four slow-program tools (time, wchan, profile, diagnose) answer in one shape: an object
with ``.df`` (the rows behind the answer, a DataFrame), ``str()`` (the answer as text) and a
notebook display that says the same (see spykit.slow.results).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import (
    AccessDenied,
    CommandNotFound,
    EmptyCommand,
    InvalidArgument,
    NoSuchDirectory,
    NoSuchProcess,
    NotExecutable,
    SpykitError,
    TraceFileError,
    TraceInterrupted,
    TracingNotPermitted,
)
from .tracedata import Trace
from .tracer.api import attach, trace

__version__ = "0.1.0"

# Heavier parts are imported on first use, so `import spykit` stays quick.
_LAZY = {
    "load": ("spykit.storage", "load"),
    "time": ("spykit.slow.timing", "time"),
    "Timing": ("spykit.slow.timing", "Timing"),
    "wchan": ("spykit.slow.wchan", "wchan"),
    "WaitSamples": ("spykit.slow.results", "WaitSamples"),
    "profile": ("spykit.slow.profile", "profile"),
    "Profile": ("spykit.slow.results", "Profile"),
    "diagnose": ("spykit.slow.diagnose", "diagnose"),
    "Diagnosis": ("spykit.slow.diagnose", "Diagnosis"),
    "explain": ("spykit.syscalls.explain", "explain"),
    "read_strace": ("spykit.strace_log", "read_strace"),
    "compare": ("spykit.comparison", "compare"),
    "Comparison": ("spykit.comparison", "Comparison"),
}

__all__ = [
    "AccessDenied",
    "CommandNotFound",
    "EmptyCommand",
    "InvalidArgument",
    "NoSuchDirectory",
    "NoSuchProcess",
    "NotExecutable",
    "SpykitError",
    "Trace",
    "TraceFileError",
    "TraceInterrupted",
    "TracingNotPermitted",
    "attach",
    "trace",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'spykit' has no attribute {name!r}") from None
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext spykit``: register the magics and the live status of long cells. IPython is
    imported only here."""
    from .notebook.magics import load_ipython_extension as _load
    from .notebook.status import activate

    _load(ipython)
    activate(ipython)  # a live status for long cells, in a Jupyter kernel only
