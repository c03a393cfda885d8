"""The IPython magics: ``%load_ext spykit`` registers them.

- ``%%strace [-e SPEC] [-f | --no-follow] [-c] [-s N] [-o NAME]``: run the cell as usual, and
  record the system calls of the thread running it (and of whatever it starts).
- ``%strace [options] CMD``: :func:`spykit.trace` a command.
- ``%diagnose CMD``, ``%spytime CMD``, ``%wchan PID`` or ``%wchan CMD``: :func:`spykit.diagnose`,
  :func:`spykit.time`, :func:`spykit.wchan`.

Each magic is a thin shell over the public function: it parses its line, calls the function, and
shows or returns the result. ``%strace?`` shows every option. This module imports IPython; it is
imported only by ``load_ipython_extension``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from ..errors import SpykitError
from .cellrun import display_values, prepare_cell, run_prepared


def parse_selection(specs: list[str] | None) -> list[str] | None:
    """``-e`` values read as strace reads them (``open,read``, ``trace=%file``, ``'!write'``) -> a selection, or
    None for all; a typo is the user's, so it is a short UsageError, before anything runs."""
    from ..syscalls.table import parse_trace_option

    try:
        return parse_trace_option(specs)
    except SpykitError as error:
        raise UsageError(str(error)) from None


def _say(problem: SpykitError, consequence: str) -> None:
    """A short note on stderr (red in a notebook) instead of a traceback: what happened, what to do."""
    text = f"spykit: {problem.message}"
    if problem.hint:
        text += f"\n  What to do: {problem.hint}"
    print(f"{text}\n  {consequence}", file=sys.stderr)


def parse_argstring(magic: Any, line: str) -> argparse.Namespace:
    """A magic's line split as a shell splits it, then parsed by the magic's own options.

    IPython's ``parse_argstring`` splits in non-POSIX mode, which keeps quotes: ``%strace python3 -c
    "print(1)"`` would hand Python the literal ``"print(1)"``. The commands here are shell-like
    command lines, so quotes and backslashes work as they do in a terminal.
    """
    try:
        words = shlex.split(line)
    except ValueError as error:  # an unclosed quote
        raise UsageError(f"cannot split the line as a shell would: {error}") from None
    return magic.parser.parse_args(words)


def _command(words: list[str], magic: str) -> list[str]:
    if not words:
        raise UsageError(f"%{magic} needs a command, for example: %{magic} ls -l")
    return words


LAST_TRACE = "_strace"  # where %%strace keeps its trace when no -o NAME is given, as IPython keeps _


