"""The ``spykit`` command, run end to end in a subprocess like a user would run it."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import default_signals
from frames import call, make_trace

import spykit
from spykit import cli
from spykit.cli import exit_status

REPO = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).parent / "programs" / "questions"
SUBCOMMANDS = ["trace", "missing", "files", "processes", "network", "writes", "time", "wchan", "diagnose"]


def spykit_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spykit.cli", *args], capture_output=True, text=True,
                          env=spykit_env(), timeout=timeout, **kwargs)


def test_exit_status_follows_the_shell_convention():
    assert exit_status(0) == 0 and exit_status(3) == 3
    assert exit_status(-signal.SIGTERM) == 128 + signal.SIGTERM
    assert exit_status(None) == 0


@pytest.mark.parametrize("subcommand", SUBCOMMANDS)
def test_every_subcommand_has_help(subcommand):
    result = run(subcommand, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: spykit {subcommand}")


def test_bad_options_get_one_line_and_status_2():
    mistakes = (["trace", "--no-such-option", "--", "true"], ["frobnicate"],
                ["trace", "-s", "many", "--", "true"])
    for args in mistakes:
        result = run(*args)
        assert result.returncode == 2, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "error:" in result.stderr
    no_command = run("missing")
    assert no_command.returncode == 2 and "no command to run" in no_command.stderr
    bad_e = run("trace", "-e", "signal=none", "--", "true")
    assert bad_e.returncode == 2 and "only -e trace=" in bad_e.stderr


def test_spykit_errors_print_the_message_and_exit_1():
    result = run("trace", "--", "/no/such/program-xyz")
    assert result.returncode == 1
    assert result.stderr.startswith("spykit: ") and "/no/such/program-xyz" in result.stderr
    assert "Traceback" not in result.stderr
    unknown_class = run("trace", "-e", "trace=%nonsense", "--", "true")
    assert unknown_class.returncode == 2 and "nonsense" in unknown_class.stderr  # a typo in -e is a usage error


def test_trace_prints_strace_lines_to_stderr_and_exits_with_the_commands_status(tmp_path):
    result = run("trace", "--", "sh", "-c", f"cat {tmp_path}/absent.conf 2>/dev/null; exit 3")
    assert result.returncode == 3
    lines = result.stderr.splitlines()
    assert lines[0].startswith('execve("/usr/bin/sh", ["sh", "-c", ')
    assert any(line.startswith("wait4(") for line in lines)  # sh waited for cat...
    assert not any("absent.conf" in line for line in lines)  # ...whose calls were not followed without -f
    followed = run("trace", "-f", "-e", "trace=openat", "--", "sh", "-c",
                   f"cat {tmp_path}/absent.conf 2>/dev/null")
    assert followed.returncode == 1
    assert any(line.startswith("[pid ") and f'"{tmp_path}/absent.conf"' in line and "= -1 ENOENT" in line
               for line in followed.stderr.splitlines())
    assert all("openat(" in line or "+++" in line or "---" in line for line in followed.stderr.splitlines())


def test_trace_options_for_times_output_file_summary_and_save(tmp_path):
    output = tmp_path / "trace.txt"
    output.write_text("an older, readable file\n")
    output.chmod(0o644)
    result = run("trace", "-tt", "-T", "-o", str(output), "--", "true")
    assert result.returncode == 0 and result.stderr == ""
    assert stat.S_IMODE(os.stat(output).st_mode) == 0o600
    first = output.read_text().splitlines()[0]
    assert first[2] == ":" and first[5] == ":" and first[8] == "." and first[15] == " "
    assert first[16:].startswith('execve("/usr/bin/true"') and first.endswith(">")

    saved = tmp_path / "run.parquet"
    table = run("trace", "-c", "--save", str(saved), "--", "sh", "-c", "exit 4")
    assert table.returncode == 4
    lines = table.stderr.splitlines()
    assert lines[0].split() == ["%", "time", "seconds", "usecs/call", "calls", "errors", "syscall"]
    assert lines[-1].split()[-1] == "total"
    loaded = spykit.load(saved)
    assert loaded.returncode == 4 and loaded.command == ["sh", "-c", "exit 4"]
    assert int(lines[-1].split()[3]) == len(loaded)
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600


def test_trace_of_a_program_killed_by_a_signal_exits_128_plus_the_signal():
    result = run("trace", "--", "sh", "-c", "kill -TERM $$")
    assert result.returncode == 128 + signal.SIGTERM
    assert result.stderr.splitlines()[-1] == "+++ killed by SIGTERM +++"


def test_trace_attaches_to_a_running_process_and_leaves_it_running():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        time.sleep(0.2)
        result = run("trace", "-p", str(sleeper.pid), "--duration", "0.5")
        assert result.returncode == 0, result.stderr
        assert sleeper.poll() is None  # detached, still sleeping
        assert "+++" not in result.stderr  # it did not exit while traced
    finally:
        sleeper.kill()
        sleeper.wait()
    both = run("trace", "-p", "1", "--", "true")
    assert both.returncode == 2 and "either -p PID or a command" in both.stderr


def _descendant_named(pid: int, name: str) -> bool:
    """Whether a process called ``name`` has ``pid`` as parent (read from /proc)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                comm = Path(f"/proc/{entry}/comm").read_text().strip()
            except OSError:
                continue
            if int(fields[1]) == pid and comm == name:
                return True
    return False


