"""Calls that name files beyond open and stat: extended attributes, mounts, swap, times, watches.

Each path is shown whole, as strace's ``printpath`` shows it, and fills the ``path`` column
(``flags.paths.PATH_SLOTS`` is the list of path arguments the tracer reads).
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterator

from ..flags import files as F
from ..flags import octal_mode
from ..flags import paths as P
from ..strings import quote
from .common import Call, Decoder, unpack
from .files import _makedev

_UTIME_NOW, _UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2


def _when(seconds: int, fraction: int = 0, digits: int = 0) -> str:
    """strace's time comment: ISO 8601 in local time, the fraction only when there is one."""
    try:
        moment = _time.localtime(seconds)
    except (OverflowError, OSError, ValueError):
        return ""
    text = _time.strftime("%Y-%m-%dT%H:%M:%S", moment)
    if fraction:
        text += f".{fraction:0{digits}d}"
    return f" /* {text}{_time.strftime('%z', moment)} */"


def _string(call: Call, slot: int) -> str:
    return "NULL" if call.u(slot) == 0 else call.cstring(slot)


def _xattr_value(call: Call, slot: int, size: int, at_exit: bool) -> str:
    """An attribute's value: a buffer of ``size`` bytes, a trailing NUL left out (QUOTE_OMIT_TRAILING_0)."""
    if size > P.XATTR_SIZE_MAX or size < 0 or call.u(slot) == 0:
        return call.ptr(slot)
    blob = call.out(slot) if at_exit else call.blob(slot)
    if blob is None:
        return call.ptr(slot)
    if size and len(blob) >= size and blob[size - 1] == 0:
        size -= 1
    return quote(blob[:min(size, call.limit)], cut=size > call.limit)


# --- extended attributes -----------------------------------------------------------------------------
def _getxattr_rest(call: Call, name_slot: int) -> Iterator[str]:
    yield _string(call, name_slot)
    size = call.u(name_slot + 2)
    if size == 0:
        yield call.ptr(name_slot + 1)
    else:
        call.exited()
        yield _xattr_value(call, name_slot + 1, call.ret if call.ok else -1, True)
    yield str(size)


