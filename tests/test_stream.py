"""The live strace-style stream: hand-made happenings, then ``spykit trace`` on programs that block."""

from __future__ import annotations

import io
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import default_signals

import spykit
from spykit.render.stream import TextStream, rejoin
from spykit.syscalls import captures as C
from spykit.tracer.live import Call, Happening

REPO = Path(__file__).resolve().parent.parent
READ, WRITE, NANOSLEEP, FUTEX, EXIT_GROUP = 0, 1, 230, 202, 231
BUF = {nr: C.blob_key(C.CAPTURES[name][0]) for nr, name in ((READ, "read"), (WRITE, "write"))}  # the data's key


def _call(row: int, t: float, tid: int, nr: int, args: tuple[int, ...], *, end: float | None = None,
          ret: int | None = None, blobs: dict | None = None) -> Call:
    return Call(row, t, tid, tid, nr, args + (0,) * (6 - len(args)), blobs=blobs or {}, exit_time=end, ret=ret)


def _feed(stream: TextStream, steps: list[Happening], now: float, final: bool = False) -> str:
    out = stream.out
    start = out.tell()
    stream.feed(steps, now, final=final)
    out.seek(start)
    text = out.read()
    out.seek(0, io.SEEK_END)
    return text


def _entry(c: Call) -> Happening:
    return (c.time, "entry", c)


def _exit(c: Call) -> Happening:
    return (c.exit_time, "exit", c)


def test_a_call_alone_is_one_whole_line():
    s = TextStream(io.StringIO())
    w = _call(0, 1.0, 10, WRITE, (1, 0x1000, 3), end=1.1, ret=3, blobs={BUF[WRITE]: b"hi\n"})
    assert _feed(s, [_entry(w), _exit(w)], 1.2) == 'write(1, "hi\\n", 3)'.ljust(40) + "= 3\n"


def test_overlapping_calls_are_cut_and_resumed_as_strace_does():
    s = TextStream(io.StringIO(), pids=True)
    r = _call(0, 1.0, 10, READ, (0, 0x1000, 10), end=1.5, ret=2, blobs={BUF[READ]: b"ok"})
    w = _call(1, 1.1, 11, WRITE, (1, 0x2000, 1), end=1.2, ret=1, blobs={BUF[WRITE]: b"x"})
    text = _feed(s, [_entry(r), _entry(w), _exit(w), _exit(r)], 1.6)
    assert text.splitlines() == [
        "[pid    10] read(0,  <unfinished ...>",
        '[pid    11] write(1, "x", 1)            = 1',
        '[pid    10] <... read resumed>"ok", 10) = 2',
    ]
    assert rejoin(text) == ['read(0, "ok", 10) = 2', 'write(1, "x", 1) = 1']


def test_a_call_that_blocks_is_shown_unfinished_at_once_and_finished_later():
    s = TextStream(io.StringIO(), show_after=0.1)
    r = _call(0, 1.0, 10, READ, (0, 0x1000, 10))
    assert _feed(s, [_entry(r)], 1.05) == ""  # a moment: it may finish at once
    assert _feed(s, [], 1.2) == "read(0,  <unfinished ...>\n"
    r.exit_time, r.ret, r.blobs[BUF[READ]] = 9.0, 1, b"z"
    assert _feed(s, [_exit(r)], 9.1) == '<... read resumed>"z", 10)'.ljust(40) + "= 1\n"


def test_a_thread_that_ends_in_a_call_ends_its_line_with_a_question_mark():
    s = TextStream(io.StringIO())
    e = _call(0, 1.0, 10, EXIT_GROUP, (0,))
    gone = (1.1, "event", (1.1, 10, "exit", None, 0, None, None, "+++ exited with 0 +++"))
    assert _feed(s, [_entry(e), gone], 1.2, final=True).splitlines() == [
        f"{'exit_group(0)':<40}= ?", "+++ exited with 0 +++"]


def test_calls_never_finished_are_closed_at_the_end():
    s = TextStream(io.StringIO())
    r = _call(0, 1.0, 10, READ, (0, 0x1000, 10))
    _feed(s, [_entry(r)], 2.0)
    assert _feed(s, [], 2.1, final=True) == f"{'<... read resumed>)':<40}= ?\n"


# -- spykit trace on programs that block ------------------------------------------------------------

def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _children(pid: int) -> list[int]:
    """The children of every thread of ``pid`` (spykit starts the program from its tracer thread)."""
    found = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            found += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
    except OSError:
        pass
    return found


