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

from ._answers import (
    RANDOM_LENGTH,
    as_path,
    home_env,
    option_values,
    pretend_home,
    same_path,
    text_of,
    unquoted,
    words,
    words_of,
)
from ._core import Exercise, Verdict, correct, incorrect, unchecked
from ._live import command_lines, mystery, traced

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


def _consent_run(env: dict[str, str]) -> tuple[str, dict[str, bool] | None]:
    """The browser's output, and the paths it (or Python under it) looked for and did not find,
    each with whether it was a start-up lookup (the ``startup`` column).

    The paths are None where tracing is not allowed: then the browser is only run.
    """
    import spykit

    try:
        trace = spykit.trace(mystery("consent"), env=env, capture_output=True, timeout=30)
    except spykit.TracingNotPermitted:
        return _consent_output(env), None
    output = (trace.stdout or b"").decode("utf-8", "replace")
    own = {os.path.normpath(p) for p in trace.missing()["path"]}
    return output, {os.path.normpath(p): os.path.normpath(p) not in own
                    for p in trace.missing(startup=True)["path"]}


def _consent_output(env: dict[str, str]) -> str:
    run = subprocess.run(mystery("consent"), env=env, capture_output=True, text=True, timeout=30, check=False)
    return run.stdout


def _not_the_browsers(at_startup: bool) -> Verdict:
    """For a path the traced run did look for, but a file at which changes nothing."""
    if at_startup:
        return incorrect("The program did look for that path, but not for your consent: it is a start-up lookup "
                         "(trace.missing(startup=True) shows those), made by the Python interpreter or the "
                         "system's loader before the browser's own code runs. Which path does trace.missing() "
                         "list with the browser's name in it?")
    return incorrect("The program did look for that path, but a file there changes nothing: the browser still "
                     "says 'Usage statistics: OFF'. Which path does trace.missing() list with the browser's name "
                     "in it?")


def check_consent_path(answer: Any) -> Verdict:
    if text_of(answer) is None:
        return incorrect("Give the path as a string, e.g. '/home/you/somewhere/some file'.")
    path = as_path(answer)
    if not path or not os.path.isabs(path):
        return incorrect("Give the whole path, starting with / (or with ~ for your home directory).")
    env = dict(os.environ)
    pretend = pretend_home(path)
    if pretend:  # the notebook's pretend home is a home like any other: the browser looks in it the same way
        env = home_env(pretend[0], env)
    try:
        with tempfile.TemporaryDirectory(prefix="spykit-check-") as scratch:
            moved, env = _relocate(path, env, Path(scratch))
            if moved is None:
                _, looked = _consent_run(env)
                if looked is not None and path in looked:
                    return _not_the_browsers(looked[path])
                return incorrect("The browser only looks under your home directory (and the XDG directories). "
                                 "Look again at what trace.missing() lists.")
            before, looked = _consent_run(env)
            os.makedirs(os.path.dirname(moved), exist_ok=True)
            if os.path.isdir(moved) or any(p.startswith(moved + os.sep) for p in looked or ()):
                return incorrect("That is a directory the browser passes through; it wants a file inside it.")
            with open(moved, "w", encoding="utf-8") as consent:
                consent.write("APPRENTICE-CHECK\n")
            after = _consent_output(env)
    except (OSError, subprocess.SubprocessError) as problem:
        return unchecked(f"The browser could not be run to check the answer: {problem}")
    if "statistics: ON" in after and "statistics: OFF" in before:
        return correct("With a file there, Wizard Browser changed its mind: 'Usage statistics: ON'. "
                       "(It reads the first line as your install id.)")
    if looked is not None and moved in looked:
        return _not_the_browsers(looked[moved])
    return incorrect("With a file at that path the browser still says 'Usage statistics: OFF'. "
                     "Look at the paths it tried and did not find: trace.missing().")


q1 = Exercise(
    "ch01.q1", "Where does Wizard Browser (mysteries/consent.py) look for your consent? Give a path.",
    check_consent_path,
    hints=[
        "Trace it: t = spykit.trace(workshop.mystery('consent')). What did it look for?",
        "t.missing() lists the files it looked for and did not find (the start-up lookups every Python program "
        "makes are left out; t.missing(startup=True) shows them too).",
        "One of the missing paths has 'wizard-browser' in it. Create that file (any content) and run it again.",
    ],
    solution="~/.config/wizard-browser/Consent To Send Stats (or $XDG_CONFIG_HOME/wizard-browser/...). "
             "It also tries ~/.local/share/wizard-browser/ and ~/.wizard-browser/; any of them works. Found with "
             "[p for p in t.missing()['path'] if 'wizard' in p].",
    example="q1.check('~/some/dir/some file')",
)

# -- q2: the secret argument ---------------------------------------------------------------------------


_SECRET_OPTIONS = {"--password": "the updater's password", "--install-id": "the crash reporter's install id"}


