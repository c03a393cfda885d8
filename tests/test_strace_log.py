"""spykit.read_strace: strace's text output read into a Trace.

Real strace runs the test programs with each option combination, and the log read back must
agree with spykit's own live trace of the same program (tests/strace_agreement.py does the
work); hand-made logs cover the odd cases one by one.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import need_tool

import spykit
from spykit.errors import TraceFileError
from spykit.strace_log.args import address, split_args, unescape
from spykit.tracedata import DF_COLUMNS

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import strace_agreement  # noqa: E402

# -- against real strace and the live tracer --------------------------------------------------------

@pytest.fixture(scope="module")
def agreement_dir(tmp_path_factory):
    need_tool("strace")
    need_tool("gcc")
    base = tmp_path_factory.mktemp("agreement")
    os.chmod(base, 0o777)
    return base


@pytest.mark.parametrize("combination", list(strace_agreement.COMBINATIONS))
def test_read_strace_agrees_with_the_live_trace(combination, agreement_dir):
    """Per process: the same calls, paths, results and errors as spykit's live trace shows."""
    total = agreed = 0
    differences = {}
    for name in strace_agreement.PROGRAMS:
        t, a, diff = strace_agreement.agreement(name, combination, agreement_dir)
        if diff:  # a rare scheduling accident: the second run decides
            t, a, diff = strace_agreement.agreement(name, combination, agreement_dir)
        total, agreed = total + t, agreed + a
        if diff:
            differences[name] = diff
    assert total > 0
    assert not differences, differences
    assert agreed == total


@pytest.mark.parametrize("options", [["-f", "-s", "64"], ["-f", "-x"], ["-f", "-xx", "-s", "10"]])
def test_data_read_back_begins_the_live_traces_bytes(options, agreement_dir):
    total, wrong = 0, {}
    for name in strace_agreement.DATA_PROGRAMS:
        t, w = strace_agreement.data_agreement(name, options, agreement_dir)
        total += t
        if w:
            wrong[name] = w[:3]
    assert total > 100 and not wrong, wrong


def test_ff_folder_and_prefix_give_the_same_trace(agreement_dir, tmp_path):
    cmd = strace_agreement.build("proc_fork", agreement_dir)
    subprocess.run(["strace", "-qq", "-ff", "-tt", "-o", str(tmp_path / "run"), *cmd], check=True,
                   stdout=subprocess.DEVNULL)
    by_prefix = spykit.read_strace(tmp_path / "run")
    by_folder = spykit.read_strace(tmp_path)
    assert len(by_prefix.meta.log["files"]) >= 2
    assert "-ff" in by_prefix.meta.log["options"] and "-tt" in by_prefix.meta.log["options"]
    pd.testing.assert_frame_equal(by_prefix.df, by_folder.df)
    assert by_prefix.df["time"].is_monotonic_increasing  # the files' lines interleaved in time
    assert by_prefix.processes()["pid"].nunique() >= 2


# -- hand-made logs -------------------------------------------------------------------------------

