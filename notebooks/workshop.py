"""What the workshop notebooks share: tracing that falls back to recorded traces, and the mysteries.

Every trace in the notebooks goes through :func:`trace`, which is :func:`spykit.trace` plus a name.
Where this machine does not allow ptrace (some containers block it), it loads the trace of the same
name from ``notebooks/recorded/`` instead, so a notebook still runs top to bottom, and it says so.

``notebooks/record.py`` remakes the recordings: it runs every notebook with ``SPYKIT_WORKSHOP_RECORD``
set, and :func:`trace` (and :func:`attach`) then saves each trace it makes under its name.

Programs a notebook looks at while they run are started with :func:`start`, in a session of their
own (interrupting a cell does not stop them) and stopped with every process they started, by
:func:`stop`, :func:`stop_all`, or at the latest when the kernel exits.

Nothing is left behind: :func:`setup` gives the kernel one temporary folder of its own (an
unpredictable name under the system's temporary directory) and points ``TMPDIR`` there, so the
notebook's files, the mysteries' files and the checks' files all land in it. A small watcher
process removes it, and stops the programs :func:`start` started, when the kernel ends, even when
the kernel is killed without a chance to tidy up (as test runners and "Restart" do).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

import spykit
from spykit import procfs

HERE = Path(__file__).resolve().parent
RECORDED = HERE / "recorded"
MYSTERIES = HERE.parent / "mysteries"
if MYSTERIES.is_dir():
    # The exercises' checks run the same programs the notebook traces (spykit.exercises._live):
    # with a regular install they would otherwise use the copy inside the installed package.
    os.environ.setdefault("SPYKIT_MYSTERIES", str(MYSTERIES))
RECORD_ENV = "SPYKIT_WORKSHOP_RECORD"

_live: bool | None = None  # None until check_tracing() has looked
_session: Path | None = None  # this kernel's temporary folder, once setup() made it
_watcher: subprocess.Popen[bytes] | None = None
_watch_pipe: int | None = None  # write end: the watcher acts when it reads end-of-file


def setup() -> bool:
    """What each notebook's first cell does: a temporary folder of its own, then :func:`check_tracing`."""
    session_dir()
    return check_tracing()


