"""Memory: mmap protections and flags, madvise advice."""

from __future__ import annotations

import mmap

from . import Flags, Values, pick

# include/uapi/asm-generic/mman-common.h
PROT_FLAGS = Flags(pick(mmap, "PROT_READ PROT_WRITE PROT_EXEC", {})
                   + [("PROT_SEM", 0x8), ("PROT_GROWSDOWN", 0x01000000), ("PROT_GROWSUP", 0x02000000)],
                   "PROT_???", zero="PROT_NONE")
MAP_TYPES = Values([("MAP_SHARED", 1), ("MAP_PRIVATE", 2), ("MAP_SHARED_VALIDATE", 3)], "MAP_???")
MAP_TYPE = 0xF
# strace's mmap_flags order; values for x86_64 (include/uapi/asm-generic/mman*.h, arch/x86/.../mman.h).
MAP_FLAGS = Flags(pick(mmap, "MAP_FIXED MAP_ANONYMOUS MAP_32BIT", {"MAP_FIXED": 0x10, "MAP_32BIT": 0x40}) + [
    ("MAP_ABOVE4G", 0x80), ("MAP_NORESERVE", 0x4000), ("MAP_POPULATE", 0x8000), ("MAP_NONBLOCK", 0x10000),
    ("MAP_GROWSDOWN", 0x100), ("MAP_DENYWRITE", 0x800), ("MAP_EXECUTABLE", 0x1000), ("MAP_LOCKED", 0x2000),
    ("MAP_STACK", 0x20000), ("MAP_HUGETLB", 0x40000), ("MAP_SYNC", 0x80000), ("MAP_UNINITIALIZED", 0x4000000),
    ("MAP_FIXED_NOREPLACE", 0x100000),
], "MAP_???")


def mmap_flags(value: int) -> str:
    """``MAP_PRIVATE|MAP_ANONYMOUS``: the mapping type first, then the flags (32 bits, like the kernel)."""
    value &= 0xFFFFFFFF
    text = MAP_TYPES.fmt(value & MAP_TYPE)
    rest = value & ~MAP_TYPE
    if rest:
        text += "|" + MAP_FLAGS.fmt(rest, comment=False)
    return text


# include/uapi/asm-generic/mman-common.h
MADVICE = Values(pick(mmap, """MADV_NORMAL MADV_RANDOM MADV_SEQUENTIAL MADV_WILLNEED MADV_DONTNEED MADV_FREE
    MADV_REMOVE MADV_DONTFORK MADV_DOFORK MADV_MERGEABLE MADV_UNMERGEABLE MADV_HUGEPAGE MADV_NOHUGEPAGE
    MADV_DONTDUMP MADV_DODUMP MADV_WIPEONFORK MADV_KEEPONFORK MADV_COLD MADV_PAGEOUT MADV_HWPOISON""",
    {"MADV_COLD": 20, "MADV_PAGEOUT": 21, "MADV_POPULATE_READ": 22, "MADV_POPULATE_WRITE": 23,
     "MADV_DONTNEED_LOCKED": 24, "MADV_COLLAPSE": 25, "MADV_HWPOISON": 100, "MADV_SOFT_OFFLINE": 101}),
    "MADV_???")
