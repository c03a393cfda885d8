"""The registry of slow-program kinds (spykit.slow.kinds): complete, agreed on by diagnose, meanings
and render, and true in what it says. Pure: hand-made samples, no program runs."""

from __future__ import annotations

import ast
import inspect

import pandas as pd
import pytest

from spykit.slow import diagnose as diagnose_mod
from spykit.slow import kinds, meanings, render, waits
from spykit.slow.diagnose import Diagnosis, Evidence, decide, explain, next_step
from spykit.slow.kinds import KIND_TABLE, REASON_TABLE, Facts, Kind
from spykit.slow.timing import Timing
from spykit.slow.wchan import COLUMNS


def _facts(**changes) -> Facts:
    base = dict(command="prog --flag", ticks=100, score=0.9, seen=0.9, own=0.05, kernel=0.02,
                wait_kind="network", wait_share=0.9, meaning="waiting for something", target=None)
    return Facts(**{**base, **changes})


@pytest.mark.parametrize("row", KIND_TABLE, ids=lambda k: k.name)
def test_every_kind_has_a_title_an_explanation_and_a_next_step(row: Kind):
    assert row.title.strip()
    f = _facts(wait_kind="disk" if row.name == "cpu" else "network")
    assert row.opening(f).endswith(".") and len(row.opening(f)) > 20
    assert isinstance(row.more(f), str)
    assert row.next_step(f).strip()
    assert row.is_wait == (row.waiting_for is not None) == (row.hint == kinds.WAITING)
    assert not (row.is_wait and row.on_cpu)


def test_every_kind_diagnose_can_return_is_in_the_registry_and_nothing_more():
    returnable = {*diagnose_mod.KINDS, "unknown"}
    assert returnable == set(kinds.BY_NAME) == set(diagnose_mod._ORDER)
    assert set(diagnose_mod.WAIT_KINDS) == {k.name for k in KIND_TABLE if k.is_wait}
    # The names other code imports are the registry's, not copies.
    assert render.KIND_TITLES == {k.name: k.title for k in KIND_TABLE}
    assert meanings.REASONS == waits.REASONS == tuple(r.name for r in REASON_TABLE)


def test_every_reason_counts_for_one_kind_and_every_wait_kind_has_a_reason():
    for r in REASON_TABLE:
        assert r.kind in kinds.BY_NAME, r
    for k in KIND_TABLE:
        if k.is_wait or k.name == "unknown":
            assert k.reason is not None, k.name
    assert kinds.kind("unknown").reasons == ("other",)  # said in the table, not mapped in diagnose


def _reasons_written_in_meanings() -> set[str]:
    """Every reason literal meanings.py hands to Meaning(...)."""
    tree = ast.parse(inspect.getsource(meanings))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Meaning" and len(node.args) == 2:
            reason = node.args[1]
            assert isinstance(reason, ast.Constant), ast.dump(node)  # a reason is always written out
            found.add(reason.value)
    return found


def test_every_reason_meanings_can_give_is_in_the_registry():
    written = _reasons_written_in_meanings()
    assert len(written) >= 7  # the scan found the calls
    assert written <= set(kinds.REASONS)


def test_a_reason_missing_from_the_registry_is_refused_not_mapped():
    with pytest.raises(ValueError, match="REASON_TABLE"):
        meanings.Meaning("waiting for a miracle", "miracle")
    with pytest.raises(KeyError, match="the kinds are cpu, syscalls"):
        kinds.kind("slowish")


# -- the texts, through diagnose's own explain() and next_step() -----------------------------------


