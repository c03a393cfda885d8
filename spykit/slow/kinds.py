"""The kinds of slow program, and the wait reasons behind them: one table of each, as data.

A **reason** is what one wait sample says a thread was doing (``spykit.wchan``'s ``reason``
column, given by :mod:`spykit.slow.meanings`). A **kind** is what ``spykit.diagnose`` says about
a whole run (``Diagnosis.kind``). Every reason counts for exactly one kind; ``syscalls`` has no
reason of its own: a running sample cannot say whether the time went to the program's code or to
the kernel, so ``cpu`` and ``syscalls`` are scored from the CPU clocks instead (``on_cpu``).
Everything a learner reads about a kind (its title, the word
``spykit.time`` uses for it, the explanation and the next step) is in its row here: where
the words depend on the evidence, the row holds a small function of :class:`Facts`.

Nothing here measures or imports the rest of ``spykit.slow``: diagnose, meanings and render
read these tables, and a test checks they agree.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

# spykit.time's words for where a run's time went (Timing.hint); every wait kind is "waiting".
ON_CPU, IN_KERNEL, WAITING = "on the CPU", "in the kernel", "waiting"


@dataclass(frozen=True)
class Reason:
    """One value of the ``reason`` column of wait samples."""

    name: str
    kind: str  # the kind its samples count for
    description: str  # what it covers, for the docs


# In priority order: when several threads are sampled at one instant, the first reason here is
# the one that says most about the process (a running thread means it is working; a lock
# is usually one thread waiting for another, so it ranks below real waits).
REASON_TABLE: tuple[Reason, ...] = (
    Reason("cpu", "cpu", "running, or ready to run and waiting for a CPU"),
    Reason("disk", "disk", "waiting for storage (fsync, reading a file from disk, writeback throttling)"),
    Reason("network", "network", "waiting on a socket (TCP, UDP, UNIX) or a network file system"),
    Reason("input", "input", "waiting to read from a pipe or a terminal"),
    Reason("child", "child", "waiting for a child process to finish"),
    Reason("sleep", "sleep", "sleeping on a timer"),
    Reason("lock", "lock", "waiting on a lock (futex, flock, fcntl record locks, semaphores)"),
    Reason("other", "unknown", "anything else (a signal, a full pipe, an eventfd, a stopped process, ...)"),
)


@dataclass(frozen=True)
class Facts:
    """What a kind's sentences may mention: the verdict and its evidence, as plain values.

    Shares are fractions of the elapsed time (``own``: its own code, ``kernel``: system time,
    ``score``: the winning kind's score, ``seen``: the share of samples of the kind's reason).
    """

    command: str  # the command line, as a next step quotes it
    ticks: int  # samples of the program's own process
    score: float
    seen: float
    own: float
    kernel: float
    wait_kind: str  # the wait with the largest score, and that score
    wait_share: float
    meaning: str | None = None  # the most frequent meaning of the kind's reason
    target: str | None = None  # and the fd target behind it
    python: bool = False  # it runs Python (spykit.profile can look inside)
    syscalls: pd.Series | None = None  # counts from a separate traced run, most first
    functions: pd.DataFrame | None = None  # top Python functions from a profiled run
    children: pd.DataFrame | None = None  # what its descendants waited for
    child_command: str | None = None


def _no_calls(counts: pd.Series) -> pd.Series | None:
    return None


@dataclass(frozen=True)
class Kind:
    """One kind of slow program, and everything spykit says about it."""

    name: str
    title: str  # a few words after the kind in a diagnosis' headline
    hint: str | None  # spykit.time's word for it (None: the timing's own hint stands)
    is_wait: bool  # the program was off the CPU, waiting for something spykit can name
    on_cpu: bool  # the verdict comes from the CPU clocks, not from wait samples
    tie_rank: int  # on equal scores the lower rank wins (a named wait before the CPU)
    opening: Callable[[Facts], str]  # the explanation's first sentence
    more: Callable[[Facts], str]  # what else the evidence says about it ("" when nothing)
    next_step: Callable[[Facts], str]
    calls: Callable[[pd.Series], pd.Series | None] = _no_calls  # the counts that bear on it
    shows: frozenset[str] = frozenset()  # evidence tables its display shows: waits, children, functions
    waiting_for: str | None = None  # "It is waiting, <for the disk>": a wait kind's words

    @property
    def reasons(self) -> tuple[str, ...]:
        """The sample reasons that count for this kind."""
        return tuple(r.name for r in REASON_TABLE if r.kind == self.name)

    @property
    def reason(self) -> str | None:
        """The one sample reason whose rows are this kind's evidence (None for ``syscalls``)."""
        found = self.reasons
        return found[0] if found else None


def pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _nothing(f: Facts) -> str:
    return ""


def _other_waits(f: Facts) -> str:
    if f.wait_share > 0:
        return f"any wait (at most {pct(f.wait_share)} of the time, {f.wait_kind})"
    return f"waiting (never seen in {f.ticks} samples)"


