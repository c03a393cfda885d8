"""The README's set-up commands: what a newcomer types on Debian 12 / Ubuntu 24.04 must work there.

Those systems refuse ``pip install`` into the system's Python (PEP 668), so the commands make a
virtual environment; JupyterLab must be rooted at the repository so ``mysteries/`` can be opened;
CI runs the README's own test command, word for word.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _setup_commands() -> list[str]:
    section = README[README.index("## Set up"):README.index("## The workshop")]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_the_commands_make_a_virtual_environment_and_name_the_system_package():
    workshop, tests = _setup_commands()
    for command in (workshop, tests):
        steps = [shlex.split(step) for step in command.split("&&")]
        assert steps[0] == ["python3", "-m", "venv", ".venv"]
        assert all(step[0].startswith(".venv/bin/") for step in steps[1:]), command  # never the system pip
    assert "python3-venv" in README[README.index("## Set up"):README.index("## The workshop")]


def test_venv_is_ignored_by_git():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".venv/bin/python"], cwd=REPO, check=False)
    if ignored.returncode == 128:
        pytest.skip("not a git checkout")
    assert ignored.returncode == 0


def test_jupyterlab_opens_the_first_notebook_with_the_repository_as_its_root(monkeypatch):
    monkeypatch.chdir(REPO)  # where the newcomer types it
    serverapp = pytest.importorskip("jupyter_server.serverapp")
    workshop = _setup_commands()[0]
    lab = shlex.split(workshop.split("&&")[-1])
    assert lab[:2] == [".venv/bin/jupyter", "lab"]
    app = serverapp.ServerApp()
    app.parse_command_line(lab[2:])
    assert Path(app.root_dir).resolve() == REPO
    assert (REPO / app._resolve_file_to_run_and_root_dir()).name == "00-wizard-school.ipynb"


def test_binder_opens_the_first_notebook_from_the_repository_root():
    urlpaths = re.findall(r"urlpath=lab/tree/(\S+?)`", README)
    assert urlpaths and all((REPO / path).is_file() for path in urlpaths)


def test_ci_runs_the_readmes_test_command_word_for_word():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert _setup_commands()[1] in ci.splitlines()
