"""strace's -e trace= syntax, read by one parser for the command line and the notebook magic, and
checked against what real strace selects."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import spykit
from spykit.errors import SpykitError
from spykit.syscalls.table import ALL_NAMES, CLASSES, expand_selection, parse_trace_option

ROOT = Path(__file__).resolve().parent.parent


def test_the_parser_is_defined_once():
    """cli.py and magics.py call the one parser; neither splits -e values itself."""
    for module in ("spykit/cli.py", "spykit/notebook/magics.py"):
        text = (ROOT / module).read_text()
        assert "parse_trace_option(" in text and 'split(",")' not in text and "rpartition(\"=\")" not in text, module


@pytest.mark.parametrize("expressions, expected", [
    (None, None),
    ([], None),
    (["openat"], ["openat"]),
    (["trace=openat,read"], ["openat", "read"]),
    (["t=%file"], ["%file"]),
    (["trace=read", "trace=write"], ["write"]),  # as in strace, the last -e trace= wins
    (["trace=getpid,"], ["getpid"]),  # strace ignores an empty item
    (["trace=!read"], ["!read"]),
    (["trace=none"], ["none"]),
    (["/^getp"], ["/^getp"]),
])
def test_parse_trace_option(expressions, expected):
    assert parse_trace_option(expressions) == expected


@pytest.mark.parametrize("expression, words", [
    ("signal=none", "only -e trace="),
    ("trace=", "no system call"),
    ("trace=opne", "unknown system call 'opne'"),
    ("trace=%nonsense", "unknown syscall class"),
    ("trace=read,!write", "only come first"),
    ("trace=/[", "not a regular expression"),
    ("trace=/zzzq", "no system call matches"),
    ("trace=getpid@32", "every ABI"),
    ("trace=!", "needs the calls"),
])
def test_typos_are_one_clear_error(expression, words):
    with pytest.raises(SpykitError, match=re.escape(words)) as info:
        parse_trace_option([expression])
    assert info.value.hint


def test_items_expand_as_strace_reads_them():
    everything = set(ALL_NAMES)
    assert expand_selection("all") == everything
    assert expand_selection("none") == set()
    assert expand_selection("!read,write") == everything - {"read", "write"}
    assert expand_selection("?nosuch,getpid") == {"getpid"}
    assert expand_selection("?/zzzq") == set()
    assert expand_selection("/^getp") == {n for n in everything if n.startswith("getp")}
    assert expand_selection("file") == expand_selection("%file") == set(CLASSES["file"])
    assert expand_selection("%net") == set(CLASSES["network"])
    assert expand_selection("%statfs") == {"statfs"}  # (it was the union of %%statfs)
    assert expand_selection("%%statfs") == {"statfs", "fstatfs", "ustat"}  # (strace 6.1's %%statfs)
    assert expand_selection("%pure") == set(CLASSES["pure"]) >= {"getpid", "getppid", "getuid"}


def test_a_comma_separated_string_selects_the_same_for_trace_and_filter():
    """trace(syscalls="openat,read") said "unknown system call 'openat,read'" while filter() took it."""
    assert expand_selection(["openat,read"]) == {"openat", "read"}
    traced = spykit.trace(["true"], syscalls="openat,close")
    listed = spykit.trace(["true"], syscalls=["openat", "close"])
    assert set(traced.df["syscall"].astype(str)) == set(listed.df["syscall"].astype(str)) == {"openat", "close"}
    assert set(spykit.trace(["true"]).filter(syscalls="openat,close").df["syscall"].astype(str)) == {"openat", "close"}


def test_the_cli_and_the_magic_report_the_same_typo():
    cli = subprocess.run([sys.executable, "-m", "spykit", "trace", "-e", "trace=opne", "--", "true"],
                         capture_output=True, text=True)
    assert cli.returncode == 2 and "unknown system call 'opne'" in cli.stderr
    assert len(cli.stderr.strip().splitlines()) == 1
    from IPython.core.error import UsageError

    from spykit.notebook.magics import parse_selection

    with pytest.raises(UsageError, match="unknown system call 'opne'"):
        parse_selection(["trace=opne"])


def _strace_names(strace_exe: str, program: str, expressions: list[str], out: Path) -> set[str]:
    options = [arg for e in expressions for arg in ("-e", e)]
    subprocess.run([strace_exe, "-f", "-qq", "-o", str(out), *options, program], check=True,
                   stdin=subprocess.DEVNULL)
    names = set()
    for line in out.read_text().splitlines():
        match = re.match(r"(?:\d+ +)?([a-z_0-9]+)\(", line)
        if match:
            names.add(match[1])
    return names


# Specs where spykit means what strace means (spykit's `open` and %stat also select the calls
# glibc uses today, on purpose: see facts.md).
SPECS = [
    ["trace=getpid,getppid"],
    ["getuid"],
    ["t=%creds"],
    ["trace=%pure"],
    ["trace=%file"],
    ["trace=%desc"],
    ["trace=%memory"],
    ["trace=%process"],
    ["trace=%signal"],
    ["trace=%network"],
    ["trace=%%statfs"],
    ["trace=%statfs"],
    ["trace=!%memory,%desc"],
    ["trace=/^get"],
    ["trace=?nosuch,geteuid"],
    ["trace=getpid", "trace=getppid"],
    ["trace=all", "trace=!read"],
    ["trace=none"],
]


@pytest.mark.parametrize("expressions", SPECS, ids=[" ".join(s) for s in SPECS])
def test_selection_agrees_with_strace(expressions, compile_c, strace_exe, tmp_path):
    program = compile_c("selection/many_kinds.c")
    expected = _strace_names(strace_exe, program, expressions, tmp_path / "strace.out")
    trace = spykit.trace([program], syscalls=parse_trace_option(expressions), stdin=subprocess.DEVNULL)
    assert set(trace.df["syscall"].astype(str)) == expected
