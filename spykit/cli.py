"""The ``spykit`` command: spykit's questions for people outside Jupyter.

::

    spykit trace [-f] [-e SPEC] [-c] [-s N] [-T] [-tt] [-o FILE] [-p PID] [--save FILE] [--perfetto FILE] -- CMD
    spykit missing -- CMD ...       the files it looked for and did not find
    spykit files -- CMD ...         every file it opened, probed or ran
    spykit processes -- CMD ...     the processes it started, as a tree
    spykit network -- CMD ...       what it sent and received over sockets
    spykit writes -- CMD ...        where it wrote, and what
    spykit missing --from LOG       any question, answered from strace's output (strace -o LOG)
    spykit time -- CMD ...          user, system and waiting time
    spykit wchan PID | -- CMD ...   what it waits for in the kernel
    spykit diagnose -- CMD ...      why is it slow, in plain words

Each subcommand is a thin shell over one library function. The traced commands exit with the
traced program's status (128+N when signal N killed it, as a shell reports it); a spykit error
prints its message and exits 1; a bad option prints one line and exits 2; Ctrl-C prints what was
recorded so far and exits 130; tracing that stops on an error of its own (out of memory) prints
what was recorded, says why, and exits 1. When the reader of its output goes away
(``spykit ... | head``) it ends quietly with 141, as a program killed by SIGPIPE does.

Output files (``-o``, ``--save``) are checked before the program runs, as strace does, and are
never written through a symbolic link or into another user's file: traces hold arguments,
environment strings and payloads.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, Any, NoReturn

from .errors import SpykitError, TraceInterrupted

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


class _UsageError(Exception):
    """A mistake in the command line, found after argparse accepted it."""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error, so a typo does not bury the terminal in usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def exit_status(returncode: int | None) -> int:
    """A traced program's status as a shell reports it: ``-N`` (killed by signal N) becomes 128+N."""
    if returncode is None:
        return 0
    return 128 - returncode if returncode < 0 else returncode


def _command(args: argparse.Namespace) -> list[str]:
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        raise _UsageError("no command to run: put it after --, for example: -- ls -l")
    return cmd


def _syscall_spec(expressions: list[str] | None) -> list[str] | None:
    """The -e options as a ``syscalls=`` selection, read as strace reads them; a typo is a usage error."""
    from .syscalls.table import parse_trace_option

    try:
        return parse_trace_option(expressions)
    except SpykitError as error:
        raise _UsageError(error.message + (f"; {error.hint}" if error.hint else "")) from None


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r}: give a number above 0")
        return value

    return parse


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of bytes, 0 or more")
    return value


