"""Compare spykit.read_strace of real strace logs with spykit's own live trace of the same program.

Used by tests/test_strace_log.py; run directly for a table: ``python tests/strace_agreement.py``.
Both runs start in fresh, empty working directories; what legitimately differs between two runs
(pids, addresses, ports, the working directory) is left out of the comparison: per process, the
calls strace printed are compared as (syscall, path, result, error, flags in words, socket
address), where the result is compared for calls whose result does not depend on the run (fd
numbers, byte counts, 0/-1).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from spykit.questions import is_socket_target  # noqa: E402

# Results that are the same in every run of the same program.
STABLE_RESULT = frozenset("""
open openat creat read write pread64 pwrite64 readv writev close access faccessat faccessat2 stat lstat fstat
newfstatat statx lseek dup dup2 dup3 pipe pipe2 socket socketpair connect bind listen unlink unlinkat mkdir
mkdirat rmdir rename renameat2 chdir fchdir fcntl getdents64 execve fsync fdatasync sendto recvfrom shutdown
rt_sigaction rt_sigprocmask kill exit_group
""".split())
# made or not depending on how threads met, or on when a signal arrived (the kernel then restarts them)
SCHEDULING = frozenset({"futex", "sched_yield"})
RESTARTS = frozenset({"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ERESTART_RESTARTBLOCK"})

# Every differential program (C), and two of the fault programs, but net_netlink: it opens an
# AF_PACKET socket, which strace -yy shows as socket:[inode] and spykit, knowing more, as PACKET:[...].
PROGRAMS = {p.stem: f"differential/programs/{p.name}" for p in sorted((HERE / "differential" / "programs").glob("*.c"))
            if p.stem != "net_netlink"}
PROGRAMS.update({"pipes": "programs/faults/pipes.c", "signals": "programs/faults/signals.c"})
# strace options, and what part of a full trace they show
COMBINATIONS: dict[str, tuple[list[str], str | None]] = {
    "-f": (["-f"], None),
    "-f -t": (["-f", "-t"], None),
    "-f -tt -T": (["-f", "-tt", "-T"], None),
    "-f -ttt -y": (["-f", "-ttt", "-y"], None),
    "-f -r -yy -s 100": (["-f", "-r", "-yy", "-s", "100"], None),
    "-ff -tt": (["-ff", "-tt"], None),
    "-f -e trace=%file,%desc": (["-f", "-e", "trace=%file,%desc"], "selection"),
    "-f -Z": (["-f", "-Z"], "failed"),
    "-f -z": (["-f", "-z"], "succeeded"),
    "-f -x -T": (["-f", "-x", "-T"], None),
}


def build(name: str, out: Path) -> list[str]:
    src = HERE / PROGRAMS[name]
    exe = out / name
    if not exe.exists():
        subprocess.run(["gcc", "-O0", "-w", "-o", str(exe), str(src), "-lpthread"], check=True, capture_output=True)
    return [str(exe)]


def strace_run(cmd: list[str], options: list[str], workdir: Path, log: Path) -> Path:
    # the program's output goes to files, as spykit.trace(capture_output=True) sends it
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        subprocess.run(["strace", "-qq", *options, "-o", str(log), *cmd], cwd=workdir, stdin=subprocess.DEVNULL,
                       stdout=out, stderr=err, timeout=60)
    return log


def _target(path: str, detailed: bool) -> str:
    """A path comparable between two runs: inode numbers, ports and deleted files' names differ."""
    path = re.sub(r"#\d+ \(deleted\)", "#N (deleted)", path)
    if is_socket_target(path):
        # -y prints socket:[inode] where spykit, like -yy, names the protocol; the ends it shows
        # depend on when the target was read (strace: at entry; spykit: after connect and accept)
        return path.split(":[", 1)[0] if detailed else "socket"
    return re.sub(r"^(pipe|anon_inode):\[\d+\]", r"\1:[N]", path)


def keys(df, workdir: str, fd_targets: bool, detailed: bool = False, merged: bool = False) -> dict[int, Counter]:
    """Per process (in order of first appearance): the calls as comparable keys.

    Without -y strace prints no fd's target, so only paths named by the call are compared; the
    standard streams' targets are the test runner's, not the program's. A path the call names but
    its text shows as a pointer is not in a log: strace prints an x32 call's pointer above 4 GiB
    in hex (x32 pointers are 32 bits; it reads no memory there) where spykit's ``path`` still says
    what the kernel would open, and the texts themselves agree.
    """
    import pandas as pd

    from spykit.syscalls.captures import PATH_ARG

    out: dict[int, Counter] = {}
    order = [None] if merged else list(dict.fromkeys(df["tgid"].tolist()))
    for tgid in order:
        rows = df if merged else df[df["tgid"] == tgid]
        counter: Counter = Counter()
        for name, path, ret, error, fd, unfinished, flags, addr, text in zip(
                rows["syscall"].astype(str), rows["path"], rows["ret"], rows["error"], rows["fd"], rows["unfinished"],
                rows["flags"].astype(object), rows["addr"].astype(object), rows["args"], strict=True):
            if pd.isna(ret) and pd.isna(error) and not unfinished:
                ret = error = "?"  # it returned, but the log does not say what (-z, -Z)
            if name not in PATH_ARG and (not fd_targets or (not pd.isna(fd) and 0 <= fd <= 2)):
                path = None
            elif name in PATH_ARG and pd.isna(fd) and not pd.isna(text) and '"' not in text:
                path = None
            error = None if pd.isna(error) else str(error)
            if name in SCHEDULING or error in RESTARTS:
                continue
            path = None if pd.isna(path) else _target(str(path).replace(workdir, "WORKDIR"), detailed)
            value = "?" if isinstance(ret, str) else None if pd.isna(ret) or name not in STABLE_RESULT else int(ret)
            # the port the kernel picks differs from run to run
            addr = None if pd.isna(addr) else re.sub(r":\d+$", ":PORT", str(addr))
            counter[(name, path, value, error, None if pd.isna(flags) else str(flags), addr)] += 1
        out[len(out)] = counter
    return out


