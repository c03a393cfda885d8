"""``spykit.diagnose``: why is this program slow? One kind, the numbers, and what to try next.

How the timing stays honest: tracing stops a program at every system call, so a traced run
is slower and its time is spread differently. The verdict therefore comes only from an
UNTRACED run, measured with ``wait4`` (user, system, elapsed) while its wait channels are
sampled through /proc (which does not stop it). System calls are counted afterwards in a
separate traced run, and Python programs are profiled in another run; both only add evidence
and words to the explanation, never change the kind.

Kinds: ``cpu`` (its own code on the CPU), ``syscalls`` (on the CPU, but mostly in the kernel:
many small calls), ``disk``, ``network``, ``sleep``, ``child``, ``lock``, ``input``; and
``unknown`` when the samples say nothing definite (a program too short to sample, or one
that only ever waits on something spykit cannot name).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from spykit.errors import SpykitError

from ..launch import Command, Redirect, prepare
from ..progress import phase
from .kinds import KIND_TABLE, KIND_WAITS, KINDS, ORDER, WAIT_KINDS, Facts
from .kinds import kind as kind_row
from .profile import profile_command, python_command
from .render import ended_sentence
from .run import run_watched
from .timing import Timing
from .waits import reason_shares, reason_table
from .wchan import WaitSampler

TOP = 5


@dataclass
class Evidence:
    """What the verdict rests on, and what was gathered around it."""

    timing: Timing  # the untraced run
    waits: pd.DataFrame  # the program's own process: reason, meaning, target, samples, share
    children: pd.DataFrame  # the same for its descendants taken together (may be empty)
    samples: pd.DataFrame  # every wait sample (spykit.wchan's columns)
    syscalls: pd.Series | None = None  # exact counts per call from a separate traced run, most first
    functions: pd.DataFrame | None = None  # top Python functions from a separate profiled run
    notes: list[str] = field(default_factory=list)  # how the extra runs went, what is missing
    queued: float = 0.0  # seconds its own threads were ready to run but waited for a CPU
    woken: float = 0.0  # fraction of its CPU switches that were waits of its own (not preemptions)

    @property
    def ticks(self) -> int:
        return int(self.waits["samples"].sum()) if len(self.waits) else 0


@dataclass
class Diagnosis:
    """The answer to "why is it slow?": ``kind``, ``explanation``, ``evidence``, ``next_step``."""

    command: list[str]
    kind: str
    explanation: str
    next_step: str
    evidence: Evidence
    scores: dict[str, float] = field(default_factory=dict)  # every kind's score (see scores_of)

    @property
    def df(self) -> pd.DataFrame:
        """Every kind with its score (share of the elapsed time), the chosen one marked, highest first.

        The rows behind the verdict, as every slow tool gives them in ``.df``; the evidence itself
        is in :attr:`evidence`.
        """
        rows = [(k.name, k.title, self.scores.get(k.name, float("nan")), k.name == self.kind) for k in KIND_TABLE]
        df = pd.DataFrame(rows, columns=["kind", "title", "score", "chosen"])
        return df.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)

    @property
    def timing(self) -> Timing:
        return self.evidence.timing

    def __str__(self) -> str:
        from .render import diagnosis_text

        return diagnosis_text(self)

    @property
    def hint(self) -> str:
        """The kind in :attr:`spykit.Timing.hint`'s words (``"waiting"`` for every wait), so the two
        name a program's time the same way; ``unknown`` keeps the timing's own hint."""
        return kind_row(self.kind).hint or self.timing.hint

    def details(self) -> str:
        """Every number gathered (peak memory, context switches, disk blocks, all system calls, notes)."""
        from .render import diagnosis_details

        return diagnosis_details(self)

    def __repr__(self) -> str:
        return f"<Diagnosis of {' '.join(self.command)!r}: {self.kind}>"

    def _repr_mimebundle_(self, include: Sequence[str] | None = None,
                          exclude: Sequence[str] | None = None) -> dict[str, Any]:
        from .render import diagnosis_html

        return {"text/plain": str(self), "text/html": diagnosis_html(self)}


# -- the verdict: pure functions of the untraced run ---------------------------------------------


_ORDER = ORDER  # on a tie, a named wait wins (the kinds' tie_rank)


@dataclass(frozen=True)
class Verdict:
    kind: str
    score: float  # the winning score (see decide)
    meaning: str | None  # for a wait: the most frequent meaning of that reason
    target: str | None  # and the most frequent fd target behind it
    scores: dict[str, float]  # every candidate's score


def scores_of(waits: pd.DataFrame, *, elapsed: float, user: float, system: float, queued: float = 0.0,
              woken: float = 0.0) -> dict[str, float]:
    """Every candidate's score, as a share of the elapsed time.

    A wait's score is its share of the samples; ``cpu`` and ``syscalls`` are the time spent
    in the program's own code and in the kernel (exact, from the CPU clocks); ``unknown`` is
    the share of samples spykit could not name.

    ``queued`` seconds spent ready to run but waiting for a CPU (a busy machine) show up in
    the samples as "running" though the program did not run. They are handed back to what the
    program was doing: the ``woken`` fraction (that followed a wait: the thread gave the CPU
    up, was woken, then queued) to the waits seen, the rest (preempted while computing) to
    ``cpu`` and ``syscalls``, in proportion to each.
    """
    if elapsed <= 0:
        return dict.fromkeys(_ORDER, 0.0)
    shares = reason_shares(waits)
    blocked = float(sum(shares[k] for k in WAIT_KINDS))
    after_waits = queued * woken if blocked > 0 else 0.0
    preempted = queued - after_waits
    cpu_time = user + system
    scores = {kind: float(shares[kind]) * (1 + after_waits / elapsed / blocked) if blocked else 0.0
              for kind in WAIT_KINDS}
    scores["cpu"] = (user + (preempted * user / cpu_time if cpu_time > 0 else preempted)) / elapsed
    scores["syscalls"] = (system + (preempted * system / cpu_time if cpu_time > 0 else 0.0)) / elapsed
    unknown = kind_row("unknown")
    scores["unknown"] = float(sum(shares[r] for r in unknown.reasons))
    return scores


def decide(waits: pd.DataFrame, *, elapsed: float, user: float, system: float, queued: float = 0.0,
           woken: float = 0.0) -> Verdict:
    """Classify a run from its own process's wait table and its own CPU time (see :func:`scores_of`).

    Why CPU time and not the "running" samples: a thread that is ready to run but waits for
    a CPU looks running too, and a thread flipping between the CPU and the disk thousands of
    times a second (an fsync loop) is often caught "running" inside fsync. CPU time is
    measured exactly, and split into user (its own code: ``cpu``) and system (the kernel:
    ``syscalls``). Wait samples say what the rest of the time went to. The biggest score
    wins; ``user``/``system`` should be the program's own (not its children's), so that a
    parent waiting for a busy child is diagnosed ``child``.
    """
    scores = scores_of(waits, elapsed=elapsed, user=user, system=system, queued=queued, woken=woken)
    kind = max(_ORDER, key=lambda k: (scores[k], -_ORDER.index(k)))
    if scores[kind] <= 0 or not len(waits):  # nothing measured, or never seen: no verdict
        kind = "unknown"
    meaning = target = None
    row = kind_row(kind)
    rows = waits[waits["reason"].isin(row.reasons)] if len(waits) else waits
    if not row.on_cpu and len(rows):
        top = rows.iloc[0]
        meaning = str(top["meaning"])
        target = None if pd.isna(top["target"]) else str(top["target"])
    return Verdict(kind, scores[kind], meaning, target, scores)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _strongest_wait(scores: dict[str, float]) -> tuple[str, float]:
    kind = max(WAIT_KINDS, key=lambda k: scores[k])
    return kind, scores[kind]


def facts(verdict: Verdict, command: list[str], evidence: Evidence, child_command: str | None) -> Facts:
    """What the kind's sentences (in :mod:`spykit.slow.kinds`) may say about this verdict."""
    sc = verdict.scores
    row = kind_row(verdict.kind)
    shares = reason_shares(evidence.waits)
    wait_kind, wait_share = _strongest_wait(sc)
    return Facts(command=" ".join(command), ticks=evidence.ticks, score=verdict.score,
                 seen=float(sum(shares[r] for r in row.reasons)), own=sc["cpu"], kernel=sc["syscalls"],
                 wait_kind=wait_kind, wait_share=wait_share, meaning=verdict.meaning, target=verdict.target,
                 python=python_command(command) is not None, syscalls=evidence.syscalls,
                 functions=evidence.functions, children=evidence.children, child_command=child_command)


