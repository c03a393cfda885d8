"""Values inside strace's rendering of a call's arguments: strings, fds, socket addresses.

Only what strace printed is read back: a string cut at ``-s`` stays cut (and says so), an
address strace showed as a number (``0x7ffd...``) gives no value.
"""

from __future__ import annotations

import os
import re

# A quoted C string as strace prints it, and the "..." that follows one cut at -s.
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\.\.\.)?', re.S)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}()]|, ')
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.S)
_SIMPLE = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"v": b"\v", b"f": b"\f", b"\\": b"\\", b'"': b'"',
           b"'": b"'", b"a": b"\a", b"b": b"\b", b"e": b"\x1b"}
# The fd that starts many calls' arguments, with the target -y prints after it (a target can hold
# ">" itself, as in "TCP:[1.2.3.4:5->6.7.8.9:10]": it ends at the ">" that ends the argument).
# A deleted file's target is followed by "(deleted)": "4</tmp/#123>(deleted)".
FD_FIRST = re.compile(r"(-?\d+|AT_FDCWD)(?:<(.*?)>(\(deleted\))?)?(?=, |$)", re.S)
FD_ARG = re.compile(r"(-?\d+|AT_FDCWD)(?:<(.*)>(\(deleted\))?)?$", re.S)


def _unescape_one(m: re.Match[bytes]) -> bytes:
    code = m.group(1)
    if code[:1] == b"x" and len(code) == 3:
        return bytes([int(code[1:], 16)])
    if code[:1].isdigit():
        return bytes([int(code, 8) & 0xFF])
    return _SIMPLE.get(code, code)


def unescape(text: str) -> bytes:
    """The bytes of a string strace printed (without its quotes): ``a\\nb\\0`` -> ``b"a\\nb\\x00"``."""
    raw = text.encode("utf-8", "surrogateescape")
    return _ESCAPE.sub(_unescape_one, raw) if b"\\" in raw else raw


def split_args(text: str) -> list[str]:
    """Top-level arguments: commas inside strings, [arrays], {structures} and (calls) do not split."""
    parts: list[str] = []
    depth = 0
    start = 0
    for m in _TOKEN.finditer(text):
        t = m.group()
        if t[0] == '"':
            continue
        if t == ", ":
            if depth == 0:
                parts.append(text[start:m.start()])
                start = m.end()
        elif t in "[{(":
            depth += 1
        else:
            depth -= 1
    parts.append(text[start:])
    return parts


def string_value(arg: str) -> tuple[bytes, bool] | None:
    """(bytes, whole) of an argument that is a quoted string; None for anything else (NULL, 0x...)."""
    m = STRING.match(arg)
    if m is None:
        return None
    return unescape(m.group(1)), m.group(2) is None


def path_value(arg: str) -> str | None:
    """A path argument as text (bytes that are not UTF-8 kept as surrogate escapes, as the tracer does)."""
    value = string_value(arg)
    return os.fsdecode(value[0]) if value is not None else None


# -yy adds a device's numbers after its path: "1</dev/null<char 1:3>>"
_DEVICE = re.compile(r"<(?:char|block) \d+:\d+>$")


def target(text: str | None, deleted: str | None = None) -> str | None:
    """An fd's target as the path column keeps it, as /proc/PID/fd shows it: -yy's device numbers
    left out, `` (deleted)`` after a file that is gone."""
    if text is None:
        return None
    if "\\" in text:  # strace escapes a target's unprintable bytes as it does a string's
        text = os.fsdecode(unescape(text))
    if text.endswith(">"):
        text = _DEVICE.sub("", text)
    return text + " (deleted)" if deleted else text


def fd_value(arg: str) -> tuple[int | None, str | None]:
    """(fd, its -y target) of an fd argument; (None, target) for AT_FDCWD."""
    m = FD_ARG.match(arg)
    if m is None:
        return None, None
    number = m.group(1)
    return (None if number == "AT_FDCWD" else int(number)), target(m.group(2), m.group(3))


_PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
_INET = re.compile(r'inet_addr\("([^"]*)"\)')
_INET6 = re.compile(r'inet_pton\(AF_INET6, "([^"]*)"')
_UNIX = re.compile(r'sun_path=(@?)"((?:[^"\\]|\\.)*)"')
_FAMILY = re.compile(r"sa_family=AF_([A-Z0-9]+)")


def address(arg: str) -> str | None:
    """A socket address as the ``addr`` column shows it: ``127.0.0.1:8000``, ``[::1]:8000``, ``/tmp/s``."""
    family = _FAMILY.search(arg)
    if family is None:
        return None
    name = family.group(1)
    port = _PORT.search(arg)
    if name == "INET":
        host = _INET.search(arg)
        return f"{host.group(1)}:{port.group(1)}" if host and port else None
    if name == "INET6":
        host = _INET6.search(arg)
        return f"[{host.group(1)}]:{port.group(1)}" if host and port else None
    if name == "UNIX":
        path = _UNIX.search(arg)
        if path is None:
            return None
        text = os.fsdecode(unescape(path.group(2)))
        return "@" + text if path.group(1) else text
    if name == "NETLINK":
        return "netlink"
    return name.lower()
