"""Reading /proc: parsers on hand-made text, readers on small processes of our own."""

from __future__ import annotations

import ast
import ctypes
import errno
import fcntl
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import another_thread, need_tool

import spykit
from spykit import procfs
from spykit.errors import AccessDenied, NoSuchProcess, SpykitError

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


# -- one way to say "gone" and "not allowed" ------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOENT, errno.ESRCH])
def test_gone_errnos_become_no_such_process(code):
    error = procfs._translate(OSError(code, os.strerror(code)), 4242, "/proc/4242/status")
    assert isinstance(error, NoSuchProcess) and isinstance(error, ProcessLookupError)
    assert error.pid == 4242 and error.path == "/proc/4242/status"
    assert "process 4242 is gone" in str(error) and errno.errorcode[code] in str(error)


@pytest.mark.parametrize("code", [errno.EACCES, errno.EPERM])
def test_refusals_become_access_denied(code):
    error = procfs._translate(PermissionError(code, os.strerror(code)), 1, "/proc/1/cwd")
    assert isinstance(error, AccessDenied) and isinstance(error, PermissionError)
    assert isinstance(error, SpykitError) and error.hint and "/proc/1/cwd" in str(error)
    assert spykit.AccessDenied is AccessDenied  # public, beside NoSuchProcess


def test_other_errnos_are_left_as_they_are():
    original = OSError(errno.EINVAL, "Invalid argument")
    assert procfs._translate(original, 7, "/proc/7/syscall") is original


@pytest.fixture
def gone_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("read", [procfs.status, procfs.stat, procfs.threads, procfs.tgid, procfs.ppid, procfs.exe,
                                  procfs.cwd, procfs.maps, procfs.owner, lambda pid: procfs.fd_link(pid, 0),
                                  lambda pid: procfs.net_table(pid, "tcp")])
def test_a_pid_that_does_not_exist_is_no_such_process(gone_pid, read):
    with pytest.raises(NoSuchProcess, match=f"process {gone_pid} is gone"):
        read(gone_pid)


def test_a_zombie_still_has_status_but_no_program():
    proc = subprocess.Popen(["true"])
    try:
        deadline = time.monotonic() + 5
        while procfs.stat(proc.pid).state != "Z" and time.monotonic() < deadline:  # exited, not yet reaped
            time.sleep(0.01)
        assert procfs.status(proc.pid)["State"].startswith("Z") and procfs.ppid(proc.pid) == os.getpid()
        with pytest.raises(NoSuchProcess):
            procfs.exe(proc.pid)  # its memory, and so its program, is already gone
        assert procfs.cmdline(proc.pid) == []
    finally:
        proc.wait()


def test_a_fd_that_is_not_open_is_none_not_gone():
    r, w = os.pipe()
    os.close(w)
    try:
        assert procfs.fd_link(os.getpid(), r).startswith("pipe:[")
        assert procfs.fd_link(os.getpid(), w) is None  # the process is there; that fd is not
    finally:
        os.close(r)


def test_readers_of_our_own_process():
    me = os.getpid()
    assert procfs.status("self")["Pid"] == str(me)
    assert procfs.ppid(me) == os.getppid() and procfs.tgid(me) == me
    assert procfs.cwd(me) == os.getcwd() and os.path.samefile(procfs.exe(me), sys.executable)
    assert procfs.stat(me).flags & 0x00200000 == 0  # PF_KTHREAD: we are no kernel thread
    assert procfs.stat(me).group == os.getpgrp() and procfs.stat(me).session == os.getsid(0)
    buffer = ctypes.create_string_buffer(64)
    addr = ctypes.addressof(buffer)
    assert any(lo <= addr < hi and perms.startswith("rw") for lo, hi, perms in procfs.maps(me))
    assert procfs.net_table(me, "unix").startswith("Num")


def test_a_thread_belongs_to_its_process():
    with another_thread() as tid:
        assert procfs.tgid(tid) == os.getpid()
        assert tid in procfs.threads(os.getpid())


def test_yama_scope_matches_the_file():
    path = "/proc/sys/kernel/yama/ptrace_scope"
    expected = int(open(path).read()) if os.path.exists(path) else None
    assert procfs.yama_ptrace_scope() == expected


