"""Shared fixtures: compiling the C test programs, the real interpreter, strace, and a final check
that the test session left no process stopped or traced behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest

PROGRAMS = Path(__file__).parent / "programs"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(message: str, *, in_ci: str | None = None) -> NoReturn:
    """Something the test needs is missing: skip here, but fail in CI, which must provide it
    (``in_ci``: the message to fail with there, when it should say more)."""
    if IN_CI:
        pytest.fail(in_ci or message)
    pytest.skip(message)


def need_tool(name: str) -> str:
    """The path of a system tool the test needs; skip without it, but never in CI (CI installs it)."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed (apt-get install {name})",
                    in_ci=f"{name} is not installed: .ci/run should install it")
    return path


@pytest.fixture(scope="session")
def python_exe() -> str:
    """The real interpreter binary (python3 on PATH may be a pyenv shim, a bash script)."""
    return os.path.realpath(sys.executable)


@pytest.fixture(scope="session")
def ipython_shell(tmp_path_factory):
    """IPython's global test shell: one per session, whichever test asks first (IPython allows one
    shell class per process); its files go to a temporary directory."""
    os.environ.setdefault("IPYTHONDIR", str(tmp_path_factory.mktemp("ipython")))
    from IPython.testing import globalipapp

    return globalipapp.get_ipython()


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("built")


@pytest.fixture(scope="session")
def compile_c(build_dir):
    """compile_c("tracer/files.c") -> path of the built program (built once per session)."""
    cc = None
    built: dict[str, str] = {}

    def build(relative: str, *flags: str) -> str:
        nonlocal cc
        if relative in built:
            return built[relative]
        if cc is None:
            cc = need_tool("gcc")
        source = PROGRAMS / relative
        out = build_dir / relative.replace("/", "_").removesuffix(".c")
        subprocess.run([cc, "-O0", "-o", str(out), str(source), *flags], check=True)
        os.chmod(out, 0o755)
        built[relative] = str(out)
        return str(out)

    return build


@pytest.fixture(scope="session")
def strace_exe() -> str:
    return need_tool("strace")


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (to check that a trace left no process of ours behind)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _stopped_or_traced_children() -> list[str]:
    """Processes of ours (descendants of this pytest) in a tracing stop, or traced by us."""
    me = os.getpid()
    bad = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        state = fields.get("State", "").strip()
        tracer = int(fields.get("TracerPid", "0").strip() or 0)
        ppid = int(fields.get("PPid", "0").strip() or 0)
        if tracer == me or (ppid == me and state.startswith("t")):
            bad.append(f"{entry} ({fields.get('Name', '?').strip()}, {state}, TracerPid {tracer})")
    return bad


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind():
    """After the whole session, no process of ours may be left stopped or traced."""
    yield
    leftovers = _stopped_or_traced_children()
    assert not leftovers, f"tests left processes stopped or traced: {leftovers}"


# -- signal dispositions a test run may start with -----------------------------------------------------
# Started with SIGINT or SIGHUP ignored (nohup, `cmd &` in a shell without job control), Python
# leaves them ignored (it installs its KeyboardInterrupt handler only over a default SIGINT), and
# every child inherits the ignored ones. Tests that press Ctrl-C set the disposition they need.

def default_signals() -> None:
    """``preexec_fn`` for a child that must react to Ctrl-C and hang-ups as in a terminal."""
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


@pytest.fixture
def interruptible():
    """SIGINT raises KeyboardInterrupt in this test's process, as in an interactive Python."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


# Cell code that kills this kernel's own %%strace helper and leaves how many it killed in `killed`.
# Only children of the kernel process: a helper of another kernel, or of another user (root's test
# run leaves one per kernel while it lives), is not the cell's to kill.
KILL_OWN_HELPER = (
    "import os, signal, time\n"
    "def command_line(pid):\n"
    "    try:\n        return open(f'/proc/{pid}/cmdline', 'rb').read()\n"
    "    except OSError:\n        return b''\n"
    "def parent(pid):\n"
    "    try:\n        return int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])\n"
    "    except (OSError, ValueError, IndexError):\n        return 0\n"
    "helpers = [p for p in os.listdir('/proc') if p.isdigit() and b'cellhelper' in command_line(p)\n"
    "           and parent(p) == os.getpid()]\n"
    "for p in helpers:\n    os.kill(int(p), signal.SIGKILL)\n"
    "time.sleep(0.2)\n"
    "killed = len(helpers)\n"
)


@contextmanager
def another_thread() -> Iterator[int]:
    """A thread of this process, alive for the block: its thread id (never the process's own pid)."""
    ready, done = threading.Event(), threading.Event()
    tids: list[int] = []

    def run() -> None:
        tids.append(threading.get_native_id())
        ready.set()
        done.wait(10)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert ready.wait(10) and tids[0] != os.getpid()
        yield tids[0]
    finally:
        done.set()
        thread.join()
