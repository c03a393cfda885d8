"""Sockets: addresses, socket(), connect/bind/accept, send/recv, msghdr, socket options."""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterator

from ..flags import network as N
from ..strings import quote, quote_buffer
from .common import Call, Decoder, int_in_brackets, unpack
from .desc import iovec_array

# --- socket addresses ----------------------------------------------------------------------------


def _unix_path(raw: bytes) -> tuple[str, bool] | None:
    """The sun_path bytes of an AF_UNIX address: (text, abstract) or None when unnamed."""
    if not raw:
        return None
    if raw[0] == 0:
        return raw[1:].decode("utf-8", "backslashreplace"), True
    return raw.split(b"\0", 1)[0].decode("utf-8", "backslashreplace"), False


def sockaddr(blob: bytes | None, fallback: str) -> str:
    """A socket address the way strace prints it: ``{sa_family=AF_INET, sin_port=htons(80), ...}``."""
    if blob is None or len(blob) < 2:
        return fallback
    family = struct.unpack_from("<H", blob)[0]
    head = f"sa_family={N.ADDRESS_FAMILIES.fmt(family)}"
    if family == N.AF_INET and len(blob) >= 8:
        port = struct.unpack_from(">H", blob, 2)[0]
        addr = ipaddress.IPv4Address(blob[4:8])
        return f'{{{head}, sin_port=htons({port}), sin_addr=inet_addr("{addr}")}}'
    if family == N.AF_INET6 and len(blob) >= 24:
        port, flow = struct.unpack_from(">HI", blob, 2)
        addr = ipaddress.IPv6Address(blob[8:24])
        text = (f'{{{head}, sin6_port=htons({port}), sin6_flowinfo=htonl({flow}), '
                f'inet_pton(AF_INET6, "{addr.compressed}", &sin6_addr)')
        if len(blob) >= 28:
            text += f", sin6_scope_id={struct.unpack_from('<I', blob, 24)[0]}"
        return text + "}"
    if family == N.AF_UNIX:
        raw = blob[2:]
        if not raw:
            return f"{{{head}}}"
        if raw[0] == 0:
            return f"{{{head}, sun_path=@{quote(raw[1:])}}}"
        path = raw.split(b"\0", 1)[0]
        return f"{{{head}, sun_path={quote(path)}}}"
    if family == N.AF_NETLINK and len(blob) >= 12:
        pid, groups = struct.unpack_from("<II", blob, 4)
        return f"{{{head}, nl_pid={pid}, nl_groups={groups:08x}}}"
    rest = blob[2:]
    return f"{{{head}, sa_data={quote(rest)}}}" if rest else f"{{{head}}}"


def short_address(blob: bytes) -> str | None:
    """A socket address for the ``addr`` column: ``127.0.0.1:8000``, ``[::1]:8000``, ``/tmp/sock``."""
    try:
        if len(blob) < 2:
            return None
        family = struct.unpack_from("<H", blob)[0]
        if family == N.AF_INET and len(blob) >= 8:
            return f"{ipaddress.IPv4Address(blob[4:8])}:{struct.unpack_from('>H', blob, 2)[0]}"
        if family == N.AF_INET6 and len(blob) >= 24:
            return f"[{ipaddress.IPv6Address(blob[8:24]).compressed}]:{struct.unpack_from('>H', blob, 2)[0]}"
        if family == N.AF_UNIX:
            named = _unix_path(blob[2:])
            if named is None:
                return None
            text, abstract = named
            return "@" + text if abstract else text
        if family == N.AF_NETLINK:
            return "netlink"
        if family in (N.AF_INET, N.AF_INET6):
            return None  # cut short: no address to show
        name = N.ADDRESS_FAMILIES.get(family)
        return name[3:].lower() if name else None
    except (ValueError, struct.error):
        return None


