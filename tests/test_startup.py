"""The ``startup`` column: start-up lookups told from the program's own calls.

First on hand-made frames (one rule each), then on real traces of a Python program, a C program
and a shell script that each look for one configuration file that is not there.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import need_tool
from frames import call, make_df

import spykit
from spykit.startup import startup_mask

_ERRNO_OF = {name: number for number, name in errno.errorcode.items()}


def _mask(rows) -> list[bool]:
    """The mask from the ``error`` names, checked against the mask from errno numbers, the tracer's way."""
    df = make_df(rows)
    by_name = startup_mask(df).tolist()
    errnos = np.array([_ERRNO_OF[e] if isinstance(e, str) else 0 for e in df["error"]])
    assert startup_mask(df.drop(columns="error"), errnos=errnos).tolist() == by_name
    return by_name


# -- the rules, on hand-made frames ------------------------------------------------------------------

def test_loader_runs_from_exec_to_the_programs_first_call():
    rows = [
        call("execve", path="/usr/bin/app"),
        call("access", error="ENOENT", path="/etc/ld.so.preload"),
        call("openat", ret=3, path="/etc/ld.so.cache", fd=3),
        call("close", path="/etc/ld.so.cache", fd=3),
        call("openat", error="ENOENT", path="/opt/app/glibc-hwcaps/x86-64-v3/libapp.so.1"),
        call("openat", ret=3, path="/lib/x86_64-linux-gnu/libc.so.6", fd=3),
        call("read", ret=832, path="/usr/lib/x86_64-linux-gnu/libc.so.6", fd=3),
        call("newfstatat", path="", fd=3),
        call("close", path="/usr/lib/x86_64-linux-gnu/libc.so.6", fd=3),
        call("arch_prctl"),
        call("getrandom"),  # glibc's malloc, after the loader: the loader's work has ended
        call("openat", error="ENOENT", path="/etc/app.conf"),
        call("openat", error="ENOENT", path="/etc/app.d/extra.conf"),  # later: the program's own
        # dlopen at run time searches as the loader did: still the loader's work
        call("openat", error="ENOENT", path="/usr/lib/x86_64-linux-gnu/tls/libz.so.1"),
        call("openat", ret=4, path="/etc/ld.so.cache", fd=4),
    ]
    assert _mask(rows) == [False] + [True] * 9 + [False, False, False, True, True]


def test_a_file_that_is_not_a_library_ends_the_loaders_work():
    # a static program: its first call already names its own file
    rows = [call("execve", path="/usr/bin/static"), call("openat", error="ENOENT", path="/etc/app.conf"),
            call("mmap", ret=0x7f0000), call("read", ret=1, fd=0)]
    assert _mask(rows) == [False, False, False, False]


def test_locale_and_message_catalogues():
    rows = [
        call("openat", error="ENOENT", path="/usr/lib/locale/locale-archive"),
        call("openat", error="ENOENT", path="/usr/lib/locale/C.UTF-8/LC_CTYPE"),
        call("openat", error="ENOENT", path="/usr/share/locale/fr/LC_MESSAGES/coreutils.mo"),
        call("openat", ret=3, path="/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache"),
        call("read", ret=10, path="/etc/locale.alias", fd=3),
        call("openat", error="ENOENT", path="/etc/app.conf"),
        call("openat", error="ENOENT", path="/srv/locales.txt"),
        call("openat", error="ENOENT", path="/srv/app/locale/fr.json"),  # the program's own translations
    ]
    assert _mask(rows) == [True] * 5 + [False, False, False]


def test_selinux_probes_and_proc_filesystems_only_after_them():
    rows = [
        call("statfs", error="ENOENT", path="/sys/fs/selinux", pid=1),
        call("statfs", error="ENOENT", path="/selinux", pid=1),
        call("openat", ret=3, path="/proc/filesystems", pid=1),
        call("access", error="ENOENT", path="/etc/selinux/config", pid=1),
        call("openat", ret=3, path="/proc/filesystems", pid=2),  # another process, no selinux probe
    ]
    assert _mask(rows) == [True, True, True, True, False]


def test_execvp_path_search_is_startup_only_when_one_attempt_runs():
    rows = [
        call("execve", error="ENOENT", path="/usr/local/bin/tool", pid=5),
        call("execve", error="EACCES", path="/home/u/bin/tool", pid=5),
        call("execve", path="/usr/bin/tool", pid=5),
        call("execve", error="ENOENT", path="/usr/local/bin/nosuch", pid=6),
        call("execve", error="ENOENT", path="/usr/bin/nosuch", pid=6),
    ]
    assert _mask(rows)[:5] == [True, True, False, False, False]


