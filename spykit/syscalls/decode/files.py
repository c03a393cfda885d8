"""Calls that name files: open, stat, access, directories, links, permissions."""

from __future__ import annotations

from collections.abc import Iterator

from ..flags import files as F
from ..flags import octal_mode
from ..strings import quote_buffer, quote_path
from .common import Call, Decoder, unpack


def _open_flags_and_mode(call: Call, flag_slot: int) -> Iterator[str]:
    flags = call.u32(flag_slot)
    yield F.open_flags(flags)
    if F.open_needs_mode(flags):
        yield octal_mode(call.u32(flag_slot + 1))


def open_(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield from _open_flags_and_mode(call, 1)


def openat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield from _open_flags_and_mode(call, 2)


def creat(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield octal_mode(call.u32(1))


def openat2(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    how = unpack("<QQQ", call.blob(2))
    if how is None or call.u(3) < 24:
        yield call.ptr(2)
    else:
        flags, mode, resolve = how
        fields = [f"flags={F.open_flags(flags)}"]
        if mode or F.open_needs_mode(flags):
            fields.append(f"mode={octal_mode(mode)}")
        fields.append(f"resolve={F.RESOLVE_FLAGS.fmt(resolve)}")
        yield "{" + ", ".join(fields) + "}"
    yield str(call.u(3))


# --- stat family ---------------------------------------------------------------------------------
def _makedev(dev: int) -> str:
    major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF & 0xFFFFFFFF)
    minor = (dev & 0xFF) | ((dev >> 12) & ~0xFF & 0xFFFFFFFF)
    return f"makedev({major:#x}, {minor:#x})"


def struct_stat(blob: bytes | None, fallback: str) -> str:
    """strace's abbreviated struct stat: the type and mode, then the size (or device numbers)."""
    head = unpack("<QQQIII4xQq", blob)
    if head is None:
        return fallback
    _dev, _ino, _nlink, mode, _uid, _gid, rdev, size = head
    fields = [f"st_mode={F.file_mode(mode)}"]
    kind = mode & 0o170000
    if kind in (0o020000, 0o060000):  # character and block devices show their device numbers
        fields.append(f"st_rdev={_makedev(rdev)}")
    else:
        fields.append(f"st_size={size}")
    return "{" + ", ".join(fields) + ", ...}"


def struct_statx(blob: bytes | None, fallback: str) -> str:
    head = unpack("<IIQIIIH2xQQ", blob)
    if head is None:
        return fallback
    mask, _blksize, attributes, _nlink, _uid, _gid, mode, _ino, size = head
    return (f"{{stx_mask={F.statx_mask(mask)}, stx_attributes={F.STATX_ATTRS.fmt(attributes, comment=False)}, "
            f"stx_mode={F.file_mode(mode)}, stx_size={size}, ...}}")


def stat(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield struct_stat(call.out(1), call.ptr(1))


def fstat(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield struct_stat(call.out(1), call.ptr(1))


def newfstatat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield struct_stat(call.out(2), call.ptr(2))
    yield F.AT_FLAGS.fmt(call.u32(3))


def statx(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield F.statx_flags(call.u32(2))
    yield F.statx_mask(call.u32(3))
    yield struct_statx(call.out(4), call.ptr(4))


# --- access ----------------------------------------------------------------------------------------
def access(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield F.ACCESS_FLAGS.fmt(call.u32(1))


def faccessat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield F.ACCESS_FLAGS.fmt(call.u32(2))


def faccessat2(call: Call) -> Iterator[str]:
    yield from faccessat(call)
    yield F.FACCESSAT_FLAGS.fmt(call.u32(3))


# --- names and directories ---------------------------------------------------------------------------
def path_only(call: Call) -> Iterator[str]:
    yield call.path(0)


def two_paths(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield call.path(1)


def path_mode(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield octal_mode(call.u32(1))


def dirfd_path_mode(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield octal_mode(call.u32(2))


def fchmodat2(call: Call) -> Iterator[str]:
    yield from dirfd_path_mode(call)
    yield F.AT_FLAGS.fmt(call.u32(3))


def fd_mode(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield octal_mode(call.u32(1))


def unlinkat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield F.AT_FLAGS.fmt(call.u32(2))


def renameat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield "AT_FDCWD" if call.i(2) == -100 else str(call.i(2))
    yield call.path(3)


def renameat2(call: Call) -> Iterator[str]:
    yield from renameat(call)
    yield F.RENAME_FLAGS.fmt(call.u32(4))


def linkat(call: Call) -> Iterator[str]:
    yield from renameat(call)
    yield F.AT_FLAGS.fmt(call.u32(4))


def symlinkat(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield call.dirfd(1) if call.i(1) == -100 else str(call.i(1))
    yield call.path(2)


def _link_target(call: Call, slot: int) -> str:
    blob = call.out(slot)
    if blob is None or call.ret is None or call.ret < 0:
        return call.ptr(slot)
    # readlink's buffer is not a C string: strace shows ret bytes, cut at the string limit.
    return quote_buffer(blob, call.ret, call.limit)


def readlink(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield _link_target(call, 1)
    yield str(call.u(2))


def readlinkat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield _link_target(call, 2)
    yield str(call.u(3))


def getcwd(call: Call) -> Iterator[str]:
    blob = call.out(0)
    yield call.ptr(0) if blob is None else quote_path(blob)  # a path: never cut at the string limit
    yield str(call.u(1))


def getdents(call: Call) -> Iterator[str]:
    yield call.fd(0)
    count = unpack("<I", call.out(1))  # a DIRENTS capture: the tracer counted the records
    if count is None:
        yield call.ptr(1)
    else:
        yield f"{call.ptr(1)} /* {count[0]} entries */"
    yield str(call.u32(2))


def mkdirat(call: Call) -> Iterator[str]:
    yield from dirfd_path_mode(call)


def chown(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield str(call.i(1))
    yield str(call.i(2))


def fchown(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield str(call.i(1))
    yield str(call.i(2))


def fchownat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield str(call.i(2))
    yield str(call.i(3))
    yield F.AT_FLAGS.fmt(call.u32(4))


def truncate(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield str(call.s(1))


def fd_only(call: Call) -> Iterator[str]:
    yield call.fd(0)


def umask(call: Call) -> Iterator[str]:
    yield octal_mode(call.u32(0))


def mknod(call: Call) -> Iterator[str]:
    yield call.path(0)
    mode = call.u32(1)
    yield F.file_mode(mode)
    if mode & 0o170000 in (0o020000, 0o060000):
        yield _makedev(call.u(2))


DECODERS: dict[str, Decoder] = {
    "open": open_, "openat": openat, "openat2": openat2, "creat": creat,
    "stat": stat, "lstat": stat, "fstat": fstat, "newfstatat": newfstatat, "statx": statx,
    "access": access, "faccessat": faccessat, "faccessat2": faccessat2,
    "chdir": path_only, "chroot": path_only, "rmdir": path_only, "unlink": path_only, "acct": path_only,
    "mkdir": path_mode, "chmod": path_mode, "mkdirat": mkdirat, "fchmodat": dirfd_path_mode,
    "fchmodat2": fchmodat2, "fchmod": fd_mode, "fchdir": fd_only,
    "rename": two_paths, "link": two_paths, "symlink": two_paths,
    "renameat": renameat, "renameat2": renameat2, "linkat": linkat, "symlinkat": symlinkat,
    "unlinkat": unlinkat, "readlink": readlink, "readlinkat": readlinkat, "getcwd": getcwd,
    "getdents64": getdents, "getdents": getdents,
    "chown": chown, "lchown": chown, "fchown": fchown, "fchownat": fchownat,
    "truncate": truncate, "umask": umask, "mknod": mknod,
}
