"""Run small programs under strace and under spykit, and compare the lines they print.

Each program in ``programs/`` (C compiled here with gcc, i386 assembly with ``as --32`` and
``ld -m elf_i386``, Python run with this interpreter, shell scripts run with /bin/sh) runs twice
in fresh, empty working directories with the same environment: once under
``strace -f -qq -o FILE`` and once under ``spykit.trace``. Both outputs become per-thread lists
of ``name(args) = result`` lines; what legitimately differs between two runs (thread ids,
addresses, ports, time left, random bytes, the working directory) is normalised away; the
per-thread lists are then matched line by line.

Run it directly for a report: ``python tests/differential/harness.py [-v] [program ...]``.
"""

from __future__ import annotations

import concurrent.futures
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
sys.path.insert(0, str(HERE.parents[1]))

# The calls issue 3 lists: for these every line must agree.
LISTED = frozenset("""
open openat openat2 creat stat lstat fstat newfstatat statx access faccessat faccessat2 read write pread64
pwrite64 readv writev close close_range lseek execve execveat fork vfork clone clone3 wait4 exit exit_group
socket connect bind listen accept accept4 sendto recvfrom sendmsg recvmsg shutdown getsockopt setsockopt
socketpair getdents64 chdir getcwd mkdir mkdirat rmdir unlink unlinkat rename renameat2 chmod fchmodat chown
readlink readlinkat pipe pipe2 dup dup2 dup3 fcntl ioctl mmap mprotect munmap brk rt_sigaction
rt_sigprocmask kill tgkill nanosleep clock_nanosleep poll ppoll select pselect6 epoll_wait epoll_pwait
fsync fdatasync sync_file_range futex
""".split())

_LINE = re.compile(r"^(\d+)\s+(.*)$")
_UNFINISHED = " <unfinished ...>"
_RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
_RESULT = re.compile(r"\)\s+= ")


# Calls a program makes or not depending on how its threads were scheduled (a lock that was free
# in one run and taken in the other): an unmatched one is not counted either way.
_SCHEDULING_DEPENDENT = frozenset({"futex"})
# Calls whose result is a count of bytes, never a thread id
_BYTE_COUNTS = frozenset({"read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev",
                          "preadv2", "pwritev2", "sendto", "recvfrom", "sendmsg", "recvmsg", "readlink",
                          "readlinkat", "getdents64", "getrandom"})
_C_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# Calls whose numbers are addresses, lengths and protections, never a thread id (an mprotect of
# 8192 bytes met a thread 8192 once)
_NO_THREAD_IDS = frozenset({"mmap", "munmap", "mprotect", "pkey_mprotect", "madvise", "mremap", "brk", "msync",
                            "mlock", "munlock", "lseek", "ftruncate", "truncate", "fallocate", "fadvise64"})
# Fields that hold sizes, limits and times, never a thread id (a stack limit of 8192*1024 once
# read as TID*1024 would have, with a thread 8192 or 1024)
_SIZE_BEFORE = re.compile(r"(?:\b(?:st_size|stx_size|st_blksize|stx_blksize|st_blocks|stx_blocks|ss_size|f_bsize|"
                          r"f_frsize|rlim_cur|rlim_max|tv_sec|tv_nsec|tv_usec)=|\*)\Z")
# A call a signal interrupted before it did anything, which the kernel then restarts by itself
# (`= ? ERESTARTNOINTR (To be restarted)`): it appears only when a signal (often SIGCHLD from a
# child of the same shell pipeline) happened to arrive during the call in that run.
_RESTARTED = re.compile(r"= \? ERESTART\w+ \(To be restarted")


@dataclass
class Outcome:
    """One program's comparison."""

    program: str
    total: int = 0  # strace lines
    matched: int = 0
    listed_total: int = 0
    listed_matched: int = 0
    mismatches: list[tuple[str, str]] = field(default_factory=list)  # (strace line, closest spykit line)
    error: str | None = None