def _cpu_opening(f: Facts) -> str:
    return (f"It is busy computing: running its own code took {pct(f.own)} of the elapsed time, more than "
            f"the kernel ({pct(f.kernel)}) or {_other_waits(f)}.")


def _top_function(f: Facts) -> str:
    if f.functions is None or f.functions.empty:
        return ""
    top = f.functions.iloc[0]
    where = f" ({os.path.basename(str(top['file']))}:{top['line']})" if not pd.isna(top["file"]) else ""
    return (f" In a profiled run the function with the most own time was {top['function']}{where}, "
            f"{pct(float(top['own_share']))} of it.")


def _cpu_next(f: Facts) -> str:
    if f.functions is not None and not f.functions.empty:
        return (f"Look at {f.functions.iloc[0]['function']} first: it has the most own time. "
                f"See every function with spykit.profile({f.command!r}).")
    if f.python:
        return f"Profile it to find the function that uses the CPU: spykit.profile({f.command!r})."
    return "Profile it with a profiler for its language (compiled code: perf record, perf report)."


def _syscalls_opening(f: Facts) -> str:
    return (f"It is busy in the kernel, making system calls that each do little: they took {pct(f.kernel)} of "
            f"the elapsed time, more than its own code ({pct(f.own)}) or {_other_waits(f)}.")


def _call_counts(f: Facts) -> str:
    if f.syscalls is None or f.syscalls.empty:
        return ""
    parts = ", ".join(f"{name} {n:,}" for name, n in f.syscalls.head(3).items())
    return f" A separate traced run counted {int(f.syscalls.sum()):,} system calls (most: {parts})."


def _top_calls(counts: pd.Series) -> pd.Series | None:
    return counts.head(5)


def _syscalls_next(f: Facts) -> str:
    have = f.syscalls is not None and len(f.syscalls) > 0
    which = f"Start with {f.syscalls.index[0]} ({int(f.syscalls.iloc[0]):,} calls): " if have else ""
    return (f"{which}make fewer, bigger calls (buffer small writes, read in larger blocks). "
            f"See them with spykit.trace({f.command!r}).summary().")


def _waiting(words: str) -> Callable[[Facts], str]:
    """The first sentence of every wait kind: what it waited for, how often, against its CPU time."""

    def opening(f: Facts) -> str:
        shown_target = f" ({f.target})" if f.target and f.target not in (f.meaning or "") else ""
        queued = (f"; {pct(f.score)} of the time with the waits for a CPU that followed"
                  if f.score - f.seen >= 0.01 else "")
        return (f"It is waiting, {words}: in {pct(f.seen)} of {f.ticks} samples it was {f.meaning}{shown_target}"
                f"{queued}, more than the time it spent in its own code ({pct(f.own)}) or in the kernel "
                f"({pct(f.kernel)}).")

    return opening


def _disk_more(f: Facts) -> str:
    # The kind may come from reading as well as writing: say "that disk work", not "writes".
    return " Much of its kernel time is spent on that disk work too." if f.kernel >= 0.1 else ""


_WRITE_CALLS = ("fsync", "fdatasync", "sync_file_range", "write", "pwrite64", "writev")


def _disk_calls(counts: pd.Series) -> pd.Series | None:
    wanted = [c for c in _WRITE_CALLS if c in counts.index]
    return counts[wanted] if wanted else None


def _disk_next(f: Facts) -> str:
    return ("Write less often or sync less often (one fsync after many writes, not one per write). "
            f"See which files: spykit.trace({f.command!r}, syscalls=['fsync', 'fdatasync', 'write']).writes().")


def _network_next(f: Facts) -> str:
    peer = f" ({f.target})" if f.target else ""
    return (f"The other end{peer} is slow to answer: check that server or service, and the program's "
            f"timeouts. See the traffic with spykit.trace({f.command!r}, syscalls='%network').network().")


def _sleep_next(f: Facts) -> str:
    return ("Look for sleeps in its code (time.sleep, sleep(), retry back-off, polling loops). "
            f"Find them with spykit.trace({f.command!r}, syscalls=['clock_nanosleep', 'nanosleep']).")


def _child_more(f: Facts) -> str:
    if f.children is None or not len(f.children):
        return ""
    top = f.children.iloc[0]
    who = f" ({f.child_command})" if f.child_command else ""
    return f" Meanwhile its child process{who} was mostly {top['meaning']} ({pct(top['share'])})."


def _child_next(f: Facts) -> str:
    return f"Diagnose the child process itself: spykit.diagnose({f.child_command or 'the child'!r})."


def _lock_more(f: Facts) -> str:
    # A futex is also what an Event, a Condition, a queue and a thread join wait on: nobody need
    # have held anything, so say what ends the wait rather than who held the lock.
    return (" Such a wait ends when another thread or process releases the lock, or sets the event,"
            " condition or queue item the thread is waiting for (all of them are locks to the kernel).")