def _sockaddr_out(call: Call, addr_slot: int, len_slot: int) -> tuple[str, str]:
    """An address the kernel writes back, and its length pointer: ``{...}, [16]`` or ``[110 => 0]``."""
    lens_in = unpack("<i", call.blob(len_slot))  # the length offered, read at entry
    call.exited()
    blob = call.out(addr_slot)
    if call.u(len_slot) == 0:
        return call.ptr(addr_slot), "NULL"
    if blob is None or len(blob) < 8:
        before = lens_in[0] if lens_in else None
        return call.ptr(addr_slot), (f"[{before}]" if before is not None else call.ptr(len_slot))
    before, after = struct.unpack_from("<ii", blob)
    if lens_in is not None:
        before = lens_in[0]
    lens = f"[{after}]" if before == after else f"[{before} => {after}]"
    if call.u(addr_slot) == 0:
        return "NULL", lens
    data = blob[8:]
    if after <= 0 or not data:
        return call.ptr(addr_slot), lens
    return sockaddr(data[: min(before, after) if before >= 0 else after], call.ptr(addr_slot)), lens


# --- calls ------------------------------------------------------------------------------------------
def _protocol(family: int, proto: int) -> str:
    if family in (N.AF_INET, N.AF_INET6):
        return N.IP_PROTOCOLS.fmt(proto)
    if family == N.AF_NETLINK:
        return N.NETLINK_PROTOCOLS.fmt(proto)
    if family == N.AF_PACKET:
        value = ((proto & 0xFF) << 8) | ((proto >> 8) & 0xFF)
        name = N.ETHER_TYPES.get(value)
        return f"htons({name})" if name else f"htons({value} /* ETH_P_??? */)"
    return str(proto)


def socket(call: Call) -> Iterator[str]:
    family = call.u32(0)
    yield N.ADDRESS_FAMILIES.fmt(family)
    yield N.socket_type(call.u32(1))
    yield _protocol(family, call.u32(2))


def socketpair(call: Call) -> Iterator[str]:
    yield from socket(call)
    fds = unpack("<ii", call.out(3))
    yield call.ptr(3) if fds is None else f"[{fds[0]}, {fds[1]}]"


