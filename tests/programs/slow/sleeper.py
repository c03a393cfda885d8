"""Sleeps on a timer for the given seconds, in a few naps."""

import sys
import time

if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    for _ in range(4):
        time.sleep(seconds / 4)
