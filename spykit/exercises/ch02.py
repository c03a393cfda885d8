"""Chapter 02, the case of the slow program.

- ``q1``: classify each slow mystery: busy on the CPU, busy in the kernel and the disk, or waiting
  on the network.
- ``q2``: the hot function of ``mysteries/slow_2_cpu.py`` (checked against a live profile).
- ``q3``: about how many writes per second ``mysteries/slow_3_writes.py`` makes under a trace
  (checked against a live traced run).
"""

from __future__ import annotations

import os
import re
from typing import Any

from ._answers import as_number, text_of, unquoted, words
from ._core import Exercise, Verdict, correct, incorrect, unchecked
from ._live import mystery, mystery_file

# Words that name each kind, as learners say them ("busy on the CPU", "waiting on the network").
_KIND_CUES = {
    "network": ("network", "socket", "server", "tcp", "net"),
    "cpu": ("cpu", "comput", "busy", "python", "user", "calculat", "processor"),
    "disk": ("disk", "fsync", "write", "kernel", "system", "storage", "flush", "sync"),
}
# Words true of more than one kind: both the network and the disk make a program wait.
_VAGUE = ("wait", "io", "i/o", "slow", "block", "sleep")
TRUTH = {"slow_1_network": "network", "slow_2_cpu": "cpu", "slow_3_writes": "disk"}
_WHY = {
    "network": "it barely uses the CPU; it waits on a socket for its server's answer",
    "cpu": "its own Python code keeps the CPU busy the whole time",
    "disk": "it makes thousands of tiny writes, each flushed to the disk with fsync: system time and waiting",
}
_LOOK_AGAIN = {
    "network": "it barely uses the CPU at all: what does it wait for?",
    "cpu": "nearly all its time is user time, spent running its own code",
    "disk": "its CPU time is mostly system time (in the kernel), and it waits besides",
}


def kind_named(text: str) -> list[str]:
    """The kinds an answer in words names: 'busy on the CPU' -> ['cpu']; [] when none."""
    said = words(text)
    return [kind for kind, cues in _KIND_CUES.items() if any(cue in said for cue in cues)]


def _program_name(key: Any) -> str:
    return os.path.basename(str(key).strip()).removesuffix(".py").lower()


def check_kinds(answer: Any) -> Verdict:
    if not isinstance(answer, dict):
        return incorrect("Give a dict from program to kind, e.g. {'slow_1_network': 'cpu', 'slow_2_cpu': ..., "
                         "'slow_3_writes': ...}; kinds: 'network', 'cpu', 'disk'.")
    given = {_program_name(k): str(v) for k, v in answer.items()}
    missing = [name for name in TRUTH if name not in given]
    if missing:
        return incorrect(f"Classify every program; missing: {', '.join(missing)}.")
    wrong = []
    for name, truth in TRUTH.items():
        kinds = kind_named(given[name])
        if not kinds and any(word in words(given[name]).split() or words(given[name]).startswith(word)
                             for word in _VAGUE):
            if truth == "cpu":
                wrong.append(name)
                continue
            return incorrect(f"'{given[name]}' is true of {name}, but of more than one program here: say what it "
                             "waits for, 'network' or 'disk'.")
        if len(kinds) > 1:
            return incorrect(f"Pick one kind for {name}: {' or '.join(kinds)}?")
        if not kinds:
            return incorrect(f"Say 'network', 'cpu' or 'disk' for {name} (you said {given[name]!r}).")
        if kinds[0] != truth:
            wrong.append(name)
    if wrong:
        return incorrect("Look again: " + "; ".join(f"{name}: {_LOOK_AGAIN[TRUTH[name]]}" for name in wrong)
                         + ". Compare user, system and elapsed time from spykit.time.")
    return correct("; ".join(f"{name}: {_WHY[kind]}" for name, kind in TRUTH.items()) + ".")


q1 = Exercise(
    "ch02.q1", "For each slow mystery, is it busy on the CPU ('cpu'), busy with the disk ('disk'), "
    "or waiting on the network ('network')?", check_kinds,
    hints=[
        "Start with spykit.time for each: user time, system time, elapsed time.",
        "Little CPU time but a long elapsed time means waiting: spykit.wchan says for what.",
        "Most of the CPU time in user: its own code. A lot of system time plus waiting: many small calls to "
        "the kernel, here writes and fsyncs.",
    ],
    solution="{'slow_1_network': 'network', 'slow_2_cpu': 'cpu', 'slow_3_writes': 'disk'}",
    example="q1.check({'slow_1_network': '...', 'slow_2_cpu': '...', 'slow_3_writes': '...'})",
)


