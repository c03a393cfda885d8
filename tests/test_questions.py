"""The detective's questions, asked of frames written by hand (tests/frames.py)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from frames import call, event, make_df, make_events

import spykit
from spykit import questions as q
from spykit.render.text import process_tree_text

# -- summary ----------------------------------------------------------------------------------------


def test_summary_sorts_by_time_and_counts_calls_and_errors():
    df = make_df([
        call("openat", 'AT_FDCWD, "/a", O_RDONLY', error="ENOENT", duration=0.000010),
        call("openat", 'AT_FDCWD, "/b", O_RDONLY', ret=3, duration=0.000030),
        call("read", "3, ..., 10", ret=10, duration=0.000200),
        call("close", "3", duration=0.000010),
    ])
    table = q.summary(df)
    assert list(table.columns) == ["% time", "seconds", "usecs/call", "calls", "errors", "syscall"]
    assert table["syscall"].tolist() == ["read", "openat", "close"]
    openat = table.set_index("syscall").loc["openat"]
    assert openat["calls"] == 2 and openat["errors"] == 1
    assert openat["seconds"] == pytest.approx(0.000040)
    assert openat["usecs/call"] == 20
    assert table["% time"].sum() == pytest.approx(100.0)
    assert table.set_index("syscall").loc["read", "% time"] == pytest.approx(200 / 250 * 100)


def test_summary_wall_charges_calls_left_running_until_the_end_but_not_exit_group():
    df = make_df([
        call("read", "0, ...", unfinished=True, time=1.0),  # blocked when the trace stopped
        call("write", '1, "x", 1', ret=1, time=2.0, duration=0.5),
        call("exit_group", "0", unfinished=True, time=2.6),
    ])
    by_default = q.summary(df).set_index("syscall")
    assert by_default.loc["read", "seconds"] == 0.0
    assert by_default.loc["read", "calls"] == 1
    wall = q.summary(df, wall=True).set_index("syscall")
    assert wall.loc["read", "seconds"] == pytest.approx(1.6)  # from 1.0 to 2.6, the last moment seen
    assert wall.loc["exit_group", "seconds"] == 0.0
    assert wall.index[0] == "read"


def test_summary_of_an_empty_trace_is_an_empty_table():
    table = q.summary(make_df([]))
    assert table.empty and list(table.columns) == q.SUMMARY_COLUMNS


# -- values, not text read back ----------------------------------------------------------------------------

O_WRONLY, O_CREAT, O_APPEND, O_CLOEXEC, O_RDONLY = 0o1, 0o100, 0o2000, 0o2000000, 0
AT_FDCWD = (1 << 64) - 100  # as the tracer sees it: an unsigned register


@pytest.mark.parametrize(("syscall", "args", "words"), [
    ("openat", (AT_FDCWD, 0x7ff0, O_RDONLY | O_CLOEXEC, 0), "read, close on exec"),
    ("openat", (AT_FDCWD, 0x7ff0, O_WRONLY | O_CREAT | O_APPEND, 0o600), "write, create, append; mode rw-------"),
    ("openat", (AT_FDCWD, 0x7ff0, O_RDONLY, 0o777), "read"),  # no O_CREAT: the mode register is noise
    ("access", (0x7ff0, 4), "readable?"),
    ("access", (0x7ff0, 0), "exists?"),
    ("newfstatat", (AT_FDCWD, 0x7ff0, 0x7ff8, 0x100), "do not follow a symlink"),
    ("newfstatat", (AT_FDCWD, 0x7ff0, 0x7ff8, 0), ""),
    ("mkdir", (0x7ff0, 0o755), "mode rwxr-xr-x"),
    ("mknodat", (AT_FDCWD, 0x7ff0, 0o010644, 0), "named pipe; mode rw-r--r--"),
    ("execve", (0x7ff0, 0x7ff8, 0x7ffc), "run"),
    ("openat", (AT_FDCWD, 0x7ff0, 0x40000000, 0), "read, 0x40000000"),  # an unknown bit stays a number
    ("unlink", (0x7ff0,), ""),
])
def test_flag_words_come_from_the_numbers(syscall, args, words):
    from spykit.syscalls.flags.words import flag_words

    assert flag_words(syscall, args) == words


def test_no_question_reads_the_args_text_back():
    # the questions, the command line and the exercises answer from values the tracer kept
    root = Path(spykit.__file__).parent
    offenders = []
    for source in [root / "questions.py", root / "cli.py", *sorted((root / "exercises").glob("*.py"))]:
        text = source.read_text()
        for needle in ('["args"]', "['args']", ".args.str", "parse_argv", "split_args", "flags_in_words",
                       "_c_strings", "string_limit=4096"):
            if needle in text:
                offenders.append(f"{source.name}: {needle}")
    assert offenders == []


def test_files_lists_calls_that_name_files_with_flags_and_outcome():
    df = make_df([
        call("openat", 'AT_FDCWD, "/etc/app.conf", O_RDONLY', error="ENOENT", path="/etc/app.conf"),
        call("openat", 'AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC', ret=3, path="/etc/hosts", fd=3,
             flags="read, close on exec"),
        call("read", "3, ..., 4096", ret=10, path="/etc/hosts", fd=3, data=b"127.0.0.1\n"),
        call("access", '"/etc/secret", R_OK', error="EACCES", path="/etc/secret"),
        call("close", "3", path="/etc/hosts", fd=3),
        call("openat", 'AT_FDCWD, "/dev/tty", O_RDWR', unfinished=True, path="/dev/tty"),
        call("newfstatat", '3, "", {st_mode=S_IFREG|0644, ...}, AT_EMPTY_PATH', fd=3, path=""),
    ])
    answer = q.files(df)
    assert list(answer.columns) == ["time", "pid", "syscall", "path", "flags", "ok", "error"]
    assert answer["path"].tolist() == ["/etc/app.conf", "/etc/hosts", "/etc/secret", "/dev/tty"]
    assert answer.index.tolist() == [0, 1, 3, 5]  # rows keep their place in the trace
    assert answer.loc[1, "flags"] == "read, close on exec"
    assert answer["ok"].tolist()[:3] == [False, True, False]
    assert answer.loc[5, "ok"] is pd.NA
    assert answer.loc[3, "error"] == "EACCES"


# -- missing ------------------------------------------------------------------------------------------------


def test_missing_dedups_paths_in_order_first_seen():
    df = make_df([
        call("openat", 'AT_FDCWD, "/home/u/.apprc", O_RDONLY', error="ENOENT", path="/home/u/.apprc"),
        call("newfstatat", 'AT_FDCWD, "/etc/app/app.conf", ...', error="ENOENT", path="/etc/app/app.conf"),
        call("openat", 'AT_FDCWD, "/home/u/.apprc", O_RDONLY', error="ENOENT", path="/home/u/.apprc", pid=7),
        call("openat", 'AT_FDCWD, "/etc/passwd/x", O_RDONLY', error="ENOTDIR", path="/etc/passwd/x"),
        call("openat", 'AT_FDCWD, "/root/x", O_RDONLY', error="EACCES", path="/root/x"),
        call("openat", 'AT_FDCWD, "/usr/share/app.conf", O_RDONLY', ret=3, path="/usr/share/app.conf"),
    ])
    answer = q.missing(df)
    assert answer["path"].tolist() == ["/home/u/.apprc", "/etc/app/app.conf", "/etc/passwd/x"]
    assert answer["attempts"].tolist() == [2, 1, 1]
    assert answer["syscall"].tolist() == ["openat", "newfstatat", "openat"]
    assert answer["error"].tolist() == ["ENOENT", "ENOENT", "ENOTDIR"]
    assert answer["pid"].tolist() == [100, 100, 100]
    assert answer["first_time"].tolist() == [0.0, 0.001, 0.003]
    assert not answer["found_later"].any()


def test_missing_says_when_a_path_turned_up_later():
    df = make_df([
        call("openat", 'AT_FDCWD, "/tmp/cache", O_RDONLY', error="ENOENT", path="/tmp/cache"),
        call("openat", 'AT_FDCWD, "/tmp/cache", O_WRONLY|O_CREAT, 0644', ret=3, path="/tmp/cache"),
        call("openat", 'AT_FDCWD, "/tmp/other", O_RDONLY', ret=4, path="/tmp/other"),
        call("openat", 'AT_FDCWD, "/tmp/other", O_RDONLY', error="ENOENT", path="/tmp/other"),
    ])
    answer = q.missing(df).set_index("path")
    assert answer.loc["/tmp/cache", "found_later"]
    assert not answer.loc["/tmp/other", "found_later"]  # it was there before, then went away


def test_missing_with_nothing_missing_is_empty_with_columns():
    answer = q.missing(make_df([call("openat", 'AT_FDCWD, "/a", O_RDONLY', ret=3, path="/a")]))
    assert answer.empty and "path" in answer.columns and "attempts" in answer.columns


# -- processes ----------------------------------------------------------------------------------------------

SH = '"/bin/sh", ["sh", "-c", "worker one; worker two"], 0x7ff /* 9 vars */'


def test_processes_builds_the_tree_with_argv_and_endings():
    df = make_df([
        call("execve", SH, time=0.00, pid=10, path="/bin/sh"),
        call("clone", "...", ret=11, time=0.01, pid=10),
        call("execve", '"/usr/bin/worker", ["worker", "one"], 0x7 /* 9 vars */', time=0.02, pid=11,
             path="/usr/bin/worker"),
        call("clone", "...", ret=12, time=0.05, pid=10),
        call("execve", '"/usr/local/bin/worker", ["worker", "two"], 0x7 /* 9 vars */', time=0.06, pid=12,
             error="ENOENT", path="/usr/local/bin/worker"),
        call("execve", '"/usr/bin/worker", ["worker", "two"], 0x7 /* 9 vars */', time=0.07, pid=12,
             path="/usr/bin/worker"),
    ], times=False)
    events = make_events([
        event("spawn", time=0.01, pid=10, child=11, how="clone"),
        event("exit", time=0.04, pid=11, status=3, text="+++ exited with 3 +++"),
        event("spawn", time=0.05, pid=10, child=12, how="vfork"),
        event("killed", time=0.08, pid=12, signal="SIGTERM", text="+++ killed by SIGTERM +++"),
        event("exit", time=0.09, pid=10, status=0, text="+++ exited with 0 +++"),
    ])
    execs = [{"row": 0, "argv": ["sh", "-c", "worker one; worker two"], "env": {"HOME": "/root"}},
             {"row": 2, "argv": ["worker", "one"], "env": {"A": "1=2"}},
             {"row": 4, "argv": ["worker", "two"], "env": {}},
             {"row": 5, "argv": ["worker", "two"], "env": {"B": ""}}]
    procs = q.processes(df, events, execs)
    assert procs["pid"].tolist() == [10, 11, 12]
    assert procs["env"].tolist() == [{"HOME": "/root"}, {"A": "1=2"}, {"B": ""}]
    assert procs["parent"].tolist()[1:] == [10, 10] and procs.loc[0, "parent"] is pd.NA
    assert procs.loc[0, "argv"] == [["sh", "-c", "worker one; worker two"]]
    assert procs.loc[1, "argv"] == [["worker", "one"]]
    assert procs.loc[2, "argv"] == [["worker", "two"]]  # the failed execve is not something it ran
    assert procs["status"].tolist()[:2] == [0, 3] and procs.loc[2, "status"] is pd.NA
    assert procs.loc[2, "signal"] == "SIGTERM"
    assert procs["start"].tolist() == [0.0, 0.01, 0.05]
    assert procs["end"].tolist() == [0.09, 0.04, 0.08]
    assert procs["exe"].tolist() == ["/bin/sh", "/usr/bin/worker", "/usr/bin/worker"]


def test_processes_take_argv_from_values_never_from_the_args_text():
    # the args text is cut at the string limit; the values are whole, and without them nothing is guessed
    cut = '"/bin/echo", ["echo", "--enable-crash-reporter=6795275A"...], 0x7 /* 3 vars */'
    df = make_df([call("execve", cut, pid=60, path="/bin/echo")])
    whole = ["echo", "--enable-crash-reporter=6795275A1128269862CB7A471F5E0228,Ubuntu 12.04.4 LTS"]
    assert q.processes(df, make_events([]), [{"row": 0, "argv": whole, "env": None}]).loc[0, "argv"] == [whole]
    unknown = q.processes(df, make_events([]))
    assert unknown.loc[0, "argv"] == [[]] and unknown.loc[0, "env"] is None


def test_processes_fold_threads_into_their_process():
    df = make_df([
        call("execve", '"/usr/bin/python3", ["python3", "t.py"], 0x7 /* 1 vars */', pid=20, time=0.0),
        call("clone3", "...", ret=21, pid=20, time=0.1),
        call("write", '1, "x", 1', ret=1, pid=21, tgid=20, time=0.2),
        # the thread starts a program: its parent is the process, not the thread
        call("clone", "...", ret=22, pid=21, tgid=20, time=0.3),
        call("execve", '"/bin/ls", ["ls"], 0x7 /* 1 vars */', pid=22, time=0.4),
    ], times=False)
    events = make_events([
        event("spawn", time=0.1, pid=20, child=21, how="thread"),
        event("spawn", time=0.3, pid=21, child=22, how="fork"),
        event("exit", time=0.5, pid=22, status=0),
        event("exit", time=0.6, pid=21, status=0),
        event("exit", time=0.7, pid=20, status=0),
    ])
    procs = q.processes(df, events).set_index("pid")
    assert procs.index.tolist() == [20, 22]
    assert procs.loc[20, "threads"] == 2
    assert procs.loc[22, "parent"] == 20
    assert procs.loc[20, "end"] == 0.7  # the leader's exit, not the thread's


def test_processes_knows_a_thread_only_from_its_spawn_event():
    # the thread made no call that was kept (a filtered trace), but it was killed
    df = make_df([call("execve", '"/bin/app", ["app"], 0x7 /* 1 vars */', pid=30)])
    events = make_events([
        event("spawn", time=0.1, pid=30, child=31, how="thread"),
        event("killed", time=0.2, pid=31, signal="SIGKILL"),
    ])
    procs = q.processes(df, events)
    assert procs["pid"].tolist() == [30]
    assert procs.loc[0, "threads"] == 2
    assert procs.loc[0, "signal"] == "SIGKILL"


def test_processes_records_every_exec_and_a_fork_that_never_execs():
    df = make_df([
        call("execve", '"/usr/bin/env", ["env", "python3", "x.py"], 0x7 /* 1 vars */', pid=40, time=0.0,
             path="/usr/bin/env"),
        call("execve", '"/usr/bin/python3", ["python3", "x.py"], 0x7 /* 1 vars */', pid=40, time=0.1,
             path="/usr/bin/python3"),
        call("clone", "...", ret=41, pid=40, time=0.2),
        call("write", '1, "x", 1', ret=1, pid=41, time=0.3),
    ], times=False)
    events = make_events([event("spawn", time=0.2, pid=40, child=41, how="fork")])
    execs = [{"row": 0, "argv": ["env", "python3", "x.py"], "env": {"A": "1"}},
             {"row": 1, "argv": ["python3", "x.py"], "env": {"A": "2"}}]
    procs = q.processes(df, events, execs).set_index("pid")
    assert procs.loc[40, "argv"] == [["env", "python3", "x.py"], ["python3", "x.py"]]
    assert procs.loc[40, "env"] == {"A": "2"}  # what the last program received
    assert procs.loc[41, "env"] is None  # a fork that never exec'd
    assert procs.loc[40, "exe"] == "/usr/bin/python3"
    assert procs.loc[41, "argv"] == []
    assert math.isnan(procs.loc[41, "end"])  # still running when the trace ended
    assert procs.loc[41, "status"] is pd.NA


def test_processes_trust_an_execve_whose_exit_was_not_seen_when_an_exec_event_follows():
    # with a seccomp selection the tracer may see execve enter but not leave
    df = make_df([
        call("execve", '"/bin/sh", ["sh", "-c", "x"], 0x7 /* 1 vars */', pid=50, unfinished=True, time=0.0,
             path="/bin/sh"),
        call("execve", '"/bin/x", ["x"], 0x7 /* 1 vars */', pid=51, unfinished=True, time=0.2, path="/bin/x"),
    ], times=False)
    events = make_events([
        event("exec", pid=50, time=0.01, text="/usr/bin/dash"),
        event("spawn", pid=50, child=51, how="vfork", time=0.1),
        event("killed", pid=51, signal="SIGKILL", time=0.21),  # died before the new program started
    ])
    execs = [{"row": 0, "argv": ["sh", "-c", "x"], "env": {}}, {"row": 1, "argv": ["x"], "env": {}}]
    procs = q.processes(df, events, execs).set_index("pid")
    assert procs.loc[50, "argv"] == [["sh", "-c", "x"]] and procs.loc[50, "exe"] == "/bin/sh"
    assert procs.loc[51, "argv"] == [] and procs.loc[51, "exe"] is pd.NA


# -- network ------------------------------------------------------------------------------------------------

CONNECT = '3, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}, 16'
TCP = "TCP:[127.0.0.1:41000->127.0.0.1:8000]"


def test_network_shows_addresses_directions_bytes_and_payload():
    df = make_df([
        call("socket", "AF_INET, SOCK_STREAM, IPPROTO_IP", ret=3, path="TCP:[555]", fd=3),
        call("connect", CONNECT, fd=3, addr="127.0.0.1:8000", path="TCP:[555]"),
        call("sendto", '3, "PING\\n", 5, 0, NULL, 0', ret=5, fd=3, path=TCP, data=b"PING\n", size=5),
        call("recvfrom", '3, "PONG\\n", 1024, 0, NULL, NULL', ret=5, fd=3, path=TCP, data=b"PONG\n",
             size=1024),
        call("write", '3, "bye", 3', ret=3, fd=3, path=TCP, data=b"bye", size=3),
        call("read", '3, 0x7ff, 1024', error="EAGAIN", fd=3, path=TCP, size=1024),
        call("read", '4, "x", 10', ret=1, fd=4, path="/etc/hosts", data=b"x"),  # a file: not network
        call("write", '1, "ok", 2', ret=2, fd=1, path="pipe:[77]", data=b"ok"),  # a pipe: not network
    ])
    net = q.network(df)
    assert net["syscall"].tolist() == ["connect", "sendto", "recvfrom", "write", "read"]
    assert net["direction"].tolist() == ["out", "out", "in", "out", "in"]
    assert net["peer"].tolist() == ["127.0.0.1:8000"] * 5
    assert net["local"].tolist()[1:] == ["127.0.0.1:41000"] * 4
    assert net.loc[1, "local"] is pd.NA  # TCP:[555] is an inode, not an address
    assert net["bytes"].tolist()[1:4] == [5, 5, 3]
    assert net.loc[1, "bytes"] is pd.NA and net.loc[5, "bytes"] is pd.NA
    assert net["data"].tolist()[1:4] == [b"PING\n", b"PONG\n", b"bye"]
    assert net.loc[5, "error"] == "EAGAIN"


def test_network_server_side_bind_accept_and_unix_sockets():
    df = make_df([
        call("bind", '3, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}, 16',
             fd=3, addr="127.0.0.1:8000", path="TCP:[9]"),
        call("listen", "3, 5", fd=3, path="TCP:[127.0.0.1:8000]"),
        call("accept4", "3, {...}, [16], SOCK_CLOEXEC", ret=4, fd=4, addr="127.0.0.1:41000",
             path="TCP:[127.0.0.1:8000->127.0.0.1:41000]"),
        call("write", '5, "hi", 2', ret=2, fd=5, path="UNIX:[321,/run/app.sock]", data=b"hi"),
        call("recvmsg", "6, {...}, 0", ret=4, fd=6, path="UNIX:[654->655]", data=b"\x00\x01\x02\x03"),
    ])
    net = q.network(df)
    assert net["direction"].tolist() == ["", "", "in", "out", "in"]
    assert net.loc[0, "local"] == "127.0.0.1:8000" and net.loc[0, "peer"] is pd.NA
    assert net.loc[1, "local"] == "127.0.0.1:8000"
    assert net.loc[2, "peer"] == "127.0.0.1:41000" and net.loc[2, "local"] == "127.0.0.1:8000"
    assert net.loc[3, "local"] == "/run/app.sock"
    assert net.loc[4, "local"] is pd.NA and net.loc[4, "peer"] is pd.NA  # inodes only


# -- writes ------------------------------------------------------------------------------------------


def test_writes_per_destination_in_order_first_written():
    df = make_df([
        call("write", '1, "starting\\n", 9', ret=9, fd=1, path="/dev/pts/3", data=b"starting\n"),
        call("write", '3, "line one\\n", 9', ret=9, fd=3, path="/tmp/app.log", data=b"line one\n"),
        call("write", '3, "line two\\n", 9', ret=9, fd=3, path="/tmp/app.log", data=b"line two\n"),
        call("write", '4, "x", 1', error="EBADF", fd=4, path=None, data=b"x"),
        call("sendto", '5, "hello", 5, 0, NULL, 0', ret=5, fd=5, path=TCP, data=b"hello"),
        call("write", '6, "a", 1', ret=1, fd=6, path="pipe:[88]", data=b"a"),
        call("pwrite64", '7, "zz", 2, 100', ret=2, fd=7, path="/dev/null", data=b"zz"),
        call("read", '3, "", 10', ret=0, fd=3, path="/tmp/app.log", data=b""),  # reads are not writes
    ])
    answer = q.writes(df)
    assert answer["destination"].tolist() == ["/dev/pts/3", "/tmp/app.log", "fd 4", TCP, "pipe:[88]",
                                              "/dev/null"]
    assert answer["kind"].tolist() == ["terminal", "file", "other", "socket", "pipe", "device"]
    log = answer.set_index("destination").loc["/tmp/app.log"]
    assert log["calls"] == 2 and log["bytes"] == 18 and log["errors"] == 0
    assert log["first_bytes"] == b"line one\nline two\n"
    bad = answer.set_index("destination").loc["fd 4"]
    assert bad["bytes"] == 0 and bad["errors"] == 1 and bad["first_bytes"] == b""


def test_writes_first_bytes_stop_at_a_chunk_cut_by_the_string_limit():
    df = make_df([
        call("write", '3, "0123456789"..., 100', ret=100, fd=3, path="/tmp/f", data=b"0123456789"),
        call("write", '3, "more", 4', ret=4, fd=3, path="/tmp/f", data=b"more"),
    ])
    answer = q.writes(df)
    assert answer.loc[0, "first_bytes"] == b"0123456789"  # what came next is unknown, so nothing is glued on
    assert answer.loc[0, "bytes"] == 104
    assert q.writes(df, first=4).loc[0, "first_bytes"] == b"0123"


def test_writes_of_a_trace_without_writes_is_empty():
    answer = q.writes(make_df([call("close", "3")]))
    assert answer.empty and list(answer.columns) == list(q.WRITES_COLUMNS)


# -- end to end: the programs in tests/programs/questions, traced for real ------------------------------

PROGRAMS = Path(__file__).parent / "programs" / "questions"


def test_missing_lists_the_three_probed_config_paths_and_files_shows_the_fourth_found(tmp_path):
    (tmp_path / "found.conf").write_text("colour=blue\n")
    trace = spykit.trace([sys.executable, str(PROGRAMS / "config_probe.py"), str(tmp_path)])
    assert trace.returncode == 0
    ours = trace.missing()
    ours = ours[ours["path"].str.startswith(str(tmp_path))]
    assert ours["path"].tolist() == [str(tmp_path / "home" / ".proberc"), str(tmp_path / "etc-probe.conf"),
                                     str(tmp_path / "found.conf" / "nested.conf")]
    assert ours["error"].tolist() == ["ENOENT", "ENOENT", "ENOTDIR"]
    found = trace.files()
    found = found[found["path"] == str(tmp_path / "found.conf")]
    assert found["ok"].tolist() == [True]
    assert found["syscall"].tolist() == ["openat"] and found["flags"].str.startswith("read").all()


def test_processes_shows_what_sh_started_with_argv_and_exit_status():
    child = str(PROGRAMS / "exit_with.py")
    script = f"{sys.executable} {child} first 0 hello world; {sys.executable} {child} second 3 bye; exit 5"
    # long paths: a string limit big enough to keep every argument whole
    trace = spykit.trace(["sh", "-c", script], capture_output=True, string_limit=1024)
    assert trace.returncode == 5
    procs = trace.processes()
    root = procs[procs["parent"].isna()]
    assert len(root) == 1 and root["argv"].iloc[0][0] == ["sh", "-c", script]
    assert root["status"].iloc[0] == 5
    children = procs[procs["parent"] == root["pid"].iloc[0]]
    assert [argv[-1] for argv in children["argv"]] == [
        [sys.executable, child, "first", "0", "hello", "world"],
        [sys.executable, child, "second", "3", "bye"],
    ]
    assert children["status"].tolist() == [0, 3]
    assert (children["end"] > children["start"]).all()
    tree = process_tree_text(procs).splitlines()
    assert tree[0].startswith(f"{root['pid'].iloc[0]} sh -c ") and tree[0].endswith("[exited 5]")
    assert tree[1].startswith("├── ") and tree[1].endswith("first 0 hello world  [exited 0]")
    assert tree[2].startswith("└── ") and tree[2].endswith("second 3 bye  [exited 3]")


def test_network_shows_the_server_address_both_directions_and_the_payload():
    trace = spykit.trace([sys.executable, str(PROGRAMS / "ping_server.py"), "secret-42"], capture_output=True,
                         string_limit=64)
    assert trace.returncode == 0, trace.stderr
    port = int(trace.stdout.split()[1])
    net = trace.network()
    server = f"127.0.0.1:{port}"
    connect = net[(net["syscall"] == "connect") & (net["peer"] == server)]
    assert len(connect) == 1 and connect["direction"].iloc[0] == "out"
    client = net[(net["fd"] == connect["fd"].iloc[0]) & (net["peer"] == server) & net["bytes"].notna()]
    sent = client[client["direction"] == "out"]
    received = client[client["direction"] == "in"]
    assert sent["data"].tolist() == [b"PING secret-42"] and sent["bytes"].tolist() == [14]
    assert received["data"].tolist() == [b"PONG PING secret-42"]
    # the server's side of the same connection: it received from the client's address
    assert (net["data"] == b"PING secret-42").sum() == 2


def test_writes_shows_the_log_path_the_byte_count_and_the_text(tmp_path):
    trace = spykit.trace([sys.executable, str(PROGRAMS / "log_writer.py"), str(tmp_path)])
    assert trace.returncode == 0
    log = trace.writes().set_index("destination").loc[str(tmp_path / "app.log")]
    assert log["kind"] == "file"
    assert log["calls"] == 1
    assert log["bytes"] == len(b"INFO the spy was here\n")
    assert log["first_bytes"] == b"INFO the spy was here\n"