LOG = "".join(line + "\n" for line in [
    '100   1733350000.100000 execve("/bin/prog", ["prog", "-v"], ["HOME=/root", "LANG=C"]) = 0 <0.000100>',
    '100   1733350000.100200 openat(AT_FDCWD</home>, "/etc/prog.conf", '
    'O_RDONLY) = -1 ENOENT (No such file or directory) <0.000004>',
    '100   1733350000.100300 openat(AT_FDCWD</home>, "data.txt", O_RDONLY|O_CLOEXEC) = 3</home/data.txt> <0.000004>',
    '100   1733350000.100400 read(3</home/data.txt>, "hello\\nworld\\0\\377"..., 4096) = 4096 <0.000010>',
    '100   1733350000.100500 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, '
    'child_tidptr=0x7f) = 101 <0.000050>',
    '101   1733350000.100600 write(1</dev/pts/0>, "child\\n", 6 <unfinished ...>',
    '100   1733350000.100650 connect(4<TCP:[9]>, {sa_family=AF_INET, sin_port=htons(8000), '
    'sin_addr=inet_addr("127.0.0.1")}, 16) = 0 <0.000020>',
    '101   1733350000.100700 <... write resumed>) = 6 <0.000100>',
    '100   1733350000.100800 clone(child_stack=0x7f, '
    'flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, parent_tid=[102]) = 102 <0.000020>',
    '102   1733350000.100900 read(0</dev/null<char 1:3>>, "", 10) = 0 <0.000001>',
    '101   1733350000.101000 exit_group(0)        = ?',
    '101   1733350000.101100 +++ exited with 0 +++',
    '100   1733350000.101200 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=101, si_uid=0, '
    'si_status=0} ---',
    '100   1733350000.101300 wait4(-1, 0x7ffd, WNOHANG, '
    'NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set) <0.000001>',
    'strace: Process 100 detached',
    'this line is not strace output',
    '100   1733350000.101400 +++ killed by SIGKILL +++',
])


def test_hand_made_log_columns():
    t = spykit.read_strace(LOG)
    df = t.df
    # the same columns, in the same order and with the same dtypes, as a live trace
    assert {c: str(df[c].dtype) for c in df.columns} == DF_COLUMNS and list(df.columns) == list(DF_COLUMNS)
    assert set(df["abi"].astype(str)) == {"x86_64"}
    assert df["syscall"].astype(str).tolist() == ["execve", "openat", "openat", "read", "clone", "write", "connect",
                                                  "clone", "read", "exit_group", "wait4"]
    assert df["time"].iloc[0] == 0.0 and df["time"].iloc[1] == pytest.approx(0.0002)
    assert t.meta.start_time == pytest.approx(1733350000.1)
    assert df["duration"].iloc[3] == pytest.approx(0.00001)
    missing = df.iloc[1]
    assert (missing["ret"], missing["error"], missing["path"]) == (-1, "ENOENT", "/etc/prog.conf")
    opened = df.iloc[2]
    assert (opened["ret"], opened["fd"], opened["path"], opened["fd_kind"]) == (3, 3, "data.txt", "file")
    read = df.iloc[3]
    assert read["data"] == b"hello\nworld\x00\xff"
    assert read["data_complete"] is pd.NA or not read["data_complete"]  # cut at -s: not whole
    assert read["data_complete"] is not pd.NA
    assert read["size"] == 4096 and read["path"] == "/home/data.txt"
    # the resumed write: one row, at the time of its first half, with the second half's result
    write = df.iloc[5]
    assert (write["pid"], write["ret"], write["data"], bool(write["unfinished"])) == (101, 6, b"child\n", False)
    assert write["time"] == pytest.approx(0.0006) and write["duration"] == pytest.approx(0.0001)
    assert write["fd_kind"] == "tty"
    assert df.iloc[6]["addr"] == "127.0.0.1:8000" and df.iloc[6]["fd_kind"] == "socket"
    # -yy's device numbers are not part of the path; the thread belongs to process 100
    assert df.iloc[8]["path"] == "/dev/null" and df.iloc[8]["tgid"] == 100 and df.iloc[8]["fd_kind"] == "device"
    assert bool(df.iloc[9]["unfinished"]) and pd.isna(df.iloc[9]["ret"])
    restarted = df.iloc[10]
    assert pd.isna(restarted["ret"]) and restarted["error"] == "ERESTARTSYS" and not restarted["unfinished"]
    assert df["nr"].iloc[0] == 59 and df["category"].iloc[1] == "file"