def _frame(rows: list[tuple[int, str, str, str | None]]) -> pd.DataFrame:
    """(ticks, reason, meaning, target) -> one process's wait samples, one thread."""
    records = []
    t = 0
    for n, reason, meaning, target in rows:
        for _ in range(n):
            records.append({"time": 0.01 * t, "pid": 10, "tid": 10, "state": "R" if reason == "cpu" else "S",
                            "wchan": None, "syscall": None, "syscall_args": None, "fd": None, "target": target,
                            "meaning": meaning, "reason": reason, "ppid": 1, "command": "prog", "stack": None})
            t += 1
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def _diagnosis(rows, *, elapsed=1.0, user=0.02, system=0.01, syscalls=None) -> Diagnosis:
    samples = _frame(rows)
    table = waits.reason_table(samples, [10])
    timing = Timing(command=["prog"], user=user, system=system, elapsed=elapsed,
                    cpu_percent=100 * (user + system) / elapsed, max_rss_kb=None, voluntary_switches=0,
                    involuntary_switches=0, blocks_in=0, blocks_out=0, returncode=0)
    evidence = Evidence(timing=timing, waits=table, children=table.iloc[0:0], samples=samples, syscalls=syscalls)
    verdict = decide(table, elapsed=elapsed, user=user, system=system)
    return Diagnosis(["prog"], verdict.kind, explain(verdict, timing, evidence, None),
                     next_step(verdict, ["prog"], evidence, None), evidence)


def test_a_disk_read_is_not_called_writes():
    d = _diagnosis([(90, "disk", "waiting for the disk to read a file", "/data/big")], user=0.01, system=0.3)
    assert d.kind == "disk"
    assert "waiting for the disk to read a file" in d.explanation
    assert "writes" not in d.explanation  # it read; its kernel time is that disk work
    assert "that disk work" in d.explanation


def test_unknown_without_any_wait_does_not_claim_one():
    # Every sample "running", yet the clocks counted no CPU time: no kind can win.
    d = _diagnosis([(20, "cpu", "running on the CPU", None)], user=0.0, system=0.0)
    assert d.kind == "unknown"
    assert "in 0%" not in d.explanation and "cannot name" not in d.explanation
    assert "none of its 20 samples shows a wait" in d.explanation


def test_unknown_with_unnamed_waits_says_what_they_were():
    d = _diagnosis([(80, "other", "waiting for a signal", None), (20, "cpu", "running on the CPU", None)])
    assert d.kind == "unknown"
    assert d.explanation.startswith("No clear answer: in 80% of 100 samples")
    assert "(mostly: waiting for a signal)" in d.explanation


@pytest.mark.parametrize("reason", [k.reason for k in KIND_TABLE if k.is_wait])
def test_each_wait_reads_the_same_in_explanation_headline_and_html(reason):
    d = _diagnosis([(90, reason, f"waiting, {reason}", None), (10, "cpu", "running on the CPU", None)])
    row = kinds.kind(reason)
    assert d.kind == row.name
    assert d.explanation.startswith(f"It is waiting, {row.waiting_for}: in 90% of 100 samples")
    assert d.hint == kinds.WAITING
    text, page = str(d), d._repr_mimebundle_()["text/html"]
    assert f"{row.name} ({row.title})" in text.splitlines()[0]
    assert f"({row.title})</h4>" in page


def test_busy_kinds_show_their_calls_from_the_registry():
    counts = pd.Series({"write": 5000, "fsync": 0, "getpid": 3}, name="count")
    d = _diagnosis([(100, "cpu", "running on the CPU", None)], user=0.05, system=0.9, syscalls=counts)
    assert d.kind == "syscalls" and d.hint == kinds.IN_KERNEL
    assert "Start with write (5,000 calls)" in d.next_step
    assert "system calls (separate traced run)  write 5,000, fsync 0, getpid 3" in str(d)


def test_a_lock_wait_does_not_claim_that_someone_held_the_lock():
    # threading.Event().wait(5) waits on a futex that nobody holds
    d = _diagnosis([(95, "lock", "waiting on a lock", None), (5, "cpu", "running on the CPU", None)])
    assert d.kind == "lock"
    assert "held the lock" not in d.explanation
    assert "releases the lock, or sets the event" in d.explanation


def test_the_exercises_name_kinds_the_registry_knows():
    from spykit.exercises import ch02

    assert set(ch02.TRUTH.values()) <= set(kinds.KINDS)