@magics_class
class SpykitMagics(Magics):
    """``%%strace``, ``%strace``, ``%diagnose``, ``%spytime`` and ``%wchan``."""

    @magic_arguments()
    @argument("-e", dest="spec", action="append", metavar="SPEC",
              help="which calls to record, as strace's -e trace=...: comma-separated names and classes "
                   "(open,read or %%file or %%network), all, none, /regex, '!write' for all but write; "
                   "'open' also selects openat; a later -e replaces an earlier one. Default: every call.")
    @argument("-f", "--follow", dest="follow", action="store_true", default=True,
              help="also trace the processes and threads it starts (the default)")
    @argument("--no-follow", dest="follow", action="store_false",
              help="trace only the code's own thread or the command's own process")
    @argument("-c", "--summary", action="store_true",
              help="show the strace -c table (calls, errors and time per system call) instead of the calls")
    @argument("-s", "--string-limit", type=int, default=32, metavar="N",
              help="show at most N bytes of each string and buffer in the text (default 32, like strace)")
    @argument("--data-limit", type=int, default=4096, metavar="N",
              help="keep at most N bytes of each read, write, send and receive in the data column "
                   "(default 4096)")
    @argument("-o", "--output", metavar="NAME",
              help="store the Trace in the variable NAME (without -o it is kept in _strace, the last one only)")
    @argument("--timeout", type=float, default=None, metavar="SECONDS",
              help="(line magic) stop the command after this many seconds")
    @argument("command", nargs=argparse.REMAINDER,
              help="(line magic only) the command to run and trace, e.g. %%strace -e openat ls -l")
    @line_cell_magic
    def strace(self, line: str, cell: str | None = None) -> Any:
        """Trace system calls: of a command (``%strace CMD``) or of this cell's code (``%%strace``).

        As a cell magic the cell runs exactly as it would without the magic, in this kernel: its
        variables stay defined, its output shows, its exceptions propagate and its last value is
        displayed. A helper process records the system calls of the thread running the cell and
        of every process the cell starts; the Trace is displayed after the cell's own output.
        """
        args = parse_argstring(self.strace, line)
        selection = parse_selection(args.spec)
        if args.string_limit < 0:
            raise UsageError("-s takes a number of bytes, 0 or more")
        if args.data_limit < 0:
            raise UsageError("--data-limit takes a number of bytes, 0 or more")
        if cell is None:
            return self._strace_command(args, selection)
        if args.command:
            raise UsageError(f"%%strace traces the cell; it takes no command (got {' '.join(args.command)!r}). "
                             "To trace a command, use the line magic: %strace CMD")
        self._strace_cell(cell, args, selection)
        return None

    def _strace_command(self, args: argparse.Namespace, selection: list[str] | None) -> Any:
        import spykit

        command = _command(args.command, "strace")
        try:
            trace = spykit.trace(command, syscalls=selection, follow_forks=args.follow,
                                 string_limit=args.string_limit, timeout=args.timeout,
                                 data_limit=args.data_limit)
        except spykit.TraceInterrupted as stopped:
            _say(stopped, "Showing what was recorded until then.")
            trace = stopped.trace
            if trace is None:
                return None
        except spykit.TracingNotPermitted as refused:  # said plainly, as %%strace does, not as a traceback
            _say(refused, "The command was not run.")
            return None
        return self._keep(trace, args)

    def _keep(self, trace: Any, args: argparse.Namespace) -> Any:
        """Store the trace under ``-o NAME`` (or ``_strace``) and give back what is to be shown.

        The display then names that variable as the way to the whole trace.
        """
        self.shell.user_ns[args.output or LAST_TRACE] = trace
        return trace.summary() if args.summary else trace

    def _strace_cell(self, cell: str, args: argparse.Namespace, selection: list[str] | None) -> None:
        __tracebackhide__ = True  # noqa: F841  (IPython hides this frame in the cell's tracebacks)
        from .celltrace import CellTracer

        shell = self.shell
        prepared = prepare_cell(shell, cell)  # a syntax error stops us before anything starts
        shown: list[Any] = []
        tracer = CellTracer(syscalls=selection, follow_forks=args.follow, string_limit=args.string_limit,
                            data_limit=args.data_limit)
        try:
            tracer.__enter__()
        except SpykitError as refused:  # TracingNotPermitted above all: say why, and run the cell anyway
            _say(refused, "The cell ran without tracing.")
            try:
                run_prepared(shell, prepared, shown)
            finally:
                display_values(shell, shown)
            return
        try:
            try:
                run_prepared(shell, prepared, shown)
            except BaseException:
                tracer.__exit__(*sys.exc_info())  # records what the cell did before it failed
                raise
            try:
                tracer.__exit__(None, None, None)
            except SpykitError as lost:
                _say(lost, "The cell itself ran normally.")
        finally:
            display_values(shell, shown)
            self._show_cell_trace(tracer.trace, args)

    def _show_cell_trace(self, trace: Any, args: argparse.Namespace) -> None:
        if trace is not None:
            display(self._keep(trace, args))

    @magic_arguments()
    @argument("--timeout", type=float, default=20.0, metavar="SECONDS",
              help="stop the program after this many seconds (default 20); it is diagnosed from what it did")
    @argument("command", nargs=argparse.REMAINDER, help="the command to run, e.g. python slow.py")
    @line_magic
    def diagnose(self, line: str) -> Any:
        """Run a command and say why it is slow, in plain words (:func:`spykit.diagnose`)."""
        import spykit

        args = parse_argstring(self.diagnose, line)
        return spykit.diagnose(_command(args.command, "diagnose"), timeout=args.timeout)

    @magic_arguments()
    @argument("--timeout", type=float, default=None, metavar="SECONDS", help="kill the program after this long")
    @argument("command", nargs=argparse.REMAINDER, help="the command to run, e.g. sleep 1")
    @line_magic
    def spytime(self, line: str) -> Any:
        """Like the shell's ``time``: user, system and elapsed time of a command (:func:`spykit.time`)."""
        import spykit

        args = parse_argstring(self.spytime, line)
        return spykit.time(_command(args.command, "spytime"), timeout=args.timeout)

    @magic_arguments()
    @argument("-i", "--interval", type=float, default=0.01, metavar="SECONDS",
              help="seconds between two looks (default 0.01)")
    @argument("-d", "--duration", type=float, default=None, metavar="SECONDS",
              help="stop after this long (a command is killed then)")
    @argument("-p", "--plot", action="store_true", help="also draw the shares of each wait over time")
    @argument("-o", "--output", metavar="NAME",
              help="store every sample (spykit.wchan's WaitSamples; .df is the DataFrame) in NAME")
    @argument("target", nargs=argparse.REMAINDER, help="a process id, or a command to run")
    @line_magic
    def wchan(self, line: str) -> Any:
        """What a process (``%wchan PID``) or a command (``%wchan CMD``) waits for (:func:`spykit.wchan`).

        Shows, per process, the share of samples for each thing it was doing, in plain words.
        """
        import spykit
        from spykit.slow.waits import summarize

        args = parse_argstring(self.wchan, line)
        words = _command(args.target, "wchan")
        target: Any = int(words[0]) if len(words) == 1 and words[0].isdigit() else words
        samples = spykit.wchan(target, interval=args.interval, duration=args.duration)
        if args.output:
            self.shell.user_ns[args.output] = samples
        if args.plot:
            from ..render.plots import wchan_plot

            wchan_plot(samples)
        table = summarize(samples)
        table.attrs.update(samples.attrs)
        return table


def load_ipython_extension(ipython: Any) -> None:
    """Register spykit's magics with a running IPython."""
    ipython.register_magics(SpykitMagics)