def compile_programs(out_dir: Path) -> dict[str, list[str]]:
    """Build every C program (in parallel) and return the command for every program."""
    commands: dict[str, list[str]] = {}
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for src in sorted(PROGRAMS.iterdir()):
            if src.suffix == ".c":
                exe = out_dir / src.stem
                jobs[src.stem] = pool.submit(
                    subprocess.run, ["gcc", "-O0", "-w", "-o", str(exe), str(src), "-lpthread"],
                    capture_output=True, text=True)
                commands[src.stem] = [str(exe)]
            elif src.suffix == ".py":
                commands[src.stem] = [sys.executable, "-S", "-E", str(src)]
            elif src.suffix == ".sh":
                commands[src.stem] = ["/bin/sh", str(src)]
            elif src.suffix == ".s":  # a 32-bit program: i386 calls from the first to the last
                exe, obj = out_dir / src.stem, out_dir / f"{src.stem}.o"
                jobs[src.stem] = pool.submit(
                    subprocess.run, f"as --32 -o {obj} {src} && ld -m elf_i386 -o {exe} {obj}",
                    shell=True, capture_output=True, text=True)
                commands[src.stem] = [str(exe)]
        for name, job in jobs.items():
            result = job.result()
            if result.returncode != 0:
                raise RuntimeError(f"building {name} failed: {result.stderr}")
    return commands


def strace_lines(path: Path) -> dict[int, list[str]]:
    """strace -f output as lines per thread, unfinished and resumed halves joined back."""
    per_tid: dict[int, list[str]] = defaultdict(list)
    pending: dict[int, str] = {}
    for raw in path.read_text(errors="surrogateescape").splitlines():
        m = _LINE.match(raw)
        if not m:
            continue
        tid, text = int(m.group(1)), m.group(2)
        if text.startswith(("---", "+++")):
            continue
        if text.endswith(_UNFINISHED):
            pending[tid] = text[: -len(_UNFINISHED)]
            continue
        resumed = _RESUMED.match(text)
        if resumed:
            head = pending.pop(tid, None)
            if head is None:
                continue
            text = head + resumed.group(2)
        per_tid[tid].append(text)
    for tid, head in pending.items():  # calls that never returned (exit, a killed process)
        per_tid[tid].append(head + ") = ?")
    return per_tid


def spykit_lines(trace) -> dict[int, list[str]]:
    from spykit.syscalls.results import format_result

    per_tid: dict[int, list[str]] = defaultdict(list)
    df = trace.df
    for tid, name, args, ret, error, note in zip(df["pid"], df["syscall"], df["args"], df["ret"], df["error"],
                                                 df["note"], strict=True):
        result = format_result(str(name), None if ret is None or ret is __import__("pandas").NA else ret,
                               error if isinstance(error, str) else None, args, note)
        per_tid[int(tid)].append(f"{name}({args}) = {result}")
    return per_tid


