"""strace's output while the program runs: a reader of the live trace (spykit.tracer.live).

strace starts a call's line at its entry and ends it at its exit. When something else must be
printed in between (another thread's call, a signal, a process's end), the open line is cut
with ``<unfinished ...>`` and the call's end comes later on a line of its own, starting with
``<... read resumed>``. :class:`TextStream` does the same with the calls the tracer hands over:
a call that finishes before anything else happens gets one whole line; a call still in progress
when anything else is printed, or still in progress a moment (``show_after``) after it started,
is shown as unfinished at once, so the call a program hangs in is on the screen while it hangs.

Each call is decoded with the function the DataFrame is built with
(:func:`spykit.tracer.rows.decode_row`), so the lines, put back together, are the lines of
:func:`spykit.render.text.trace_to_text` for the finished trace.
"""

from __future__ import annotations

import re
import time as _time
from typing import IO

from ..syscalls import abi as A
from ..syscalls.errnos import errno_name
from ..syscalls.results import format_result
from ..tracer.live import ENTRY, EXIT, Call, Happening
from ..tracer.rows import decode_row
from .lines import PERSONALITY, PRINTED_EVENTS, RESULT_COLUMN, pid_prefix, syscall_line, wall_clock

UNFINISHED = " <unfinished ...>"
_PID = re.compile(r"^\[pid +(\d+)\] ")
_CLOCK = re.compile(r"^\d\d:\d\d:\d\d\.\d{6} ")
_CACHE_SIZE = 4096


def resumed_line(name: str, rest: str, result: str, *, prefix: str = "", duration: float | None = None) -> str:
    """The end of a call shown unfinished: ``<... read resumed>"abc", 4096) = 3``."""
    head = f"{prefix}<... {name} resumed>{rest})"
    head = head.ljust(RESULT_COLUMN) if len(head) < RESULT_COLUMN else head + " "
    line = f"{head}= {result}"
    if duration is not None:
        line += f" <{duration:.6f}>"
    return line


