"""How much slower does tracing make a program? spykit against strace, measured in one run.

    python bench/overhead.py            # all workloads, 3 runs each, median quoted
    python bench/overhead.py --runs 5 --only W1

Prints wall-clock seconds for each workload and tracing mode, and ratios against strace with its
default settings and against strace pinned to one CPU (``taskset``), all from this one run on
this machine. Also measures building the DataFrame of 1,000,000 recorded calls.
"""

from __future__ import annotations

import argparse
import copy
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


def interleaved(runs_by_mode: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """The median time of each mode, the modes taking turns (A B C, A B C, ...): a machine whose
    speed drifts over the minutes of a benchmark (a virtual machine's neighbours) then shifts
    all modes alike instead of whichever ran during the slow minute."""
    times: dict[str, list[float]] = {mode: [] for mode in runs_by_mode}
    for _ in range(runs):
        for mode, run in runs_by_mode.items():
            start = time.perf_counter()
            run()
            times[mode].append(time.perf_counter() - start)
    return {mode: statistics.median(seconds) for mode, seconds in times.items()}


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
        "spykit full, data_limit=0": lambda: spykit.trace(cmd, capture_output=True, data_limit=0),
        "spykit openat": lambda: spykit.trace(cmd, syscalls=["openat"], capture_output=True),
        "spykit full, pure Python": lambda: pure_python(lambda: spykit.trace(cmd, capture_output=True)),
    }
    if os.path.exists(ptrace_strace):
        out["python-ptrace strace.py"] = quiet([PYTHON, ptrace_strace, "-f", "-o", "/dev/null", "--", *cmd])
    return out


def streaming_against_strace(cmd: list[str], strace: str, cpu: int, tmp: Path, runs: int) -> tuple[float, float]:
    """``spykit trace -o FILE`` (the command line, writing each line as the call finishes) against
    ``strace -o FILE``, both pinned to one CPU, taking turns: (spykit's seconds, strace's)."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = tmp / "trace.txt"

    def run(argv: list[str]) -> Callable[[], object]:
        return lambda: subprocess.run(["taskset", "-c", str(cpu), *argv], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env=env, check=True)

    results = interleaved({
        "spykit": run([sys.executable, "-m", "spykit.cli", "trace", "-o", str(out), "--", *cmd]),
        "strace": run([strace, "-o", str(out), *cmd]),
    }, runs)
    return results["spykit"], results["strace"]


def pure_python(run: Callable[[], object]) -> object:
    """Run with spykit's C accelerators switched off: what a machine without a C compiler gets."""
    from spykit.tracer import launch, loop

    saved = loop._fastloop, launch._fastspawn
    loop._fastloop = launch._fastspawn = None
    try:
        return run()
    finally:
        loop._fastloop, launch._fastspawn = saved


def recorded_calls(cmd: list[str]):
    """Trace ``cmd`` and return the tracer's raw Recorder (what the DataFrame is built from)."""
    from spykit.tracer import build

    kept = {}
    original = build.build_trace

    def keep(rec, meta):
        kept["rec"] = copy.deepcopy(rec)  # (building the frame uses the recorder up)
        return original(rec, meta)

    build.build_trace = keep
    try:
        spykit.trace(cmd, capture_output=True)
    finally:
        build.build_trace = original
    return kept["rec"]


def dataframe_build(rows: int) -> tuple[float, float]:
    """Seconds and MB of added peak memory to build the DataFrame of ``rows`` recorded calls.

    A real trace (dd: reads and writes with their data, plus a program's start-up calls) is
    recorded once and its raw rows repeated until there are ``rows`` of them, so every row costs
    what a real one costs to decode.
    """
    from spykit.tracer.build import build_frame
    from spykit.tracer.recorder import Recorder

    src = recorded_calls(["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=2000"])
    blobs: dict[int, list[tuple[int, bytes | None]]] = {}
    for j in range(len(src.blob_row)):
        n, off = src.blob_len[j], src.blob_off[j]
        blobs.setdefault(src.blob_row[j], []).append(
            (src.blob_key[j], None if n < 0 else bytes(src.blob_data[off:off + n])))
    exits = {row: j for j, row in enumerate(src.x_row)}
    fds = {src.fd_row[j]: (src.fd_val[j], src.fd_desc[j]) for j in range(len(src.fd_row))}
    paths = {src.path_row[j]: src.path_id[j] for j in range(len(src.path_row))}
    rec = Recorder()
    rec.strings, rec._string_ids = list(src.strings), dict(src._string_ids)
    while len(rec) < rows:
        for i in range(len(src)):
            if len(rec) >= rows:
                break
            nr = int.from_bytes(src.entry_raw[56 * i:56 * i + 8], "little")
            row = rec.start_row(src.t_entry[i], src.tid[i], src.tgid[i], nr, src.entry_raw[56 * i:56 * i + 56])
            if i in exits:
                j = exits[i]
                rec.finish_row(row, src.t_exit[j], src.exit_raw[9 * j:9 * j + 9])
            for key, data in blobs.get(i, ()):
                rec.add_blob(row, key, data)
            if i in fds:
                rec.set_fd(row, *fds[i])
            if i in paths:
                rec.set_path(row, paths[i])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    df = build_frame(rec, string_limit=32)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert len(df) == rows
    return seconds, (after - before) / 1024


