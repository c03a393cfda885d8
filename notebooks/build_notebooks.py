"""Write the workshop notebooks (without outputs) from the text below.

    python notebooks/build_notebooks.py            # write every notebook, outputs cleared
    python notebooks/build_notebooks.py --execute  # ... and run each one, saving its outputs

The notebooks are committed with the outputs that are the same on every machine: nbval
(tests/test_notebooks.py) runs them again and compares. Cells whose output differs from run to run
or machine to machine (pids, times, paths, counts that depend on the locale, whether tracing works)
carry the ``nbval-ignore-output`` tag and are committed without outputs, so nothing a reader sees
before running a cell is a fact about another machine. The rest are compared after the
substitutions in ``nbval-sanitize.cfg``. Edit the text here, not in the .ipynb files, then run
with --execute.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
IGNORE = "nbval-ignore-output"  # the output differs between runs or machines: run it, don't compare it


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip("\n"))


def code(source: str, *, check: bool = False) -> nbformat.NotebookNode:
    """A code cell; its output is compared by nbval only when ``check`` says it is the same everywhere."""
    cell = new_code_cell(source.strip("\n"))
    if not check:
        cell.metadata["tags"] = [IGNORE]
    return cell


def exercise(question: str, name: str, placeholder: str = "None") -> list[nbformat.NotebookNode]:
    """A question, a cell to answer it in that checks itself, and the way to a hint."""
    return [
        md(question),
        code(f"answer = {placeholder}  # your answer here\n"
             f"{name}.check(answer)", check=True),
        code(f"# Stuck? Each call gives a stronger hint; the solution is the last resort.\n"
             f"# {name}.hint()\n"
             f"# {name}.solution()", check=True),
    ]


SETUP = """
%load_ext spykit
import sys

import spykit
import workshop

live = workshop.setup()
"""

SETUP_TEXT = """
### Before we start

The next cell loads spykit and checks that this machine lets us trace programs. Some
containers forbid it; then the notebook still runs, and every trace comes from a recording
made on another machine (you will see a note saying so). It also gives this notebook a
temporary folder of its own, removed with everything in it when the notebook's kernel stops.
"""


def terminal(command: str, note: str = "") -> nbformat.NotebookNode:
    """A ``!`` cell running ``command`` in a shell where strace exists, and saying so where it does not."""
    missing = note or "strace is not installed here (Binder has none): the spykit command does the same job."
    return code(f'!command -v strace >/dev/null && {command} || echo "{missing}"')


# -- 00 wizard school -------------------------------------------------------------------------------

FETCH_SCRIPT = '''
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer


class Spellbook(BaseHTTPRequestHandler):
    def do_GET(self):
        page = b"<h1>Spell of the day: lumos</h1>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args):
        pass  # a quiet server


server = HTTPServer(("127.0.0.1", 0), Spellbook)  # port 0: any free port, on this machine only
threading.Thread(target=server.handle_request, daemon=True).start()
with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/today") as answer:
    print(answer.read().decode().strip())
'''


def wizard_school() -> list[nbformat.NotebookNode]:
    return [
        md("""
# 00 · Wizard school

Your program is not alone. Every time it reads a file, starts another program, talks to the
network or even asks for more memory, it has to ask the **operating system** to do it. In this
notebook you will watch those requests happen, learn to read them, and find out what they tell you
about a program you have never seen the inside of.

You need: Python. You do not need to know anything about operating systems yet.
"""),
        md(SETUP_TEXT),
        code(SETUP),
        md("""
## A very small program

`ls /` lists the top folder of this machine. It is about as simple as a program gets. Let us run
it under spykit and keep a record of everything it asks the operating system to do.
"""),
        code("""
ls = workshop.trace("ls", ["ls", "/"], capture_output=True)
print(ls.stdout.decode()[:200])
"""),
        md("""
That is the output you know. Now the record itself, written out the way the classic tool
`strace` prints it: one line per request, every one of them.
"""),
        code("print(ls.to_text())"),
        md("""
A wall. Nobody reads that top to bottom, and you will not have to: the rest of this workshop is
about cutting it down to the lines that answer a question. But look at it once. Every line is
something `ls` asked for, and you can already pick out a few words: `openat` with a file name in
quotes, `read`, `write`, `close`.

### `workshop.trace` and `spykit.trace`

`spykit.trace(cmd)` runs a command under the tracer and hands back a `Trace`. The notebooks call
`workshop.trace(name, cmd)` instead: the same thing, plus a name, so that on a machine where
tracing is forbidden it can load the recording of that name. Outside these notebooks, use
`spykit.trace`.

### The same in a terminal