# The watcher: it reads group ids to stop ("+123" started, "-123" stopped already) until the
# kernel's end closes the pipe, then stops what is still running and removes the folder.
_WATCHER = r"""
import os, shutil, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
groups = set()
for line in sys.stdin:
    if line[:1] == "+":
        groups.add(int(line[1:]))
    elif line[:1] == "-":
        groups.discard(int(line[1:]))
for sig in (signal.SIGTERM, signal.SIGKILL):
    for group in groups:
        try:
            os.killpg(group, sig)
        except OSError:
            pass
    if sig == signal.SIGTERM and groups:
        time.sleep(1.0)  # the mysteries tidy up on SIGTERM
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


def session_dir() -> Path:
    """This kernel's temporary folder (made on first use), where ``TMPDIR`` and ``tempfile`` point.

    Removed when the kernel ends, however it ends: by ``atexit`` when it exits normally, and by a
    watcher process (in a session of its own, deaf to Ctrl-C) that notices the end of a pipe only
    the kernel holds when it is killed.
    """
    global _session, _watcher, _watch_pipe
    if _session is not None and _session.is_dir():
        return _session
    folder = tempfile.mkdtemp(prefix="workshop-")  # mode 0700, a name nobody can guess
    read_end, write_end = os.pipe()  # not inheritable: no program the notebook starts holds it open
    _watcher = subprocess.Popen([sys.executable, "-I", "-c", _WATCHER, folder], stdin=read_end,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(read_end)
    _watch_pipe = write_end
    _session = Path(folder)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["TMPDIR"] = folder  # the programs the notebook starts put their files here too
    tempfile.tempdir = folder
    return _session


def _tell_watcher(line: str) -> None:
    if _watch_pipe is not None:
        try:
            os.write(_watch_pipe, f"{line}\n".encode())
        except OSError:
            pass  # the watcher is gone: atexit still tidies up


def check_tracing() -> bool:
    """Trace a tiny program once, say whether tracing works here, and remember the answer."""
    global _live
    try:
        spykit.trace([sys.executable, "-c", "pass"], timeout=60)
    except spykit.TracingNotPermitted as refused:
        _live = False
        print("Tracing is NOT allowed on this machine, so this notebook cannot trace programs live.")
        print(f"  Why: {refused.message}")
        if refused.hint:
            print(f"  What you could do: {refused.hint}")
        print("Every trace below is loaded from a recording made on another machine (notebooks/recorded/).")
        print("The tools that need no tracing (time, wait channels, the profiler) still run live.")
    else:
        _live = True
        print("Tracing works here: every trace in this notebook is made live, on this machine.")
    return _live


def is_live() -> bool:
    """True when traces are made live, False when they come from recordings."""
    return check_tracing() if _live is None else _live


def trace(name: str, cmd: list[str] | str, **options: Any) -> spykit.Trace:
    """``spykit.trace(cmd, **options)``; where tracing is not allowed, the recording called ``name``."""
    recording = RECORDED / f"{name}.parquet"
    if not is_live():
        print(f"(recorded trace: {recording.name})")
        recorded = spykit.load(recording)
        home = (options.get("env") or {}).get("HOME")
        return rebase_home(recorded, home) if home else recorded
    result = spykit.trace(cmd, **options)
    _keep(result, recording)
    return result


def attach(name: str, pid: int, **options: Any) -> spykit.Trace:
    """``spykit.attach(pid, **options)``; where attaching is not allowed, the recording called ``name``.

    Attaching can be refused even where launching a traced program works: under Yama's ptrace_scope 1
    (Ubuntu's default, and Binder's) a process may only attach to its own descendants, so a program
    started from a terminal is out of the kernel's reach. Then too it says why and uses the recording.
    """
    recording = RECORDED / f"{name}.parquet"
    if is_live():
        try:
            result = spykit.attach(pid, **options)
        except spykit.TracingNotPermitted as refused:
            print(f"Attaching is not allowed here: {refused.message}")
        else:
            _keep(result, recording)
            return result
    print(f"(recorded trace: {recording.name})")
    return spykit.load(recording)


_PRETEND_HOME = re.compile(r"/[^\s\"',]*?/wizard-home-[A-Za-z0-9_]+")


def rebase_home(recorded: spykit.Trace, home: str) -> spykit.Trace:
    """A recording whose pretend home (``.../wizard-home-XXXX``, made by :func:`pretend_home` on the
    machine that recorded it) is ``home`` instead.

    A recording names the folders of the run that made it; a notebook that acted on those paths
    would write into another user's folder (or fail there). Only text columns are rewritten.
    """
    def moved(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for column in frame.columns:
            values = frame[column]
            if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
                frame[column] = [_PRETEND_HOME.sub(lambda _: home, v) if isinstance(v, str) else v
                                 for v in values]
                frame[column] = frame[column].astype(values.dtype)
        return frame

    return spykit.Trace(moved(recorded.df), moved(recorded.events), recorded.meta)


def _keep(result: spykit.Trace, recording: Path) -> None:
    """Save a live trace as the recording of its name, when notebooks/record.py asks for it."""
    if os.environ.get(RECORD_ENV):
        RECORDED.mkdir(exist_ok=True)
        result.save(recording)


def python(*args: str) -> list[str]:
    """A command that runs this notebook's own Python (``python3`` on PATH may be another one)."""
    return [sys.executable, *args]


def mystery(name: str, *args: str) -> list[str]:
    """The command that runs ``mysteries/<name>.py`` with this notebook's Python."""
    return python(str(MYSTERIES / f"{name}.py"), *args)


def scratch_dir(prefix: str = "workshop-") -> Path:
    """A new empty folder for the notebook's files, removed when the notebook's kernel stops.

    It is made inside :func:`session_dir` when :func:`setup` has run, else in the system's temporary
    directory (then only a normal exit of the kernel removes it).
    """
    folder = tempfile.mkdtemp(prefix=prefix, dir=_session if _session is not None and _session.is_dir() else None)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return Path(folder)


def pretend_home() -> dict[str, str]:
    """Environment variables giving a program a brand-new, empty home directory.

    The Wizard Browser looks for its files under your home; giving it a home of its own keeps your
    real one tidy, and lets you start the case again from scratch by running this again.
    """
    home = str(scratch_dir("wizard-home-"))
    return {**os.environ, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config",
            "XDG_DATA_HOME": f"{home}/.local/share"}


