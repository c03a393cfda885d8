"""Starts a tiny server on 127.0.0.1 in a thread, then talks to it as a client.

The client sends one line and the server answers with another. Both sides live in this one
process, so a trace shows the connect, the bytes sent and the bytes received on each side.
Usage: ping_server.py [MESSAGE]
"""

import socket
import sys
import threading

message = (sys.argv[1] if len(sys.argv) > 1 else "hello").encode()

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", 0))  # any free port, so tests can run side by side
server.listen(1)
server.settimeout(10)
port = server.getsockname()[1]


def serve() -> None:
    connection, _ = server.accept()
    with connection:
        connection.settimeout(10)
        request = connection.recv(1024)
        connection.sendall(b"PONG " + request)


thread = threading.Thread(target=serve)
thread.start()
with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
    client.sendall(b"PING " + message)
    reply = client.recv(1024)
thread.join()
server.close()
print(f"port {port} answered {reply.decode()!r}")