Everything in this workshop has a twin you can type in a terminal. The wall above is what
`strace ls /` prints; `-f` follows the programs it starts and `-e trace=openat` keeps one call.
(`2>&1 >/dev/null` shows strace's lines and hides the listing itself.)
"""),
        terminal("strace -f -e trace=openat ls / 2>&1 >/dev/null | tail -n 5"),
        md("""
spykit has a command of its own that does the same, wherever spykit is installed (in a
terminal, type `spykit trace -e openat -- ls /`; here we run it with this notebook's Python):
"""),
        code("!{sys.executable} -m spykit trace -e openat -- ls / 2>&1 >/dev/null | tail -n 5",),
        md("""
How many requests did `ls` make?
"""),
        code("len(ls.df)"),
        md("""
Dozens to hundreds, for a one-word command (the number depends on the machine and on its
language settings). Each of these requests is a **system call**: the program stops, the
**kernel** (the core of the operating system, the part that owns the disks, the network, the
memory and the other programs) does the work, and hands back an answer.

Programs cannot touch files or the network directly; system calls are the only door. That is
why watching them tells you so much. `ls.df` is a pandas DataFrame with one row per call:
"""),
        code('ls.df[["syscall", "args", "ret", "error"]].head(12)'),
        md("""
## Reading a row

Each row is one question and its answer:

- `syscall`: what was asked, such as `openat` (open a file) or `mmap` (map memory).
- `args`: the details, written the way `strace` writes them. Strings are in quotes.
- `ret`: the answer. For `openat` it is a small number, a **file descriptor**: the program's
  ticket for the file it just opened. The following calls use that number instead of the name.
- `error`: empty when the call worked. When it failed, `ret` is `-1` and `error` holds the
  reason, as a short name called an **errno**.

Which calls did `ls` make most? `counts` adds them up:
"""),
        code("ls.counts.head(8)"),
        md("""
## Every file it touches

Opening files is `openat`. The question "which files did this program open?" is one filter away:
"""),
        code('ls.filter("openat").df[["path", "ret", "error", "startup"]]'),
        md("""
Most of them are **start-up lookups**, marked in the `startup` column. Before `ls` runs a line of
its own code, the *dynamic loader* finds the **libraries** it needs (`.so` files: code shared
between programs), and the C library loads the language settings (the *locale*: which language,
how to sort, how to print dates). Every program does this before its own work, which is also why
the count above depends on the machine and its language settings. The folder we asked for, `/`,
comes near the end.

`files()` answers "which files did it touch?" with the start-up lookups left out, and says how
many it left out; `files(startup=True)` shows everything:
"""),
        code("ls.files()"),
        md("""
Why `openat` and not `open`? Does `ls` call `open` at all?
"""),
        code('bool(ls.counts.get("open", 0) == 0 and ls.counts.get("openat", 0) > 0)', check=True),
        md("""
Older programs called `open`; today the C library behind almost every program uses `openat`
for the same job. Many tutorials (and the talk this workshop comes from) still say `open`, and
`strace -e trace=open` then shows nothing. spykit's filters treat `open` as the whole family:
"""),
        code('len(ls.filter("open")) == len(ls.filter("openat"))', check=True),
        md("""
## A failed call is not a crash

Some rows have an error. Let us see only those:
"""),
        code('ls.failed().df[["syscall", "path", "error"]]'),
        md("""
`ls` worked perfectly, yet several of its calls failed. `ENOENT` means "no such file or
directory" (the letters stand for *Error: NO ENTry*): the program asked "is this file there?" and
the honest answer was no. Trying a list of places and keeping the first that exists is how
programs find settings, libraries and translations. Remember this: it is how you will find a
missing config file in the next notebook.

spykit can say what an errno or a call means in one sentence:
"""),
        code('print(spykit.explain("ENOENT"))\nprint(spykit.explain("openat"))', check=True),
        md("""
### Permission denied

A file can be there and still refused. Every file has a **mode**: who may read it, write it, and
run it as a program. `chmod` changes it. Here is a tiny script, made readable but not runnable
(mode `644`: no "x", execute, for anyone), and a shell asked to run it:
"""),
        code("""
spell_script = workshop.scratch_dir() / "spell.sh"
spell_script.write_text("#!/bin/sh\\necho abracadabra\\n")
spell_script.chmod(0o644)  # like `chmod 644 spell.sh` in a terminal
denied = workshop.trace("denied", ["sh", "-c", str(spell_script)], capture_output=True)
print(denied.stderr.decode())
denied.filter("execve").df[["syscall", "path", "ret", "error"]]
"""),
        md("""
The second `execve` (starting the script) failed with `EACCES`, "permission denied": the file
exists, but its mode does not allow it. `ENOENT` says "not there", `EACCES` says "there, but not
for you". Give it the execute bit (`chmod +x`, or mode `755`) and the same call works:
"""),
        code("""
import subprocess

spell_script.chmod(0o755)  # like `chmod +x spell.sh`
subprocess.run(["sh", "-c", str(spell_script)], capture_output=True).stdout
""", check=True),
        md("""
(This example behaves the same for every user. Reading and writing are another matter: the
kernel lets **root**, the administrator, read and write any file whatever its mode, so a
"permission denied" you see as a normal user may not happen as root. `os.geteuid() == 0` says
whether this notebook runs as root.)

## Starting a program

Which call did the very first row make?
"""),
        code('ls.df[["syscall", "args"]].head(1)'),
        md("""
`execve` replaces the running program with another one: here our tracer became `ls`, with the
arguments `["ls", "/"]`. Every program you start from a shell, from Python's `subprocess`, or from
a browser's launcher, starts with an `execve`. `processes()` lists them:
"""),
        code('ls.processes()[["argv", "exe", "status"]]'),
        md("""
## Reading and writing: `cat`

`ls` mostly opened things. `cat` copies a file to its output. We give it a file of our own:
"""),
        code("""
spell = workshop.scratch_dir() / "spell.txt"
spell.write_text("abracadabra\\n")
cat = workshop.trace("cat", ["cat", str(spell)], capture_output=True)
cat.stdout
""", check=True),
        md("""
Now the calls that mention our file, or the file descriptors it got:
"""),
        code('cat.filter(path="spell.txt").df[["syscall", "args", "ret", "fd"]]'),
        md("""
Follow the file descriptor: `openat` returns a number (usually 3 in a small program like `cat`,
because 0, 1 and 2 are already taken by its input, output and error output, and the kernel always
hands out the lowest free number), and the next calls use it. Depending on your version of `cat`
you see `read` then `write` (the classic way: bring the bytes into the program, then hand them
back), or `copy_file_range`, where a newer `cat` asks the kernel to copy from one file descriptor
to the other without the bytes ever passing through the program. Either way, you did not need the
source code of `cat` to find out.

## Kinds of calls

spykit sorts calls into **classes**, the way `strace` does: `file` (calls that take a file name),
`desc` (calls on file descriptors), `memory`, `process`, `network`, `signal`, and a few more.
"""),
        code('ls.df["category"].value_counts()'),
        md("""
A call can belong to more than one class; the table keeps the main one. `openat`, for example,
names a file and returns a descriptor:
"""),
        code("from spykit.syscalls.table import classes_of\nsorted(classes_of(\"openat\"))", check=True),
        md("""
Classes make good filters: `ls.filter("%file")` keeps every call that names a file.

## What happens when a program fetches a web page

A web page is the classic example of how much the kernel does for one line of code. Here is a
small program that starts a tiny web server inside itself, on this machine only (127.0.0.1), and
fetches a page from it, as a browser would:
"""),
        code('fetcher = workshop.scratch_dir() / "fetch.py"\n'
             f"fetcher.write_text('''{FETCH_SCRIPT}''')\n"
             'fetch = workshop.trace("fetch", workshop.python(str(fetcher)), capture_output=True)\n'
             "fetch.stdout", check=True),
        md("""
One line of output. What did the kernel do for it? **Files**: Python opened its modules (the code
for HTTP and for URLs), and the server, as it started, read the machine's name-service settings
(such as `/etc/nsswitch.conf` and `/etc/hosts`) to learn the machine's own name:
"""),
        code('fetch.files()["path"].tail(5)'),
        md("""
**The network**: a `connect` to the server's port, the request sent, the page received (and the
same bytes seen from the server's side, since both live in this program). The fetch itself looked
up no name: `127.0.0.1` is already an address. (A `connect` to a name service such as `nscd`, where
you see one, is the server asking for the machine's name.)
"""),
        code('fetch.network()[["syscall", "direction", "peer", "bytes"]]'),
        md("""
**Memory**: a running program asks the kernel for memory with `mmap` and `brk`, and gives it
back with `munmap`:
"""),
        code('fetch.filter("%memory").df["syscall"].astype(str).value_counts()'),
        md("""
**The terminal**: the one line of output is a `write`. In a terminal it would go to your
terminal's device (`/dev/pts/N`); here the notebook collected it in a temporary file, so that is
where the `write` went:
"""),
        code('fetch.writes()[["destination", "calls", "bytes"]]'),
        md("""
## Tracing a cell of this notebook

`%%strace` at the top of a cell traces the code in that cell, running in this very notebook. It
takes options like `strace`'s: `-e` picks the calls (`-e openat,read`, or a class such as
`-e %file`), and `-o NAME` keeps the `Trace` in a variable called `NAME` (without `-o`, the last
one is kept in `_strace`). Here the cell opens our spell file and reads it:
"""),
        code("""
%%strace -e openat,read -o spell_trace
with open(spell) as f:
    text = f.read()
"""),
        md("""
The cell ran normally (`text` is defined), and the trace holds only what the cell asked for. Which
file descriptor did the spell file get?
"""),
        code('spell_trace.filter("openat").df[["path", "ret"]] if live else "no trace: tracing is not allowed here"'),
        md("""
Not 3, as for `cat`: a much bigger number. A notebook's **kernel** (the Python process behind this
notebook, not to be confused with the operating system's kernel) is a long-running program that
already has many things open: the sockets it talks to your browser through, files, event
channels. The operating system hands out the lowest number that is free, and in this process the
low ones are taken. `/proc/self/fd` lists a process's open file descriptors:
"""),
        code("""
import os

taken = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
print(len(taken), "file descriptors are open in this kernel; the lowest free one is",
      min(set(range(len(taken) + 1)) - set(taken)))
"""),
        md("""
`-c` shows `strace -c`'s table instead of the calls: how many of each, how many failed, and the
time they took. Here, a cell that looks at every file in the folder above:
"""),
        code("""
%%strace -c
from pathlib import Path

names = sorted(path.name for path in Path("..").iterdir())
"""),
        md("""
Without the cell part, `%strace` traces a command, like `spykit.trace`. (`cmp -s` compares two
files and says nothing; its output would not reach the notebook anyway, so a silent one is best.)
"""),
        code("%strace -e openat,read cmp -s {spell} {spell}"),
        md("""
Every option is in the magic's help, which `?` opens:
"""),
        code("%strace?"),
        md("""
Now something surprising. Does `print` make a `write` call?
"""),
        code("""
%%strace -e write
print("hello from the cell")
"""),
        md("""
The text appeared, but (if tracing works here) the trace holds no `write` of it. You may see a
`write` of 8 bytes that look like `"\\1\\0\\0\\0\\0\\0\\0\\0"`: that is not your text, it is a
wake-up call. In a notebook, `print` only puts the text in a buffer and nudges another **thread**
of the notebook's Python process (a thread is a second line of work inside the same program),
which later sends the text to your browser over a network socket. The code in your cell never
writes it anywhere itself. What you think a program does and what it asks the kernel to do are
often different stories: that is why we spy.

## The explorer

For a long trace, a table is hard to read. `explore()` gives you filters to click: calls, class,
process, what a file descriptor points to, only failed calls, start-up lookups hidden or shown, a
search in paths and arguments.
"""),
        code("ls.explore()"),
        md("""
## Exercises

Each answer cell checks itself. `hint()` gives a nudge; call it again for a bigger one.
"""),
        code("from spykit.exercises import ch00", check=True),
        *exercise("**1.** How many files does `ls` (with no arguments, listing this notebook's folder) "
                  "open successfully? The check traces `ls` here and compares.", "ch00.q1"),
        *exercise("**2.** Which system call starts a new program? Give its name as a string.", "ch00.q2"),
        *exercise("**3.** A call returned `-1 ENOENT`. What does `ENOENT` mean, in your own words?",
                  "ch00.q3"),
        md("""
## Now do it in a terminal

Everything above works outside a notebook. Open a terminal (in JupyterLab: File, New, Terminal)
and try:

- `strace ls /`: the wall of calls; `strace -f -e trace=openat ls /`: only the files it opens;
- `strace -c ls /`: the table of counts, as `%%strace -c` shows it;
- `strace -e trace=execve sh -c 'ls /'`: the programs a command starts;
- `spykit trace -e openat -- ls /` and `spykit files -- ls /`: the same with spykit.

Where `strace` is not installed (as on Binder), the `spykit` commands do the same job. The cell
below runs the counting one, where it can:
"""),
        terminal("strace -c ls / 2>&1 >/dev/null | head -n 8"),
        md("""
## What you can do now

- Trace a command (`spykit.trace`, `strace`) or a cell (`%%strace`, with `-e`, `-o` and `-c`)
  and read its calls.
- Tell a call, its arguments, its answer and its errno apart; know that failed calls are normal,
  and `ENOENT` ("not there") from `EACCES` ("not for you").
- Filter by name, class, path or errors, with the start-up lookups out of the way.

Next: **01 · The case of the missing config file**.
"""),
    ]


# -- 01 the missing config file ----------------------------------------------------------------------

def missing_config_file() -> list[nbformat.NotebookNode]:
    return [
        md("""
# 01 · The case of the missing config file

The Wizard Browser (`mysteries/consent.py`) says it will only send usage statistics if you
agree, and that you can agree in a file. Which file? It will not tell you, and we are not going
to read its source. We will ask the kernel instead.

Then three shorter cases: what a program tells the programs it starts, what it says over the
network, and what it writes in a log nobody told you about.
"""),
        md(SETUP_TEXT),
        code(SETUP),
        md("""
## The browser says no

We give the browser a brand-new home folder of its own, so nothing you do here touches your
real one. Then we run it, traced:
"""),
        code("""
home = workshop.pretend_home()
before = workshop.trace("consent-before", workshop.mystery("consent"), env=home, capture_output=True)
print(before.stdout.decode())
"""),
        md("""
Statistics are off. Where did it look for your agreement? A file it looked for and did not find
is a call that failed with `ENOENT`. `missing()` lists those paths, in the order it tried them,
with the start-up lookups (Python looking for its own pieces as it starts) left out:
"""),
        code("before.missing()"),
        md("""
The browser's own search, with your (pretend) home written `~`:
"""),
        code('before.missing()["path"].str.replace(home["HOME"], "~").tolist()', check=True),
        md("""
Three places, one after the other, in the `.config` folder, then `.local/share`, then an older
hidden folder. A program trying places in order is the pattern to look for.

## Make it find it

Create the first file it looked for. Its content is your install id: any word will do.
"""),
        code("""
from pathlib import Path

consent_file = Path(before.missing()["path"].iloc[0])
consent_file.parent.mkdir(parents=True, exist_ok=True)
consent_file.write_text("WIZARD-42\\n")
after = workshop.trace("consent-after", workshop.mystery("consent"), env=home, capture_output=True)
print(after.stdout.decode())
"""),
        md("""
It changed its mind. You found a setting the program never documented, by watching which files
it tried to open. The same trick finds the config file of any tool that ignores yours: trace it,
look at `missing()` and at the files it did open.
"""),
        code('opened = after.files()\n'
             'opened[opened["path"].str.contains("wizard-browser")][["syscall", "flags", "ok"]].reset_index(drop=True)', check=True),
        md("""
In a terminal, the same search is `strace -f -e trace=openat python3 mysteries/consent.py`: the
lines that end in `ENOENT` are what it looked for and did not find. `spykit missing -- python3
mysteries/consent.py` lists just those, the program's own first. (These run against your real
home folder; the cell below gives the program the pretend one, where the file now exists, so its
first look succeeds: `= 3`.)
"""),
        terminal("HOME={home['HOME']} strace -f -e trace=openat {sys.executable} ../mysteries/consent.py "
                 "2>&1 | grep -i consent"),
        md("""
## What does it start?

`mysteries/secret_helpers.py` is the browser's launcher. It starts helper programs and gives
them something on their command line. Every program starts with `execve`, and `execve` carries
the whole command line: `processes()` shows each process, its parent, and every `argv` it ran.
"""),
        code("""
launcher = workshop.trace("secret-helpers", workshop.mystery("secret_helpers"), capture_output=True)
launcher.processes()[["pid", "parent", "argv", "status"]]
"""),
        md("""
The `parent` column shows the tree: the launcher started two helpers, and one of them, a shell
(`/bin/sh`), started another Python. Each `argv` is whole, every argument of every program it ran
(and `env` is the environment each one received); pandas only shortens long lists on screen. `print(launcher.processes().to_string())`, or a look at
one row's `argv`, shows what each helper was given (that is exercise 2). Anything on a command line
can be seen by every user of the machine (try `ps aux` in a terminal), which is why secrets should
never travel that way. In a terminal: `strace -f -e trace=execve python3 mysteries/secret_helpers.py`.
"""),
        terminal("strace -f -s 200 -e trace=execve {sys.executable} ../mysteries/secret_helpers.py 2>&1 "
                 ">/dev/null | grep execve"),
        md("""
## What does it say over the network?

`mysteries/chatty.py` starts a little server inside itself (on 127.0.0.1, this machine only),
connects to it, and passes it a message. A program talks over the network with `connect`, then
`sendto` / `recvfrom` (or `write` / `read`) on the socket. `network()` gathers them:
"""),
        code("""
chat = workshop.trace("chatty", workshop.mystery("chatty"), capture_output=True)
chat.network()[["syscall", "direction", "peer", "bytes"]]
"""),
        md("""
A `connect` to a port on 127.0.0.1, then messages back and forth. Each one shows twice: sent by
the program, received by its server (both live in the same process). The `data` column holds the
bytes themselves, up to 4096 of each call (`data_limit=` changes that): look at it to find the
message (exercise 3). `strace` shows only the first 32 bytes of each buffer unless you give it a
bigger `-s`; in a terminal: `strace -f -s 200 -e trace=%network python3 mysteries/chatty.py`.

## What does it write in its diary?

`mysteries/hidden_log.py` claims to do nothing much. `writes()` groups every `write` by where it
went, with the first bytes:
"""),
        code("""
diary = workshop.trace("hidden-log", workshop.mystery("hidden_log", "--seconds", "0.5"), capture_output=True)
diary.writes()[["kind", "calls", "bytes"]]
"""),
        md("""
Several files. One is where its output went (the notebook collected it in a temporary file), and
one is a few bytes Python writes to test the temporary folder. The columns `destination` and
`first_bytes` say which is which, and where the diary is (exercise 4). The program deletes its
diary when it ends, so you would never find it by looking around afterwards; the trace saw every
line as it was written, and `diary.written(destination)` gives back all the bytes written to one
destination, in order: the whole diary.

## Explore on your own

The browser's first run, in the explorer. Try "failed calls only", or type `wizard` in the
regex box:
"""),
        code("before.explore()"),
        md("""
## Exercises
"""),
        code("from spykit.exercises import ch01", check=True),
        *exercise("**1.** Where does the Wizard Browser look for your consent, in *your* home? Give a "
                  "path (`~` for your home is fine). The check puts a file there, in a private copy of "
                  "your home, and runs the browser again.", "ch01.q1"),
        *exercise("**2.** The launcher hands its helpers secrets. What is one of them?", "ch01.q2"),
        *exercise("**3.** What message does `chatty.py` pass on to its server?", "ch01.q3"),
        *exercise("**4.** Where does `hidden_log.py` keep its diary? Give the path from one run.", "ch01.q4"),
        md("""
## What you can do now

- `missing()`: what a program looked for and did not find.
- `processes()`: what it started, with every argument.
- `network()`: whom it talked to and what it said.
- `writes()`: where it wrote, and what.

## Now do it in a terminal

The same four questions, without a notebook (run from the repository's folder):

- `strace -f -e trace=openat python3 mysteries/consent.py`, or `spykit missing -- python3 mysteries/consent.py`;
- `strace -f -s 200 -e trace=execve python3 mysteries/secret_helpers.py`;
- `strace -f -s 200 -e trace=%network python3 mysteries/chatty.py`;
- `strace -f -s 200 -e trace=write python3 mysteries/hidden_log.py`, or `spykit trace -e write -- ...`.

Next: **02 · The case of the slow program**.
"""),
    ]


# -- 02 the slow program -----------------------------------------------------------------------------

SLOW = '"--seconds", "1.5"'


def slow_program() -> list[nbformat.NotebookNode]:
    return [
        md("""
# 02 · The case of the slow program

Three programs in `mysteries/` are slow, each for a different reason. A program can be slow
because it computes (it is busy on the CPU running its own code), because it asks the kernel to
do a lot (busy in the kernel), or because it waits for something: the disk, the network,
another program. Guessing wastes hours; measuring takes seconds.

Each mystery runs for about 1.5 seconds here (`--seconds 1.5`).
"""),
        md(SETUP_TEXT),
        code(SETUP + "\nimport subprocess\nquiet = dict(stdout=subprocess.DEVNULL)"),
        md("""
## First, time them

`spykit.time` runs a program and measures it, like the shell's `time` command:
"""),
        code(f"""
timings = {{name: spykit.time(workshop.mystery(name, {SLOW}), **quiet)
           for name in ["slow_1_network", "slow_2_cpu", "slow_3_writes"]}}
for name, timing in timings.items():
    print(f"{{name:15}} user {{timing.user:5.2f}} s   system {{timing.system:5.2f}} s   "
          f"elapsed {{timing.elapsed:5.2f}} s   CPU {{timing.cpu_percent:3.0f}}%")
"""),
        md("""
Three numbers per program:

- **elapsed**: the time on the clock on the wall, from start to finish.
- **user time**: the time the CPU spent running the program's own code.
- **system time**: the time the CPU spent in the kernel, doing what the program asked for in its
  system calls.

When user + system is much less than elapsed, the program spent the rest **waiting**. Already the
three mysteries look different. Each `Timing` also says in words where the time went: `on the CPU`,
`in the kernel` or `waiting` (for what, the next sections find out):
"""),
        code("for name, timing in timings.items():\n    print(name, '->', timing.hint)"),
        md("""
In a terminal, this is the shell's `time` (or `/usr/bin/time -v` for every counter):
"""),
        code('!bash -c "time {sys.executable} ../mysteries/slow_2_cpu.py --seconds 0.5 >/dev/null"'),
        md("""
## Mystery 1: what is it waiting for?

`slow_1_network` barely uses the CPU. When a program waits inside a system call, the kernel
knows where it is parked: the **wait channel**, the name of the kernel function it sleeps in.
Anyone may read it in `/proc/PID/wchan` while the program runs. `spykit.wchan` looks a hundred
times a second, and adds what else `/proc` tells it: the blocked call and the file descriptor
it waits on.
"""),
        code(f"""
samples = spykit.wchan(workshop.mystery("slow_1_network", {SLOW}), **quiet)
from spykit.slow.waits import collapse
collapse(samples)[["time", "state", "wchan", "syscall", "target"]].tail(5)
"""),
        md("""
One row per moment. (`samples` itself has a row per *thread* at each moment: a program can do
several things at once. `collapse` keeps, for each moment, the thread that says most.)

The `state` column is the letter the kernel gives a thread at that instant: **R** running (or
ready to run, waiting for a CPU), **S** sleeping, waiting for something that can be interrupted
(data, a timer, a child), **D** waiting for something that cannot be interrupted, usually the disk.
The `wchan` column reads something like `wait_woken`, which is not very telling by itself: in
today's kernels many kinds of wait go through it. (The talk this workshop follows saw
`sk_wait_data`, "wait for data on a socket"; that name is still there, but deeper in the kernel's
stack, which only root may read.) What we *can* read is enough: the blocked call, a `recvfrom`
or `read`, on a file descriptor that is a TCP connection. Put together:
"""),
        code("from spykit.slow.waits import summarize\nsummarize(samples)[[\"reason\", \"meaning\", \"share\"]]"),
        md("""
Most of its life it is **waiting for data from a server** (here a slow one it started itself on
this machine). No amount of faster Python would help: the server is the bottleneck.

### The same from a terminal

`spykit.wchan` reads a file anyone may read while the program runs: `/proc/PID/wchan`. Start the
mystery in the background, read its wait channel the way you would in a terminal, and look at its
system calls with `strace -p PID` (strace's way of attaching to a running program; many machines
only let you attach to your own children, or only as root, and then it says so):
"""),
        code("""
net = workshop.start("net", workshop.mystery("slow_1_network", "--seconds", "3"))
!cat /proc/{net.pid}/wchan; echo
"""),
        terminal("timeout 1 strace -f -p {net.pid} 2>&1 | head -n 5"),
        code('workshop.stop("net")'),
        md("""

## Mystery 2: which function?

`slow_2_cpu` is on the CPU nearly all the time, in user time: its own code. The wait channel
would only say "running". The tool for this is a **profiler**, which counts how long each
Python function ran:
"""),
        code(f"""
functions = spykit.profile(workshop.mystery("slow_2_cpu", {SLOW}), **quiet)
functions[["function", "calls", "own", "own_share"]].head(5)
"""),
        md("""
`own` is time spent in the function itself, not in the functions it calls. One function takes
most of it: that is the one to make faster (or to call less often).

## Mystery 3: too many of something

`slow_3_writes` uses some user time, a lot of system time, and still waits most of the time.
System time means the kernel works for it. Which calls? A trace's `summary()` is the table that
`strace -c` prints: calls, errors and time per system call.
"""),
        code("""
journal = workshop.trace("slow-3-writes", workshop.mystery("slow_3_writes", "--seconds", "0.5"),
                         syscalls=["openat", "write", "fsync"], capture_output=True)
journal.summary()
"""),
        md("""
Many `write` calls, and just as many `fsync`. `fsync` asks the kernel to put the data on the
disk *now* and to wait until the disk says it is done. The program writes a tiny record, forces it
to disk, and starts again. How small are the writes?
"""),
        code('journal.filter("write").df["ret"].describe()[["count", "mean", "max"]]'),
        md("""
A few dozen bytes each. Writing them in bigger batches, or flushing once at the end, would make
it fast. (On a fast disk an `fsync` takes a fraction of a millisecond; on a network disk, as on
many cloud machines, tens of milliseconds. The same program can be fine on your laptop and slow
in production.)

## Your verdict first

You have looked at each mystery by hand. Before spykit sums it up for you, answer this:
"""),
        code("from spykit.exercises import ch02", check=True),
        *exercise("**1.** For each mystery, is it busy on the CPU (`'cpu'`), busy with the disk "
                  "(`'disk'`), or waiting on the network (`'network'`)? Answer with a dict from the "
                  "mystery's name to one of those.", "ch02.q1"),
        md("""
## The detective's summary

`spykit.diagnose` does all of the above for you: it times the program, watches what it waits for,
counts its system calls in a second run, and profiles it if it is Python. Then it writes down its
verdict, first in plain words, then the evidence for it (every other number it gathered is in
`verdict.details()`). It is the summary of what you just did by hand:
"""),
        code(f"""
verdict = spykit.diagnose(workshop.mystery("slow_1_network", {SLOW}), **quiet)
print(verdict.kind)
verdict
"""),
        code("""
for name in ["slow_2_cpu", "slow_3_writes"]:
    found = spykit.diagnose(workshop.mystery(name, "--seconds", "1"), **quiet)
    print(f"{name} -> {found.kind} ({found.hint}, as spykit.time puts it)")
"""),
        md("""
Did your verdict match? `diagnose` says *what* a program waits for (`disk`, `network`, ...),
where `spykit.time` only said `waiting`; `.hint` gives the verdict in `spykit.time`'s words, so
the two always agree.

## Exercises
"""),
        *exercise("**2.** Which function of `slow_2_cpu` would you speed up first? (Its name.)", "ch02.q2"),
        *exercise("**3.** Under a trace, about how many `write` calls per second does `slow_3_writes` "
                  "make? (Within a factor of 4 counts: it depends on the machine.)", "ch02.q3"),
        md("""
## What you can do now

- Split a program's time into user, system and waiting (`spykit.time`).
- Find what a waiting program waits for (`spykit.wchan`).
- Find the hot function of a busy Python program (`spykit.profile`).
- Count what a busy-in-the-kernel program asks for (`trace.summary()`).
- Let `spykit.diagnose` say all that in a paragraph.

## Now do it in a terminal

- `time python3 mysteries/slow_2_cpu.py`: user, system and elapsed;
- `python3 mysteries/slow_1_network.py &` then `cat /proc/$!/wchan` (and `cat /proc/$!/syscall`):
  what it waits for, while it runs;
- `strace -p PID` (or `spykit trace -p PID --duration 1`): what a running program is doing;
- `strace -c -f python3 mysteries/slow_3_writes.py`: which calls it makes, and how many;
- `python3 -m cProfile -s tottime mysteries/slow_2_cpu.py`: the hot function;
- `spykit diagnose -- python3 mysteries/slow_1_network.py`: all of it, in plain words.

Well done: you can spy on your programs.
"""),
    ]


# -- 03 wizard exercises -----------------------------------------------------------------------------

def wizard_exercises() -> list[nbformat.NotebookNode]:
    return [
        md("""
# 03 · Wizard exercises

Five programs you have not met, six questions, and no walkthrough this time. Each case gives you
the question, reminds you of the tools that could help, takes the first step with you, and then it
is your turn. Work through them in any order, at your own pace.

- Treat every program as a black box: run it, trace it, watch it. Reading its source spoils the case.
- Every answer is checked by running the program again: the check deletes the file you name while
  the program hangs, puts a config file where you say, measures what you claim. A check takes a
  second or two.
- `hint()` gives a nudge; call it again for a stronger one. `solution()` is the last resort.
- Programs you start in the background are stopped in the last cell ("Tidy up"), and at the latest
  when the notebook's kernel stops.
"""),
        md(SETUP_TEXT),
        code(SETUP + """
import os
import subprocess
from pathlib import Path

from spykit.exercises import ch03

quiet = dict(stdout=subprocess.DEVNULL)
"""),
        md("""
If it says tracing is not allowed: you can still solve every case. Waiting, timing and `/proc`
need no tracing; the traces below come from recordings; and the checks that need to trace a
program (questions 3 and 6) say that they could not check, while their hints and solutions still
work.

## Your toolbox

To find out...

- **what a program opens, looks for, starts, sends or writes:** `t = spykit.trace(cmd)`, then
  `t.files()`, `t.missing()`, `t.processes()`, `t.network()`, `t.writes()`, `t.filter(...)`, `t.summary()`;
- **where its time goes:** `spykit.time(cmd)`, then `spykit.diagnose(cmd)` and its `.evidence`;
- **what a running program waits for:** `spykit.wchan(pid, duration=1)`;
- **what a running program is doing:** `spykit.attach(pid, duration=1)`;
- **who holds a file lock:** `/proc/locks`;
- **who a process is:** `/proc/PID/cmdline` (its command line), `/proc/PID/cwd` (the folder it works
  in), `/proc/PID/fd/` (what it has open).

A command is a list, as in the chapters: `workshop.mystery("toolconf")` runs
`mysteries/toolconf.py` with this notebook's Python. (The hints write commands as
`['python', 'mysteries/toolconf.py']`; this notebook runs in the `notebooks/` folder, so use
`workshop.mystery(...)` instead.)

