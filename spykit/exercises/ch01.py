"""Chapter 01, the case of the missing config file.

- ``q1``: where does Wizard Browser (``mysteries/consent.py``) look for your consent? Checked by
  putting a file at that path (in a private copy of your home) and running the browser again.
- ``q2``: a secret handed to a helper by ``mysteries/secret_helpers.py``.
- ``q3``: the message ``mysteries/chatty.py`` passes to its server.
- ``q4``: where ``mysteries/hidden_log.py`` keeps its diary.

q2-q4 are checked against a traced run of the program.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from ._core import Exercise, Verdict, correct, incorrect, unchecked
from ._live import argument_values, mystery, traced

# -- q1: the consent file ------------------------------------------------------------------------------

# The places a user's files live, the variable that says so, and the default when it is unset.
_HOME_VARIABLES = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "HOME")


def _relocate(path: str, env: dict[str, str], scratch: Path) -> tuple[str | None, dict[str, str]]:
    """Move ``path`` into a private copy of the user's directories under ``scratch``.

    Returns the path inside the copy (None when ``path`` is in none of the user's directories)
    and the environment that makes a program see the copy as home.
    """
    home = env.get("HOME") or os.path.expanduser("~")
    real = {"HOME": home,
            "XDG_CONFIG_HOME": env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"),
            "XDG_DATA_HOME": env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")}
    fake = {name: str(scratch / name.lower()) for name in _HOME_VARIABLES}
    moved = None
    # The most specific directory first: ~/.config is inside ~.
    for name in sorted(real, key=lambda n: len(real[n]), reverse=True):
        base = os.path.normpath(real[name])
        if path == base or path.startswith(base + os.sep):
            moved = fake[name] + path[len(base):]
            break
    return moved, {**env, **fake}


def _consent_output(env: dict[str, str]) -> str:
    run = subprocess.run(mystery("consent"), env=env, capture_output=True, text=True, timeout=30, check=False)
    return run.stdout


def check_consent_path(answer: Any) -> Verdict:
    if not isinstance(answer, str | os.PathLike):
        return incorrect("Give the path as a string, e.g. '/home/you/somewhere/some file'.")
    path = os.path.normpath(os.path.expandvars(os.path.expanduser(os.fspath(answer).strip())))
    if not os.path.isabs(path):
        return incorrect("Give the whole path, starting with / (or with ~ for your home directory).")
    try:
        with tempfile.TemporaryDirectory(prefix="spykit-check-") as scratch:
            moved, env = _relocate(path, dict(os.environ), Path(scratch))
            if moved is None:
                return incorrect("The browser only looks under your home directory (and the XDG directories). "
                                 "Look again at what trace.missing() lists.")
            before = _consent_output(env)
            os.makedirs(os.path.dirname(moved), exist_ok=True)
            if os.path.isdir(moved):
                return incorrect("That is a directory the browser passes through; it wants a file inside it.")
            with open(moved, "w", encoding="utf-8") as consent:
                consent.write("APPRENTICE-CHECK\n")
            after = _consent_output(env)
    except (OSError, subprocess.SubprocessError) as problem:
        return unchecked(f"The browser could not be run to check the answer: {problem}")
    if "statistics: ON" in after and "statistics: OFF" in before:
        return correct("With a file there, Wizard Browser changed its mind: 'Usage statistics: ON'. "
                       "(It reads the first line as your install id.)")
    return incorrect("With a file at that path the browser still says 'Usage statistics: OFF'. "
                     "Look at the paths it tried and did not find: trace.missing().")


q1 = Exercise(
    "ch01.q1", "Where does Wizard Browser (mysteries/consent.py) look for your consent? Give a path.",
    check_consent_path,
    hints=[
        "Trace it: t = spykit.trace(workshop.mystery('consent')). What did it look for?",
        "t.missing() lists the files it looked for and did not find. Most are Python's own business.",
        "One of the missing paths has 'wizard-browser' in it. Create that file (any content) and run it again.",
    ],
    solution="~/.config/wizard-browser/Consent To Send Stats (or $XDG_CONFIG_HOME/wizard-browser/...). "
             "It also tries ~/.local/share/wizard-browser/ and ~/.wizard-browser/; any of them works. Found with "
             "[p for p in t.missing()['path'] if 'wizard' in p].",
    example="q1.check('~/some/dir/some file')",
)

# -- q2: the secret argument ---------------------------------------------------------------------------


def check_secret(answer: Any) -> Verdict:
    if not isinstance(answer, str):
        return incorrect("Give the secret as a string.")
    import spykit

    try:
        trace = traced("secret_helpers")
    except spykit.TracingNotPermitted as refused:
        return unchecked(f"Tracing is not allowed here, so the answer cannot be checked: {refused.message}")
    given = answer.strip().strip("'\"")
    ids, passwords = argument_values(trace, "--install-id"), argument_values(trace, "--password")
    if given in passwords:
        return correct("That is the updater's password, handed over on its command line, where anyone "
                       "who lists processes (or traces execve) can read it.")
    if given in ids:
        return correct("That is the install id given to the crash reporter. The updater got a password "
                       "too: can you find it?")
    if given.lower() in {"--password", "--install-id", "--sync", "--type=crash-reporter"}:
        return incorrect("That is the name of an option; the secret is the value after it.")
    return incorrect("Neither helper was given that. Look at the argv of every execve: trace.processes().")


q2 = Exercise(
    "ch01.q2", "mysteries/secret_helpers.py hands its helpers a secret. What is one of them?", check_secret,
    hints=[
        "A program starts another with execve, and the arguments are right there in the call.",
        "trace.processes() has an argv column: every command line each process ran.",
        "One helper runs through /bin/sh: look at its child, the grandchild. What follows --password?",
    ],
    solution="[argv for runs in t.processes()['argv'] for argv in runs] shows '--install-id "
             "9AB27880551192CE2F44D8F3' for the crash reporter and '--password owl-feather-42' for the updater.",
    example="q2.check('hunter2')",
)

# -- q3: the message to the server ---------------------------------------------------------------------


def _sent_lines(trace) -> list[bytes]:
    traffic = trace.network()
    sent = traffic[traffic["direction"] == "out"]["data"]
    return [bytes(d) for d in sent if isinstance(d, bytes | bytearray)]


def _normal(text: str | bytes) -> str:
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8", "replace")
    return " ".join(text.strip().rstrip(".!").upper().split())


def check_message(answer: Any) -> Verdict:
    if not isinstance(answer, str | bytes):
        return incorrect("Give the message as a string.")
    import spykit

    try:
        trace = traced("chatty")
    except spykit.TracingNotPermitted as refused:
        return unchecked(f"Tracing is not allowed here, so the answer cannot be checked: {refused.message}")
    sent = _sent_lines(trace)
    said = {_normal(line) for line in sent}
    given = _normal(answer)
    if not given:
        return incorrect("That message is empty.")
    if given in said and not given.startswith(("HELLO", "GOT IT")):
        return correct("That is what it sent, and what its own server received: everything a program "
                       "sends goes through sendto (or write) and shows in a trace.")
    if given in said:
        return incorrect("That was said, but it is small talk. The message comes after the server asks for it.")
    return incorrect("It sent nothing like that. trace.network() shows each send with its data.")


q3 = Exercise(
    "ch01.q3", "mysteries/chatty.py has a word with its server. What message does it pass on?", check_message,
    hints=[
        "Whatever goes over a socket passes through a system call: sendto, sendmsg or write.",
        "trace.network() has a direction column and the data of each call.",
        "Keep the rows going out: net[net['direction'] == 'out']['data']. Skip the greeting.",
    ],
    solution="MEET THE OWL AT NOON. - found with t.network() filtered to direction 'out'.",
    example="q3.check('...')",
)

# -- q4: the hidden log ----------------------------------------------------------------------------------


def check_log_path(answer: Any) -> Verdict:
    if not isinstance(answer, str | os.PathLike):
        return incorrect("Give the path as a string.")
    import spykit

    path = Path(os.path.expanduser(os.fspath(answer).strip()))
    try:
        trace = traced("hidden_log", "--seconds", "0.5")
    except spykit.TracingNotPermitted as refused:
        return unchecked(f"Tracing is not allowed here, so the answer cannot be checked: {refused.message}")
    written = trace.writes()
    files = [Path(d) for d in written[written["kind"] == "file"]["destination"] if not d.endswith("(deleted)")]
    if not files:
        return unchecked("The traced run wrote no file this time; run the check again.")
    for diary in files:
        # A directory made afresh each run has a random name: the same place and the same kind of name is right.
        prefix = diary.parent.name.split("-")[0] + "-"
        same_place = os.path.realpath(path.parent.parent) == os.path.realpath(diary.parent.parent)
        if path.name == diary.name and path.parent.name.startswith(prefix) and same_place:
            return correct(f"It writes {diary.name} in a hidden directory under {diary.parent.parent}; the "
                           "directory's name changes every run, and it is deleted at the end.")
        if path.name == diary.name:
            return incorrect(f"Right file name, wrong place: the program keeps it in a new hidden directory "
                             f"(named {prefix}...) under {diary.parent.parent}.")
    return incorrect("It writes to no file of that name. trace.writes() lists every destination it wrote to.")


q4 = Exercise(
    "ch01.q4", "mysteries/hidden_log.py keeps a diary. Where? Give the path from one run.", check_log_path,
    hints=[
        "Writing to a file is a write call on a file descriptor; spykit shows which file it is.",
        "trace.writes() lists each destination: files, pipes, the terminal.",
        "Keep the destinations of kind 'file'. The directory's name changes each run, but not its place.",
    ],
    solution="A file .diary.log in a new hidden directory .quiet-XXXX under the temporary directory "
             "(usually /tmp): t.writes().query(\"kind == 'file'\")['destination'].",
    example="q4.check('/some/where/file.log')",
)

__all__ = ["q1", "q2", "q3", "q4"]
