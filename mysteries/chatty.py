"""A program that has a quiet word with a server, and will not tell you what it said.

Chapter 1, spying on the network. The program starts its own little server on
this machine (127.0.0.1, a port the kernel picks), connects to it and passes it
a message. What was the message?

    python mysteries/chatty.py

Nothing leaves the machine: both ends live in this one process, and the server
stops when the program does.
"""

from __future__ import annotations

import base64
import socket
import sys
import threading


def _unseal(sealed: str) -> str:
    """Decode a value stored so that reading this file does not give it away at a glance."""
    return base64.b64decode(sealed).decode()[::-1]


# Each line is short: strace (and spykit) show 32 bytes of a buffer by default.
_GREETING = b"HELLO from apprentice 7\n"
_ASK = b"HELLO. What is your message?\n"
_THANKS = b"GOT IT. Goodbye.\n"


def _read_line(conn: socket.socket) -> bytes:
    """Read up to and including a newline (or until the peer hangs up)."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = conn.recv(64)
        if not chunk:
            break
        line += chunk
    return line


def _serve_one_visitor(listener: socket.socket) -> None:
    """The server: greet one visitor, take its message, say goodbye."""
    with listener:
        conn, _peer = listener.accept()
        with conn:
            _read_line(conn)
            conn.sendall(_ASK)
            _read_line(conn)
            conn.sendall(_THANKS)


def main() -> int:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))  # port 0: the kernel picks a free one
    listener.listen(1)
    port = listener.getsockname()[1]
    # A daemon thread: if the program ends or is killed, the server goes with it.
    server = threading.Thread(target=_serve_one_visitor, args=(listener,), name="server", daemon=True)
    server.start()

    message = _unseal("Lk5PT04gVEEgTFdPIEVIVCBURUVN").encode() + b"\n"
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(_GREETING)
        _read_line(conn)
        conn.sendall(message)
        reply = _read_line(conn)
    server.join(timeout=5)
    print("I had a little chat with my server.")
    print("It went well." if reply == _THANKS else "It did not go well.")
    return 0 if reply == _THANKS else 1


if __name__ == "__main__":
    sys.exit(main())
