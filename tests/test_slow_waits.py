"""Summaries of wait samples and the diagnosis verdict, on hand-made sample frames."""

from __future__ import annotations

import pandas as pd
import pytest

from spykit.slow.diagnose import decide, scores_of
from spykit.slow.render import format_wchan
from spykit.slow.waits import collapse, reason_shares, reason_table, summarize
from spykit.slow.wchan import COLUMNS

TCP = "TCP:[127.0.0.1:41000->127.0.0.1:8000]"


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (time, pid, tid, reason, meaning, target, command) -> a wchan-shaped frame."""
    records = []
    for time, pid, tid, reason, meaning, target, command in rows:
        records.append({"time": time, "pid": pid, "tid": tid, "state": "R" if reason == "cpu" else "S",
                        "wchan": None, "syscall": None, "syscall_args": None, "fd": None, "target": target,
                        "meaning": meaning, "reason": reason, "ppid": 1, "command": command, "stack": None})
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def ticks(n: int, pid: int, tid: int, reason: str, meaning: str, target=None, command="prog", start=0):
    return [(0.01 * (start + i), pid, tid, reason, meaning, target, command) for i in range(n)]


NET = ("network", "waiting for data from 127.0.0.1:8000 (TCP)", TCP)
RUN = ("cpu", "running on the CPU", None)
LOCK = ("lock", "waiting on a lock", None)
SLEEP = ("sleep", "sleeping on a timer", None)
CHILD = ("child", "waiting for a child process", None)


def test_a_running_thread_makes_the_tick_cpu_and_a_real_wait_beats_a_lock():
    df = frame(ticks(10, 100, 100, *LOCK) + ticks(10, 100, 101, *RUN)      # join() on a busy worker
               + ticks(10, 100, 100, *LOCK, start=10) + ticks(10, 100, 101, *NET, start=10))  # worker waits
    per_tick = collapse(df)
    assert len(per_tick) == 20
    assert per_tick["reason"].tolist() == ["cpu"] * 10 + ["network"] * 10


def test_summarize_per_process_with_shares():
    df = frame(ticks(8, 100, 100, *CHILD, command="parent") + ticks(2, 100, 100, *RUN, start=8, command="parent")
               + ticks(5, 200, 200, *SLEEP, start=2, command="sleep 1"))
    summary = summarize(df)
    assert summary[["pid", "reason", "samples"]].values.tolist() == [[100, "child", 8], [100, "cpu", 2],
                                                                        [200, "sleep", 5]]
    assert summary["share"].tolist() == [0.8, 0.2, 1.0]
    assert summary["command"].tolist() == ["parent", "parent", "sleep 1"]


def test_reason_table_and_shares_of_one_process():
    df = frame(ticks(9, 100, 100, *NET) + ticks(1, 100, 100, *RUN, start=9))
    table = reason_table(df, [100])
    assert table.iloc[0][["reason", "meaning", "target", "samples"]].tolist() == [*NET, 9]
    shares = reason_shares(table)
    assert shares["network"] == pytest.approx(0.9) and shares["cpu"] == pytest.approx(0.1)
    assert shares["disk"] == 0.0 and list(shares.index) == ["cpu", "disk", "network", "input", "child", "sleep",
                                                            "lock", "other"]


def test_format_wchan_reads_like_a_report():
    df = frame(ticks(9, 100, 100, *NET, command="client.py") + ticks(1, 100, 100, *RUN, start=9,
                                                                        command="client.py"))
    df.attrs.update(command=["python3", "client.py"], interval=0.01, elapsed=0.1)
    text = format_wchan(df)
    assert text.splitlines()[0] == "wchan: python3 client.py: 10 samples every 10 ms over 0.10 s"
    assert "pid 100  client.py" in text
    assert "  90%  network  waiting for data from 127.0.0.1:8000 (TCP)  [" + TCP + "]" in text


# -- the verdict -----------------------------------------------------------------------------


def table_of(*parts: tuple[int, tuple]) -> pd.DataFrame:
    rows, start = [], 0
    for n, what in parts:
        rows += ticks(n, 100, 100, *what, start=start)
        start += n
    return reason_table(frame(rows), [100])


def test_waiting_on_the_network_beats_a_little_cpu():
    verdict = decide(table_of((95, NET), (5, RUN)), elapsed=1.0, user=0.04, system=0.01)
    assert verdict.kind == "network" and verdict.score == pytest.approx(0.95)
    assert verdict.meaning == NET[1] and verdict.target == TCP


def test_busy_loop_on_a_loaded_machine_is_cpu():
    # runnable all the time but given a CPU half of it: still its own code that wants the time
    verdict = decide(table_of((100, RUN)), elapsed=1.0, user=0.5, system=0.0)
    assert verdict.kind == "cpu" and verdict.score == pytest.approx(0.5)


def test_kernel_time_beating_user_time_is_syscalls():
    verdict = decide(table_of((100, RUN)), elapsed=1.0, user=0.05, system=0.9)
    assert verdict.kind == "syscalls"


def test_an_fsync_loop_caught_running_half_the_time_is_still_disk():
    disk = ("disk", "waiting for the disk to finish writing", "/tmp/data")
    verdict = decide(table_of((45, disk), (55, RUN)), elapsed=1.0, user=0.08, system=0.30)
    assert verdict.kind == "disk" and verdict.target == "/tmp/data"
    assert verdict.scores["syscalls"] == pytest.approx(0.30)


def test_a_parent_waiting_for_a_busy_child_is_child():
    # own CPU time (not the child's) goes into the verdict
    assert decide(table_of((95, CHILD), (5, RUN)), elapsed=1.0, user=0.03, system=0.0).kind == "child"


def test_unnamed_waits_give_unknown_and_an_empty_run_too():
    other = ("other", "waiting for a signal", None)
    assert decide(table_of((90, other), (10, RUN)), elapsed=1.0, user=0.05, system=0.0).kind == "unknown"
    assert decide(table_of(), elapsed=0.0, user=0.0, system=0.0).kind == "unknown"


def test_scores_name_every_kind():
    scores = scores_of(table_of((50, SLEEP), (50, LOCK)), elapsed=2.0, user=0.2, system=0.1)
    assert scores == pytest.approx({"disk": 0, "network": 0, "input": 0, "child": 0, "sleep": 0.5, "lock": 0.5,
                                    "cpu": 0.1, "syscalls": 0.05, "unknown": 0})
    # a tie between two waits goes to the first in the fixed order, never at random
    assert decide(table_of((50, SLEEP), (50, LOCK)), elapsed=2.0, user=0.2, system=0.1).kind == "sleep"


def test_waiting_for_a_cpu_goes_back_to_what_the_program_was_doing():
    disk = ("disk", "waiting for the disk to finish writing", "/tmp/data")
    # An fsync loop on a saturated machine: seen blocked in 10% of samples, "running" in 90%,
    # though it ran only 8% of the time; 80% was spent queued for a CPU, nearly always right
    # after an fsync woke it up.
    table = table_of((10, disk), (90, RUN))
    assert decide(table, elapsed=1.0, user=0.03, system=0.05).kind == "disk"  # 0.10 > 0.05
    verdict = decide(table, elapsed=1.0, user=0.03, system=0.09, queued=0.8, woken=0.95)
    assert verdict.kind == "disk"
    assert verdict.scores["disk"] == pytest.approx(0.1 + 0.8 * 0.95)
    assert verdict.scores["syscalls"] == pytest.approx(0.09 + 0.8 * 0.05 * 0.09 / 0.12)
    # without the hand-back, kernel time would have won on noise
    assert decide(table, elapsed=1.0, user=0.03, system=0.11).kind == "syscalls"
    # a busy loop preempted on a loaded machine: the queueing is computing time
    busy = decide(table_of((100, RUN)), elapsed=1.0, user=0.4, system=0.0, queued=0.6, woken=0.01)
    assert busy.kind == "cpu" and busy.scores["cpu"] == pytest.approx(1.0)
