"""The C inner loop (spykit/tracer/_fastloop.c) against the pure-Python loop it accelerates.

loop.py is the reference: for the same program both loops must record the same rows, the same
data, the same fds and the same counts. Programs are run twice, so what legitimately differs
between two runs (times, pids, addresses under ASLR) is left out of the comparison.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import IN_CI, children_of, unavailable

import spykit
from spykit.errors import TraceInterrupted
from spykit.tracer import loop

pytestmark = pytest.mark.skipif(loop._fastloop is None and not IN_CI,
                                reason="the C loop is not built here (pip install -e . with a C compiler)")

BUFFERS = "../differential/programs/buffers.c"  # (also compared with strace there)
SAME = ["syscall", "error", "path", "fd", "data", "size", "unfinished", "category", "nr", "note"]
_ADDRESS = re.compile(r"0x[0-9a-f]+")
_INODE = re.compile(r"\[\d+\]")


@pytest.fixture(params=["c", "python"])
def which_loop(request, monkeypatch):
    """Run a test with the C loop and again with the pure-Python one."""
    if request.param == "python":
        monkeypatch.setattr(loop, "_fastloop", None)
    return request.param


def _both(monkeypatch, *args, **kwargs):
    fast = spykit.trace(*args, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(loop, "_fastloop", None)
        slow = spykit.trace(*args, **kwargs)
    return fast, slow


def _comparable(t):
    df = t.df
    out = df[SAME].copy()
    out["args"] = df["args"].str.replace(_ADDRESS, "0x?", regex=True)
    out["path"] = df["path"].str.replace(_INODE, "[?]", regex=True)  # pipe:[613774]: new each run
    # results that are addresses or ids differ between two runs; errors and sizes do not
    ids = ["getppid", "getpid", "gettid", "set_tid_address", "clone", "clone3"]
    varying = df["category"].isin(["memory"]) | df["syscall"].isin(ids)
    out["ret"] = df["ret"].where(~varying, -12345)
    random = df["syscall"] == "getrandom"  # the C library's random bytes: new each run
    out.loc[random, "args"] = "?"
    out.loc[random, "data"] = None
    return out.reset_index(drop=True)


def test_the_c_loop_is_built_in_ci():
    """CI installs a compiler and Python's headers: there the accelerator must have been built."""
    if not IN_CI:
        pytest.skip("only CI promises a compiler")
    assert loop._fastloop is not None, "spykit/tracer/_fastloop.c was not built: see setup.py and .ci/run"


def test_buffers_of_every_size_and_place_are_recorded_alike(compile_c, monkeypatch):
    program = compile_c(BUFFERS)
    fast, slow = _both(monkeypatch, ["setarch", "-R", program, "partial"], string_limit=32)
    assert fast.returncode == slow.returncode == 0
    a, b = _comparable(fast), _comparable(slow)
    assert len(a) > 9000
    _assert_alike(a, b)
    assert dict(fast.counts) == dict(slow.counts)
    # what the C loop wrote itself: the hot loop's one-byte writes, and the reads that got them back
    pattern = b"spykit, fast and slow "
    expected = [pattern[(i % 26) % 22:(i % 26) % 22 + 1] for i in range(3000)]
    df = fast.df.reset_index(drop=True)
    start = df.index[df.syscall.isin(["fstat", "newfstatat"])].max()  # the hot loop: from the last fstat to the mmap
    end = df.index[(df.syscall == "mmap") & (df.index > start)].min()
    hot = df.iloc[start + 1:end]
    assert hot[hot.syscall == "write"]["data"].tolist() == expected
    assert hot[hot.syscall == "read"]["data"].tolist() == expected
    # pages it cannot read (write-only, PROT_NONE, unmapped) show as pointers, whatever came before
    after = df.iloc[end:]
    unreadable = after[(after.syscall == "write") & after["data"].isna()]
    assert len(unreadable) >= 3 + 3 + 2 + 1
    # a buffer the kernel could not read shows as a pointer (no data), as strace shows it
    efault = fast.df[(fast.df.syscall == "write") & (fast.df.error == "EFAULT")]
    assert efault["data"].isna().sum() >= 2


