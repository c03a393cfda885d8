"""A server on loopback that is slow to answer, for tests of waiting programs."""

from __future__ import annotations

import socket
import threading
import time


class SlowServer:
    """Accepts one connection on 127.0.0.1 and answers 'hello' after ``silence`` seconds (never, if None)."""

    def __init__(self, silence: float | None):
        self.silence = silence
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(10)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            if self.silence is None:
                self.stop.wait(10)
            else:
                time.sleep(self.silence)
                conn.sendall(b"hello")

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(timeout=15)