class TextStream:
    """Writes strace lines to ``out`` as the live trace's happenings arrive (a ``live`` sink).

    ``string_limit``, ``decode_fds``, ``timestamps`` (``-tt``) and ``durations`` (``-T``) are as
    for :func:`spykit.render.text.trace_to_text`; ``pids`` None prefixes ``[pid N]`` from the
    moment a second process or thread appears, as ``strace -f`` does.
    """

    def __init__(self, out: IO[str], *, string_limit: int = 32, decode_fds: bool = False,
                 timestamps: bool = False, durations: bool = False, pids: bool | None = None,
                 show_after: float = 0.1) -> None:
        self.out = out
        self.string_limit = string_limit
        self.decode_fds = decode_fds
        self.timestamps = timestamps
        self.durations = durations
        self.pids = pids
        self.show_after = show_after
        self.start_time: float | None = None  # wall clock of the tracer's time 0
        self.partial: Call | None = None  # entered, nothing printed yet: strace's open line
        self.shown: dict[int, tuple[Call, str]] = {}  # row -> the call, its args text shown unfinished
        self.seen: set[int] = set()
        self.mode: dict[int, int] = {}  # each process's table so far
        self.lines_written = 0
        self._cache: dict[tuple, tuple[str, str, str]] = {}
        self._lines: dict[tuple, str] = {}  # whole lines without prefix, by call

    # -- the pieces of a line ----------------------------------------------------------------------
    def _head(self, pid: int, t: float) -> str:
        with_pids = len(self.seen) > 1 if self.pids is None else self.pids
        if not (with_pids or self.timestamps):
            return ""
        clock = wall_clock(self.start_time or 0.0, t) + " " if self.timestamps else ""
        return (pid_prefix(pid) if with_pids else "") + clock

    def _decode(self, call: Call, ret: int | None, err: int | None) -> tuple[str, str, str]:
        """(name, args text, result text) of a call, as finished (``ret`` given) or as at its entry."""
        # (unfinished, a call's text shows its input arguments only: the decoders look at no output)
        key = (call.abi, call.nr, call.args, ret, err, call.fd_path, tuple(call.blobs.items()))
        got = self._cache.get(key)
        if got is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            name = A.call_name(call.abi, call.nr)
            text, note = decode_row(name, call.args, ret, err, call.blobs, string_limit=self.string_limit,
                                    fd_path=call.fd_path, decode_fds=self.decode_fds, abi=call.abi)
            result = format_result(name, ret, errno_name(err) if err else None, text, note if ret is not None else None)
            got = self._cache[key] = (name, text, result)
        return got

    def _duration(self, call: Call) -> float | None:
        return call.exit_time - call.time if self.durations and call.exit_time is not None else None

    # -- what is printed when ----------------------------------------------------------------------
    def _cut_partial(self, lines: list[str]) -> None:
        """Something else is printed: the open call's line ends with <unfinished ...>."""
        call = self.partial
        if call is None:
            return
        self.partial = None
        name, text, _ = self._decode(call, None, None)
        self.shown[call.row] = (call, text)
        lines.append(f"{self._head(call.tid, call.time)}{name}({text}{UNFINISHED}")

    def _whole(self, call: Call, lines: list[str]) -> None:
        ret, err = (call.ret, call.err) if call.finished else (None, None)
        name, text, result = self._decode(call, ret, err)
        lines.append(syscall_line(name, text, result, prefix=self._head(call.tid, call.time),
                                  duration=self._duration(call)))

    def _resumed(self, call: Call, lines: list[str]) -> None:
        _call, shown = self.shown.pop(call.row)
        ret, err = (call.ret, call.err) if call.finished else (None, None)
        name, text, result = self._decode(call, ret, err)
        rest = text[len(shown):] if text.startswith(shown) else text
        t = call.exit_time if call.exit_time is not None else call.time
        lines.append(resumed_line(name, rest, result, prefix=self._head(call.tid, t), duration=self._duration(call)))

    def _entry(self, call: Call, lines: list[str]) -> None:
        if self.partial is not None:
            self._cut_partial(lines)
        if call.tid not in self.seen:
            self.seen.add(call.tid)
            self._lines.clear()  # a second thread: lines get [pid N] from now on
        if (call.abi or self.mode) and call.abi != self.mode.get(call.tid, A.X86_64):
            self.mode[call.tid] = call.abi
            lines.append(self._head(call.tid, call.time)
                         + f"[ Process PID={call.tid} runs in {PERSONALITY[A.ABI_NAMES[call.abi]]} mode. ]")
        self.partial = call

    def _ended(self, pid: int, lines: list[str]) -> None:
        """A thread has gone: its call in progress never finishes (``exit_group(0) = ?``), shown
        before the line that says so, as strace does."""
        if self.partial is not None and self.partial.tid == pid:
            call, self.partial = self.partial, None
            self._whole(call, lines)
        for call, _text in [v for v in self.shown.values() if v[0].tid == pid]:
            self._cut_partial(lines)
            self._resumed(call, lines)

    def feed(self, happenings: list[Happening], now: float, *, final: bool) -> None:
        """Print what happened (a :class:`spykit.tracer.live.Sink`)."""
        if self.start_time is None:
            self.start_time = _time.time() - now
        lines: list[str] = []
        whole_lines = self._lines
        for t, kind, what in happenings:
            if kind == EXIT:
                if self.partial is what:  # the common case: nothing happened since its entry
                    self.partial = None
                    key = (what.abi, what.nr, what.args, what.ret, what.err, what.fd_path, tuple(what.blobs.items()))
                    line = whole_lines.get(key)
                    if line is None:
                        name, text, result = self._decode(what, what.ret, what.err)
                        line = syscall_line(name, text, result, prefix=self._head(what.tid, what.time),
                                            duration=what.exit_time - what.time if self.durations else None)
                        if not (self.durations or self.timestamps or (self.pids is not False and len(self.seen) > 1)):
                            # the same line again for the same call (a loop): kept while lines have no prefix
                            if len(whole_lines) >= _CACHE_SIZE:
                                whole_lines.clear()
                            whole_lines[key] = line
                    lines.append(line)
                elif what.row in self.shown:
                    self._cut_partial(lines)
                    self._resumed(what, lines)
            elif kind == ENTRY:
                self._entry(what, lines)
            else:
                _t, pid, event, *_rest, text = what
                self.seen.add(pid)
                if event in ("exit", "killed"):
                    self._ended(pid, lines)
                if event in PRINTED_EVENTS and text:
                    self._cut_partial(lines)
                    lines.append(self._head(pid, t) + text)
        if self.partial is not None:
            if final:  # it never finished: as the finished trace shows it
                call, self.partial = self.partial, None
                self._whole(call, lines)
            elif now - self.partial.time >= self.show_after:  # it blocks: show it now
                self._cut_partial(lines)
        if final:
            # calls shown unfinished whose end never came (their process was killed, or detached)
            for call, _text in list(self.shown.values()):
                self._resumed(call, lines)
        if lines:
            self.out.write("\n".join(lines) + "\n")
            self.lines_written += len(lines)
        self.out.flush()


def rejoin(text: str) -> list[str]:
    """Streamed lines with each ``<unfinished ...>`` line and its ``<... resumed>`` line put back
    together, where the first was, without ``[pid N]`` prefixes and times of day, and with the
    padding before `` = `` made one space: for comparing a stream with the finished trace's text."""
    out: list[str | None] = []
    waiting: dict[tuple[str, str], int] = {}  # (pid, call) -> index in out of its unfinished line
    for line in text.splitlines():
        pid_match = _PID.match(line)
        pid = pid_match.group(1) if pid_match else ""
        body = line[pid_match.end():] if pid_match else line
        body = _CLOCK.sub("", body)
        if body.endswith(UNFINISHED):
            body = body[: -len(UNFINISHED)]
            waiting[(pid, body.split("(", 1)[0])] = len(out)
            out.append(body)
            continue
        if body.startswith("<... ") and " resumed>" in body:
            name, rest = body[len("<... "):].split(" resumed>", 1)
            # (strace -f adds [pid N] from the second process on: the start may have none)
            key = (pid, name) if (pid, name) in waiting else ("", name)
            index = waiting.pop(key, None)
            if index is not None:
                out[index] = f"{out[index]}{rest}"
                continue
        out.append(body)
    # the padding before the result: the last ") = " of the line (an argument may hold " = ")
    return [re.sub(r"\)\s+= (?!.*\)\s+= )", ") = ", line) for line in out if line is not None]
