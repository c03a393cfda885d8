"""Flag and constant tables, kept as data, and strace's two ways of printing them.

A ``Flags`` table prints a bit mask as names joined by ``|`` (``O_CREAT|O_TRUNC``), in the
table's order (strace's xlat order, not numeric order). A ``Values`` table prints one value
(``SEEK_SET``). What no name covers is printed the way strace prints it: leftover bits as
``|0x...``, an unknown value as ``0x... /* SEEK_??? */``.

The tables live in one small module per family (files, process, network, memory, signals,
ioctl, futex); values come from Python's ``os``, ``socket``, ``signal``, ``stat``, ``mmap``,
``fcntl``, ``select`` and ``termios`` modules wherever they hold them.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType


class Flags:
    """A bit-mask table: ``fmt(0o1101)`` -> ``"O_WRONLY|O_CREAT|O_TRUNC"``-style text."""

    def __init__(self, items: Iterable[tuple[str, int]], unknown: str, zero: str | None = None):
        self.items = [(name, value) for name, value in items if value]
        self.unknown = unknown  # the comment strace prints when no name matches, e.g. "O_???"
        self.zero = zero  # the name strace prints for 0, when it has one
        self.by_name = {name: value for name, value in self.items}

    def names(self, value: int) -> tuple[list[str], int]:
        """The names set in ``value``, and the bits left over."""
        names = []
        for name, bits in self.items:
            if value & bits == bits:
                names.append(name)
                value &= ~bits
        return names, value

    def fmt(self, value: int, *, comment: bool = True) -> str:
        """strace's printflags: names in table order, then leftover bits in hex."""
        if value == 0:
            return self.zero if self.zero is not None else "0"
        names, rest = self.names(value)
        if not names:
            return f"{rest:#x} /* {self.unknown} */" if comment else f"{rest:#x}"
        if rest:
            names.append(f"{rest:#x}")
        return "|".join(names)


class Values:
    """A table of single values: ``fmt(1)`` -> ``"SEEK_CUR"``; unknown -> ``0x7 /* SEEK_??? */``."""

    def __init__(self, items: Iterable[tuple[str, int]], unknown: str, *, decimal: bool = False):
        self.by_value: dict[int, str] = {}
        for name, value in items:
            self.by_value.setdefault(value, name)  # the first name wins, as in strace's xlat
        self.by_name = {name: value for value, name in self.by_value.items()}
        self.unknown = unknown
        self.decimal = decimal  # some unknowns strace prints in decimal (signal numbers, fds)

    def get(self, value: int) -> str | None:
        return self.by_value.get(value)

    def fmt(self, value: int) -> str:
        name = self.by_value.get(value)
        if name is not None:
            return name
        if self.decimal:
            return f"{value} /* {self.unknown} */"
        return f"{value:#x} /* {self.unknown} */" if value >= 0 else f"{value & 0xFFFFFFFF:#x} /* {self.unknown} */"


def pick(module: ModuleType, names: str, extra: dict[str, int] | None = None) -> list[tuple[str, int]]:
    """``(name, value)`` pairs in the order given, from ``module`` or else from ``extra``.

    ``extra`` holds what Python does not export, each with a comment naming its kernel header
    where it is defined. A name found in neither is skipped.
    """
    extra = extra or {}
    out = []
    for name in names.split():
        value = getattr(module, name, None)
        if value is None:
            value = extra.get(name)
        if value is not None:
            out.append((name, int(value)))
    return out


def octal_mode(mode: int) -> str:
    """strace's ``%#03o``: ``0644``, ``04755``, ``000``."""
    return f"0{mode:02o}" if mode else "000"
