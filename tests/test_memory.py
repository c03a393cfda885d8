"""Reading a tracee's memory (spykit.tracer.memory), on memory laid out by hand in this process.

process_vm_readv reads this process's own memory as it reads a tracee's, so the edge cases
(a string that runs into the next page, into an unmapped page, a page that cannot be read,
more strings than one call takes) are set up exactly, with mmap and mprotect.
"""

from __future__ import annotations

import ctypes
import mmap
import os

import pytest

from spykit.tracer.memory import _IOV_MAX, PAGE, MemoryReader

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)


@pytest.fixture
def pages():
    """Four pages: 0 and 1 readable, 2 PROT_NONE, 3 unmapped. Yields (base address, buffer)."""
    rw = mmap.PROT_READ | mmap.PROT_WRITE
    base = _libc.mmap(None, 4 * PAGE, rw, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    assert base not in (None, ctypes.c_void_p(-1).value)
    assert _libc.mprotect(base + 2 * PAGE, PAGE, 0) == 0  # PROT_NONE
    assert _libc.munmap(base + 3 * PAGE, PAGE) == 0
    yield base, (ctypes.c_char * (2 * PAGE)).from_address(base)
    _libc.munmap(base, 3 * PAGE)


def put(buf, offset: int, data: bytes) -> int:
    ctypes.memmove(ctypes.addressof(buf) + offset, data, len(data))
    return ctypes.addressof(buf) + offset


def layout(base: int, buf) -> tuple[list[int], list[bytes | None]]:
    """Addresses of strings of every kind, and what each should read as."""
    addrs, want = [], []

    def add(addr: int, expected: bytes | None) -> None:
        addrs.append(addr)
        want.append(expected)

    add(put(buf, 0, b"HOME=/home/wizard\0"), b"HOME=/home/wizard")
    add(put(buf, 100, b"\0"), b"")                                    # an empty string
    add(put(buf, 200, b"LANG=C.UTF-8\0"), b"LANG=C.UTF-8")
    add(put(buf, PAGE - 5, b"PATH=/usr/bin\0"), b"PATH=/usr/bin")     # runs into the next page
    add(put(buf, 2 * PAGE - 4, b"TAIL"), b"TAIL")                     # runs into the PROT_NONE page
    add(base + 2 * PAGE + 8, None)                                    # in the PROT_NONE page
    add(put(buf, 300, b"AFTER=the-bad-one\0"), b"AFTER=the-bad-one")  # after a piece that failed
    add(0, None)                                                      # NULL
    add(base + 3 * PAGE, None)                                        # unmapped
    add(put(buf, 400, b"LAST\0"), b"LAST")
    return addrs, want


def test_read_strings_reads_each_string_as_read_string_does(pages) -> None:
    base, buf = pages
    addrs, want = layout(base, buf)
    mem = MemoryReader()
    one_by_one = [mem.read_string(os.getpid(), addr, 131072) for addr in addrs]
    assert one_by_one == want
    assert mem.read_strings(os.getpid(), addrs, 131072) == want
    assert mem.use_vm_readv


def test_read_strings_keeps_the_cap(pages) -> None:
    base, buf = pages
    addrs = [put(buf, 0, b"A" * 50 + b"\0"), put(buf, PAGE - 3, b"BBBBBBBB\0"), put(buf, 500, b"CC\0")]
    mem = MemoryReader()
    assert mem.read_strings(os.getpid(), addrs, 6) == [b"AAAAAA", b"BBBBBB", b"CC"]
    assert mem.read_strings(os.getpid(), addrs, 6) == [mem.read_string(os.getpid(), a, 6) for a in addrs]


def test_read_strings_takes_more_strings_than_one_call_can(pages, monkeypatch) -> None:
    from spykit.tracer import memory

    base, buf = pages
    addrs = [put(buf, 16 * (k % 200), f"V{k % 200:04d}=x\0".encode()) for k in range(2 * _IOV_MAX + 7)]
    calls = []
    real = memory._process_vm_readv
    monkeypatch.setattr(memory, "_process_vm_readv", lambda *args: calls.append(args[4]) or real(*args))
    got = MemoryReader().read_strings(os.getpid(), addrs, 131072)
    assert got == [f"V{k % 200:04d}=x".encode() for k in range(2 * _IOV_MAX + 7)]
    assert calls == [_IOV_MAX, _IOV_MAX, 7]  # (remote pieces per call: the most one call takes)


def test_read_strings_without_process_vm_readv_goes_string_by_string(pages) -> None:
    # Where process_vm_readv is refused (a container's seccomp profile), strings are read word by
    # word with PTRACE_PEEKDATA, which needs a tracee: this process cannot trace itself, so only
    # the choice of path is checked here (the tracer's tests cover the fallback on real tracees).
    base, buf = pages
    mem = MemoryReader()
    mem.use_vm_readv = False
    seen = []
    mem.read_string = lambda pid, addr, cap: seen.append(addr) or b"x"  # type: ignore[method-assign]
    assert mem.read_strings(os.getpid(), [base, base + 8], 10) == [b"x", b"x"]
    assert seen == [base, base + 8]


def test_read_strings_reads_an_ordinary_environment_in_one_call(pages, monkeypatch) -> None:
    from spykit.tracer import memory

    base, buf = pages
    addrs = [put(buf, 64 * k, f"VARIABLE_{k}=value-{k}\0".encode()) for k in range(40)]
    calls = []
    real = memory._process_vm_readv
    monkeypatch.setattr(memory, "_process_vm_readv", lambda *args: calls.append(args) or real(*args))
    got = MemoryReader().read_strings(os.getpid(), addrs, 131072)
    assert got == [f"VARIABLE_{k}=value-{k}".encode() for k in range(40)]
    assert len(calls) == 1
