"""Wizard Sync: it asks its sync daemon to sync your spellbook, and then nothing happens. Why?

Wizard exercises. Start it and, while it hangs, find out what it waits for, and what
*that* waits for. Can you get it to finish without killing anything?

    python mysteries/hangs.py [--seconds N]

It gives up by itself after N seconds (default: 20, time enough to look around). The
daemon is a second copy of this program, started by the first and talking to it over
this machine's loopback (127.0.0.1). Both stop when the program ends, also on Ctrl-C or
`kill`, and the temporary directory they share is removed.
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def _unseal(sealed: str) -> str:
    """Decode a value stored so that reading this file does not give it away at a glance."""
    return base64.b64decode(sealed).decode()[::-1]


_LOCK_NAME = _unseal("a2NvbC5jbnlz")
_WORKDIR_PREFIX = "wizard-sync-"
_LOOK_AGAIN = 0.25  # how often the daemon checks whether the way is clear


def _stop_on_sigterm(signum: int, _frame: object) -> None:
    # Turn `kill` into an exception, so that `with` and `finally` blocks get to clean up.
    raise SystemExit(128 + signum)


def _read_line(conn: socket.socket) -> bytes:
    """Read up to and including a newline; b"" when the peer hung up first."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = conn.recv(64)
        if not chunk:
            return b""
        line += chunk
    return line


# -- the daemon: the second copy ---------------------------------------------------------------------

def _daemon(seconds: float) -> int:
    """Serve one sync request, politely: only once nobody holds the sync lock.

    It runs in the shared directory (its current directory), and stops on its own when its
    time is up or when the program that started it is gone.
    """
    deadline = time.monotonic() + seconds
    parent = os.getppid()
    lock = os.path.join(os.getcwd(), _LOCK_NAME)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(listener.getsockname()[1], flush=True)  # the port, for the program that started it
        listener.settimeout(max(0.1, seconds))
        conn, _peer = listener.accept()
    with conn:
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        if not _read_line(conn):
            return 1
        while os.path.exists(lock):  # someone is syncing already: wait for them to finish
            if time.monotonic() >= deadline or os.getppid() != parent:
                return 1
            time.sleep(_LOOK_AGAIN)
        conn.sendall(b"SYNCED 42 spells\n")
    return 0


# -- the program ---------------------------------------------------------------------------------------

def _ask_daemon(daemon: subprocess.Popen[bytes], deadline: float) -> bytes:
    """Ask the daemon for a sync and wait for its answer until the deadline; b"" for none."""
    assert daemon.stdout is not None
    port_line = daemon.stdout.readline()
    if not port_line.strip().isdigit():
        return b""  # the daemon did not start
    with socket.create_connection(("127.0.0.1", int(port_line)), timeout=5) as conn:
        conn.sendall(b"SYNC spellbook\n")
        conn.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            return _read_line(conn)
        except TimeoutError:
            return b""


def _stop(daemon: subprocess.Popen[bytes]) -> None:
    if daemon.poll() is None:
        daemon.terminate()
        try:
            daemon.wait(timeout=5)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
    if daemon.stdout is not None:
        daemon.stdout.close()


def _sync(seconds: float) -> bytes:
    deadline = time.monotonic() + seconds
    # Hold Ctrl-C and `kill` while the folder is made: one that landed between its mkdir and the
    # moment TemporaryDirectory sets up its removal would leave it behind. Held, it waits until
    # the folder's clean-up is in place.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        folder = tempfile.TemporaryDirectory(prefix=_WORKDIR_PREFIX)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    with folder as workdir:
        # Take the sync lock first, so that no second copy of the program syncs meanwhile.
        with open(os.path.join(workdir, _LOCK_NAME), "x", encoding="utf-8") as lock:
            lock.write(f"{os.getpid()}\n")
        daemon = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--daemon", "--seconds", f"{seconds + 2:.2f}"],
            cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        try:
            return _ask_daemon(daemon, deadline)
        finally:
            _stop(daemon)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sync your spellbook with the sync daemon.")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="give up after this many seconds (default: 20)")
    parser.add_argument("--daemon", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    seconds = max(0.0, args.seconds)
    if args.daemon:
        return _daemon(seconds)

    print("Wizard Sync 0.9: syncing your spellbook...", flush=True)
    reply = _sync(seconds)
    if reply.startswith(b"SYNCED"):
        print("Sync complete.")
        return 0
    print(f"No answer from the sync daemon after {seconds:g} s. Giving up.")
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