MEMORY_PROBE = """
import sys
import spykit, spykit.tracer.build  # noqa: F401
def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024
base = status("VmRSS")
kw = {"max_events": int(sys.argv[2])} if len(sys.argv) > 2 else {}
spykit.trace(["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=" + sys.argv[1]], capture_output=True, **kw)
print(status("VmHWM") - base)
"""


def trace_memory(calls: int, max_events: int | None = None) -> float:
    """MB of peak memory a trace of ``calls`` calls adds, from start to the finished Trace, measured in a
    fresh interpreter (VmHWM: a child's ru_maxrss would start at this process's size)."""
    extra = [] if max_events is None else [str(max_events)]
    out = subprocess.run([PYTHON, "-c", MEMORY_PROBE, str(calls // 2), *extra], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    return float(out.stdout.split()[-1])


def data_capture_cost(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median seconds with the default data_limit and with data_limit=0, ``runs`` rounds taking turns.

    Which goes first swaps every round: on a loaded machine the first run of a round was seen
    to be 25% faster than the second whatever its settings (A/B/A: 0.162, 0.210, 0.220 s for W4).
    """
    modes = {"default": lambda: spykit.trace(cmd, capture_output=True),
             "0": lambda: spykit.trace(cmd, capture_output=True, data_limit=0)}
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for round_ in range(runs):
        for mode in (("default", "0") if round_ % 2 == 0 else ("0", "default")):
            start = time.perf_counter()
            modes[mode]()
            times[mode].append(time.perf_counter() - start)
    return statistics.median(times["default"]), statistics.median(times["0"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is quoted")
    parser.add_argument("--only", help="only workloads whose name starts with this (e.g. W1)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for the DataFrame build measurement")
    parser.add_argument("--calls", type=int, default=2_000_000, help="calls for the trace memory measurement")
    args = parser.parse_args(argv)
    strace = shutil.which("strace")
    if strace is None:
        parser.error("strace is not installed: it is the reference (apt-get install strace)")
    cpu = min(os.sched_getaffinity(0))
    strace_version = subprocess.run([strace, "-V"], capture_output=True, text=True).stdout.splitlines()[0]
    from spykit.tracer import launch, loop

    built = "built" if loop._fastloop is not None and launch._fastspawn is not None else "NOT built (pure Python)"
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
          f"Python {platform.python_version()}, {strace_version}; spykit's C accelerators: {built}")
    print(f"median of {args.runs} runs (modes taking turns), wall-clock seconds; ratios against strace from this "
          "same run\n")
    with tempfile.TemporaryDirectory() as tmp:
        loads = workloads(Path(tmp))
        header = f"{'workload':28} {'mode':32} {'seconds':>8} {'x strace':>9} {'x pinned':>9} {'x untraced':>10}"
        print(header)
        print("-" * len(header))
        for name, cmd in loads.items():
            if args.only and not name.startswith(args.only):
                continue
            results = interleaved(modes(cmd, strace, cpu), args.runs)
            for mode, seconds in results.items():
                print(f"{name:28} {mode:32} {seconds:8.3f} {seconds / results['strace -f']:9.2f} "
                      f"{seconds / results['strace -f, one CPU']:9.2f} {seconds / results['untraced']:10.1f}")
            if name.startswith("W1"):  # the command line streams its lines: at most 1.2x strace doing the same
                spy, ref = streaming_against_strace(cmd, strace, cpu, Path(tmp), 3 * args.runs)
                print(f"{name:28} spykit trace -o FILE (streaming) against strace -o FILE, one CPU, "
                      f"{3 * args.runs} rounds taking turns: {spy:.3f} s against {ref:.3f} s ({spy / ref:.2f}x)")
            if name.startswith(("W1", "W4")):  # keeping each call's data must cost next to nothing
                kept, none = data_capture_cost(cmd, 3 * args.runs)
                print(f"{name:28} data_limit=4096 against 0, {3 * args.runs} rounds taking turns: {kept:.3f} s "
                      f"against {none:.3f} s ({(kept / none - 1) * 100:+.1f}%)")
            print()
    seconds, mb = dataframe_build(args.rows)
    print(f"building the DataFrame of {args.rows:,} recorded calls: {seconds:.2f} s, {mb:.0f} MB added peak memory")
    print(f"tracing {args.calls:,} calls (dd bs=1) to a finished Trace: {trace_memory(args.calls):.0f} MB added peak "
          f"memory; with max_events=10000: {trace_memory(args.calls, 10_000):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
