"""One way to start a program: every public function that runs one takes the same keyword
arguments (subprocess's), reports the same errors, and refuses bad combinations before anything runs."""

from __future__ import annotations

import inspect
import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import spykit
from spykit.errors import CommandNotFound, EmptyCommand, InvalidArgument, NoSuchDirectory, NotExecutable
from spykit.launch import prepare, split_command

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = ("stdin", "stdout", "stderr", "input", "env", "cwd", "timeout", "capture_output")


def _trace(cmd, **kw):
    return spykit.trace(cmd, **kw)


def _diagnose(cmd, **kw):
    return spykit.diagnose(cmd, count_syscalls=False, profile_python=False, **kw)


# Each runner, and where its result keeps captured stdout and stderr.
RUNNERS = {
    "trace": (_trace, lambda r: (r.stdout, r.stderr)),
    "time": (lambda cmd, **kw: spykit.time(cmd, **kw), lambda r: (r.stdout, r.stderr)),
    "diagnose": (_diagnose, lambda r: (r.timing.stdout, r.timing.stderr)),
    "wchan": (lambda cmd, **kw: spykit.wchan(cmd, **kw), lambda r: (r.attrs.get("stdout"), r.attrs.get("stderr"))),
    "profile": (lambda cmd, **kw: spykit.profile(cmd, **kw), lambda r: (r.attrs.get("stdout"), r.attrs.get("stderr"))),
}


@pytest.fixture(params=list(RUNNERS))
def runner(request):
    return RUNNERS[request.param]


def py(code: str) -> list[str]:
    """A Python command: every runner (profile included) takes it."""
    return [sys.executable, "-c", code]


ECHO = py("import sys; data = sys.stdin.read(); print('out', data, flush=True); print('err', file=sys.stderr)")


def test_def_split_command_exists_once():
    defs = [p for p in (ROOT / "spykit").rglob("*.py") if re.search(r"^def split_command", p.read_text(), re.M)]
    assert [p.relative_to(ROOT).as_posix() for p in defs] == ["spykit/launch.py"]


@pytest.mark.parametrize("name", list(RUNNERS))
def test_every_runner_takes_the_same_keywords(name):
    function = getattr(spykit, name)
    assert set(KEYWORDS) <= set(inspect.signature(function).parameters), name


def test_capture_output_and_input(runner):
    run, output = runner
    out, err = output(run(ECHO, capture_output=True, input=b"hello"))
    assert out == b"out hello\n" and err == b"err\n"
    out, err = output(run(ECHO, capture_output=True, input="text too"))
    assert out == b"out text too\n"


