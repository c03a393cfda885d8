"""Slow mystery #5: the library's clerks record loans in the catalogue, and it takes ages. Why?

Wizard exercises. Three clerks (threads) share the work, yet it barely uses the CPU.
What do they wait for, and who is in their way?

    python mysteries/slow_5_lock.py [--seconds N]

It runs for about N seconds (default: 3). The catalogue lives in a fresh temporary
directory ($TMPDIR, usually /tmp) that is removed when the program ends, also on Ctrl-C
or `kill`; the helper it starts (a second copy of this program) stops then too.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

_CATALOGUE = "catalogue.txt"
_LOCK_NAME = "catalogue.lock"
_CLERKS = 3
_STRETCH = 0.4  # how long the indexer keeps the catalogue to itself each time
_BREATHER = 0.03  # how long it lets go in between
_PAPERWORK = 0.05  # what a clerk does between two loans


def _stop_on_sigterm(signum: int, _frame: object) -> None:
    # Turn `kill` into an exception, so the temporary directory is removed on the way out.
    raise SystemExit(128 + signum)


# -- the indexer: the helper ---------------------------------------------------------------------------

def _indexer(seconds: float) -> int:
    """Re-index the catalogue: hold its lock for long stretches, letting go now and then.

    It runs in the catalogue's directory (its current directory) and says "ready" on its
    standard output once it holds the lock for the first time.
    """
    deadline = time.monotonic() + seconds
    with open(_LOCK_NAME, "a+b") as lock:
        announced = False
        while time.monotonic() < deadline:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not announced:
                print("ready", flush=True)
                announced = True
            time.sleep(max(0.0, min(_STRETCH, deadline - time.monotonic())))  # "indexing", lock in hand
            fcntl.flock(lock, fcntl.LOCK_UN)
            time.sleep(_BREATHER)
    return 0


# -- the clerks: the program's own threads --------------------------------------------------------------

def _clerk(number: int, workdir: str, deadline: float, loans: list[int]) -> None:
    """Record one loan at a time, each under the catalogue lock."""
    paperwork = threading.Event()  # never set: waiting on it is how a clerk takes its time
    with open(os.path.join(workdir, _LOCK_NAME), "a+b") as lock, \
            open(os.path.join(workdir, _CATALOGUE), "a", encoding="utf-8") as catalogue:
        while time.monotonic() < deadline:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                loans[number] += 1
                catalogue.write(f"clerk {number}: loan {loans[number]}\n")
                catalogue.flush()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
            paperwork.wait(_PAPERWORK)


def _run_library(seconds: float) -> int:
    deadline = time.monotonic() + seconds
    # Hold Ctrl-C and `kill` while the folder is made: one that landed between its mkdir and the
    # moment TemporaryDirectory sets up its removal would leave it behind. Held, it waits until
    # the folder's clean-up is in place.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        folder = tempfile.TemporaryDirectory(prefix="library-")
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    with folder as workdir:
        indexer = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--indexer", "--seconds", f"{seconds:.2f}"],
            cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        assert indexer.stdout is not None
        try:
            indexer.stdout.readline()  # the indexer has the lock (or is gone)
            loans = [0] * _CLERKS
            # The main thread is a clerk too. The others are daemon threads: if the program is
            # stopped, they must not keep it alive.
            others = [threading.Thread(target=_clerk, args=(n, workdir, deadline, loans), name=f"clerk-{n}",
                                       daemon=True) for n in range(1, _CLERKS)]
            for clerk in others:
                clerk.start()
            _clerk(0, workdir, deadline, loans)
            for clerk in others:
                clerk.join()
            return sum(loans)
        except BaseException:  # stopped early: the indexer must not outlive the program
            indexer.terminate()
            raise
        finally:
            indexer.wait()
            indexer.stdout.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Record the day's loans in the library catalogue.")
    parser.add_argument("--seconds", type=float, default=3.0, help="about how long to run (default: 3)")
    parser.add_argument("--indexer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    seconds = max(0.0, args.seconds)
    if args.indexer:
        return _indexer(seconds)

    print(f"The library opens: {_CLERKS} clerks record the loans.", flush=True)
    loans = _run_library(seconds)
    print(f"The library closes: {loans} loans recorded.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