@pytest.mark.parametrize(("limit", "data_limit"), [(0, 4096), (5, 4096), (4096, 4096), (32, 0), (32, 100),
                                                   (32, 10000)])
def test_string_and_data_limits_cut_alike(compile_c, monkeypatch, limit, data_limit):
    program = compile_c(BUFFERS)
    fast, slow = _both(monkeypatch, ["setarch", "-R", program, "partial"], string_limit=limit,
                       data_limit=data_limit)
    a, b = _comparable(fast), _comparable(slow)
    assert _values(a["data"]) == _values(b["data"])
    assert fast.df["data_complete"].tolist() == slow.df["data_complete"].tolist()
    assert a["args"].tolist() == b["args"].tolist()
    lengths = fast.df["data"].dropna().map(len)
    # the data column keeps data_limit bytes whatever the string limit (the program writes 6000 at once)
    assert lengths.max() <= data_limit and (lengths == min(data_limit, 6000)).any()
    cut = fast.df[fast.df["data_complete"].eq(False).fillna(False).astype(bool)]
    assert (cut["data"].map(len) == data_limit).all() and (len(cut) > 0) == (data_limit < 6000)


def test_a_spent_data_budget_keeps_sizes_and_marks_the_rest_cut_alike(compile_c, monkeypatch):
    from spykit.syscalls import captures

    monkeypatch.setattr(captures, "DATA_BUDGET", 8_000)
    program = compile_c(BUFFERS)
    fast, slow = _both(monkeypatch, ["setarch", "-R", program, "partial"], string_limit=32)
    a, b = _comparable(fast), _comparable(slow)
    assert _values(a["data"]) == _values(b["data"])
    assert fast.df["data_complete"].tolist() == slow.df["data_complete"].tolist()
    kept = fast.df["data"].dropna().map(len)
    assert kept.sum() <= 8_000 + 4096 + 32 * len(kept)  # the budget, the call that spent it, the text's bytes
    spent = fast.df.index[fast.df["data"].map(lambda d: d is not None and len(d) > 32)].max()
    later = fast.df.loc[spent + 1:]
    big = later[(later["ret"].fillna(0) > 32) & later["syscall"].isin(["read", "write"]) & later["data"].notna()]
    assert len(big) > 0 and (big["data"].map(len) == 32).all() and not big["data_complete"].any()
    assert (big["ret"] > 32).all()  # their sizes are still whole


def test_processes_threads_and_files_alike(compile_c, monkeypatch, tmp_path):
    for name in ("files", "procs"):
        program = compile_c(f"tracer/{name}.c")
        (tmp_path / name).mkdir()
        fast, slow = _both(monkeypatch, [program, str(tmp_path / name)])
        assert fast.returncode == slow.returncode
        assert dict(fast.counts) == dict(slow.counts)
        key = ["syscall", "error", "path", "fd"]
        assert fast.df[key].astype(object).fillna("-").value_counts().to_dict() == \
            slow.df[key].astype(object).fillna("-").value_counts().to_dict()
    threads = compile_c("tracer/threads.c", "-pthread")
    fast, slow = _both(monkeypatch, [threads])
    racy = {"futex"}  # how often threads wait on each other differs from run to run
    assert {k: v for k, v in fast.counts.items() if k not in racy} == \
        {k: v for k, v in slow.counts.items() if k not in racy}
    assert fast.df["pid"].nunique() == slow.df["pid"].nunique() > 1


def test_the_c_loop_records_the_hot_calls_itself(compile_c, monkeypatch):
    """The comparisons above would pass as well if the C loop handed every stop back to Python:
    check that it does the work. Python sees only the first call of each number, and the calls
    the C loop leaves to it (paths, fd changes, events)."""
    entries = _python_entries(monkeypatch)
    t = spykit.trace([compile_c(BUFFERS)])
    assert len(t.df) > 9000
    assert 0 < len(entries) < len(t.df) / 20  # (none at all: the count is not seeing Python's entries)