def connect(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield sockaddr(call.blob(1), call.ptr(1))
    yield str(call.u32(2))


def listen(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield str(call.i(1))


def accept(call: Call) -> Iterator[str]:
    yield call.fd(0)
    addr, lens = _sockaddr_out(call, 1, 2)
    yield addr
    yield lens


def accept4(call: Call) -> Iterator[str]:
    yield from accept(call)
    yield N.SOCK_FLAGS.fmt(call.u32(3))


def sendto(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield call.buffer(1, call.u(2), at_exit=False)
    yield str(call.u(2))
    yield N.MSG_FLAGS.fmt(call.u32(3))
    yield sockaddr(call.blob(4), call.ptr(4))
    yield str(call.u32(5))


def recvfrom(call: Call) -> Iterator[str]:
    yield call.fd(0)
    call.exited()
    yield call.buffer(1, call.ret or 0, at_exit=True)
    yield str(call.u(2))
    yield N.MSG_FLAGS.fmt(call.u32(3))
    addr, lens = _sockaddr_out(call, 4, 5)
    yield addr
    yield lens


def shutdown(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield N.SHUTDOWN_HOW.fmt(call.u32(1))


def _msghdr(call: Call, blob: bytes | None, received: int | None, before_len: int | None) -> str:
    head = unpack("<QIQQQi", blob)
    if head is None:
        return call.ptr(1)
    name_ptr, namelen, iov_ptr, iovlen, controllen, flags = head
    rest = blob[struct.calcsize("<QIQQQi"):]
    name_bytes, rest = rest[: min(namelen, 128)] if name_ptr else b"", rest[min(namelen, 128) if name_ptr else 0:]
    if not name_ptr:
        name = "NULL"
    elif namelen == 0 or not name_bytes:
        name = f"{name_ptr:#x}"
    else:
        name = sockaddr(name_bytes, f"{name_ptr:#x}")
    shown_len = str(namelen) if before_len is None or before_len == namelen else f"{before_len} => {namelen}"
    if not iov_ptr:
        iov = "NULL"
    elif iovlen == 0:
        iov = "[]"
    else:
        iov = iovec_array(rest, f"{iov_ptr:#x}", call.limit, received)
    return (f"{{msg_name={name}, msg_namelen={shown_len}, msg_iov={iov}, msg_iovlen={iovlen}, "
            f"msg_controllen={controllen}, msg_flags={N.MSG_FLAGS.fmt(flags)}}}")


def sendmsg(call: Call) -> Iterator[str]:
    yield call.fd(0)
    yield _msghdr(call, call.blob(1), None, None)
    yield N.MSG_FLAGS.fmt(call.u32(2))


def recvmsg(call: Call) -> Iterator[str]:
    yield call.fd(0)
    entry = unpack("<QI", call.blob(1))  # msg_name and msg_namelen as the program offered them
    call.exited()
    blob = call.out(1)
    if blob is None:
        yield f"{{msg_namelen={entry[1]}}}" if entry is not None and call.failed else call.ptr(1)
    else:
        yield _msghdr(call, blob, call.ret, entry[1] if entry else None)
    yield N.MSG_FLAGS.fmt(call.u32(2))


def _option_name(level: int, name: int) -> str:
    table = N.OPTIONS_BY_LEVEL.get(level)
    return table.fmt(name) if table is not None else str(name)


def _option_value(level: int, name: int, blob: bytes | None, length: int, fallback: str, limit: int) -> str:
    if blob is None or length < 0:
        return fallback
    if level == N.SOL_SOCKET and name == N.SO_LINGER and length >= 8 and len(blob) >= 8:
        onoff, linger = struct.unpack_from("<ii", blob)
        return f"{{l_onoff={onoff}, l_linger={linger}}}"
    if length == 4 and len(blob) >= 4:
        return f"[{struct.unpack_from('<i', blob)[0]}]"
    return quote_buffer(blob[:length], length, limit)


def setsockopt(call: Call) -> Iterator[str]:
    yield call.fd(0)
    level, name, length = call.u32(1), call.u32(2), call.u32(4)
    yield N.SOCKOPT_LEVELS.fmt(level)
    yield _option_name(level, name)
    yield _option_value(level, name, call.blob(3), length, call.ptr(3), call.limit)
    yield str(length)


def getsockopt(call: Call) -> Iterator[str]:
    yield call.fd(0)
    level, name = call.u32(1), call.u32(2)
    yield N.SOCKOPT_LEVELS.fmt(level)
    yield _option_name(level, name)
    before = unpack("<i", call.blob(4))
    call.exited()
    after = unpack("<i", call.out(4))
    if after is None:
        yield call.ptr(3)
        yield f"[{before[0]}]" if before is not None else call.ptr(4)
        return
    yield _option_value(level, name, call.out(3), after[0], call.ptr(3), call.limit)
    if before is None or before[0] == after[0]:
        yield f"[{after[0]}]"
    else:
        yield f"[{before[0]} => {after[0]}]"


def getsockname(call: Call) -> Iterator[str]:
    yield from accept(call)


DECODERS: dict[str, Decoder] = {
    "socket": socket, "socketpair": socketpair, "connect": connect, "bind": connect, "listen": listen,
    "accept": accept, "accept4": accept4, "getsockname": getsockname, "getpeername": getsockname,
    "sendto": sendto, "recvfrom": recvfrom, "sendmsg": sendmsg, "recvmsg": recvmsg, "shutdown": shutdown,
    "setsockopt": setsockopt, "getsockopt": getsockopt,
}

__all__ = ["DECODERS", "int_in_brackets", "short_address", "sockaddr"]
