"""Waits for input on a pipe: a slow child writes a line after SECONDS; the parent reads it."""

import os
import sys
import time


def main(seconds: float) -> None:
    read_end, write_end = os.pipe()
    producer = os.fork()
    if producer == 0:
        os.close(read_end)
        time.sleep(seconds)
        os.write(write_end, b"finally, some input\n")
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        line = pipe.readline()
    os.waitpid(producer, 0)
    print(f"read {len(line)} bytes")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
