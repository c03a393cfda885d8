"""A class on one machine: many learners, each their own Unix user, running the notebooks at once.

Shared by ``tests/test_classroom.py`` (does every learner's run pass, stay private, and leave nothing
behind?) and ``bench/classroom.py`` (how long does the slowest learner wait as the class grows?).
Only root can do this: it creates the learners with ``useradd`` and removes them with ``userdel``.

Run as a script (``python classroom.py --mode live|no-ptrace``), this file is one learner: it runs as
that learner (the caller drops privileges with ``setpriv``), executes notebooks 00 and 01 with
nbclient, each in a kernel of its own as a learner would, and prints what happened as one JSON line.
It takes the notebooks and the kernel that refuses ptrace from ``tests/test_notebooks.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLASS_NOTEBOOKS = ["00-wizard-school.ipynb", "01-missing-config-file.ipynb"]
# Where a learner's run could leave files every user sees: the shared temporary directories.
TEMP_DIRS = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")]
MARKER = "SPYKIT_NOTEBOOK_TEST_RUN"  # the same variable tests/test_notebooks.py marks its runs with


@dataclass(frozen=True)
class Learner:
    name: str
    uid: int
    gid: int
    home: Path


def readable_copy(dest: Path) -> Path:
    """A copy of the package, notebooks, mysteries and tests that every user can read and none can change.

    A hub installs spykit once for everybody; a learner must not be able to alter what the next one runs.
    """
    for part in ("spykit", "notebooks", "mysteries", "tests"):
        shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    for dirpath, _dirnames, filenames in os.walk(dest):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            os.chmod(path, 0o755 if os.access(path, os.X_OK) else 0o644)
    for parent in dest.parents:  # pytest's base temporary folder is private to root
        if parent == Path("/tmp") or parent == Path("/"):
            break
        os.chmod(parent, os.stat(parent).st_mode | 0o005)
    return dest


def _processes_of(uids: set[int]) -> list[int]:
    """The pids of every process whose real user is one of ``uids``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}").st_uid in uids:
                    found.append(int(entry))
    return found


def _owned_in_temp(uids: set[int]) -> list[Path]:
    """Top-level entries of the shared temporary directories owned by one of ``uids``."""
    found = []
    for temp in TEMP_DIRS:
        with contextlib.suppress(OSError), os.scandir(temp) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid in uids:
                        found.append(Path(entry.path))
    return found


@contextlib.contextmanager
def learners(count: int) -> Iterator[list[Learner]]:
    """``count`` new Unix users with private homes (as a hub makes them), removed afterwards whatever happens."""
    tag = secrets.token_hex(3)
    made: list[Learner] = []
    try:
        for number in range(count):
            name = f"spyk{tag}-{number:02d}"
            # HOME_MODE 0700: a hub should give each learner a home nobody else can enter (docs/classroom.md).
            subprocess.run(["useradd", "--create-home", "--user-group", "--shell", "/bin/bash",
                            "-K", "HOME_MODE=0700", name], check=True, capture_output=True)
            entry = pwd.getpwnam(name)
            made.append(Learner(name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir)))
        yield made
    finally:
        uids = {learner.uid for learner in made}
        for pid in _processes_of(uids):  # only the learners' own processes, by pid
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for path in _owned_in_temp(uids):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
        for learner in made:
            for _ in range(50):  # userdel refuses while the user still has a process: they were just killed
                if subprocess.run(["userdel", "--remove", learner.name], capture_output=True).returncode in (0, 6):
                    break
                time.sleep(0.1)


def _readable_by_others(path: Path) -> bool:
    """Could a user who is neither the owner nor in the group read ``path``? (mode bits; no ACLs are set)"""
    try:
        mode = os.stat(path, follow_symlinks=False).st_mode
        if stat.S_ISLNK(mode) or not mode & stat.S_IROTH:
            return False
        return all(os.stat(parent).st_mode & stat.S_IXOTH for parent in path.parents)
    except OSError:
        return False  # gone meanwhile


