"""The detective's questions: small answers computed from a trace's DataFrames.

Each function takes ``Trace.df`` (and, for processes, ``Trace.events``) as the module
docstring of :mod:`spykit.trace` defines them, and returns a small new DataFrame. Nothing
here traces, prints or reaches back into the tracer, so every answer can be checked on a
frame written by hand.

- :func:`summary`: the ``strace -c`` table.
- :func:`files`: every call that names a file, with its flags in words.
- :func:`missing`: the files a program looked for and did not find.
- :func:`processes`: which processes ran, who started them, what they ran, how they ended.
- :func:`network`: what went over sockets.
- :func:`writes`: where the program wrote, and what.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

import pandas as pd

from .syscalls.captures import DATA_LIMIT

# -- summary -----------------------------------------------------------------------------------

# Text columns of the answers keep their strings in Python objects: comparing them gives the same
# nullable booleans as the number columns do, so masks like (a.peer == x) & (a.fd == 3) combine.
TEXT = "string[python]"

NEVER_RETURN = ("exit", "exit_group")
SUMMARY_COLUMNS = ["% time", "seconds", "usecs/call", "calls", "errors", "syscall"]


def summary(df: pd.DataFrame, wall: bool = False) -> pd.DataFrame:
    """The ``strace -c`` table: per system call, time spent, calls and errors; most time first.

    Columns: ``% time``, ``seconds``, ``usecs/call``, ``calls``, ``errors``, ``syscall``
    (no total row: ``table.sum()`` gives it).

    How the time differs from strace's: without ``-w`` strace charges each call the *system
    CPU time* the kernel spent on it (read from the tracee's resource usage), so a call that
    sleeps in ``read`` or ``wait4`` costs next to nothing. spykit records only when each call
    entered and left, so both modes here count that wall-clock ``duration``, waiting included.
    The two modes differ in the calls still running when the trace ended (a ``read`` that never
    returned, a detached process): by default they add no time, as strace never sees them end;
    with ``wall=True`` they are charged until the last moment the trace saw, because that wall
    time really went into them (``exit`` and ``exit_group``, which never return, stay at zero).
    """
    if df.empty:
        return pd.DataFrame({"% time": pd.Series(dtype="float64"), "seconds": pd.Series(dtype="float64"),
                             "usecs/call": pd.Series(dtype="int64"), "calls": pd.Series(dtype="int64"),
                             "errors": pd.Series(dtype="int64"), "syscall": pd.Series(dtype=TEXT)})
    seconds = df["duration"].fillna(0.0)
    if wall:
        # exit and exit_group never return by design: the process is gone, not busy in the call.
        still_running = df["duration"].isna() & ~df["syscall"].isin(NEVER_RETURN)
        last_seen = max(float((df["time"] + df["duration"]).max(skipna=True) if seconds.any() else 0.0),
                        float(df["time"].max()))
        seconds = seconds.where(~still_running, last_seen - df["time"])
    per_call = pd.DataFrame({
        "syscall": df["syscall"].astype("string"),
        "seconds": seconds,
        "failed": df["error"].notna(),
    })
    grouped = per_call.groupby("syscall", sort=False)
    table = pd.DataFrame({
        "seconds": grouped["seconds"].sum(),
        "calls": grouped.size().astype("int64"),
        "errors": grouped["failed"].sum().astype("int64"),
    })
    total = table["seconds"].sum()
    table["% time"] = table["seconds"] / total * 100 if total > 0 else 0.0
    table["usecs/call"] = (table["seconds"] * 1e6 / table["calls"]).round().astype("int64")
    table = table.rename_axis("syscall").reset_index()
    table["syscall"] = table["syscall"].astype(TEXT)
    # strace sorts by time; ties (often all zero) by calls, then by name for a stable answer.
    table = table.sort_values(["seconds", "calls", "syscall"], ascending=[False, False, True], kind="stable")
    return table[SUMMARY_COLUMNS].reset_index(drop=True)


# -- start-up rows ---------------------------------------------------------------------------------

def startup_rows(df: pd.DataFrame) -> pd.Series:
    """The ``startup`` column of ``df``, worked out from the calls when the frame has none."""
    if "startup" in df.columns:
        return df["startup"].astype(bool)
    from .startup import startup_mask

    return pd.Series(startup_mask(df), index=df.index, dtype=bool)


class StartupAnswer(pd.DataFrame):
    """An answer with start-up rows left out: displays like a DataFrame, then says how many it hid.

    ``attrs["startup_hidden"]`` is that count; ``attrs["startup_question"]`` names the question
    for the hint. Anything computed from it (a slice, a filter) is a plain DataFrame again, as
    the count would no longer describe it.
    """

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _footer(self) -> str:
        hidden = int(self.attrs.get("startup_hidden", 0))
        if not hidden:
            return ""
        question = self.attrs.get("startup_question", "missing")
        rows = "row" if hidden == 1 else "rows"
        return (f"{hidden} start-up {rows} left out (the loader, locale, PATH search, the interpreter's own "
                f"start-up): .{question}(startup=True) shows them all")

    def __repr__(self) -> str:
        footer = self._footer()
        return super().__repr__() + ("\n" + footer if footer else "")

    def _repr_html_(self) -> str | None:
        html = super()._repr_html_()
        footer = self._footer()
        if html is None or not footer:
            return html
        from html import escape

        return html + f"<p class='spykit-startup-hidden'><i>{escape(footer)}</i></p>"


def _with_hidden(answer: pd.DataFrame, hidden: int, question: str) -> pd.DataFrame:
    result = StartupAnswer(answer)
    result.attrs["startup_hidden"] = int(hidden)
    result.attrs["startup_question"] = question
    return result


# -- which calls name a file ------------------------------------------------------------------------

def _file_class_calls(names: list[str]) -> set[str]:
    """Calls in strace's %file class: the ones that take a file name as an argument."""
    from .syscalls.table import classes_of

    return {name for name in names if "file" in classes_of(name)}


def files(df: pd.DataFrame, startup: bool = False) -> pd.DataFrame:
    """Every call that names a file: ``time``, ``pid``, ``syscall``, ``path``, ``flags``, ``ok``, ``error``.

    A call names a file when it belongs to strace's %file class (open, stat, access, execve,
    unlink, mkdir, ...) and has a path (``fstat`` through ``newfstatat(fd, "")`` has none).
    ``flags`` puts the flags and mode in words (the ``flags`` column of ``df``, made from the
    call's numeric arguments); ``ok`` is <NA> for a call that never returned.
    The index is the row's index in ``df``.

    Start-up lookups (the ``startup`` column: loader, locale, PATH search, the interpreter's
    own start-up) are left out unless ``startup=True``; ``attrs["startup_hidden"]`` says how
    many rows were left out.
    """
    names = [str(n) for n in df["syscall"].astype("string").dropna().unique()]
    named = df["syscall"].astype("string").isin(_file_class_calls(names)) | (df["category"] == "file")
    # an empty path (AT_EMPTY_PATH) means "the fd itself": that call names no file
    chosen = named & df["path"].notna() & (df["path"] != "").fillna(False).astype(bool)
    hidden = 0
    if not startup:
        early = startup_rows(df)
        hidden = int((chosen & early).sum())
        chosen = chosen & ~early
    rows = df[chosen]
    ok = pd.array(rows["error"].isna().to_numpy(), dtype="boolean")
    ok[rows["unfinished"].to_numpy()] = pd.NA
    answer = pd.DataFrame({
        "time": rows["time"],
        "pid": rows["pid"],
        "syscall": rows["syscall"].astype(TEXT),
        "path": rows["path"].astype(TEXT),
        "flags": (rows["flags"].astype(object).fillna("") if "flags" in rows.columns
                  else pd.Series("", index=rows.index, dtype=object)).astype(TEXT),
        "ok": pd.Series(ok, index=rows.index),
        "error": rows["error"].astype(TEXT),
    })
    return _with_hidden(answer, hidden, "files")


# -- missing --------------------------------------------------------------------------------------

NOT_FOUND_ERRORS = ("ENOENT", "ENOTDIR")


def missing(df: pd.DataFrame, startup: bool = False) -> pd.DataFrame:
    """The paths the program looked for and did not find, once each, in the order first seen.

    A path is missing when a call naming it failed with ENOENT (no such file or directory) or
    ENOTDIR (a part of the path is not a directory). Columns: ``path``, ``syscall`` and
    ``error`` of the first failed attempt, ``first_time``, ``pid`` that looked first,
    ``attempts`` (failed calls on that path), and ``found_later`` (a later call on the same
    path succeeded: the program created it, or it appeared).

    Start-up lookups (the ``startup`` column: the loader's library search, locale files, a
    PATH search, the interpreter's own start-up) are left out unless ``startup=True``, which
    gives every missing path in time order; ``attrs["startup_hidden"]`` says how many paths
    were left out.
    """
    looked = df["error"].isin(NOT_FOUND_ERRORS).fillna(False).astype(bool) & df["path"].notna()
    everything = _missing(df, looked)
    if startup:
        return _with_hidden(everything, 0, "missing")
    own = _missing(df, looked & ~startup_rows(df))
    return _with_hidden(own, len(everything) - len(own), "missing")


def _missing(df: pd.DataFrame, looked: pd.Series) -> pd.DataFrame:
    failed = df[looked]
    columns = {"path": TEXT, "syscall": TEXT, "error": TEXT, "first_time": "float64",
               "pid": "int64", "attempts": "int64", "found_later": "bool"}
    if failed.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    first = failed.drop_duplicates("path", keep="first")
    attempts = failed.groupby("path", sort=False).size()
    succeeded = df[df["error"].isna() & ~df["unfinished"] & df["path"].isin(first["path"])]
    last_success = succeeded.groupby("path", sort=False)["time"].max()
    answer = pd.DataFrame({
        "path": first["path"].to_numpy(),
        "syscall": first["syscall"].astype("string").to_numpy(),
        "error": first["error"].to_numpy(),
        "first_time": first["time"].to_numpy(),
        "pid": first["pid"].to_numpy(),
        "attempts": attempts.reindex(first["path"]).to_numpy(),
        "found_later": (last_success.reindex(first["path"]).to_numpy() > first["time"].to_numpy()),
    })
    return answer.astype(columns)


# -- processes ------------------------------------------------------------------------------------

PROCESS_COLUMNS = {"pid": "int64", "parent": "Int64", "argv": "object", "exe": TEXT, "status": "Int64",
                   "signal": TEXT, "start": "float64", "end": "float64", "threads": "int64", "env": "object"}


def _successful_execs(df: pd.DataFrame, events: pd.DataFrame, process_of: Callable[[int], int]) -> pd.DataFrame:
    """The execve rows that really started a program.

    A call that returned without an error did. So did one whose exit the tracer never saw (it
    was marked unfinished) when an ``exec`` event of its process follows it: that event is the
    kernel saying the new program started.
    """
    calls = df[df["syscall"].isin(["execve", "execveat"]) & df["error"].isna()].sort_values("time", kind="stable")
    done = calls[~calls["unfinished"]]
    pending = calls[calls["unfinished"]]
    confirmed: set[object] = set()
    if not pending.empty:
        execs = events[events["kind"] == "exec"]
        for time, tid in zip(execs["time"], execs["pid"], strict=True):
            proc = process_of(int(tid))
            before = calls[(calls["tgid"] == proc) & (calls["time"] <= time)]
            if not before.empty and before.index[-1] in pending.index:
                confirmed.add(before.index[-1])
    return calls[calls.index.isin(done.index) | calls.index.isin(list(confirmed))]


def processes(df: pd.DataFrame, events: pd.DataFrame, execs: list[dict] | None = None) -> pd.DataFrame:
    """One row per process (threads folded in), in the order they started.

    Columns: ``pid`` (the process id), ``parent`` (the process that started it; <NA> for the
    first), ``argv`` (a list with the whole argv of every successful execve, in order: ``[]``
    for a fork that never exec'd), ``exe`` (the last program it ran), ``status`` (exit status) or
    ``signal`` (the signal that killed it), ``start`` and ``end`` (seconds since the trace
    started; ``end`` is NaN when it was still running when tracing stopped), ``threads``, and
    ``env`` (a dict: the environment its last exec received; None when no exec was seen).

    ``execs`` holds the values the tracer read at each exec (``Trace.meta.execs``: the row of
    the call, its ``argv`` and ``env``); an exec without them (a hand-made frame, a trace cut
    at ``max_events``) gives an empty argv and no env, never one guessed from the ``args`` text.

    A thread is told from a process by the ``tgid`` column and by ``spawn`` events whose
    ``how`` is ``"thread"``; everything a thread does counts for its process.
    """
    tgid_of: dict[int, int] = {}
    for tid, tgid in df[["pid", "tgid"]].drop_duplicates().itertuples(index=False):
        tgid_of.setdefault(int(tid), int(tgid))

    def process_of(tid: int) -> int:
        return tgid_of.get(tid, tid)

    parent: dict[int, int] = {}
    spawned_at: dict[int, float] = {}
    spawns = events[events["kind"] == "spawn"].sort_values("time", kind="stable")
    for time, tid, child, how in spawns[["time", "pid", "child", "how"]].itertuples(index=False):
        if pd.isna(child):
            continue
        child = int(child)
        if how == "thread":
            tgid_of.setdefault(child, process_of(int(tid)))
        else:
            tgid_of.setdefault(child, child)
            parent[child] = process_of(int(tid))
            spawned_at[child] = float(time)

    threads: dict[int, set[int]] = {}
    first_seen: dict[int, float] = {}
    # the first moment each thread was seen: in a call, in an event, or being born
    seen = pd.concat([df[["pid", "time"]], events[["pid", "time"]]]).groupby("pid")["time"].min()
    sightings = [(float(t), int(p)) for p, t in seen.items()] + [(spawned_at[c], c) for c in spawned_at]
    for time, tid in sightings:
        proc = process_of(tid)
        threads.setdefault(proc, set()).add(tid)
        first_seen[proc] = min(time, first_seen.get(proc, time))

    values = {int(e["row"]): e for e in execs or ()}
    ran = _successful_execs(df, events, process_of).sort_values("time", kind="stable")
    argvs: dict[int, list[list[str]]] = {}
    envs: dict[int, dict[str, str] | None] = {}
    exes: dict[int, str] = {}
    for label, tgid, path in zip(ran.index, ran["tgid"], ran["path"], strict=True):
        value = values.get(int(label), {})
        argvs.setdefault(int(tgid), []).append(list(value.get("argv") or []))
        env = value.get("env")
        envs[int(tgid)] = dict(env) if env is not None else None
        if not pd.isna(path):
            exes[int(tgid)] = str(path)
    for tid, text in events[events["kind"] == "exec"][["pid", "text"]].itertuples(index=False):
        if not pd.isna(text):
            exes.setdefault(process_of(int(tid)), str(text))

    endings: dict[int, tuple[bool, float, object, object]] = {}  # proc -> (by leader, time, status, signal)
    ends = events[events["kind"].isin(["exit", "killed"])].sort_values("time", kind="stable")
    for time, tid, kind, sig, status in ends[["time", "pid", "kind", "signal", "status"]].itertuples(
            index=False):
        proc = process_of(int(tid))
        ending = (int(tid) == proc, float(time), status if kind == "exit" else pd.NA,
                  sig if kind == "killed" else pd.NA)
        # The leader's own ending describes the process; another thread's only when the leader's is unseen.
        if proc not in endings or ending[0] or not endings[proc][0]:
            endings[proc] = ending

    rows = []
    for proc in sorted(threads, key=lambda p: (spawned_at.get(p, first_seen[p]), p)):
        _, end, status, sig = endings.get(proc, (False, float("nan"), pd.NA, pd.NA))
        rows.append({"pid": proc, "parent": parent.get(proc, pd.NA), "argv": argvs.get(proc, []),
                     "exe": exes.get(proc, pd.NA), "status": status, "signal": sig,
                     "start": spawned_at.get(proc, first_seen[proc]), "end": end,
                     "threads": len(threads[proc]), "env": envs.get(proc)})
    answer = pd.DataFrame(rows, columns=list(PROCESS_COLUMNS))
    answer = answer.astype({c: t for c, t in PROCESS_COLUMNS.items() if t != "object"})
    answer["argv"] = pd.Series([r["argv"] for r in rows], dtype=object)
    answer["env"] = pd.Series([r["env"] for r in rows], dtype=object)
    return answer


def command_line(argv: list[str]) -> str:
    """An argv as a shell would need it typed."""
    return shlex.join(argv)


# -- sockets --------------------------------------------------------------------------------------

# strace -y names a socket fd after its protocol: TCP:[...], UDPv6:[...], UNIX-STREAM:[...], socket:[inode].
_SOCKET_TARGET = re.compile(r"^(?:[A-Z][A-Za-z0-9-]*|socket):\[")
_PIPE_TARGET = re.compile(r"^pipe:\[")

SEND_CALLS = frozenset({"send", "sendto", "sendmsg", "sendmmsg"})
RECEIVE_CALLS = frozenset({"recv", "recvfrom", "recvmsg", "recvmmsg"})
WRITE_CALLS = frozenset({"write", "writev", "pwrite64", "pwritev", "pwritev2"})
READ_CALLS = frozenset({"read", "readv", "pread64", "preadv", "preadv2"})
SOCKET_CALLS = frozenset({"connect", "accept", "accept4", "bind", "listen", "shutdown"})
_DIRECTION = {"connect": "out", "accept": "in", "accept4": "in", "bind": "", "listen": "", "shutdown": "",
              **dict.fromkeys(SEND_CALLS | WRITE_CALLS, "out"),
              **dict.fromkeys(RECEIVE_CALLS | READ_CALLS, "in")}


def is_socket_target(path: object) -> bool:
    """Whether an fd target as ``strace -y`` shows it is a socket."""
    return isinstance(path, str) and bool(_SOCKET_TARGET.match(path))


def _endpoints(target: object) -> tuple[object, object]:
    """(local, peer) addresses from a socket target as ``strace -yy`` shows it.

    ``TCP:[127.0.0.1:41000->127.0.0.1:8000]`` gives both ends, ``TCP:[127.0.0.1:8000]`` (listening)
    the local one, ``UNIX:[12345,/run/app.sock]`` the socket's path; a bare inode number
    (``TCP:[12345]``, ``socket:[12345]``) names no address, so it gives <NA>.
    """
    if not is_socket_target(target):
        return pd.NA, pd.NA
    text = str(target)
    inner = text[text.index("[") + 1:]
    inner = inner[:-1] if inner.endswith("]") else inner
    unix_path = None
    if text.startswith("UNIX") and "," in inner:
        inner, unix_path = inner.split(",", 1)
    local, _, peer = inner.partition("->")
    ends = [pd.NA if not end or end.isdigit() else end for end in (local, peer)]
    if unix_path:
        ends[0] = unix_path
    return ends[0], ends[1]


# A connect that has not finished yet (non-blocking) still names the peer the socket will talk to.
_CONNECTING = (None, "EINPROGRESS", "EALREADY", "EISCONN")


def _connected_peers(df: pd.DataFrame) -> dict[int, str]:
    """The peer each row's socket was connected to, by row label, remembered from its connect or accept.

    The fd's target (``TCP:[a->b]``) usually says it, but not when the tracer looked the fd up
    before the connection was made; connect's own address then still tells. A socket's memory
    ends when its fd is closed or a new socket takes its number.
    """
    name = df["syscall"].astype("string")
    relevant = df[name.isin(SOCKET_CALLS | SEND_CALLS | RECEIVE_CALLS | WRITE_CALLS | READ_CALLS
                            | {"close", "socket"})]
    current: dict[tuple[int, int], str] = {}
    found: dict[int, str] = {}
    for label, tgid, syscall, fd, ret, addr, error in zip(
            relevant.index, relevant["tgid"], relevant["syscall"], relevant["fd"], relevant["ret"],
            relevant["addr"], relevant["error"], strict=True):
        error = None if pd.isna(error) else error
        if syscall == "connect" and not pd.isna(addr) and not pd.isna(fd) and error in _CONNECTING:
            current[(tgid, int(fd))] = str(addr)
        elif syscall in ("accept", "accept4") and not pd.isna(addr) and not pd.isna(ret) and ret >= 0:
            current[(tgid, int(ret))] = str(addr)
        elif syscall == "socket" and not pd.isna(ret) and ret >= 0:
            current.pop((tgid, int(ret)), None)
        elif not pd.isna(fd) and (tgid, int(fd)) in current:
            found[label] = current[(tgid, int(fd))]
            if syscall == "close":
                del current[(tgid, int(fd))]
    return found


NETWORK_COLUMNS = {"time": "float64", "pid": "int64", "syscall": TEXT, "fd": "Int64",
                   "direction": TEXT, "local": TEXT, "peer": TEXT, "bytes": "Int64",
                   "data": "object", "error": TEXT}


def network(df: pd.DataFrame) -> pd.DataFrame:
    """What went over sockets: connect, accept, bind, listen, send*, recv*, and read/write on a socket.

    Columns: ``time``, ``pid``, ``syscall``, ``fd``, ``direction`` (``out`` for sending and
    connecting, ``in`` for receiving and accepting, empty for bind and listen), ``local`` and
    ``peer`` addresses (``ip:port``, ``[ipv6]:port``, or a UNIX path), ``bytes`` actually moved,
    ``data`` (the payload, up to the trace's ``data_limit``, 4096 bytes by default: ``bytes``
    larger than ``len(data)`` means it was cut) and ``error``.

    The payload is what the program handed to the kernel. Traffic the program encrypts itself
    (HTTPS, SSH, TLS to a database) therefore shows as noise: random-looking bytes, because the
    encryption happened in the program before the system call. To read it you would have to look
    inside the program (for instance at the calls into its TLS library), not at its system calls.
    """
    name = df["syscall"].astype("string")
    socket_calls = name.isin(SOCKET_CALLS | SEND_CALLS | RECEIVE_CALLS)
    to_socket = pd.Series([is_socket_target(p) for p in df["path"]], index=df.index, dtype=bool)
    on_socket = name.isin(WRITE_CALLS | READ_CALLS) & to_socket
    rows = df[socket_calls | on_socket]
    remembered = _connected_peers(df)
    local, peer = [], []
    for label, syscall, target, addr in zip(rows.index, rows["syscall"], rows["path"], rows["addr"],
                                            strict=True):
        here, there = _endpoints(target)
        if pd.isna(there) and label in remembered:
            there = remembered[label]
        if not pd.isna(addr):
            # the address the call names: our own for bind, the other end's for everything else
            if syscall in ("bind", "listen"):
                here = addr
            else:
                there = addr
        local.append(here)
        peer.append(there)
    moves_data = rows["syscall"].astype("string").isin(SEND_CALLS | RECEIVE_CALLS | WRITE_CALLS | READ_CALLS)
    moved = rows["ret"].where(moves_data & rows["error"].isna())
    answer = pd.DataFrame({
        "time": rows["time"], "pid": rows["pid"], "syscall": rows["syscall"].astype(TEXT),
        "fd": rows["fd"],
        "direction": [_DIRECTION.get(str(s), "") for s in rows["syscall"]],
        "local": pd.Series(local, index=rows.index, dtype=object),
        "peer": pd.Series(peer, index=rows.index, dtype=object),
        "bytes": moved, "data": rows["data"], "error": rows["error"],
    }, index=rows.index)
    return answer.astype({c: t for c, t in NETWORK_COLUMNS.items() if t != "object"})


# -- writes ---------------------------------------------------------------------------------------

def destination_kind(target: str) -> str:
    """What kind of thing an fd target is: terminal, pipe, socket, device, file or other."""
    if target.startswith(("/dev/pts/", "/dev/tty", "/dev/console")):
        return "terminal"
    if _PIPE_TARGET.match(target):
        return "pipe"
    if is_socket_target(target):
        return "socket"
    if target.startswith("/dev/"):
        return "device"
    if target.startswith("/"):
        return "file"
    return "other"


WRITES_COLUMNS = {"destination": TEXT, "kind": TEXT, "calls": "int64", "bytes": "int64",
                  "errors": "int64", "first_time": "float64", "first_bytes": "object"}


def _destinations(rows: pd.DataFrame) -> pd.Series:
    """Where each write went: the fd's target, or ``fd N`` when it is unknown."""
    unknown = pd.Series(["fd " + ("?" if pd.isna(f) else str(f)) for f in rows["fd"]], index=rows.index)
    return rows["path"].astype(object).where(rows["path"].notna(), unknown)


def writes(df: pd.DataFrame, first: int = DATA_LIMIT) -> pd.DataFrame:
    """Where the program wrote: one row per destination (file, pipe, socket, terminal), first written first.

    Columns: ``destination`` (the fd's target, or ``fd N`` when it is unknown), ``kind``,
    ``calls``, ``bytes`` (written successfully), ``errors``, ``first_time`` and
    ``first_bytes``: the start of what was written, up to ``first`` bytes, joined from the
    first calls in order. The tracer keeps each call's bytes up to the trace's ``data_limit``
    (4096 by default), so joining stops after the first call whose bytes were cut short.
    Counts the write family (write, writev, pwrite64, ...) and the send family.
    :func:`written` gives all the bytes of one destination.
    """
    name = df["syscall"].astype("string")
    rows = df[name.isin(WRITE_CALLS | SEND_CALLS)]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in WRITES_COLUMNS.items()})
    destination = _destinations(rows)
    answer = []
    for target, group in rows.groupby(destination.to_numpy(), sort=False):
        ok = group["error"].isna() & ~group["unfinished"]
        start = b""
        for data, ret in group.loc[ok, ["data", "ret"]].itertuples(index=False):
            if not isinstance(data, bytes | bytearray) or len(start) >= first:
                break
            start += bytes(data)
            if len(data) < ret:  # cut at the data limit: what follows is unknown
                break
        answer.append({"destination": str(target), "kind": destination_kind(str(target)), "calls": len(group),
                       "bytes": int(group.loc[ok, "ret"].fillna(0).clip(lower=0).sum()),
                       "errors": int(group["error"].notna().sum()), "first_time": float(group["time"].min()),
                       "first_bytes": start[:first]})
    table = pd.DataFrame(answer, columns=list(WRITES_COLUMNS)).sort_values("first_time", kind="stable")
    return table.reset_index(drop=True).astype({c: t for c, t in WRITES_COLUMNS.items() if t != "object"})


