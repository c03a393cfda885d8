"""Slow mystery #1: it fetches a few pages and takes its time doing it. Why is it slow?

Chapter 2, the case of the slow program. Time it first, then find out what it
waits for.

    python mysteries/slow_1_network.py [--seconds N]

It starts its own server on this machine (127.0.0.1, a port the kernel picks)
in a thread of the same process, so the server stops whenever the program
stops, however it stops. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import signal
import socket
import struct
import sys
import threading
import time

_PAGE = b"<html>" + b"spell " * 150 + b"</html>\n"
_THINKING_STEP = 0.5  # the longest the server makes one request wait


def _read_line(conn: socket.socket) -> bytes:
    """Read up to and including a newline; b"" when the peer hung up."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = conn.recv(256)
        if not chunk:
            return b""
        line += chunk
    return line


def _dawdle(conn: socket.socket, seconds: float) -> bool:
    """Be slow on purpose for ``seconds``; False when the client went away meanwhile.

    The server waits by reading from the client with a receive timeout (SO_RCVTIMEO),
    so even its idle time is time spent waiting on a socket, like a real busy server
    waiting on its own back end, never a plain sleep.
    """
    whole = int(seconds)
    micro = max(1000, int((seconds - whole) * 1_000_000))  # a zero timeout would mean "wait forever"
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", whole, micro))
    try:
        return conn.recv(1) != b""
    except BlockingIOError:  # the timeout ran out: done dawdling
        return True


def _serve(listener: socket.socket, deadline: float) -> None:
    """The slow server: answer each request, but only after a while."""
    with listener:
        conn, _peer = listener.accept()
    with conn:
        while _read_line(conn):
            if not _dawdle(conn, min(_THINKING_STEP, max(0.001, deadline - time.monotonic()))):
                return
            conn.sendall(_PAGE)


def _stop_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch a few pages from a server.")
    parser.add_argument("--seconds", type=float, default=3.0, help="about how long to run (default: 3)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    deadline = time.monotonic() + max(0.0, args.seconds)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    # A daemon thread: it ends with the process, whether the process exits or is killed.
    server = threading.Thread(target=_serve, args=(listener, deadline), name="slow-server", daemon=True)
    server.start()

    pages = 0
    with socket.create_connection(listener.getsockname()) as conn:
        while True:
            conn.sendall(f"GET /page/{pages + 1}\n".encode())
            received = 0
            while received < len(_PAGE):
                chunk = conn.recv(4096)
                if not chunk:
                    raise SystemExit("the server hung up")
                received += len(chunk)
            pages += 1
            if time.monotonic() >= deadline:
                break
    server.join(timeout=2)
    print(f"Fetched {pages} pages.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
