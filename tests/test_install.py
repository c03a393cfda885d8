"""A regular install (``pip install .``, not editable) runs the workshop: notebook 01 in that
environment's own kernel, and the exercises' checks find the workshop's programs inside the
installed package (spykit/exercises/_live.py), not in the checkout."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from conftest import unavailable

from spykit.exercises import _live

REPO = Path(__file__).resolve().parent.parent
BUILD_WHEELS = "SPYKIT_BUILD_WHEELS"  # a folder with the build backend's wheel (setuptools), for pip --no-index
# What a fresh clone has: the build's leftovers and this checkout's environments stay behind.
_NOT_IN_A_CLONE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.so",
                                         ".pytest_cache", ".ruff_cache", "test-artifacts", ".ipynb_checkpoints")


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without anything that would let the new one see this checkout's spykit."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", _live.ENV) and not k.startswith("PYTEST")}
    return {**env, **extra}


def _run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{argv[:4]} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


_NOTEBOOK_RUNNER = textwrap.dedent("""
    import sys
    import nbformat
    from nbclient import NotebookClient

    path = sys.argv[1]
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import spykit, spykit.exercises._live as live\\n"
        "print('SPYKIT_FILE', spykit.__file__)\\n"
        "print('MYSTERIES', live.MYSTERIES)"))
    NotebookClient(nb, timeout=240, kernel_name="python3",
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, [(o.ename, o.evalue) for o in errors]
    print("".join(o.get("text", "") for o in nb.cells[-1].outputs))
""")

_PACKAGED_CHECK = textwrap.dedent("""
    import subprocess, spykit
    from spykit.exercises import _live
    print("MYSTERIES", _live.MYSTERIES)
    run = subprocess.run(_live.mystery("consent"), capture_output=True, text=True, timeout=60)
    print("RC", run.returncode)
    print(run.stdout)
""")


@pytest.mark.slow
def test_a_regular_install_runs_notebook_01_and_finds_the_mysteries_in_the_package(tmp_path):
    wheels = os.environ.get(BUILD_WHEELS, "")
    if not glob.glob(os.path.join(wheels, "setuptools-*.whl")):
        unavailable(f"{BUILD_WHEELS} names no folder with a setuptools wheel, to build spykit offline: "
                    f"pip download --no-deps --dest DIR 'setuptools>=70.1' and set {BUILD_WHEELS}=DIR "
                    "(.ci/run does)")
    clone = tmp_path / "spykit"
    shutil.copytree(REPO, clone, symlinks=True, ignore=_NOT_IN_A_CLONE)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=_clean_env(), timeout=60)
    python = venv / "bin" / "python"
    temp = tmp_path / "temp"
    temp.mkdir()
    env = _clean_env(TMPDIR=str(temp), PIP_DISABLE_PIP_VERSION_CHECK="1")
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                cwd=tmp_path, env=env, timeout=60).stdout.strip()
    # Offline: tests talk to nothing beyond loopback. spykit is built as pip builds it for a learner
    # (an isolated build environment), from the build backend's wheel .ci/run fetched beforehand;
    # its dependencies come from this environment, searched after the new one's own packages (a
    # path a .pth line adds is searched, but the .pth files in it, such as this checkout's
    # editable-install hook, are not run). The README's set-up test covers the downloads.
    deps = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    (Path(site) / "zz-test-dependencies.pth").write_text("".join(f"{d}\n" for d in sorted(deps)))
    _run([str(python), "-m", "pip", "install", "-q", "--no-index", "--find-links", wheels, "--no-deps", "."],
         cwd=clone, env=env, timeout=600)

    # The notebook, from the clone's notebooks folder, in the new environment's kernel.
    runner = tmp_path / "run_notebook.py"
    runner.write_text(_NOTEBOOK_RUNNER)
    notebooks = clone / "notebooks"
    out = _run([str(python), str(runner), str(notebooks / "01-missing-config-file.ipynb"), str(notebooks)],
               cwd=notebooks, env=env, timeout=600).stdout
    spykit_file = next(line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("SPYKIT_FILE "))
    assert Path(spykit_file).resolve().is_relative_to(Path(site).resolve()), out
    assert not Path(spykit_file).resolve().is_relative_to(clone.resolve())
    # The exercises check against the programs the notebook runs (workshop.py names them).
    assert f"MYSTERIES {notebooks.parent / 'mysteries'}" in out, out

    # Without the notebook, and far from any checkout: the copy inside the installed package.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = _run([str(python), "-c", _PACKAGED_CHECK], cwd=elsewhere, env=env, timeout=120).stdout
    packaged = Path(site) / "spykit" / "_workshop" / "mysteries"
    assert f"MYSTERIES {packaged}" in out and "RC 0" in out, out
    assert {p.name for p in packaged.glob("*.py")} == {p.name for p in (REPO / "mysteries").glob("*.py")}


def test_a_missing_workshop_file_says_where_it_looked_and_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv(_live.ENV, str(tmp_path / "nowhere"))
    monkeypatch.setattr(_live, "MYSTERIES", tmp_path / "nowhere")
    monkeypatch.setattr(_live, "PACKAGED", tmp_path / "not-packaged")
    monkeypatch.setattr(_live, "CHECKOUT", tmp_path / "no-checkout")
    with pytest.raises(_live.WorkshopFileMissing) as caught:
        _live.mystery("consent")
    text = str(caught.value)
    for place in ("nowhere", "not-packaged", "no-checkout"):
        assert str(tmp_path / place) in text
    assert "mysteries/consent.py" in text and _live.ENV in text and "pip install" in text
    assert isinstance(caught.value, FileNotFoundError)  # what mystery() raised before, still caught the same way


def test_the_named_folder_comes_first(monkeypatch, tmp_path):
    (tmp_path / "consent.py").write_text("print('mine')\n")
    monkeypatch.setenv(_live.ENV, str(tmp_path))
    assert _live.find_mysteries() == tmp_path
    monkeypatch.setattr(_live, "MYSTERIES", _live.find_mysteries())
    assert _live.mystery("consent")[1] == str(tmp_path / "consent.py")
