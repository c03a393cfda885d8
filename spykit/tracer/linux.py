"""ptrace constants and raw calls that python-ptrace's binding does not have.

We call ``libc.ptrace`` through a ctypes handle on the C library the interpreter already has
loaded (``CDLL(None)``, with ``use_errno=True``), typed here. python-ptrace's own handle
(``ptrace.ctypes_libc``) is the same library, found with ``ctypes.util.find_library``, which
runs ``ldconfig -p`` and with python-ptrace's package costs ~15 ms of every start. The hot loop
calls these wrappers on every stop, so they raise plain ``OSError`` and leave translation to
friendlier errors to the callers at the boundary.

Constants are from include/uapi/linux/ptrace.h, seccomp.h and prctl.h.
"""

from __future__ import annotations

import ctypes
import os
import signal

libc = ctypes.CDLL(None, use_errno=True)
_ptrace = libc.ptrace
_ptrace.argtypes = (ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
_ptrace.restype = ctypes.c_long

PTRACE_PEEKDATA = 2
PTRACE_CONT = 7
PTRACE_DETACH = 17
PTRACE_SYSCALL = 24
PTRACE_SETOPTIONS = 0x4200
PTRACE_GETEVENTMSG = 0x4201
PTRACE_GETSIGINFO = 0x4202
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PTRACE_LISTEN = 0x4208
PTRACE_GET_SYSCALL_INFO = 0x420E

PTRACE_O_TRACESYSGOOD = 0x01
PTRACE_O_TRACEFORK = 0x02
PTRACE_O_TRACEVFORK = 0x04
PTRACE_O_TRACECLONE = 0x08
PTRACE_O_TRACEEXEC = 0x10
PTRACE_O_TRACEVFORKDONE = 0x20
PTRACE_O_TRACEEXIT = 0x40
PTRACE_O_TRACESECCOMP = 0x80
PTRACE_O_EXITKILL = 0x100000

PTRACE_EVENT_FORK = 1
PTRACE_EVENT_VFORK = 2
PTRACE_EVENT_CLONE = 3
PTRACE_EVENT_EXEC = 4
PTRACE_EVENT_VFORK_DONE = 5
PTRACE_EVENT_EXIT = 6
PTRACE_EVENT_SECCOMP = 7
PTRACE_EVENT_STOP = 128

# struct ptrace_syscall_info.op
SYSCALL_INFO_NONE = 0
SYSCALL_INFO_ENTRY = 1
SYSCALL_INFO_EXIT = 2
SYSCALL_INFO_SECCOMP = 3

WALL = 0x40000000  # __WALL: wait for threads (clone children) too
# __WNOTHREAD: only the calling thread's children and tracees, never another thread's children
# (see runner.py: the tracer runs in a thread of its own so it cannot reap a Popen of the caller).
WNOTHREAD = 0x20000000
WAIT_TRACEES = WALL | WNOTHREAD

# A syscall-stop reports SIGTRAP | 0x80 once PTRACE_O_TRACESYSGOOD is set.
SYSCALL_STOP_SIG = signal.SIGTRAP | 0x80

PR_SET_NO_NEW_PRIVS = 38
PR_SET_PTRACER = 0x59616D61  # "Yama"
SECCOMP_SET_MODE_FILTER = 1
SYS_SECCOMP = 317  # x86_64
AUDIT_ARCH_X86_64 = 0xC000003E


class SyscallInfo(ctypes.Structure):
    """struct ptrace_syscall_info (Linux 5.3+); the union flattened to its widest member."""

    _fields_ = (
        ("op", ctypes.c_uint8),
        ("pad", ctypes.c_uint8 * 3),
        ("arch", ctypes.c_uint32),
        ("instruction_pointer", ctypes.c_uint64),
        ("stack_pointer", ctypes.c_uint64),
        # entry and seccomp: nr, args[6] (seccomp adds ret_data); exit: rval (s64), is_error (u8)
        ("nr", ctypes.c_uint64),
        ("args", ctypes.c_uint64 * 6),
        ("ret_data", ctypes.c_uint32),
        ("pad2", ctypes.c_uint32),
    )


def ptrace(request: int, pid: int, addr: int = 0, data: int = 0) -> int:
    """Raw ptrace; raises OSError with the errno on failure (PEEK requests excepted)."""
    ctypes.set_errno(0)
    result = _ptrace(request, pid, addr, data)
    if result == -1:
        err = ctypes.get_errno()
        if err:
            raise OSError(err, f"ptrace({request:#x}, {pid}): {os.strerror(err)}")
    return result


_INFO_SIZE = ctypes.sizeof(SyscallInfo)


def get_syscall_info(pid: int, info: SyscallInfo) -> int:
    """Fill ``info`` for a stopped tracee; returns ``info.op``."""
    ptrace(PTRACE_GET_SYSCALL_INFO, pid, _INFO_SIZE, ctypes.addressof(info))
    return info.op


def get_event_msg(pid: int) -> int:
    value = ctypes.c_ulong()
    ptrace(PTRACE_GETEVENTMSG, pid, 0, ctypes.addressof(value))
    return value.value


class _SigchldFields(ctypes.Structure):
    # kill() and SIGCHLD both put the sender's pid and uid first
    _fields_ = (("pid", ctypes.c_int), ("uid", ctypes.c_uint), ("status", ctypes.c_int),
                ("utime", ctypes.c_long), ("stime", ctypes.c_long))


class _SigfaultFields(ctypes.Structure):
    _fields_ = (("_addr", ctypes.c_void_p),)


class _SigFields(ctypes.Union):
    # (aligned to 8: the union starts at byte 16 of the 128, as in the kernel's x86_64 layout)
    _fields_ = (("pad", ctypes.c_char * (128 - 3 * 4)), ("_sigchld", _SigchldFields), ("_sigfault", _SigfaultFields))


class siginfo(ctypes.Structure):  # noqa: N801 (the C name, as python-ptrace's binding calls it)
    """siginfo_t as PTRACE_GETSIGINFO fills it (include/uapi/asm-generic/siginfo.h), the parts strace shows."""

    _fields_ = (("si_signo", ctypes.c_int), ("si_errno", ctypes.c_int), ("si_code", ctypes.c_int),
                ("_sifields", _SigFields))
    _anonymous_ = ("_sifields",)


def get_siginfo(pid: int) -> siginfo | None:
    """The siginfo of a signal-delivery stop; None when the stop is a group-stop (EINVAL)."""
    info = siginfo()
    try:
        ptrace(PTRACE_GETSIGINFO, pid, 0, ctypes.addressof(info))
    except OSError:
        return None
    return info


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    libc.prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
    libc.prctl.restype = ctypes.c_int
    result = libc.prctl(option, arg2, arg3, arg4, arg5)
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return result

