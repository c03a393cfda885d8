"""``spykit.profile``: which functions of a Python program use the time, with cProfile.

A script runs in a subprocess under ``python -m cProfile -o FILE``; a callable runs here.
The statistics file lives in a private temporary directory (mode 0700, the file 0600) and is
removed after reading: it holds file names and function names of the profiled program.

cProfile measures every Python function call, so it slows call-heavy code down (often 2x):
trust the ranking more than the absolute times.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from spykit.errors import CommandNotFound

from ..launch import Command, Prepared, Redirect, Stdio, prepare, refuse_launch_arguments, split_command
from ..procfs import ProcessTree
from ..progress import phase
from .results import Profile
from .run import _ExitWatcher, end_tree, launch

COLUMNS = ["function", "file", "line", "calls", "primitive_calls", "own", "cumulative", "own_share"]

# Interpreter options that take no value, and those that take one (python -X dev, -W error).
_FLAGS = re.compile(r"^-[bBdEhiIOqsSuvV]+$")
_WITH_VALUE = ("-X", "-W")
_PROFILER_NOISE = ("<method 'disable' of '_lsprof.Profiler' objects>",)
_GRACE = 2.0  # seconds between SIGINT (cProfile writes its file) and SIGKILL
_LOOK = 0.05  # seconds between two looks at the process tree


@dataclass(frozen=True)
class PythonCommand:
    """A command line that runs Python code, taken apart: how to run it under cProfile."""

    interpreter: list[str]  # the interpreter and its options
    kind: str  # "script", "module" or "code"
    what: str  # the script path, module name or code string
    args: list[str]


def _is_python(path: str) -> bool:
    return bool(re.fullmatch(r"python[0-9.]*", os.path.basename(path))) or path == sys.executable


def _shebang_is_python(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            first = f.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def python_command(cmd: Command) -> PythonCommand | None:
    """Recognise ``python [opts] script.py args``, ``python -m mod``, ``python -c code`` and
    ``./script.py`` with a python ``#!`` line; ``None`` for anything else."""
    argv = split_command(cmd)
    prog = argv[0]
    found = shutil.which(prog) if "/" not in prog else prog
    if found and not _is_python(prog) and _shebang_is_python(found):
        return PythonCommand([sys.executable], "script", found, argv[1:])
    if not _is_python(prog):
        return None
    interpreter, i = [prog], 1
    while i < len(argv):
        arg = argv[i]
        if arg in _WITH_VALUE and i + 1 < len(argv):
            interpreter += argv[i:i + 2]
            i += 2
        elif _FLAGS.match(arg):
            interpreter.append(arg)
            i += 1
        elif arg in ("-m", "-c") and i + 1 < len(argv):
            return PythonCommand(interpreter, "module" if arg == "-m" else "code", argv[i + 1], argv[i + 2:])
        elif arg.startswith("-"):
            return None  # stdin ("-") or an option we do not know
        else:
            return PythonCommand(interpreter, "script", arg, argv[i + 1:])
    return None


def stats_frame(stats: pstats.Stats) -> pd.DataFrame:
    """A DataFrame from pstats statistics: one row per function, most own time first."""
    rows = []
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = {
        key: value for key, value in stats.stats.items()  # type: ignore[attr-defined]
        if key[2] not in _PROFILER_NOISE}
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values()) or 1.0
    for (filename, line, name), (cc, nc, tt, ct, _callers) in raw.items():
        builtin = filename == "~" and line == 0
        where = (None, None) if builtin else (filename, line)
        rows.append((name, *where, nc, cc, tt, ct, tt / total))
    df = pd.DataFrame.from_records(rows, columns=COLUMNS).astype(
        {"function": "string", "file": "string", "line": "Int64", "calls": "int64",
         "primitive_calls": "int64", "own": "float64", "cumulative": "float64", "own_share": "float64"})
    return df.sort_values(["own", "cumulative"], ascending=False, kind="stable").reset_index(drop=True)


def _private_dir() -> str:
    return tempfile.mkdtemp(prefix="spykit-profile-")  # mode 0700


def _private_file(directory: str, name: str, text: str = "") -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def _run_with_grace(run: Prepared) -> tuple[bool, int, bytes | None, bytes | None]:
    """Run to the end; past its timeout send SIGINT (cProfile saves what it has), then SIGKILL.

    Returns (stopped by the timeout, how many processes it left running that were then ended:
    see :func:`spykit.slow.run.end_tree`, and its captured stdout and stderr).
    """
    with run.stdio() as stdio:
        truncated, ended = _grace(run, stdio)
        return (truncated, ended, *stdio.collect())


def _grace(run: Prepared, stdio: Stdio) -> tuple[bool, int]:
    """:func:`_run_with_grace`'s run, with the program's streams already open."""
    timeout = run.timeout
    # SIGINT is how cProfile is asked to save: a caller that ignores it must not pass that on.
    proc = launch(run, stdin=stdio.stdin, stdout=stdio.stdout, stderr=stdio.stderr, sigint_default=True)
    watcher = _ExitWatcher(proc.pid, is_child=True)
    tree = ProcessTree(proc.pid)  # looked at now and then, to know descendants that leave the session
    start = time.monotonic()
    truncated, ended = False, 0
    try:
        while not watcher.wait(_LOOK if timeout is None else min(_LOOK, start + timeout - time.monotonic())):
            tree.pids()
            if timeout is not None and time.monotonic() - start >= timeout:
                truncated = True
                proc.send_signal(signal.SIGINT)
                if not watcher.wait(_GRACE):
                    ended = end_tree(proc.pid, tree, include_root=True)
                break
        ended += end_tree(proc.pid, tree)
        proc.wait()
        return truncated, ended
    except BaseException:
        end_tree(proc.pid, tree, include_root=True)
        proc.wait()
        raise
    finally:
        watcher.close()


