"""The workshop notebooks: they run top to bottom, show what they showed, and survive a machine without ptrace.

- nbval re-runs each notebook and compares the outputs of the cells that are the same on every
  machine (the others carry the ``nbval-ignore-output`` tag), after ``notebooks/nbval-sanitize.cfg``.
- Each notebook runs again in a kernel whose system calls to ``ptrace`` are refused by a seccomp
  filter, as in a locked-down container: it must still run, say so, and use the recorded traces;
  and once its kernel has stopped, nothing it started may still be running.
- The helpers notebook 03 uses to look at running programs stop a program with all it started.
- The committed notebooks are what ``notebooks/build_notebooks.py`` writes (the text lives there).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))
import build_notebooks  # noqa: E402  (notebooks/ is not a package)

NAMES = list(build_notebooks.NOTEBOOKS)
BUDGET = 120  # seconds: every notebook must run in under two minutes on a 2-core machine


def _env() -> dict[str, str]:
    """This environment, with this checkout's spykit importable whether it is installed or not."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{path}" if path else str(REPO)}


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_what_the_generator_writes(name: str):
    committed = nbformat.read(NOTEBOOKS / name, as_version=4)
    built = build_notebooks.build(name)
    assert [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in committed.cells] == \
           [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in built.cells], \
           f"{name} was edited by hand or not rebuilt: run python notebooks/build_notebooks.py --execute"
    code = [c for c in committed.cells if c.cell_type == "code"]
    stable = [c for c in code if build_notebooks.IGNORE not in c.metadata.get("tags", [])]
    assert stable and all(c.execution_count for c in stable), f"{name} is committed without its outputs"
    # What holds only for the machine that ran it is not committed: a reader sees it after running.
    machine = [c.source[:50] for c in code if build_notebooks.IGNORE in c.metadata.get("tags", []) and c.outputs]
    assert not machine, f"{name} is committed with outputs of one machine: {machine}"


@pytest.mark.parametrize("name", NAMES)
def test_committed_outputs_hold_on_any_machine(name: str):
    """No home folder, interpreter or checkout path, temporary folder or verdict on tracing."""
    committed = nbformat.read(NOTEBOOKS / name, as_version=4)
    shown = "".join(_texts(c) + json.dumps(o.get("data", {})) for c in committed.cells if c.cell_type == "code"
                    for o in c.get("outputs", []))
    import tempfile

    for local in (str(Path.home()), sys.executable, os.path.realpath(sys.executable), str(REPO),
                  "Tracing works here", "Tracing is NOT allowed", tempfile.gettempdir() + "/workshop-",
                  "/tmp/workshop-", "/wizard-home-", "/tmp/tmp"):
        assert local not in shown, f"{name}'s committed outputs mention {local!r}"


def _locale(env: dict[str, str], lang: str | None) -> dict[str, str]:
    """``env`` with the locale set to ``lang`` only, or with no locale at all."""
    env = {k: v for k, v in env.items() if k != "LANG" and k != "LANGUAGE" and not k.startswith("LC_")}
    return {**env, "LANG": lang} if lang else env


def _nothing_left_in(folder: Path, patience: float = 15.0) -> list[str]:
    """What is still in ``folder`` once the kernel's watcher had time to tidy up."""
    deadline = time.monotonic() + patience
    while any(folder.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("lang", [None, "C.UTF-8"], ids=["LANG-unset", "LANG-C.UTF-8"])
@pytest.mark.parametrize("name", NAMES)
def test_notebook_outputs_match_under_nbval(name: str, lang: str | None, tmp_path):
    # Everything the run makes goes in a temporary folder of its own, which must be empty afterwards
    # (nbval stops its kernel abruptly: the workshop's watcher tidies up after it).
    temp = tmp_path / "temp"
    temp.mkdir()
    env = _locale({**_env(), "TMPDIR": str(temp)}, lang)
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", str(NOTEBOOKS / name),
         "--nbval-sanitize-with", str(NOTEBOOKS / "nbval-sanitize.cfg"), f"--nbval-cell-timeout={BUDGET}",
         "-p", "no:cacheprovider", "-q", "--rootdir", str(NOTEBOOKS)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=BUDGET * 3, check=False,
    )
    took = time.monotonic() - started
    assert run.returncode == 0, f"nbval failed for {name}:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    assert " passed" in run.stdout and " failed" not in run.stdout
    assert took < BUDGET * 1.5, f"{name} took {took:.0f} s under nbval"  # interpreter start-up included
    assert not _nothing_left_in(temp), f"{name} left files in the temporary directory: {_nothing_left_in(temp)}"


