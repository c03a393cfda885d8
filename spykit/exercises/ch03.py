"""Chapter 03, wizard exercises: new programs, less guidance, one checked answer each.

- ``q1`` (``mysteries/hangs.py``): it hangs. Which file has to go for it to finish? Give its path
  from one run. Checked by running the program, removing that file while it hangs, and seeing
  whether it then finishes.
- ``q2`` (``mysteries/toolconf.py``): where can you put a config file that wizfmt reads? Give a
  path (or the environment variable that names one). Checked by creating the file in a private
  mirror of your directories and running the tool there.
- ``q3`` (``mysteries/toolconf.py``): once it has a config file, which other file does it look
  for? Give its path. Checked the same way, with a config file in each place it tries.
- ``q4`` (``mysteries/slow_4_child.py``): it waits for a child process. What is the child waiting
  for? Checked against a live ``spykit.diagnose``.
- ``q5`` (``mysteries/slow_5_lock.py``): its threads wait on a lock. Who holds it: another thread
  of the program, or another process? Checked against /proc/locks during a live run.
- ``q6`` (``mysteries/slow_6_pipe.py``): about how many seconds pass between two readings from
  its weather station? Checked against a traced run.

The ``live_*`` functions are the measurements the checks rest on; each runs the program afresh.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from .. import procfs
from ._answers import as_path, as_seconds, pretend_home, same_path, text_of, unquoted
from ._answers import words as _words
from ._core import Exercise, Verdict, correct, incorrect, unchecked
from ._live import MYSTERIES, mystery, mystery_file

_TRACING_REFUSED = "Tracing is not allowed here, so the answer cannot be checked: {}"


def _wait_for(condition, timeout: float, step: float = 0.05):
    """Poll ``condition`` until it returns something true (returned) or ``timeout`` passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() >= deadline:
            return result or None
        time.sleep(step)


def _end(program: subprocess.Popen) -> None:
    """Stop a program a check started (it cleans up after itself on SIGTERM) and close our ends of its pipes."""
    if program.poll() is None:
        program.terminate()
        try:
            program.wait(timeout=5)
        except subprocess.TimeoutExpired:
            program.kill()
            program.wait()
    for stream in (program.stdout, program.stderr):
        if stream is not None:
            stream.close()


# -- q1: the file that keeps hangs.py hanging ------------------------------------------------------------

