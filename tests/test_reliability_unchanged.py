"""Issue 16: a traced program behaves exactly as it does untraced, and the trace says what spykit did.

- a selection without following children uses no seccomp filter (an unfollowed child or thread
  would inherit it and get ENOSYS from every selected call);
- ``attach`` to a child of the caller leaves the child's exit status to the caller;
- descendants that outlive the program are either waited for or, when spykit ends them, shown
  as ended by spykit (not as if they had crashed);
- messages about refused tracing say what is really the case.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import spykit

REPO = Path(__file__).resolve().parent.parent


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "spykit.cli", *args], capture_output=True, env=env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def _untraced(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


def _attach_to_a_child_that_exits_7():
    """Start a child of ours that exits with 7, attach to it, and wait for it as its parent would:
    (the status its parent saw, the trace)."""
    p = subprocess.Popen(["sh", "-c", "sleep 0.3; exit 7"])
    try:
        t = spykit.attach(p.pid, duration=5)
    finally:
        code = p.wait(timeout=10)
    return code, t


# -- item 1: no seccomp filter where a descendant is not followed ----------------------------------

_THREAD_OPENS = """
import threading
out = []
def work():
    try:
        with open('/etc/hostname') as f:
            out.append(f.read().strip())
    except OSError as e:
        out.append(repr(e))
t = threading.Thread(target=work); t.start(); t.join()
print(out[0])
"""


@pytest.mark.parametrize("selection, command", [
    ("openat", ["sh", "-c", "cat /etc/hostname"]),
    ("write", ["sh", "-c", "sleep 0.1; echo slept"]),
    ("execve", ["bash", "-c", "ls /"]),  # (bash runs a lone command in its own process: execve only)
    ("execve", ["bash", "-c", "ls /; echo listed"]),  # (a list: bash forks for ls)
])
def test_the_command_line_without_f_leaves_children_working(selection, command):
    plain = _untraced(command)
    traced = _cli("trace", "-e", selection, "--", *command)
    assert (traced.returncode, traced.stdout) == (plain.returncode, plain.stdout), traced.stderr[-2000:]
    assert b"Error 38" not in traced.stderr and b"Function not implemented" not in traced.stderr


def test_a_thread_of_an_unfollowed_program_keeps_working(python_exe):
    cmd = [python_exe, "-c", _THREAD_OPENS]
    plain = _untraced(cmd)
    t = spykit.trace(cmd, syscalls=["openat"], follow_forks=False, capture_output=True)
    assert (t.returncode, t.stdout) == (plain.returncode, plain.stdout)
    assert b"Errno 38" not in t.stdout


@pytest.mark.parametrize("seccomp", [True, False])
def test_the_api_without_following_gives_the_untraced_result_and_the_same_rows(seccomp):
    cmd = ["sh", "-c", "cat /etc/hostname; exit 3"]
    plain = _untraced(cmd)
    t = spykit.trace(cmd, syscalls=["openat"], follow_forks=False, capture_output=True, seccomp=seccomp)
    assert (t.returncode, t.stdout, t.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    # only sh's own calls: cat (unfollowed) opens /etc/hostname, sh does not
    assert set(t.df["syscall"]) <= {"openat"}
    assert "/etc/hostname" not in set(t.df["path"].dropna())
    assert t.df["pid"].nunique() == 1


def test_without_following_the_rows_are_straces_without_f(strace_exe, tmp_path):
    out = tmp_path / "strace.txt"
    cmd = ["sh", "-c", "cat /etc/hostname; cat /nonexistent/x 2>/dev/null; true"]
    subprocess.run([strace_exe, "-e", "trace=openat", "-o", str(out), *cmd], capture_output=True, check=True)
    theirs = [line.split('"')[1] for line in out.read_text().splitlines() if line.startswith("openat(")]
    t = spykit.trace(cmd, syscalls=["openat"], follow_forks=False, capture_output=True)
    assert list(t.df["path"]) == theirs and "/etc/hostname" not in theirs


def test_the_filter_still_speeds_up_followed_selections():
    # with every descendant followed the filter is safe, and the selected calls are all there
    t = spykit.trace(["sh", "-c", "cat /etc/hostname"], syscalls=["openat"], capture_output=True)
    assert t.returncode == 0
    assert "/etc/hostname" in set(t.df["path"].dropna())


# -- pinning: tracer and program share one CPU, and the program must not see it ------------------

@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: nothing is pinned")
@pytest.mark.parametrize("selection", [None, ["openat"], ["sched_getaffinity"]])
def test_a_pinned_program_still_counts_every_cpu(selection, python_exe):
    # nproc and os.sched_getaffinity ask the kernel which CPUs they may run on: traced, the answer
    # must be the untraced one, with or without a selection (a seccomp filter), and the row is kept
    # when the call is selected.
    for cmd in (["nproc"], [python_exe, "-c", "import os; print(len(os.sched_getaffinity(0)))"]):
        untraced = _untraced(cmd)
        traced = spykit.trace(cmd, syscalls=selection, capture_output=True)
        assert traced.stdout == untraced.stdout, (cmd, selection)
        if selection == ["sched_getaffinity"]:
            assert "sched_getaffinity" in set(traced.df["syscall"].astype(str))


# -- item 2: attach() to a child of the caller leaves its exit status to the caller ---------------

def test_attach_to_own_child_leaves_its_exit_status_to_the_caller():
    code, t = _attach_to_a_child_that_exits_7()
    assert code == 7
    assert t.returncode == 7
    assert "exited with 7" in " ".join(t.events["text"])


def test_the_attach_helper_ignores_code_planted_in_the_working_directory(tmp_path, monkeypatch):
    # The helper that traces a child of ours is a Python process too: a folder holding its own
    # spykit/ package or json.py must not run as the caller's user (the same rule as %%strace's),
    # not even for someone whose PYTHONPATH names the current folder.
    marker = tmp_path / "planted-code-ran"
    plant = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    (tmp_path / "spykit").mkdir()
    (tmp_path / "spykit" / "__init__.py").write_text(plant)
    (tmp_path / "json.py").write_text(plant + "from json import *\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("")
    monkeypatch.setenv("PYTHONPATH", ".")
    code, t = _attach_to_a_child_that_exits_7()
    assert not marker.exists(), marker.read_text()
    assert code == 7 and t.returncode == 7


def test_attach_to_own_child_killed_by_a_signal_keeps_the_signal_for_the_caller():
    p = subprocess.Popen(["sleep", "30"])
    try:
        import threading

        threading.Timer(0.3, p.kill).start()
        t = spykit.attach(p.pid, duration=10)
    finally:
        code = p.wait(timeout=10)
    assert code == -9
    assert t.returncode == -9


_WAITS_THEN_WORKS = """
import os, time
os.write(1, b'ready\\n')
time.sleep(1.5)  # (time for a helper interpreter to start and attach, even on a loaded machine)
with open('/etc/hostname') as f:
    f.read()