@pytest.mark.parametrize("decode_fds", [False, True], ids=["plain", "strace -y"])
def test_paths_and_closes_are_recorded_alike(compile_c, monkeypatch, tmp_path, decode_fds):
    """Paths the C loop reads itself: across a page, into an unmapped or a PROT_NONE page, NULL,
    empty, not UTF-8, longer than PATH_MAX; opens that describe their fd, closes that must drop
    it from the table, and directory listings."""
    program = compile_c("tracer/paths.c")
    (tmp_path / "fast").mkdir()
    (tmp_path / "slow").mkdir()
    fast = spykit.trace([program, str(tmp_path / "fast")], decode_fds=decode_fds)
    with monkeypatch.context() as m:
        m.setattr(loop, "_fastloop", None)
        slow = spykit.trace([program, str(tmp_path / "slow")], decode_fds=decode_fds)
    assert fast.returncode == slow.returncode == 0
    a, b = _comparable(fast), _comparable(slow)
    a["path"] = a["path"].str.replace(str(tmp_path / "fast"), "DIR")
    b["path"] = b["path"].str.replace(str(tmp_path / "slow"), "DIR")
    a["args"] = a["args"].str.replace(str(tmp_path / "fast"), "DIR")
    b["args"] = b["args"].str.replace(str(tmp_path / "slow"), "DIR")
    _assert_alike(a, b)
    df = fast.df
    probes = df[df["syscall"] == "access"].tail(3 * 12)  # (the loader's own access comes first)
    # every round (the dynamic loader made the first access and newfstatat: these are the C loop's)
    for paths in (probes["path"].tolist()[12 * r:12 * r + 12] for r in range(3)):
        assert paths[:5] == ["/etc/hostname", "link", "", "no-such-file", "caf\u00e9-\udcff\udcfe"]
        assert paths[7:10] == ["across-pages", "/no-end!", "/end"]  # (the one without an end: what could be read)
        assert len(paths[11]) == 4096 and set(paths[11]) == {"x"}
        assert pd.isna(paths[5]) and pd.isna(paths[6]) and pd.isna(paths[10])  # NULL, unmapped, PROT_NONE
    assert "secret" not in " ".join(df["args"].dropna())
    # after each close, the read of the closed fd names no file (the table dropped it)
    reads = df[df["syscall"] == "read"].tail(6)
    assert reads["path"].tolist()[0::2] == ["/etc/hostname"] * 3
    assert reads["path"].isna().tolist()[1::2] == [True] * 3 and (reads["error"].tolist()[1::2] == ["EBADF"] * 3)
    listings = df[df["syscall"] == "getdents64"]
    assert listings["args"].str.contains(r"/\* \d+ entries \*/").sum() == 3 * 2  # the listing and its end
    assert (listings["error"] == "EINVAL").sum() == 3 and (listings["fd_kind"] == "directory").all()
    # a call that returns an fd and names no path (dup) shows what the new fd is
    assert df[df["syscall"] == "dup"]["path"].tolist() == ["/etc/hostname"] * 3


def test_the_c_loop_records_paths_and_closes_itself(compile_c, monkeypatch, tmp_path):
    # (the comparison above would pass as well if the C loop handed these calls to Python)
    entries = _python_entries(monkeypatch)
    trace = spykit.trace([compile_c("tracer/paths.c"), str(tmp_path)])
    by_c = {"access", "newfstatat", "readlinkat", "close", "renameat", "symlinkat", "unlinkat", "openat",
            "getdents64", "dup", "read"}
    numbers = {int(nr) for nr in trace.df[trace.df["syscall"].isin(by_c)]["nr"]}
    python_counts = {nr: entries.count(nr) for nr in numbers}
    assert python_counts == dict.fromkeys(numbers, 1), python_counts  # each number's first call only


def test_more_threads_in_calls_than_the_c_loop_keeps_all_finish_alike(compile_c, monkeypatch):
    """The C loop keeps up to 64 calls in flight itself and the rest in the tracer's dict: with 80
    threads in read() at once (the program waits until /proc shows all 80 there), every read must
    still end with its result, as in Python's loop."""
    crowd = compile_c("tracer/crowd.c", "-pthread")
    # how many calls were in flight when the main thread wrote (its first write: Python's entry)
    in_flight_at_write: list[int] = []
    python_entry = loop.Tracer._entry
    monkeypatch.setattr(loop.Tracer, "_entry", lambda self, tid, t, info: (
        info.nr == 1 and in_flight_at_write.append(len(self.pending))) or python_entry(self, tid, t, info))
    traces = _both(monkeypatch, [crowd])
    assert in_flight_at_write == [80, 80]  # the 80 reads (past the 64 the C loop keeps itself), both loops
    for t in traces:
        assert t.returncode == 0
        df = t.df
        reads = df[(df["syscall"] == "read") & df["path"].str.startswith("pipe:", na=False)]
        assert len(reads) == 80 and reads["pid"].nunique() == 80
        assert not reads["unfinished"].any() and (reads["ret"] == 1).all()
        assert (df["syscall"] == "getppid").sum() == 80
        assert set(df.loc[df["unfinished"], "syscall"]) <= {"exit", "exit_group"}  # (calls that never return)


