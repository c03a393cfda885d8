"""Slow mystery #4: Wizard Post sends your letters, and takes its time. Why is it slow?

Wizard exercises. It barely uses the CPU. What is it waiting for, and what is *that*
waiting for?

    python mysteries/slow_4_child.py [--seconds N]

It runs for about N seconds (default: 3). Its helper is a second copy of this program
that talks only to itself on this machine (127.0.0.1, a port the kernel picks); nothing is
written to disk, and the helper goes when the program goes, also on Ctrl-C or `kill`.
"""

from __future__ import annotations

import argparse
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

_LETTER = b"Dear apprentice, the owl post is slow today.\n"
_FLIGHT = 0.4  # the longest one owl takes to come back


def _stop_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _read_line(conn: socket.socket) -> bytes:
    """Read up to and including a newline; b"" when the peer hung up."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = conn.recv(256)
        if not chunk:
            return b""
        line += chunk
    return line


# -- the courier: the helper the program starts ---------------------------------------------------------

def _owl_tower(listener: socket.socket, deadline: float) -> None:
    """The owl tower: take each letter, and confirm it once the owl is back (a while later).

    The tower waits for its owl by reading from the courier with a receive timeout: it is
    always waiting on its socket, like a server waiting on its own back end.
    """
    with listener:
        conn, _peer = listener.accept()
    with conn:
        while _read_line(conn):
            flight = max(0.001, min(_FLIGHT, deadline - time.monotonic()))
            whole = int(flight)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                            struct.pack("ll", whole, max(1000, int((flight - whole) * 1_000_000))))
            try:
                if conn.recv(1) == b"":
                    return
            except BlockingIOError:  # the timeout ran out: the owl is back
                pass
            conn.sendall(b"DELIVERED\n")


def _courier(seconds: float) -> int:
    """Hand letters to the owl tower one at a time until the time is up."""
    deadline = time.monotonic() + seconds
    listener = socket.create_server(("127.0.0.1", 0))
    tower = threading.Thread(target=_owl_tower, args=(listener, deadline), name="owl-tower", daemon=True)
    tower.start()
    delivered = 0
    with socket.create_connection(listener.getsockname()) as conn:
        while True:
            conn.sendall(_LETTER)
            if not _read_line(conn):
                break
            delivered += 1
            if time.monotonic() >= deadline:
                break
    tower.join(timeout=2)
    print(f"  courier: {delivered} letters delivered.", flush=True)
    return 0


# -- the program -----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Send your letters by owl.")
    parser.add_argument("--seconds", type=float, default=3.0, help="about how long to run (default: 3)")
    parser.add_argument("--courier", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    seconds = max(0.0, args.seconds)
    if args.courier:
        return _courier(seconds)

    print("Wizard Post: handing your letters to the courier...", flush=True)
    courier = subprocess.Popen([sys.executable, __file__, "--courier", "--seconds", f"{seconds:.2f}"],
                               stdin=subprocess.DEVNULL)
    try:
        status = courier.wait()
    finally:
        if courier.poll() is None:  # interrupted: the courier must not outlive the program
            courier.terminate()
            courier.wait()
    print("All your letters are on their way." if status == 0 else "The courier gave up.")
    return 0 if status == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
