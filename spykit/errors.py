"""The small family of errors spykit raises.

Every error says what went wrong and what to do about it. OS errors (``errno``
values from ptrace, /proc and friends) are translated into these at the
boundary, the way psutil turns ``ESRCH`` into ``NoSuchProcess``.

Some children also inherit from the builtin exception a Python programmer
would expect (``PermissionError``, ``FileNotFoundError``, ``ProcessLookupError``),
so ``except PermissionError`` keeps working.
"""

from __future__ import annotations

from typing import Any


class SpykitError(Exception):
    """Base class of every error spykit raises on purpose.

    ``trace`` holds the partial :class:`~spykit.Trace` recorded before the
    error, when there is one, so that nothing already seen is lost.
    """

    def __init__(self, message: str, *, hint: str | None = None, trace: Any = None):
        self.message = message
        self.hint = hint
        self.trace = trace
        super().__init__(message if not hint else f"{message}\n  What to do: {hint}")


class TracingNotPermitted(SpykitError, PermissionError):
    """The kernel refused to let us trace (seccomp profile, Yama, another user, already traced)."""


class CommandNotFound(SpykitError, FileNotFoundError):
    """The program to run does not exist (on PATH, or at the given path)."""


class EmptyCommand(CommandNotFound, ValueError):
    """The command is empty: there is no program to run.

    Both a CommandNotFound (no program) and a ValueError (a bad argument), so code written
    against either kind of launcher catches it.
    """


class NoSuchDirectory(SpykitError, FileNotFoundError):
    """The folder given as ``cwd=`` does not exist (or is not a folder)."""


class InvalidArgument(SpykitError, ValueError):
    """Keyword arguments that cannot go together or make no sense (``stdin=`` with ``input=``...)."""


class NotExecutable(SpykitError, PermissionError):
    """The program exists but cannot be executed."""


class NoSuchProcess(SpykitError, ProcessLookupError):
    """The process id names no running process."""


class AccessDenied(SpykitError, PermissionError):
    """The kernel will not show this process's /proc files to us.

    The process belongs to another user, is not dumpable (its files then belong to root), or the
    file is one only root may read (/proc/PID/stack). What to do: look at your own processes, or
    run as the process's user or as root.
    """


class TraceInterrupted(SpykitError):
    """Tracing stopped early (Ctrl-C, a timeout, an error); ``trace`` has what was recorded."""


class TraceFileError(SpykitError, ValueError):
    """A saved trace file could not be read (truncated, not a trace, another version)."""