def check_hang_file(answer: Any) -> Verdict:
    if text_of(answer) is None:
        return incorrect("Give the path as a string, e.g. '/tmp/some-dir/some-file'.")
    path = as_path(answer)
    if not path or not os.path.isabs(path):
        return incorrect("Give the whole path, starting with /: the directory matters as much as the name.")
    name, folder = os.path.basename(path), os.path.dirname(path)
    if same_path(path, str(MYSTERIES / "hangs.py")):
        return incorrect("That is the program itself. Which file does it wait on while it runs?")
    try:
        program = subprocess.Popen(mystery("hangs", "--seconds", "10"), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError as problem:
        return unchecked(f"hangs.py could not be started to check the answer: {problem}")
    try:
        # Its daemon works in the directory they share: that is where this run keeps its files.
        daemon = _wait_for(lambda: procfs.children(program.pid), timeout=10)
        workdir = None
        if daemon:
            workdir = _wait_for(lambda: _workdir_of(daemon[0], program.pid), timeout=5)
        if workdir is None:
            return unchecked("This run of hangs.py did not get as far as hanging; run the check again.")
        workdir = os.path.realpath(workdir)
        # The work directory is new each run, with a random name: another run's, or a placeholder, names it.
        if same_path(path, workdir, random_parts=1):
            return incorrect("That is the directory it works in; one file in it is the trouble. Which?")
        if same_path(path, os.path.dirname(workdir)):
            return incorrect(f"That is the temporary directory: it makes a new directory in it each run "
                             f"({os.path.basename(workdir)[:-8]}...). Which file in that one?")
        if not same_path(folder, workdir, random_parts=1):
            if same_path(os.path.dirname(folder), os.path.dirname(workdir)):
                return incorrect("Not that directory: the directory's name changes every run, but not how it "
                                 "starts.")
            return incorrect(f"It keeps nothing there. Its files are in a new directory under "
                             f"{os.path.dirname(workdir)} each run; which one, and what is in it?")
        if name not in os.listdir(workdir):
            return incorrect("It has no file of that name. Attach to the process that does the waiting and "
                             "see which file it keeps looking at.")
        os.unlink(os.path.join(workdir, name))  # the learner's fix, on this run
        try:
            out, _ = program.communicate(timeout=8)
        except subprocess.TimeoutExpired:
            return incorrect("With that file gone, hangs.py still hangs: that file is not what it waits for.")
    finally:
        _end(program)
    if program.returncode == 0 and "complete" in out:
        return correct("With that file gone it finished at once. The program took the lock file itself, then "
                       "asked its daemon to sync; the daemon politely waits until nobody holds the lock: "
                       "each waits for the other, a deadlock (the file holds the program's own pid).")
    return incorrect("With that file gone it still did not finish happily; look again at what the daemon waits for.")


def _workdir_of(daemon: int, program: int) -> str | None:
    """The daemon's current directory, once it differs from the program's (it was started there)."""
    try:
        here, there = procfs.cwd(program), procfs.cwd(daemon)
    except procfs.VANISHED:
        return None
    return there if there != here and os.path.isdir(there) else None


q1 = Exercise(
    "ch03.q1", "mysteries/hangs.py hangs. Which file has to go for it to finish? Give its path from one run.",
    check_hang_file,
    hints=[
        "Start it in the background: p = workshop.start('hangs', workshop.mystery('hangs')). Then "
        "spykit.wchan(p.pid, duration=1): what does each process of it wait for?",
        "The program waits for an answer from its daemon (a second copy of it, its child). The daemon only "
        "naps, yet never answers. What does it do between naps? spykit.attach(daemon_pid, duration=1)",
        "The daemon checks, again and again, that one file is there. Look at that file (what is in it?), "
        "and delete it while the program hangs.",
    ],
    solution="The lock file sync.lock in a new directory wizard-sync-XXXXXXXX under the temporary directory "
             "(usually /tmp). spykit.wchan shows the program waiting for data from its daemon on 127.0.0.1 and "
             "the daemon sleeping; spykit.attach(daemon_pid, duration=1).files() shows it checking sync.lock "
             "every quarter second. The file holds the program's own pid: it took the lock, then asked the "
             "daemon to sync, and the daemon waits for the lock to go. Delete it and the sync completes.",
    example="q1.check('/tmp/some-dir/some-file')",
)

# -- q2 and q3: where wizfmt looks -----------------------------------------------------------------------

_TOOL_SCRIPT = "toolconf.py"
# An environment variable's name, as "$NAME", "${NAME}" or a bare "NAME" in capitals.
_VARIABLE = re.compile(r"^(?:\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?|([A-Z_][A-Z0-9_]*))(?:=.*)?$")


class _Mirror:
    """A private copy of the learner's world in which files can be created without touching theirs.

    Every absolute path P becomes ``root + P``: the home directory, the XDG config directory,
    the current directory and the program itself (copied to where it is installed) keep their
    places relative to one another, so a path means the same thing in the mirror. Only the
    absolute paths the program names itself (such as /etc) cannot be mirrored.
    """

    def __init__(self, scratch: str, home: str | None = None):
        """``home``: a notebook's pretend home to mirror as the home (with its XDG folders inside it)."""
        self.root = os.path.join(os.path.realpath(scratch), "mirror")
        self.cwd = self.inside(os.getcwd())
        os.makedirs(self.cwd, exist_ok=True)
        self.env = {name: value for name, value in os.environ.items() if name != "WIZFMT_CONFIG"}
        self.env["HOME"] = self.inside(home or os.path.expanduser("~"))
        if home:
            self.env["XDG_CONFIG_HOME"] = self.inside(os.path.join(home, ".config"))
        for name in ("XDG_CONFIG_HOME", "WIZFMT_CONFIG"):
            if os.environ.get(name) and not (home and name == "XDG_CONFIG_HOME"):
                self.env[name] = self.inside(os.path.abspath(os.environ[name]))
        self.program = self.inside(str(MYSTERIES / _TOOL_SCRIPT))
        os.makedirs(os.path.dirname(self.program), exist_ok=True)
        shutil.copyfile(mystery_file(_TOOL_SCRIPT), self.program)

    def inside(self, path: str) -> str:
        return self.root + os.path.normpath(path)

    def outside(self, path: str) -> str:
        return path[len(self.root):] if path.startswith(self.root + os.sep) else path

    def run(self, env: dict[str, str] | None = None) -> str:
        finished = subprocess.run([os.path.realpath(sys.executable), self.program], env=env or self.env,
                                  cwd=self.cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=30, check=False)
        return finished.stdout

    def places_tried(self) -> list[str]:
        """The paths the tool looked for and did not find, in the mirror, in order (from a trace)."""
        import spykit

        trace = spykit.trace([os.path.realpath(sys.executable), self.program], env=self.env, cwd=self.cwd,
                             syscalls="%file", capture_output=True, timeout=30)
        places = []
        for path in trace.missing(startup=True)["path"]:
            full = os.path.normpath(os.path.join(self.cwd, path))
            if full.startswith(self.root + os.sep) and full not in places:
                places.append(full)
        return places


def _create(path: str, text: str) -> bool:
    """Create a file with ``text`` (and its directories); False when the place cannot hold a file."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.isdir(path):
            return False
        with open(path, "w", encoding="utf-8") as made:
            made.write(text)
        return True
    except OSError:
        return False


def _configured(output: str) -> bool:
    return "Configuration loaded" in output


def _looked_there(path: str) -> bool:
    """Whether a traced run in the learner's own world looked for ``path`` (for places no mirror can hold)."""
    import spykit

    trace = spykit.trace(mystery("toolconf"), syscalls="%file", capture_output=True, timeout=30)
    tried = trace.files(startup=True)
    return any(os.path.normpath(os.path.join(os.getcwd(), p)) == path for p in tried["path"].dropna())


def _place_of(answer: Any) -> tuple[str | None, str | None]:
    """(the answer as an absolute path, the notebook's pretend home it is in, if any)."""
    given = as_path(answer)
    if not given:
        return None, None
    path = os.path.normpath(os.path.abspath(given))
    pretend = pretend_home(path)
    return path, pretend[0] if pretend else None


def check_config_place(answer: Any) -> Verdict:
    text = text_of(answer)
    if not text:
        return incorrect("Give the path as a string, e.g. '~/somewhere/some.conf'.")
    variable = _VARIABLE.match(unquoted(text))
    path, home = _place_of(answer)
    if path is None:
        return incorrect("Give the path as a string, e.g. '~/somewhere/some.conf'.")
    try:
        with tempfile.TemporaryDirectory(prefix="spykit-check-") as scratch:
            mirror = _Mirror(scratch, home=home)
            before = mirror.run()
            if variable:
                return _check_variable(variable.group(1) or variable.group(2), mirror, scratch, before)
            if os.path.isdir(path):
                return incorrect(f"{path} is a directory; wizfmt looks for a file. Which file does it look for?")
            if same_path(path, str(MYSTERIES / _TOOL_SCRIPT)):
                return incorrect("That is the program itself, not a config file. Which files does it look for "
                                 "and not find?")
            mirrored = mirror.inside(path)
            if not _create(mirrored, "width = 33\n"):
                return incorrect("That is a directory (or cannot hold a file); wizfmt wants a file.")
            after = mirror.run()
    except (OSError, subprocess.SubprocessError) as problem:
        return unchecked(f"wizfmt could not be run to check the answer: {problem}")
    if _configured(after) and not _configured(before):
        return correct("With a file there, wizfmt says 'Configuration loaded' and formats to its width. "
                       "It looks in several places: $WIZFMT_CONFIG, .wizfmt.conf in the current directory, "
                       "~/.config/wizfmt/wizfmt.conf, ../etc/wizfmt.conf beside the program, /etc/wizfmt.conf.")
    import spykit

    try:
        looked = _looked_there(path)
    except spykit.TracingNotPermitted as refused:
        return unchecked(_TRACING_REFUSED.format(refused.message))
    if looked:
        return unchecked("It does look there, but this check makes files only in a private copy of your own "
                         "directories, and wizfmt looks for that one on the real system. Pick a place in your "
                         "own directories that it looks in.")
    return incorrect("With a file at that path, wizfmt still finds no configuration. trace.missing() lists "
                     "the places it looks for.")


def _check_variable(name: str, mirror: _Mirror, scratch: str, before: str) -> Verdict:
    named = os.path.join(scratch, "named", "any-name.conf")
    _create(named, "width = 33\n")
    after = mirror.run({**mirror.env, name: named})
    if _configured(after) and not _configured(before):
        return correct(f"Right: ${name} names a config file, read before any other place. `wizfmt --help` "
                       "mentions it; a trace only shows the file it names once the variable is set.")
    return incorrect(f"wizfmt takes no notice of ${name}. Its --help names the variable it reads.")


def check_include_place(answer: Any) -> Verdict:
    if not text_of(answer):
        return incorrect("Give the path as a string, e.g. '~/somewhere/some file'.")
    path, home = _place_of(answer)
    if path is None:
        return incorrect("Give the path as a string, e.g. '~/somewhere/some file'.")
    import spykit

    try:
        with tempfile.TemporaryDirectory(prefix="spykit-check-") as scratch:
            mirror = _Mirror(scratch, home=home)
            target = mirror.inside(path)
            places = mirror.places_tried()  # where it looks for a config file here, none being there
            if target in places:
                return incorrect("That is a place for its config file (question q2). Once a config file is "
                                 "there, it looks for one more file: trace it again.")
            # Put a config file in each place it tries, one at a time: with which does it read the answer?
            beside = [place for place in places
                      if os.path.commonpath([target, os.path.dirname(place)]) == os.path.dirname(place)]
            for place in beside:
                if not _create(place, "width = 40\n"):
                    continue  # a config file there could not point at the answer's place
                if _create(target, "owls => ravens\n"):
                    output = mirror.run()
                    os.unlink(target)
                else:
                    output = ""
                os.unlink(place)
                if "House rules:" in output:
                    return correct(f"With a config file at {mirror.outside(place)}, it reads that file too: its "
                                   "house rules, kept in wizfmt.d/house.rules next to whichever config file it "
                                   "found. You only see it looking there once a config file exists.")
            # Not read: is it a directory it looks in, once it has a config file? (a trace per place)
            for place in beside:
                if _create(place, "width = 40\n"):
                    seen_then = mirror.places_tried()
                    os.unlink(place)
                    if any(p.startswith(target + os.sep) for p in seen_then):
                        return incorrect("That is a directory it looks in once it has a config file; it "
                                         "wants a file in it. Which one?")
    except spykit.TracingNotPermitted as refused:
        return unchecked(_TRACING_REFUSED.format(refused.message))
    except (OSError, subprocess.SubprocessError) as problem:
        return unchecked(f"wizfmt could not be run to check the answer: {problem}")
    return incorrect("With its config file in place, wizfmt does not read a file there. Create a config file, "
                     "trace wizfmt again and look at what trace.missing() lists now.")


q2 = Exercise(
    "ch03.q2", "mysteries/toolconf.py (wizfmt) finds no configuration. Where can you put a config file it "
    "reads? Give a path (or the environment variable that names one).", check_config_place,
    hints=[
        "Trace it: t = spykit.trace(workshop.mystery('toolconf')), then t.missing(): the files it looked for "
        "and did not find (start-up lookups left out). Look for the tool's name.",
        "It tries several places, first match wins: one relative to the current directory, one under your "
        "home, one relative to the program itself, one in /etc. `python mysteries/toolconf.py --help` tells "
        "of one more.",
        "Create ~/.config/wizfmt/wizfmt.conf with a line such as `width = 30`, and run it again.",
    ],
    solution="Any of: $WIZFMT_CONFIG (a file of any name), .wizfmt.conf in the current directory, "
             "~/.config/wizfmt/wizfmt.conf (or $XDG_CONFIG_HOME/wizfmt/wizfmt.conf), ../etc/wizfmt.conf beside "
             "the program (mysteries/../etc/), and /etc/wizfmt.conf for root. Found with "
             "[p for p in t.missing()['path'] if 'wizfmt' in p], and --help for the variable.",
    example="q2.check('~/some/dir/some.conf')",
)

q3 = Exercise(
    "ch03.q3", "Once mysteries/toolconf.py has a config file, it looks for one more file. Where? Give its path.",
    check_include_place,
    hints=[
        "Create a config file first (question q2), then trace it again: what does t.missing() list now?",
        "The new file it looks for sits next to the config file it found, in a directory of its own.",
        "For ~/.config/wizfmt/wizfmt.conf, it is in ~/.config/wizfmt/wizfmt.d/. Put a line `owls => ravens` "
        "in it and run the tool.",
    ],
    solution="wizfmt.d/house.rules next to the config file it found: ~/.config/wizfmt/wizfmt.d/house.rules for "
             "~/.config/wizfmt/wizfmt.conf. Lines such as `owls => ravens` are house rules it applies to the "
             "scroll. It only appears in t.missing() once the config file exists.",
    example="q3.check('~/some/dir/some file')",
)

# -- q4: what the child of slow_4_child.py waits for ------------------------------------------------------

_KIND_WORDS = {
    "network": ("network", "socket", "tcp", "server", "net", "data from", "127.0.0.1", "connection", "recv"),
    "sleep": ("sleep", "timer", "nap"),
    "cpu": ("cpu", "comput", "busy", "running", "calculat"),
    "disk": ("disk", "fsync", "storage"),
    "lock": ("lock", "futex", "mutex"),
    "input": ("input", "pipe", "stdin", "terminal", "keyboard"),
    "child": ("child", "subprocess", "grandchild", "wait4", "waitpid"),
}


def kinds_named(answer: str) -> list[str]:
    """The kinds of wait an answer in words speaks of, e.g. 'it waits on a TCP socket' -> ['network']."""
    words = answer.strip().lower()
    return [kind for kind, cues in _KIND_WORDS.items() if any(cue in words for cue in cues)]


def live_child_wait(seconds: float = 1.0):
    """A live diagnosis of slow_4_child.py: (its kind, the child's main reason, the child's meaning)."""
    import spykit

    diagnosis = spykit.diagnose(mystery("slow_4_child", "--seconds", str(seconds)), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, timeout=30, count_syscalls=False, profile_python=False)
    children = diagnosis.evidence.children
    if not len(children):
        return diagnosis.kind, None, None
    top = children.iloc[0]
    return diagnosis.kind, str(top["reason"]), str(top["meaning"])


def check_child_wait(answer: Any) -> Verdict:
    answer = text_of(answer)
    if not answer:
        return incorrect("Answer in words, as a string: 'network', 'cpu', 'disk', 'sleep', 'lock' or 'input'.")
    named = kinds_named(answer)
    if not named:
        return incorrect("Say what kind of thing it waits for: 'network', 'cpu', 'disk', 'sleep', 'lock' or 'input'.")
    kind, child_reason, child_meaning = live_child_wait()
    if kind != "child" or child_reason is None:
        return unchecked(f"This run was not mostly waiting for its child (diagnosis: {kind}); the machine may "
                         "be very busy. Run the check again.")
    others = [k for k in named if k != "child"]
    if not others:
        return incorrect("That is what the program itself waits for: its child. What does the child wait for, "
                         "all that time?")
    if len(others) > 1:
        return incorrect(f"Pick one: {', '.join(others)}?")
    if others[0] == child_reason:
        return correct(f"A live diagnosis agrees: the program waits for its child, and the child was mostly "
                       f"{child_meaning}. The courier is slow because its owl tower (a thread of its own) "
                       "answers each letter only after a while.")
    return incorrect(f"Not {others[0]}. spykit.diagnose(...) names what the child was mostly doing; so does "
                     "spykit.wchan on the whole tree (look at the rows of the child's pid).")


q4 = Exercise(
    "ch03.q4", "mysteries/slow_4_child.py waits for a child process. What is the child waiting for "
    "('network', 'cpu', 'disk', 'sleep', 'lock' or 'input')?", check_child_wait,
    hints=[
        "d = spykit.diagnose(workshop.mystery('slow_4_child')) says what the program waits for.",
        "Read d.explanation to the end, or d.evidence.children: what the descendants were doing meanwhile.",
        "spykit.wchan on the same command gives a row per thread of every process: the child's threads both "
        "wait on the same kind of thing.",
    ],
    solution="'network': the program waits for its child (wait4), and the child, a courier, waits for data from "
             "its owl tower on 127.0.0.1 (TCP), a server thread of its own that answers slowly. "
             "d.evidence.children.iloc[0] says so.",
    example="q4.check('sleep')",
)

# -- q5: who holds the lock in slow_5_lock.py -------------------------------------------------------------

# Who holds the lock, in a learner's words. Naming the indexer (or the program's child) says which
# process; "another process" alone does not.
_HOLDER_WORDS = (
    ("indexer", ("indexer", "--indexer", "child", "subprocess", "sub-process", "second copy", "copy of",
                 "process it start", "process it spawn", "helper")),
    ("clerk", ("clerk",)),
    ("program", ("itself", "main process", "the program", "parent", "same process", "main program")),
    ("thread", ("thread",)),
    ("process", ("process", "program")),
)


def holder_named(answer: str) -> str | None:
    """Who an answer in words says holds the lock: 'indexer' (the program's child, named), 'process'
    (some other process, not said which), 'thread', 'clerk', 'program' (the program itself); None for none."""
    said = _words(answer)
    if "thread" in said and "process" in said and "of another process" in said:
        return "process"
    for holder, cues in _HOLDER_WORDS:
        if any(cue in said for cue in cues):
            return holder
    return None


def live_lock_holder(seconds: float = 3.0) -> tuple[int, int, list[str]] | None:
    """Run slow_5_lock.py until one of its threads is seen blocked on a lock in /proc/locks.

    Returns (the program's pid, the holder's pid, the holder's command line), or None.
    """
    program = subprocess.Popen(mystery("slow_5_lock", "--seconds", str(seconds)), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    # A clerk holds the lock too, for a moment, on its own turn, and the other clerks queue behind it
    # then; the holder they spend their time waiting for is the one that keeps it. So a holder that
    # is the program itself is noted and the watch goes on, and only returned if nothing else is seen.
    own_turn_seen = False

    def seen() -> tuple[int, int, list[str]] | None:
        nonlocal own_turn_seen
        queued_behind = procfs.holders_waited_for(procfs.locks(), program.pid)
        for holder in queued_behind:
            if holder != program.pid:
                return program.pid, holder, procfs.cmdline(holder)
        if queued_behind:
            own_turn_seen = True
        return None

    try:
        found = _wait_for(seen, timeout=seconds - 0.5, step=0.02)
        return found or ((program.pid, program.pid, procfs.cmdline(program.pid)) if own_turn_seen else None)
    finally:
        _end(program)


def check_lock_holder(answer: Any) -> Verdict:
    text = text_of(answer)
    if not text:
        return incorrect("Answer in words, as a string: another thread of the program, or another process "
                         "(which one)?")
    named = holder_named(text)
    if named is None:
        return incorrect("Say who holds it: another thread of the program, or another process (which one)?")
    try:
        found = live_lock_holder()
    except OSError as problem:
        return unchecked(f"slow_5_lock.py could not be watched to check the answer: {problem}")
    if found is None:
        return unchecked("No thread of it was seen waiting on a lock this time; run the check again.")
    program, holder, command = found
    who = " ".join(command[1:]) if command else f"pid {holder}"
    if holder == program:
        # Only when no clerk was seen queued behind anyone else for the whole watch (live_lock_holder)
        return (correct("Right: the program itself holds it.") if named in ("program", "thread")
                else incorrect(f"/proc/locks showed the program itself (pid {program}) holding the lock."))
    is_child = "--indexer" in command
    if named == "indexer" and is_child:
        return correct(f"/proc/locks showed a clerk of pid {program} blocked on a lock held by pid {holder} "
                       f"({who}): the indexer, a child process it started, which keeps the catalogue's file "
                       "lock for long stretches while it naps. The clerks queue behind it.")
    if named == "process" and re.search(r"\d{2,}", text):
        return incorrect("Another process, yes; but pids change from run to run: say what that process is "
                         "(/proc/PID/cmdline tells), not its number.")
    if named == "process":
        return incorrect("Another process, yes: which one? /proc/locks gives the holder's pid; compare it with "
                         "the program's children and read its command line (/proc/PID/cmdline).")
    if named == "clerk":
        return incorrect("The clerks are the threads that wait for the lock. Who holds it while they wait?")
    if named == "program":
        return incorrect(f"The program (pid {program}) is where the clerks wait; /proc/locks shows the lock held "
                         f"by another pid, {holder}. Whose is that?")
    if named == "thread":
        return incorrect("Not a thread of the program: a clerk does hold the lock, for a moment, on its own "
                         f"turn, but the clerks spend their waits queued ('->' in /proc/locks) behind pid "
                         f"{holder}, not the program's pid {program}. Look at that pid's command line.")
    return incorrect(f"/proc/locks showed pid {holder} ({who}) holding it. What is that process to the program?")


q5 = Exercise(
    "ch03.q5", "The clerks (threads) of mysteries/slow_5_lock.py wait on a lock. Who holds it: another "
    "thread of the program, or another process (which one)?", check_lock_holder,
    hints=[
        "spykit.diagnose(...) says what kind of wait it is; spykit.wchan(...) shows each thread, and the "
        "file its lock call is about.",
        "A file lock taken with flock is listed in /proc/locks, with the pid of its holder. Waiters have '->'.",
        "Start it in the background, read /proc/locks while it runs, and compare the holder's pid with the "
        "program's pid (and look at /proc/PID/cmdline).",
    ],
    solution="Another process: its child, the indexer (a second copy of it run with --indexer), holds the flock "
             "on catalogue.lock for long stretches while it sleeps, letting go only briefly. "
             "open('/proc/locks').read() during a run shows the holder's pid and the clerks waiting ('->').",
    example="q5.check('another thread')",
)

# -- q6: how often the weather station sends a reading ------------------------------------------------------

TOLERANCE = 1.5  # a gap measured by eye from a trace: within half again either way is "about"


def live_reading_gaps(seconds: float = 1.3) -> list[float]:
    """Seconds between two readings arriving on slow_6_pipe.py's pipe, from a traced run."""
    import spykit

    trace = spykit.trace(mystery("slow_6_pipe", "--seconds", str(seconds)), capture_output=True, timeout=60)
    return reading_gaps(trace)


def reading_gaps(trace) -> list[float]:
    """Seconds between readings in a trace of slow_6_pipe.py: the way the solution measures them.

    By the kind of the fd, not its name: a path search for "pipe" also finds the reads of the
    program's own source file, slow_6_pipe.py, which gives nonsense gaps (even negative ones).
    """
    reads = trace.filter("read", pid=trace.meta.pid, fd_kind="pipe").df
    arrived = (reads["time"] + reads["duration"])[reads["ret"] > 0]
    return [float(gap) for gap in arrived.diff().dropna()]


def check_reading_gap(answer: Any) -> Verdict:
    seconds = as_seconds(answer)
    if seconds is None or seconds <= 0:
        return incorrect("Give the seconds as a number (or as text with a unit: 'N s', 'N ms').")
    import spykit

    try:
        gaps = live_reading_gaps()
    except spykit.TracingNotPermitted as refused:
        return unchecked(_TRACING_REFUSED.format(refused.message))
    if len(gaps) < 2:
        return unchecked("The traced run received too few readings to measure; run the check again.")
    gap = statistics.median(gaps)
    if gap / TOLERANCE <= seconds <= gap * TOLERANCE:
        return correct(f"A traced run here received a reading every {gap:.2f} s: each read on the pipe waited "
                       "that long for the station (its child) to write the next line. The program is as slow "
                       "as its producer.")
    if 1 / (gap * TOLERANCE) <= seconds <= TOLERANCE / gap:
        return incorrect("That looks like readings per second; the question asks for the seconds between two.")
    if len(gaps) >= 3 and sum(gaps) / TOLERANCE <= seconds <= sum(gaps) * TOLERANCE and seconds > gap * 2:
        return incorrect(f"That is about as long as the traced run read readings for ({sum(gaps):.2f} s), "
                         "not the time between two of them.")
    word = "long" if seconds > gap else "short"
    return incorrect(f"That is too {word}. Trace it, keep the reads on the pipe that returned data, and look at "
                     "the time between them (a read's time plus its duration is when the data arrived).")


# What the solution tells a learner to run, with t the trace; tests run it as written.
Q6_SOLUTION_CODE = "r = t.filter('read', fd_kind='pipe').df; (r['time'] + r['duration'])[r['ret'] > 0].diff()"

q6 = Exercise(
    "ch03.q6", "mysteries/slow_6_pipe.py reads its weather station's readings from a pipe. About how many "
    "seconds pass between two readings?", check_reading_gap,
    hints=[
        "spykit.diagnose(...) says what it waits for; t = spykit.trace([...]) shows the reads.",
        "t.filter('read', fd_kind='pipe') keeps the reads from pipes (fd_kind says what each fd points to; "
        "path='pipe' would also match the program's own file, slow_6_pipe.py). The reads with data each "
        "bring one reading.",
        "A read blocks until data comes: its time plus its duration is when the reading arrived. Look at the "
        "differences between those.",
    ],
    solution="About 0.25 s (four readings a second): the station, its child process, writes one line at a "
             "steady pace and the program's read on the pipe waits for each. "
             f"{Q6_SOLUTION_CODE}  (fd_kind='pipe', not path='pipe': the program's own file slow_6_pipe.py "
             "has 'pipe' in its name).",
    example="q6.check(seconds), with the number you measured",
)

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6"]
