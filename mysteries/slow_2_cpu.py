"""Slow mystery #2: it looks for magic numbers, and it takes a while. Why is it slow?

Chapter 2, the case of the slow program. Time it first, then find out where
the time goes.

    python mysteries/slow_2_cpu.py [--seconds N]

It only computes: no files, no network, no other programs.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

_BATCH = 2_000  # numbers looked at between two glances at the clock


def read_the_rules() -> tuple[int, int]:
    """A little set-up work, so the profile has more than one name in it."""
    rules = {"divisor": 7, "digits": 3}
    return rules["divisor"], rules["digits"]


def is_magic(number: int, divisor: int, digits: int) -> bool:
    """Is ``number`` magic? Its digit sum must be a multiple of ``divisor``, counted the long way."""
    total = 0
    for _pass in range(digits):
        rest = number
        while rest:
            total += rest % 10
            rest //= 10
    return total % divisor == 0


def search_batch(start: int, divisor: int, digits: int) -> int:
    """How many numbers in the next batch are magic."""
    return sum(1 for number in range(start, start + _BATCH) if is_magic(number, divisor, digits))


def _stop_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Count magic numbers.")
    parser.add_argument("--seconds", type=float, default=3.0, help="about how long to run (default: 3)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    deadline = time.monotonic() + max(0.0, args.seconds)

    divisor, digits = read_the_rules()
    start = found = 0
    # Bounded by time, not by work: a slow machine searches less, and still runs N seconds.
    while True:
        found += search_batch(start, divisor, digits)
        start += _BATCH
        if time.monotonic() >= deadline:
            break
    print(f"Looked at {start} numbers and found {found} magic ones.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