os.write(1, b'done\\n')
os._exit(7)
"""


def _rows_after_the_sleep(t: spykit.Trace) -> list[tuple[str, str | None]]:
    df = t.df[t.df["syscall"] != "clock_nanosleep"]  # the call we attached in, however it is cut
    # (files by name; a pipe's inode number differs from run to run)
    return [(s, p if isinstance(p, str) and p.startswith("/") else None)
            for s, p in zip(df["syscall"], df["path"], strict=True)]


def test_attach_gives_the_same_rows_for_a_child_and_for_a_process_of_another_parent(python_exe, tmp_path):
    own = subprocess.Popen([python_exe, "-c", _WAITS_THEN_WORKS], stdout=subprocess.PIPE)
    assert own.stdout.readline() == b"ready\n"
    t_own = spykit.attach(own.pid, duration=10)
    assert own.wait(timeout=10) == 7
    own.stdout.close()
    # the same program, started by a shell that waits for it: its parent is the shell, not us
    script = tmp_path / "prog.py"
    script.write_text(_WAITS_THEN_WORKS)
    shell = subprocess.Popen(["sh", "-c", f'"{python_exe}" "{script}" & echo $!; wait $!; exit $?'],
                             stdout=subprocess.PIPE)
    pid = int(shell.stdout.readline())
    assert shell.stdout.readline() == b"ready\n"
    t_other = spykit.attach(pid, duration=10)
    assert shell.wait(timeout=10) == 7  # the shell, its parent, got the status too
    shell.stdout.close()
    assert t_own.returncode == t_other.returncode == 7
    assert _rows_after_the_sleep(t_own) == _rows_after_the_sleep(t_other)
    assert ("openat", "/etc/hostname") in _rows_after_the_sleep(t_own)
    assert list(t_own.events["kind"]) == list(t_other.events["kind"])


@pytest.fixture(params=["helper", "in-process"])
def attach_path(request, monkeypatch):
    """Both ways of attaching to a child of ours: from a helper process (the default), and from a
    thread of this process (where a helper may not trace it: Yama's ptrace_scope 1)."""
    if request.param == "in-process":
        from spykit.tracer import attachhelper

        def refused(*args, **kwargs):
            raise attachhelper.HelperRefused("as under Yama's ptrace_scope 1")

        monkeypatch.setattr(attachhelper, "attach_from_helper", refused)
    return request.param


def test_each_way_of_attaching_to_a_child_keeps_its_status(attach_path):
    code, t = _attach_to_a_child_that_exits_7()
    assert (code, t.returncode) == (7, 7)


def test_the_helper_is_stopped_by_the_duration_and_the_child_runs_on(attach_path):
    p = subprocess.Popen(["sh", "-c", "sleep 0.8; exit 5"])
    try:
        t = spykit.attach(p.pid, duration=0.2)
        assert t.returncode is None
        assert p.poll() is None  # still running, untraced
        with open(f"/proc/{p.pid}/status") as f:
            assert "TracerPid:\t0" in f.read()
    finally:
        code = p.wait(timeout=10)
    assert code == 5


# -- item 3: descendants that outlive the program ----------------------------------------------------

def _daemon(seconds: float, marker: Path) -> list[str]:
    """A program that leaves a daemon behind (a double fork and setsid), which writes ``marker``."""
    return ["sh", "-c", f'(setsid sh -c "sleep {seconds}; echo done > {marker}" &); exit 0']


def test_a_daemon_ended_by_spykit_is_shown_as_ended_by_spykit(tmp_path):
    marker = tmp_path / "done"
    t = spykit.trace(_daemon(5, marker), capture_output=True)
    assert t.returncode == 0 and not marker.exists()
    ended = t.events[(t.events["kind"] == "killed") & (t.events["how"] == "spykit")]
    assert len(ended) >= 1
    assert all("spykit ended it: still running after the traced program exited" in text for text in ended["text"])
    procs = t.processes()
    by_spykit = procs[procs["ended_by_spykit"]]
    assert set(by_spykit["pid"]) == set(t.meta.ended_by_spykit) != set()
    assert (by_spykit["signal"] == "SIGKILL").all()
    assert not procs[procs["pid"] == t.meta.pid]["ended_by_spykit"].any()  # the program itself exited
    assert "spykit ended it" in t.to_text()
    from spykit.render.text import process_tree_text

    assert "ended by spykit" in process_tree_text(procs)
    # saved and loaded, the trace still says so
    path = tmp_path / "t.parquet"
    t.save(path)
    assert spykit.load(path).meta.ended_by_spykit == t.meta.ended_by_spykit


def test_wait_for_descendants_waits_like_strace(tmp_path):
    marker = tmp_path / "done"
    t = spykit.trace(_daemon(0.6, marker), wait_for_descendants=True, capture_output=True)
    assert marker.read_text() == "done\n"
    assert t.meta.ended_by_spykit == []
    procs = t.processes()
    assert not procs["ended_by_spykit"].any()
    assert procs["signal"].isna().all() and (procs["status"] == 0).all()


def test_a_timeout_says_spykit_ended_the_program(tmp_path):
    with pytest.raises(spykit.TraceInterrupted) as info:
        spykit.trace(["sleep", "5"], timeout=0.3)
    t = info.value.trace
    assert t.returncode == -9 and t.meta.ended_by_spykit == [t.meta.pid]
    assert "spykit ended it: tracing stopped before the program ended" in t.to_text()


def test_the_command_line_waits_for_descendants_when_asked(tmp_path):
    marker = tmp_path / "done"
    plain = _cli("trace", "-f", "--", *_daemon(0.6, marker))
    assert plain.returncode == 0 and not marker.exists()
    assert b"spykit ended it" in plain.stderr
    waited = _cli("trace", "-f", "--wait-for-descendants", "--", *_daemon(0.6, marker))
    assert waited.returncode == 0 and marker.read_text() == "done\n"
    assert b"spykit ended it" not in waited.stderr and b"killed by" not in waited.stderr


def test_processes_tells_spykits_sigkill_from_anothers_on_hand_made_events():
    from frames import call, event, make_df, make_events

    from spykit import questions as q
    from spykit.render.text import process_tree_text

    df = make_df([call("clone", "...", ret=11, time=0.01, pid=10), call("clone", "...", ret=12, time=0.02, pid=10)],
                 times=False)
    events = make_events([
        event("spawn", time=0.01, pid=10, child=11, how="fork"),
        event("spawn", time=0.02, pid=10, child=12, how="fork"),
        event("exit", time=0.03, pid=10, status=0, text="+++ exited with 0 +++"),
        event("killed", time=0.04, pid=11, signal="SIGKILL", text="+++ killed by SIGKILL +++"),
        event("killed", time=0.30, pid=12, signal="SIGKILL", how="spykit",
              text="+++ killed by SIGKILL (spykit ended it: still running after the traced program exited) +++"),
    ])
    procs = q.processes(df, events)
    assert procs["ended_by_spykit"].tolist() == [False, False, True]
    assert procs["signal"].tolist()[1:] == ["SIGKILL", "SIGKILL"]
    tree = process_tree_text(procs).splitlines()
    assert tree[1].endswith("[killed by SIGKILL]")
    assert "ended by spykit" in tree[2]


# -- item 12: each refusal says what is really the case -----------------------------------------------

NOBODY = 65534


def _driver_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def test_trace_under_strace_f_says_the_program_already_has_a_tracer(strace_exe):
    run = subprocess.run([strace_exe, "-f", "-o", "/dev/null", sys.executable, "-c",
                          "import spykit; spykit.trace(['true'])"], capture_output=True, text=True,
                         env=_driver_env(), timeout=60, cwd="/")
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()
    message = "\n".join(last[-2:])
    assert "TracingNotPermitted" in message and "already being traced by process" in message, run.stderr
    assert "(strace)" in message and "seccomp" not in message


def test_trace_inside_a_strace_cell_says_the_cell_traces_it():
    from spykit.notebook.celltrace import CellTracer

    with pytest.raises(spykit.TracingNotPermitted) as info, CellTracer():
        spykit.trace(["true"])
    message = str(info.value)
    assert "already being traced by the %%strace cell" in message and "seccomp" not in message


def test_attach_to_a_zombie_says_it_has_exited():
    p = subprocess.Popen(["sh", "-c", "exit 4"])
    try:
        deadline = time.monotonic() + 10
        while _state(p.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _state(p.pid) == "Z"
        with pytest.raises(spykit.TracingNotPermitted, match="zombie") as info:
            spykit.attach(p.pid, duration=0.2)
        assert "kernel thread" not in str(info.value)
    finally:
        code = p.wait(timeout=10)
    assert code == 4  # and its status is still its parent's


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(line.split()[1] for line in f if line.startswith("State:"))
    except OSError:
        return None


def _as_nobody() -> list[str]:
    """The command prefix that runs as nobody (nothing when we already are not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv is not installed: cannot drop to another user")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all"]


_NON_DUMPABLE = """
import ctypes, json, subprocess, sys, time
import spykit
target = ("import ctypes, sys, time; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); "
          "sys.stdout.write('ready\\\\n'); sys.stdout.flush(); time.sleep(30)")
# started by a shell that exits: not our child, so attach goes straight to the kernel
out = subprocess.Popen(["sh", "-c", f'"{sys.executable}" -c "{target}" & echo $!'], stdout=subprocess.PIPE, text=True)
pid = int(out.stdout.readline()); out.stdout.readline(); out.wait()
try:
    spykit.attach(pid, duration=0.2)
    print(json.dumps(["attached", ""]))
except Exception as exc:
    print(json.dumps([type(exc).__name__, str(exc)]))
finally:
    import os, signal
    os.kill(pid, signal.SIGKILL)
"""


def test_attach_to_a_non_dumpable_process_of_ours_says_so():
    prefix = _as_nobody()
    run = subprocess.run([*prefix, sys.executable, "-c", _NON_DUMPABLE], capture_output=True, text=True,
                         env=_driver_env(), timeout=60, cwd="/")
    lines = [line for line in run.stdout.splitlines() if line.startswith("[")]
    if prefix and not lines:
        pytest.skip(f"this interpreter cannot run as uid {NOBODY}: {run.stderr.strip()[-300:]}")
    kind, message = json.loads(lines[-1])
    assert kind == "TracingNotPermitted", message
    assert "not dumpable" in message and "CAP_SYS_PTRACE" in message
    assert "another user" not in message and "kernel thread" not in message


_PTRACE_REFUSED = """
import ctypes, json, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def insn(code, jt, jf, k):
    return struct.pack("<HBBI", code, jt, jf, k)
prog = b"".join([
    insn(0x20, 0, 0, 4), insn(0x15, 0, 3, 0xC000003E),   # arch is x86_64? else allow
    insn(0x20, 0, 0, 0), insn(0x15, 0, 1, 101),          # nr == ptrace?
    insn(0x06, 0, 0, 0x00050000 | 1),                    # -> EPERM, as a container's profile does
    insn(0x06, 0, 0, 0x7FFF0000),                        # allow
])
code = ctypes.create_string_buffer(prog, len(prog))
class Fprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))
fprog = Fprog(len(prog) // 8, ctypes.addressof(code))
assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
assert libc.syscall(317, 1, 0, ctypes.byref(fprog)) == 0, ctypes.get_errno()
import spykit
from spykit.notebook.celltrace import CellTracer
out = {}
try:
    with CellTracer():
        pass
except Exception as exc:
    out["cell"] = [type(exc).__name__, str(exc)]
try:
    spykit.trace(["true"])
except Exception as exc:
    out["trace"] = [type(exc).__name__, str(exc)]
print(json.dumps(out))
"""


def test_where_ptrace_is_forbidden_the_cell_and_trace_say_it_is_the_seccomp_filter():
    run = subprocess.run([sys.executable, "-c", _PTRACE_REFUSED], capture_output=True, text=True,
                         env=_driver_env(), timeout=60, cwd="/")
    out = json.loads([line for line in run.stdout.splitlines() if line.startswith("{")][-1])
    for what in ("cell", "trace"):
        kind, message = out[what]
        assert kind == "TracingNotPermitted", (what, message)
        assert "seccomp filter" in message and "kernel thread" not in message, (what, message)


def test_ctrl_c_and_stop_event_end_an_attach_to_a_child_from_the_helper(interruptible):
    import signal
    import threading

    p = subprocess.Popen(["sh", "-c", "sleep 3; exit 6"])
    try:
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        with pytest.raises(spykit.TraceInterrupted, match="interrupted") as info:
            spykit.attach(p.pid, duration=20)
        timer.cancel()
        assert info.value.trace.meta.attached and p.poll() is None
        assert "TracerPid:\t0" in Path(f"/proc/{p.pid}/status").read_text()
        stop = threading.Event()
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        t = spykit.attach(p.pid, stop_event=stop)
        assert time.monotonic() - started < 2 and t.returncode is None
    finally:
        code = p.wait(timeout=10)
    assert code == 6


def test_under_yama_scope_1_a_child_is_traced_here_without_a_helper(monkeypatch):
    if os.geteuid() == 0:
        pytest.skip("root's helper may trace under ptrace_scope 1: the unprivileged run covers this")
    from spykit.tracer import api, attachhelper

    def must_not_start(*args, **kwargs):
        raise AssertionError("a helper was started where Yama would refuse it")

    monkeypatch.setattr(api, "_yama_scope", lambda: 1)
    monkeypatch.setattr(attachhelper, "attach_from_helper", must_not_start)
    code, t = _attach_to_a_child_that_exits_7()
    assert (code, t.returncode) == (7, 7)


def test_a_helper_that_cannot_start_is_a_clear_error_and_the_child_is_untouched(monkeypatch):
    import errno

    from spykit.tracer import api, attachhelper

    if api._yama_scope() not in (None, 0) and os.geteuid() != 0:
        pytest.skip("Yama's ptrace_scope here makes attach trace our child without a helper")

    def no_more_processes(*args, **kwargs):
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    p = subprocess.Popen(["sh", "-c", "sleep 0.3; exit 7"])
    try:
        monkeypatch.setattr(attachhelper.subprocess, "Popen", no_more_processes)
        with pytest.raises(spykit.SpykitError, match="could not start spykit's tracing helper"):
            spykit.attach(p.pid, duration=2)
    finally:
        monkeypatch.undo()
        code = p.wait(timeout=10)
    assert code == 7
