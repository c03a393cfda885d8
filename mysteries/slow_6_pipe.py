"""Slow mystery #6: Wizard Weather averages the readings of its weather station. Why is it slow?

Wizard exercises. Averaging a few numbers should take no time at all, yet it takes
seconds, and barely uses the CPU. What is it waiting for, and how often does it get it?

    python mysteries/slow_6_pipe.py [--seconds N]

It runs for about N seconds (default: 3). The weather station is a second copy of this
program, started by the first; it writes nothing to disk and stops when the program stops,
also on Ctrl-C or `kill`.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import time

_TICKS = 4  # readings per second


def _stop_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


# -- the station: the producer -----------------------------------------------------------------------------

def _station(seconds: float) -> int:
    """Write one temperature reading per line to standard output, at its own pace, until the time is up."""
    # One reading a tick after the one before, never sooner: a station that fell behind (a busy
    # machine) does not send a burst to catch up, so the time between two readings is always
    # about a tick, as a learner measures it. The number of readings is fixed by --seconds.
    last = time.monotonic()
    for reading in range(1, int(seconds * _TICKS) + 1):
        left = last + 1 / _TICKS - time.monotonic()
        if left > 0:
            time.sleep(left)
        temperature = 12.0 + 3.0 * math.sin(reading / 5)
        try:
            sys.stdout.write(f"reading {reading}: {temperature:.1f} C\n")  # one line, one write
            sys.stdout.flush()
            last = time.monotonic()
        except BrokenPipeError:  # nobody is listening any more: stop, and do not complain on the way out
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    return 0


# -- the program: the consumer ----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Average the weather station's readings.")
    parser.add_argument("--seconds", type=float, default=3.0, help="about how long to run (default: 3)")
    parser.add_argument("--station", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    seconds = max(0.0, args.seconds)
    if args.station:
        return _station(seconds)

    print("Wizard Weather: averaging today's readings...", flush=True)
    station = subprocess.Popen([sys.executable, __file__, "--station", "--seconds", f"{seconds:.2f}"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    temperatures = []
    assert station.stdout is not None
    try:
        for line in station.stdout:
            temperatures.append(float(line.split(":")[1].split()[0]))
    except BaseException:  # stopped early: the station must not outlive the program
        station.terminate()
        raise
    finally:
        station.wait()
        station.stdout.close()
    if not temperatures:
        print("No readings arrived.")
        return 1
    print(f"Average of {len(temperatures)} readings: {sum(temperatures) / len(temperatures):.1f} C")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
