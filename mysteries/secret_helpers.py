"""Wizard Browser's launcher: it starts a few helper programs, then waits for them.

Chapter 1, spying on the programs a program starts. The helpers are handed
something on their command line that nobody shows you. What is it?

    python mysteries/secret_helpers.py

It only starts short-lived copies of Python and /bin/sh; nothing is written or sent.
"""

from __future__ import annotations

import base64
import subprocess
import sys


def _unseal(sealed: str) -> str:
    """Decode a value stored so that reading this file does not give it away at a glance."""
    return base64.b64decode(sealed).decode()[::-1]


# Both helpers check that they were given what they need, the way real helpers refuse to run without it.
# Each secret is a separate short argument: strace (and spykit) show 32 characters of a string by default.
_REPORTER_CODE = """
import sys
args = sys.argv[1:]
sys.exit(0 if "--install-id" in args and args.index("--install-id") + 1 < len(args) else 3)
"""

_SYNC_SCRIPT = """
# the updater: run the sync client, and keep quiet about it
"$0" -c 'import sys; sys.exit(0 if len(sys.argv) == 4 else 3)' --sync --password "$1" || exit 4
exit 0
"""


def _helpers() -> list[tuple[str, list[str]]]:
    """Each helper's role and the command that starts it."""
    install_id = _unseal("M0Y4RDQ0RjJFQzI5MTE1NTA4ODcyQkE5")
    password = _unseal("MjQtcmVodGFlZi1sd28=")
    return [
        ("crash reporter", [sys.executable, "-c", _REPORTER_CODE, "--type=crash-reporter",
                            "--install-id", install_id]),
        ("updater", ["/bin/sh", "-c", _SYNC_SCRIPT, sys.executable, password]),
    ]


def main() -> int:
    print("Wizard Browser launcher: starting the helpers.")
    failed = 0
    for role, command in _helpers():
        finished = subprocess.run(command, stdin=subprocess.DEVNULL, check=False)
        ok = finished.returncode == 0
        failed += not ok
        print(f"  the {role} {'did its job' if ok else 'failed'}.")
    print("All helpers have finished." if not failed else f"{failed} helper(s) failed.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
