"""Chapter 02, the case of the slow program.

- ``q1``: classify each slow mystery: busy on the CPU, busy in the kernel and the disk, or waiting
  on the network.
- ``q2``: the hot function of ``mysteries/slow_2_cpu.py`` (checked against a live profile).
- ``q3``: about how many writes per second ``mysteries/slow_3_writes.py`` makes under a trace
  (checked against a live traced run).
"""

from __future__ import annotations

from typing import Any

from ._core import Exercise, Verdict, correct, incorrect, unchecked
from ._live import MYSTERIES, mystery

# What learners call each kind, mapped to the kinds spykit.diagnose names.
_KIND_WORDS = {
    "network": "network", "waiting": "network", "waiting on the network": "network", "net": "network",
    "io": None, "i/o": None, "wait": "network",
    "cpu": "cpu", "on the cpu": "cpu", "busy": "cpu", "computing": "cpu", "user": "cpu", "python": "cpu",
    "disk": "disk", "syscalls": "disk", "kernel": "disk", "in the kernel": "disk", "system": "disk",
    "fsync": "disk", "writes": "disk", "writing": "disk",
}
TRUTH = {"slow_1_network": "network", "slow_2_cpu": "cpu", "slow_3_writes": "disk"}
_WHY = {
    "network": "it barely uses the CPU; it waits on a socket for its server's answer",
    "cpu": "its own Python code keeps the CPU busy the whole time",
    "disk": "it makes thousands of tiny writes, each flushed to the disk with fsync: system time and waiting",
}


def check_kinds(answer: Any) -> Verdict:
    if not isinstance(answer, dict):
        return incorrect("Give a dict from program to kind, e.g. {'slow_1_network': 'cpu', 'slow_2_cpu': ..., "
                         "'slow_3_writes': ...}; kinds: 'network', 'cpu', 'disk'.")
    given = {str(k).removesuffix(".py").split("/")[-1]: str(v).strip().lower() for k, v in answer.items()}
    missing = [name for name in TRUTH if name not in given]
    if missing:
        return incorrect(f"Classify every program; missing: {', '.join(missing)}.")
    wrong = []
    for name, truth in TRUTH.items():
        kind = _KIND_WORDS.get(given[name], given[name])
        if kind is None:
            return incorrect(f"'{given[name]}' is too vague for {name}: say 'network', 'cpu' or 'disk'.")
        if kind != truth:
            wrong.append(name)
    if wrong:
        return incorrect(f"Look again at {', '.join(wrong)}: compare user, system and elapsed time from spykit.time.")
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
    if not isinstance(answer, str):
        return incorrect("Give the function's name as a string.")
    import spykit

    name = answer.strip().removesuffix("()").split(".")[-1]
    functions = spykit.profile(str(MYSTERIES / "slow_2_cpu.py"), "--seconds", "0.5", timeout=30)
    ranked = list(functions["function"])
    hottest = ranked[0]
    if name == hottest:
        share = float(functions.iloc[0]["own_share"])
        return correct(f"A fresh profile agrees: {hottest} has {share:.0%} of the own time.")
    if name in ("search_batch", "main", "<genexpr>", "sum"):
        return incorrect(f"{name} is on the way to the hot spot: it calls it. Sort by own time, not cumulative.")
    if name in ranked:
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


def traced_write_rate(seconds: float = 1.0) -> float:
    """Writes to the journal per second in a traced run of slow_3_writes."""
    import spykit

    trace = spykit.trace(mystery("slow_3_writes", "--seconds", str(seconds)), syscalls=["openat", "write", "fsync"],
                         capture_output=True, timeout=60)
    journal = trace.df[trace.df["path"].fillna("").str.endswith("journal.txt")]
    writes = int((journal["syscall"].astype(str) == "write").sum())
    return writes / max(trace.meta.elapsed, 1e-9)


def check_write_rate(answer: Any) -> Verdict:
    if isinstance(answer, bool) or not isinstance(answer, int | float):
        return incorrect("Give a number of writes per second, e.g. 1500.")
    import spykit

    try:
        rate = traced_write_rate()
    except spykit.TracingNotPermitted as refused:
        return unchecked(f"Tracing is not allowed here, so the answer cannot be checked: {refused.message}")
    if rate <= 0:
        return unchecked("The traced run made no writes this time; run the check again.")
    if rate / TOLERANCE <= answer <= rate * TOLERANCE:
        return correct(f"A traced run here made about {rate:,.0f} writes per second, each followed by an fsync. "
                       "(Untraced it makes more: tracing slows every call down.)")
    word = "low" if answer < rate else "high"
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
    example="q3.check(1000)",
)

__all__ = ["q1", "q2", "q3"]