def profile_command(cmd: Command, *, timeout: float | None = None, stdin: Redirect = None,
                    stdout: Redirect = None, stderr: Redirect = None, input: bytes | str | None = None,
                    env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
                    capture_output: bool = False) -> pd.DataFrame | None:
    """Profile a command that runs Python (see :func:`python_command`); ``None`` if it does not.

    ``df.attrs["truncated"]`` is True when the timeout stopped it (the rows then cover the
    part that ran, when the program let cProfile save them). ``df.attrs["ended"]`` counts the
    processes it started and left running, which were killed when it ended. The keyword
    arguments are :func:`spykit.launch.prepare`'s; captured output is in ``df.attrs["stdout"]``
    and ``df.attrs["stderr"]``.
    """
    py = python_command(cmd)
    if py is None:
        return None
    how: dict[str, Any] = dict(stdin=stdin, stdout=stdout, stderr=stderr, input=input, env=env, cwd=cwd,
                               timeout=timeout, capture_output=capture_output)
    # every argument checked (and the interpreter found) before anything is made or started
    checked = prepare([*py.interpreter, py.what, *py.args], **how)
    command = split_command(cmd)
    workdir = _private_dir()
    try:
        out = _private_file(workdir, "profile.pstats")
        what = py.what
        if py.kind == "code":  # cProfile runs files and modules, not -c strings
            what = _private_file(workdir, "code.py", py.what)
        argv = [*py.interpreter, "-m", "cProfile", "-o", out]
        argv += ["-m", what] if py.kind == "module" else [what]
        with phase(f"profile: {command[0]} under cProfile"):
            truncated, ended, said, said_err = _run_with_grace(replace(checked, argv=argv + py.args))
        if os.path.getsize(out) == 0:
            return None  # killed before cProfile could write
        df = stats_frame(pstats.Stats(out))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    df.attrs.update(command=command, truncated=truncated, ended=ended)
    if said is not None or said_err is not None:
        df.attrs.update(stdout=said, stderr=said_err)
    return df


def profile(target: Callable[..., Any] | str | os.PathLike[str] | Sequence[str], *args: Any,
            timeout: float | None = None, stdout: Redirect = None, stderr: Redirect = None,
            env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
            stdin: Redirect = None, input: bytes | str | None = None, capture_output: bool = False) -> Profile:
    """Where a Python program spends its time, per function, most own time first.

    Returns a :class:`~spykit.slow.results.Profile`: one row per function in ``.df``, the run in
    ``.attrs`` (``command``, ``truncated``, ``ended``); ``print()`` and a notebook show the
    functions with the most own time. It answers DataFrame questions as before (``p["function"]``,
    ``p.iloc[0]``, ``p.attrs["truncated"]``).

    ``target`` is a callable (called here as ``target(*args)``), a path to a Python script
    (run with ``args`` as its argv, in a subprocess with this interpreter), or a command
    line that runs Python (``"python3 -m http.server"``, ``["python3", "app.py", "-v"]``).

    Columns: function, file, line (<NA> for built-ins), calls, primitive_calls (calls that
    were not recursive), own (seconds in the function itself), cumulative (including what it
    called), own_share (fraction of all own time).

    For a script or command the keyword arguments mean what they mean in :func:`subprocess.run`
    (see :func:`spykit.launch.prepare`); captured output is in ``df.attrs["stdout"]`` and
    ``df.attrs["stderr"]``. A callable runs here, in this process, so they do not apply to it.
    """
    if callable(target):
        refuse_launch_arguments("{name}= is for a program spykit.profile starts; a callable runs here, in this "
                                "process", "profile a script or command", timeout=timeout, stdin=stdin,
                                stdout=stdout, stderr=stderr, input=input, env=env, cwd=cwd,
                                capture_output=capture_output)
        profiler = cProfile.Profile()
        profiler.runcall(target, *args)
        df = stats_frame(pstats.Stats(profiler))
        df.attrs.update(command=[getattr(target, "__qualname__", repr(target))], truncated=False, ended=0)
        return Profile(df)
    if isinstance(target, (str, os.PathLike)) and os.path.isfile(target):
        cmd: Command = [sys.executable, os.fspath(target), *map(str, args)]
    elif isinstance(target, os.PathLike) or (isinstance(target, str) and target.endswith(".py")):
        raise CommandNotFound(f"no such Python script: {os.fspath(target)!r}",
                              hint="check the path, relative to the current directory")
    else:
        cmd = [*split_command(target), *map(str, args)]  # type: ignore[arg-type]
    df = profile_command(cmd, timeout=timeout, stdin=stdin, stdout=stdout, stderr=stderr, input=input, env=env,
                         cwd=cwd, capture_output=capture_output)
    if df is None:
        raise ValueError(f"not a Python program: {split_command(cmd)!r}; spykit.profile runs Python "
                         "scripts and callables (for other programs, try spykit.diagnose)")
    return Profile(df)
