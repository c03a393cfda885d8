"""Starts a server that waits for ever, the way a daemon does, and exits without stopping it.

    forgets_a_server.py PIDFILE [--setsid]

Double fork: the server's parent exits, so the server is re-parented to init and no longer a
descendant of this program. With --setsid the server also leaves this program's session, as a
daemon does; its parent then lingers 0.3 s, so a sampler sees the server while it is still a
descendant. The server appends its pid to PIDFILE and waits for a connection that never comes;
the program exits once the pid is written and the server's parent has gone.
"""

import os
import socket
import sys
import time

pidfile = sys.argv[1]
setsid = "--setsid" in sys.argv
written = os.path.getsize(pidfile) if os.path.exists(pidfile) else 0
if os.fork() == 0:
    if setsid:
        os.setsid()
    if os.fork() == 0:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        with open(pidfile, "a") as f:
            f.write(f"{os.getpid()}\n")
        server.accept()
    time.sleep(0.3 if setsid else 0)
    os._exit(0)
while (os.path.getsize(pidfile) if os.path.exists(pidfile) else 0) == written:
    time.sleep(0.01)
os.wait()