# -- without ptrace ---------------------------------------------------------------------------------------

# Runs before the kernel: refuse ptrace with EPERM from now on (inherited by every child), then
# become the kernel. This is what a container's default seccomp profile does to ptrace.
_NO_PTRACE = r"""
import ctypes, os, struct, sys

def insn(code, jt, jf, k):
    return struct.pack("<HBBI", code, jt, jf, k)

AUDIT_ARCH_X86_64, NR_PTRACE = 0xC000003E, 101
program = b"".join([
    insn(0x20, 0, 0, 4),                      # load the architecture
    insn(0x15, 1, 0, AUDIT_ARCH_X86_64),      # x86_64: go on to the call number
    insn(0x06, 0, 0, 0x7FFF0000),             # another ABI: allow
    insn(0x20, 0, 0, 0),                      # load the call number
    insn(0x15, 0, 1, NR_PTRACE),              # ptrace?
    insn(0x06, 0, 0, 0x00050000 | 1),         #   refuse it with EPERM
    insn(0x06, 0, 0, 0x7FFF0000),             # everything else: allow
])

class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

code = ctypes.create_string_buffer(program, len(program))
prog = SockFprog(len(program) // 8, ctypes.addressof(code))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0) != 0:           # PR_SET_NO_NEW_PRIVS
    raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")
os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *sys.argv[1:]])
"""


@pytest.fixture(scope="module")
def no_ptrace_kernel(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """(kernel name, environment) of a Python kernel that may not use ptrace."""
    if os.uname().machine != "x86_64":
        pytest.skip("the seccomp filter here is written for x86_64")
    root = tmp_path_factory.mktemp("no-ptrace")
    name = write_no_ptrace_kernel(root)
    env = _env()
    env["JUPYTER_PATH"] = f"{root}{os.pathsep}{env['JUPYTER_PATH']}" if env.get("JUPYTER_PATH") else str(root)
    return name, env


def write_no_ptrace_kernel(root: Path) -> str:
    """Write, under ``root`` (a JUPYTER_PATH entry), the spec of a Python kernel that may not use
    ptrace, and its wrapper; returns the kernel's name."""
    wrapper = root / "no_ptrace_kernel.py"
    wrapper.write_text(_NO_PTRACE)
    spec = root / "kernels" / "spykit-no-ptrace"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(wrapper), "-f", "{connection_file}"],
        "display_name": "Python without ptrace", "language": "python",
    }))
    return spec.name


# The calls that make a trace, which fall back on a recording where ptrace is refused.
_TRACING = re.compile(r'workshop\.(?:trace|attach)\(\s*"([^"]+)"')
_MARKER = "SPYKIT_NOTEBOOK_TEST_RUN"