def test_hand_made_log_events_meta_and_questions():
    t = spykit.read_strace(LOG)
    ev = t.events
    kinds = ev["kind"].tolist()
    assert kinds.count("spawn") == 2 and "exec" in kinds and "exit" in kinds and "signal" in kinds
    spawn = ev[ev["kind"] == "spawn"]
    assert spawn["how"].tolist() == ["clone", "thread"] and spawn["child"].tolist() == [101, 102]
    sig = ev[ev["kind"] == "signal"].iloc[0]
    assert (sig["signal"], sig["how"]) == ("SIGCHLD", "CLD_EXITED")
    killed = ev[ev["kind"] == "killed"].iloc[0]
    assert (killed["pid"], killed["signal"]) == (100, "SIGKILL")
    assert t.returncode == -9
    log = t.meta.log
    assert t.meta.source == "strace"
    assert log["unparsed"] == [["<text>", 16, "this line is not strace output"]]
    assert log["messages"] == [["<text>", 15, "strace: Process 100 detached"]]
    assert log["options"] == ["-f", "-ttt", "-T", "-yy", "-s 13"]
    assert t.meta.command == ["prog", "-v"]
    procs = t.processes()
    assert procs["pid"].tolist() == [100, 101]
    assert procs.iloc[0]["argv"] == [["prog", "-v"]] and procs.iloc[0]["env"] == {"HOME": "/root", "LANG": "C"}
    assert procs.iloc[1]["parent"] == 100 and procs.iloc[1]["status"] == 0
    assert t.missing()["path"].tolist() == ["/etc/prog.conf"]
    assert t.network()["peer"].tolist() == ["127.0.0.1:8000"]
    assert t.writes()["destination"].tolist() == ["/dev/pts/0"]
    assert t.written("/dev/pts/0") == b"child\n"
    assert "1 line not understood" in t._repr_mimebundle_()["text/plain"]
    assert "1 line not understood" in repr(t)


def test_values_strace_did_not_print_are_missing():
    t = spykit.read_strace('openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 3\nread(3, "abc", 3) = 3\n'
                           'close(3) = 0\nexit_group(0) = ?\n+++ exited with 0 +++\n')
    df = t.df
    assert df["pid"].eq(0).all()  # no -f: strace printed no pid
    assert df["time"].isna().all() and df["duration"].isna().all()
    assert pd.isna(df.iloc[1]["path"]) and pd.isna(df.iloc[1]["fd_kind"])  # no -y: the fd's target is unknown
    assert df.iloc[1]["fd"] == 3 and df.iloc[1]["data"] == b"abc" and bool(df.iloc[1]["data_complete"])
    assert t.meta.log["options"] == [] and t.returncode == 0
    assert t.processes()["env"].tolist() == [None]


def test_timestamps_relative_and_time_of_day():
    rel = spykit.read_strace("     0.000000 getpid() = 7\n     0.000500 getpid() = 7\n     0.001000 getpid() = 7\n")
    assert rel.df["time"].tolist() == pytest.approx([0.0, 0.0005, 0.0015])
    assert rel.meta.log["options"] == ["-r"]
    wrap = spykit.read_strace("23:59:59.900000 getpid() = 7\n00:00:00.100000 getpid() = 7\n")
    assert wrap.df["time"].tolist() == pytest.approx([0.0, 0.2])
    seconds = spykit.read_strace("1 10:00:01 getpid() = 7\n[pid 2] 10:00:03 getppid() = 1\n")
    assert seconds.df["pid"].tolist() == [1, 2] and seconds.df["time"].tolist() == [0.0, 2.0]
    assert "-t" in seconds.meta.log["options"] and "-f" in seconds.meta.log["options"]


def test_unfinished_call_without_its_second_half():
    """-z/-Z print a first half and drop the second: the thread's next call shows it returned."""
    t = spykit.read_strace("5 rseq(0x7f, 0x20, 0, 0x53 <unfinished ...>\n6 getpid() = 6\n5 getpid() = 5\n"
                           "6 read(0,  <unfinished ...>\n6 +++ killed by SIGTERM +++\n")
    df = t.df
    assert not df.iloc[0]["unfinished"] and pd.isna(df.iloc[0]["ret"])
    assert bool(df.iloc[3]["unfinished"])


