"""``Trace.df["fd_kind"]``: what a row's fd points to, on hand-made frames and on a real trace."""

from __future__ import annotations

import os
import socket
import sys
import textwrap

import pandas as pd
import pytest
from frames import call, make_df, make_trace

import spykit
from spykit.fdkinds import KINDS, fd_kinds, kind_of_target, with_fd_kind
from spykit.notebook.explorer_filters import Selection, fd_kind_options, select_rows


@pytest.mark.parametrize(("target", "kind"), [
    ("pipe:[4711]", "pipe"),
    ("socket:[99]", "socket"),
    ("TCP:[127.0.0.1:41000->127.0.0.1:8000]", "socket"),
    ("TCPv6:[[::1]:8000]", "socket"),
    ("UNIX:[12345,/run/app.sock]", "socket"),
    ("UNIX-STREAM:[12345]", "socket"),
    ("NETLINK:[7]", "socket"),
    ("anon_inode:[eventfd]", "anon"),
    ("anon_inode:inotify", "anon"),
    ("net:[4026531840]", "anon"),
    ("/dev/pts/3", "tty"),
    ("/dev/tty", "tty"),
    ("/dev/ttyS0", "tty"),
    ("/dev/console", "tty"),
    ("/dev/null", "device"),
    ("/dev/urandom", "device"),
    ("/dev/shm/sem.lock", "file"),
    ("/etc/passwd", "file"),
    ("relative/name.txt", "file"),
    ("/memfd:buffer (deleted)", "file"),
    ("/tmp/fifo-i-made", "file"),  # a named pipe shows its path: the trace cannot tell it from a file
    (".", "directory"),
    ("..", "directory"),
    ("/", "directory"),
    ("/usr/lib/", "directory"),
    ("", None),
    (None, None),
])
def test_kind_of_one_target(target, kind):
    assert kind_of_target(target) == kind


def test_rows_without_an_fd_target_have_no_kind():
    df = make_df([
        call("openat", 'AT_FDCWD, "/etc/nope", O_RDONLY', error="ENOENT", path="/etc/nope"),  # no fd made
        call("newfstatat", 'AT_FDCWD, "/etc/passwd", {...}, 0', 0, path="/etc/passwd"),  # names, uses no fd
        call("nanosleep", "{tv_sec=1, tv_nsec=0}, NULL", 0),
        call("openat", 'AT_FDCWD, "/etc/passwd", O_RDONLY', 3, path="/etc/passwd", fd=3),
        call("read", '3, "root:x:0:0"..., 4096', 4096, path="/etc/passwd", fd=3),
        call("read", "4, ...", 9, path="pipe:[42]", fd=4),
        call("write", "5, ...", 9, fd=5),  # an fd whose target the tracer could not read
    ])
    kinds = fd_kinds(df)
    assert kinds.tolist()[3:6] == ["file", "file", "pipe"]
    assert kinds.iloc[[0, 1, 2, 6]].isna().all()
    assert kinds.dtype == pd.StringDtype("python") and kinds.name == "fd_kind"
    assert (kinds.index == df.index).all()


def test_a_directory_is_known_by_its_listing_from_open_to_close():
    df = make_df([
        call("openat", 'AT_FDCWD, "src", O_RDONLY|O_DIRECTORY', 3, path="src", fd=3),
        call("fstat", "3, {...}", 0, path="/home/u/src", fd=3),
        call("getdents64", "3, [...], 32768", 120, path="/home/u/src", fd=3),
        call("close", "3", 0, path="/home/u/src", fd=3),
        call("openat", 'AT_FDCWD, "notes.txt", O_RDONLY', 3, path="notes.txt", fd=3),  # fd 3 again: a file now
        call("read", "3, ...", 5, path="/home/u/notes.txt", fd=3),
        call("openat", 'AT_FDCWD, "/home/u/src", O_RDONLY', 4, pid=200, path="/home/u/src", fd=4),  # same path
        call("getdents64", "5, [...], 32768", 0, pid=300, path="/srv", fd=5),
        call("read", "5, ...", 3, pid=300, path="pipe:[9]", fd=5),  # reused with no close shown (pipe2's fds)
    ])
    assert fd_kinds(df).tolist() == ["directory"] * 4 + ["file", "file", "directory", "directory", "pipe"]


def test_with_fd_kind_adds_the_column_in_place():
    df = make_df([call("read", "0, ...", 1, path="/dev/pts/0", fd=0)])
    assert with_fd_kind(df) is df and df["fd_kind"].tolist() == ["tty"]