def _writable_entry(path: str, option: str) -> os.stat_result | None:
    """Check, before anything runs, that ``path`` may be written: its lstat, or None if it is new.

    A new name needs an existing directory we may write in. An existing name must be a regular
    file of our own (it is replaced by a new one) and never a symbolic link: in a shared folder
    such as /tmp another user can plant a link to a file of ours, or a world-writable file, and
    wait for us to write the trace into it.
    """
    where = f"{option} {path}"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise SpykitError(f"{where}: the directory {parent} does not exist") from None
        if not os.access(parent, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
            raise SpykitError(f"{where}: you may not create files in {parent} (permission denied)") from None
        return None
    except OSError as error:
        raise SpykitError(f"{where}: {error.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise SpykitError(f"{where} is a symbolic link: spykit does not write through links (someone may have "
                          "planted it); give the real path, or a new name")
    if stat.S_ISDIR(info.st_mode):
        raise SpykitError(f"{where} is a directory: give a file name")
    if stat.S_ISREG(info.st_mode) and info.st_uid != os.geteuid():
        raise SpykitError(f"{where} belongs to another user (uid {info.st_uid}): spykit only creates new files "
                          "or replaces your own; give another name")
    return info


def _open_output(path: str) -> IO[str]:
    """The file for -o, opened before the program runs, readable by its owner only.

    A new file is created with O_EXCL and O_NOFOLLOW, so neither a symbolic link nor a file someone
    slipped in after the check is ever written to; an old file of our own is removed first (the
    new one starts at mode 0600, with no other hard link to it). A terminal or other device
    (``-o /dev/null``) or a pipe of our own is written as it is.
    """
    info = _writable_entry(path, "-o")
    if info is not None and not stat.S_ISREG(info.st_mode):
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        opened = os.fstat(fd)
        if not (stat.S_ISCHR(opened.st_mode) or opened.st_uid == os.geteuid()):
            os.close(fd)
            raise SpykitError(f"-o {path} is a pipe or socket of another user (uid {opened.st_uid}): "
                              "give another name")
        return os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace")
    try:
        if info is not None:
            os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise SpykitError(f"-o {path}: something else was created under that name meanwhile; "
                          "give another name") from None
    except OSError as error:
        raise SpykitError(f"-o {path}: {error.strerror}") from None
    return os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace")


def _check_save(path: str | None, option: str = "--save") -> None:
    """``--save``, ``--perfetto``: written as a new 0600 file renamed over the name; check that may work."""
    if path is None:
        return
    info = _writable_entry(path, option)
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise SpykitError(f"{option} {path} is not a regular file: give a file name such as "
                          f"{'trace.parquet' if option == '--save' else 'timeline.json'}")


def _emit(text: str, stream: IO[str]) -> None:
    stream.write(text + ("\n" if text and not text.endswith("\n") else ""))
    stream.flush()


def _stopped(interruption: TraceInterrupted) -> tuple[Any, int]:
    """What was recorded before tracing stopped, and the exit status that says why it stopped."""
    if interruption.trace is None:
        raise interruption
    cause = interruption.__cause__
    if cause is None or isinstance(cause, KeyboardInterrupt):
        print(f"spykit: {interruption.message}", file=sys.stderr)
        return interruption.trace, EXIT_INTERRUPTED
    why = ("the tracer ran out of memory" if isinstance(cause, MemoryError)
           else f"the tracer failed ({type(cause).__name__}{f': {cause}' if str(cause) else ''})")
    print(f"spykit: tracing stopped early: {why}; the program and its children were killed. "
          "What was recorded until then follows.", file=sys.stderr)
    return interruption.trace, EXIT_ERROR


def _record(cmd: list[str], args: argparse.Namespace, *, text_only: bool = False, streamed: bool = False,
            **options: Any) -> tuple[Any, int | None]:
    """Trace ``cmd``; if it stops early keep what was recorded. Returns (trace, exit status if stopped).

    ``text_only``: the result only needs to print as strace's lines, so it is a
    :class:`~spykit.tracer.rows.TextTrace` made straight from the recording, without pandas.
    ``streamed``: a live stream printed every line already; the result only carries the exit status.
    """
    import spykit

    try:
        if text_only or streamed:
            from .tracer.api import _trace
            from .tracer.rows import TextTrace

            def status_only(_rec: Any, meta: Any) -> TextTrace:
                return TextTrace([], [], meta)

            build = status_only if streamed else TextTrace.from_recorder
            return _trace(build, cmd, string_limit=args.string_limit, **options), None
        return spykit.trace(cmd, string_limit=args.string_limit, **options), None
    except TraceInterrupted as interruption:
        return _stopped(interruption)


def _finish(trace: Any, args: argparse.Namespace, stopped: int | None) -> int:
    if args.save:
        try:
            trace.save(args.save)
        except OSError as error:
            raise SpykitError(f"--save {args.save}: the trace could not be saved ({error.strerror or error})") from None
    return stopped if stopped is not None else exit_status(trace.returncode)


# -- spykit trace ---------------------------------------------------------------------------------

def _run_trace(args: argparse.Namespace) -> int:
    syscalls = _syscall_spec(args.expressions)
    if args.pid is not None and args.cmd and args.cmd != ["--"]:
        raise _UsageError("give either -p PID or a command, not both")
    cmd = _command(args) if args.pid is None else None
    # like strace, the trace goes to stderr unless -o names a file, opened before the program runs
    _check_save(args.save)
    _check_save(args.perfetto, "--perfetto")
    stream = _open_output(args.output) if args.output else sys.stderr
    # Lines are written as the calls happen, as strace does (-c prints its table at the end).
    watch: Any = contextlib.nullcontext()
    if not args.summary:
        from .render.stream import TextStream
        from .tracer import live

        watch = live.watching(TextStream(stream, string_limit=args.string_limit, decode_fds=args.decode_fds,
                                         timestamps=args.wall_clock, durations=args.durations))
    try:
        with watch:
            trace, stopped = _trace_or_attach(cmd, syscalls, args)
        if args.summary:
            from .questions import summary
            from .render.text import format_summary

            _emit(format_summary(summary(trace.df, wall=args.wall)), stream)
    finally:
        if stream is not sys.stderr:
            stream.close()
    if args.perfetto:
        trace.to_perfetto(args.perfetto)
    return _finish(trace, args, stopped)


def _trace_or_attach(cmd: list[str] | None, syscalls: list[str] | None,
                     args: argparse.Namespace) -> tuple[Any, int | None]:
    import spykit

    if cmd is None:
        try:
            return spykit.attach(args.pid, syscalls=syscalls, follow_forks=args.follow,
                                 string_limit=args.string_limit, decode_fds=args.decode_fds,
                                 duration=args.duration), None
        except TraceInterrupted as interruption:
            return _stopped(interruption)
    # -c, --save and --perfetto need the full Trace; the stream's lines need none
    return _record(cmd, args, syscalls=syscalls, follow_forks=args.follow, decode_fds=args.decode_fds,
                   wait_for_descendants=args.wait_for_descendants,
                   streamed=not (args.summary or args.save or args.perfetto))


# -- one question each ----------------------------------------------------------------------------

def _question(selection: list[str] | None,
              answer: Callable[..., str]) -> Callable[[argparse.Namespace], int]:
    """A subcommand that traces the command, then prints one answer (to stdout, or -o FILE)."""

    def run(args: argparse.Namespace) -> int:
        cmd = None if args.log is not None else _command(args)
        if args.log is not None and [c for c in args.cmd if c != "--"]:
            raise _UsageError("give either --from LOG or a command after --, not both")
        _check_save(args.save)
        stream = _open_output(args.output) if args.output else sys.stdout
        try:
            if cmd is None:  # --from LOG: strace's output instead of a run
                from .strace_log import read_strace

                trace, stopped = read_strace(args.log), None
            else:
                trace, stopped = _record(cmd, args, syscalls=selection)
            _emit(answer(trace, startup=args.startup) if hasattr(args, "startup") else answer(trace), stream)
        finally:
            if stream is not sys.stdout:
                stream.close()
        if args.log is not None:  # nothing ran: the answer was given
            _finish(trace, args, None)
            return 0
        return _finish(trace, args, stopped)

    return run


def _with_startup(own: Any, every: Any, key: str, startup: bool, empty: str) -> str:
    """The program's own rows, then the start-up rows (with --startup) or how many were left out."""
    from .render.text import format_path_table

    hidden = int(own.attrs.get("startup_hidden", 0))
    text = format_path_table(own, empty=empty if not hidden else "none of the program's own")
    if not hidden:
        return text
    if not startup:
        return (f"{text}\n({hidden} start-up {'row' if hidden == 1 else 'rows'} left out: the loader, locale, "
                "PATH search, the interpreter's own start-up; add --startup to see them)")
    early = every[~every[key].isin(own[key])] if key != "index" else every[~every.index.isin(own.index)]
    return f"{text}\n\nstart-up lookups ({hidden}):\n{format_path_table(early, empty='')}"


def _missing_text(trace: Any, startup: bool = False) -> str:
    return _with_startup(trace.missing(), trace.missing(startup=True), "path", startup,
                         "nothing was missing: every file it looked for was there")


def _files_text(trace: Any, startup: bool = False) -> str:
    return _with_startup(trace.files(), trace.files(startup=True), "index", startup,
                         "no file was named: the program opened, probed or ran no file")


def _processes_text(trace: Any) -> str:
    from .render.text import process_tree_text

    return process_tree_text(trace.processes()) or "no processes were traced"


def _network_text(trace: Any) -> str:
    from .render.text import format_table

    return format_table(trace.network(), empty="no network activity: no socket calls were made")


def _writes_text(trace: Any) -> str:
    from .render.text import format_table

    return format_table(trace.writes(), empty="nothing was written")


# -- the slow-program tools -----------------------------------------------------------------------

def _run_time(args: argparse.Namespace) -> int:
    import spykit

    from .progress import reporting

    with reporting(sys.stderr):
        print(str(spykit.time(_command(args))))
    return 0


def _run_wchan(args: argparse.Namespace) -> int:
    import spykit

    from .slow.wchan import format_wchan

    cmd = list(args.cmd)
    if cmd and cmd[0].isdigit():
        # argparse's REMAINDER took everything after the PID: options there (wchan 1234 -d 0.5)
        # are read again; anything else after a PID is a mistake
        args = args.parser.parse_args(cmd[1:], namespace=args)
        if args.cmd:
            raise _UsageError(f"after the PID only options may follow, not {' '.join(args.cmd)!r} "
                              "(to run a command, put it after --)")
        if int(cmd[0]) <= 0:
            raise _UsageError(f"{cmd[0]} is not a process id: give a number above 0")
        target: int | list[str] = int(cmd[0])
    else:
        target = _command(args)
    from .slow.wchan import WaitChanges

    def say(line: str) -> None:
        print(line, flush=True)

    # each change of what a thread does, as it is seen; the summary at the end
    samples = spykit.wchan(target, duration=args.duration, interval=args.interval, on_sample=WaitChanges(say))
    print(format_wchan(samples))
    return 0


def _run_diagnose(args: argparse.Namespace) -> int:
    import spykit

    from .progress import reporting
    from .slow.render import diagnosis_text

    with reporting(sys.stderr):
        found = spykit.diagnose(_command(args))
    print(diagnosis_text(found, more="--details") if not args.details
          else f"{diagnosis_text(found, more=None)}\n\n{found.details()}")
    return 0


# -- the parser -----------------------------------------------------------------------------------

def _add_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD ...",
                        help="the program to run and its arguments, after --")


def _add_recording_options(parser: argparse.ArgumentParser, string_limit: int = 32) -> None:
    parser.add_argument("-s", dest="string_limit", type=_non_negative_int, default=string_limit, metavar="N",
                        help=f"show at most N bytes of each string and buffer in the text (default "
                             f"{string_limit}{', like strace' if string_limit == 32 else ''}); answers keep "
                             "4096 bytes of each read and write whatever N is")
    parser.add_argument("--save", metavar="FILE.parquet",
                        help="also save the whole trace, to open later with spykit.load()")


def build_parser() -> argparse.ArgumentParser:
    """The ``spykit`` argument parser with all its subcommands."""
    parser = _Parser(prog="spykit", description="Spy on your programs: trace system calls, find out why "
                                                "a program is slow.")
    sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)

    trace = sub.add_parser("trace", help="print every system call, like strace",
                           description="Run a command and print its system calls, as strace does (to stderr, "
                                       "or -o FILE). Exits with the command's exit status.")
    trace.add_argument("-f", dest="follow", action="store_true", help="follow child processes and threads")
    trace.add_argument("--wait-for-descendants", action="store_true",
                       help="with -f: wait for the children that outlive the command, as strace -f does "
                            "(without it spykit ends them 0.25 s after the command exits, and says so)")
    trace.add_argument("-e", dest="expressions", action="append", metavar="SPEC",
                       help="only these calls, as strace's -e: trace=open,read,%%network, '!write', /regex, "
                            "none (a later -e replaces an earlier one)")
    trace.add_argument("-c", dest="summary", action="store_true",
                       help="print a table of time, calls and errors per system call instead")
    trace.add_argument("-w", dest="wall", action="store_true",
                       help="with -c: charge calls left running at the end until the end (wall time)")
    trace.add_argument("-T", dest="durations", action="store_true", help="show the time spent in each call")
    trace.add_argument("-y", dest="decode_fds", action="store_true",
                       help="show what each fd points to, like strace -y: 3</etc/hostname>")
    trace.add_argument("-tt", dest="wall_clock", action="store_true",
                       help="start each line with the time of day, to the microsecond")
    trace.add_argument("-o", dest="output", metavar="FILE",
                       help="write the trace to FILE (created mode 0600)")
    trace.add_argument("-p", dest="pid", type=_positive(int), metavar="PID",
                       help="attach to a running process instead of starting one (Ctrl-C to stop)")
    trace.add_argument("--duration", type=_positive(float), metavar="SECONDS", help="with -p: detach after SECONDS")
    trace.add_argument("--perfetto", metavar="FILE.json",
                       help="also write a timeline to open in ui.perfetto.dev or chrome://tracing (mode 0600)")
    _add_recording_options(trace)
    _add_command(trace)
    trace.set_defaults(run=_run_trace)

    # A selection lets the seccomp filter skip the calls a question does not need: much faster.
    # network and writes trace every call, so that fd targets stay right as fds are opened, closed, reused.
    questions = [
        ("missing", "the files it looked for and did not find", ["%file"], _missing_text, 32),
        ("files", "every file it opened, probed or ran, with flags in words", ["%file"], _files_text, 32),
        # new processes and exits come from ptrace itself; only execve is needed (its argv is kept whole)
        ("processes", "the processes it started, as a tree", ["execve", "execveat"], _processes_text, 32),
        ("network", "what it sent and received over sockets", None, _network_text, 32),
        ("writes", "where it wrote, how much, and the first bytes", None, _writes_text, 32),
    ]
    for name, summary, selection, answer, string_limit in questions:
        question = sub.add_parser(name, help=summary,
                                  description=f"Run a command under the tracer and print {summary}. "
                                              "Exits with the command's exit status.")
        question.add_argument("-o", dest="output", metavar="FILE",
                              help="write the answer to FILE (created mode 0600) instead of stdout")
        _add_recording_options(question, string_limit)
        question.add_argument("--from", dest="log", metavar="LOG",
                              help="answer from strace's output (a file of strace -o, or the folder or prefix of "
                                   "strace -ff -o) instead of running a command")
        if name in ("missing", "files"):
            question.add_argument("--startup", action="store_true",
                                  help="also list the start-up lookups (loader, locale, PATH search, the "
                                       "interpreter's own start-up), after the program's own rows")
        _add_command(question)
        question.set_defaults(run=_question(selection, answer))

    timing = sub.add_parser("time", help="user, system and waiting time of a command",
                            description="Run a command and split its time into user, system and waiting.")
    _add_command(timing)
    timing.set_defaults(run=_run_time)

    wchan = sub.add_parser("wchan", help="sample what a process waits for in the kernel",
                           description="Sample the wait channel of a running process (spykit wchan PID) "
                                       "or of a command it starts (spykit wchan -- CMD).")
    wchan.add_argument("-d", "--duration", type=_positive(float), metavar="SECONDS",
                       help="stop sampling after SECONDS (a command is killed then); default: until it exits")
    wchan.add_argument("-i", "--interval", type=_positive(float), default=0.01, metavar="SECONDS",
                       help="time between samples (default 0.01)")
    wchan.add_argument("cmd", nargs=argparse.REMAINDER, metavar="PID | -- CMD ...",
                       help="a process id, or a command after --")
    wchan.set_defaults(run=_run_wchan, parser=wchan)

    diagnose = sub.add_parser("diagnose", help="why is it slow? a diagnosis in plain words",
                              description="Run a command, measure it, and say in plain words why it is slow.")
    diagnose.add_argument("--details", action="store_true",
                          help="also print every other number gathered (peak memory, context switches, disk "
                               "blocks, every system call counted, how each run went)")
    _add_command(diagnose)
    diagnose.set_defaults(run=_run_diagnose)
    return parser