def test_a_live_status_counts_every_call_and_sees_the_one_in_progress(which_loop, python_exe):
    """A notebook's live status asks the tracer, from another thread, how many calls so far and
    which are under way. The C loop keeps the rows and the calls in flight it handles itself until
    it hands them over: a status that read the Recorder alone counted only the rows handed over at
    the last stop Python saw (here, before the 500 getppid), and showed no call in progress."""
    import threading

    from spykit.notebook.status import take_glance
    from spykit.tracer import live

    glances = []

    class Sink:
        wants_rows = False

        def glance(self, tracer, *, final):
            if not final:
                glances.append(take_glance(time.monotonic(), [tracer], None))

    reader, writer = os.pipe()
    program = "import os\nfor _ in range(500):\n    os.getppid()\nos.read(0, 1)"
    done = {}

    def run():
        with live.watching(Sink()):
            done["trace"] = spykit.trace([python_exe, "-c", program], stdin=reader)

    def in_read(glance) -> bool:
        return any(line.startswith("tid ") and ": in read (" in line for line in glance.threads)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        for _ in range(200):  # (the watch ticks about ten times a second)
            if any(in_read(g) and g.calls > 500 for g in glances):  # (the last read, not one at start-up)
                break
            worker.join(0.05)
    finally:
        os.close(writer)  # the read returns: the program ends
        worker.join(30)
        os.close(reader)
    waiting = [g for g in glances if in_read(g)]
    assert waiting, [g.threads for g in glances[-3:]]
    df = done["trace"].df
    last_read = df.query("syscall == 'read'").index[-1]
    assert df.loc[last_read, "fd"] == 0 and df.loc[last_read, "ret"] == 0
    assert waiting[-1].calls == last_read + 1  # every call up to the read, the read included


def test_max_events_past_the_limit_counts_stay_exact(which_loop):
    t = spykit.trace(["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=3000"], max_events=50,
                     capture_output=True)
    assert len(t.df) == 50 and t.truncated
    assert t.counts["read"] >= 3000 and t.counts["write"] >= 3000


def test_an_error_inside_a_stop_kills_and_reaps_the_program(which_loop, monkeypatch, compile_c):
    """A failure in the middle of a stop the C loop consumed (here: describing an fd) must not
    leave the tracee stopped: the error reaches the caller and the program is killed and reaped."""
    from spykit.tracer import fdtable

    def broken(self, tgid, tid, fd):
        raise RuntimeError("describing an fd failed")

    monkeypatch.setattr(fdtable.FdTable, "lookup", broken)
    program = compile_c(BUFFERS)
    before = set(children_of(os.getpid()))
    with pytest.raises(TraceInterrupted) as caught:
        spykit.trace([program])
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert set(children_of(os.getpid())) <= before


def test_ctrl_c_in_the_wait_keeps_the_rows_and_leaves_nothing_behind(which_loop, python_exe, interruptible):
    """SIGINT while the loop sits in waitpid (the C loop releases the GIL there), just after
    calls the C loop recorded itself: they must reach the trace, and nothing may be left."""
    import threading

    naps = "import time\nfor i in range(60): time.sleep(0.001)\ntime.sleep(5)"
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    before = set(children_of(os.getpid()))
    timer.start()
    try:
        with pytest.raises(TraceInterrupted, match="Ctrl-C") as caught:
            spykit.trace([python_exe, "-c", naps])
    finally:
        timer.cancel()
    naps_seen = caught.value.trace.df.query("syscall == 'clock_nanosleep'")
    assert len(naps_seen) >= 61 and naps_seen["unfinished"].iloc[-1]
    assert set(children_of(os.getpid())) <= before


