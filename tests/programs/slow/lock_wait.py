"""Waits on a lock: a child process holds an flock on FILE for SECONDS; the parent blocks on it."""

import fcntl
import os
import sys
import time


def main(seconds: float, path: str) -> None:
    ready_r, ready_w = os.pipe()
    holder = os.fork()
    if holder == 0:  # the child takes the lock, says so, keeps it for a while
        with open(path, "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            os.write(ready_w, b"!")
            time.sleep(seconds)
        os._exit(0)
    os.read(ready_r, 1)  # wait until the lock is really taken
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # blocks until the child lets go
    os.waitpid(holder, 0)


if __name__ == "__main__":
    main(float(sys.argv[1]), sys.argv[2])
