"""The helper process of ``%%strace``: attach to one thread of the kernel, trace, detach, report.

Run as ``python -m spykit.notebook.cellhelper CONFIG_JSON`` by ``CellTracer``. Protocol on its
stdin/stdout: it waits for a ``go`` line (sent once the kernel has allowed it under Yama), attaches
and answers ``attached`` or ``error {json}``; after the end marker it detaches and writes an 8-byte
length and a pickle of (Recorder, info). Nothing else is ever written to stdout.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import signal
import struct
import sys
import time

from ..errors import SpykitError
from ..syscalls.table import expand_selection, numbers_of
from ..tracer import linux as L
from ..tracer.api import _not_permitted
from ..tracer.loop import Tracer
from ..tracer.recorder import Recorder


def _reply(out, text: str) -> None:
    out.write(text.encode() + b"\n")
    out.flush()


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    out = sys.stdout.buffer
    # The kernel's interrupt goes to its process group; we are in our own session, but be sure.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.stdin.buffer.readline().strip() != b"go":
        return 1
    tid, tgid = int(config["tid"]), int(config["tgid"])
    selected = None
    if config.get("syscalls") is not None:
        selected = numbers_of(expand_selection(config["syscalls"]))
    rec = Recorder(config.get("max_events"))
    tracer = Tracer(rec, selected=selected, seccomp=False, string_limit=int(config.get("string_limit", 32)),
                    follow_forks=bool(config.get("follow_forks", True)), attached=True, markers=True,
                    data_limit=int(config.get("data_limit", 4096)))
    tracer.root = tid
    try:
        L.ptrace(L.PTRACE_SEIZE, tid, 0, tracer.options())
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            err: SpykitError = SpykitError(f"thread {tid} vanished before it could be traced")
        else:
            err = _not_permitted(tgid, exc, launched=False)
        payload = {"message": err.message, "hint": err.hint, "permission": isinstance(err, PermissionError)}
        _reply(out, "error " + json.dumps(payload))
        return 1
    tracer.adopt(tid, tgid)
    try:
        L.ptrace(L.PTRACE_INTERRUPT, tid, 0, 0)  # so it stops, and we can resume it with PTRACE_SYSCALL
        _reply(out, "attached")
        start = time.monotonic()
        tracer.run()
    finally:
        if tracer.tgid:
            tracer.detach_all()
    blob = pickle.dumps((rec, {"elapsed": time.monotonic() - start}), protocol=5)
    out.write(struct.pack("<Q", len(blob)))
    out.write(blob)
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:  # the kernel went away: nothing to report to
        os._exit(1)
