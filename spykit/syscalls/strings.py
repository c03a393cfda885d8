"""strace's string quoting: what a learner sees between the double quotes.

strace (src/util.c, ``string_quote``) prints printable ASCII as is, escapes ``"`` and
``\\``, names five control characters (``\\t \\n \\v \\f \\r``) and writes every other byte
in octal with as few digits as it can: ``\\0``, ``\\33``, ``\\377``. The short form would be
ambiguous when the next byte is an octal digit (``\\0`` then ``1`` reads as ``\\01``), so
then it writes all three digits: ``"\\0001"``. Bytes >= 0x80 are never printed as text,
so a UTF-8 name shows as octal escapes, exactly as strace shows it.

A string cut at the limit gets ``...`` after the closing quote.
"""

from __future__ import annotations

import re

_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}


def _octal(byte: int, three_digits: bool) -> str:
    if three_digits:
        return f"\\{byte:03o}"
    return f"\\{byte:o}"


def _shown(byte: int, three_digits: bool) -> str:
    named = _NAMED.get(byte)
    if named is not None:
        return named
    if 0x20 <= byte < 0x7F:
        return chr(byte)
    return _octal(byte, three_digits)


# Bytes printed as they are: printable ASCII but the quote and the backslash.
_NEEDS_ESCAPE = re.compile(rb'[^\x20\x21\x23-\x5b\x5d-\x7e]')
# Every byte as strace shows it, for str.translate over the bytes read as latin-1 (one character
# a byte): the short form, and the three-digit form for a byte before an octal digit.
_SHORT = {byte: _shown(byte, False) for byte in range(256)}
_THREE = [_shown(byte, True) for byte in range(256)]
# A byte whose short form differs from its three-digit one (\0 to \37 but the named ones),
# followed by an octal digit.
_AMBIGUOUS = re.compile("[" + "".join(re.escape(chr(b)) for b in range(256) if _SHORT[b] != _THREE[b]) + "](?=[0-7])")


def escape(data: bytes) -> str:
    """The inside of strace's quotes for ``data`` (no quotes, no cut)."""
    if _NEEDS_ESCAPE.search(data) is None:
        return data.decode("ascii")  # the common case (a path, a word), without a loop per byte
    text = data.decode("latin-1")
    out: list[str] = []
    start = 0
    for match in _AMBIGUOUS.finditer(text):  # rare: most buffers translate in one step
        out.append(text[start:match.start()].translate(_SHORT))
        out.append(_THREE[ord(match.group())])
        start = match.end()
    out.append(text[start:].translate(_SHORT))
    return "".join(out)


def quote(data: bytes, cut: bool = False) -> str:
    """``data`` in double quotes, followed by ``...`` when it was cut short."""
    return f'"{escape(data)}"' + ("..." if cut else "")


def quote_cstring(blob: bytes, limit: int) -> str:
    """A NUL-terminated string read up to ``limit + 1`` bytes (a STR capture).

    Reading one byte more than the limit shows whether the string went on: strace prints
    the first ``limit`` bytes and ``...`` then.
    """
    if len(blob) > limit:
        return quote(blob[:limit], cut=True)
    return quote(blob)


def quote_buffer(blob: bytes, size: int, limit: int) -> str:
    """A buffer of ``size`` bytes of which ``blob`` holds the first ``min(size, limit)``."""
    shown = blob[: min(size, limit)]
    return quote(shown, cut=size > limit)


def quote_path(blob: bytes) -> str:
    """A path: strace never cuts paths at the string limit, only at PATH_MAX."""
    if len(blob) >= 4096:
        return quote(blob[:4095], cut=True)
    return quote(blob)