What is new is looking at a program *while it runs*. Some programs only show their problem then
(you cannot trace a hang to its end), so you start them in the background and look at them from
the outside. Practise on something harmless first.

### Start a program in the background

`workshop.start(name, cmd)` starts a program with `subprocess.Popen` and hands it back to you: its
**process id** (pid), the number the kernel knows it by, is `.pid`. It runs in a session of its
own, so interrupting a cell here does not stop it, and what it prints goes to a file that
`.said()` reads. Starting the same name again stops the earlier one first. `workshop.family(pid)`
lists a process and every process it started.

The practice program is a clock that writes the time five times a second:
"""),
        code("""
ticker = workshop.scratch_dir() / "clock.py"
ticker.write_text("import time\\nwhile True:\\n    print(time.strftime('%H:%M:%S'), flush=True)\\n    time.sleep(0.2)\\n")
clock = workshop.start("clock", workshop.python(str(ticker)))
workshop.family(clock.pid)
"""),
        md("""
### What is it waiting for? `spykit.wchan`

Give `wchan` a pid instead of a command and it watches that running process, and everything it
started, for `duration` seconds. It reads `/proc` a hundred times a second and needs no tracing, so
it works even where ptrace is forbidden:
"""),
        code('spykit.wchan(clock.pid, duration=0.5)[["pid", "state", "wchan", "syscall", "meaning"]].tail(3)'),
        md("""
