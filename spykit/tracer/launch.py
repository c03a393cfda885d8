"""Starting a program so that it can be traced from its very first instruction.

The child stops itself with SIGSTOP before execve; the tracer then attaches with PTRACE_SEIZE
(which, unlike PTRACE_TRACEME, lets us tell group-stops apart and use PTRACE_LISTEN) and
continues it. This is how strace starts programs too.

Everything that can go wrong with the command (empty, not found, not executable, a bad
environment) is checked in the parent first by :func:`spykit.launch.prepare`, so the learner
gets a clear error and nothing is traced; this module only starts what was prepared.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Mapping

from ..errors import SpykitError
from ..launch import exec_failure
from . import native
from .linux import PR_SET_NO_NEW_PRIVS, SECCOMP_SET_MODE_FILTER, SYS_SECCOMP, libc
from .seccomp import PreparedFilter

# The optional C launcher (built at install when a compiler is there): the same steps without
# fork's copy of the whole Python process. The fork below stays the reference.
_fastspawn = native.load("_fastspawn")


_prctl = libc.prctl
_syscall = libc.syscall


def spawn_stopped(path: str, argv: list[str], env: Mapping[str, str] | None, *, cwd: str | None = None,
                  stdin: int | None = None, stdout: int | None = None, stderr: int | None = None,
                  cpus: set[int] | None = None, seccomp: PreparedFilter | None = None) -> tuple[int, int, object]:
    """Start a child that stops itself, then execs ``path``. Returns (pid, errpipe read end, keep):
    ``keep`` must be kept until the program has exec'd or been reaped (the C launcher's memory).

    If execve fails, the child writes its errno to the pipe and exits 127; see ``exec_error``.
    """
    # (what execve would refuse, a bad name or a null byte, was refused by spykit.launch.prepare)
    env_list = dict(os.environ if env is None else env)
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    prog_addr = ctypes.addressof(seccomp.prog) if seccomp else 0
    if _fastspawn is not None and (cpus is None or len(cpus) == 1):
        try:
            child = _fastspawn.spawn_stopped(
                os.fsencode(path), [os.fsencode(a) for a in argv],
                [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env_list.items()],
                tuple(-1 if fd is None else fd for fd in (stdin, stdout, stderr)), write_end,
                None if cwd is None else os.fsencode(cwd), min(cpus) if cpus else -1, prog_addr,
                min(os.sysconf("SC_OPEN_MAX"), 1 << 20))  # (closed one by one only without close_range)
        except BaseException:
            os.close(read_end)
            os.close(write_end)
            raise
        os.close(write_end)
        return child.pid, read_end, child
    pid = os.fork()
    if pid == 0:  # the child: system calls only, nothing that can deadlock after fork
        try:
            os.close(read_end)
            for fd, target in ((0, stdin), (1, stdout), (2, stderr)):
                if target is not None and target != fd:
                    os.dup2(target, fd)
            # Like subprocess: the program gets stdin, stdout and stderr, not the caller's other fds
            # (a Jupyter kernel has dozens of sockets open).
            os.closerange(3, write_end)
            os.closerange(write_end + 1, 1 << 20)
            if cwd is not None:
                os.chdir(cwd)
            # Python ignores SIGPIPE; ignored signals survive execve, so restore the default.
            for sig in (signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(sig, signal.SIG_DFL)
            if cpus:
                os.sched_setaffinity(0, cpus)
            # Stop first, so the tracer is attached before the filter exists: a call the filter
            # selects (kill, say) made with no tracer attached would fail with ENOSYS.
            os.kill(os.getpid(), signal.SIGSTOP)
            if seccomp is not None:
                if _prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                    raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
                if _syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, 0, ctypes.c_void_p(prog_addr)) != 0:
                    raise OSError(ctypes.get_errno(), "seccomp")
            os.execve(path, argv, env_list)
        except OSError as exc:
            try:
                os.write(write_end, str(exc.errno or 0).encode())
            finally:
                os._exit(127)
        except BaseException:
            os._exit(127)
        os._exit(127)
    os.close(write_end)
    return pid, read_end, None


def exec_error(read_end: int, path: str) -> SpykitError | None:
    """Read the child's errno after execve (or its exit): an error to raise, or None if exec worked."""
    try:
        data = os.read(read_end, 64)
    except OSError:
        data = b""
    finally:
        os.close(read_end)
    if not data:
        return None
    return exec_failure(int(data), path)
