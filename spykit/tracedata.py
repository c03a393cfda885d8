"""``Trace``: the plain data a tracing run produces, and the doorway to its readers.

(This module is ``spykit.tracedata``, not ``spykit.trace``: that name is the function that
makes a trace, and a module under it could not be imported by its name.)

A ``Trace`` holds two DataFrames and a little metadata. Nothing in here knows
about ptrace; everything that reads a trace (questions, text, HTML, widgets,
plots) is a separate module that takes the DataFrames and gives something back.

``Trace.df`` has one row per system call, in the order the calls were entered:

=========== ============== ==========================================================
column      dtype          meaning
=========== ============== ==========================================================
time        float64        seconds since the trace started, at the call's entry
pid         int64          thread id, as ``strace -f`` shows it
syscall     category       the call's name (categories: the whole syscall table)
args        string         arguments rendered as strace renders them
ret         Int64          return value; <NA> when the call never returned
error       string         errno name such as ``ENOENT``; <NA> when the call succeeded
duration    float64        seconds from entry to exit; NaN when unfinished
path        string         the file the call names, or the fd's target (``strace -y``)
fd          Int64          the fd the call uses or returns
category    category       strace's class: file, desc, network, process, signal, memory, ipc, ...
nr          int32          the system call number, in the table of ``abi``
addr        string         socket address named by the call (``127.0.0.1:8000``, a UNIX path)
data        object         bytes moved by the call (written, sent, read, received), up to
                           ``data_limit`` (default 4096) while the trace's data budget (64 MiB)
                           lasts, then up to the string limit; None when the call moves no data
data_complete boolean      ``data`` holds every byte the call moved; False when ``data_limit`` or the
                           spent budget cut it; <NA> for calls that move no data or failed
size        Int64          how many bytes the call asked to move (count argument)
unfinished  bool           the call was still running when the process died or was detached
tgid        int64          the process (thread group) id the thread belongs to
note        string         what strace adds after some results: `` (flags O_RDONLY)``, `` (Timeout)``
flags       category       a file call's flags and mode in words, from its numeric arguments
                           (``write, create, truncate; mode rw-r--r--``); <NA> for other calls
startup     bool           a start-up lookup: the loader, locale, SELinux, a PATH search, the Python
                           interpreter's own start-up (decided by :func:`spykit.startup.startup_mask`)
abi         category       the table the call's number belongs to: ``x86_64``, ``i386`` (``int $0x80``,
                           a 32-bit program: 5 is ``open`` there) or ``x32`` (spykit.syscalls.abi)
fd_kind     string         what the row's fd points to: ``file``, ``directory``, ``pipe``, ``socket``,
                           ``tty``, ``device`` or ``anon`` (eventfd, epoll, ...); <NA> when the row has
                           no fd target (see :mod:`spykit.fdkinds`)
=========== ============== ==========================================================

``Trace.events`` has one row per thing that happened to a process rather than a
call it made:

=========== ======== ==============================================================
column      dtype    meaning
=========== ======== ==============================================================
time        float64  seconds since the trace started
pid         int64    the thread it happened to
kind        string   ``spawn`` (a new thread or process), ``exec``, ``signal``,
                     ``exit`` (exited with a status), ``killed`` (killed by a signal),
                     ``stop`` (group-stop by a signal), ``detach``
signal      string   signal name for ``signal``, ``killed`` and ``stop``
status      Int64    exit status for ``exit``
child       Int64    the new thread id for ``spawn``; for ``exec`` by a thread that was not the
                     leader, the tid that thread had (it takes the leader's tid)
how         string   for ``spawn``: ``fork``, ``vfork``, ``clone`` (a process) or ``thread``;
                     for ``signal``: the sender, as strace shows ``si_code``
text        string   the line strace prints, e.g. ``--- SIGCHLD {...} ---`` or ``+++ exited with 0 +++``;
                     for ``exec``, the program now running (/proc/PID/exe)
=========== ======== ==============================================================
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported where it is used, so helper processes start quickly
    import pandas as pd

TRACE_FORMAT_VERSION = 1

# The columns of Trace.df and Trace.events, in order, with their dtypes (the tables above, as data:
# the tracer builds them, storage checks them, tests compare with them).
DF_COLUMNS: dict[str, str] = {
    "time": "float64", "pid": "int64", "syscall": "category", "args": "string", "ret": "Int64",
    "error": "string", "duration": "float64", "path": "string", "fd": "Int64", "category": "category",
    "nr": "int32", "addr": "string", "data": "object", "data_complete": "boolean", "size": "Int64",
    "unfinished": "bool", "tgid": "int64", "note": "string", "flags": "category", "startup": "bool",
    "abi": "category", "fd_kind": "string",
}
# The columns every saved trace has had since the first format; the others came later, and
# spykit.load works them out (or marks them unknown) for a file saved before they existed.
FIRST_DF_COLUMNS = ("time", "pid", "syscall", "args", "ret", "error", "duration", "path", "fd", "category", "nr",
                    "addr", "data", "size", "unfinished", "tgid")
EVENT_COLUMNS: dict[str, str] = {
    "time": "float64", "pid": "int64", "kind": "string", "signal": "string", "status": "Int64",
    "child": "Int64", "how": "string", "text": "string",
}


@dataclass
class TraceMeta:
    """What we know about the run as a whole."""

    command: list[str] = field(default_factory=list)
    returncode: int | None = None
    start_time: float = 0.0  # seconds since the epoch, when tracing started
    elapsed: float = 0.0  # wall-clock seconds traced
    pid: int | None = None  # the first process: launched or attached
    attached: bool = False
    truncated: bool = False  # rows stopped being stored at max_events
    counts: dict[str, int] = field(default_factory=dict)  # exact per-syscall counts, truncated or not
    selection: list[str] | None = None  # the syscalls= selection, as given
    string_limit: int = 32
    data_limit: int = 4096  # bytes of each data call the data column keeps (spykit.syscalls.captures)
    decode_fds: bool = False  # args show fds as strace -y does
    # every exec call's whole argv and environment, by its row in df: {"row": 12, "argv": [...], "env": {...}}
    execs: list[dict[str, Any]] = field(default_factory=list)
    # "live" (traced by spykit) or "strace" (read from strace's output by spykit.read_strace)
    source: str = "live"
    # for a trace read from a log: where from, the strace options it appears to have used, and every
    # line that was not understood as [file, line number, text] (see spykit.strace_log)
    log: dict[str, Any] | None = None
    stdout: bytes | None = None  # captured output, when asked for
    stderr: bytes | None = None
    # processes spykit killed because they still ran when tracing ended (see trace(wait_for_descendants=))
    ended_by_spykit: list[int] = field(default_factory=list)
    version: int = TRACE_FORMAT_VERSION


class Trace:
    """A recorded run: the system calls (``df``), what happened to processes (``events``), metadata.

    Build one with :func:`spykit.trace`, :func:`spykit.attach` or :func:`spykit.load`.
    """

    def __init__(self, df: pd.DataFrame, events: pd.DataFrame, meta: TraceMeta):
        self.df = df
        self.events = events
        self.meta = meta

    # -- metadata -----------------------------------------------------------------------
    @property
    def command(self) -> list[str]:
        """The command that was traced (or ``["<pid N>"]`` when attached)."""
        return list(self.meta.command)

    @property
    def returncode(self) -> int | None:
        """Exit status of the traced command; ``-N`` when killed by signal N, as in ``subprocess``."""
        return self.meta.returncode

    @property
    def start_time(self) -> float:
        """When tracing started, in seconds since the epoch."""
        return self.meta.start_time

    @property
    def truncated(self) -> bool:
        """True when ``max_events`` stopped rows being stored (``counts`` stays exact)."""
        return self.meta.truncated

    @property
    def counts(self) -> pd.Series:
        """Exact number of calls per syscall name, even when rows were truncated."""
        import pandas as pd

        if self.meta.counts:
            return pd.Series(self.meta.counts, name="calls", dtype="int64").sort_values(ascending=False)
        return self.df["syscall"].value_counts().rename("calls").astype("int64")

    @property
    def stdout(self) -> bytes | None:
        """The program's standard output, when ``capture_output=True`` was asked for."""
        return self.meta.stdout

    @property
    def stderr(self) -> bytes | None:
        """The program's standard error, when ``capture_output=True`` was asked for."""
        return self.meta.stderr

    def __len__(self) -> int:
        return len(self.df)

    def _derive(self, df: pd.DataFrame, events: pd.DataFrame | None = None) -> Trace:
        """A new Trace over a subset of rows, sharing the metadata."""
        return Trace(df, self.events if events is None else events, self.meta)

    # -- the detective's questions (spykit.questions) -------------------------------------
    def summary(self, wall: bool = False) -> pd.DataFrame:
        """The ``strace -c`` table; ``wall=True`` measures wall-clock time like ``strace -w -c``."""
        from .questions import summary

        return summary(self.df, wall=wall)

    def files(self, startup: bool = False) -> pd.DataFrame:
        """Every call that names a file: time, pid, syscall, path, flags or mode in words, ok, error.

        Start-up lookups (loader, locale, PATH search, the interpreter's own start-up) are left
        out unless ``startup=True``; ``attrs["startup_hidden"]`` counts them.
        """
        from .questions import files

        return files(self.df, startup=startup)

    def missing(self, startup: bool = False) -> pd.DataFrame:
        """Paths the program looked for and did not find (ENOENT, ENOTDIR), in the order first seen.

        Start-up lookups are left out unless ``startup=True`` (then every path, in time order);
        ``attrs["startup_hidden"]`` says how many paths were left out.
        """
        from .questions import missing

        return missing(self.df, startup=startup)

    def processes(self) -> pd.DataFrame:
        """The process tree: pid, parent, every whole argv it exec'd, its environment, exit status or
        signal, start and end."""
        from .questions import processes

        return processes(self.df, self.events, self.meta.execs)

    def network(self) -> pd.DataFrame:
        """What went over sockets: peer address, direction, bytes and payload."""
        from .questions import network

        return network(self.df)

    def writes(self) -> pd.DataFrame:
        """Per destination (file, pipe, socket, terminal): calls, bytes, the first bytes written (up to
        4096); :meth:`written` gives all of them."""
        from .questions import writes

        return writes(self.df)

    def written(self, destination: str) -> bytes:
        """Every byte written to ``destination`` (a value of ``writes()["destination"]``), in order.

        Raises :class:`~spykit.SpykitError` when some of those bytes were not kept (a write larger
        than ``data_limit``): trace again with a larger ``data_limit=``.
        """
        from .questions import written

        return written(self.df, destination)

    def compare(self, other: Trace, *, startup: bool = False) -> Any:
        """What changed from this run to ``other`` (a :class:`spykit.comparison.Comparison`): files found
        or missing, commands, network peers, writes, errors and call counts, matched by meaning."""
        from .comparison import compare

        return compare(self, other, startup=startup)

    # -- filtering (spykit.filters): each returns a new Trace --------------------------------
    def filter(
        self,
        syscalls: str | Iterable[str] | None = None,
        *,
        pid: int | Iterable[int] | None = None,
        failed: bool | None = None,
        path: str | None = None,
        start: float | None = None,
        end: float | None = None,
        fd_kind: str | Iterable[str] | None = None,
    ) -> Trace:
        """Keep the rows that match every given condition; chainable.

        ``syscalls`` takes names and classes (``"%file"``); ``path`` is a regular expression
        searched in the path column; ``start``/``end`` are seconds since the trace started;
        ``fd_kind`` keeps calls on an fd of that kind (``"pipe"``, ``"socket"``, ``"file"``...),
        so ``filter("read", fd_kind="pipe")`` is the reads from pipes, and only those.
        """
        from .filters import filter_frame

        df = filter_frame(self.df, syscalls=syscalls, pid=pid, failed=failed, path=path, start=start, end=end,
                          fd_kind=fd_kind)
        return self._derive(df)

    def failed(self) -> Trace:
        """Only the calls that returned an error."""
        return self.filter(failed=True)

    # -- text (spykit.render.text) ---------------------------------------------------------------
    def to_text(self, *, timestamps: bool = False, durations: bool = False, pids: bool | None = None,
                events: bool = True, limit: int | None = None) -> str:
        """strace-style lines; ``timestamps`` like ``-tt``, ``durations`` like ``-T``."""
        from .render.text import trace_to_text

        return trace_to_text(self, timestamps=timestamps, durations=durations, pids=pids,
                             events=events, limit=limit)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        cmd = " ".join(self.command)
        log = self.meta.log
        source = ""
        if log is not None:
            bad = len(log.get("unparsed") or [])
            lines = f" ({bad} line{'s' if bad != 1 else ''} not understood)" if bad else ""
            source = f", read from strace's output{lines}"
        return (f"<Trace of {cmd!r}: {len(self.df)} calls, {self.df['pid'].nunique() if len(self.df) else 0} "
                f"threads, returncode {self.returncode}{source}>")

    # -- storage (spykit.storage) -------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Save to a Parquet file readable by the owner only (traces can hold secrets)."""
        from .storage import save

        save(self, path)

    # -- notebook readers (spykit.notebook, spykit.render.plots) ------------------------------------
    def explore(self, per_page: int = 25) -> Any:
        """An interactive explorer widget (ipywidgets): filter by call, class, pid, errors, path, duration."""
        from .notebook.explorer import explore

        return explore(self, per_page=per_page)

    def timeline(self, ax: Any = None) -> Any:
        """A matplotlib timeline: one lane per thread, a mark per call coloured by class."""
        from .render.plots import timeline

        return timeline(self, ax=ax)

    def to_perfetto(self, path: str | os.PathLike[str], wchan: pd.DataFrame | None = None) -> None:
        """Write a timeline for ui.perfetto.dev or chrome://tracing (trace-event JSON, file mode 0600):
        a track per process and thread, a slice per call, signals and exits as instants, and
        ``wchan`` samples of the same run (:func:`spykit.wchan`) as a counter track."""
        from .render.perfetto import to_perfetto

        to_perfetto(self, path, wchan=wchan)

    # -- notebook display ------------------------------------------------------------------------
    def _repr_mimebundle_(self, include: Sequence[str] | None = None,
                          exclude: Sequence[str] | None = None) -> dict[str, Any]:
        from .render.html import trace_mimebundle

        return trace_mimebundle(self)
