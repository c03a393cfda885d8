"""spykit.profile: callables, scripts and Python command lines, under cProfile."""

from __future__ import annotations

import os
import signal
import stat
import sys
import time
from pathlib import Path

import pytest

from spykit.errors import CommandNotFound, InvalidArgument
from spykit.slow import profile as profile_module
from spykit.slow.profile import COLUMNS, PythonCommand, profile, python_command

SLOW = Path(__file__).parent / "programs" / "slow"


def spin_for(seconds: float) -> int:
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        n += sum(i * i for i in range(1000))
    return n


def test_a_callable_is_profiled_here():
    df = profile(spin_for, 0.2)
    assert list(df.columns) == COLUMNS
    assert df["own"].is_monotonic_decreasing
    mine = df[df["function"] == "spin_for"].iloc[0]
    assert mine["file"] == __file__ and mine["calls"] == 1 and mine["cumulative"] >= 0.15
    assert df["own_share"].sum() == pytest.approx(1.0)


def test_a_script_with_arguments(python_exe):
    df = profile(SLOW / "busy.py", "0.3")
    top = df.iloc[0]
    assert top["function"] == "sum_of_squares"
    assert top["file"].endswith("busy.py") and top["line"] == 7
    assert top["calls"] > 3 and top["own_share"] > 0.5
    assert df.attrs["command"] == [sys.executable, str(SLOW / "busy.py"), "0.3"]
    assert not df.attrs["truncated"]


def test_a_python_command_line_with_c_code(python_exe):
    code = "def crunch():\n    return sum(i * i for i in range(3_000_000))\ncrunch()"
    df = profile([python_exe, "-c", code])
    names = df["function"].tolist()
    assert "crunch" in names[:3] or "<genexpr>" in names[:3]
    crunch = df[df["function"] == "crunch"].iloc[0]
    assert crunch["cumulative"] >= df["own"].iloc[0]


def test_a_module(python_exe, tmp_path):
    doc = tmp_path / "doc.json"
    doc.write_text('{"a": [1, 2, 3]}')
    df = profile(f"{python_exe} -m json.tool {doc}", stdout=open(os.devnull, "w"))
    assert any(f.endswith("json/tool.py") for f in df["file"].dropna())


def test_timeout_keeps_what_was_profiled(python_exe, interruptible):
    # (the grace signal is SIGINT: the profiled program must not inherit an ignored one)
    start = time.monotonic()
    df = profile(SLOW / "busy.py", "30", timeout=0.5)
    assert time.monotonic() - start < 5
    assert df.attrs["truncated"] and df.iloc[0]["function"] == "sum_of_squares"


def test_timeout_keeps_what_was_profiled_when_the_caller_ignores_sigint(python_exe):
    # Under nohup (or `cmd &` without job control) the caller ignores SIGINT; the profiled run is
    # still asked to save with SIGINT, so it must not inherit that: the rows are there all the same.
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        start = time.monotonic()
        df = profile(SLOW / "busy.py", "30", timeout=0.5)
    finally:
        signal.signal(signal.SIGINT, before)
    assert time.monotonic() - start < 5
    assert df.attrs["truncated"] and df.iloc[0]["function"] == "sum_of_squares"


def test_not_python_is_refused_and_a_missing_script_is_not_found(tmp_path):
    with pytest.raises(ValueError, match="not a Python program"):
        profile(["sleep", "0.1"])
    with pytest.raises(CommandNotFound, match="no such Python script"):
        profile(tmp_path / "missing.py")


@pytest.mark.parametrize("where", ["code", "argument"])
def test_a_null_byte_anywhere_in_the_command_is_refused_before_it_starts(python_exe, where):
    """Every string of the command is checked, the code or script and its arguments too, not only
    the interpreter: a \\0 gets spykit's own error, not subprocess's bare ValueError."""
    cmd = [python_exe, "-c", "pass\0", "x"] if where == "code" else [python_exe, "-c", "pass", "a\0b"]
    with pytest.raises(InvalidArgument, match="embedded null byte"):
        profile(cmd)


def test_recognising_python_command_lines(tmp_path):
    assert python_command(["python3", "app.py", "-v"]) == PythonCommand(["python3"], "script", "app.py", ["-v"])
    assert python_command("python3 -u -X dev app.py") == PythonCommand(["python3", "-u", "-X", "dev"], "script",
                                                                       "app.py", [])
    assert python_command("python3.11 -m http.server 8000") == PythonCommand(["python3.11"], "module",
                                                                             "http.server", ["8000"])
    assert python_command(["python", "-c", "print(1)", "x"]) == PythonCommand(["python"], "code", "print(1)", ["x"])
    assert python_command(["python3"]) is None  # the interactive prompt
    assert python_command(["python3", "-"]) is None  # a program on stdin
    assert python_command(["sleep", "1"]) is None
    script = tmp_path / "tool"
    script.write_text("#!/usr/bin/env python3\nprint('hi')\n")
    script.chmod(0o755)
    assert python_command([str(script), "a"]) == PythonCommand([sys.executable], "script", str(script), ["a"])


def test_statistics_file_is_private_and_removed(tmp_path, monkeypatch, python_exe):
    made = []
    real_private_file = profile_module._private_file

    def spy(directory, name, text=""):
        path = real_private_file(directory, name, text)
        made.append((directory, path, stat.S_IMODE(os.stat(path).st_mode), stat.S_IMODE(os.stat(directory).st_mode)))
        return path

    monkeypatch.setattr(profile_module, "_private_file", spy)
    profile([python_exe, "-c", "x = 1"])
    assert made and all(file_mode == 0o600 and dir_mode == 0o700 for _d, _p, file_mode, dir_mode in made)
    assert not any(os.path.exists(d) for d, *_ in made)