def test_ctrl_c_prints_what_was_recorded_and_exits_130():
    process = subprocess.Popen([sys.executable, "-m", "spykit.cli", "trace", "--", "sleep", "30"],
                               stderr=subprocess.PIPE, text=True, env=spykit_env(), preexec_fn=default_signals)
    try:
        deadline = time.monotonic() + 20
        while not _descendant_named(process.pid, "sleep"):
            assert time.monotonic() < deadline, "sleep never started under the tracer"
            time.sleep(0.05)
        time.sleep(0.3)  # let sleep reach its nanosleep
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert 'execve("/usr/bin/sleep", ["sleep", "30"]' in stderr
    assert "interrupted" in stderr


def test_missing_answers_with_the_probed_paths(tmp_path):
    (tmp_path / "found.conf").write_text("x=1\n")
    result = run("missing", "--", sys.executable, str(PROGRAMS / "config_probe.py"), str(tmp_path))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("using ")  # the program's own output comes first, the answer after it
    assert lines[1].split()[:3] == ["path", "syscall", "error"]
    ours = [line.split()[0] for line in lines[2:] if line.split()[0].startswith(str(tmp_path))]
    assert ours == [str(tmp_path / "home" / ".proberc"), str(tmp_path / "etc-probe.conf"),
                    str(tmp_path / "found.conf" / "nested.conf")]


def test_missing_and_files_put_the_programs_own_rows_first(tmp_path):
    wanted = tmp_path / "app.conf"
    code = f"import os\nos.path.exists({str(wanted)!r}) or print('no config')"

    def named(line: str) -> bool:  # path first and left-aligned (a long one on a line of its own)
        return line == str(wanted) or line.startswith(str(wanted) + " ")

    result = run("missing", "--", sys.executable, "-c", code)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "no config"
    assert lines[1].split()[:3] == ["path", "syscall", "error"]
    assert named(lines[2])
    footer = lines[-1]
    assert footer.startswith("(") and "start-up rows left out" in footer and "--startup" in footer
    hidden = int(footer[1:].split()[0])
    assert hidden > 0 and not any(line.startswith("/etc/ld.so") for line in lines)
    every = run("missing", "--startup", "--", sys.executable, "-c", code).stdout.splitlines()
    assert named(every[2])
    heading = every.index(f"start-up lookups ({hidden}):")
    assert every[heading + 1].startswith("path ")
    assert any(line.startswith("/etc/ld.so.preload ") for line in every[heading:])
    assert all(len(line) <= 100 for line in every if not line.startswith("/"))
    files = run("files", "--", sys.executable, "-c", code).stdout.splitlines()
    assert files[1].split()[0] == "path" and any(named(line) for line in files[2:])
    assert not any(line.startswith("/etc/ld.so.cache") for line in files) and "--startup" in files[-1]


def test_answers_say_plainly_when_there_is_nothing_to_show():
    quiet = make_trace([call("openat", 'AT_FDCWD, "/etc/hosts", O_RDONLY', ret=3, path="/etc/hosts", fd=3)])
    assert cli._missing_text(quiet) == "nothing was missing: every file it looked for was there"
    assert cli._network_text(quiet) == "no network activity: no socket calls were made"
    assert cli._writes_text(quiet) == "nothing was written"