def test_a_resumed_line_without_its_first_half_is_kept_as_not_understood():
    t = spykit.read_strace("7 <... read resumed>\"x\", 1) = 1\n7 getpid() = 7\n")
    assert len(t.df) == 1 and t.meta.log["unparsed"][0][1] == 1


def test_hex_strings_deleted_files_and_addresses():
    t = spykit.read_strace('write(1</tmp/#12>(deleted), "\\x68\\x69\\x0a", 3) = 3\n'
                           'openat(AT_FDCWD, ".", O_RDWR|O_TMPFILE, 0600) = 4</tmp/#13>(deleted)\n')
    assert t.df.iloc[0]["data"] == b"hi\n" and t.df.iloc[0]["path"] == "/tmp/#12 (deleted)"
    assert t.df.iloc[1]["fd"] == 4 and t.df.iloc[1]["path"] == "."
    # a target's bytes that are not UTF-8 come back as the tracer keeps them (surrogate escapes)
    named = spykit.read_strace('close(3</tmp/caf\\351.txt>) = 0\n').df["path"].iloc[0]
    assert os.fsencode(named) == b"/tmp/caf\xe9.txt"
    assert pd.isna(t.df.iloc[1]["note"])
    assert unescape(r"a\tb\\\"\0\1777") == b'a\tb\\"\x00\x7f7'
    assert split_args('3, "a, b", [1, 2], {x=1, y=[3]}, f(a, b)') == ['3', '"a, b"', '[1, 2]', '{x=1, y=[3]}',
                                                                      'f(a, b)']
    assert address('{sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), '
                   'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}') == "[::1]:80"
    assert address('{sa_family=AF_UNIX, sun_path=@"abstract"}') == "@abstract"
    assert address('{sa_family=AF_UNIX, sun_path="/run/x.sock"}') == "/run/x.sock"


def test_bad_input_says_what_to_do(tmp_path):
    with pytest.raises(TraceFileError, match="does not exist"):
        spykit.read_strace(tmp_path / "nothing.strace")
    (tmp_path / "a.1").write_text("getpid() = 1\n")
    (tmp_path / "b.2").write_text("getpid() = 2\n")
    with pytest.raises(TraceFileError, match="several strace -ff runs"):
        spykit.read_strace(tmp_path)
    assert spykit.read_strace(tmp_path / "a").df["pid"].tolist() == [1]
    assert spykit.read_strace(b"getpid() = 1\n").df["ret"].tolist() == [1]


def test_a_million_lines_read_in_under_ten_seconds(tmp_path):
    lines = []
    for i in range(1_000_000):
        k = i % 10
        if k < 4:
            body = f'read(3</tmp/data.bin>, "chunk {i % 97}\\n\\0\\377abc"..., 4096) = 4096'
        elif k < 7:
            body = f'write(1</dev/pts/0>, "line {i}\\n", {len(str(i)) + 6}) = {len(str(i)) + 6}'
        elif k == 7:
            body = f'openat(AT_FDCWD, "/etc/conf{i % 50}.d", O_RDONLY) = -1 ENOENT (No such file or directory)'
        elif k == 8:
            body = f'newfstatat(AT_FDCWD, "/usr/lib/x{i % 300}", {{st_mode=S_IFREG|0644, st_size={i}, ...}}, 0) = 0'
        else:
            body = "close(3</tmp/data.bin>) = 0"
        lines.append(f"{1000 + i % 4} {1733350000 + i * 1e-5:.6f} {body} <0.000004>")
    log = tmp_path / "big.strace"
    log.write_text("\n".join(lines) + "\n")
    del lines
    # CPU time, not wall time: the machine running the tests is shared, and others' work is not ours
    start = time.process_time()
    t = spykit.read_strace(log)
    took = time.process_time() - start
    assert len(t.df) == 1_000_000 and not t.meta.log["unparsed"]
    assert t.df["data"].iloc[4] == b"line 4\n" and not math.isnan(t.df["time"].iloc[-1])
    assert took < 10, f"{took:.1f} s"