def test_pipe_and_stderr_to_stdout(runner):
    run, output = runner
    out, err = output(run(ECHO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    assert out == b"out \nerr\n" and err is None


def test_stdio_to_files_and_fds(runner, tmp_path):
    run, output = runner
    source = tmp_path / "in"
    source.write_bytes(b"from a file")
    with open(source, "rb") as fin, open(tmp_path / "out", "wb") as fout:
        errfd = os.open(tmp_path / "err", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            result = run(ECHO, stdin=fin, stdout=fout, stderr=errfd)
        finally:
            os.close(errfd)
    assert output(result) == (None, None)
    assert (tmp_path / "out").read_bytes() == b"out from a file\n"
    assert (tmp_path / "err").read_bytes() == b"err\n"


def test_env_cwd_and_path_from_env(runner, tmp_path):
    run, output = runner
    code = "import os; print(os.getcwd(), os.environ.get('SPYKIT_PROBE'), 'PATH' in os.environ)"
    out, _ = output(run(py(code), env={"SPYKIT_PROBE": "42"}, cwd=tmp_path, capture_output=True))
    assert out.decode().split() == [str(tmp_path), "42", "False"]
    # The program is found on the PATH of the env it is given, not the caller's.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3.99").symlink_to(sys.executable)
    out, _ = output(run(["python3.99", "-c", "print('found')"], env={"PATH": str(bin_dir)}, capture_output=True))
    assert out == b"found\n"


@pytest.mark.parametrize("kwargs, words", [
    ({"stdin": subprocess.DEVNULL, "input": b"x"}, "stdin and input"),
    ({"capture_output": True, "stdout": subprocess.DEVNULL}, "capture_output"),
    ({"stdin": io.BytesIO(b"x")}, "input="),
    ({"stdout": io.StringIO()}, "PIPE"),
    ({"stdout": 987}, "not open"),
    ({"stdin": subprocess.STDOUT}, "not a file descriptor"),
    ({"input": 5}, "bytes or str"),
    ({"timeout": -1}, "timeout"),
    ({"env": {"A=B": "1"}}, "environment variable name"),
    ({"env": {"N": 4}}, "must be strings"),
])
def test_bad_combinations_are_refused_before_anything_starts(runner, tmp_path, kwargs, words):
    run, _ = runner
    marker = tmp_path / "ran"
    with pytest.raises(InvalidArgument, match=words) as info:
        run(py(f"open({str(marker)!r}, 'w')"), **kwargs)
    assert isinstance(info.value, ValueError) and info.value.hint
    assert not marker.exists()


def test_the_same_errors_for_commands_that_cannot_run(runner, tmp_path):
    run, _ = runner
    for empty in ([], "  "):
        with pytest.raises(EmptyCommand, match="empty command") as info:
            run(empty)
        assert isinstance(info.value, ValueError) and isinstance(info.value, CommandNotFound)
    with pytest.raises(CommandNotFound, match=r"python9\.9: command not found \(searched PATH="):
        run(["python9.9", "-c", "pass"])
    with pytest.raises(CommandNotFound, match="no such file"):
        run([str(tmp_path / "python3"), "-c", "pass"])
    folder = tmp_path / "dir" / "python3"
    folder.mkdir(parents=True)
    with pytest.raises(NotExecutable, match="is a directory"):
        run([str(folder), "-c", "pass"])
    plain = tmp_path / "plain" / "python3"
    plain.parent.mkdir()
    plain.write_text("#!/bin/sh\n")
    with pytest.raises(NotExecutable, match="chmod \\+x") as info:
        run([str(plain), "-c", "pass"])
    assert isinstance(info.value, PermissionError)
    with pytest.raises(NoSuchDirectory, match="not a directory") as info:
        run(py("pass"), cwd=tmp_path / "nowhere")
    assert isinstance(info.value, FileNotFoundError)


def test_exec_failures_read_the_same_from_both_launchers(tmp_path):
    """A file that passes the checks but that the kernel cannot run: the tracer's stopped child and
    the slow tools' session report it in the same words."""
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00\x01 not a program")
    junk.chmod(0o755)
    no_interpreter = tmp_path / "script"
    no_interpreter.write_text("#!/nonexistent/interpreter\n")
    no_interpreter.chmod(0o755)
    for program, error, words in ((junk, NotExecutable, "exec format error"),
                                  (no_interpreter, CommandNotFound, "interpreter")):
        messages = set()
        for function in (spykit.trace, spykit.time, spykit.wchan):
            with pytest.raises(error, match=words) as info:
                function([str(program)])
            messages.add(info.value.message)
        assert len(messages) == 1, messages


def test_split_and_prepare():
    assert split_command("ls -l 'a b'") == ["ls", "-l", "a b"]
    assert split_command(b"ls -l") == ["ls", "-l"]
    assert split_command([Path("/bin/ls"), b"-l"]) == ["/bin/ls", "-l"]
    with pytest.raises(InvalidArgument, match="cannot be split"):
        split_command("echo 'unclosed")
    with pytest.raises(InvalidArgument, match="string or a list"):
        split_command(42)  # type: ignore[arg-type]
    run = prepare("true", stdin=subprocess.PIPE, timeout=3)
    assert run.input == b"" and run.stdin is None and run.timeout == 3.0
    assert os.path.isabs(run.executable) and run.argv == ["true"]
    # a relative program is checked from here, so it runs from here when cwd is elsewhere
    here = os.path.relpath(sys.executable)
    assert os.path.isabs(prepare([here, "-c", "pass"], cwd="/").executable)


def test_wchan_and_profile_refuse_stdio_where_nothing_starts():
    with pytest.raises(InvalidArgument, match="already running"):
        spykit.wchan(os.getpid(), input=b"x", duration=0.01)
    with pytest.raises(InvalidArgument, match="both"):
        spykit.wchan("true", duration=1, timeout=1)
    with pytest.raises(InvalidArgument, match="callable runs here"):
        spykit.profile(print, capture_output=True)


# How each runner says the timeout ended the program.
TIMED_OUT = {
    "time": lambda r: r.timed_out,
    "diagnose": lambda r: r.timing.timed_out,
    "wchan": lambda r: r.attrs["returncode"] == -signal.SIGKILL and r.attrs["elapsed"] < 5,
    "profile": lambda r: r.attrs["truncated"] is True,
}


@pytest.mark.parametrize("name", list(RUNNERS))
def test_timeout_is_the_same_limit_everywhere(name):
    run, _ = RUNNERS[name]
    start = time.monotonic()
    sleeper = py("import time; time.sleep(30)")
    if name == "trace":  # the documented way a timeout ends a trace
        with pytest.raises(spykit.TraceInterrupted):
            run(sleeper, timeout=0.5, stdin=subprocess.DEVNULL)
    else:
        result = run(sleeper, timeout=0.5, stdin=subprocess.DEVNULL)
        assert TIMED_OUT[name](result), name
    assert time.monotonic() - start < 15