def pipe_and_file_trace():
    return make_trace([
        call("openat", 'AT_FDCWD, "/src/pipe_reader.py", O_RDONLY', 3, path="/src/pipe_reader.py", fd=3),
        call("read", "3, ...", 300, path="/src/pipe_reader.py", fd=3),  # the program's own source
        call("read", "4, ...", 6, path="pipe:[77]", fd=4, time=0.5),
        call("read", "4, ...", 6, path="pipe:[77]", fd=4, time=0.75),
        call("sendto", "5, ...", 3, path="TCP:[127.0.0.1:4000->127.0.0.1:8000]", fd=5),
    ])


def test_filter_by_fd_kind_keeps_the_pipe_and_not_a_file_named_pipe():
    trace = pipe_and_file_trace()
    assert len(trace.filter("read", path="pipe")) == 3  # the trap: the source file's name has "pipe" in it
    pipe_reads = trace.filter("read", fd_kind="pipe")
    assert pipe_reads.df["path"].tolist() == ["pipe:[77]", "pipe:[77]"]
    assert len(trace.filter(fd_kind=["pipe", "socket"])) == 3
    assert len(trace.filter(fd_kind="tty")) == 0
    with pytest.raises(spykit.SpykitError, match="not a kind of fd target") as raised:
        trace.filter(fd_kind="fifo")
    assert "pipe" in raised.value.hint


def test_the_explorer_has_an_fd_points_to_choice():
    pytest.importorskip("ipywidgets")
    trace = pipe_and_file_trace()
    df = trace.df
    assert fd_kind_options(df) == [("any (or no fd)", ""), ("file (2)", "file"), ("pipe (2)", "pipe"),
                                   ("socket (1)", "socket")]
    assert select_rows(df, Selection(fd_kind="pipe"))["path"].tolist() == ["pipe:[77]", "pipe:[77]"]
    explorer = trace.explore().explorer
    assert explorer.fd_kind.description == "fd points to"
    explorer.fd_kind.value = "socket"
    assert explorer.rows["syscall"].astype(str).tolist() == ["sendto"]
    assert "<b>1</b> of 5 calls" in explorer.status.value
    explorer.reset()
    assert len(explorer.rows) == 5


READER = textwrap.dedent("""
    import os, socket, sys
    with open(sys.argv[1], "rb") as f:
        f.read()
    os.listdir(sys.argv[2])
    r, w = os.pipe()
    os.write(w, b"through the pipe")
    os.read(r, 100)
    a, b = socket.socketpair()
    a.send(b"over a socket")
    b.recv(100)
    with open(os.devnull, "rb") as null:
        null.read()
    s = socket.create_connection(("127.0.0.1", int(sys.argv[3])))
    s.sendall(b"hello")
    s.close()
""")


def test_a_real_trace_of_a_file_a_directory_a_pipe_a_socket_and_a_device(tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("some text")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "inside").write_text("x")
    program = tmp_path / "reader.py"
    program.write_text(READER)
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        trace = spykit.trace([sys.executable, str(program), str(data), str(tmp_path / "folder"), str(port)],
                             capture_output=True, timeout=60)
    assert trace.returncode == 0, trace.stderr
    df = trace.df
    assert "fd_kind" in df.columns and set(df["fd_kind"].dropna()) <= set(KINDS)

    def kinds_of(**conditions):
        return set(trace.filter(**conditions).df["fd_kind"].dropna())

    assert kinds_of(syscalls="read", path=r"data\.txt$") == {"file"}
    assert kinds_of(syscalls="getdents64", path="folder") == {"directory"}
    assert kinds_of(syscalls="openat", path="folder") == {"directory"}  # opened, then listed
    assert kinds_of(syscalls="read", path=r"^/dev/null$") == {"device"}
    pipe_reads = trace.filter("read", fd_kind="pipe").df
    assert [bytes(d) for d in pipe_reads["data"]] == [b"through the pipe"]
    sockets = trace.filter(fd_kind="socket").df
    assert {"sendto", "recvfrom", "connect"} <= set(sockets["syscall"].astype(str))
    # The interpreter reads its own files too: none of them is a pipe.
    assert not trace.filter("read", fd_kind="pipe").df["path"].str.endswith(".py").any()
    # Failed opens made no fd: no kind.
    assert df[df["syscall"].astype(str).eq("openat") & df["error"].notna()]["fd_kind"].isna().all()