@dataclass
class Watch:
    """What a watcher saw while the class ran: who traced whom, and learners' files others could read."""
    traced: int = 0  # samples of a learner's process being traced (by anybody)
    foreign_tracers: set[str] = field(default_factory=set)
    exposed: set[str] = field(default_factory=set)
    in_temp: set[str] = field(default_factory=set)  # what the learners made in the shared temporary directories


class Watcher(threading.Thread):
    """Samples, until stopped, every learner's processes (TracerPid) and the files they own in shared places."""

    def __init__(self, class_: list[Learner], interval: float = 0.1):
        super().__init__(daemon=True)
        self.by_uid = {learner.uid: learner for learner in class_}
        self.interval = interval
        self.seen = Watch()
        self._halt = threading.Event()

    def stop(self) -> Watch:
        self._halt.set()
        self.join()
        return self.seen

    def run(self) -> None:
        while not self._halt.is_set():
            self._sample_processes()
            self._sample_files()
            self._halt.wait(self.interval)

    def _sample_processes(self) -> None:
        for pid in _processes_of(set(self.by_uid)):
            with contextlib.suppress(OSError, ValueError, StopIteration):
                status = Path(f"/proc/{pid}/status").read_text()
                tracer = int(next(line for line in status.splitlines() if line.startswith("TracerPid:")).split()[1])
                if tracer == 0:
                    continue
                self.seen.traced += 1
                owner, tracer_owner = os.stat(f"/proc/{pid}").st_uid, os.stat(f"/proc/{tracer}").st_uid
                if tracer_owner != owner:
                    self.seen.foreign_tracers.add(f"pid {pid} of {self.by_uid[owner].name} traced by pid {tracer} "
                                                  f"of uid {tracer_owner}")

    def _sample_files(self) -> None:
        in_temp = _owned_in_temp(set(self.by_uid))
        self.seen.in_temp.update(str(path) for path in in_temp)
        tops = in_temp + [learner.home for learner in self.by_uid.values()]
        for top in tops:
            for dirpath, dirnames, filenames in os.walk(top):
                for name in [*dirnames, *filenames, "."]:
                    path = Path(dirpath) / name if name != "." else Path(dirpath)
                    if _readable_by_others(path):
                        self.seen.exposed.add(str(path))


@dataclass
class Run:
    """One learner's run of the class notebooks, as the learner process reported it."""
    learner: Learner
    returncode: int
    report: dict
    stderr: str

    @property
    def wall(self) -> float:
        return sum(notebook["seconds"] for notebook in self.report.get("notebooks", []))

    @property
    def peak_kb(self) -> int:
        return max((notebook["peak_kb"] or 0 for notebook in self.report.get("notebooks", [])), default=0)