Asleep on a timer between two ticks, as a clock should be. When a program has several processes
or threads, each has rows of its own: `pid`, `tid`, `ppid` and `command` tell them apart.

### What is it doing? `spykit.attach`

`attach` traces a program that is already running (strace's `-p`): it follows the system calls of
every thread for `duration` seconds, then lets go. It needs ptrace, and even where ptrace is
allowed, many machines (Binder among them) only let you attach to programs you started yourself,
which is what `workshop.start` did. Where attaching is refused, the cell says why and shows a
recording instead.
"""),
        code("""
ticks = workshop.attach("clock", clock.pid, duration=0.6)
ticks.df[["syscall", "args", "ret"]].head(6)
"""),
        md("""
Sleep, write the time, sleep again. And the clock never noticed it was watched; it is still
running:
"""),
        code("clock.poll() is None", check=True),
        md("""
### Who holds a file lock? `/proc/locks`

Programs that share a file take turns with a **file lock**: a call such as `flock` asks the kernel
for the lock, and waits as long as someone else holds it. The kernel lists every lock on the
machine in `/proc/locks`, one line each, with the pid of the process that holds it; a process
*waiting* for a lock gets a line too, marked `->`. Take a lock from this notebook and find it:
"""),
        code("""
import fcntl

with open(workshop.scratch_dir() / "practice.lock", "w") as practice:
    fcntl.flock(practice, fcntl.LOCK_EX)
    mine = [line for line in Path("/proc/locks").read_text().splitlines() if f" {os.getpid()} " in line]
print("\\n".join(mine), "   <- this notebook's pid is", os.getpid())
"""),
        md("""
The columns: the lock's number, its kind (`FLOCK`), `ADVISORY` (programs agree to respect it; the
kernel does not force anyone), `WRITE` (exclusive: one holder at a time), the holder's pid, the
file as device and inode number, and the part of the file it covers. The lock went away when the
`with` block closed the file.