# -- programs running in the background ------------------------------------------------------------------

_GRACE = 5.0  # seconds a program gets to tidy up after SIGTERM before it is killed


class Background(subprocess.Popen):
    """A program started by :func:`start`: a ``subprocess.Popen`` with a name and a log of what it said.

    It leads a session (and process group) of its own, so every process it starts can be found and
    stopped with it, and the kernel's Ctrl-C (sent to the kernel's whole process group) leaves it be.
    """

    def __init__(self, name: str, cmd: list[str], log: Path, **popen: Any):
        self.name = name
        self.log = log
        with open(log, "wb") as output:
            super().__init__(cmd, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                             start_new_session=True, **popen)

    def said(self) -> str:
        """Everything it has written to its output and error output so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")


_started: dict[str, Background] = {}
_groups: set[int] = set()  # every process group start() made, to find helpers that outlived their program
_log_dir: Path | None = None


def start(name: str, cmd: list[str], *, settle: float = 0.5, **popen: Any) -> Background:
    """Start ``cmd`` in the background under ``name`` (stopping an earlier program of that name).

    It waits ``settle`` seconds, time enough for the program to start its helpers, so that a look
    at it straight away sees the whole family.
    """
    global _log_dir
    stop(name)
    if _log_dir is None:
        _log_dir = scratch_dir("workshop-logs-")
        atexit.register(stop_all)  # registered after rmtree: it runs first, while the logs still exist
    program = Background(name, cmd, _log_dir / f"{name}.log", **popen)
    _started[name] = program
    _groups.add(program.pid)
    _tell_watcher(f"+{program.pid}")
    time.sleep(settle)
    return program


def stop(program: Background | str) -> bool:
    """Stop a program :func:`start` started, and every process it started. True if it was still running."""
    if isinstance(program, str):
        program = _started.get(program)
        if program is None:
            return False
    if _started.get(program.name) is program:
        del _started[program.name]
    running = program.poll() is None
    group = program.pid  # a session leader's process group has its pid
    _signal_group(group, signal.SIGTERM)  # the mysteries tidy up on SIGTERM, taking their helpers along
    try:
        program.wait(timeout=_GRACE)
    except subprocess.TimeoutExpired:
        _signal_group(group, signal.SIGKILL)
        program.wait()
    deadline = time.monotonic() + _GRACE
    while procfs.group_members(group) and time.monotonic() < deadline:
        time.sleep(0.05)  # helpers notice their parent has gone
    if procfs.group_members(group):
        _signal_group(group, signal.SIGKILL)
    _tell_watcher(f"-{group}")
    return running


def stop_all() -> list[str]:
    """Stop every program :func:`start` started; the names of those that were still running."""
    return [program.name for program in list(_started.values()) if stop(program)]


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        pass  # everyone in it has gone already


def _short(argv: list[str]) -> str:
    """A command line with every absolute path cut to its last part: ``python3 hangs.py --seconds 9``."""
    return " ".join(os.path.basename(arg) if arg.startswith("/") else arg for arg in argv)


def family(pid: int) -> pd.DataFrame:
    """A process and every process it started, parents first (like ``ps --forest``).

    Columns: pid, parent, state (R running, S sleeping, ...), threads, command.
    """
    rows = []
    for member in procfs.ProcessTree(pid).pids():
        stat = procfs.read_stat(member)
        if stat is not None:
            rows.append({"pid": member, "parent": stat.ppid, "state": stat.state,
                         "threads": len(procfs.list_threads(member)), "command": _short(procfs.cmdline(member))})
    return pd.DataFrame(rows, columns=["pid", "parent", "state", "threads", "command"])


def leftovers() -> list[str]:
    """Processes this notebook started that are still running (its descendants, and the programs'
    process groups): ``["pid 123: python3 hangs.py"]``, empty when everything has been stopped."""
    mine = set(procfs.ProcessTree(os.getpid()).pids()[1:])
    if _watcher is not None:
        mine.discard(_watcher.pid)  # the watcher that tidies up after the kernel: it must outlive everything
    for group in _groups:
        mine.update(procfs.group_members(group))
    alive = []
    for pid in sorted(mine):
        stat = procfs.read_stat(pid)
        if stat is not None and stat.state != "Z":
            alive.append(f"pid {pid}: {_short(procfs.cmdline(pid))}")
    return alive
