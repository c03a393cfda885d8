"""Reading a learner's answer the same way in every check: paths, options, numbers, random parts.

A check promises to accept every answer that names what the program really did, in any form a
learner will give it. The forms live here, once, so that every check treats them alike:

- quotes around the whole answer (``'...'``, ``"..."``, backticks) and shell escapes
  (``Consent\\ To\\ Send\\ Stats``) as a shell would read them;
- ``~``, ``$HOME``, ``${XDG_CONFIG_HOME}`` and any other variable, from the environment the
  check runs in;
- the notebook's pretend home (``/tmp/wizard-home-XXXXXXXX/...``, made by
  ``notebooks/workshop.py``'s ``pretend_home()``): a home directory like the real one;
- ``--opt value``, ``--opt=value`` and ``opt: value``;
- a random part of a name (``tempfile`` adds 8 random characters) given as another run's
  characters or as a placeholder: ``*``, ``XXXXXXXX``, ``...``, ``<random>``, ``{random}``.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import tempfile
from collections.abc import Mapping
from typing import Any

# tempfile's random names: 8 characters from this alphabet (tempfile._RandomNameSequence).
RANDOM_LENGTH = 8
_RANDOM_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
# What learners write for "the random part": *, ?, XXXX, ..., <random>, {something}, #####.
_PLACEHOLDER = re.compile(r"(?:[*?]+|[Xx]{3,}|N{3,}|#{3,}|\.{3}|…|<[^<>/]*>|\{[^{}/]*\}|\[[^\[\]/]*\])")
_QUOTES = ("'", '"', "`")
# "$NAME" and "${NAME}" in a path.
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# notebooks/workshop.py: pretend_home() makes tempfile.mkdtemp(prefix="wizard-home-").
PRETEND_HOME_PREFIX = "wizard-home-"
_PRETEND_HOME = re.compile(r"^(?P<home>/(?:[^/]+/)*" + re.escape(PRETEND_HOME_PREFIX) + r"[^/]+)(?P<rest>/.*)?$")


def text_of(answer: Any) -> str | None:
    """The answer as text (a str, a path object, UTF-8 bytes or their ``b'...'`` repr), stripped; None if no text."""
    if isinstance(answer, bytes | bytearray):
        answer = bytes(answer).decode("utf-8", "replace")
    elif isinstance(answer, os.PathLike):
        answer = os.fspath(answer)
    if not isinstance(answer, str):
        return None
    answer = answer.strip()
    if re.fullmatch(r"""b(['"]).*\1""", answer, re.DOTALL):  # bytes as Python prints them: b'...\n'
        try:
            return ast.literal_eval(answer).decode("utf-8", "replace").strip()
        except (ValueError, SyntaxError, AttributeError):
            pass
    return answer


def unquoted(text: str) -> str:
    """``text`` as a shell would read one word: outer quotes gone, ``\\ `` read as a space.

    Text that is not one shell word (a path with bare spaces, as ``missing()`` prints it) is kept
    as it is, only without quotes around the whole of it.
    """
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES and text[0] not in text[1:-1]:
        return text[1:-1]
    if "\\" in text or "'" in text or '"' in text:
        try:
            words = shlex.split(text)
        except ValueError:  # an unmatched quote: not shell syntax after all
            return text
        if len(words) == 1:
            return words[0]
    return text


def words_of(text: str) -> list[str]:
    """Shell words of ``text`` (``--password 'a b'`` -> two words), or its plain words when it is no shell text."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def expand(path: str, env: Mapping[str, str] | None = None) -> str:
    """``~`` and ``$VARIABLES`` expanded from ``env`` (the check's own environment by default).

    A variable that is not set is left as written, as the shell's ``${NAME}`` would not be.
    """
    env = os.environ if env is None else env
    home = env.get("HOME") or os.path.expanduser("~")
    if path == "~" or path.startswith("~/"):
        path = home + path[1:]

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name == "TMPDIR" and name not in env:  # unset: programs use the usual temporary directory
            return tempfile.gettempdir()
        return env.get(name, match.group(0))

    return _VARIABLE.sub(value, path)


def as_path(answer: Any, env: Mapping[str, str] | None = None, cwd: str | None = None) -> str | None:
    """The answer as a normalised path: unquoted, unescaped, ``~`` and variables expanded.

    Relative answers stay relative unless ``cwd`` is given. None when the answer is not text or is empty.
    """
    text = text_of(answer)
    if not text:
        return None
    path = expand(unquoted(text), env)
    if cwd is not None:
        path = os.path.join(cwd, path)
    return os.path.normpath(path) if path else None


def pretend_home(path: str) -> tuple[str, str] | None:
    """(the pretend home, the rest of the path) for a path inside a notebook's pretend home, else None.

    ``/tmp/wizard-home-ab12cd34/.config/x`` -> ``("/tmp/wizard-home-ab12cd34", "/.config/x")``.
    """
    found = _PRETEND_HOME.match(path)
    return (found.group("home"), found.group("rest") or "") if found else None


def home_env(home: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a notebook's pretend home gives a program: that home, and XDG folders inside it."""
    return {**(os.environ if env is None else env), "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config",
            "XDG_DATA_HOME": f"{home}/.local/share"}


def option_values(text: str) -> list[tuple[str | None, str]]:
    """The (option, value) pairs an answer gives: ``--opt value``, ``--opt=value``, ``opt: value``; or (None, value).

    >>> option_values("--password owl-feather-42")
    [('--password', 'owl-feather-42')]
    >>> option_values("owl-feather-42")
    [(None, 'owl-feather-42')]
    """
    text = unquoted(text.strip())
    colon = re.fullmatch(r"(-{0,2}[A-Za-z][\w-]*)\s*[:=]\s*(.+)", text)
    if colon and " " not in colon.group(1):
        name = colon.group(1)
        return [(name if name.startswith("-") else f"--{name}", unquoted(colon.group(2)))]
    words = words_of(text)
    pairs: list[tuple[str | None, str]] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("-") and "=" in word:
            name, _, value = word.partition("=")
            pairs.append((name, value))
        elif word.startswith("-") and i + 1 < len(words) and not words[i + 1].startswith("-"):
            pairs.append((word, words[i + 1]))
            i += 1
        else:
            pairs.append((None, word))
        i += 1
    if len(words) > 1 and all(name is None for name, _ in pairs):
        return [(None, text)]  # plain words, such as a sentence: one value
    return pairs


def _random_tail(name: str) -> bool:
    return len(name) >= RANDOM_LENGTH and set(name[-RANDOM_LENGTH:]) <= _RANDOM_CHARS


def same_name(given: str, real: str, *, random: bool = False) -> bool:
    """Whether a file name names ``real``; with ``random``, ``real`` ends in tempfile's random part.

    Then another run's random characters, or a placeholder for them (``*``, ``XXXXXXXX``,
    ``<random>``...), name it too: ``wizard-sync-*`` is ``wizard-sync-k2j4h5g6``.
    """
    if given == real:
        return True
    if not random or not _random_tail(real):
        return False
    prefix = real[:-RANDOM_LENGTH]
    if not given.startswith(prefix):
        return False
    tail = given[len(prefix):]
    return (len(tail) == RANDOM_LENGTH and set(tail) <= _RANDOM_CHARS) or bool(_PLACEHOLDER.fullmatch(tail))


def same_path(given: str, real: str, *, random_parts: int = 0) -> bool:
    """Whether ``given`` names ``real``, part by part; the last ``random_parts`` parts of ``real``
    that end in random characters may be given as another run's or as a placeholder (see :func:`same_name`).

    Both should be normalised absolute paths; symbolic links in the directories are followed.
    """
    given_parts, real_parts = given.split(os.sep), real.split(os.sep)
    if len(given_parts) != len(real_parts):
        return False
    fixed = len(real_parts) - random_parts
    for i, (mine, theirs) in enumerate(zip(given_parts, real_parts, strict=True)):
        if not same_name(mine, theirs, random=i >= fixed):
            # /tmp may be a link: compare the fixed directories as the system resolves them
            if i < fixed and os.path.realpath(os.sep.join(given_parts[:i + 1]) or "/") == \
                    os.path.realpath(os.sep.join(real_parts[:i + 1]) or "/"):
                continue
            return False
    return True


def has_placeholder(path: str) -> bool:
    """Whether a path holds a placeholder for a random part (``*``, ``XXXX``, ``<random>``...)."""
    return any(_PLACEHOLDER.search(part) for part in path.split(os.sep) if part not in (".", ".."))


def words(text: str) -> str:
    """Text compared as words: case folded, runs of spaces one space, no end punctuation or quotes."""
    text = unquoted(text)
    return " ".join(text.casefold().split()).strip(".!?,;: ")


_NUMBER = re.compile(r"^\s*(?:about|around|roughly|approximately|~|≈)?\s*([-+]?(?:\d[\d,_]*(?:\.\d*)?|\.\d+)"
                     r"(?:e[-+]?\d+)?)\s*(?:/\s*(\d+))?\s*(.*?)\s*$", re.IGNORECASE)


def as_number(answer: Any) -> tuple[float, str] | None:
    """A number and the unit words after it: ``"1,500 writes/s"`` -> (1500.0, "writes/s"), ``"1/4 s"`` -> (0.25, "s").

    Numbers in Python (int, float) come with no unit. None when the answer holds no number first.
    """
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int | float):
        return float(answer), ""
    text = text_of(answer)
    if text is None:
        return None
    found = _NUMBER.match(unquoted(text))
    if not found:
        return None
    try:
        number = float(found.group(1).replace(",", "").replace("_", ""))
    except ValueError:
        return None
    if found.group(2):
        if float(found.group(2)) == 0:
            return None
        number /= float(found.group(2))
    return number, found.group(3).casefold()


def as_count(answer: Any) -> int | None:
    """A whole number, given as a number or text (``12``, ``"12"``, ``12.0``, ``"12 files"``); else None."""
    found = as_number(answer)
    if found is None or not found[0].is_integer() or found[0] < 0:
        return None
    return int(found[0])


def as_seconds(answer: Any) -> float | None:
    """Seconds from ``0.25``, ``"0.25 s"``, ``"250 ms"``, ``"1/4 second"``; None for other units or no number."""
    found = as_number(answer)
    if found is None:
        return None
    number, unit = found
    unit = unit.removeprefix("of a ").strip()
    if unit in ("", "s", "sec", "secs", "second", "seconds"):
        return number
    if unit in ("ms", "msec", "millisecond", "milliseconds"):
        return number / 1000
    return None
