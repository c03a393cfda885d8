"""Starting a program: the one place that turns what a caller asked for into what a launcher needs.

Every public function that runs a program (``trace``, ``time``, ``diagnose``, ``wchan`` and
``profile`` given a command) takes the same keyword arguments, with :mod:`subprocess`'s
meanings: ``stdin``, ``stdout``, ``stderr``, ``input``, ``env``, ``cwd``, ``timeout`` and
``capture_output``. :func:`prepare` checks them all, splits the command and finds its program on
PATH, before anything starts; :class:`Stdio` then turns the three streams into file descriptors
for the run and collects captured output afterwards.

Two launchers take what is prepared here: the tracer's stopped child
(:func:`spykit.tracer.launch.spawn_stopped`) and the slow tools' session
(:func:`spykit.slow.run.launch`). Both report a failed ``execve`` through :func:`exec_failure`.

Only the standard library and :mod:`spykit.errors` are imported: this sits at the bottom of the
import graph.
"""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import IO, Any

from .errors import CommandNotFound, EmptyCommand, InvalidArgument, NoSuchDirectory, NotExecutable, SpykitError

PIPE, DEVNULL, STDOUT = subprocess.PIPE, subprocess.DEVNULL, subprocess.STDOUT

Command = str | bytes | Sequence[str | bytes | os.PathLike[str]]
Redirect = int | IO[Any] | None


def split_command(cmd: Command) -> list[str]:
    """A command as an argv list: a string is split as a shell splits words (no shell runs)."""
    if isinstance(cmd, str | bytes):
        text = os.fsdecode(cmd)
        try:
            argv = shlex.split(text)
        except ValueError as e:  # an unclosed quote
            raise InvalidArgument(f"the command {text!r} cannot be split into words: {e}",
                                  hint="close the quote, or give the command as a list of arguments") from None
    elif isinstance(cmd, Sequence):
        argv = [os.fsdecode(a) if isinstance(a, bytes) else os.fspath(a) for a in cmd]
    else:
        raise InvalidArgument(f"a command is a string or a list of arguments, not {type(cmd).__name__}",
                              hint="e.g. ['ls', '-l'] or 'ls -l'")
    if not argv:
        raise EmptyCommand("empty command: no program to run",
                           hint="give the program and its arguments, e.g. ['ls', '-l'] or 'ls -l'")
    return argv


def resolve_executable(program: str, env: Mapping[str, str] | None = None) -> str:
    """The path execve will run, found as the shell finds it (PATH from ``env`` when given), or a
    :class:`CommandNotFound` / :class:`NotExecutable` that says why there is none."""
    if "/" in program:
        if not os.path.exists(program):
            raise CommandNotFound(f"{program}: no such file",
                                  hint="check the path (relative to the current directory), or use the program's name")
        path = program
    else:
        search = (os.environ if env is None else env).get("PATH", os.defpath)
        found = shutil.which(program, path=search)
        if found is None:
            # which() skips files that are not executable: say so when that is why.
            for d in search.split(os.pathsep):
                candidate = os.path.join(d or ".", program)
                if os.path.isfile(candidate):
                    raise NotExecutable(f"{candidate}: found but not executable",
                                        hint=f"make it executable with: chmod +x {candidate}")
            raise CommandNotFound(f"{program}: command not found (searched PATH={search})",
                                  hint="check the spelling, or give the full path to the program")
        path = found
    if stat.S_ISDIR(os.stat(path).st_mode):
        raise NotExecutable(f"{path}: is a directory", hint="give the path of a program, not a folder")
    if not os.access(path, os.X_OK):
        raise NotExecutable(f"{path}: permission denied (not executable)",
                            hint=f"make it executable with: chmod +x {path}, or run it with its interpreter")
    return path


def exec_failure(err: int, path: str) -> SpykitError:
    """The error for an ``execve`` (or fork) that failed with ``errno`` ``err``, past every check above."""
    if err == errno.ENOENT:
        # The file was there when checked: what is missing is its #! interpreter or its ELF loader.
        return CommandNotFound(f"{path}: could not be started (a file it needs, such as its interpreter, "
                               "is missing)", hint="check the first line (#!) of a script, or the program's loader")
    if err in (errno.EACCES, errno.EPERM):
        return NotExecutable(f"{path}: permission denied", hint=f"check with: ls -l {path}")
    if err == errno.ENOEXEC:
        return NotExecutable(f"{path}: not a program the kernel can run (exec format error)",
                             hint="a script needs a first line such as #!/bin/sh, or run it with its interpreter")
    if err == errno.EAGAIN:
        return SpykitError(f"{path}: could not be started: the limit on processes was reached",
                           hint="end some processes, or raise the limit (ulimit -u, RLIMIT_NPROC)")
    return SpykitError(f"{path}: could not be started: {os.strerror(err)}")


