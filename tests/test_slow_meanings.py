"""Meanings of wait samples, on hand-made samples (no process is looked at here)."""

from __future__ import annotations

import pytest

from spykit.slow.meanings import REASONS, Meaning, Sample, fd_kind, format_args, meaning_of, syscall_name

TCP = "TCP:[127.0.0.1:41000->127.0.0.1:8000]"


@pytest.mark.parametrize(
    ("sample", "meaning", "reason"),
    [
        # A TCP read on a current kernel: wchan says only wait_woken; the call and fd say the rest.
        (Sample("S", "wait_woken", "read", (4, 0x7F00, 10), 4, TCP),
         "waiting for data from 127.0.0.1:8000 (TCP)", "network"),
        (Sample("S", "wait_woken", "recvfrom", (3, 0x7F00, 4096, 0, 0, 0), 3,
                "TCPv6:[[::1]:41000->[::1]:8000]"),
         "waiting for data from [::1]:8000 (TCPv6)", "network"),
        (Sample("S", "inet_csk_accept", "accept4", (3, 0, 0, 0x80000), 3, "TCP:[127.0.0.1:8000]"),
         "waiting for a connection on 127.0.0.1:8000 (TCP)", "network"),
        (Sample("S", "wait_woken", "sendto", (5, 0, 65536, 0, 0, 0), 5, TCP),
         "waiting to send data to 127.0.0.1:8000 (TCP)", "network"),
        (Sample("S", "unix_stream_read_generic", "read", (6, 0, 10), 6, "UNIX:[4242,/run/db.sock]"),
         "waiting for data on a UNIX socket (/run/db.sock)", "network"),
        (Sample("D", "folio_wait_bit", "fsync", (3,), 3, "/tmp/data"),
         "waiting for the disk to finish writing", "disk"),
        # fsync is often caught runnable: the thread is between two steps of writeback.
        (Sample("R", None, "fdatasync", (3,), 3, "/tmp/data"), "waiting for the disk to finish writing", "disk"),
        (Sample("D", "folio_wait_bit", "read", (3, 0, 4096), 3, "/var/big.db"),
         "waiting for the disk to read a file", "disk"),
        (Sample("S", "hrtimer_nanosleep", "clock_nanosleep", (1, 0, 0x7FFE, 0)), "sleeping on a timer", "sleep"),
        (Sample("S", "do_wait", "wait4", (0x17A4, 0, 0, 0)), "waiting for a child process", "child"),
        (Sample("S", "futex_do_wait", "futex", (0x55D0, 0x189, 0, 0, 0, 0xFFFFFFFF)), "waiting on a lock", "lock"),
        (Sample("S", "locks_lock_inode_wait", "flock", (4, 2), 4, "/tmp/lock"),
         "waiting on a file lock (flock)", "lock"),
        (Sample("S", "fcntl_setlk", "fcntl", (3, 7, 0x7FFF), 3, "/tmp/lock"),
         "waiting on a file lock (fcntl)", "lock"),
        (Sample("S", "anon_pipe_read", "read", (3, 0, 1), 3, "pipe:[1234]"), "waiting for input on a pipe", "input"),
        (Sample("S", "wait_woken", "read", (0, 0, 1024), 0, "/dev/pts/3"),
         "waiting for input from the terminal", "input"),
        (Sample("S", "anon_pipe_write", "write", (1, 0, 65536), 1, "pipe:[99]"),
         "waiting for the program reading the pipe to catch up", "other"),
        (Sample("R", None, None), "running on the CPU", "cpu"),
        # Runnable inside a read that just got its data: the time is the CPU's now.
        (Sample("R", "wait_woken", "read", (4, 0, 10), 4, TCP), "running on the CPU", "cpu"),
        (Sample("T", "do_signal_stop", None), "stopped by a signal (Ctrl-Z, SIGSTOP)", "other"),
        (Sample("Z", None, None), "finished, not yet collected by its parent (zombie)", "other"),
    ],
)
def test_meaning_of_blocked_calls(sample, meaning, reason):
    found = meaning_of(sample)
    assert (found.meaning, found.reason) == (meaning, reason)


@pytest.mark.parametrize(
    ("watched", "args", "meaning", "reason"),
    [
        ((TCP,), (0x7FFC, 1, 5000), "waiting for data from 127.0.0.1:8000 (TCP)", "network"),
        # An event loop's self-pipe (an unnamed socketpair) is not the network.
        (("UNIX:[111]", TCP), (0x7FFC, 2, 0xFFFFFFFF), "waiting for data from 127.0.0.1:8000 (TCP)", "network"),
        (("UNIX:[111]",), (0x7FFC, 1, 1000), "sleeping on a timer", "sleep"),
        (("UNIX:[111]",), (0x7FFC, 1, 0xFFFFFFFF), "waiting to be woken by another thread", "other"),
        ((), (0, 0, 1000), "sleeping on a timer", "sleep"),
        (("pipe:[5]", "pipe:[6]"), (0x7FFC, 2, 0xFFFFFFFF), "waiting for input on a pipe", "input"),
        ((TCP, "TCP:[127.0.0.1:41001->127.0.0.1:9000]"), (0x7FFC, 2, 0xFFFFFFFF),
         "waiting for data from 127.0.0.1:8000 (TCP) (and 1 more socket)", "network"),
        (None, (0x7FFC, 1, 100), "waiting for one of several files to be ready (poll)", "other"),
    ],
)
def test_meaning_of_poll_waits(watched, args, meaning, reason):
    found = meaning_of(Sample("S", "do_sys_poll", "poll", args, watched=watched))
    assert (found.meaning, found.reason) == (meaning, reason)


