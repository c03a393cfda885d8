"""Chapter 00, wizard school: reading a trace.

- ``q1``: how many files does ``ls`` open? (checked against a live trace of ``ls``)
- ``q2``: which system call starts a new program?
- ``q3``: what does the error ``ENOENT`` mean?
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from ._answers import as_count, text_of, unquoted, words
from ._core import Exercise, Verdict, correct, incorrect, unchecked


@dataclass(frozen=True)
class LsCounts:
    """What a live trace of ``ls`` did: files opened, open attempts, and system calls in all."""

    opened: int
    attempts: int
    calls: int
    paths: tuple[str, ...] = ()  # what it opened, in order
    kinds: tuple[str, ...] = ()  # the fd_kind of each

    def opened_in_words(self) -> str:
        """What the opened files were, counted by kind: "3 libraries, 1 directory and 2 other files"."""
        counts = {"library": 0, "locale": 0, "directory": 0, "other": 0}
        for path, kind in zip(self.paths, self.kinds, strict=True):
            name = os.path.basename(path)
            if (".so." in name or name.endswith(".so")) and name != "ld.so.cache":  # (the loader's list of them)
                counts["library"] += 1
            elif "/locale" in path or "/gconv/" in path:
                counts["locale"] += 1
            elif kind == "directory":
                counts["directory"] += 1
            else:
                counts["other"] += 1
        words = {"library": ("library", "libraries"), "locale": ("locale file", "locale files"),
                 "directory": ("directory", "directories"), "other": ("other file", "other files")}
        said = [f"{n} {words[k][n != 1]}" for k, n in counts.items() if n]
        return ", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else "".join(said)


def ls_counts(cwd: str | None = None) -> LsCounts:
    """The counts of ``ls`` run here, from a live trace (the learner's environment, locale included)."""
    import spykit

    trace = spykit.trace(["ls"], capture_output=True, cwd=cwd, timeout=30)
    opens = trace.filter("open").df
    opened = opens[opens["error"].isna()]
    return LsCounts(len(opened), len(opens), len(trace.df), tuple(str(p) for p in opened["path"]),
                    tuple(str(k) for k in opened["fd_kind"]))


def check_ls_opens(answer: Any, cwd: str | None = None) -> Verdict:
    count = as_count(answer)
    if count is None:
        return incorrect(f"Give a whole number of files (you gave {answer!r}).")
    import spykit

    try:
        ls = ls_counts(cwd)
    except spykit.TracingNotPermitted as refused:
        return unchecked(f"Tracing is not allowed here, so `ls` could not be traced to check: {refused.message}")
    if count == ls.opened:
        what = f" ({ls.opened_in_words()})" if len(ls.paths) == ls.opened else ""
        return correct(f"A fresh trace of `ls` here also opened {ls.opened} files{what}. Every one of them is a "
                       "system call you can see.")
    failed = ls.attempts - ls.opened
    if count == ls.attempts and failed:
        return incorrect(f"That is how many times it tried to open something, {failed} of which failed "
                         "(-1 ENOENT): a failed open opens nothing. Count only the calls that returned a file "
                         "descriptor.")
    if count == failed and failed:
        return incorrect("That is how many opens failed (-1 ENOENT). How many succeeded?")
    if count == ls.calls:
        return incorrect("That is how many system calls `ls` made in all. How many of them opened a file?")
    direction = "more" if ls.opened > count else "fewer"
    return incorrect(f"A fresh trace of `ls` here opened {direction} files than that. Trace it, keep the open "
                     "calls (t.filter('open')) and count the rows without an error.")


q1 = Exercise(
    "ch00.q1", "How many files does `ls` open successfully in this directory?", check_ls_opens,
    hints=[
        "Trace it: t = spykit.trace('ls'). Which calls open a file?",
        "Keep only the open calls: t.filter('open'). Today's programs call openat, not open.",
        "A row with an error (-1 ENOENT) did not open anything: t.filter('open', failed=False) and count its rows.",
    ],
    solution="len(spykit.trace('ls', syscalls=['open']).filter(failed=False).df) - the exact number depends on "
             "the machine and the locale (LANG): the dynamic loader, the C library, the locale files and the "
             "directory listed.",
    example="q1.check(number_of_files), with the number you counted",
)

_NEW_PROCESS = {"fork", "vfork", "clone", "clone3"}
_EXEC = {"execve", "execveat"}
_LIBRARY = {"exec", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "system", "spawn", "posix_spawn",
            "popen", "subprocess", "subprocess.run", "os.system", "os.execv"}
_PROCESS_CALLS = {"wait4": "it waits for a child to end", "waitid": "it waits for a child to end",
                  "exit_group": "it ends the process", "exit": "it ends a thread", "kill": "it sends a signal",
                  "getpid": "it asks for the process's own id"}


def check_exec_call(answer: Any) -> Verdict:
    text = text_of(answer)
    if not text:
        return incorrect("Give the system call's name as a string, such as 'openat'.")
    name = unquoted(text).strip("`").lower().removesuffix("()").removeprefix("sys_").strip()
    if name in _EXEC:
        return correct(f"{name} replaces the program running in a process by a new one; fork or clone come "
                       "first when the old program should carry on too.")
    if name in _NEW_PROCESS:
        return incorrect(f"{name} makes a new process, but it is a copy running the same program. Which call "
                         "does that copy make to become another program?")
    if name in _LIBRARY:
        return incorrect(f"{name} is a library function, not a system call; under it, one system call does the "
                         "work. Look at the trace of a program that runs another one.")
    if name in _PROCESS_CALLS:
        return incorrect(f"{name} is a system call about processes, but it starts no program: "
                         f"{_PROCESS_CALLS[name]}.")
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
                           r"isn.?t there|is not there|absent|nonexist|no (?:such )?entr(?:y|ies)|"
                           r"error,? no entry|no directory entry", re.IGNORECASE)
# Other errors a learner may describe, with the words that give them away.
_OTHER_ERRORS = (
    (r"permission|denied|not allowed", "EACCES (permission denied) or EPERM (operation not permitted)"),
    (r"already exists|file exists", "EEXIST (the file already exists)"),
    (r"not a directory", "ENOTDIR (a part of the path is not a directory)"),
    (r"is a directory", "EISDIR (it is a directory)"),
    (r"try again|again later|would block", "EAGAIN (try again later)"),
    (r"interrupt", "EINTR (interrupted by a signal)"),
    (r"bad file descriptor|bad fd", "EBADF (bad file descriptor)"),
)


def check_enoent(answer: Any) -> Verdict:
    text = text_of(answer)
    if not text:
        return incorrect("Answer in words, as a string.")
    said = words(text)
    if _ENOENT_WORDS.search(said) and not re.search(r"already exists", said):
        return correct("ENOENT (Error NO ENTry): no such file or directory. Programs get it all the time when "
                       "they look for files that may or may not be there; it is how they ask, not a crash.")
    for pattern, other in _OTHER_ERRORS:
        if re.search(pattern, said):
            return incorrect(f"That describes {other}. ENOENT is another one.")
    return incorrect("That is not what ENOENT means. os.strerror(errno.ENOENT) prints the C library's message "
                     "for it.")


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