def _cannot_start_threads() -> bool:
    probe = threading.Thread(target=lambda: None)
    try:
        probe.start()
    except RuntimeError:
        return True
    probe.join()
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``spykit`` command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    subparser_prog = f"spykit {args.subcommand}"
    try:
        status = args.run(args)
        if sys.stdout is not None:  # (None when started with fd 1 closed)
            sys.stdout.flush()  # here, not at exit, so that a reader gone away is handled below
        return status
    except _UsageError as mistake:
        print(f"{subparser_prog}: error: {mistake} (see '{subparser_prog} --help')", file=sys.stderr)
        return EXIT_USAGE
    except SpykitError as error:
        print(f"spykit: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        if _cannot_start_threads():
            # numpy's OpenBLAS, imported with spykit, raises SIGINT when it cannot start its threads
            print("spykit: cannot start threads: the limit on processes and threads was reached "
                  "(end some processes, or raise the limit: ulimit -u, RLIMIT_NPROC)", file=sys.stderr)
            return EXIT_ERROR
        print("spykit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (spykit ... | head): end quietly, with the status of a program that
        # SIGPIPE killed, as other command-line tools do. Python ignores SIGPIPE, so the write
        # failed instead; what is still buffered must not fail again when Python exits.
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                try:
                    os.dup2(devnull, stream.fileno())
                except (OSError, ValueError):
                    pass
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
