"""Read strace's text output into a :class:`~spykit.Trace`: ``spykit.read_strace(path_or_text)``.

The line parser is :mod:`spykit.strace_log.lines`, the values inside arguments are read by
:mod:`spykit.strace_log.args`, and :mod:`spykit.strace_log.build` makes the Trace.
"""

from __future__ import annotations

import gc
import os
import re
from pathlib import Path

from ..errors import TraceFileError
from ..tracedata import Trace
from .build import LogReading, read_lines, to_trace

__all__ = ["read_strace"]

_PER_PID = re.compile(r"^(.*)\.(\d+)$")


def _ff_files(where: Path) -> list[tuple[Path, int]]:
    """The files of ``strace -ff -o PREFIX``: ``PREFIX.PID``, given the folder or the prefix."""
    if where.is_dir():
        found = [(p, _PER_PID.match(p.name)) for p in sorted(where.iterdir()) if p.is_file()]
        found = [(p, m) for p, m in found if m is not None]
        prefixes = {m.group(1) for _, m in found}
        if len(prefixes) > 1:
            raise TraceFileError(f"{where} holds the logs of several strace -ff runs ({', '.join(sorted(prefixes))})",
                                 hint="give the prefix of one run, e.g. read_strace('"
                                      f"{where / sorted(prefixes)[0]}')")
    else:
        found = [(p, _PER_PID.match(p.name)) for p in sorted(where.parent.glob(where.name + ".*"))]
        found = [(p, m) for p, m in found if m is not None and m.group(1) == where.name and p.is_file()]
    return sorted(((p, int(m.group(2))) for p, m in found), key=lambda pm: pm[1])


def read_strace(path_or_text: str | os.PathLike[str] | bytes) -> Trace:
    """A :class:`~spykit.Trace` from strace's output: a log file, the text itself, or ``-ff`` files.

    ``path_or_text`` is a path to a log (``strace -o app.strace ...``), the log's text (a
    ``str`` holding a newline, or ``bytes``), or for ``strace -ff -o PREFIX`` either the folder
    holding the ``PREFIX.PID`` files or ``PREFIX`` itself.

    Every question works on the result. Columns hold what the log printed and nothing more:
    without ``-f`` the pid is 0, without timestamps ``time`` is NaN, without ``-T`` ``duration``
    is NaN, without ``-y`` calls on an fd have no ``path``, strings cut at ``-s`` give cut
    ``data`` (``data_complete`` False). ``trace.meta.source`` is ``"strace"`` and
    ``trace.meta.log`` says where it came from, the options strace appears to have been run
    with, and every line that could not be read (``[file, line number, text]``).
    """
    # A big log makes millions of small tuples that live until the frame is built: the cyclic
    # garbage collector would walk them again and again (a third of the time) and find nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read(path_or_text)
    finally:
        if collecting:
            gc.enable()


def _read(path_or_text: str | os.PathLike[str] | bytes) -> Trace:
    reading = LogReading()
    if isinstance(path_or_text, bytes):
        read_lines(path_or_text.decode("utf-8", "surrogateescape").splitlines(), reading)
        return to_trace(reading, origin="<text>", files=[])
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        read_lines(path_or_text.splitlines(), reading)
        return to_trace(reading, origin="<text>", files=[])
    where = Path(path_or_text)
    if where.is_file():
        with open(where, encoding="utf-8", errors="surrogateescape") as log:
            read_lines(log, reading, file=str(where))
        return to_trace(reading, origin=str(where), files=[str(where)])
    per_pid = _ff_files(where)
    if not per_pid:
        what = "folder holds no strace -ff files (NAME.PID)" if where.is_dir() else "file does not exist"
        raise TraceFileError(f"cannot read strace output from {str(where)!r}: the {what}",
                             hint="give the file strace -o wrote, the folder or prefix of strace -ff -o "
                                  "PREFIX, or the log's text itself")
    for source, (path, pid) in enumerate(per_pid):
        with open(path, encoding="utf-8", errors="surrogateescape") as log:
            read_lines(log, reading, file=str(path), pid=pid, source=source)
    return to_trace(reading, origin=str(where), files=[str(p) for p, _ in per_pid])