def test_cli_answers_from_a_log(tmp_path, capsys):
    from spykit.cli import main

    log = tmp_path / "app.strace"
    log.write_text(LOG)
    assert main(["missing", "--from", str(log)]) == 0
    assert "/etc/prog.conf" in capsys.readouterr().out
    assert main(["processes", "--from", str(log)]) == 0
    assert "prog -v" in capsys.readouterr().out
    assert main(["missing", "--from", str(log), "--", "ls"]) == 2
    assert "not both" in capsys.readouterr().err


def test_text_shows_the_clock_the_log_had():
    tt = spykit.read_strace("1 23:59:59.500000 getpid() = 1\n1 00:00:00.250000 getppid() = 0\n")
    lines = tt.to_text(timestamps=True).splitlines()
    assert lines[0].startswith("23:59:59.500000 getpid()") and lines[1].startswith("00:00:00.250000 getppid()")
    relative = spykit.read_strace("0.000000 getpid() = 1\n0.000100 getppid() = 0\n")
    assert relative.to_text(timestamps=True).splitlines()[1].startswith("0.000100 getppid()")
    untimed = spykit.read_strace("getpid() = 1\ngetppid() = 0\n+++ exited with 0 +++\n")
    assert untimed.to_text(timestamps=True).splitlines() == ["getpid()                                = 1",
                                                            "getppid()                               = 0",
                                                            "+++ exited with 0 +++"]


def test_flags_in_words_from_the_printed_names():
    t = spykit.read_strace('openat(AT_FDCWD, "/tmp/log", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3\n'
                           'access("/etc/x", R_OK) = 0\n'
                           'openat(AT_FDCWD, "/y", O_RDONLY|0x80000000 /* O_??? */) = 4\n'
                           'openat(AT_FDCWD, "/z", O_MADE_UP) = 5\n'
                           'execve("/bin/ls", ["ls"], 0x7ff /* 3 vars */) = 0\n')
    assert t.df["flags"].astype(object).tolist()[:2] == ["write, create, truncate; mode rw-r--r--", "readable?"]
    assert pd.isna(t.df["flags"].iloc[3])  # an unknown name: no words rather than wrong ones
    assert t.df["flags"].iloc[4] == "run"
    assert t.files()["flags"].iloc[0] == "write, create, truncate; mode rw-r--r--"


def test_iovec_data_stops_at_the_first_cut_piece():
    t = spykit.read_strace('writev(3, [{iov_base="ab", iov_len=2}, {iov_base="cdef"..., iov_len=9}, '
                           '{iov_base="\\n", iov_len=1}], 3) = 12\nwritev(3, [], 0) = 0\n')
    first, empty = t.df.iloc[0], t.df.iloc[1]
    assert first["data"] == b"abcdef" and not first["data_complete"] and first["size"] == 12
    assert empty["data"] == b"" and empty["data_complete"] and empty["size"] == 0


def test_an_attached_process_takes_the_pid_strace_named():
    t = spykit.read_strace("strace: Process 4242 attached\nread(0, \"\", 1) = 0\nstrace: Process 4242 detached\n")
    assert t.df["pid"].tolist() == [4242] and t.meta.pid == 4242
    assert [m[2] for m in t.meta.log["messages"]] == ["strace: Process 4242 attached", "strace: Process 4242 detached"]
    assert not t.meta.log["unparsed"]