def test_a_shells_path_search_by_stat():
    rows = [
        call("newfstatat", error="ENOENT", path="/usr/local/bin/cat", pid=1),
        call("newfstatat", path="/usr/bin/cat", pid=1),
        call("clone", ret=2, pid=1),
        call("execve", path="/usr/bin/cat", pid=2),
        call("newfstatat", error="ENOENT", path="/usr/local/bin/nosuchprog", pid=1),
        call("newfstatat", error="ENOENT", path="/usr/bin/nosuchprog", pid=1),
        # a file the program looked for, whose name a later program happens to share: not a search
        call("openat", error="ENOENT", path="/etc/ls", pid=1),
        call("execve", path="/usr/bin/ls", pid=3),
    ]
    assert _mask(rows)[:7] == [True, False, False, False, False, False, False]


def test_python_interpreter_start_up():
    rows = [
        call("execve", path="/venv/bin/python"),
        call("openat", error="ENOENT", path="/venv/bin/python._pth"),
        call("openat", error="ENOENT", path="/usr/bin/python3.11._pth"),
        call("openat", ret=3, path="/venv/pyvenv.cfg"),
        call("newfstatat", error="ENOENT", path="/usr/bin/Modules/Setup.local"),
        call("newfstatat", error="ENOENT", path="/usr/lib/python311.zip"),
        call("newfstatat", error="ENOENT", path="/usr/lib/python3.11/encodings/__init__.abi3.so"),
        call("newfstatat", path="/venv/lib/python3.11/site-packages"),
        call("openat", ret=3, path="/venv/lib/python3.11/site-packages/__editable__.app-1.0.pth"),
        call("newfstatat", error="ENOENT", path="__editable__.app-1.0.finder.__path_hook__"),
        call("newfstatat", error="ENOENT", path=""),
        call("openat", ret=3, path="/usr/lib/python3.11/__pycache__/os.cpython-311.pyc"),
        call("openat", error="ENOENT", path="/etc/app.conf"),
        call("openat", error="ENOENT", path="/srv/data/lib/python3.11/x.csv"),
    ]
    assert _mask(rows) == [False] + [True] * 11 + [False, False]


def test_python_landmarks_above_the_executable_and_the_users_site_packages():
    rows = [
        call("execve", path="/home/u/.pyenv/versions/3.11.7/bin/python3.11"),
        call("newfstatat", error="ENOENT", path="/home/u/.pyenv/versions/lib/python311.zip"),
        call("newfstatat", error="ENOENT", path="/home/u/lib/python3.11/os.py"),
        call("newfstatat", error="ENOENT", path="/home/u/.local/lib/python3.11/site-packages"),
        call("newfstatat", path="/home/u"),  # the program's own look at a directory above
        call("openat", error="ENOENT", path="/etc/app.conf"),
    ]
    assert _mask(rows) == [False, True, True, True, False, False]


def test_the_loaders_search_of_hardware_capability_directories():
    # older glibc: for each RPATH directory, try lib/haswell/x86_64/libx.so, then stat that directory
    rows = [
        call("execve", path="/opt/py/bin/python"),
        call("openat", error="ENOENT", path="/opt/py/lib/haswell/x86_64/libpython3.11.so.1.0"),
        call("newfstatat", error="ENOENT", path="/opt/py/lib/haswell/x86_64"),
        call("openat", ret=3, path="/opt/py/lib/libpython3.11.so.1.0", fd=3),
        call("close", path="/opt/py/lib/libpython3.11.so.1.0", fd=3),
        call("newfstatat", error="ENOENT", path="/opt/py/lib/haswell"),  # not the directory just searched
        call("openat", error="ENOENT", path="/etc/app.conf"),
    ]
    assert startup_mask(make_df(rows)).tolist()[:5] == [False, True, True, True, True]


def test_python_rules_need_a_python_process():
    # /usr/lib/python3.11 looked at by `ls`: its own business, not an interpreter starting
    rows = [call("execve", path="/usr/bin/ls"), call("getrandom"),
            call("statx", error="ENOENT", path="/usr/lib/python3.11/nothere.py"),
            call("newfstatat", error="ENOENT", path="")]
    assert _mask(rows) == [False, False, False, False]