def getxattr(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield from _getxattr_rest(call, 1)


def fgetxattr(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield from _getxattr_rest(call, 1)


def _setxattr_rest(call: Call) -> Iterator[str]:
    yield _string(call, 1)
    yield _xattr_value(call, 2, call.u(3), False)
    yield str(call.u(3))
    yield P.XATTR_FLAGS.fmt(call.u32(4))


def setxattr(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield from _setxattr_rest(call)


def fsetxattr(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield from _setxattr_rest(call)


def _xattr_list(call: Call, slot: int) -> Iterator[str]:
    call.exited()
    size = call.u(slot + 1)
    blob = call.out(slot) if size else None
    if blob is None or not call.ok:
        yield call.ptr(slot)
    else:
        yield quote(blob[:min(call.ret, call.limit)], cut=call.ret > call.limit)
    yield str(size)


def listxattr(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield from _xattr_list(call, 1)


def flistxattr(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield from _xattr_list(call, 1)


def removexattr(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield _string(call, 1)


def fremovexattr(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield _string(call, 1)


def _at_path_flags(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield F.AT_FLAGS.fmt(call.u32(2))


def xattrat_named(call: Call) -> Iterator[str]:
    """getxattrat, setxattrat: (dirfd, path, at_flags, name, struct xattr_args *, size)."""
    yield from _at_path_flags(call)
    yield _string(call, 3)
    yield call.ptr(4)
    yield str(call.u(5))


def listxattrat(call: Call) -> Iterator[str]:
    yield from _at_path_flags(call)
    yield call.ptr(3)
    yield str(call.u(4))


def removexattrat(call: Call) -> Iterator[str]:
    yield from _at_path_flags(call)
    yield _string(call, 3)


def file_attr(call: Call) -> Iterator[str]:
    """file_getattr, file_setattr: (dirfd, path, struct file_attr *, size, at_flags)."""
    yield call.dirfd(0)
    yield call.path(1)
    yield call.ptr(2)
    yield str(call.u(3))
    yield F.AT_FLAGS.fmt(call.u32(4))


# --- mounts ---------------------------------------------------------------------------------------
def mount(call: Call) -> Iterator[str]:
    flags = call.u(3)
    old_magic = (flags & P.MS_MGC_MSK) == P.MS_MGC_VAL
    if old_magic:
        flags &= ~P.MS_MGC_MSK
    ignore_type = bool(flags & P.MS_REMOUNT)
    ignore_data = not ignore_type and bool(flags & (P.MS_BIND | P.MS_MOVE | P.MS_PROPAGATION))
    ignore_type = ignore_type or ignore_data
    yield call.path(0)
    yield call.path(1)
    yield call.ptr(2) if ignore_type else _string(call, 2)
    shown = "MS_MGC_VAL" if old_magic else ""
    if flags or not old_magic:
        shown += ("|" if shown else "") + P.MOUNT_FLAGS.fmt(flags)
    yield shown
    yield call.ptr(4) if ignore_data else _string(call, 4)


def umount2(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield P.UMOUNT_FLAGS.fmt(call.u32(1))


def swapon(call: Call) -> Iterator[str]:
    yield call.path(0)
    flags = call.u32(1)
    prio = flags & 0x7FFF if flags & 0x8000 else 0
    text = P.SWAP_FLAGS.fmt(flags & ~0x7FFF)
    yield f"{text}|{prio}" if prio else text


def open_tree(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield P.OPEN_TREE_FLAGS.fmt(call.u32(2))
    if call.name == "open_tree_attr":
        yield call.ptr(3)
        yield str(call.u(4))


def move_mount(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield "AT_FDCWD" if call.i(2) == -100 else str(call.i(2))
    yield call.path(3)
    yield P.MOVE_MOUNT_FLAGS.fmt(call.u32(4))


def fspick(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield P.FSPICK_FLAGS.fmt(call.u32(2))


def mount_setattr(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield P.MOUNT_SETATTR_FLAGS.fmt(call.u32(2))
    yield call.ptr(3)
    yield str(call.u(4))


def quotactl(call: Call) -> Iterator[str]:
    cmd = call.u32(0)
    yield f"QCMD({P.QUOTA_CMDS.fmt(cmd >> 8)}, {P.QUOTA_TYPES.fmt(cmd & 0xFF)})"
    yield "NULL" if call.u(1) == 0 else call.path(1)
    yield str(call.i(2))
    yield call.ptr(3)


# --- times ----------------------------------------------------------------------------------------
def _timespec_utime(sec: int, nsec: int) -> str:
    if nsec == _UTIME_NOW:  # the seconds mean nothing then: strace shows the name alone
        return "UTIME_NOW"
    if nsec == _UTIME_OMIT:
        return "UTIME_OMIT"
    return f"{{tv_sec={sec}, tv_nsec={nsec}}}" + _when(sec, nsec, 9)


def utimensat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield "NULL" if call.u(1) == 0 else call.path(1)
    pair = unpack("<qqqq", call.blob(2)) if call.u(2) else None
    if pair is None:
        yield call.ptr(2)
    else:
        yield f"[{_timespec_utime(pair[0], pair[1])}, {_timespec_utime(pair[2], pair[3])}]"
    yield F.AT_FLAGS.fmt(call.u32(3))


def _timevals(call: Call, slot: int) -> str:
    pair = unpack("<qqqq", call.blob(slot)) if call.u(slot) else None
    if pair is None:
        return call.ptr(slot)
    return "[" + ", ".join(f"{{tv_sec={s}, tv_usec={u}}}" + _when(s, u, 6)
                           for s, u in (pair[:2], pair[2:])) + "]"


def utimes(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield _timevals(call, 1)


def futimesat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield _timevals(call, 2)


def utime(call: Call) -> Iterator[str]:
    yield call.path(0)
    times = unpack("<qq", call.blob(1)) if call.u(1) else None
    if times is None:
        yield call.ptr(1)
    else:
        yield f"{{actime={times[0]}{_when(times[0])}, modtime={times[1]}{_when(times[1])}}}"


# --- the rest -------------------------------------------------------------------------------------
def mknodat(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    mode = call.u32(2)
    yield F.file_mode(mode)
    if mode & 0o170000 in (0o020000, 0o060000):
        yield _makedev(call.u(3))


def inotify_init1(call: Call) -> Iterator[str]:
    yield P.INOTIFY_INIT_FLAGS.fmt(call.u32(0))


def inotify_add_watch(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield call.path(1)
    yield P.INOTIFY_FLAGS.fmt(call.u32(2))


def fanotify_mark(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield P.FAN_MARK_FLAGS.fmt(call.u32(1))
    yield P.FAN_EVENTS.fmt(call.u(2))
    yield "AT_FDCWD" if call.i(3) == -100 else str(call.i(3))
    yield "NULL" if call.u(4) == 0 else call.path(4)


def name_to_handle_at(call: Call) -> Iterator[str]:
    yield call.dirfd(0)
    yield call.path(1)
    yield call.ptr(2)
    yield call.ptr(3)
    yield F.AT_FLAGS.fmt(call.u32(4))


def statfs(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield struct_statfs(call.out(1), call.ptr(1))


def fstatfs(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield struct_statfs(call.out(1), call.ptr(1))


def _xint(value: int) -> str:
    value &= 0xFFFFFFFF
    return f"{value:#x}" if value else "0"


def struct_statfs(blob: bytes | None, fallback: str) -> str:
    """struct statfs (x86_64: eleven 8-byte fields and spare room), strace's way."""
    values = unpack("<qqQQQQQiiqqq", blob)
    if values is None:
        return fallback
    f_type, bsize, blocks, bfree, bavail, files, ffree, fsid0, fsid1, namelen, frsize, flags = values
    kind = P.FS_MAGIC.get(f_type) or f"{f_type & 0xFFFFFFFFFFFFFFFF:#x}"
    text = (f"{{f_type={kind}, f_bsize={bsize}, f_blocks={blocks}, f_bfree={bfree}, f_bavail={bavail}, "
            f"f_files={files}, f_ffree={ffree}, f_fsid={{val=[{_xint(fsid0)}, {_xint(fsid1)}]}}, "
            f"f_namelen={namelen}, f_frsize={frsize}")
    if flags & P.ST_VALID:
        text += f", f_flags={P.STATFS_FLAGS.fmt(flags)}"
    return text + "}"


def path_and_mode(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield octal_mode(call.u32(1))


def path_only(call: Call) -> Iterator[str]:
    yield "NULL" if call.u(0) == 0 else call.path(0)


def two_paths(call: Call) -> Iterator[str]:
    yield call.path(0)
    yield call.path(1)


DECODERS: dict[str, Decoder] = {
    "getxattr": getxattr, "lgetxattr": getxattr, "fgetxattr": fgetxattr,
    "setxattr": setxattr, "lsetxattr": setxattr, "fsetxattr": fsetxattr,
    "listxattr": listxattr, "llistxattr": listxattr, "flistxattr": flistxattr,
    "removexattr": removexattr, "lremovexattr": removexattr, "fremovexattr": fremovexattr,
    "getxattrat": xattrat_named, "setxattrat": xattrat_named, "listxattrat": listxattrat,
    "removexattrat": removexattrat, "file_getattr": file_attr, "file_setattr": file_attr,
    "mount": mount, "umount2": umount2, "pivot_root": two_paths, "swapon": swapon, "swapoff": path_only,
    "uselib": path_only, "acct": path_only, "quotactl": quotactl,
    "open_tree": open_tree, "open_tree_attr": open_tree, "move_mount": move_mount, "fspick": fspick,
    "mount_setattr": mount_setattr,
    "utimensat": utimensat, "utimes": utimes, "futimesat": futimesat, "utime": utime,
    "mknodat": mknodat, "inotify_add_watch": inotify_add_watch,
    "inotify_init1": inotify_init1, "fanotify_mark": fanotify_mark,
    "name_to_handle_at": name_to_handle_at, "statfs": statfs, "fstatfs": fstatfs,
}