def test_processes_prints_the_tree(tmp_path):
    child = str(PROGRAMS / "exit_with.py")
    result = run("processes", "-o", str(tmp_path / "tree.txt"), "--", "sh", "-c",
                 f"{sys.executable} {child} one 0 a b; {sys.executable} {child} two 2; exit 0")
    assert result.returncode == 0
    tree = (tmp_path / "tree.txt").read_text().splitlines()
    assert tree[0].split()[1:3] == ["sh", "-c"] and tree[0].endswith("[exited 0]")
    assert tree[1].startswith("├── ") and tree[1].endswith("exit_with.py one 0 a b  [exited 0]")
    assert tree[2].startswith("└── ") and tree[2].endswith("exit_with.py two 2  [exited 2]")


def test_network_prints_peer_and_payload():
    result = run("network", "-s", "64", "--", sys.executable, str(PROGRAMS / "ping_server.py"), "cli-7")
    assert result.returncode == 0
    port = result.stdout.split("port ", 1)[1].split()[0]
    lines = result.stdout.splitlines()
    connects = [line for line in lines if " connect " in f" {line} " and f"127.0.0.1:{port}" in line]
    assert len(connects) == 1
    assert any("b'PING cli-7'" in line and " out " in f" {line} " for line in lines)
    assert any("b'PONG PING cli-7'" in line and " in " in f" {line} " for line in lines)


def test_writes_prints_the_log_destination(tmp_path):
    result = run("writes", "--", sys.executable, str(PROGRAMS / "log_writer.py"), str(tmp_path))
    assert result.returncode == 0
    log_line = next(line for line in result.stdout.splitlines() if str(tmp_path / "app.log") in line)
    assert log_line.split()[1:5] == ["file", "1", "22", "0"]
    assert "b'INFO the spy was here\\n'" in log_line


def test_time_prints_the_timing():
    result = run("time", "--", sys.executable, "-c", "sum(range(10**6))")
    assert result.returncode == 0, result.stderr
    assert "user" in result.stdout and "system" in result.stdout


def test_wchan_of_a_pid_and_of_a_command():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        by_pid = run("wchan", "--duration", "0.5", str(sleeper.pid))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert by_pid.returncode == 0, by_pid.stderr
    assert by_pid.stdout.strip()
    by_command = run("wchan", "--", "sleep", "0.5")
    assert by_command.returncode == 0, by_command.stderr
    assert by_command.stdout.strip()


def test_diagnose_prints_a_diagnosis():
    result = run("diagnose", "--", "sleep", "0.3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Diagnosis of sleep 0.3: sleep")
    # The way to the other numbers is the command line's, not Python's .details().
    assert "--details" in result.stdout and ".details()" not in result.stdout
    assert "context switches" not in result.stdout
    detailed = run("diagnose", "--details", "--", "sleep", "0.3")
    assert detailed.returncode == 0, detailed.stderr
    assert "context switches" in detailed.stdout and "maxresident" in detailed.stdout


# -- issue 16: bad numbers, output files, limits, broken pipes -------------------------------------------

@pytest.mark.parametrize("args", [["trace", "-s", "-5", "--", "true"], ["trace", "-p", "0"], ["trace", "-p", "-5"],
                                  ["wchan", "-i", "0", "--", "true"], ["wchan", "-d", "-1", "--", "true"],
                                  ["trace", "-p", "1", "--duration", "0"], ["wchan", "0"]])
def test_impossible_numbers_are_usage_errors_not_tracebacks(args):
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_options_after_a_pid_are_read_as_options():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        start = time.monotonic()
        result = run("wchan", str(sleeper.pid), "-d", "0.3", "-i", "0.05")
        assert time.monotonic() - start < 20
    finally:
        sleeper.kill()
        sleeper.wait()
    assert result.returncode == 0, result.stderr
    assert "every 50 ms" in result.stdout and f"pid {sleeper.pid}" in result.stdout
    stray = run("wchan", "1", "sleep", "1")
    assert stray.returncode == 2 and "only options may follow" in stray.stderr