def written(df: pd.DataFrame, destination: str) -> bytes:
    """Every byte the program wrote to ``destination`` (a value of ``writes()["destination"]``), in order.

    Raises :class:`~spykit.SpykitError` when the destination was never written to, or when some
    of its calls kept only part of their bytes (more than the trace's ``data_limit``, or after
    its data budget was spent): the answer would not be the whole of what was written.
    """
    from .errors import SpykitError

    name = df["syscall"].astype("string")
    rows = df[name.isin(WRITE_CALLS | SEND_CALLS)]
    mine = rows[(_destinations(rows) == destination).to_numpy(dtype=bool)] if len(rows) else rows
    if mine.empty:
        known = sorted({str(d) for d in _destinations(rows)}) if len(rows) else []
        raise SpykitError(f"nothing was written to {destination!r}",
                          hint="pick a destination from trace.writes()['destination']"
                               + (f": {', '.join(map(repr, known[:5]))}" if known else ""))
    ok = mine[mine["error"].isna() & ~mine["unfinished"]]
    moved = ok["ret"].fillna(0).clip(lower=0).astype("int64")
    pieces = [bytes(d) if isinstance(d, bytes | bytearray) else b"" for d in ok["data"]]
    cut = sum(len(p) < int(m) for p, m in zip(pieces, moved, strict=True))
    if cut:
        raise SpykitError(f"{cut} of the {len(ok)} writes to {destination!r} kept only part of their bytes",
                          hint=f"trace again with a larger data_limit= (the largest write moved {int(moved.max())} "
                               "bytes); the trace's data budget is 64 MiB")
    return b"".join(p[:int(m)] for p, m in zip(pieces, moved, strict=True))