Practice over: stop the clock. `stop` says whether it was still running.
"""),
        code('workshop.stop("clock")', check=True),
        md("""
## Case 1 · Wizard Sync hangs

`mysteries/hangs.py` announces that it is syncing your spellbook with its sync daemon, and then
nothing happens. It gives up by itself in the end (here after two minutes; run the cell again for a
fresh start).

**The question:** what is it waiting for, what is *that* waiting for, and can you make it finish
without killing anything?

**Tools:** `workshop.family` for the pids; `spykit.wchan(pid, duration=1)` on the program (it
covers every process the program started); `spykit.attach(pid, duration=1)` on a process that
seems to do nothing, then ask its trace the questions you know; `/proc/PID/cwd` for the folder a
process works in; `sync.said()` for what it printed.
"""),
        code("""
# Your workspace: add cells below as you need them. Wizard Sync, running in the background:
sync = workshop.start("sync", workshop.mystery("hangs", "--seconds", "120"))
print(sync.said())
workshop.family(sync.pid)
"""),
        *exercise("**1.** Which file has to go for Wizard Sync to finish? Give its path from one run. The "
                  "check starts a run of its own, deletes that file from it while it hangs, and sees whether "
                  "the sync then completes.", "ch03.q1"),
        md("""
## Case 2 · wizfmt's hidden settings