def check_secret(answer: Any) -> Verdict:
    text = text_of(answer)
    if not text:
        return incorrect("Give the secret as a string.")
    import spykit

    try:
        trace = traced("secret_helpers")
    except spykit.TracingNotPermitted as refused:
        return unchecked(f"Tracing is not allowed here, so the answer cannot be checked: {refused.message}")
    lines = command_lines(trace)
    secrets = {argv[i + 1]: option for argv in lines for i, option in enumerate(argv[:-1])
               if option in _SECRET_OPTIONS}
    # "--password VALUE", "--password=VALUE", "VALUE", and the value anywhere in a sentence ("the id is VALUE")
    for option, value in [*option_values(text), *((None, word.strip(".,;:!")) for word in words_of(text))]:
        if value in secrets:
            real = secrets[value]
            if option is not None and option != real:
                return incorrect(f"{value} was handed over after {real}, not after {option}.")
            if real == "--password":
                return correct(f"{value} is the updater's password, handed over on its command line "
                               f"({real} {value}), where anyone who lists processes (or traces execve) can read it.")
            return correct(f"{value} is the install id given to the crash reporter ({real} {value}). The updater "
                           "got a password too: can you find it?")
    given = unquoted(text)
    if given in _SECRET_OPTIONS:
        return incorrect(f"{given} is the name of an option; the secret is the value after it.")
    for argv in lines:
        if given in argv:
            where = "the program it ran" if argv.index(given) == 0 else "an argument it was given"
            return incorrect(f"{given!r} is {where} in the command line {' '.join(argv[:1])} ...: no secret. "
                             "Which values follow options such as --password?")
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


def _sent_lines(trace) -> list[tuple[bytes, bool]]:
    """Each line sent over a socket, and whether the program's main thread (not its server thread) sent it."""
    traffic = trace.network()
    out = traffic[traffic["direction"] == "out"]
    threads = trace.df.loc[out.index, "tgid"] if len(out) else []
    return [(bytes(data), int(pid) == int(tgid)) for data, pid, tgid in zip(out["data"], out["pid"], threads,
                                                                             strict=True)
            if isinstance(data, bytes | bytearray)]


def _normal(text: str | bytes) -> str:
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8", "replace")
    return words(text).upper()


def check_message(answer: Any) -> Verdict:
    text = text_of(answer)
    if text is None:
        return incorrect("Give the message as a string.")
    given = _normal(text)
    if not given:
        return incorrect("That message is empty.")
    import spykit

    try:
        trace = traced("chatty")
    except spykit.TracingNotPermitted as refused:
        return unchecked(f"Tracing is not allowed here, so the answer cannot be checked: {refused.message}")
    said = [(_normal(line), mine) for line, mine in _sent_lines(trace)]
    mine = [line for line, by_program in said if by_program]
    # the message alone, or within a sentence ("it says MEET THE OWL AT NOON")
    if given in mine[1:2] or any(len(line) > 4 and line in given for line in mine[1:2]):
        return correct("That is what it sent, and what its own server received: everything a program "
                       "sends goes through sendto (or write) and shows in a trace.")
    if given in mine[:1]:
        return incorrect("That is its greeting, small talk before the message. The message comes after the "
                         "server asks for it.")
    if any(given == line for line, by_program in said if not by_program):
        return incorrect("That is what the server said (its server thread sent it), not the message passed on.")
    return incorrect("It sent no such message. trace.network() shows each send with its data.")


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
    if text_of(answer) is None:
        return incorrect("Give the path as a string.")
    path = as_path(answer)
    if not path or not os.path.isabs(path):
        return incorrect("Give the whole path, starting with /: the directory matters as much as the name.")
    import spykit

    try:
        trace = traced("hidden_log", "--seconds", "0.5")
    except spykit.TracingNotPermitted as refused:
        return unchecked(f"Tracing is not allowed here, so the answer cannot be checked: {refused.message}")
    written = trace.writes()
    files = [d.removesuffix(" (deleted)") for d in written[written["kind"] == "file"]["destination"]]
    diaries = [d for d in files if d.endswith(".log")]
    if not diaries:
        return unchecked("The traced run wrote no diary this time; run the check again.")
    diary = diaries[0]
    hideout = os.path.dirname(diary)
    # The hidden directory is made afresh each run with a random name: another run's, or a placeholder, is right.
    if same_path(path, diary, random_parts=2):
        return correct(f"It writes {os.path.basename(diary)} in a hidden directory under {os.path.dirname(hideout)}"
                       "; the directory's name changes every run, and it is deleted at the end.")
    if same_path(path, hideout, random_parts=1):
        return incorrect("That is the hidden directory it makes; the diary is a file in it. Which one?")
    for other in files:
        if other not in diaries and same_path(path, other, random_parts=1):
            return incorrect(f"It did write {other}, but only to see that the temporary directory works: Python's "
                             "tempfile writes a file with a random name there and deletes it at once. The diary "
                             "is written again and again.")
    for destination, kind in zip(written["destination"], written["kind"], strict=True):
        if kind != "file" and path == destination:
            return incorrect(f"That is where it prints its messages ({kind}), not its diary.")
    if os.path.basename(path) == os.path.basename(diary):
        return incorrect(f"Right file name, wrong place: the program keeps it in a new hidden directory "
                         f"(named {os.path.basename(hideout)[:-RANDOM_LENGTH]}...) under {os.path.dirname(hideout)}.")
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