def check_hot_function(answer: Any) -> Verdict:
    text = text_of(answer)
    if not text:
        return incorrect("Give the function's name as a string.")
    import spykit

    # "is_magic()", "slow_2_cpu.is_magic", "slow_2_cpu.py:is_magic" all name the function is_magic
    name = re.split(r"[.:]", unquoted(text).strip("`").removesuffix("()"))[-1].strip()
    functions = spykit.profile(str(mystery_file("slow_2_cpu.py")), "--seconds", "0.5", timeout=30)
    ranked = [str(f) for f in functions["function"]]
    hottest = ranked[0]
    if name.casefold() == hottest.casefold():
        share = float(functions.iloc[0]["own_share"])
        return correct(f"A fresh profile agrees: {hottest} has {share:.0%} of the own time.")
    if name in ("search_batch", "main", "<genexpr>", "sum", "<module>"):
        return incorrect(f"{name} is on the way to the hot spot: it calls it. Sort by own time, not cumulative.")
    if name.casefold() in (f.casefold() for f in ranked):
        return incorrect(f"{name} shows in the profile, but does not have the most own time.")
    return incorrect(f"No function called {name} ran. spykit.profile lists the functions that did.")


q2 = Exercise(
    "ch02.q2", "Which function of mysteries/slow_2_cpu.py would you speed up first?", check_hot_function,
    hints=[
        "spykit.profile(workshop.mystery('slow_2_cpu')[1]) runs it under a profiler.",
        "'own' is the time in the function itself; 'cumulative' includes what it calls.",
        "The first row, most own time first, is the one.",
    ],
    solution="is_magic: it counts digits the long way and is called for every number. "
             "spykit.profile(workshop.mystery('slow_2_cpu')[1]).iloc[0]['function'].",
    example="q2.check('function_name')",
)

TOLERANCE = 4.0  # a traced rate depends on the machine and its load: within 4x either way is "about"


def traced_writes(seconds: float = 1.0) -> tuple[int, float]:
    """(writes to the journal, seconds traced) in a traced run of slow_3_writes."""
    import spykit

    trace = spykit.trace(mystery("slow_3_writes", "--seconds", str(seconds)), syscalls=["openat", "write", "fsync"],
                         capture_output=True, timeout=60)
    journal = trace.filter("write", path=r"journal\.txt$", fd_kind="file")
    return len(journal), trace.meta.elapsed


def traced_write_rate(seconds: float = 1.0) -> float:
    """Writes to the journal per second in a traced run of slow_3_writes."""
    writes, elapsed = traced_writes(seconds)
    return writes / max(elapsed, 1e-9)


def check_write_rate(answer: Any) -> Verdict:
    found = as_number(answer)
    if found is None or found[0] <= 0:
        return incorrect("Give the number of writes per second as a number (or as text: 'N per second').")
    number, unit = found
    import spykit

    try:
        rate = traced_write_rate()
    except spykit.TracingNotPermitted as refused:
        return unchecked(f"Tracing is not allowed here, so the answer cannot be checked: {refused.message}")
    if rate <= 0:
        return unchecked("The traced run made no writes this time; run the check again.")
    per_write = "ms" in unit or "second per" in unit or "s per" in unit or "s/write" in unit
    if not per_write and rate / TOLERANCE <= number <= rate * TOLERANCE:
        return correct(f"A traced run here made about {rate:,.0f} writes per second, each followed by an fsync. "
                       "(Untraced it makes more: tracing slows every call down.)")
    seconds = number / 1000 if "ms" in unit else number
    if per_write or 1 / (rate * TOLERANCE) <= seconds <= TOLERANCE / rate:
        return incorrect("That looks like the time one write takes; the question asks how many writes in a second.")
    word = "low" if number < rate else "high"
    return incorrect(f"That is too {word}. Count the write calls to the journal and divide by the seconds "
                     "the trace took (trace.meta.elapsed).")


q3 = Exercise(
    "ch02.q3", "Under a trace, about how many writes per second does mysteries/slow_3_writes.py make?",
    check_write_rate,
    hints=[
        "Trace only what matters: spykit.trace([...], syscalls=['openat', 'write', 'fsync']) (the openat tells "
        "spykit which file each descriptor is).",
        "Keep the writes to journal.txt: t.filter('write', path='journal').",
        "Divide their number by t.meta.elapsed.",
    ],
    solution="len(t.filter('write', path='journal').df) / t.meta.elapsed - on a fast disk a few thousand; every "
             "write is followed by an fsync, which is why it is slow.",
    example="q3.check(writes_per_second), with the number you measured",
)

__all__ = ["q1", "q2", "q3"]