`mysteries/toolconf.py` is wizfmt, a text formatter. Like many tools it has a config file, and
like many tools it does not tell you where. It found none, so it formats its scroll plainly.

**The question:** where can you put a config file it reads? And once it has one, which other file
does it go looking for?

**Tools:** `t.missing()` (what it looked for and did not find) and `t.files()`; the tool's
`--help`. Create files under your home as you like (`~` is `Path.home()`): the checks run wizfmt
in a private copy of your folders and change nothing of yours.
"""),
        code("""
# Your workspace. wizfmt as it is now, traced:
wizfmt = workshop.trace("toolconf", workshop.mystery("toolconf"), capture_output=True)
print(wizfmt.stdout.decode())
"""),
        *exercise("**2.** Where can you put a config file that wizfmt reads? Give a path (`~` for your home "
                  "is fine), or the name of an environment variable that names one. The check creates the "
                  "file there, in the private copy, and runs wizfmt.", "ch03.q2"),
        *exercise("**3.** Once wizfmt has a config file, it looks for one more file. Where? Give its path.",
                  "ch03.q3"),
        md("""
## Case 3 · Wizard Post is slow

`mysteries/slow_4_child.py` hands a few letters to a courier, and takes seconds to do it. As in
chapter 02, measure before you guess.

**The question:** it waits for a child process. What is the child waiting for?