def _still_running(marker: str, patience: float = 10.0) -> list[str]:
    """Processes whose environment carries ``marker``, once the helpers of stopped programs had time to go."""
    deadline = time.monotonic() + patience
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if f"{_MARKER}={marker}".encode() not in (entry / "environ").read_bytes().split(b"\0"):
                    continue
                state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue  # gone meanwhile, or another user's
            if state != "Z":
                found.append(f"{entry.name}: {command.strip()}")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _texts(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_where_ptrace_is_forbidden(name: str, no_ptrace_kernel, monkeypatch, tmp_path):
    from nbclient import NotebookClient

    kernel, env = no_ptrace_kernel
    for key, value in env.items():
        monkeypatch.setenv(key, value)  # the kernel is started from this process, with its environment
    marker = f"{name}-{uuid.uuid4().hex}"
    monkeypatch.setenv(_MARKER, marker)  # inherited by everything the kernel starts
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    nb = build_notebooks.build(name)
    started = time.monotonic()
    NotebookClient(nb, timeout=BUDGET, kernel_name=kernel, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    took = time.monotonic() - started
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [(c.source[:60], o.get("ename")) for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    # It says so plainly at the top, and every trace came from a recording.
    assert "Tracing is NOT allowed" in _texts(code[0]) and "recording" in _texts(code[0])
    everything = "".join(_texts(c) for c in code)
    recordings = [c for c in code if _TRACING.search(c.source)]
    assert recordings and all("(recorded trace:" in _texts(c) for c in recordings)
    assert "Tracing works here" not in everything
    assert took < BUDGET
    # The kernel has shut down: nothing it started (background programs and their helpers) runs on.
    assert not _still_running(marker), f"{name} left processes running: {_still_running(marker)}"
    assert not _nothing_left_in(temp), f"{name} left files in the temporary directory: {_nothing_left_in(temp)}"


def test_every_recording_the_notebooks_use_is_shipped():
    used = set()
    for name in NAMES:
        for cell in build_notebooks.build(name).cells:
            used.update(_TRACING.findall(cell.source))
    shipped = {path.stem for path in (NOTEBOOKS / "recorded").glob("*.parquet")}
    assert used and used <= shipped, f"missing recordings (run notebooks/record.py): {sorted(used - shipped)}"


# -- the helpers for programs running in the background (notebook 03) -------------------------------------

@pytest.fixture()
def workshop_module(tmp_path, monkeypatch):
    """notebooks/workshop.py, with temporary files under tmp_path (the mysteries honour $TMPDIR)."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    import workshop

    monkeypatch.setattr(tempfile, "tempdir", None)  # look at $TMPDIR again
    monkeypatch.setattr(workshop, "_log_dir", None)  # logs in this test's folder
    yield workshop
    workshop.stop_all()


def test_a_background_program_is_stopped_with_every_process_it_started(workshop_module, tmp_path):
    workshop = workshop_module
    sync = workshop.start("sync", workshop.mystery("hangs", "--seconds", "30"), settle=0)
    deadline = time.monotonic() + 15
    while len(workshop.family(sync.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    members = workshop.family(sync.pid)
    assert list(members["parent"])[1:] == [sync.pid] and "--daemon" in members["command"].iloc[1]
    assert os.getpgid(int(members["pid"].iloc[1])) == sync.pid  # its helper is in its process group
    while "syncing" not in sync.said() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Wizard Sync" in sync.said()  # what it printed, from its log
    running = {entry.split(":")[0] for entry in workshop.leftovers()}
    assert {f"pid {pid}" for pid in members["pid"]} <= running

    again = workshop.start("sync", workshop.mystery("hangs", "--seconds", "30"), settle=0)
    assert sync.poll() is not None, "starting a name again stops the earlier program"
    assert workshop.stop_all() == ["sync"] and again.poll() is not None
    assert not [entry for entry in workshop.leftovers() if "hangs.py" in entry] and not workshop.stop("sync")
    assert not any(p.name.startswith("wizard-sync-") for p in tmp_path.iterdir())  # it tidied up on SIGTERM


def test_attach_falls_back_on_the_recording_when_attaching_is_refused(workshop_module, monkeypatch, capsys):
    workshop = workshop_module
    import spykit

    def refuse(pid, **options):
        raise spykit.TracingNotPermitted("ptrace: Operation not permitted", hint="")

    monkeypatch.setattr(workshop, "_live", True)
    monkeypatch.setattr(spykit, "attach", refuse)
    recorded = workshop.attach("clock", os.getpid(), duration=0.1)
    said = capsys.readouterr().out
    assert "Attaching is not allowed here: ptrace: Operation not permitted" in said
    assert "(recorded trace: clock.parquet)" in said
    assert recorded.meta.attached and {"write", "clock_nanosleep"} <= set(recorded.df["syscall"])


# -- nothing left behind (issue 16 item 5) ------------------------------------------------------------------

_KILLED_KERNEL = """
import os, signal, sys, time
sys.path.insert(0, {notebooks!r})
import workshop
folder = workshop.session_dir()
home = workshop.pretend_home()
(workshop.scratch_dir() / "spell.txt").write_text("x")
sync = workshop.start("sync", workshop.mystery("hangs", "--seconds", "60"))
print(folder, home["HOME"], sync.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # as a test runner or "Restart kernel" ends a kernel: no atexit
"""


def test_a_killed_kernel_leaves_nothing_in_the_temp_dir(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    marker = uuid.uuid4().hex
    run = subprocess.run([sys.executable, "-c", _KILLED_KERNEL.format(notebooks=str(NOTEBOOKS))],
                         env={**_env(), "TMPDIR": str(temp), _MARKER: marker}, capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == -9, run.stderr
    folder, home, _pid = run.stdout.split()
    assert Path(folder).parent == temp and Path(home).parent == Path(folder)  # everything in one folder
    deadline = time.monotonic() + 15
    while any(temp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list(temp.iterdir()), "the kernel's temporary folder outlived it"
    assert not _still_running(marker), "a background program outlived the kernel"


def test_a_recording_is_rebased_on_this_runs_pretend_home(tmp_path):
    import workshop

    import spykit

    recorded = spykit.load(NOTEBOOKS / "recorded" / "consent-before.parquet")
    home = str(tmp_path / "wizard-home-mine")
    moved = workshop.rebase_home(recorded, home)
    wanted = moved.missing()["path"].tail(3).tolist()
    assert [path.startswith(home + "/") for path in wanted] == [True] * 3
    assert wanted[0].endswith("/.config/wizard-browser/Consent To Send Stats")
    assert not moved.df["path"].dropna().str.contains("wizard-home-(?!mine)").any()
    assert moved.df.dtypes.to_dict() == recorded.df.dtypes.to_dict() and len(moved.df) == len(recorded.df)


@pytest.mark.skipif(os.geteuid() != 0, reason="already unprivileged: nbval above ran as this user")
def test_notebooks_run_under_nbval_as_an_unprivileged_user():
    """Learners are not root: the notebooks as ``nobody`` (no capabilities), in a copy every user can read."""
    import shutil
    import tempfile

    from conftest import need_tool

    setpriv = need_tool("setpriv")
    # Not under pytest's own temporary folder: every new pytest session of root makes that 0700 again,
    # which would lock nobody out halfway through (seen with several sessions on one machine).
    base = Path(tempfile.mkdtemp(prefix="spykit-nobody-"))
    try:
        _run_notebooks_as_nobody(base, setpriv)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run_notebooks_as_nobody(base: Path, setpriv: str) -> None:
    import shutil

    from test_unprivileged import NOBODY, _copy_tree

    os.chmod(base, 0o777)
    _copy_tree(base)

    shutil.copytree(NOTEBOOKS, base / "notebooks", ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for dirpath, _dirs, files in os.walk(base / "notebooks"):
        os.chmod(dirpath, 0o777)
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o666)
    home = base / "home"
    home.mkdir()
    os.chmod(home, 0o777)
    temp = home / "temp"
    temp.mkdir()
    os.chmod(temp, 0o777)
    drop = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TMPDIR": str(temp),
           "PYTHONPATH": str(base), "PYTHONDONTWRITEBYTECODE": "1", "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    probe = subprocess.run([*drop, sys.executable, "-c", "import spykit, nbval, ipykernel"], env=env, cwd=base,
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"this interpreter cannot be used by an unprivileged user: {probe.stderr.strip()[-200:]}")
    run = subprocess.run(
        [*drop, sys.executable, "-m", "pytest", "--nbval", *[f"notebooks/{name}" for name in NAMES],
         "--nbval-sanitize-with", "notebooks/nbval-sanitize.cfg", f"--nbval-cell-timeout={BUDGET}",
         "-p", "no:cacheprovider", "-q", "--rootdir", "notebooks"],
        cwd=base, env=env, capture_output=True, text=True, timeout=BUDGET * 8, check=False)
    assert run.returncode == 0, f"nbval failed as uid {NOBODY}:\n{run.stdout[-6000:]}\n{run.stderr[-2000:]}"
    assert not _nothing_left_in(temp), f"left in the temporary directory: {_nothing_left_in(temp)}"


# -- what the notebooks teach (issue 17) --------------------------------------------------------------------

def _sources(name: str) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in build_notebooks.build(name).cells]


@pytest.mark.parametrize("name", NAMES)
def test_every_chapter_ends_in_a_terminal_and_every_strace_cell_is_guarded(name: str):
    cells = _sources(name)
    assert any(kind == "markdown" and "## Now do it in a terminal" in text for kind, text in cells)
    for kind, text in cells:
        for line in text.splitlines():
            if kind == "code" and line.startswith("!") and "strace " in line and "spykit" not in line:
                assert line.startswith("!command -v strace >/dev/null && "), line  # Binder has no strace


def test_wizard_school_teaches_the_magics_options_on_real_cells():
    code = [text for kind, text in _sources("00-wizard-school.ipynb") if kind == "code"]
    first_lines = [text.splitlines()[0] for text in code]
    assert any(line.startswith("%%strace") and " -o " in line and " -e " in line for line in first_lines)
    assert "%%strace -c" in first_lines and "%strace?" in first_lines
    assert any(line.startswith("%strace -e") for line in first_lines)
    assert "print(ls.to_text())" in code  # the raw wall, before any filtering
    assert any("EACCES" in text for kind, text in _sources("00-wizard-school.ipynb") if kind == "markdown")


def test_the_slow_chapter_asks_for_the_verdict_before_diagnose_reveals_it():
    code = [text for kind, text in _sources("02-slow-program.ipynb") if kind == "code"]
    asked = next(i for i, text in enumerate(code) if "ch02.q1.check(" in text)
    revealed = next(i for i, text in enumerate(code) if "spykit.diagnose(" in text)
    assert asked < revealed
