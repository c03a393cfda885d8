"""Busy on the CPU in its own code: sums squares for the given number of seconds."""

import sys
import time


def sum_of_squares(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def main(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum_of_squares(20_000)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