def test_missing_hides_startup_and_counts_it():
    df = make_df([call("openat", error="ENOENT", path="/usr/lib/locale/locale-archive", startup=True),
                  call("openat", error="ENOENT", path="/etc/app.conf"),
                  call("openat", error="ENOENT", path="/usr/share/locale/C/libc.mo", startup=True)])
    from spykit.questions import files, missing

    own = missing(df)
    assert own["path"].tolist() == ["/etc/app.conf"]
    assert own.attrs["startup_hidden"] == 2
    assert "2 start-up rows left out" in repr(own) and "missing(startup=True)" in repr(own)
    assert "missing(startup=True)" in own._repr_html_()
    every = missing(df, startup=True)
    assert every["path"].tolist() == ["/usr/lib/locale/locale-archive", "/etc/app.conf",
                                      "/usr/share/locale/C/libc.mo"]
    assert every.attrs["startup_hidden"] == 0 and "left out" not in repr(every)
    listed = files(df)
    assert listed["path"].tolist() == ["/etc/app.conf"] and listed.attrs["startup_hidden"] == 2
    assert len(files(df, startup=True)) == 3


# -- real programs: one missing configuration file, first and nearly alone ------------------------

def _check_missing_first(trace: spykit.Trace, wanted: Path) -> None:
    answer = trace.missing()
    assert answer["path"].iloc[0] == str(wanted), answer.to_string()
    assert len(answer) <= 3, answer.to_string()
    assert answer.attrs["startup_hidden"] > 0
    every = trace.missing(startup=True)
    assert str(wanted) in set(every["path"]) and len(every) == len(answer) + answer.attrs["startup_hidden"]
    assert every["first_time"].is_monotonic_increasing
    assert trace.df["startup"].dtype == bool


def _python_program(python: str, tmp_path: Path) -> None:
    wanted = tmp_path / "app.conf"
    code = f"try:\n    open({str(wanted)!r})\nexcept FileNotFoundError:\n    pass\n"
    _check_missing_first(spykit.trace([python, "-c", code]), wanted)


def test_python_program_missing_its_config(tmp_path):
    _python_program(sys.executable, tmp_path)


def test_python_program_in_a_fresh_venv(tmp_path):
    # a venv without site-packages: other prefixes, no editable finder, no .pth files
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    _python_program(str(tmp_path / "venv" / "bin" / "python"), tmp_path)


@pytest.mark.skipif(not os.access("/opt/spykit-ci-venv/bin/python", os.X_OK), reason="CI's venv is not here")
def test_python_program_in_the_ci_venv(tmp_path):
    # CI installs spykit editable from another path: other finder hooks and .pth files at start-up
    _python_program("/opt/spykit-ci-venv/bin/python", tmp_path)


def test_c_program_missing_its_config(tmp_path):
    gcc = need_tool("gcc")
    wanted = tmp_path / "app.conf"
    source = tmp_path / "app.c"
    source.write_text("#include <stdio.h>\nint main(void) {\n  FILE *f = fopen(\"" + str(wanted) + "\", \"r\");\n"
                      '  if (!f) { perror("app.conf"); return 1; }\n  return 0;\n}\n')
    subprocess.run([gcc, "-o", str(tmp_path / "app"), str(source)], check=True)
    trace = spykit.trace([str(tmp_path / "app")], capture_output=True)
    assert trace.returncode == 1
    _check_missing_first(trace, wanted)


def test_shell_script_missing_its_config(tmp_path):
    wanted = tmp_path / "app.conf"
    script = tmp_path / "app.sh"
    # a test, then cat (found along PATH, printing a translated error): both look for the file
    script.write_text(f"#!/bin/sh\nif [ -r {wanted} ]; then . {wanted}; fi\ncat {wanted} 2>/dev/null\n"
                      "echo done\n")
    script.chmod(0o755)
    trace = spykit.trace(["sh", str(script)], capture_output=True)
    assert trace.stdout == b"done\n"
    _check_missing_first(trace, wanted)
    assert trace.missing().attrs["startup_hidden"] >= 1


def test_a_command_that_is_not_found_keeps_its_search(tmp_path):
    trace = spykit.trace(["sh", "-c", "no-such-command-spykit; true"], capture_output=True)
    paths = trace.missing()["path"].tolist()
    assert paths and all(p.endswith("/no-such-command-spykit") for p in paths)