def _in_call(pid: int, nr: int) -> bool:
    """Whether some thread of ``pid`` sits in system call ``nr`` (from /proc, as the kernel sees it)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tasks:
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/syscall").read_text().split()
        except OSError:
            continue
        if fields and fields[0] == str(nr):
            return True
    return False


def _wait_for(condition, seconds: float, what: str) -> float:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)
    return time.monotonic()


def _unfinished_line(path: Path, name: str) -> bool:
    return any(line.split("] ")[-1].startswith(f"{name}(") and line.endswith("<unfinished ...>")
               for line in path.read_text(errors="replace").splitlines())


def _same_as_the_saved_trace(streamed: str, saved: Path) -> None:
    whole = spykit.load(saved).to_text()
    assert rejoin(streamed) == rejoin(whole)


BLOCKERS = {
    # a read from a pipe nobody writes (the test holds its writing end)
    "pipe": (["cat"], READ, "read"),
    "sleep": (["sleep", "30"], NANOSLEEP, "clock_nanosleep"),
    "lock": ([sys.executable, "-c", "import threading; lock = threading.Lock(); lock.acquire(); lock.acquire()"],
             FUTEX, "futex"),
}


@pytest.mark.parametrize("to_file", [True, False], ids=["-o", "stderr"])
@pytest.mark.parametrize("case", sorted(BLOCKERS))
def test_the_call_a_launched_program_blocks_in_is_on_the_stream_at_once(tmp_path, case, to_file):
    cmd, nr, name = BLOCKERS[case]
    out, saved = tmp_path / "out.txt", tmp_path / "t.parquet"
    where = ["-o", str(out)] if to_file else []
    with open(tmp_path / "stderr.txt", "w") as err:
        spy = subprocess.Popen([sys.executable, "-m", "spykit.cli", "trace", *where, "--save", str(saved), "--", *cmd],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, env=_env(),
                               preexec_fn=default_signals)
    if not to_file:
        out = tmp_path / "stderr.txt"
    try:
        _wait_for(lambda: _children(spy.pid), 30, "the program never started")
        program = _children(spy.pid)[0]
        blocked = _wait_for(lambda: _in_call(program, nr), 30, f"{cmd} never reached {name}")
        shown = _wait_for(lambda: _unfinished_line(out, name), 10, f"no unfinished {name} line")
        assert shown - blocked < 1.0
        assert spy.poll() is None and _in_call(program, nr)  # still running, still blocked
        spy.send_signal(signal.SIGINT)  # Ctrl-C
        spy.wait(timeout=30)
    finally:
        if spy.poll() is None:
            spy.kill()
            spy.wait()
        spy.stdin.close()
    assert spy.returncode == 130
    streamed = out.read_text()
    if not to_file:
        streamed = "\n".join(line for line in streamed.splitlines() if not line.startswith("spykit: "))
    _same_as_the_saved_trace(streamed, saved)


@pytest.mark.parametrize("case", sorted(BLOCKERS))
def test_the_call_an_attached_program_blocks_in_is_on_the_stream_at_once(tmp_path, case):
    cmd, nr, name = BLOCKERS[case]
    out, saved = tmp_path / "out.txt", tmp_path / "t.parquet"
    program = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    spy = None
    try:
        _wait_for(lambda: _in_call(program.pid, nr), 30, f"{cmd} never reached {name}")
        time.sleep(0.2)
        spy = subprocess.Popen([sys.executable, "-m", "spykit.cli", "trace", "-f", "-o", str(out), "--save",
                                str(saved), "-p", str(program.pid)], stderr=subprocess.PIPE, text=True, env=_env(),
                               preexec_fn=default_signals)

        def traced() -> bool:  # by spykit's tracer thread
            status = Path(f"/proc/{program.pid}/status").read_text()
            tracer = status.split("TracerPid:")[1].split()[0]
            return tracer != "0" and os.path.exists(f"/proc/{spy.pid}/task/{tracer}")

        attached = _wait_for(traced, 30, "spykit never attached")
        # (the interrupted call is restarted after the attach: a futex or read again, restart_syscall for a sleep)
        again = "restart_syscall" if case == "sleep" else name
        shown = _wait_for(lambda: _unfinished_line(out, again), 10, f"no unfinished {again} line")
        assert shown - attached < 1.0
        assert spy.poll() is None
        spy.send_signal(signal.SIGINT)  # Ctrl-C: detach
        _, err = spy.communicate(timeout=30)
        assert spy.returncode == 130, err
        assert program.poll() is None  # detached, still blocked
        _wait_for(lambda: _in_call(program.pid, nr) or _in_call(program.pid, 219), 10, "not blocked again")
    finally:
        if spy is not None and spy.poll() is None:
            spy.kill()
            spy.wait()
        program.kill()
        program.wait()
        program.stdin.close()
    _same_as_the_saved_trace(out.read_text(), saved)


def test_calls_of_several_processes_overlap_as_in_strace_and_rejoin_to_the_saved_trace(tmp_path):
    out, saved = tmp_path / "out.txt", tmp_path / "t.parquet"
    # the shell waits in wait4 while its children run: its wait4 is cut and resumed around their lines
    done = subprocess.run([sys.executable, "-m", "spykit.cli", "trace", "-f", "-o", str(out), "--save", str(saved),
                           "--", "sh", "-c", "sleep 0.3 & cat /etc/hostname >/dev/null; wait"],
                          capture_output=True, text=True, env=_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    streamed = out.read_text()
    lines = streamed.splitlines()
    assert any(line.endswith("<unfinished ...>") for line in lines)
    assert any("<... wait4 resumed>" in line for line in lines)
    assert any(line.startswith("[pid ") for line in lines)  # from the second process on
    _same_as_the_saved_trace(streamed, saved)


def test_with_a_selection_the_python_loop_streams_too(tmp_path):
    # -e selects calls with a seccomp filter, and then the loop is Python's, not the C one
    out = tmp_path / "out.txt"
    spy = subprocess.Popen([sys.executable, "-m", "spykit.cli", "trace", "-e", "trace=read", "-o", str(out), "--",
                            "cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=_env(), preexec_fn=default_signals)
    try:
        _wait_for(lambda: _children(spy.pid), 30, "the program never started")
        program = _children(spy.pid)[0]
        blocked = _wait_for(lambda: _in_call(program, READ), 30, "cat never reached read")
        shown = _wait_for(lambda: _unfinished_line(out, "read"), 10, "no unfinished read line")
        assert shown - blocked < 1.0
        spy.stdin.write(b"hi\n")
        spy.stdin.close()  # cat reads "hi", then end of file, and exits
        spy.wait(timeout=30)
    finally:
        if spy.poll() is None:
            spy.kill()
            spy.wait()
    assert spy.returncode == 0
    lines = out.read_text().splitlines()
    resumed = [line for line in lines if line.startswith("<... read resumed>")]
    assert resumed and resumed[0].startswith('<... read resumed>"hi\\n", ') and resumed[0].endswith("= 3")


def test_the_cursor_reads_a_recorder_up_to_the_lengths_it_is_given():
    from spykit.tracer.live import Cursor
    from spykit.tracer.recorder import Recorder

    def info(nr: int, *args: int) -> bytes:
        return struct.pack("<Q6Q", nr, *args, *(0,) * (6 - len(args)))

    rec = Recorder()
    cursor = Cursor(rec)
    r0 = rec.start_row(0.1, 10, 10, READ, info(READ, 0, 0x1000, 10))
    r1 = rec.start_row(0.2, 11, 10, WRITE, info(WRITE, 1, 0x2000, 1))
    rec.add_blob(r1, BUF[WRITE], b"x")
    rec.finish_row(r1, 0.3, struct.pack("<qB", 1, 0))
    moment = cursor.lengths()
    rec.add_blob(r0, BUF[READ], b"ok")  # after the moment: not read yet
    rec.finish_row(r0, 0.4, struct.pack("<qB", 2, 0))
    first = cursor.read(moment)
    assert [(t, kind, what.row) for t, kind, what in first] == [(0.1, "entry", r0), (0.2, "entry", r1),
                                                                 (0.3, "exit", r1)]
    assert first[1][2].blobs == {BUF[WRITE]: b"x"} and first[2][2].ret == 1
    second = cursor.read(cursor.lengths())
    assert [(t, kind, what.row) for t, kind, what in second] == [(0.4, "exit", r0)]
    call = second[0][2]
    assert call.blobs == {BUF[READ]: b"ok"} and (call.ret, call.err) == (2, None) and cursor.open == {}
    rec.start_row(0.5, 10, 10, READ, info(READ, 9, 0x1000, 10))
    rec.finish_row(2, 0.6, struct.pack("<qB", -9, 1))  # failed: EBADF
    (_, _, entered), (_, _, failed) = cursor.read(cursor.lengths())
    assert entered is failed and (failed.ret, failed.err) == (-1, 9)
