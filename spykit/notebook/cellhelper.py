"""The helper process of ``%%strace``: attach to one thread of the kernel, trace, detach, report; again.

Run as ``python -m spykit.notebook.cellhelper`` by ``CellTracer``, once per kernel: it serves one
cell after another, so a traced cell costs an attach, not a new interpreter. Protocol on its
stdin/stdout, per cell: the kernel writes one line of JSON (the thread and what to record; sent
once the kernel has allowed us under Yama); we attach and answer ``attached`` or ``error {json}``;
after the end marker we detach and write an 8-byte length and a pickle of (Recorder, info).
Nothing else is ever written to stdout. End of stdin (the kernel closed it, or is gone) ends us.
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


def trace_one(config: dict, out) -> None:
    """Serve one cell: attach to its thread, record until the end marker, detach, send the recording."""
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
        return
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


def main(argv: list[str]) -> int:
    out = sys.stdout.buffer
    # The kernel's interrupt goes to its process group; we are in our own session, but be sure.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in sys.stdin.buffer:
        trace_one(json.loads(line), out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:  # the kernel went away: nothing to report to
        os._exit(1)