def test_line_pieces():
    from spykit.strace_log.lines import LINE, parse_result, stamp_kind

    assert LINE.match("[pid  4242] 12:00:01.000001 read(0, \"\", 1) = 0 <0.000002>\n").groups() == (
        "4242", None, "12:00:01.000001", 'read(0, "", 1) = 0 <0.000002>')
    assert LINE.match("     0.000123 getpid() = 1").groups()[1:3] == (None, "0.000123")
    assert [stamp_kind(s) for s in ("12:00:01", "12:00:01.5", "1733350000.1", "0.000123")] == [
        "-t", "-tt", "-ttt", "-r"]
    assert parse_result("0x5629a000") == (0x5629A000, None, None, None)
    assert parse_result("3<TCP:[1.2.3.4:5->6.7.8.9:10]>") == (3, "TCP:[1.2.3.4:5->6.7.8.9:10]", None, None)
    assert parse_result("-1 ENOENT (No such file or directory)") == (-1, None, "ENOENT", None)
    assert parse_result("1 ([{fd=3, revents=POLLIN}])") == (1, None, None, " ([{fd=3, revents=POLLIN}])")
    assert parse_result("?") == (None, None, None, None)


def test_saved_and_loaded_it_still_says_where_it_came_from(tmp_path):
    t = spykit.read_strace(LOG)
    t.save(tmp_path / "t.parquet")
    back = spykit.load(tmp_path / "t.parquet")
    assert back.meta.source == "strace" and back.meta.log["unparsed"] == t.meta.log["unparsed"]
    pd.testing.assert_frame_equal(back.df, t.df)


def test_the_table_of_each_call_as_strace_says_it():
    """strace tells a change of table on its standard error: "[ Process PID=N runs in x32 mode. ]"."""
    log = "".join(line + "\n" for line in [
        "200   getppid()                 = 1",
        "[ Process PID=200 runs in x32 mode. ]",
        "200   getpid()                  = -1 ENOSYS (Function not implemented)",
        "201   getpid()                  = 201",
        "[ Process PID=200 runs in 32 bit mode. ]",
        '200   open("/x", O_RDONLY)      = -1 ENOENT (No such file or directory)',
        "[ Process PID=200 runs in 64 bit mode. ]",
        '200   open("/y", O_RDONLY)      = -1 ENOENT (No such file or directory)',
        '201   stat64("/z", 0x1000)       = -1 ENOENT (No such file or directory)',
        "200   syscall_0x3e8(0x1)        = -1 ENOSYS (Function not implemented)",
    ])
    df = spykit.read_strace(log).df
    assert df["abi"].astype(str).tolist() == ["x86_64", "x32", "x86_64", "i386", "x86_64", "i386", "x86_64"]
    assert df["nr"].tolist() == [110, 0x40000000 | 39, 39, 5, 2, 195, 1000]
    assert str(df["abi"].dtype) == "category" and list(df["abi"].cat.categories) == ["x86_64", "i386", "x32"]


def test_the_table_of_each_call_agrees_with_the_live_trace(agreement_dir):
    """strace's messages in the log (its standard error): the same table per call as spykit's live trace."""
    need_tool("as")
    cmd = strace_agreement.build("abi_tables", agreement_dir)
    elf = agreement_dir / "abi_elf32"
    if not elf.exists():
        subprocess.run(["as", "--32", "-o", f"{elf}.o", str(HERE / "differential/programs/abi_elf32.s")], check=True)
        subprocess.run(["ld", "-m", "elf_i386", "-o", str(elf), f"{elf}.o"], check=True)
    for program in (cmd, [str(elf)]):
        log = subprocess.run(["strace", *program], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             check=True).stderr
        assert b"runs in" in log
        from_log = spykit.read_strace(log).df
        live = spykit.trace(program, capture_output=True).df
        calls = [(str(n), str(a)) for n, a in zip(from_log["syscall"], from_log["abi"], strict=True)]
        assert calls == [(str(n), str(a)) for n, a in zip(live["syscall"], live["abi"], strict=True)]
        assert from_log["nr"].tolist() == live["nr"].tolist()
        assert {"i386"} <= set(from_log["abi"].astype(str))
