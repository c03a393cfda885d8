"""Trace a piece of code running in this very process: the machinery behind ``%%strace``.

A process cannot ptrace itself, and a Jupyter kernel has several threads (the one running the cell,
the ones talking ZeroMQ, a heartbeat). So a helper process (``spykit.notebook.cellhelper``) is
started in its own session, isolated from the working directory (spykit/helper.py), and it seizes
only the thread that runs the cell, by its thread id, plus everything that thread starts. The cell
is bracketed by two marker calls, ``getppid(MARKER_START)`` and ``getppid(MARKER_END)``: the helper
records only between them, so the magic's own bookkeeping never shows, and detaches at the end
marker, leaving the thread running.

One helper serves every traced cell of a kernel: it is started by the first one and kept (an
interpreter's start and imports were most of a traced cell's cost). Before each cell the kernel
checks that its helper is still alive and starts a new one if not; a helper that dies during a
cell closes its pipe, so the kernel sees it at once and never waits for it. A thread that finds
the helper busy with another thread's code gets a helper of its own for that once.

Safety for the kernel, which must survive anything:
- the helper is in its own session: interrupting the kernel (SIGINT to its process group) does not
  hit it; the SIGINT reaches the cell through the helper, which delivers every signal;
- no PTRACE_O_EXITKILL and no seccomp filter: if the helper dies, the kernel thread is simply
  released by the kernel and carries on;
- the helper is only ever attached between the two markers; between cells it waits on its stdin,
  which the kernel holds: when the kernel ends, so does the helper;
- the helper keeps everything it recorded in memory and sends it only after detaching, since a
  stopped thread could never drain a pipe;
- under Yama (ptrace_scope 1) the kernel process names the helper with ``prctl(PR_SET_PTRACER)``
  and takes that back after each cell.
"""

from __future__ import annotations

import atexit
import ctypes
import errno
import json
import os
import pickle
import select
import struct
import subprocess
import threading
import time
from collections.abc import Iterable
from types import TracebackType

from ..errors import SpykitError, TracingNotPermitted
from ..helper import helper_command
from ..tracedata import Trace, TraceMeta
from ..tracer import linux as L
from ..tracer.linux import libc
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


class _Helper:
    """A running helper process and its pipes (``popen``); it serves one cell at a time."""

    def __init__(self) -> None:
        self.owner = os.getpid()  # a forked child of the kernel must not share its parent's helper
        self.popen = subprocess.Popen(helper_command("spykit.notebook.cellhelper"), stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, start_new_session=True)

    def usable(self) -> bool:
        return self.owner == os.getpid() and self.popen.poll() is None

    def close(self, *, kill: bool = False) -> None:
        """End it: by closing its stdin (it ends after the cell it serves), or by SIGKILL; then reap it."""
        popen = self.popen
        if kill:
            popen.kill()
        for stream in (popen.stdin, popen.stdout):
            try:
                stream.close()
            except OSError:  # (a dead helper's stdin may fail to flush)
                pass
        try:
            popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()


_shared: _Helper | None = None  # this kernel's helper, started by the first traced cell
_shared_lock = threading.Lock()  # held by the thread whose cell the shared helper serves


def _close_shared() -> None:
    global _shared
    if _shared is not None and _shared.owner == os.getpid():
        _shared.close()
    _shared = None


atexit.register(_close_shared)


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
        self._helper: subprocess.Popen | None = None  # this cell's helper process
        self._helper_obj: _Helper | None = None
        self._owns_shared = False
        self._start_time = 0.0

    def __enter__(self) -> CellTracer:
        global _shared
        tid = threading.get_native_id()
        self.config.update(tid=tid, tgid=os.getpid())
        request = json.dumps(self.config).encode() + b"\n"
        self._owns_shared = _shared_lock.acquire(blocking=False)
        try:
            for attempt in range(2):
                if self._owns_shared:
                    if _shared is None or not _shared.usable():
                        if _shared is not None and _shared.owner == os.getpid():
                            _shared.close(kill=True)  # (reaped; it was dead already)
                        _shared = _Helper()
                    helper = _shared
                else:
                    helper = _Helper()  # another thread's cell is being traced: a helper for this once
                self._helper = helper.popen
                self._helper_obj = helper
                _set_ptracer(helper.popen.pid)
                try:
                    helper.popen.stdin.write(request)
                    helper.popen.stdin.flush()
                    break
                except OSError:  # it died after we looked (BrokenPipeError): a new one, once
                    self._drop_helper()
                    if attempt:
                        raise SpykitError("the tracing helper could not be started",
                                          hint="run the cell again; if it keeps failing, restart the kernel") from None
            # poll, not select: select() refuses fds above 1023 (a kernel with many files open).
            # A helper that dies closes its end, which ends the wait at once.
            poller = select.poll()
            poller.register(helper.popen.stdout, select.POLLIN)
            line = helper.popen.stdout.readline() if poller.poll(ATTACH_TIMEOUT * 1000) else b""
            if line.strip() != b"attached":
                message = line.decode(errors="replace").strip()
                if message.startswith("error "):
                    info = json.loads(message[6:])
                    cls = TracingNotPermitted if info.get("permission") else SpykitError
                    raise cls(info["message"], hint=info.get("hint"))
                self._drop_helper()
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
            self._drop_helper()  # dead, or in a state we cannot trust: the next cell starts a new one
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

    def _drop_helper(self) -> None:
        """Kill and reap this cell's helper (not to be used again)."""
        global _shared
        helper = self._helper_obj
        if helper is not None:
            helper.close(kill=True)
            if helper is _shared:
                _shared = None

    def _stop_helper(self) -> None:
        """After the cell: withdraw the helper's permission; keep the shared helper, end a private one."""
        helper = self._helper_obj
        if helper is None and not self._owns_shared:
            return
        try:
            if helper is not None and helper is not _shared:
                helper.close()
        finally:
            self._helper = self._helper_obj = None
            try:
                _set_ptracer(0)  # withdraw the permission given to the helper
            except OSError:
                pass
            if self._owns_shared:
                self._owns_shared = False
                _shared_lock.release()