def normaliser(tids: set[int], workdir: str):
    """A function making one run's line comparable with another run's."""
    tid_pattern = re.compile(r"\b(" + "|".join(str(t) for t in sorted(tids, reverse=True)) + r")\b") if tids else None

    def normalise(line: str) -> str:
        line = _RESULT.sub(") = ", line)
        line = line.replace(workdir, "WORKDIR")
        if tid_pattern is not None:
            # a number equal to a thread id of the run is a thread id, except where the line holds
            # a size: a file's st_size, or the count a read or write was given or returned
            # (/etc/passwd's 1221 bytes met a thread 1221 once, and a 376-byte write a thread 376)
            head, sep, result = line.rpartition(") = ")
            if not sep:
                head, result = line, ""
            name = head.split("(", 1)[0]
            if name in _BYTE_COUNTS:
                # a read or write's numbers are an fd and byte counts; only the data it moved (a
                # pid file, /proc/self/status) may hold a thread id
                head = _C_STRING.sub(lambda s: tid_pattern.sub("TID", s.group(0)), head)
            elif name not in _NO_THREAD_IDS:
                head = tid_pattern.sub(lambda m: m.group(0) if _SIZE_BEFORE.search(head, 0, m.start()) else "TID",
                                       head)
                result = tid_pattern.sub("TID", result)
            line = head + sep + result
        line = re.sub(r"0x[0-9a-f]{5,}", "ADDR", line)
        line = re.sub(r"htons\((\d{4,5})\)", "htons(PORT)", line)
        line = re.sub(r"(tv_u?sec|tv_nsec)=\d+", r"\1=N", line) if "ru_utime" in line or "left" in line \
            or line.startswith(("clock_gettime", "sysinfo")) else line
        line = re.sub(r"^getppid\(\) = \d+", "getppid() = PPID", line)  # strace's pid, or ours
        if line.startswith(("statfs(", "fstatfs(")):  # a disk's free blocks and inodes change between runs
            line = re.sub(r"(f_bfree|f_bavail|f_ffree)=\d+", r"\1=N", line)
        if line.startswith("sysinfo("):  # the machine's state at that moment: uptime, free memory, load
            line = re.sub(r"(uptime|freeram|sharedram|bufferram|freeswap|procs)=\d+", r"\1=N", line)
            line = re.sub(r"loads=\[\d+, \d+, \d+\]", "loads=[N]", line)
        if line.startswith("getrandom("):
            line = re.sub(r'^getrandom\("[^"]*"(\.\.\.)?', 'getrandom("RANDOM"', line)
        line = re.sub(r"st_size=\d+", "st_size=N", line) if "/proc/" in line else line
        # clone3's parent_tid as strace 6.1 shows it varies from run to run: the new thread's id, or
        # [0] (seen once on a loaded machine); which, is not a question of decoding
        line = re.sub(r"parent_tid=\[(?:0|TID)\]", "parent_tid=[TID]", line) if line.startswith("clone3(") else line
        return line

    return normalise


INTERRUPTED = "(the result of the call before)"


def interrupted_results(lines: list[str]) -> list[str]:
    """One thread's lines, with a signal handler's return shown as the call it interrupted.

    rt_sigreturn's result is what the interrupted code had in its return register: when the signal
    came at a call's exit, that call's result. Where an asynchronous signal lands differs from run
    to run (sh_pipeline's SIGCHLD came after close(3), clone or close(-1) under strace, and after
    wait4 under spykit), so a result equal to the call before is compared as that; any other value
    (a decoding gone wrong) is still compared as it is."""
    out = list(lines)
    for k in range(1, len(out)):
        if out[k].startswith(("rt_sigreturn(", "sigreturn(")):
            head, sep, result = out[k].rpartition(") = ")
            before = lines[k - 1].rpartition(") = ")
            if sep and before[1] and result == before[2]:
                out[k] = head + sep + INTERRUPTED
    return out


def compare(program: str, strace_out: dict[int, list[str]], spy_out: dict[int, list[str]],
            strace_dir: str, spy_dir: str) -> Outcome:
    outcome = Outcome(program)
    norm_a = normaliser(set(strace_out), strace_dir)
    norm_b = normaliser(set(spy_out), spy_dir)
    seq_a = {tid: interrupted_results([norm_a(x) for x in lines]) for tid, lines in strace_out.items()}
    seq_b = {tid: interrupted_results([norm_b(x) for x in lines]) for tid, lines in spy_out.items()}
    unpaired = dict(seq_b)
    for lines in seq_a.values():
        # Pair each strace thread with the spykit thread whose lines agree most (ids differ per run).
        best, best_score, best_blocks = None, -1, []
        for other, candidate in unpaired.items():
            matcher = difflib.SequenceMatcher(None, lines, candidate, autojunk=False)
            blocks = matcher.get_matching_blocks()
            score = sum(b.size for b in blocks)
            if score > best_score:
                best, best_score, best_blocks = other, score, blocks
        agreed = set()
        used = set()
        for block in best_blocks:
            agreed.update(range(block.a, block.a + block.size))
            used.update(range(block.b, block.b + block.size))
        candidate = unpaired.pop(best) if best is not None else []
        # SequenceMatcher can leave a line unpaired next to an extra line of the other run when
        # identical lines repeat (a run of mmap calls); such a line still has its twin among the
        # other run's unpaired lines, and then it agrees: the decoding is what is compared here.
        spare = Counter(line for k, line in enumerate(candidate) if k not in used)
        for k, line in enumerate(lines):
            if k not in agreed and spare[line] > 0:
                spare[line] -= 1
                agreed.add(k)
        for k, line in enumerate(lines):
            name = line.split("(", 1)[0]
            if k not in agreed and (name in _SCHEDULING_DEPENDENT or _RESTARTED.search(line)):
                continue  # made only when threads happened to contend in this run: not a decoding question
            outcome.total += 1
            listed = name in LISTED
            outcome.listed_total += listed
            if k in agreed:
                outcome.matched += 1
                outcome.listed_matched += listed
            else:
                close = difflib.get_close_matches(line, candidate, n=1, cutoff=0.5)
                outcome.mismatches.append((line, close[0] if close else "(none)"))
    return outcome


