"""Trace a piece of code running in this very process: the machinery behind ``%%strace``.

A process cannot ptrace itself, and a Jupyter kernel has several threads (the one running the cell,
the ones talking ZeroMQ, a heartbeat). So a helper process (``spykit.notebook.cellhelper``) is
started in its own session, and it seizes only the thread that runs the cell, by its thread id,
plus everything that thread starts. The cell is bracketed by two marker calls,
``getppid(MARKER_START)`` and ``getppid(MARKER_END)``: the helper records only between them, so the
magic's own bookkeeping never shows, and detaches at the end marker, leaving the thread running.

Safety for the kernel, which must survive anything:
- the helper is in its own session: interrupting the kernel (SIGINT to its process group) does not
  hit it; the SIGINT reaches the cell through the helper, which delivers every signal;
- no PTRACE_O_EXITKILL and no seccomp filter: if the helper dies, the kernel thread is simply
  released by the kernel and carries on;
- the helper keeps everything it recorded in memory and sends it only after detaching, since a
  stopped thread could never drain a pipe;
- under Yama (ptrace_scope 1) the kernel process names the helper with ``prctl(PR_SET_PTRACER)``
  and takes that back afterwards.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from types import TracebackType

from ptrace.ctypes_libc import libc

from ..errors import SpykitError, TracingNotPermitted
from ..trace import Trace, TraceMeta
from ..tracer import linux as L
from ..tracer.loop import MARKER_END, MARKER_START, MARKER_SYSCALL

ATTACH_TIMEOUT = 15.0  # seconds to wait for the helper to attach

_syscall = libc.syscall
_syscall.restype = ctypes.c_long


def _mark(marker: int) -> None:
    _syscall(MARKER_SYSCALL, ctypes.c_uint64(marker))


def _set_ptracer(pid: int) -> None:
    """Allow ``pid`` to trace us under Yama; where there is no Yama (EINVAL) nothing is needed."""
    try:
        L.prctl(L.PR_SET_PTRACER, pid)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("the tracing helper stopped before sending its results")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class CellTracer:
    """``with CellTracer(...) as t: <run code in this thread>``; then ``t.trace`` holds its calls.

    If tracing is not permitted, entering raises :class:`~spykit.TracingNotPermitted` and nothing
    has run yet. If the helper dies while the code runs, the code is unharmed; ``t.trace`` is None
    and ``t.error`` says what happened (raised on exit unless the code itself raised).
    """

    def __init__(self, syscalls: str | Iterable[str] | None = None, *, follow_forks: bool = True,
                 string_limit: int = 32, max_events: int | None = None, data_limit: int = 4096):
        if syscalls is not None and not isinstance(syscalls, str):
            syscalls = list(syscalls)
        if syscalls is not None:
            from ..syscalls.table import expand_selection

            expand_selection(syscalls)  # a bad selection fails here, before anything starts
        self.config = {"syscalls": syscalls, "follow_forks": follow_forks, "string_limit": string_limit,
                       "max_events": max_events, "data_limit": data_limit}
        self.trace: Trace | None = None
        self.error: SpykitError | None = None
        self._helper: subprocess.Popen | None = None
        self._start_time = 0.0

    def __enter__(self) -> CellTracer:
        tid = threading.get_native_id()
        self.config.update(tid=tid, tgid=os.getpid())
        helper = subprocess.Popen(
            [sys.executable, "-m", "spykit.notebook.cellhelper", json.dumps(self.config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
        )
        self._helper = helper
        try:
            _set_ptracer(helper.pid)
            helper.stdin.write(b"go\n")
            helper.stdin.flush()
            ready, _, _ = select.select([helper.stdout], [], [], ATTACH_TIMEOUT)
            line = helper.stdout.readline() if ready else b""
            if line.strip() != b"attached":
                message = line.decode(errors="replace").strip()
                if message.startswith("error "):
                    info = json.loads(message[6:])
                    cls = TracingNotPermitted if info.get("permission") else SpykitError
                    raise cls(info["message"], hint=info.get("hint"))
                raise SpykitError("the tracing helper did not start" + (f": {message}" if message else ""),
                                  hint="run the cell again; if it keeps failing, restart the kernel")
        except BaseException:
            self._stop_helper()
            raise
        self._start_time = time.time()
        _mark(MARKER_START)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        _mark(MARKER_END)  # the helper detaches from this thread right here
        try:
            self.trace = self._receive()
        except (EOFError, OSError, pickle.UnpicklingError, struct.error) as problem:
            self.error = SpykitError(f"the tracing helper failed ({problem}); the cell itself ran normally",
                                     hint="run the cell again to trace it")
        finally:
            self._stop_helper()
        if self.error is not None and exc_type is None:
            raise self.error

    def _receive(self) -> Trace:
        helper = self._helper
        assert helper is not None and helper.stdout is not None
        fd = helper.stdout.fileno()
        (length,) = struct.unpack("<Q", _read_exact(fd, 8))
        rec, info = pickle.loads(_read_exact(fd, length))
        from ..tracer.build import build_trace

        meta = TraceMeta(command=["<cell>"], start_time=self._start_time, selection=self.config["syscalls"],
                         string_limit=self.config["string_limit"], pid=self.config["tid"], attached=True,
                         elapsed=info.get("elapsed", 0.0), data_limit=self.config["data_limit"])
        return build_trace(rec, meta)

    def _stop_helper(self) -> None:
        helper = self._helper
        if helper is None:
            return
        try:
            helper.wait(timeout=5)
        except subprocess.TimeoutExpired:
            helper.kill()
            helper.wait()
        for stream in (helper.stdin, helper.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        try:
            _set_ptracer(0)  # withdraw the permission given to the helper
        except OSError:
            pass
        self._helper = None
