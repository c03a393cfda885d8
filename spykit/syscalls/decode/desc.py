"""Calls on file descriptors: read and write, iovecs, dup, pipes, fcntl, ioctl, sync."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from ..captures import iov_chunks
from ..flags import files as F
from ..flags import ioctl as I
from ..strings import quote_buffer
from .common import Call, Decoder, int_in_brackets, unpack


def read(call: Call) -> Iterator[str]:
    yield call.fd(0)
    call.exited()
    yield call.buffer(1, call.ret if call.ret is not None else 0, at_exit=True)
    yield str(call.u(2))


def write(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield call.buffer(1, call.u(2), at_exit=False)
    yield str(call.u(2))


def pread(call: Call) -> Iterator[str]:
    yield from read(call)
    yield str(call.s(3))


def pwrite(call: Call) -> Iterator[str]:
    yield from write(call)
    yield str(call.s(3))


def iovec_array(blob: bytes | None, fallback: str, limit: int, total: int | None) -> str:
    """``[{iov_base="...", iov_len=6}, ...]`` from an IOV blob.

    ``total`` is how many bytes moved (None: all of them, as for writev); each iovec shows at
    most ``limit`` of its bytes, and ``...`` when it held more than it shows.
    """
    count = unpack("<I", blob)
    if count is None:
        return fallback
    n = count[0]
    offset = 4 + 16 * n
    if len(blob) < offset:
        return fallback
    data = blob[offset:]
    left = total if total is not None else 1 << 62
    lengths, moved = [], []
    for k in range(n):
        base, length = struct.unpack_from("<QQ", blob, 4 + 16 * k)
        lengths.append(length)
        moved.append(min(length, max(left, 0)))
        left -= moved[-1]
    items = []
    for length, went, kept in zip(lengths, moved, iov_chunks(moved, len(data)), strict=True):
        chunk, data = data[:kept], data[kept:]
        items.append(f"{{iov_base={quote_buffer(chunk, went, limit)}, iov_len={length}}}")
    return "[" + ", ".join(items) + "]"


def readv(call: Call) -> Iterator[str]:
    yield call.fd(0)
    blob = call.out(1)
    yield iovec_array(blob, call.ptr(1), call.limit, call.ret) if blob is not None else call.ptr(1)
    yield str(call.i(2))


def writev(call: Call) -> Iterator[str]:
    yield call.fd(0)
    blob = call.blob(1)
    yield iovec_array(blob, call.ptr(1), call.limit, None)
    yield str(call.i(2))


def preadv(call: Call) -> Iterator[str]:
    yield from readv(call)
    yield str(call.s(3))


def pwritev(call: Call) -> Iterator[str]:
    yield from writev(call)
    yield str(call.s(3))


def close_range(call: Call) -> Iterator[str]:
    yield str(call.u32(0))
    yield str(call.u32(1))
    yield F.CLOSE_RANGE_FLAGS.fmt(call.u32(2))


def lseek(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield str(call.s(1))
    yield F.LSEEK_WHENCE.fmt(call.u32(2))


def pipe(call: Call) -> Iterator[str]:
    fds = unpack("<ii", call.out(0))
    yield call.ptr(0) if fds is None else f"[{fds[0]}, {fds[1]}]"


def pipe2(call: Call) -> Iterator[str]:
    yield from pipe(call)
    yield F.OPEN_FLAGS.fmt(call.u32(1))


def dup(call: Call) -> Iterator[str]:
    yield call.fd(0)


def dup2(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield str(call.i(1))


def dup3(call: Call) -> Iterator[str]:
    yield from dup2(call)
    yield F.OPEN_FLAGS.fmt(call.u32(2))


def _flock(blob: bytes | None, fallback: str, with_pid: bool) -> str:
    values = unpack("<hh4xqqi", blob)
    if values is None:
        return fallback
    kind, whence, start, length, pid = values
    text = (f"{{l_type={F.LOCK_TYPES.fmt(kind)}, l_whence={F.LSEEK_WHENCE.fmt(whence)}, "
            f"l_start={start}, l_len={length}")
    return text + (f", l_pid={pid}}}" if with_pid else "}")


_FCNTL_NO_ARG = {"F_GETFD", "F_GETFL", "F_GETOWN", "F_GETSIG", "F_GETLEASE", "F_GETPIPE_SZ", "F_GET_SEALS"}
_FCNTL_INT_ARG = {"F_DUPFD", "F_DUPFD_CLOEXEC", "F_SETOWN", "F_SETPIPE_SZ", "F_SETSIG"}
_FCNTL_SETLK = {"F_SETLK", "F_SETLKW", "F_OFD_SETLK", "F_OFD_SETLKW"}
_FCNTL_GETLK = {"F_GETLK", "F_OFD_GETLK"}


def fcntl(call: Call) -> Iterator[str]:
    yield call.fd(0)
    cmd = call.u32(1)
    name = F.FCNTL_CMDS.get(cmd)
    yield F.FCNTL_CMDS.fmt(cmd)
    if name in _FCNTL_NO_ARG:
        return
    if name in _FCNTL_INT_ARG:
        yield str(call.i(2))
    elif name == "F_SETFD":
        yield F.FD_FLAGS.fmt(call.u32(2))
    elif name == "F_SETFL":
        yield F.open_flags(call.u32(2))
    elif name in _FCNTL_SETLK:
        yield _flock(call.blob(2), call.ptr(2), with_pid=False)
    elif name in _FCNTL_GETLK:
        call.exited()
        blob = call.out(2)
        yield _flock(blob, call.ptr(2), with_pid=True) if blob is not None else call.ptr(2)
    elif name == "F_SETLEASE":
        yield F.LEASES.fmt(call.u32(2))
    elif name == "F_ADD_SEALS":
        yield F.SEALS.fmt(call.u32(2))
    elif name == "F_NOTIFY":
        yield F.NOTIFY_FLAGS.fmt(call.u32(2))
    else:
        yield f"{call.u(2):#x}" if call.u(2) else "0"


def _termios(blob: bytes | None, fallback: str) -> str:
    values = unpack("<IIII", blob)
    if values is None:
        return fallback
    iflag, oflag, cflag, lflag = values
    return (f"{{c_iflag={I.TERM_IFLAGS.fmt(iflag, comment=False)}, c_oflag={I.term_oflag(oflag)}, "
            f"c_cflag={I.term_cflag(cflag)}, c_lflag={I.TERM_LFLAGS.fmt(lflag, comment=False)}, ...}}")


def _winsize(blob: bytes | None, fallback: str) -> str:
    values = unpack("<HHHH", blob)
    if values is None:
        return fallback
    row, col, xpixel, ypixel = values
    return f"{{ws_row={row}, ws_col={col}, ws_xpixel={xpixel}, ws_ypixel={ypixel}}}"


# ioctl requests by how strace shows their argument: read at entry (the program hands it in) or at
# exit (the kernel fills it in).
_IOCTL_NO_ARG = {"FIOCLEX", "FIONCLEX", "TIOCNOTTY", "TIOCEXCL", "TIOCNXCL", "TIOCSBRK", "TIOCCBRK",
                 "TIOCVHANGUP", "TIOCSERCONFIG", "TIOCCONS"}
_IOCTL_INT_IN = {"FIONBIO", "FIOASYNC", "TIOCSPGRP", "TIOCSPTLCK", "TIOCPKT", "TIOCSETD", "TIOCMBIS",
                 "TIOCMBIC", "TIOCMSET", "TIOCSSOFTCAR"}
_IOCTL_INT_OUT = {"FIONREAD", "TIOCGPGRP", "TIOCGPTN", "TIOCOUTQ", "TIOCGSID", "TIOCGETD", "TIOCMGET",
                  "TIOCGSOFTCAR", "TIOCGPKT", "TIOCGPTLCK", "TIOCGEXCL", "TIOCGDEV", "FIOQSIZE"}
_IOCTL_TERMIOS_IN = {"TCSETS", "TCSETSW", "TCSETSF"}
_IOCTL_SCALAR = {"TCSBRK", "TCSBRKP", "TCXONC", "TCFLSH", "TIOCSCTTY", "TIOCGPTPEER"}


def ioctl(call: Call) -> Iterator[str]:
    yield call.fd(0)
    code = call.u32(1)
    text = I.ioctl_request(code)
    yield text
    name = text.rsplit(" or ", 1)[-1]
    if name in _IOCTL_NO_ARG:
        return
    if name in _IOCTL_INT_IN:
        yield int_in_brackets(call, 2, at_exit=False)
    elif name in _IOCTL_INT_OUT:
        yield int_in_brackets(call, 2, at_exit=True, fmt="<q" if name == "FIOQSIZE" else "<i")
    elif name in _IOCTL_TERMIOS_IN:
        yield _termios(call.blob(2), call.ptr(2))
    elif name == "TCGETS":
        yield _termios(call.out(2), call.ptr(2))
    elif name == "TIOCSWINSZ":
        yield _winsize(call.blob(2), call.ptr(2))
    elif name == "TIOCGWINSZ":
        yield _winsize(call.out(2), call.ptr(2))
    elif name in _IOCTL_SCALAR:
        yield str(call.i(2))
    else:
        yield f"{call.u(2):#x}" if call.u(2) else "0"


def sync_file_range(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield str(call.s(1))
    yield str(call.s(2))
    yield F.SYNC_FILE_RANGE_FLAGS.fmt(call.u32(3))


def fd_only(call: Call) -> Iterator[str]:
    yield call.fd(0)


def fadvise64(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield str(call.s(1))
    yield str(call.s(2))
    yield F.FADVICE.fmt(call.u32(3))


def ftruncate(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield str(call.s(1))


DECODERS: dict[str, Decoder] = {
    "read": read, "write": write, "pread64": pread, "pwrite64": pwrite,
    "readv": readv, "writev": writev, "preadv": preadv, "pwritev": pwritev,
    "close": fd_only, "fsync": fd_only, "fdatasync": fd_only, "syncfs": fd_only, "close_range": close_range,
    "lseek": lseek, "pipe": pipe, "pipe2": pipe2, "dup": dup, "dup2": dup2, "dup3": dup3,
    "fcntl": fcntl, "ioctl": ioctl, "sync_file_range": sync_file_range, "ftruncate": ftruncate,
    "fadvise64": fadvise64,
}
