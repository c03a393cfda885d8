"""strace and spykit, line by line, on the programs in programs/ (see harness.py)."""

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

pytestmark = [
    pytest.mark.strace,
    pytest.mark.skipif(shutil.which("strace") is None or shutil.which("gcc") is None,
                       reason="needs strace and gcc"),
]


@pytest.fixture(scope="module")
def outcomes():
    return harness.run_all()


def test_there_are_enough_programs():
    assert len([p for p in harness.PROGRAMS.iterdir() if p.suffix in (".c", ".py", ".sh", ".s")]) >= 30


def test_every_program_ran(outcomes):
    failed = {o.program: o.error for o in outcomes if o.error}
    assert not failed


def test_agreement(outcomes):
    all_pct, listed_pct, text = harness.summary(outcomes)
    print("\n" + text)
    details = harness.mismatch_report(outcomes, limit=40)
    assert all_pct >= 99.0, details
    assert listed_pct == 100.0, details


def test_a_size_equal_to_a_thread_id_stays_a_size():
    """An mprotect of 8192 bytes in a run with a thread 8192 once read as mprotect(ADDR, TID, ...)."""
    normalise = harness.normaliser({8192}, "/nowhere")
    assert normalise("mprotect(0x7f0000001000, 8192, PROT_READ) = 0") == "mprotect(ADDR, 8192, PROT_READ) = 0"
    assert normalise("kill(8192, SIGTERM) = 0") == "kill(TID, SIGTERM) = 0"
    limit = "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0"
    assert harness.normaliser({8192, 1024}, "/nowhere")(limit) == limit
    assert normalise("lseek(3, 8192, SEEK_SET) = 8192") == "lseek(3, 8192, SEEK_SET) = 8192"
    stat = 'statfs("/", {f_type=EXT2_SUPER_MAGIC, f_bsize=8192, f_blocks=10}) = 0'
    assert normalise(stat) == stat


def test_a_handler_return_compares_as_the_call_its_signal_interrupted():
    """Where an asynchronous signal lands differs between runs: its rt_sigreturn shows the result of
    whichever call it came after. That agreement is kept; a value of its own is still compared."""
    ebadf = "-1 EBADF (Bad file descriptor)"
    strace_run = [f"close(-1) = {ebadf}", f"rt_sigreturn({{mask=[]}}) = {ebadf}", "wait4(-1, NULL, 0, NULL) = TID"]
    spykit_run = [f"close(-1) = {ebadf}", "wait4(-1, NULL, 0, NULL) = TID", "rt_sigreturn({mask=[]}) = TID"]
    a, b = harness.interrupted_results(strace_run), harness.interrupted_results(spykit_run)
    assert a[1] == b[2] == f"rt_sigreturn({{mask=[]}}) = {harness.INTERRUPTED}"
    assert a[0] == strace_run[0] and b[1] == spykit_run[1]
    wrong = harness.interrupted_results(["kill(TID, SIGUSR1) = 0", "rt_sigreturn({mask=[]}) = 12"])
    assert wrong[1] == "rt_sigreturn({mask=[]}) = 12"
    # a signal that came in the program's own code (strace shows the register it had, 5): a
    # spykit that showed the previous call's result instead still disagrees
    in_code = harness.interrupted_results(["getpid() = TID", "rt_sigreturn({mask=[]}) = 5"])
    stale = harness.interrupted_results(["getpid() = TID", "rt_sigreturn({mask=[]}) = TID"])
    assert in_code[1] != stale[1]