def explain(verdict: Verdict, timing: Timing, evidence: Evidence, child_command: str | None,
            own_cpu: float | None = None) -> str:
    """The verdict in one sentence first, then the numbers that led to it."""
    t = timing
    ticks = evidence.ticks
    times = (f"It took {t.elapsed:.2f} s and was on a CPU for {t.cpu:.2f} s ({t.cpu_percent:.0f}%: "
             f"{t.user:.2f} s in its own code, {t.system:.2f} s in the kernel).")
    if ticks == 0:
        return ("It ended before spykit could take a single sample: it is not slow enough to diagnose. "
                + times)
    row = kind_row(verdict.kind)
    f = facts(verdict, list(timing.command), evidence, child_command)
    first, extra = row.opening(f), row.more(f)
    text = f"{first} {times}"
    if own_cpu is not None and t.cpu - own_cpu >= 0.05:
        text += f" Of that CPU time {t.cpu - own_cpu:.2f} s was used by its child processes."
    text += extra
    if t.elapsed > 0 and evidence.queued / t.elapsed >= 0.1:
        woken = evidence.woken
        split = ("all of it came after waking up from a wait" if woken >= 0.995 else
                 "all of it came after being preempted while computing" if woken <= 0.005 else
                 f"{_pct(woken)} of it came after waking up from a wait, the rest after being preempted "
                 "while computing")
        text += (f" The machine was busy: it spent {evidence.queued:.2f} s ({_pct(evidence.queued / t.elapsed)}"
                 f" of the time) ready to run but waiting for a CPU. That time is counted with what it was "
                 f"doing: {split}.")
    return text


