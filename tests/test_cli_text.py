"""The command line's text without pandas: the same lines as the DataFrame's text, for the same recording."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap

import pytest

import spykit
from spykit.render.lines import CallRow, EventRow, call_line, trace_lines
from spykit.tracer.api import _trace
from spykit.tracer.build import build_trace
from spykit.tracer.rows import TextTrace


def both_ways(cmd, **options):
    """One recording, read both ways: (TextTrace from its rows, Trace from its DataFrame)."""

    def build(rec, meta):
        rows = TextTrace.from_recorder(copy.deepcopy(rec), copy.deepcopy(meta))
        return rows, build_trace(rec, meta)  # (building the frame uses the recorder up)

    return _trace(build, cmd, capture_output=True, **options)


PROGRAM = textwrap.dedent("""
    import os, signal, threading, socket
    signal.signal(signal.SIGUSR1, lambda *a: None)
    os.kill(os.getpid(), signal.SIGUSR1)
    open("/nonexistent/spykit-test", "a") if os.path.exists("/nonexistent") else None
    try:
        os.stat("/nonexistent/spykit-test")
    except OSError:
        pass
    a, b = socket.socketpair()
    a.send(b"hello\\x00\\xff"); b.recv(16)
    t = threading.Thread(target=lambda: os.getppid()); t.start(); t.join()
    if os.fork() == 0:
        os.write(1, b"child\\n"); os._exit(3)
    os.wait()
    os.kill(os.getpid(), signal.SIGTERM)
""")


@pytest.mark.parametrize("options", [{}, {"decode_fds": True, "string_limit": 4}, {"syscalls": ["%file", "write"]}])
def test_rows_give_the_same_text_as_the_frame(options):
    rows, trace = both_ways([sys.executable, "-c", PROGRAM], **options)
    assert len(rows.calls) == len(trace.df) > 20
    for variant in ({}, {"durations": True}, {"timestamps": True}, {"pids": True}, {"events": False},
                    {"limit": 7}):
        assert rows.to_text(**variant) == trace.to_text(**variant), variant
    assert rows.returncode == trace.returncode == -15


def test_rows_say_when_max_events_cut_the_recording():
    rows, trace = both_ways(["ls", "/"], max_events=5)
    assert rows.to_text() == trace.to_text()
    assert rows.to_text().endswith("trace.counts still has every call")


def test_call_line_from_plain_values():
    row = CallRow(0.5, 42, "openat", 'AT_FDCWD, "/x", O_RDONLY', -1, "ENOENT", 0.000021, False)
    assert call_line(row) == 'openat(AT_FDCWD, "/x", O_RDONLY)        = -1 ENOENT (No such file or directory)'
    assert call_line(row, pids=True, durations=True) == \
        '[pid    42] openat(AT_FDCWD, "/x", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000021>'
    unfinished = CallRow(0.7, 42, "exit_group", "0", None, None, None, True)
    assert call_line(unfinished, durations=True) == "exit_group(0)                           = ?"
    i386 = CallRow(0.6, 42, "brk", "NULL", 0x1000, None, 0.0, False, abi="i386")
    text = trace_lines([row, i386], [EventRow(0.65, 42, "exit", "+++ exited with 0 +++")])
    assert text.splitlines()[1:] == ["[ Process PID=42 runs in 32 bit mode. ]",
                                     "brk(NULL)                               = 0x1000",
                                     "+++ exited with 0 +++"]


def _cli(args: list[str], check_modules: bool = False, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    code = ("import sys\nfrom spykit.cli import main\nstatus = main(sys.argv[1:])\n"
            + ("print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))\n" if check_modules else "")
            + "sys.exit(status)")
    return subprocess.run([sys.executable, "-c", code, *args], stdout=stdout, stderr=subprocess.PIPE, text=True,
                          timeout=60)


def test_cli_text_needs_neither_pandas_nor_numpy(tmp_path):
    out = tmp_path / "out.txt"
    done = _cli(["trace", "-o", str(out), "--", "true"], check_modules=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert out.read_text().startswith('execve("')
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"


def test_cli_text_equals_the_dataframe_text(tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("some words\n")
    out = tmp_path / "out.txt"
    cmd = ["cat", str(data)]
    # (the program's output goes to a file both times, as capture_output sends it: cat copies to a
    # file with copy_file_range, to a pipe with read and write)
    with open(tmp_path / "stdout", "wb") as stdout:
        done = _cli(["trace", "-o", str(out), "-e", "trace=openat,read,write,close", "--", *cmd], stdout=stdout)
    assert done.returncode == 0, done.stderr
    expected = spykit.trace(cmd, syscalls=["openat", "read", "write", "close"], capture_output=True).to_text()
    assert out.read_text() == expected + "\n"
    assert 'openat(AT_FDCWD, "' + str(data) + '", O_RDONLY) = 3' in expected
