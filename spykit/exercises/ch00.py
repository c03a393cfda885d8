"""Chapter 00, wizard school: reading a trace.

- ``q1``: how many files does ``ls`` open? (checked against a live trace of ``ls``)
- ``q2``: which system call starts a new program?
- ``q3``: what does the error ``ENOENT`` mean?
"""

from __future__ import annotations

import os
import re
from typing import Any

from ._core import Exercise, Verdict, correct, incorrect, unchecked


def _ls_opens(cwd: str | None = None) -> tuple[int, int]:
    """(files opened, open attempts) of ``ls`` run here, from a live trace."""
    import spykit

    trace = spykit.trace(["ls"], syscalls=["open"], capture_output=True, cwd=cwd, timeout=30)
    opens = trace.df
    return int(opens["error"].isna().sum()), len(opens)


def _as_count(answer: Any) -> int | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return answer
    if isinstance(answer, float) and answer.is_integer():
        return int(answer)
    if isinstance(answer, str) and answer.strip().isdigit():
        return int(answer.strip())
    return None


def check_ls_opens(answer: Any, cwd: str | None = None) -> Verdict:
    count = _as_count(answer)
    if count is None:
        return incorrect(f"Give a whole number of files, such as 7 (you gave {answer!r}).")
    import spykit

    try:
        opened, attempts = _ls_opens(cwd)
    except spykit.TracingNotPermitted as refused:
        return unchecked(f"Tracing is not allowed here, so `ls` could not be traced to check: {refused.message}")
    if count == opened:
        return correct(f"A fresh trace of `ls` here also opened {opened} files: its libraries, locale data and "
                       "the directory itself. Every one of them is a system call you can see.")
    if count == attempts and attempts != opened:
        return incorrect(f"That counts every attempt, {attempts - opened} of which failed (-1 ENOENT): a failed "
                         "open opens nothing. Count only the calls that returned a file descriptor.")
    direction = "more" if opened > count else "fewer"
    return incorrect(f"A fresh trace of `ls` here opened {direction} files than that. Trace it with "
                     "syscalls=['open'] and count the rows without an error.")


q1 = Exercise(
    "ch00.q1", "How many files does `ls` open successfully in this directory?", check_ls_opens,
    hints=[
        "Trace it: t = spykit.trace('ls'). Which calls open a file?",
        "Keep only the open calls: t.filter('open'). Today's programs call openat, not open.",
        "A row with an error (-1 ENOENT) did not open anything: t.filter('open', failed=False) and count its rows.",
    ],
    solution="len(spykit.trace('ls', syscalls=['open']).filter(failed=False).df) - the exact number depends on "
             "the machine: the dynamic loader, the C library, the locale files and the directory listed.",
    example="q1.check(9)",
)

_NEW_PROCESS = {"fork", "vfork", "clone", "clone3"}
_EXEC = {"execve", "execveat"}


def check_exec_call(answer: Any) -> Verdict:
    if not isinstance(answer, str):
        return incorrect("Give the system call's name as a string, such as 'openat'.")
    name = answer.strip().lower().removesuffix("()").removeprefix("sys_")
    if name in _EXEC:
        return correct(f"{name} replaces the program running in a process by a new one; fork or clone come "
                       "first when the old program should carry on too.")
    if name in _NEW_PROCESS:
        return incorrect(f"{name} makes a new process, but it is a copy running the same program. Which call "
                         "does that copy make to become another program?")
    if name in {"exec", "system", "spawn", "posix_spawn", "popen"}:
        return incorrect(f"{name} is a library function, not a system call; under it, one system call does the "
                         "work. Look at the trace of a program that runs another one.")
    return incorrect(f"{name} does not start a program. Trace `sh -c ls` and look for the call whose path is /bin/ls.")


q2 = Exercise(
    "ch00.q2", "Which system call starts a new program?", check_exec_call,
    hints=[
        "Trace a program that runs another one: spykit.trace(['sh', '-c', 'ls']).",
        "Look at the process calls only: t.filter('%process').",
        "One call names /bin/ls as its path, and after it the process is running ls.",
    ],
    solution="execve (or its sibling execveat). fork/clone make a copy of the running program; execve then "
             "replaces that copy with the new program.",
    example="q2.check('openat')",
)

_ENOENT_WORDS = re.compile(r"no such|not exist|doesn.?t exist|does not exist|not found|missing|no file|"
                           r"isn.?t there|is not there|absent|nonexist", re.IGNORECASE)
_OTHER_ERRORS = {
    "permission": "EACCES (permission denied)", "denied": "EACCES (permission denied)",
    "exists": "EEXIST (the file already exists)", "directory": "ENOTDIR or EISDIR (a directory mix-up)",
    "again": "EAGAIN (try again later)", "interrupt": "EINTR (interrupted by a signal)",
}


def check_enoent(answer: Any) -> Verdict:
    if not isinstance(answer, str):
        return incorrect("Answer in words, as a string.")
    if _ENOENT_WORDS.search(answer) and not re.search(r"already exists", answer, re.IGNORECASE):
        return correct("ENOENT: no such file or directory. Programs get it all the time when they look for "
                       "files that may or may not be there; it is how they ask, not a crash.")
    for word, other in _OTHER_ERRORS.items():
        if word in answer.lower():
            return incorrect(f"That sounds like {other}. ENOENT is another one.")
    return incorrect("Not that. os.strerror(errno.ENOENT) prints the C library's message for it.")


q3 = Exercise(
    "ch00.q3", "A call returned -1 ENOENT. What does ENOENT mean, in your own words?", check_enoent,
    hints=[
        "strace prints the error's message in parentheses after the name.",
        f"Try: import errno, os; os.strerror(errno.ENOENT)  (it is {os.strerror(2)!r} here)",
    ],
    solution="There is no such file or directory: the path names nothing. A failed openat with ENOENT is "
             "usually a program checking whether a file is there.",
    example="q3.check('the file is ...')",
)

__all__ = ["q1", "q2", "q3"]