def _lock_next(f: Facts) -> str:
    return ("Find who holds the lock: for file locks, look at /proc/locks (or lslocks); for threads, "
            f"see what the other threads do with spykit.wchan({f.command!r}).")


def _input_next(f: Facts) -> str:
    return ("It is waiting for someone to give it input: check what feeds its standard input or pipe "
            "(a producer that is slow, or a terminal waiting for you to type).")


def _unknown_opening(f: Facts) -> str:
    if f.score <= 0:  # every sample was "running", yet the clocks counted (almost) no CPU time
        return (f"No clear answer: none of its {f.ticks} samples shows a wait, and too little CPU time was "
                "counted to call it busy.")
    mostly = f" (mostly: {f.meaning})" if f.meaning else ""
    return (f"No clear answer: in {pct(f.score)} of {f.ticks} samples it was waiting for something "
            f"spykit cannot name{mostly}.")


def _unknown_next(f: Facts) -> str:
    return f"Look at the raw samples (evidence.samples) or trace it: spykit.trace({f.command!r})."


_WAITS = frozenset({"waits"})


def _wait_kind(name: str, title: str, words: str, tie_rank: int, *, next_step: Callable[[Facts], str],
               more: Callable[[Facts], str] = _nothing, calls: Callable[[pd.Series], pd.Series | None] = _no_calls,
               shows: frozenset[str] = _WAITS) -> Kind:
    """A kind of wait: its explanation opens with ``It is waiting, <words>: ...``."""
    return Kind(name, title, WAITING, is_wait=True, on_cpu=False, tie_rank=tie_rank, opening=_waiting(words),
                more=more, next_step=next_step, calls=calls, shows=shows, waiting_for=words)


# In the order KINDS lists them; ``unknown`` last.
KIND_TABLE: tuple[Kind, ...] = (
    Kind("cpu", "busy on the CPU, in its own code", ON_CPU, is_wait=False, on_cpu=True, tie_rank=6,
         opening=_cpu_opening, more=_top_function, next_step=_cpu_next, shows=frozenset({"functions"})),
    Kind("syscalls", "busy in the kernel, on many small system calls", IN_KERNEL, is_wait=False, on_cpu=True,
         tie_rank=7, opening=_syscalls_opening, more=_call_counts, next_step=_syscalls_next, calls=_top_calls),
    _wait_kind("disk", "waiting for the disk", "for the disk", 0, more=_disk_more, next_step=_disk_next,
               calls=_disk_calls),
    _wait_kind("network", "waiting on the network", "on the network", 1, next_step=_network_next),
    _wait_kind("sleep", "sleeping on a timer", "on a timer (sleeping)", 4, next_step=_sleep_next),
    _wait_kind("child", "waiting for a child process", "for a child process", 3, more=_child_more,
               next_step=_child_next, shows=frozenset({"waits", "children"})),
    _wait_kind("lock", "waiting on a lock", "on a lock", 5, more=_lock_more, next_step=_lock_next),
    _wait_kind("input", "waiting for input", "for input", 2, next_step=_input_next),
    Kind("unknown", "no clear answer", None, is_wait=False, on_cpu=False, tie_rank=8,
         opening=_unknown_opening, more=_nothing, next_step=_unknown_next, shows=_WAITS),
)

BY_NAME: dict[str, Kind] = {k.name: k for k in KIND_TABLE}


def kind(name: str) -> Kind:
    """The registry row of a kind; ``KeyError`` names the known kinds (never a silent default)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no slow-program kind {name!r}; the kinds are {', '.join(BY_NAME)}") from None


def reason(name: str) -> Reason:
    """The registry row of a sample reason; ``KeyError`` names the known reasons."""
    for row in REASON_TABLE:
        if row.name == name:
            return row
    raise KeyError(f"no wait reason {name!r}; the reasons are {', '.join(r.name for r in REASON_TABLE)}")


# The names other modules have always used, derived from the tables above.
KINDS: tuple[str, ...] = tuple(k.name for k in KIND_TABLE if k.name != "unknown")  # what a verdict names
WAIT_KINDS: tuple[str, ...] = tuple(k.name for k in sorted(KIND_TABLE, key=lambda k: k.tie_rank) if k.is_wait)
ORDER: tuple[str, ...] = tuple(k.name for k in sorted(KIND_TABLE, key=lambda k: k.tie_rank))
REASONS: tuple[str, ...] = tuple(r.name for r in REASON_TABLE)
PRIORITY: dict[str, int] = {r.name: rank for rank, r in enumerate(REASON_TABLE)}
KIND_TITLES: dict[str, str] = {k.name: k.title for k in KIND_TABLE}
KIND_HINTS: dict[str, str] = {k.name: k.hint for k in KIND_TABLE if k.hint is not None}
KIND_WAITS: dict[str, str] = {k.name: k.waiting_for for k in KIND_TABLE if k.waiting_for is not None}
