"""Binder: build the environment from ``binder/`` the way repo2docker does, and run notebook 00 in it.

repo2docker copies the repository into the image, creates an environment with the Python that
``binder/runtime.txt`` names, and runs ``pip install -r binder/requirements.txt`` with the repository
root as working directory. Here the same three steps happen in a temporary directory: a copy of the
repository, a fresh virtual environment, the same pip command. Then notebook 00 runs top to bottom
in a kernel of that environment, which proves the requirements are enough for the workshop.

One environment per session (installing takes a minute or two), so this is marked ``slow``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import unavailable

REPO = Path(__file__).resolve().parent.parent
BINDER = REPO / "binder"
NOTEBOOK_00 = "notebooks/00-wizard-school.ipynb"

# What repo2docker would not copy from a clean checkout, plus our own leftovers.
_NOT_COPIED = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache", ".benchmarks",
    "test-artifacts", ".ipynb_checkpoints", "build", "dist",
)

# Runs inside the Binder environment: execute a notebook with nbclient, then ask the kernel
# where it found spykit, so the test knows the notebook did not run against another install.
_RUNNER = r"""
import json, sys
import nbformat
from nbclient import NotebookClient

path, out = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(
    "import json as _j, sys as _s, spykit as _k\n"
    "print(_j.dumps({'prefix': _s.prefix, 'spykit': _k.__file__}))"))
client = NotebookClient(nb, timeout=180, kernel_name="python3",
                        resources={"metadata": {"path": str(__import__('pathlib').Path(path).parent)}})
client.execute()
nbformat.write(nb, out)
print(nb.cells[-1].outputs[0]["text"].strip())
"""


def _runtime_version() -> tuple[int, int]:
    text = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", text)
    assert match, f"binder/runtime.txt should read like python-3.11, not {text!r}"
    return int(match[1]), int(match[2])


def _python_for(version: tuple[int, int]) -> str:
    """An interpreter of the version runtime.txt pins: this one if it matches, else pythonX.Y on PATH."""
    if sys.version_info[:2] == version:
        return os.path.realpath(sys.executable)
    found = shutil.which("python{}.{}".format(*version))
    if found is None:
        unavailable("no Python {}.{} here to build the Binder environment with".format(*version))
    return found


def test_runtime_pins_a_python_spykit_supports():
    # pyproject's requires-python is the floor; repo2docker's default (3.10) is below it.
    floor = re.search(r'requires-python\s*=\s*">=(\d+)\.(\d+)"', (REPO / "pyproject.toml").read_text())
    assert floor, "pyproject.toml should state requires-python"
    assert _runtime_version() >= (int(floor[1]), int(floor[2]))


def test_requirements_install_this_repository_with_the_notebook_extras():
    lines = [line.split("#", 1)[0].strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    requirements = [line for line in lines if line]
    # A local path: repo2docker then copies the repository before running pip (no pre-assembly).
    assert any(re.fullmatch(r"(-e\s+|--editable=)?\.\[([\w,\s]*)\]", r) and "notebook" in r for r in requirements)


@pytest.fixture(scope="session")
def binder_env(tmp_path_factory) -> tuple[Path, Path]:
    """(copy of the repository, its virtual environment), built the repo2docker way, once."""
    root = tmp_path_factory.mktemp("binder")
    repo = root / "repo"
    shutil.copytree(REPO, repo, ignore=_NOT_COPIED, symlinks=True)
    venv = root / "venv"
    python = _python_for(_runtime_version())
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    env = _isolated_env(root, venv)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-cache-dir", "-q", "-r", "binder/requirements.txt"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900,
    )
    assert pip.returncode == 0, f"pip install -r binder/requirements.txt failed:\n{pip.stdout}\n{pip.stderr}"
    return repo, venv


def _isolated_env(root: Path, venv: Path) -> dict[str, str]:
    """Environment variables with nothing of this machine's user set-up: a fresh HOME, the venv first."""
    home = root / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "IPYTHON", "PYTHON", "VIRTUAL_ENV", "PYENV"))}
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
               VIRTUAL_ENV=str(venv), MPLBACKEND="Agg")
    return env


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_notebook_00_runs_in_the_binder_environment(binder_env):
    repo, venv = binder_env
    runner = repo.parent / "run_notebook.py"
    runner.write_text(_RUNNER)
    executed = repo.parent / "00-executed.ipynb"
    run = subprocess.run(
        [str(venv / "bin" / "python"), str(runner), str(repo / NOTEBOOK_00), str(executed)],
        cwd=repo, env=_isolated_env(repo.parent, venv), capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, f"notebook 00 failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    where = json.loads(run.stdout.strip().splitlines()[-1])
    # The kernel ran in the new environment, on the copy that pip installed, not on this checkout.
    assert Path(where["prefix"]).resolve() == venv.resolve()
    assert Path(where["spykit"]).resolve().is_relative_to(repo.resolve())
    # Every code cell ran, and none raised.
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code)
    assert not [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
