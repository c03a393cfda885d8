"""spykit.tracer.runner on hand-made work: the tracer thread, how the waiting thread stops it, and
the bell that wakes a waitpid."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest
from conftest import children_of

from spykit.tracer import linux as L
from spykit.tracer.runner import Bell, Stopped, run_in_tracer_thread


class FakeTracer:
    """The two attributes a Bell touches."""

    def __init__(self) -> None:
        self.stop_requested = False
        self.doorbells: set[int] = set()


def until_stopped(flag: threading.Event, seconds: float = 10.0):
    def work(watch):
        watch.arm()
        assert flag.wait(seconds), "never stopped"
        return "finished"
    return work


def test_the_result_and_the_thread():
    seen = {}

    def work(watch):
        seen["thread"] = threading.current_thread().name
        return 42

    assert run_in_tracer_thread(work, lambda: None) == (42, None)
    assert seen["thread"] == "spykit-tracer" and seen["thread"] != threading.current_thread().name


def test_an_error_in_the_work_is_raised_in_the_caller():
    def work(watch):
        raise OSError(5, "broken")

    with pytest.raises(OSError, match="broken"):
        run_in_tracer_thread(work, lambda: None)


def test_the_deadline_counts_from_arm():
    flag = threading.Event()
    started = {}

    def work(watch):
        time.sleep(0.3)  # not counted: not armed yet
        started["at"] = time.monotonic()
        watch.arm()
        assert flag.wait(10)
        return "stopped"

    result, why = run_in_tracer_thread(work, flag.set, seconds=0.2)
    assert result == "stopped" and isinstance(why, TimeoutError)
    assert 0.2 <= time.monotonic() - started["at"] < 5


def test_a_stop_event_stops_it():
    flag, event = threading.Event(), threading.Event()
    threading.Timer(0.1, event.set).start()
    result, why = run_in_tracer_thread(until_stopped(flag), flag.set, stop_event=event)
    assert result == "finished" and isinstance(why, Stopped)


def test_ctrl_c_stops_the_work_and_is_reported_not_raised(interruptible):
    flag = threading.Event()
    calls = []

    def stop():
        calls.append(1)
        flag.set()

    timer = threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    result, why = run_in_tracer_thread(until_stopped(flag), stop)
    assert result == "finished" and isinstance(why, KeyboardInterrupt) and calls == [1]


def test_a_second_ctrl_c_still_waits_for_the_tracer_to_let_go(interruptible):
    """The work's cleanup (letting go of every process) must end before the caller returns."""
    stops = []
    first, second = threading.Event(), threading.Event()

    def stop():
        stops.append(1)
        (second if first.is_set() else first).set()

    def work(watch):
        assert first.wait(10)
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C again, during the cleanup
        assert second.wait(10)
        time.sleep(0.1)
        return "cleaned up"

    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
    result, why = run_in_tracer_thread(work, stop)
    assert result == "cleaned up" and isinstance(why, KeyboardInterrupt) and len(stops) == 2


def test_the_bell_wakes_a_wait_for_this_threads_tracees_and_is_reaped():
    """The bell is a child of the thread that installs it: ringing makes that thread's
    waitpid(-1, __WALL | __WNOTHREAD) return, and a Popen of another thread is never seen."""
    other = subprocess.Popen(["sh", "-c", "exit 7"])  # a child of this (the calling) thread
    time.sleep(0.1)  # it has exited: a plain waitpid(-1) would take it
    tracer = FakeTracer()
    bell = Bell(tracer)
    before = set(children_of(os.getpid()))
    woke = {}

    def work(watch):
        bell.install()
        try:
            woke["pid"], _ = os.waitpid(-1, L.WAIT_TRACEES)
        finally:
            bell.remove()

    threading.Timer(0.2, bell.ring).start()
    run_in_tracer_thread(work, bell.ring)
    assert woke["pid"] == bell.pid and tracer.stop_requested
    assert other.wait(timeout=5) == 7
    assert set(children_of(os.getpid())) <= before


def test_a_bell_rung_before_it_is_installed_does_not_block():
    tracer = FakeTracer()
    bell = Bell(tracer)
    bell.ring()
    bell.install()
    assert tracer.stop_requested
    bell.remove()
    assert bell.pid not in children_of(os.getpid())