def test_python_select_with_no_files_is_a_sleep():
    # time.sleep() is clock_nanosleep, but select.select([], [], [], 5) is pselect6 on nothing
    found = meaning_of(Sample("S", "poll_schedule_timeout", "pselect6", (0, 0, 0, 0, 0x7FFF, 0), watched=()))
    assert found.reason == "sleep"


@pytest.mark.parametrize(
    ("wchan", "stack", "reason"),
    [
        ("hrtimer_nanosleep", None, "sleep"),
        ("do_wait", None, "child"),
        ("futex_wait_queue", None, "lock"),
        ("anon_pipe_read", None, "input"),
        ("pipe_read", None, "input"),
        ("inet_csk_accept", None, "network"),
        ("wait_woken", ("wait_woken", "sk_wait_data", "tcp_recvmsg_locked"), "network"),
        ("jbd2_log_wait_commit", None, "disk"),
        (None, None, "other"),
    ],
)
def test_without_the_syscall_the_wait_channel_and_stack_are_used(wchan, stack, reason):
    # /proc/PID/syscall is unreadable for a non-descendant under Yama; the meaning falls back
    assert meaning_of(Sample("S", wchan, None, stack=stack)).reason == reason


def test_wait_woken_alone_says_it_is_ambiguous():
    found = meaning_of(Sample("S", "wait_woken", None))
    assert found.reason == "other" and "socket or a terminal" in found.meaning


def test_uninterruptible_sleep_without_more_is_the_disk():
    assert meaning_of(Sample("D", None, None)).reason == "disk"


def test_every_reason_is_known():
    samples = [Sample("R"), Sample("S", None, "nanosleep"), Sample("S", None, "wait4"), Sample("S", None, "futex"),
               Sample("D", None, "fsync"), Sample("S", None, "read", (3,), 3, "pipe:[1]"),
               Sample("S", None, "read", (3,), 3, TCP), Sample("S", None, "rt_sigsuspend")]
    assert {meaning_of(s).reason for s in samples} == set(REASONS)


def test_fd_kinds():
    assert fd_kind("TCP:[1.2.3.4:5->6.7.8.9:10]") == "socket"
    assert fd_kind("socket:[123]") == "socket"
    assert fd_kind("pipe:[123]") == "pipe"
    assert fd_kind("/dev/pts/0") == "terminal"
    assert fd_kind("/dev/null") == "device"
    assert fd_kind("/home/me/file") == "file"
    assert fd_kind("anon_inode:[timerfd]") == "timer"
    assert fd_kind("anon_inode:[eventpoll]") == "epoll"
    assert fd_kind(None) == "unknown"


def test_syscall_names_and_arguments():
    assert syscall_name(0) == "read"
    assert syscall_name(74) == "fsync"
    assert syscall_name(100_000) == "syscall_100000"
    assert syscall_name(None) is None
    # trimmed to poll's three arguments; a 32-bit -1 timeout shows as -1, the pointer in hex
    assert format_args("poll", (0x7FFC850DE728, 1, 0xFFFFFFFF, 0, 0, 0)) == "0x7ffc850de728, 1, -1"
    assert format_args("read", (3, 0x7F00, 10, 0, 0, 0)) == "3, 0x7f00, 10"


def test_opening_a_fifo_waits_for_the_other_end():
    # Seen live: cat of a FIFO with no writer sleeps in openat, wchan wait_for_partner, under fifo_open.
    reader = Sample("S", "wait_for_partner", "openat", (0xFFFFFF9C, 0x7FFC0000, 0, 0), None, "/tmp/readings")
    assert meaning_of(reader) == Meaning("waiting for a program to open the named pipe /tmp/readings and write to it",
                                         "input")
    # Only the stack says so (a kernel whose wchan reads 0), and the path could not be read: still input.
    hidden = Sample("S", None, "open", (0x7FFC0000, 0), None, None, stack=("wait_for_partner", "fifo_open"))
    assert meaning_of(hidden) == Meaning("waiting for a program to open a named pipe (FIFO) and write to it", "input")
    # Opened for writing (O_WRONLY): it waits for a reader, which is not input.
    writer = Sample("S", "wait_for_partner", "openat", (0xFFFFFF9C, 0x7FFC0000, 0o1101, 0o666), None, "/tmp/readings")
    assert meaning_of(writer).reason == "other" and "for reading" in meaning_of(writer).meaning
    # An ordinary open that sleeps elsewhere is not a FIFO.
    assert meaning_of(Sample("D", "folio_wait_bit", "openat", (0, 0, 0, 0))).reason == "disk"
