"""Slow mystery #3: it saves a journal of its work, and takes a while. Why is it slow?

Chapter 2, the case of the slow program (in the talk, "really a mystery"). Time
it first: the usual suspects do not add up.

    python mysteries/slow_3_writes.py [--seconds N]

The journal lives in a fresh temporary directory ($TMPDIR, usually /tmp) that is
deleted when the program ends, also on Ctrl-C or `kill`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time


def _stop_on_sigterm(signum: int, _frame: object) -> None:
    # Turn `kill` into an exception, so the temporary directory gets removed on the way out.
    raise SystemExit(128 + signum)


_RECORDS_PER_JOURNAL = 50_000  # about 1.2 MB of records


def keep_journal(path: str, deadline: float) -> int:
    """Append one short record at a time, making sure each one is on the disk before the next.

    Bounded by the clock, not by a count: on a fast SSD a flush takes a fraction of a
    millisecond, on a network disk tens of milliseconds, and either way the program runs
    for about the time asked and spends it the same way.
    """
    records = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while time.monotonic() < deadline:
            records += 1
            os.write(fd, b"record %08d: ok\n" % records)
            os.fsync(fd)
            if records % _RECORDS_PER_JOURNAL == 0:
                # Start the journal afresh now and then: where a flush costs nothing (a RAM-backed
                # /tmp), the loop runs far faster, and the file must not grow without bound.
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Keep a careful journal.")
    parser.add_argument("--seconds", type=float, default=3.0, help="about how long to run (default: 3)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    deadline = time.monotonic() + max(0.0, args.seconds)

    # Hold Ctrl-C and `kill` while the folder is made: one that landed between its mkdir and the
    # moment TemporaryDirectory sets up its removal would leave it behind. Held, it waits until
    # the folder's clean-up is in place.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        folder = tempfile.TemporaryDirectory(prefix="journal-")
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    with folder as workdir:
        records = keep_journal(os.path.join(workdir, "journal.txt"), deadline)
    print(f"Saved {records} records, every one of them safely.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