def run_program(name: str, command: list[str], env: dict[str, str], scratch: Path) -> Outcome:
    import spykit

    strace_dir = scratch / f"{name}.a"
    spy_dir = scratch / f"{name}.b"
    strace_dir.mkdir()
    spy_dir.mkdir()
    out = scratch / f"{name}.strace"
    try:
        # The same standard streams as spykit gives a program with capture_output: /dev/null in, files out.
        # (mode 0600, like the private temporary files spykit captures into: fstat shows the mode)
        private = lambda path: os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # noqa: E731
        with open(private(scratch / f"{name}.stdout"), "wb") as stdout, \
                open(private(scratch / f"{name}.stderr"), "wb") as stderr:
            subprocess.run(["strace", "-f", "-qq", "-o", str(out), *command], cwd=strace_dir, env=env,
                           stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, timeout=20, check=False)
        trace = spykit.trace(command, cwd=str(spy_dir), env=env, capture_output=True, timeout=20,
                             stdin=subprocess.DEVNULL)
    except Exception as exc:  # report, keep going with the other programs
        return Outcome(name, error=f"{type(exc).__name__}: {exc}")
    return compare(name, strace_lines(out), spykit_lines(trace), str(strace_dir), str(spy_dir))


def run_all(only: list[str] | None = None) -> list[Outcome]:
    scratch = Path(tempfile.mkdtemp(prefix="spykit-diff-"))
    try:
        os.chmod(scratch, 0o700)
        commands = compile_programs(scratch)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C", "HOME": str(scratch)}
        names = [n for n in commands if not only or n in only]
        return [run_program(n, commands[n], env, scratch) for n in names]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def summary(outcomes: list[Outcome]) -> tuple[float, float, str]:
    total = sum(o.total for o in outcomes)
    matched = sum(o.matched for o in outcomes)
    listed_total = sum(o.listed_total for o in outcomes)
    listed_matched = sum(o.listed_matched for o in outcomes)
    all_pct = 100.0 * matched / total if total else 0.0
    listed_pct = 100.0 * listed_matched / listed_total if listed_total else 0.0
    lines = [f"{o.program:16} {o.matched:4}/{o.total:<4} lines agree" + (f"  ERROR {o.error}" if o.error else "")
             for o in outcomes]
    lines.append(f"all lines: {matched}/{total} = {all_pct:.1f}%; listed calls: {listed_matched}/{listed_total} "
                 f"= {listed_pct:.1f}%")
    return all_pct, listed_pct, "\n".join(lines)


def mismatch_report(outcomes: list[Outcome], limit: int = 200) -> str:
    out = []
    by_call: Counter[str] = Counter()
    for o in outcomes:
        for a, b in o.mismatches:
            by_call[a.split("(", 1)[0]] += 1
            if len(out) < limit:
                out.append(f"[{o.program}]\n  strace: {a}\n  spykit: {b}")
    out.append("mismatches by call: " + ", ".join(f"{k}={v}" for k, v in by_call.most_common()))
    return "\n".join(out)


if __name__ == "__main__":
    verbose = "-v" in sys.argv
    picked = [a for a in sys.argv[1:] if not a.startswith("-")]
    results = run_all(picked or None)
    print(summary(results)[2])
    if verbose:
        print(mismatch_report(results))
