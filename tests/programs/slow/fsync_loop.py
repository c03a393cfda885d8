"""Waits for the disk: writes 4 KiB and fsyncs it, over and over, for the given seconds."""

import os
import sys
import time


def main(seconds: float, path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = b"x" * 4096
    end = time.monotonic() + seconds
    syncs = 0
    while time.monotonic() < end:
        os.write(fd, block)
        os.fsync(fd)
        syncs += 1
    os.close(fd)
    print(f"{syncs} fsyncs")


if __name__ == "__main__":
    main(float(sys.argv[1]), sys.argv[2])