**Tools:** `spykit.diagnose(cmd)` and its `.evidence` (what the program *and its descendants* were
doing); `spykit.wchan(cmd)`, a row per thread of every process; `t.processes()` to see who is who.
"""),
        code("""
# Your workspace. Wizard Post, timed (it works for one second here):
spykit.time(workshop.mystery("slow_4_child", "--seconds", "1"), **quiet)
"""),
        *exercise("**4.** What is Wizard Post's child waiting for? One word: `'network'`, `'cpu'`, "
                  "`'disk'`, `'sleep'`, `'lock'` or `'input'`. The check diagnoses a live run.", "ch03.q4"),
        md("""
## Case 4 · The library's clerks

In `mysteries/slow_5_lock.py` three clerks, threads of one program, record the library's loans in
a catalogue, one at a time. They get very little done, and hardly use the CPU.

**The question:** they wait on a lock. Who holds it: another thread of the same program, or
another process?

**Tools:** `spykit.diagnose(cmd)` for the kind of wait; a running copy (`workshop.start`, as in the
toolbox) to look at with `spykit.wchan`, and `/proc/locks` while it runs; `workshop.family(pid)` and
`/proc/PID/cmdline` for whoever the pids turn out to be.
"""),
        code("""
# Your workspace. The clerks, timed (one second of work):
spykit.time(workshop.mystery("slow_5_lock", "--seconds", "1"), **quiet)
"""),
        *exercise("**5.** Who holds the lock the clerks wait for: another thread of the program, or another "
                  "process (which one)? Answer in words. The check reads `/proc/locks` during a live run.",
                  "ch03.q5"),
        md("""
