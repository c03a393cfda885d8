"""Render a system call's arguments exactly as strace 6 prints them, from numbers and captured bytes.

The tracer records six raw argument numbers per call plus the memory the Captures in
``spykit.syscalls.captures`` asked for (``blobs``); when the DataFrame is built it calls
:func:`render_args` for the ``args`` column and :func:`short_address` for the ``addr`` column.
Decoders live by family (files, desc, network, process, memory, signals, time, misc); calls
without one get strace's generic rendering. Nothing here raises on garbage: an unreadable or
odd argument is shown as strace shows it, as an address or a number.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from ..abi import I386, PORTABLE_DECODERS, X32
from ..i386 import I386_SYSCALLS
from ..ptrace_data import ptrace_module
from . import desc, files, kernel, memory, misc, network, paths, process, signals, time
from .common import Call, Decoder, Unfinished, hexaddr, signed32, signed64
from .network import short_address
from .notes import result_note

SYSCALL_PROTOTYPES = ptrace_module("ptrace.syscall.prototypes").SYSCALL_PROTOTYPES

DECODERS: dict[str, Decoder] = {}
for _family in (files, paths, desc, network, process, memory, signals, time, misc, kernel):
    DECODERS.update(_family.DECODERS)

__all__ = ["DECODERS", "render_args", "result_note", "short_address"]

_NO_ARGS = {"fork", "vfork", "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid",
            "sync", "pause", "setsid", "getpgrp", "sched_yield", "munlockall", "inotify_init", "vhangup",
            "rt_sigreturn", "restart_syscall"}


def _generic_arg(kind: str, value: int) -> str:
    if "*" in kind or kind in ("caddr_t", "void *", "cap_user_header_t", "cap_user_data_t"):
        return hexaddr(value)
    if kind in ("size_t", "loff_t", "off_t", "ssize_t"):  # lengths and offsets read best in decimal
        return str(signed64(value)) if kind != "size_t" else str(value)
    if kind.startswith("unsigned") or kind in ("u32", "u64", "umode_t", "__u64", "key_serial_t"):
        return str(value) if value < 0x10000 else f"{value:#x}"
    number = signed32(value) if kind in ("int", "pid_t", "uid_t", "gid_t", "clockid_t", "timer_t") else signed64(value)
    return str(number) if -0x10000 < number < 0x10000 else f"{value & ((1 << 64) - 1):#x}"


def _hex_args(args: tuple[int, ...], count: int) -> list[str]:
    """strace's printargs: each argument in hex, 0 as ``0``."""
    return [f"{value & ((1 << 64) - 1):#x}" if value else "0" for value in args[:count]]


@functools.cache
def _foreign_arg_count(abi: int, name: str) -> int:
    """How many arguments strace shows for a call of the i386 or x32 table."""
    if abi == I386:
        counts = {entry_name: nargs for _nr, (nargs, entry_name) in sorted(I386_SYSCALLS.items())}
        return counts.get(name, 6)
    proto = SYSCALL_PROTOTYPES.get(name)
    return len(proto[1]) if proto else 6


def generic(call: Call):
    """strace's rendering of a call it has no decoder for: pointers in hex, small numbers in decimal."""
    if call.name in _NO_ARGS:
        return
    proto = SYSCALL_PROTOTYPES.get(call.name)
    if proto is None:
        for value in call.args:
            yield f"{value:#x}" if value else "0"
        return
    for k, (kind, _name) in enumerate(proto[1]):
        yield _generic_arg(kind, call.args[k])


def render_args(name: str, args: tuple[int, ...], ret: int | None, errno: int | None,
                blobs: Mapping[int, bytes | None], *, string_limit: int = 32, fd_path: str | None = None,
                decode_fds: bool = False, abi: int = 0) -> str:
    """What strace prints between the parentheses of ``name(...)``.

    ``ret`` is the value the program saw (-1 on error, None when the call never returned);
    ``errno`` the error number or None; ``blobs`` the captured memory by ``blob_key``. With
    ``decode_fds`` the call's main fd is shown like ``strace -y`` does, using ``fd_path``.
    An unfinished call renders up to its first output argument, ending in ``", "``. ``abi`` is the
    call's table (``spykit.syscalls.abi``): an i386 or x32 call whose arguments include a structure
    shows them in hex, as strace shows a call it has no decoder for.
    """
    if abi and name not in PORTABLE_DECODERS:
        return ", ".join(_hex_args(args, _foreign_arg_count(abi, name)))
    if abi == X32:  # strace reads an x32 program's memory through 32-bit pointers only
        blobs = {key: blob for key, blob in blobs.items() if args[key % 8] <= 0xFFFFFFFF}
    call = Call(name, args, ret, errno, blobs, string_limit, fd_path, decode_fds)
    decoder = DECODERS.get(name, generic)
    parts: list[str] = []
    try:
        for part in decoder(call):
            parts.append(part)
    except Unfinished:
        return ", ".join(parts) + ", " if parts else ""
    except Exception:  # a decoder must never break a trace: fall back to the raw numbers
        return ", ".join(generic(call))
    return ", ".join(parts)
