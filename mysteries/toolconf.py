"""wizfmt: the wizard's text formatter. It has a config file, somewhere. Where?

Wizard exercises. It formats a short scroll, plainly, because it finds no configuration.
Find a place where it looks for one, create a file there (a line such as `width = 30`
will do), and watch it change. Then look again: once it has a config file, it looks for
one more file.

    python mysteries/toolconf.py
    python mysteries/toolconf.py --help

It only reads files; it never writes, sends or deletes anything.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import textwrap


def _unseal(sealed: str) -> str:
    """Decode a value stored so that reading this file does not give it away at a glance."""
    return base64.b64decode(sealed).decode()[::-1]


_TOOL = "wizfmt"
_ENV_VARIABLE = "WIZFMT_CONFIG"
_CONFIG_NAME = _unseal("Zm5vYy50bWZ6aXc=")
_DOT_NAME = "." + _CONFIG_NAME
_INCLUDE = (_unseal("ZC50bWZ6aXc="), _unseal("c2VsdXIuZXN1b2g="))
_DEFAULT_WIDTH = 60

_SCROLL = (
    "To every apprentice: the owl post leaves at noon. Letters without a seal will be read by "
    "the owls, who gossip. Spell books are to be returned to the library by Friday, and the "
    "library cat is not to be fed, whatever it says."
)


def places_to_look() -> list[str]:
    """Where wizfmt looks for its config file, in order; the first that opens wins.

    Like real tools: a file named by an environment variable, one in the current directory,
    the user's XDG config directory, one next to the installed program (its ../etc), and
    the system-wide one.
    """
    places = []
    named = os.environ.get(_ENV_VARIABLE)
    if named:
        places.append(named)
    places.append(_DOT_NAME)  # relative: in whatever directory it is run from
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    places.append(os.path.join(config_home, _TOOL, _CONFIG_NAME))
    program_dir = os.path.dirname(os.path.realpath(__file__))
    places.append(os.path.join(program_dir, os.pardir, "etc", _CONFIG_NAME))
    places.append(os.path.join("/etc", _CONFIG_NAME))
    return places


def _read(path: str) -> str | None:
    """The text of a file, or None when it cannot be opened as one."""
    try:
        with open(path, encoding="utf-8", errors="replace") as config:
            return config.read(64 * 1024)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return None


def parse_settings(text: str) -> dict[str, str]:
    """``key = value`` lines; blank lines and ``#`` comments are skipped."""
    settings = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            key, value = line.split("=", 1)
            settings[key.strip().lower()] = value.strip()
    return settings


def parse_rules(text: str) -> list[tuple[str, str]]:
    """House rules: ``word => replacement`` lines."""
    rules = []
    for line in text.splitlines():
        if "=>" in line:
            old, new = (part.strip() for part in line.split("=>", 1))
            if old:
                rules.append((old, new))
    return rules


def _width(settings: dict[str, str]) -> int:
    try:
        return min(100, max(20, int(settings.get("width", _DEFAULT_WIDTH))))
    except ValueError:
        return _DEFAULT_WIDTH


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=_TOOL, description="Format the scroll of the day.",
        epilog=f"environment:\n  {_ENV_VARIABLE}  a config file to read before looking anywhere else",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)

    print(f"{_TOOL} 2.1, the wizard's formatter")
    settings: dict[str, str] = {}
    rules: list[tuple[str, str]] = []
    for place in places_to_look():
        text = _read(place)
        if text is None:
            continue
        settings = parse_settings(text)
        print(f"Configuration loaded: {len(settings)} setting(s).")
        # The second level: house rules kept next to the config file that was found.
        house = _read(os.path.join(os.path.dirname(place), *_INCLUDE))
        if house is None:
            print("No house rules.")
        else:
            rules = parse_rules(house)
            print(f"House rules: {len(rules)} applied.")
        break
    else:
        print("No configuration found: using the plain defaults.")

    scroll = _SCROLL
    for old, new in rules:
        scroll = scroll.replace(old, new)
    print()
    print(textwrap.fill(scroll, width=_width(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