## Case 5 · Wizard Weather

`mysteries/slow_6_pipe.py` averages a handful of temperature readings. Adding up five numbers
takes no time at all, yet it takes seconds.

**The question:** about how many seconds pass between two readings?

**Tools:** `spykit.diagnose(cmd)` for where the readings come from; in a trace,
`t.filter("read", fd_kind="pipe")` for the reads from a pipe (a **pipe** is a one-way channel from
one process to another; `fd_kind` says what each call's file descriptor points to: a file, a pipe,
a socket, a terminal...); a call that waits ends at its `time` plus its `duration`; pandas' `.diff()`
gives the gaps between rows.
"""),
        code("""
# Your workspace. Wizard Weather, traced for a short run:
weather = workshop.trace("slow-6-pipe", workshop.mystery("slow_6_pipe", "--seconds", "1.3"), capture_output=True)
print(weather.stdout.decode())
"""),
        *exercise("**6.** About how many seconds pass between two readings? A number. The check traces a run "
                  "here and measures; within half as much again, either way, counts.", "ch03.q6"),
        md("""
## Tidy up

Stop every program this notebook started in the background, and make sure nothing is left
running. (This also happens when the kernel stops, but a detective leaves the scene as they
found it.) If the list names a program you started yourself with `subprocess.Popen`, stop it with
its `.terminate()`.
"""),
        code("""
workshop.stop_all()
print("Still running:", ", ".join(workshop.leftovers()) or "nothing")
""", check=True),
        md("""
## What you can do now

You cracked five programs nobody explained to you, from the outside:

- follow a wait from one process to the next until you find what everything is waiting on;
- find a tool's settings in the files it fails to open, and look again after every change;
- tell apart the ways a program can be slow because of someone else: a child, a lock's holder, a
  producer that takes its time.

## Now do it in a terminal

None of this is special to Python or to these programs. Outside a notebook the same questions are
`strace -f -p PID` (what a running program does), `cat /proc/PID/wchan` (what it waits for),
`cat /proc/locks` (who holds a lock), `ls -l /proc/PID/fd` (what it has open),
`strace -f -e trace=openat CMD` (what it looks for), and `spykit diagnose -- CMD`: try them on the
next program that puzzles you.
"""),
    ]


NOTEBOOKS = {
    "00-wizard-school.ipynb": wizard_school,
    "01-missing-config-file.ipynb": missing_config_file,
    "02-slow-program.ipynb": slow_program,
    "03-wizard-exercises.ipynb": wizard_exercises,
}


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=NOTEBOOKS[name]())
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for number, cell in enumerate(nb.cells):
        cell.id = f"{Path(name).stem[:2]}-{number:03d}"  # stable ids: rebuilding does not churn the diff
    return nb


def execute(nb: nbformat.NotebookNode) -> float:
    """Run the notebook here, in a kernel of this Python, with the notebooks folder as working directory.

    Then the outputs that hold for this machine only (cells tagged ``nbval-ignore-output``) are
    cleared: what is committed must be true wherever it is read.
    """
    from nbclient import NotebookClient

    started = time.monotonic()
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    took = time.monotonic() - started
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # when it ran, on which clock: churn in every rebuild's diff
        if cell.cell_type == "code" and IGNORE in cell.metadata.get("tags", []):
            cell.outputs, cell.execution_count = [], None
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--execute", action="store_true", help="run each notebook and save its outputs")
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONPATH", str(HERE.parent))  # spykit from this checkout, installed or not
    for name in args.names or NOTEBOOKS:
        nb = build(name)
        if args.execute:
            print(f"{name}: ran in {execute(nb):.1f} s", file=sys.stderr)
        nbformat.write(nb, HERE / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
