"""Wizard Browser: a pretend browser that asks whether it may send usage statistics.

Chapter 1, the case of the missing config file. Run it, then find out where it
looks for its answer, and change its mind.

    python mysteries/consent.py

It only reads files (under your home directory); it never writes, sends or deletes anything.
"""

from __future__ import annotations

import os
import sys

# The file's name, as the real browser in the talk spelled its own.
_CONSENT_NAME = "Consent To Send Stats"
_APP = "wizard-browser"


def _places_to_look() -> list[str]:
    """Where the browser looks for its consent file, first match wins.

    Like real programs it honours the XDG base directory variables and falls back to
    $HOME, so every place is one an ordinary user can create.
    """
    home = os.path.expanduser("~")
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return [
        os.path.join(config_home, _APP, _CONSENT_NAME),
        os.path.join(data_home, _APP, _CONSENT_NAME),
        os.path.join(home, "." + _APP, _CONSENT_NAME),  # where version 0.1 kept it
    ]


def _read_consent() -> str | None:
    """The content of the first consent file that opens, or None when there is none."""
    for place in _places_to_look():
        try:
            with open(place, encoding="utf-8", errors="replace") as consent:
                return consent.read(200).strip()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
            continue
    return None


def _describe_system() -> str:
    """A line about the machine, read from files that do exist (a browser reads plenty)."""
    try:
        with open("/etc/os-release", encoding="utf-8") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return os.uname().sysname


def main() -> int:
    print("Wizard Browser 1.0")
    print(f"Running on {_describe_system()}.")
    consent = _read_consent()
    if consent is None:
        print("Usage statistics: OFF.")
        print("We will never send anything unless you told us you agree.")
        return 0
    install_id = consent.splitlines()[0] if consent else "anonymous"
    print("Usage statistics: ON.")
    print(f"Thank you for helping! Crash reports will carry your install id: {install_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
