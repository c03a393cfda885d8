"""Learners are not root: re-run the tracing tests as an unprivileged user.

CI runs as root, where ptrace and /proc are far more permissive (CAP_SYS_PTRACE reads any
/proc/PID/stack, attaches to anything). This test copies the package and its tests into a folder
every user can read, and runs them again with ``setpriv`` as ``nobody`` with no capabilities.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import need_tool, unavailable

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534

# Test files that trace, sample or time programs: everything that touches ptrace or /proc.
TRACING_TESTS = ["test_tracer.py", "test_runner.py", "test_fastloop.py", "test_fastspawn.py", "test_celltrace.py",
                 "test_slow_*.py", "test_mysteries.py", "test_cli.py", "test_cli_text.py", "test_decode*.py",
                 "test_reliability*.py", "differential", "test_magics*.py", "test_startup.py", "test_values.py",
                 "test_exercises*.py", "test_fdkinds.py", "test_strace_log.py", "test_compare.py", "test_perfetto.py",
                 "test_stream.py", "test_progress.py", "test_status.py", "test_launch.py", "test_selection.py",
                 "test_procfs.py"]


def _copy_tree(dest: Path) -> None:
    shutil.copytree(ROOT / "spykit", dest / "spykit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", dest / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    for extra in ("mysteries", "pyproject.toml"):
        src = ROOT / extra
        if src.is_dir():
            shutil.copytree(src, dest / extra, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy(src, dest / extra)
    for dirpath, _dirnames, filenames in os.walk(dest):
        os.chmod(dirpath, 0o777)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o666 if not os.access(os.path.join(dirpath, name), os.X_OK)
                     else 0o777)


@pytest.fixture
def shared_folder():
    """A folder every user can enter, of its own: not under pytest's base folder, which is private to
    root and which any other pytest session of root's turns back to 0700 when it starts (seen: the
    run as nobody lost its working directory half-way)."""
    folder = tempfile.mkdtemp(prefix="spykit-unprivileged-")
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="already unprivileged: this whole run is the unprivileged run")
@pytest.mark.skipif(os.environ.get("SPYKIT_UNPRIVILEGED_RUN") == "1", reason="inside the unprivileged run")
def test_tracing_tests_pass_as_an_unprivileged_user(shared_folder):
    setpriv = need_tool("setpriv")
    base = shared_folder
    os.chmod(base, 0o777)
    _copy_tree(base)
    home = base / "home"
    home.mkdir()
    os.chmod(home, 0o777)  # (mkdir's mode is cut by the umask)
    python = sys.executable  # (not realpath: in a venv that would leave the venv behind)
    drop = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(home),
        "PYTHONPATH": str(base),
        "PYTHONDONTWRITEBYTECODE": "1",
        "SPYKIT_UNPRIVILEGED_RUN": "1",
        "CI": os.environ.get("CI", ""),
    }
    probe = subprocess.run([*drop, python, "-c", "import spykit, pandas, ptrace"], env=env, cwd=base,
                           capture_output=True, text=True)
    if probe.returncode != 0:
        unavailable(f"the interpreter {python} cannot be used by an unprivileged user "
                    f"({probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else 'no output'}); "
                    "run the tests from an environment every user can read, as .ci/run does")
    files = sorted({str(p.relative_to(base)) for pattern in TRACING_TESTS for p in (base / "tests").glob(pattern)})
    result = subprocess.run([*drop, python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                             "--basetemp", str(home / "pytest"), *files],
                            env=env, cwd=base, capture_output=True, text=True, timeout=900)
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
    assert result.returncode == 0, f"tracing tests failed as uid {NOBODY}:\n{tail}"
    assert " passed" in tail