def compare(a: dict[int, Counter], b: dict[int, Counter]) -> tuple[int, int, list]:
    """(calls in a, of them also in b, the differences) with processes paired by order of appearance."""
    total = agreed = 0
    differences = []
    for k, calls in a.items():
        other = b.get(k, Counter())
        total += sum(calls.values())
        same = calls & other
        missing, extra = calls - other, other - calls
        # a call whose result the log does not show (its second half was not printed) agrees with
        # the same call and path whatever its result
        for key in list(missing.elements()):
            if key[2] == "?":
                twin = next((k for k in extra if k[0] == key[0] and k[1] == key[1]), None)
                if twin is not None:
                    extra[twin] -= 1
                    extra = +extra
                    missing[key] -= 1
                    same[key] += 1
        missing = +missing
        agreed += sum(same.values())
        if missing or extra:
            differences.append((k, dict(missing), dict(extra)))
    return total, agreed, differences


def agreement(name: str, combination: str, base: Path) -> tuple[int, int, list]:
    import spykit

    options, part = COMBINATIONS[combination]
    cmd = build(name, base)
    a_dir, b_dir = Path(tempfile.mkdtemp(dir=base)), Path(tempfile.mkdtemp(dir=base))
    os.chmod(a_dir, 0o777)
    os.chmod(b_dir, 0o777)
    if "-ff" in options:
        logs = Path(tempfile.mkdtemp(dir=base))
        strace_run(cmd, options, a_dir, logs / "run")
        from_log = spykit.read_strace(logs / "run")
    else:
        from_log = spykit.read_strace(strace_run(cmd, options, a_dir, base / f"{name}.log"))
    live = spykit.trace(cmd, cwd=str(b_dir), capture_output=True, stdin=subprocess.DEVNULL)
    df = live.df
    if part == "failed":
        df = df[df["error"].notna()]
    elif part == "succeeded":
        df = df[df["error"].isna() & ~df["unfinished"]]
    elif part == "selection":
        df = df[df["syscall"].astype(str).isin(set(from_log.df["syscall"].astype(str)))]
    shutil.rmtree(a_dir, ignore_errors=True)
    shutil.rmtree(b_dir, ignore_errors=True)
    fd_targets = any(o in options for o in ("-y", "-yy"))
    detailed = "-yy" in options
    # a selection without clone leaves threads and processes apart: compare the program as a whole
    merged = part == "selection"
    return compare(keys(from_log.df, str(a_dir), fd_targets, detailed, merged),
                   keys(df, str(b_dir), fd_targets, detailed, merged))


if __name__ == "__main__":
    base = Path(tempfile.mkdtemp())
    names = sys.argv[1:] or list(PROGRAMS)
    for combination in COMBINATIONS:
        total = agreed = 0
        for name in names:
            t, a, diff = agreement(name, combination, base)
            total += t
            agreed += a
            if diff:
                print(f"  {name} {combination}: {diff[:2]}")
        print(f"{combination:28} {agreed}/{total}")


DATA_PROGRAMS = ["desc_rw", "desc_iov", "buffers", "long_strings", "net_tcp", "net_unix", "net_udp6", "non_utf8",
                 "pipes"]
DATA_CALLS = ["read", "write", "pread64", "pwrite64", "readv", "writev", "sendmsg", "recvmsg", "sendto", "recvfrom"]


def data_agreement(name: str, options: list[str], base: Path) -> tuple[int, list]:
    """(data calls in the log, those whose bytes are not the start of the live trace's bytes).

    Per process, the n-th data call of the log is paired with the n-th of the live trace: the
    bytes strace printed (cut at -s, in any -x form) must begin what spykit kept.
    """
    import spykit

    cmd = build(name, base)
    log_dir, live_dir = Path(tempfile.mkdtemp(dir=base)), Path(tempfile.mkdtemp(dir=base))
    from_log = spykit.read_strace(strace_run(cmd, options, log_dir, base / f"{name}.data.log"))
    live = spykit.trace(cmd, cwd=str(live_dir), capture_output=True, stdin=subprocess.DEVNULL)

    def per_process(df) -> list[list[tuple[str, object]]]:
        rows = df[df["syscall"].astype(str).isin(DATA_CALLS)]
        return [list(zip(rows.loc[rows["tgid"] == t, "syscall"].astype(str), rows.loc[rows["tgid"] == t, "data"],
                         strict=True)) for t in dict.fromkeys(rows["tgid"].tolist())]

    total, wrong = 0, []
    for mine, theirs in zip(per_process(from_log.df), per_process(live.df), strict=False):
        for k, (call, data) in enumerate(mine):
            total += 1
            other = theirs[k] if k < len(theirs) else (None, None)
            if data is None:
                agrees = other[0] == call and other[1] is None
            else:
                agrees = other[0] == call and isinstance(other[1], bytes) and other[1].startswith(data)
            if not agrees:
                wrong.append((call, data, other))
    return total, wrong