def test_a_lock_we_hold_is_listed_with_our_pid(tmp_path):
    with open(tmp_path / "lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        holders, _waiters = procfs.parse_proc_locks(procfs.locks())
        inode = os.fstat(f.fileno()).st_ino
        assert any(pid == os.getpid() and where.endswith(f":{inode}") for pid, where in holders.values())


_DENIED_CHECK = """
import sys
from spykit import procfs
from spykit.errors import AccessDenied
pid = int(sys.argv[1])
for read in (procfs.cwd, procfs.exe, procfs.maps, lambda p: procfs.fd_link(p, 0)):
    try:
        read(pid)
    except AccessDenied as e:
        assert isinstance(e, PermissionError) and e.pid == pid, e
    else:
        raise SystemExit(f"{read} of root's process {pid} was allowed")
assert procfs.read_fd_link(pid, 0) is None and procfs.read_stack(pid) is None
print("denied")
"""


def test_root_only_files_are_access_denied_to_nobody():
    if os.geteuid() != 0:
        # already unprivileged: look at a root process that is surely there
        if os.stat("/proc/1").st_uid != 0:
            pytest.skip("process 1 does not belong to root here")
        result = subprocess.run([sys.executable, "-c", _DENIED_CHECK, "1"], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0 and "denied" in result.stdout, result.stderr
        return
    setpriv = need_tool("setpriv")
    root_owned = subprocess.Popen(["sleep", "30"])
    try:
        drop = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
               "PYTHONDONTWRITEBYTECODE": "1", "HOME": "/tmp"}
        result = subprocess.run([*drop, sys.executable, "-c", _DENIED_CHECK, str(root_owned.pid)], env=env,
                                cwd="/", capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "denied" in result.stdout, result.stdout + result.stderr
    finally:
        root_owned.kill()
        root_owned.wait()


# -- /proc is read here and nowhere else -----------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
# Calls that open, list, stat or read links of a path.
_FILE_CALLS = {"open", "io.open", "os.open", "os.listdir", "os.scandir", "os.readlink", "os.stat", "os.lstat",
               "os.access", "os.getxattr", "os.listxattr", "os.walk", "os.path.exists", "os.path.isdir",
               "os.path.isfile", "os.path.islink", "os.path.realpath", "Path", "pathlib.Path"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _proc_path(node: ast.expr | None) -> bool:
    """Whether an expression is a literal path under /proc ("/proc/...", f"/proc/{pid}/...")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value == "/proc" or node.value.startswith("/proc/")
    if isinstance(node, ast.JoinedStr) and node.values:
        return _proc_path(node.values[0])
    if isinstance(node, ast.BinOp):  # "/proc/" + str(pid)
        return _proc_path(node.left)
    return False


def proc_reads(source: str) -> list[int]:
    """Line numbers where the source opens, lists, stats or reads a link of a /proc path,
    directly or through a variable assigned a /proc path in the same file."""
    tree = ast.parse(source)
    proc_names = {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign) and _proc_path(node.value)
                  for target in node.targets if isinstance(target, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func) in _FILE_CALLS and node.args:
            arg = node.args[0]
            if _proc_path(arg) or (isinstance(arg, ast.Name) and arg.id in proc_names):
                found.append(node.lineno)
    return found


def test_the_scan_finds_proc_reads_in_any_form():
    assert proc_reads('open(f"/proc/{pid}/status")\nos.listdir("/proc")\nos.stat("/proc/1/stat")\n') == [1, 2, 3]
    assert proc_reads('link = f"/proc/{tid}/fd/{fd}"\nos.readlink(link)\n') == [2]
    assert proc_reads('os.path.exists("/proc/" + str(pid))\n') == [1]
    # messages that mention /proc, and other paths, are fine
    assert proc_reads('raise X(f"see /proc/{pid}/status")\nopen("/etc/passwd")\nprint("/proc/locks")\n') == []


def test_proc_is_read_only_in_procfs():
    offenders = []
    for path in sorted([*(ROOT / "spykit").rglob("*.py"), *(ROOT / "notebooks").glob("*.py")]):
        if path == ROOT / "spykit" / "procfs.py":
            continue
        offenders += [f"{path.relative_to(ROOT)}:{line}" for line in proc_reads(path.read_text())]
    assert offenders == [], "read /proc through spykit.procfs, not directly: " + ", ".join(offenders)


def test_procfs_is_at_the_bottom_of_the_import_graph():
    tree = ast.parse((ROOT / "spykit" / "procfs.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    spykit_parts = {name for name in imported if name.startswith(".") or name.startswith("spykit")}
    assert spykit_parts == {".errors"}
    assert all(name.split(".")[0] in sys.stdlib_module_names for name in imported - spykit_parts)
    # The command line's text path imports it: nothing heavy at the top (socket only where IPv6 is shown).
    at_top = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    at_top |= {node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert not {"pandas", "numpy", "socket"} & {name.split(".")[0] for name in at_top}


def test_session_and_group_members_are_the_living_processes_of_one():
    """A new session (and process group) with a sleeper and a zombie in it: the sleeper is a
    member, the zombie is not, and neither is in this process's group."""
    leader = subprocess.Popen([sys.executable, "-c", "import os, time\nif os.fork() == 0:\n    os._exit(0)\n"
                               "print(flush=True)\ntime.sleep(30)"], start_new_session=True,
                              stdout=subprocess.PIPE)
    try:
        leader.stdout.readline()  # its child has been forked (and has exited, or soon will)
        [zombie] = procfs.children(leader.pid)  # (never waited for: it stays a zombie)
        deadline = time.monotonic() + 10
        while procfs.read_stat(zombie).state != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert procfs.session_members(leader.pid) == [leader.pid]
        assert procfs.group_members(leader.pid) == [leader.pid]
        assert leader.pid not in procfs.group_members(os.getpgrp())
    finally:
        leader.kill()
        leader.wait()