def test_kinds_agree_with_the_targets_strace_shows(tmp_path):
    # strace -yy prints each fd's target after it (read(4<pipe:[123]>, ...)): the same calls, the same kinds
    import re
    import subprocess

    from conftest import need_tool

    strace = need_tool("strace")
    data = tmp_path / "data.txt"
    data.write_text("some text")
    (tmp_path / "folder").mkdir()
    program = tmp_path / "reader.py"
    program.write_text(READER)
    log = tmp_path / "strace.log"
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = str(server.getsockname()[1])
        command = [sys.executable, str(program), str(data), str(tmp_path / "folder"), port]
        subprocess.run([strace, "-f", "-yy", "-e", "trace=read,recvfrom,sendto,getdents64", "-o", str(log),
                        *command], check=True, capture_output=True, timeout=60)
        trace = spykit.trace(command, syscalls=["read", "recvfrom", "sendto", "getdents64"], capture_output=True,
                             timeout=60)
    theirs: dict[str, int] = {}
    for line in log.read_text().splitlines():
        target = re.search(r"\b(read|recvfrom|sendto|getdents64)\(\d+<([^>]*)>", line)
        if target and " = -1 " not in line:
            # a listed fd is a directory (strace shows its path, as for a file)
            kind = "directory" if target.group(1) == "getdents64" else kind_of_target(target.group(2)) or "?"
            theirs[kind] = theirs.get(kind, 0) + 1
    ours = trace.df[trace.df["error"].isna()]["fd_kind"].value_counts().to_dict()
    for kind in ("pipe", "socket", "directory", "device", "file"):
        assert ours.get(kind, 0) == theirs.get(kind, 0), (kind, ours, theirs)
    assert ours["pipe"] == 1 and ours["socket"] == 3 and ours["device"] == 1 and ours["directory"] >= 2


def test_a_loaded_trace_has_the_column_even_when_saved_without_it(tmp_path):
    trace = pipe_and_file_trace()
    with_fd_kind(trace.df)
    old = tmp_path / "old.parquet"
    trace.df = trace.df.drop(columns=["fd_kind"])  # as a trace saved before the column existed
    trace.save(old)
    loaded = spykit.load(old)
    assert loaded.df["fd_kind"].tolist() == ["file", "file", "pipe", "pipe", "socket"]
    new = tmp_path / "new.parquet"
    with_fd_kind(trace.df)
    trace.save(new)
    assert spykit.load(new).df["fd_kind"].tolist() == loaded.df["fd_kind"].tolist()
    assert os.stat(new).st_mode & 0o777 == 0o600


def test_a_cell_trace_has_the_column(tmp_path):
    from spykit.notebook.celltrace import CellTracer  # what %%strace runs a cell under

    source = tmp_path / "notes.txt"
    source.write_text("a file")
    with CellTracer() as ct:
        r, w = os.pipe()
        os.write(w, b"x")
        os.read(r, 1)
        os.close(r)
        os.close(w)
        with open(source) as f:
            f.read()
    df = ct.trace.df
    assert set(df.loc[df["syscall"].astype(str).isin(["read", "write"]) & df["path"].str.startswith("pipe:"),
                      "fd_kind"]) == {"pipe"}
    assert set(df.loc[df["path"] == str(source), "fd_kind"].dropna()) == {"file"}


def test_the_tracer_decides_kinds_as_the_frame_function_does(python_exe, tmp_path):
    # The tracer's builder passes the paths as it interned them (no hashing); a frame read back
    # (a saved trace, a strace log) goes through the df. Both must agree, directories from use too.
    (tmp_path / "sub").mkdir()
    code = (f"import os, socket; os.listdir({str(tmp_path)!r}); fd = os.open({str(tmp_path / 'sub')!r}, os.O_RDONLY); "
            "os.listdir(fd); os.close(fd); r, w = os.pipe(); os.write(w, b'x'); s = socket.socket(); s.close(); "
            "open('/dev/null').close()")
    trace = spykit.trace([python_exe, "-c", code], capture_output=True)
    assert trace.returncode == 0, trace.stderr
    kinds = trace.df["fd_kind"]
    assert fd_kinds(trace.df.drop(columns=["fd_kind"])).equals(kinds)
    assert {"file", "directory", "pipe", "socket", "device"} <= set(kinds.dropna())
    # (listdir opens with O_DIRECTORY: the plain O_RDONLY fd of sub is a directory from its use)
    assert set(kinds[trace.df["path"] == str(tmp_path / "sub")].dropna()) == {"directory"}