def run_class(copy: Path, class_: list[Learner], mode: str, timeout: float = 900) -> tuple[list[Run], Watch]:
    """Every learner runs the class notebooks at the same time, as themselves; returns the runs and the watch."""
    setpriv = shutil.which("setpriv") or "setpriv"
    watcher = Watcher(class_)
    watcher.start()
    running = []
    try:
        for learner in class_:
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(learner.home), "USER": learner.name,
                   "LOGNAME": learner.name, "SHELL": "/bin/bash", "PYTHONPATH": str(copy),
                   "PYTHONDONTWRITEBYTECODE": "1", MARKER: f"{learner.name}-{mode}"}
            if "LANG" in os.environ:
                env["LANG"] = os.environ["LANG"]
            drop = [setpriv, f"--reuid={learner.uid}", f"--regid={learner.gid}", "--init-groups", "--inh-caps=-all",
                    "--bounding-set=-all"]
            running.append((learner, subprocess.Popen(
                [*drop, sys.executable, str(copy / "tests" / "classroom.py"), "--mode", mode],
                cwd=learner.home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        runs = []
        for learner, process in running:
            out, err = process.communicate(timeout=timeout)
            last = out.strip().splitlines()[-1] if out.strip() else "{}"
            try:
                report = json.loads(last)
            except ValueError:
                report = {}
            runs.append(Run(learner, process.returncode, report, err[-20000:]))
    finally:
        for _learner, process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
        seen = watcher.stop()
    return runs, seen


def leftovers(class_: list[Learner], patience: float = 15.0) -> tuple[list[str], list[str]]:
    """(processes, files in shared temporary directories) the learners still own, after ``patience`` seconds."""
    uids = {learner.uid for learner in class_}
    deadline = time.monotonic() + patience
    while True:
        processes, files = _processes_of(uids), _owned_in_temp(uids)
        if (not processes and not files) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    described = []
    for pid in processes:
        with contextlib.suppress(OSError):
            described.append(f"{pid}: " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
    return described, [str(path) for path in files]


# -- one learner (run as that learner) -----------------------------------------------------------------------

_PEAK = "print('peak_kb', [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0])"


def _no_ptrace_kernel(folder: Path) -> str:
    """A kernel spec, in ``folder``, whose kernel may not use ptrace (tests/test_notebooks.py's filter)."""
    from test_notebooks import write_no_ptrace_kernel

    name = write_no_ptrace_kernel(folder)
    os.environ["JUPYTER_PATH"] = str(folder)
    return name


def _learn(mode: str) -> dict:
    import tempfile

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from test_notebooks import BUDGET, NOTEBOOKS, _texts, build_notebooks
    from traitlets.config import Config

    report: dict = {"mode": mode, "notebooks": []}
    with tempfile.TemporaryDirectory(prefix="kernelspec-") as folder:  # private (0700), removed at the end
        kernel = _no_ptrace_kernel(Path(folder)) if mode == "no-ptrace" else "python3"
        for name in CLASS_NOTEBOOKS:
            nb = build_notebooks.build(name)
            nb.cells.append(nbformat.v4.new_code_cell(_PEAK))
            started = time.monotonic()
            try:
                # (a class starts a kernel per learner at once: on 2 CPUs one took over nbclient's
                # 60 s to answer, once, while other tests ran; the start is not what is tested)
                # Over unix sockets in the private folder, not TCP: each learner's client picks
                # free TCP ports and closes them for its kernel to bind, so two learners starting
                # at once can pick the same port and one kernel dies before it answers (seen once
                # in 12). A socket file's name is taken only if it does not exist yet.
                # (nbclient makes the kernel manager from this config, so it also shuts the kernel
                # down and removes its files, which it does not do for a manager it is handed)
                sockets = Config({"KernelManager": {"transport": "ipc", "ip": str(Path(folder) / "kernel")}})
                NotebookClient(nb, config=sockets, timeout=BUDGET, kernel_name=kernel, startup_timeout=300,
                               resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
            except CellExecutionError:
                pass  # the failing cell's error output is reported below, with the cell it came from
            took = time.monotonic() - started
            code = [c for c in nb.cells if c.cell_type == "code"]
            peak = _texts(code[-1]).split()
            report["notebooks"].append({
                "name": name, "seconds": round(took, 2),
                "errors": [f"{c.source[:60]!r}: {o.get('ename')}: {o.get('evalue', '')[:300]}"
                           for c in code for o in c.get("outputs", []) if o.output_type == "error"],
                "first_cell": _texts(code[0])[:400],
                "recorded": sum("(recorded trace:" in _texts(c) for c in code),
                "peak_kb": int(peak[1]) if len(peak) == 2 and peak[0] == "peak_kb" else None,
            })
    return report


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Run the class notebooks as one learner; print a JSON report.")
    parser.add_argument("--mode", choices=["live", "no-ptrace"], required=True)
    print(json.dumps(_learn(parser.parse_args().mode)), flush=True)