@pytest.mark.parametrize("option", ["-o", "--save"])
def test_an_output_that_cannot_be_created_stops_before_the_program_runs(tmp_path, option):
    ran = tmp_path / "the-program-ran"
    result = run("trace", option, str(tmp_path / "no-such-dir" / "out"), "--", "touch", str(ran))
    assert result.returncode == 1
    assert result.stderr.strip() == f"spykit: {option} {tmp_path}/no-such-dir/out: the directory " \
                                    f"{tmp_path}/no-such-dir does not exist"
    assert not ran.exists()
    question = run("missing", option, str(tmp_path), "--", "touch", str(ran))  # a directory
    assert question.returncode == 1 and "is a directory" in question.stderr and not ran.exists()


def test_output_is_never_written_through_a_planted_symlink(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    planted = tmp_path / "out.txt"
    planted.symlink_to(victim)
    ran = tmp_path / "the-program-ran"
    for option in ("-o", "--save"):
        result = run("trace", option, str(planted), "--", "touch", str(ran))
        assert result.returncode == 1 and "symbolic link" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert victim.read_text() == "precious\n" and planted.is_symlink() and not ran.exists()


def test_output_replaces_an_own_file_without_touching_its_other_names(tmp_path):
    original = tmp_path / "original"
    original.write_text("keep me\n")
    linked = tmp_path / "out.txt"
    os.link(original, linked)
    result = run("missing", "-o", str(linked), "--", "true")
    assert result.returncode == 0, result.stderr
    assert original.read_text() == "keep me\n"
    assert linked.read_text().strip() and "keep me" not in linked.read_text()
    assert stat.S_IMODE(os.stat(linked).st_mode) == 0o600
    devnull = run("trace", "-o", os.devnull, "--", "true")
    assert devnull.returncode == 0 and devnull.stderr == "" and os.path.exists(os.devnull)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a file of another user")
def test_output_never_goes_into_another_users_file(tmp_path):
    theirs = tmp_path / "theirs.txt"
    theirs.write_text("their notes\n")
    os.chown(theirs, 65534, 65534)
    theirs.chmod(0o666)  # world-writable: appending to it would hand them the trace
    for option in ("-o", "--save"):
        result = run("writes", option, str(theirs), "--", "true")
        assert result.returncode == 1 and "belongs to another user (uid 65534)" in result.stderr
    assert theirs.read_text() == "their notes\n" and os.stat(theirs).st_uid == 65534


def test_a_tracer_out_of_memory_is_reported_as_such_not_as_ctrl_c():
    code = ("import sys\nfrom spykit.tracer.loop import Tracer\n"
            "def no_memory(self): raise MemoryError()\n"
            "Tracer._run = no_memory\n"
            "from spykit.cli import main\nsys.exit(main(['trace', '--', 'sleep', '5']))\n")
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=spykit_env(),
                            timeout=60)
    assert time.monotonic() - start < 5  # the program was ended, not waited for
    assert result.returncode == 1, result.stderr
    assert "spykit: tracing stopped early: the tracer ran out of memory" in result.stderr
    assert "stopped early: ;" not in result.stderr and "Traceback" not in result.stderr


def test_exhausted_process_limit_is_a_clear_error(tmp_path):
    # root is exempt from RLIMIT_NPROC: run as nobody (setpriv) when we are root
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv is not installed")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
    code = ("import resource, sys\nresource.setrlimit(resource.RLIMIT_NPROC, (1, 1))\n"
            "from spykit.cli import main\nsys.exit(main(['trace', '--', 'true']))\n")
    result = subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True, text=True,
                            env=spykit_env(), timeout=60, cwd=tmp_path if os.geteuid() else "/")
    assert result.returncode == 1, result.stderr
    assert "the limit on processes and threads was reached" in result.stderr
    assert "Traceback" not in result.stderr and "interrupted" not in result.stderr


@pytest.mark.parametrize("args", [["time", "--", "true"], ["missing", "--", "true"], ["trace", "--", "true"]])
def test_a_reader_that_goes_away_ends_it_quietly(args):
    # spykit ... | head: the pipe's reading end is closed before spykit writes its answer
    stream = "stderr" if args[0] == "trace" else "stdout"  # trace writes the trace where strace does
    read, write = os.pipe()
    os.close(read)
    pipes = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, stream: write}
    if stream == "stdout":
        pipes["stderr"] = subprocess.PIPE
    process = subprocess.Popen([sys.executable, "-m", "spykit.cli", *args], env=spykit_env(), **pipes)
    os.close(write)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGPIPE
    assert not err, err