def next_step(verdict: Verdict, command: list[str], evidence: Evidence, child_command: str | None) -> str:
    """What to try next, for this kind (the kind's ``next_step`` in :mod:`spykit.slow.kinds`)."""
    return kind_row(verdict.kind).next_step(facts(verdict, command, evidence, child_command))


# -- the runs ----------------------------------------------------------------------------------------


def _count_syscalls(argv: list[str], timeout: float, env: Mapping[str, str] | None,
                    cwd: str | os.PathLike[str] | None, untraced: float = 0.0,
                    input: bytes | None = None) -> tuple[pd.Series | None, str]:
    """Exact per-call counts from a traced run, and a note on how it went."""
    import spykit

    try:
        trace = spykit.trace
    except (ImportError, AttributeError) as e:
        return None, f"System calls were not counted: the tracer is not available ({e})."
    try:
        tr = trace(argv, timeout=timeout, max_events=1000, capture_output=True, input=input, env=env, cwd=cwd)
        return tr.counts, "System calls were counted in a separate traced run."
    except spykit.TraceInterrupted as e:
        counts = e.trace.counts if e.trace is not None else None
        return counts, (f"The traced run was stopped at its limit of {timeout:.1f} s (the untraced run took "
                        f"{untraced:.1f} s; under tracing, start-up and every system call are slower), so its "
                        "counts cover only the part that ran. The verdict and the timing come from the "
                        "untraced run.")
    except SpykitError as e:
        return None, f"System calls were not counted: {e.message}"
    except Exception as e:  # noqa: BLE001 - counts are extra evidence; the verdict is already made
        return None, f"System calls were not counted: the tracer failed ({type(e).__name__}: {e})."


def _child_command(samples: pd.DataFrame, root: int) -> str | None:
    kids = samples[samples["pid"] != root]
    if kids.empty:
        return None
    return str(kids["command"].mode().iloc[0])


