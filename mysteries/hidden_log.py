"""A program that says it does nothing much, while it keeps a diary somewhere.

Chapter 1, spying on writes. It prints almost nothing, yet it writes a log
file. Where is the log, and what goes in it?

    python mysteries/hidden_log.py [--seconds N]

The diary is deleted when the program ends (also on Ctrl-C or `kill`), so look
while it runs, or trace it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import sys
import tempfile
import time


def _stop_on_sigterm(signum: int, _frame: object) -> None:
    # Turn `kill` into an exception, so the `with` blocks below get to clean up.
    raise SystemExit(128 + signum)


def _observations() -> list[str]:
    """What the diary notes about you: harmless, but would you have expected it?"""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a uid with no name, e.g. in a container
        user = str(os.getuid())
    return [f"user is {user}", f"working in {os.getcwd()}", f"shell is {os.environ.get('SHELL', 'unknown')}"]


def _keep_diary(diary_path: str, seconds: float) -> int:
    """Write a short line to the diary every so often until the time is up; return how many."""
    deadline = time.monotonic() + seconds
    notes = _observations()
    entries = 0
    # buffering=1: one line, one write() call, as a log that must survive a crash would do.
    with open(diary_path, "w", buffering=1, encoding="utf-8") as diary:
        os.chmod(diary_path, 0o600)
        diary.write(f"diary of pid {os.getpid()}\n")
        while True:
            note = notes[entries] if entries < len(notes) else "still watching"
            entries += 1
            diary.write(f"{entries}: {note}\n")
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(0.2, left))
        diary.write("diary closed\n")
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Does nothing much. Honest.")
    parser.add_argument("--seconds", type=float, default=1.0, help="how long to run (default: 1)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    print("Doing nothing much...")
    # A hidden directory under the temporary directory ($TMPDIR, usually /tmp): nobody looks there.
    # Hold Ctrl-C and `kill` while the folder is made: one that landed between its mkdir and the
    # moment TemporaryDirectory sets up its removal would leave it behind. Held, it waits until
    # the folder's clean-up is in place.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        folder = tempfile.TemporaryDirectory(prefix=".quiet-")
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    with folder as hideout:
        entries = _keep_diary(os.path.join(hideout, ".diary.log"), max(0.0, args.seconds))
    print(f"Done. ({entries} things happened, but they are none of your business.)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
