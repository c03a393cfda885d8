"""How long does a learner wait when a whole class runs the notebooks on one machine at once?

    sudo python bench/classroom.py                 # N = 1, 4, 12, 30 learners, live tracing
    sudo python bench/classroom.py --sizes 1 4 --mode no-ptrace

For each class size N it creates N Unix users (removed afterwards), has all of them run notebooks 00
and 01 at the same moment, each as themselves in kernels of their own (tests/classroom.py does the
work), and prints per learner the wall time of the two notebooks (median and slowest, kernel start-up
included), the largest peak memory of a kernel (VmHWM), the CPU time the class used per learner
(user + system, of every process that was waited for), and how the slowest learner's time grows
against one learner alone. Needs root. Measures this machine only:
the CPU count and load average when it started are printed with the table.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from classroom import learners, readable_copy, run_class  # noqa: E402


def measure(copy: Path, size: int, mode: str) -> dict:
    """One class of ``size`` learners: the per-learner figures, or an error naming the learners who failed."""
    with learners(size) as made:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        runs, _seen = run_class(copy, made, mode)
        took = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of every process the learners ran that was waited for (their kernels, the programs those traced)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    failed = [run.learner.name for run in runs if run.returncode != 0 or any(
        notebook["errors"] for notebook in run.report.get("notebooks", []))]
    walls = [run.wall for run in runs]
    return {"size": size, "median": statistics.median(walls), "slowest": max(walls),
            "peak_mb": max(run.peak_kb for run in runs) / 1024, "class_seconds": took, "cpu_each": cpu / size,
            "failed": failed}


def table(rows: list[dict]) -> str:
    """The results as a Markdown table; growth is the slowest learner's time over one learner's."""
    alone = rows[0]["slowest"] if rows and rows[0]["size"] == 1 else None
    lines = ["| learners | median per learner (s) | slowest (s) | slowest / one alone | largest kernel peak (MB) |"
             " whole class (s) | CPU per learner (s) | failed |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        growth = f"{row['slowest'] / alone:.1f}x" if alone else "-"
        lines.append(f"| {row['size']} | {row['median']:.1f} | {row['slowest']:.1f} | {growth} | "
                     f"{row['peak_mb']:.0f} | {row['class_seconds']:.0f} | {row['cpu_each']:.1f} | "
                     f"{len(row['failed'])} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 12, 30])
    parser.add_argument("--mode", choices=["live", "no-ptrace"], default="live")
    options = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("run it as root: it creates (and removes) one Unix user per learner")
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs; load average before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"mode {options.mode}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="spykit-class-") as folder:
        copy = readable_copy(Path(folder) / "repo")
        for size in options.sizes:
            rows.append(measure(copy, size, options.mode))
            print(f"  N={size}: slowest {rows[-1]['slowest']:.1f} s, load now {os.getloadavg()[0]:.2f}", flush=True)
    print(table(rows))
    alone = rows[0]["slowest"] if rows[0]["size"] == 1 else None
    doubled = [row["size"] for row in rows if alone and row["slowest"] > 2 * alone]
    if alone:
        print(f"The slowest learner first takes more than twice one learner's time at N = {doubled[0]}."
              if doubled else "The slowest learner never took more than twice one learner's time.")
    if any(row["failed"] for row in rows):
        print("Failed learners: " + "; ".join(f"N={row['size']}: {row['failed']}" for row in rows if row["failed"]))
        sys.exit(1)


if __name__ == "__main__":
    main()