def diagnose(cmd: Command, *, timeout: float | None = 20.0, interval: float = 0.01, count_syscalls: bool = True,
             profile_python: bool | None = None, stdin: Redirect = None, stdout: Redirect = None,
             stderr: Redirect = None, input: bytes | str | None = None, env: Mapping[str, str] | None = None,
             cwd: str | os.PathLike[str] | None = None, capture_output: bool = False) -> Diagnosis:
    """Run ``cmd``, find out where its time goes, and say why it is slow in plain words.

    1. An untraced run, measured (user, system, elapsed) and sampled every ``interval``
       seconds through /proc; killed after ``timeout`` seconds (a program that hangs is
       diagnosed from what it did until then). This run alone decides the ``kind``.
    2. If ``count_syscalls``: a traced run to count system calls (output captured). The traced
       run inherits standard input, so it is skipped for a program seen reading from it.
    3. If it runs Python (and ``profile_python`` is not False): a cProfile run for the top
       functions (output and input to /dev/null).
    Runs 2 and 3 each get at most 2 x the first run's time + 2 s (and ``timeout``).
    Both are skipped when ``stdin`` was given, since that input cannot be replayed; ``input``
    (bytes) is fed to every run. The keyword arguments mean what they mean in
    :func:`subprocess.run` (see :func:`spykit.launch.prepare`); output captured in run 1 is in
    ``diagnosis.timing.stdout``/``.stderr``. ``kind``
    is one of :data:`KINDS`, or ``"unknown"`` when no sample says anything definite.
    """
    run = prepare(cmd, stdin=stdin, stdout=stdout, stderr=stderr, input=input, env=env, cwd=cwd,
                  timeout=timeout, capture_output=capture_output)
    argv = run.argv
    sampler = WaitSampler()
    with phase(f"diagnose, run 1: {argv[0]} untraced, timed and sampled"):
        done = run_watched(run, interval=interval, on_tick=sampler)
    timing = Timing.from_finished(argv, done)
    samples = sampler.frame()
    root = done.pid
    waits = reason_table(samples, [root])
    descendants = [p for p in samples["pid"].unique().tolist() if p != root]
    children = reason_table(samples, descendants)
    evidence = Evidence(timing=timing, waits=waits, children=children, samples=samples)
    if done.timed_out:
        evidence.notes.append(f"It was stopped at the {timeout:g} s timeout; the verdict covers what it did.")
    left = ended_sentence(done.ended, done.timed_out)
    if left:
        evidence.notes.append(left[0].upper() + left[1:] + ".")

    # The verdict comes from the untraced run only, before any other run. With children, the
    # program's own CPU time is its process's counters at the last look (10 ms granularity).
    own_user, own_system = timing.user, timing.system
    if descendants and sampler.root_cpu is not None:
        own_user, own_system = sampler.root_cpu
    threads = sampler.root_scheduling.values()
    evidence.queued = sum(t.waiting_for_cpu for t in threads)
    switches = sum(t.voluntary + t.involuntary for t in threads)
    evidence.woken = sum(t.voluntary for t in threads) / switches if switches else 0.0
    verdict = decide(waits, elapsed=timing.elapsed, user=own_user, system=own_system,
                     queued=evidence.queued, woken=evidence.woken)

    # Runs 2 and 3 get twice the first run's time plus 2 s: tracing slows start-up most (an
    # interpreter's start-up is a thousand traced calls), and a cap of only 2x cut a 1.6 s
    # program's traced run short on a loaded machine.
    extra = 2 * timing.elapsed + 2.0 if timeout is None else min(timeout, 2 * timing.elapsed + 2.0)
    # A program that waits for our own standard input (a terminal, say) would wait again in
    # the second run; a pipe of its own making is fine.
    own = samples[samples["pid"] == root]
    reads_our_input = bool(((own["reason"] == "input") & (own["fd"] == 0)).fillna(False).any())
    replayable = stdin is None and not reads_our_input
    if count_syscalls and replayable:
        with phase(f"diagnose, run 2: {argv[0]} traced, counting its system calls"):
            counts, note = _count_syscalls(argv, extra, env, cwd, timing.elapsed, run.input)
        evidence.syscalls = counts
        evidence.notes.append(note)
    elif count_syscalls:
        evidence.notes.append("System calls were not counted: its input cannot be replayed for a second run.")
    if profile_python is not False and stdin is None and python_command(argv) is not None:
        try:
            quiet = subprocess.DEVNULL
            with phase(f"diagnose, last run: {argv[0]} under cProfile"):
                feed: dict[str, Any] = {"stdin": quiet} if run.input is None else {"input": run.input}
                functions = profile_command(argv, timeout=extra, stdout=quiet, stderr=quiet, env=env, cwd=cwd,
                                            **feed)
        except SpykitError as e:
            functions = None
            evidence.notes.append(f"It could not be profiled: {e.message}")
        if functions is not None:
            evidence.functions = functions.head(TOP)
            evidence.notes.append("Functions come from a separate run under cProfile"
                                  + (" (stopped early)." if functions.attrs.get("truncated") else "."))
            left = ended_sentence(functions.attrs.get("ended", 0), functions.attrs.get("truncated", False))
            if left:
                evidence.notes.append(f"In the profiled run, {left}.")

    child_command = _child_command(samples, root) if "children" in kind_row(verdict.kind).shows else None
    return Diagnosis(command=argv, kind=verdict.kind,
                     explanation=explain(verdict, timing, evidence, child_command,
                                         own_user + own_system if descendants else None),
                     next_step=next_step(verdict, argv, evidence, child_command), evidence=evidence,
                     scores=dict(verdict.scores))


__all__ = ["KINDS", "KIND_WAITS", "WAIT_KINDS", "Diagnosis", "Evidence", "Verdict", "decide", "diagnose", "explain",
           "facts", "next_step", "scores_of"]
