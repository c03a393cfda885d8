"""Waits on the network: connects to 127.0.0.1:PORT and reads until the server closes."""

import socket
import sys


def main(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.settimeout(None)  # a plain blocking read, as most programs do
        received = b""
        while chunk := conn.recv(4096):
            received += chunk
    print(f"received {len(received)} bytes")


if __name__ == "__main__":
    main(int(sys.argv[1]))