# Traces `sleep 3`, then sends SIGINT to its whole process group, as a terminal's Ctrl-C does:
# the program gets it too, and spykit's SIGKILL can take it out of the syscall stop that SIGINT
# caused between waitpid's report and the tracer's PTRACE_GET_SYSCALL_INFO.
_CTRL_C_TO_THE_GROUP = """
import os, signal, threading, time
import spykit
from spykit import procfs
signal.signal(signal.SIGINT, signal.default_int_handler)

def ctrl_c_in_the_nap():
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until sleep is in clock_nanosleep (x86_64's 230)
        if any(getattr(procfs.read_syscall(pid), "nr", None) == 230 for pid in procfs.children(os.getpid())):
            break
        time.sleep(0.01)
    os.killpg(os.getpgrp(), signal.SIGINT)

threading.Thread(target=ctrl_c_in_the_nap, daemon=True).start()
try:
    spykit.trace(["sleep", "3"])
except spykit.TraceInterrupted as err:
    df = err.trace.df
    print(int((df["syscall"] == "clock_nanosleep").sum()))
"""


@pytest.mark.parametrize("loop_kind", ["C", "python"])
def test_ctrl_c_that_reaches_the_program_too_leaves_one_row_for_its_call(loop_kind):
    """A failed PTRACE_GET_SYSCALL_INFO (the tracee killed since its stop was reported) left the
    previous stop's info in the buffer, read as a second entry of the call: two sleeps were shown."""
    if loop_kind == "C" and loop._fastloop is None:
        unavailable("the C loop is not built (pip install -e . with a C compiler)")
    env = {**os.environ, **({"SPYKIT_PURE_PYTHON": "1"} if loop_kind == "python" else {})}
    for _ in range(4):  # the race went the wrong way in about half the runs
        run = subprocess.run([sys.executable, "-c", _CTRL_C_TO_THE_GROUP], env=env, start_new_session=True,
                             capture_output=True, text=True, timeout=60)
        assert run.stdout.strip() == "1", (run.stdout, run.stderr[-2000:])


def _assert_alike(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Two comparable frames (see _comparable) hold the same values, column by column."""
    assert len(a) == len(b)
    for column in a.columns:
        left, right = _values(a[column]), _values(b[column])
        diff = [i for i, (x, y) in enumerate(zip(left, right, strict=True)) if x != y]
        assert not diff, f"{column} differs:\n{a.iloc[diff[:5]]}\n{b.iloc[diff[:5]]}"


def _python_entries(monkeypatch) -> list[int]:
    """The call numbers whose entry the Python loop handles, from now on in this test."""
    entries: list[int] = []
    python_entry = loop.Tracer._entry
    monkeypatch.setattr(loop.Tracer, "_entry",
                        lambda self, tid, t, info: entries.append(info.nr) or python_entry(self, tid, t, info))
    return entries


def _values(column) -> list:
    """A column as a list, every kind of missing value as None."""
    return [None if x is None or x is pd.NA or (isinstance(x, float) and x != x) else x
            for x in column.astype(object).tolist()]


def test_a_finished_trace_keeps_nothing_of_the_tracer(which_loop):
    """The C loop and its Tracer refer to each other: the pair must go when the trace is done
    (a million-row Recorder is hundreds of MB), without waiting for the garbage collector."""
    import gc

    from spykit.tracer.recorder import Recorder

    def recorders() -> int:
        return sum(isinstance(o, Recorder) for o in gc.get_objects())

    gc.collect()
    before = recorders()
    gc.disable()
    try:
        spykit.trace(["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=200"], capture_output=True)
        spykit.trace(["true"], syscalls=["openat"])
        assert recorders() == before
    finally:
        gc.enable()


def test_the_loop_and_its_tracer_are_collected_if_dropped_together():
    import gc
    import weakref

    from spykit.tracer.recorder import Recorder

    tracer = loop.Tracer(Recorder(), selected=None, seccomp=False, string_limit=32)
    tracer._fast = tracer._fast_loop()
    assert tracer._fast is not None
    gone = weakref.ref(tracer)
    del tracer
    gc.collect()
    assert gone() is None
