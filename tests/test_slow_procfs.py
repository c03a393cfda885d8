"""Reading /proc: parsers on hand-made text, readers on small processes of our own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from spykit.slow import procfs

# Real lines in the kernel's format (addresses are host-order hex of network-order bytes).
TCP_TEXT = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51234 1 0
   1: 0100007F:A028 0100007F:1F40 01 00000000:00000000 00:00000000 00000000  1000        0 51240 1 0
   2: 0100007F:A02A 0100007F:1F40 06 00000000:00000000 03:00001234 00000000     0        0 0 3 0
"""
TCP6_TEXT = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr
   0: 00000000000000000000000001000000:A028 00000000000000000000000001000000:1F40 01 00000000:00000000 00:00000000 00000000  1000 0 61000 1 0
"""  # noqa: E501
UDP_TEXT = """\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000   104        0 7777 2 0 0
"""
UNIX_TEXT = """\
Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 20001 /run/app.sock
0000000000000000: 00000003 00000000 00000000 0001 03 20002
"""


def test_tcp_table_names_connections_and_listeners():
    table = procfs.parse_inet_table(TCP_TEXT, "TCP", v6=False)
    assert table == {51234: "TCP:[127.0.0.1:8000]", 51240: "TCP:[127.0.0.1:41000->127.0.0.1:8000]"}


def test_tcp6_and_udp_tables():
    assert procfs.parse_inet_table(TCP6_TEXT, "TCP", v6=True) == {61000: "TCPv6:[[::1]:41000->[::1]:8000]"}
    assert procfs.parse_inet_table(UDP_TEXT, "UDP", v6=False) == {7777: "UDP:[0.0.0.0:5353]"}


def test_unix_table():
    assert procfs.parse_unix_table(UNIX_TEXT) == {20001: "UNIX:[20001,/run/app.sock]", 20002: "UNIX:[20002]"}


def test_a_live_loopback_connection_is_named_from_its_inode():
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    try:
        table = procfs.SocketTable()
        target = procfs.describe_fd(os.getpid(), client.fileno(), table)
        port = server.getsockname()[1]
        assert target == f"TCP:[127.0.0.1:{client.getsockname()[1]}->127.0.0.1:{port}]"
        assert procfs.describe_fd(os.getpid(), server.fileno(), table) == f"TCP:[127.0.0.1:{port}]"
    finally:
        for s in (client, accepted, server):
            s.close()


@pytest.fixture
def sleeping_child():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # wait until it sits in its sleep
            call = procfs.read_syscall(proc.pid)
            if call is not None and call.nr is not None and procfs.read_wchan(proc.pid):
                break
            time.sleep(0.02)
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_readers_on_a_sleeping_child(sleeping_child):
    pid = sleeping_child.pid
    st = procfs.read_stat(pid)
    assert st is not None and st.state == "S" and st.ppid == os.getpid() and st.comm.startswith("python")
    call = procfs.read_syscall(pid, pid)
    from spykit.slow.meanings import syscall_name

    assert syscall_name(call.nr) == "clock_nanosleep" and not call.running and len(call.args) == 6
    assert "nanosleep" in procfs.read_wchan(pid)
    assert procfs.list_threads(pid) == [pid]
    assert procfs.cmdline(pid)[-1] == "import time; time.sleep(30)"
    assert procfs.read_peak_rss(pid) > 1000


def test_process_tree_finds_grandchildren():
    code = "import subprocess; subprocess.run(['sleep', '30'])"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        tree = procfs.ProcessTree(proc.pid)
        deadline = time.monotonic() + 5
        pids = tree.pids()
        while time.monotonic() < deadline:  # until the child has forked and exec'd sleep
            pids = tree.pids()
            if len(pids) == 2 and procfs.read_stat(pids[1]).comm == "sleep":
                break
            time.sleep(0.02)
        assert pids[0] == proc.pid and len(pids) == 2
        assert procfs.read_stat(pids[1]).comm == "sleep" and procfs.read_stat(pids[1]).ppid == proc.pid
    finally:
        proc.kill()
        proc.wait()
    # the sleep is orphaned, not ours to leave behind
    for pid in pids[1:]:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def test_gone_processes_read_as_nothing():
    proc = subprocess.Popen(["true"])
    proc.wait()
    assert procfs.read_stat(proc.pid) is None
    assert procfs.read_syscall(proc.pid) is None
    assert procfs.read_wchan(proc.pid) is None
    assert procfs.list_threads(proc.pid) == []
    assert procfs.ProcessTree(proc.pid).pids() == []


def test_kernel_stack_is_for_root_only(sleeping_child):
    stack = procfs.read_stack(sleeping_child.pid)
    if os.geteuid() != 0:
        assert stack is None
    else:
        assert stack is None or any("nanosleep" in f for f in stack)


def test_poll_array_is_read_from_the_child_memory():
    # A child that polls a pipe: its struct pollfd array names the pipe's fd.
    code = "import os, select; r, w = os.pipe(); p = select.poll(); p.register(r); print(r, flush=True); p.poll()"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        fd = int(proc.stdout.readline())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            call = procfs.read_syscall(proc.pid)
            if call is not None and call.nr is not None:
                from spykit.slow.meanings import syscall_name

                if syscall_name(call.nr) == "poll":
                    break
            time.sleep(0.02)
        assert procfs.poll_fds(proc.pid, call.args[0], call.args[1]) == [fd]
        assert procfs.read_fd_link(proc.pid, fd).startswith("pipe:[")
    finally:
        proc.kill()
        proc.wait()
