"""``attach`` to a child of the caller, from a helper process, so that the caller keeps its status.

Why: a tracer's ``waitpid`` reaps a tracee whose real parent is in the tracer's own process (the
kernel counts every thread of the parent's process as its parent, see ``wait_consider_task``), so
after ``spykit.attach(p.pid)`` the caller's ``p.wait()`` would find nothing, and say 0. Any other
wait of the caller's on that child while it is traced (``Popen.poll()`` from another thread,
``Popen.kill()`` polls first) would take the tracer's stops. A helper process is nobody's parent
here: it traces exactly as ``attach`` does in-process (``attach_here``), and the child's exit
goes to its parent as if nobody had traced it.

Run as ``python -m spykit.tracer.attachhelper CONFIG_JSON``, isolated as every helper of spykit's
is (``spykit.helper``: nothing from the working directory is imported). Protocol: any line or end
of file on its stdin asks it to stop tracing; on its stdout it writes ``R`` + an 8-byte length +
a pickle of (Recorder, Attached), or ``E`` + a JSON error. Nothing else is ever written to stdout.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Iterable

from ..errors import NoSuchProcess, SpykitError, TracingNotPermitted
from ..helper import helper_command
from ..syscalls.table import expand_selection, numbers_of
from .recorder import Recorder

_ERRORS = {cls.__name__: cls for cls in (SpykitError, TracingNotPermitted, NoSuchProcess)}
_POLL_MS = 50


class HelperRefused(Exception):
    """The helper was not allowed to trace the process (the caller may be: it is the parent)."""


def attach_from_helper(pid: int, *, selection: Iterable[str] | None, follow_forks: bool, string_limit: int,
                       data_limit: int, max_events: int | None, duration: float | None,
                       stop_event: threading.Event | None) -> tuple[Recorder, object]:
    """Trace ``pid`` from a helper process; returns what ``attach_here`` would have, recorded there.

    Ctrl-C here asks the helper to stop (and is reported as an interruption), as does ``stop_event``;
    ``duration`` is counted by the helper from its attach. Raises :class:`HelperRefused` when the
    helper may not trace the process, and the helper's other errors as they are.
    """
    config = {"pid": pid, "selection": None if selection is None else list(selection), "follow_forks": follow_forks,
              "string_limit": string_limit, "data_limit": data_limit, "max_events": max_events,
              "duration": duration}
    try:
        helper = subprocess.Popen(helper_command("spykit.tracer.attachhelper", json.dumps(config)),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise SpykitError(f"could not start spykit's tracing helper ({exc.strerror})",
                          hint="too many processes running? close some and try again") from exc
    out = helper.stdout.fileno()
    interrupted = False
    try:
        poller = select.poll()  # (poll, not select: any fd number, however many the caller has open)
        poller.register(out, select.POLLIN | select.POLLHUP)
        asked = False
        while True:
            try:
                if poller.poll(_POLL_MS):
                    break
                if stop_event is not None and stop_event.is_set() and not asked:
                    asked = _ask_to_stop(helper)
            except KeyboardInterrupt:
                interrupted = True
                asked = _ask_to_stop(helper)
        data = _read_all(out)
    finally:
        if not interrupted:
            _ask_to_stop(helper)
        helper.stdout.close()
        _wait_through_interrupts(helper)
    if data[:1] == b"R" and len(data) >= 9:
        (length,) = struct.unpack("<Q", data[1:9])
        rec, outcome = pickle.loads(data[9:9 + length])
        if interrupted:
            outcome.interrupted = True
        return rec, outcome
    if data[:1] == b"E":
        info = json.loads(data[1:])
        if info["class"] == "TracingNotPermitted":
            raise HelperRefused(info["message"])
        raise _ERRORS.get(info["class"], SpykitError)(info["message"], hint=info.get("hint"))
    raise SpykitError(f"spykit's tracing helper ended without a result (exit status {helper.returncode})",
                      hint="try again; if it keeps failing, report it with the command you ran")


def _ask_to_stop(helper: subprocess.Popen) -> bool:
    try:
        helper.stdin.close()  # end of file: stop
    except OSError:
        pass
    return True


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except KeyboardInterrupt:
            continue  # the helper is already finishing: take its result
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _wait_through_interrupts(helper: subprocess.Popen) -> None:
    while True:
        try:
            helper.wait()
            return
        except KeyboardInterrupt:
            continue


def main(argv: list[str]) -> int:
    from .api import attach_here

    config = json.loads(argv[1])
    out = sys.stdout.buffer
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller says when to stop, on stdin
    stop = threading.Event()

    def listen() -> None:
        try:
            os.read(0, 1)  # (the raw fd: a buffered stdin's lock would hold up the exit)
        except OSError:
            pass
        stop.set()

    threading.Thread(target=listen, daemon=True).start()
    selection = config["selection"]
    selected = None if selection is None else numbers_of(expand_selection(selection))
    rec = Recorder(config["max_events"])
    try:
        outcome = attach_here(int(config["pid"]), rec, selected=selected, follow_forks=bool(config["follow_forks"]),
                              string_limit=int(config["string_limit"]), data_limit=int(config["data_limit"]),
                              duration=config["duration"], stop_event=stop)
    except SpykitError as err:
        out.write(b"E" + json.dumps({"class": type(err).__name__, "message": err.message,
                                     "hint": err.hint}).encode())
        out.flush()
        return 1
    blob = pickle.dumps((rec, outcome), protocol=5)
    out.write(b"R" + struct.pack("<Q", len(blob)) + blob)
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:  # the caller went away: nothing to report to
        os._exit(1)