@dataclass(frozen=True)
class Prepared:
    """A command ready to start: every argument checked, nothing opened yet."""

    argv: list[str]
    executable: str  # the path execve runs
    env: dict[str, str] | None  # None: the caller's environment
    cwd: str | None
    stdin: Redirect  # None, an open fd, a file object, DEVNULL (PIPE became input=b"")
    stdout: Redirect  # None, an open fd, a file object, DEVNULL or PIPE (captured)
    stderr: Redirect  # the same, or STDOUT
    input: bytes | None
    timeout: float | None

    def stdio(self) -> Stdio:
        """The three streams as file descriptors for one run (a context manager)."""
        return Stdio(self)


def _check_stream(name: str, value: Any) -> Redirect:
    allowed = {PIPE, DEVNULL} | ({STDOUT} if name == "stderr" else set())
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value in allowed):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise InvalidArgument(f"{name}={value} is not a file descriptor",
                                  hint=f"give {name}= an open file, an fd (0 or more), subprocess.DEVNULL or None")
        fd = value
    else:
        try:
            fd = value.fileno()
        except (AttributeError, OSError, ValueError):
            raise InvalidArgument(f"{name}={value!r} has no file descriptor the program could use",
                                  hint=("pass bytes with input= instead" if name == "stdin" else
                                        f"use {name}=subprocess.PIPE (or capture_output=True) to get the text")
                                  + ", or open a real file") from None
    try:
        os.fstat(fd)
    except OSError:
        raise InvalidArgument(f"{name}={value!r}: file descriptor {fd} is not open",
                              hint="open the file first, and keep it open until the call returns") from None
    return value


def _check_env(env: Mapping[str, str] | None) -> dict[str, str] | None:
    if env is None:
        return None
    if not isinstance(env, Mapping):
        raise InvalidArgument(f"env must be a mapping of names to values, not {type(env).__name__}",
                              hint="e.g. env={**os.environ, 'LANG': 'C'}")
    out = {}
    for key, raw in env.items():
        # (as subprocess: str, bytes or a path; bytes are decoded the way os.fsdecode does, losslessly)
        try:
            name, value = os.fsdecode(key), os.fsdecode(raw)
        except TypeError:
            raise InvalidArgument(f"env holds {key!r}: {raw!r}; names and values must be strings",
                                  hint="convert values with str(), e.g. env={'N': str(4)}") from None
        if not name or "=" in name:
            raise InvalidArgument(f"illegal environment variable name {name!r}: a name cannot be empty or "
                                  "contain '='", hint="rename or drop that variable")
        out[name] = value
    return out


