"""One line of strace's text output at a time: what kind of line it is, and what it says.

strace writes each line as ``[PID ][TIMESTAMP ]BODY[ <DURATION>]``:

- ``PID`` with ``-f`` (``1234  `` into a file, ``[pid  1234] `` on a terminal); none with ``-ff``,
  where the pid is the file name's suffix;
- ``TIMESTAMP`` with ``-t`` (``12:34:56``), ``-tt`` (``12:34:56.123456``), ``-ttt`` (seconds since
  the epoch, ``1733350000.123456``) or ``-r`` (seconds since the previous line, ``0.000123``);
- ``DURATION`` with ``-T`` (``<0.000012>``), after the result;
- ``BODY`` is a call (``name(args) = result``), the first half of a call another process
  interrupted (``name(args <unfinished ...>``) or its second half (``<... name resumed>args) =
  result``), a signal (``--- SIGCHLD {...} ---``), a stop (``--- stopped by SIGSTOP ---``), an end
  (``+++ exited with 0 +++``, ``+++ killed by SIGKILL (core dumped) +++``), or one of strace's own
  messages (``strace: Process 1234 attached``) when its standard error went into the same file.

Everything here is plain functions over strings; :mod:`spykit.strace_log.build` turns the
results into a Trace.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# The optional pid and timestamp before the body. A -r or -ttt timestamp has a decimal point and a
# pid never does, so "1234 0.000100 read(...)" and "0.000100 read(...)" cannot be confused.
PREFIX = re.compile(r" *(?:\[pid +(\d+)\] |(\d+) +)?(?:(\d\d:\d\d:\d\d(?:\.\d+)?|\d+\.\d+) +)?")
DURATION = re.compile(r" <(\d+\.\d+)>$")
# The whole line at once: pid, timestamp and body (the newline left out); the -T duration at the
# end of the body is then cut off with DURATION.
LINE = re.compile(PREFIX.pattern + r"([^\r\n]*)")
CALL = re.compile(r"([a-z_0-9]+|\?\?\?\?)\((.*)\) += (.*)$", re.S)
RESUMED = re.compile(r"<\.\.\. ([a-z_0-9]+|\?\?\?\?) resumed>(.*)$", re.S)
UNFINISHED = " <unfinished ...>"
DETACHED = " <detached ...>"
# A result: the value (decimal, hex, or ? when the call never returned), the fd's target that -y
# prints after a returned fd, an errno with strace's message, and what strace adds (the note).
RESULT = re.compile(r"(?:(0x[0-9a-f]+|-?\d+)(?:<(.*)>)?|\?)"
                    r"(?: (E[A-Z0-9_]+|ERRNO_\d+|E\?\?\?) \(([^)]*)\))?(.*)$", re.S)
SIGNAL = re.compile(r"--- (SIG[A-Z0-9+-]+|SIGRT_?\d+|\d+) (\{.*\}) ---$")
SI_CODE = re.compile(r"si_code=([A-Z_0-9]+|-?\d+)")
STOPPED = re.compile(r"--- stopped by (SIG[A-Z0-9]+) ---$")
EXITED = re.compile(r"\+\+\+ exited with (-?\d+) \+\+\+$")
KILLED = re.compile(r"\+\+\+ killed by (SIG[A-Z0-9]+|\d+)( \(core dumped\))? \+\+\+$")
# strace's own messages: "strace: ...", "[ Process PID=1234 runs in 32 bit mode. ]", and the
# "+++ superseded by execve in pid N +++" line a thread that exec'd leaves behind.
MESSAGE = re.compile(r"(?:strace: .*|\[ Process PID=\d+ .*\]|\+\+\+ superseded by execve in pid \d+ \+\+\+)$")
PERSONALITY = re.compile(r"\[ Process PID=(\d+) runs in (64 bit|32 bit|x32) mode\. \]$")
ATTACHED = re.compile(r"strace: Process (\d+) attached")


def stamp_kind(stamp: str) -> str:
    """Which option printed a timestamp: ``-t``, ``-tt``, or ``-ttt``/``-r`` (told apart by size)."""
    if ":" in stamp:
        return "-tt" if "." in stamp else "-t"
    # -ttt is seconds since 1970: any time this century is above 10**9; -r is a gap between lines.
    return "-ttt" if float(stamp) > 1e8 else "-r"


class Result(NamedTuple):
    ret: int | None
    ret_target: str | None  # -y: the target of a returned fd
    error: str | None
    note: str | None


def parse_result(text: str) -> Result | None:
    """``3</etc/passwd>``, ``-1 ENOENT (No such file or directory)``, ``0 (Timeout)``, ``?``..."""
    m = RESULT.match(text)
    if m is None:
        return None
    value, target, error, _message, note = m.groups()
    if note == "(deleted)" and target is not None:  # "= 4</tmp/#123>(deleted)": a file with no name left
        target, note = target + " (deleted)", None
    ret = None
    if value is not None:
        ret = int(value, 16) if value.startswith("0x") else int(value)
    return Result(ret, target, error, note or None)
