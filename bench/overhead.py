"""How much slower does tracing make a program? spykit against strace, measured in one run.

    python bench/overhead.py            # all workloads, 3 runs each, median quoted
    python bench/overhead.py --runs 5 --only W1

Prints wall-clock seconds for each workload and tracing mode, and ratios against strace with its
default settings and against strace pinned to one CPU (``taskset``), all from this one run on
this machine. Also measures building the DataFrame of 1,000,000 recorded calls.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import spykit  # noqa: E402

PYTHON = os.path.realpath(sys.executable)  # never a pyenv shim: that would trace bash too

THREADS_SRC = textwrap.dedent("""
    #include <pthread.h>
    #include <unistd.h>
    static void *work(void *arg) {
        for (int i = 0; i < 5000; i++) getppid();
        return arg;
    }
    int main(void) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, work, 0);
        for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
        return 0;
    }
""")


def workloads(tmp: Path) -> dict[str, list[str]]:
    threads = tmp / "threads4"
    src = tmp / "threads4.c"
    src.write_text(THREADS_SRC)
    subprocess.run(["gcc", "-O1", "-pthread", "-o", str(threads), str(src)], check=True)
    return {
        "W1 dd bs=1 (100k calls)": ["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=50000"],
        "W2 300 x /bin/true": ["sh", "-c", "i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done"],
        "W3 python -c pass": [PYTHON, "-c", "pass"],
        "W4 4 threads x 5000 calls": [str(threads)],
    }


def timed(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def quiet(cmd: list[str]) -> Callable[[], object]:
    return lambda: subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def modes(cmd: list[str], strace: str, cpu: int) -> dict[str, Callable[[], object]]:
    ptrace_strace = shutil.which("strace.py") or str(Path(PYTHON).parent / "strace.py")
    out = {
        "untraced": quiet(cmd),
        "strace -f": quiet([strace, "-f", "-o", "/dev/null", *cmd]),
        "strace -f, one CPU": quiet(["taskset", "-c", str(cpu), strace, "-f", "-o", "/dev/null", *cmd]),
        "strace --seccomp-bpf -e openat": quiet([strace, "-f", "--seccomp-bpf", "-e", "trace=openat", "-o",
                                                 "/dev/null", *cmd]),
        "spykit full": lambda: spykit.trace(cmd, capture_output=True),
        "spykit openat": lambda: spykit.trace(cmd, syscalls=["openat"], capture_output=True),
    }
    if os.path.exists(ptrace_strace):
        out["python-ptrace strace.py"] = quiet([PYTHON, ptrace_strace, "-f", "-o", "/dev/null", "--", *cmd])
    return out


def dataframe_build(rows: int) -> tuple[float, float]:
    """Seconds and MB of added peak memory to build the DataFrame of ``rows`` recorded calls."""
    from spykit.tracer.build import build_frame
    from spykit.tracer.recorder import Recorder

    # Record a real trace once, then replicate its raw rows: the same work per row as a real one.
    rec_src = Recorder()
    from spykit.tracer import api

    seen: dict[str, Recorder] = {}
    original = api.build_trace

    def keep(rec, meta):
        seen["rec"] = rec
        return original(rec, meta)

    api.build_trace = keep
    try:
        spykit.trace(["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=1000"], capture_output=True)
    finally:
        api.build_trace = original
    src = seen.get("rec", rec_src)
    rec = Recorder()
    reps = rows // max(len(src), 1) + 1
    for _ in range(reps):
        base = len(rec)
        for i in range(len(src)):
            if len(rec) >= rows:
                break
            rec.start_row(src.t_entry[i], src.tid[i], src.tgid[i], 0, src.entry_raw[56 * i:56 * i + 56])
        for j, row in enumerate(src.x_row):
            if base + row < len(rec):
                rec.finish_row(base + row, src.t_exit[j], src.exit_raw[9 * j:9 * j + 9])
        for j in range(len(src.blob_row)):
            if base + src.blob_row[j] < len(rec):
                n = src.blob_len[j]
                off = src.blob_off[j]
                rec.add_blob(base + src.blob_row[j], src.blob_key[j],
                             None if n < 0 else bytes(src.blob_data[off:off + n]))
        if len(rec) >= rows:
            break
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    df = build_frame(rec, string_limit=32)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert len(df) == rows
    return seconds, (after - before) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is quoted")
    parser.add_argument("--only", help="only workloads whose name starts with this (e.g. W1)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for the DataFrame build measurement")
    args = parser.parse_args(argv)
    strace = shutil.which("strace")
    if strace is None:
        parser.error("strace is not installed: it is the reference (apt-get install strace)")
    cpu = min(os.sched_getaffinity(0))
    strace_version = subprocess.run([strace, "-V"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
          f"Python {platform.python_version()}, {strace_version}")
    print(f"median of {args.runs} runs, wall-clock seconds; ratios against strace from this same run\n")
    with tempfile.TemporaryDirectory() as tmp:
        loads = workloads(Path(tmp))
        header = f"{'workload':28} {'mode':32} {'seconds':>8} {'x strace':>9} {'x pinned':>9} {'x untraced':>10}"
        print(header)
        print("-" * len(header))
        for name, cmd in loads.items():
            if args.only and not name.startswith(args.only):
                continue
            results = {mode: timed(run, args.runs) for mode, run in modes(cmd, strace, cpu).items()}
            for mode, seconds in results.items():
                print(f"{name:28} {mode:32} {seconds:8.3f} {seconds / results['strace -f']:9.2f} "
                      f"{seconds / results['strace -f, one CPU']:9.2f} {seconds / results['untraced']:10.1f}")
            print()
    seconds, mb = dataframe_build(args.rows)
    print(f"building the DataFrame of {args.rows:,} recorded calls: {seconds:.2f} s, {mb:.0f} MB added peak memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