def prepare(cmd: Command, *, stdin: Redirect = None, stdout: Redirect = None, stderr: Redirect = None,
            input: bytes | str | None = None, env: Mapping[str, str] | None = None,
            cwd: str | os.PathLike[str] | None = None, timeout: float | None = None,
            capture_output: bool = False) -> Prepared:
    """Check a command and subprocess-style keyword arguments; raise before anything starts.

    Rules as in :func:`subprocess.run`: ``input`` (bytes, or str encoded as UTF-8) excludes
    ``stdin``; ``capture_output`` excludes ``stdout`` and ``stderr`` and means both are PIPE;
    PIPE for stdout/stderr captures that stream; ``stderr=STDOUT`` sends it where stdout goes.
    ``stdin=PIPE`` gives the program an empty input (nothing writes to it before it ends).
    """
    if input is not None and stdin is not None:
        raise InvalidArgument("stdin and input cannot both be given: input= is fed to the program's stdin",
                              hint="drop one of them")
    if capture_output and (stdout is not None or stderr is not None):
        raise InvalidArgument("capture_output=True cannot be combined with stdout= or stderr=",
                              hint="capture_output=True is the same as stdout=subprocess.PIPE, "
                                   "stderr=subprocess.PIPE; give one or the other")
    if isinstance(input, str):
        input = input.encode()
    elif input is not None and not isinstance(input, bytes | bytearray | memoryview):
        raise InvalidArgument(f"input must be bytes or str, not {type(input).__name__}",
                              hint="e.g. input=b'yes\\n'")
    if stdin == PIPE and not isinstance(stdin, bool):
        stdin, input = None, b""
    elif stdin is not None:
        stdin = _check_stream("stdin", stdin)
    if capture_output:
        stdout = stderr = PIPE
    stdout, stderr = _check_stream("stdout", stdout), _check_stream("stderr", stderr)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, Real) or timeout < 0):
        raise InvalidArgument(f"timeout must be a number of seconds, 0 or more, not {timeout!r}",
                              hint="e.g. timeout=10, or None for no limit")
    environment = _check_env(env)
    argv = split_command(cmd)
    where = None if cwd is None else os.fspath(cwd)
    if where is not None and not os.path.isdir(where):
        raise NoSuchDirectory(f"cwd={where!r} is not a directory: the program cannot start there",
                              hint="create the folder first, or give an existing one")
    # What execve would refuse, refused here in words (in the child it would only be an exit 127).
    variables = environment or {}
    for what, texts in (("the command", argv), ("the environment", [*variables, *variables.values()])):
        if any("\0" in t for t in texts):
            raise InvalidArgument(f"embedded null byte in {what}: a program's arguments and environment "
                                  "cannot hold one", hint="remove the \\0 character")
    executable = resolve_executable(argv[0], environment)
    if where is not None and "/" in argv[0]:
        executable = os.path.abspath(executable)  # checked from here: run the same file from cwd
    return Prepared(argv=argv, executable=executable, env=environment, cwd=where, stdin=stdin, stdout=stdout,
                    stderr=stderr, input=None if input is None else bytes(input),
                    timeout=None if timeout is None else float(timeout))


def refuse_launch_arguments(message: str, instead: str, **given: Any) -> None:
    """Refuse :func:`prepare`'s keyword arguments where nothing is started (a running process, a
    callable run here): InvalidArgument for the first one given. ``message`` names the argument as
    ``{name}``; the hint says to drop it or do ``instead``. ``capture_output=False`` is not giving it."""
    for name, value in given.items():
        if value is not None and value is not False:
            raise InvalidArgument(message.format(name=name), hint=f"drop {name}=, or {instead}")


class Stdio:
    """The program's stdin, stdout and stderr as fds (None: the caller's own), for one run.

    Input and captured output go through unlinked temporary files, not pipes: nothing has to
    feed or drain them while the program runs, so a program that writes a lot before it reads
    cannot deadlock against us. Use as a context manager; :meth:`collect` reads what was
    captured once the program has ended.
    """

    def __init__(self, prepared: Prepared):
        self._files: list[IO[bytes]] = []
        self._captured: dict[str, IO[bytes]] = {}
        try:
            self.stdin = self._fd("stdin", prepared.stdin, prepared.input)
            self.stdout = self._fd("stdout", prepared.stdout, None)
            if prepared.stderr == STDOUT and isinstance(prepared.stderr, int):
                self.stderr = 1 if self.stdout is None else self.stdout  # (the caller's stdout, as subprocess)
            else:
                self.stderr = self._fd("stderr", prepared.stderr, None)
        except BaseException:
            self.close()
            raise

    def _fd(self, name: str, value: Redirect, data: bytes | None) -> int | None:
        if data is not None:
            f = tempfile.TemporaryFile()
            self._files.append(f)
            f.write(data)
            f.seek(0)
            return f.fileno()
        if value is None:
            return None
        if value == DEVNULL and isinstance(value, int):
            f = open(os.devnull, "rb" if name == "stdin" else "wb")  # noqa: SIM115 (closed in close())
            self._files.append(f)
            return f.fileno()
        if value == PIPE and isinstance(value, int):
            f = tempfile.TemporaryFile()
            self._files.append(f)
            self._captured[name] = f
            return f.fileno()
        return value if isinstance(value, int) else value.fileno()

    def collect(self) -> tuple[bytes | None, bytes | None]:
        """What the program wrote to captured streams (None for a stream not captured)."""
        out = []
        for name in ("stdout", "stderr"):
            f = self._captured.get(name)
            if f is None:
                out.append(None)
            else:
                f.seek(0)
                out.append(f.read())
        return out[0], out[1]

    def close(self) -> None:
        for f in self._files:
            f.close()
        self._files = []

    def __enter__(self) -> Stdio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["DEVNULL", "PIPE", "STDOUT", "Command", "Prepared", "Redirect", "Stdio", "exec_failure", "prepare",
           "resolve_executable", "split_command"]
