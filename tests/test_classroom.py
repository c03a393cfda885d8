"""A class at once: N learners on one machine (as on The Littlest JupyterHub), each their own Unix user.

Every learner runs notebooks 00 and 01 at the same time as all the others, each in kernels of their
own, first live and then in kernels that may not use ptrace (the recordings). Every run must pass;
nothing a learner's run makes may be readable by another learner, while it runs or after; no
learner's process may be traced by anybody but that learner; and once the class is over, no
learner has a process running or a file left in a shared temporary directory.

N comes from ``SPYKIT_CLASS_SIZE`` (12 by default, as in CI). Needs root (it creates the users).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from classroom import Learner, _readable_by_others, learners, leftovers, readable_copy, run_class
from conftest import need_tool

SIZE = int(os.environ.get("SPYKIT_CLASS_SIZE", "12"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="creating the learners' Unix users needs root"),
    pytest.mark.skipif(os.environ.get("SPYKIT_UNPRIVILEGED_RUN") == "1", reason="inside the unprivileged run"),
]


@pytest.fixture(scope="module")
def class_() -> Iterator[tuple[Path, list[Learner]]]:
    for tool in ("useradd", "userdel", "setpriv"):
        need_tool(tool)
    # A folder of its own, not pytest's: pytest removes old base folders, and other runs may be going on.
    with tempfile.TemporaryDirectory(prefix="spykit-class-") as folder, learners(SIZE) as made:
        yield readable_copy(Path(folder) / "repo"), made


def _ends(text: str, each: int = 1500) -> str:
    return text if len(text) <= 2 * each else f"{text[:each]}\n[...]\n{text[-each:]}"


def _check_class(copy, made: list[Learner], mode: str) -> None:
    started = time.monotonic()
    runs, seen = run_class(copy, made, mode)
    took = time.monotonic() - started
    # the head of stderr too: a kernel that dies says why first, and nbclient's traceback follows
    failed = [f"{run.learner.name}: rc={run.returncode} {_ends(run.stderr)}" for run in runs
              if run.returncode != 0 or len(run.report.get("notebooks", [])) != 2]
    assert not failed, "\n".join(failed)
    for run in runs:
        for notebook in run.report["notebooks"]:
            assert not notebook["errors"], f"{run.learner.name} {notebook['name']}: {notebook['errors']}"
            if mode == "live":
                assert "Tracing works here" in notebook["first_cell"], (run.learner.name, notebook["first_cell"])
                assert notebook["recorded"] == 0
            else:
                assert "Tracing is NOT allowed" in notebook["first_cell"], (run.learner.name, notebook["first_cell"])
                assert notebook["recorded"] > 0
    # Nobody traced a process of somebody else; live, the watcher did see learners tracing (not a blind check).
    assert not seen.foreign_tracers, sorted(seen.foreign_tracers)
    assert (seen.traced > 0) == (mode == "live"), f"{seen.traced} samples of a traced learner process in {mode}"
    assert not seen.exposed, f"learners' files readable by other learners: {sorted(seen.exposed)[:20]}"
    assert seen.in_temp, "the watcher never saw a learner's scratch folder: it checked nothing in /tmp"
    processes, files = leftovers(made)
    assert not processes, f"learners' processes still running after the class: {processes}"
    assert not files, f"learners' files left in the shared temporary directories: {files}"
    for learner in made:  # kernels remove their connection files when they stop
        runtime = learner.home / ".local" / "share" / "jupyter" / "runtime"
        assert not runtime.exists() or not [p for p in runtime.iterdir() if p.name.startswith("kernel-")]
    print(f"\n{SIZE} learners, {mode}: {took:.0f} s; slowest learner {max(run.wall for run in runs):.0f} s")


def test_a_file_counts_as_readable_by_others_only_where_they_can_reach_it():
    with tempfile.TemporaryDirectory() as folder:  # under /tmp, which everybody can enter
        top = Path(folder)
        shared, private = top / "shared", top / "private"
        for sub, mode in ((shared, 0o755), (private, 0o700)):
            sub.mkdir()
            os.chmod(sub, mode)
            (sub / "notes").write_text("x")
            os.chmod(sub / "notes", 0o644)
        os.chmod(top, 0o700)
        assert not _readable_by_others(shared / "notes"), "its grandparent is closed"
        os.chmod(top, 0o755)
        assert _readable_by_others(shared / "notes")
        assert not _readable_by_others(private / "notes") and not _readable_by_others(top / "gone")
        os.chmod(shared / "notes", 0o640)
        assert not _readable_by_others(shared / "notes")


def test_a_class_runs_the_notebooks_live_at_once(class_):
    _check_class(*class_, "live")


def test_a_class_runs_the_notebooks_where_ptrace_is_forbidden(class_):
    _check_class(*class_, "no-ptrace")
