"""strace's text output -> a Trace with the same columns as a live trace (see :mod:`spykit.trace`).

The reader goes through the lines once, keeping each column as a Python list (a call's details
are worked out once per distinct line text: logs repeat themselves), and builds the DataFrame
at the end with the same helpers as the live tracer, so ``startup`` and ``fd_kind`` are decided
by the same pure functions.

What strace did not print stays missing: no pid without ``-f``/``-ff`` (pid 0 stands for that
one process), no time without a timestamp option, no duration without ``-T``, no path of an fd
without ``-y``, no data beyond ``-s``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..syscalls.captures import DATA_CALLS, FD_ARG, PATH_ARG, RETURNS_FD
from ..trace import Trace, TraceMeta
from . import args as A
from . import lines as L

# Where each call keeps what the columns need, by argument index.
_BUF_DATA = {"read": 1, "write": 1, "pread64": 1, "pwrite64": 1, "sendto": 1, "recvfrom": 1}
_COUNT_ARG = {"read": 2, "write": 2, "pread64": 2, "pwrite64": 2, "sendto": 2, "recvfrom": 2}
_ADDR_ARG = {"connect": 1, "bind": 1, "accept": 1, "accept4": 1, "getsockname": 1, "getpeername": 1,
             "sendto": 4, "recvfrom": 4}
_IOV_BASE = A.re.compile(r'iov_base=("(?:[^"\\]|\\.)*"(?:\.\.\.)?|[^,}]*)')
_IOV_LEN = A.re.compile(r"iov_len=(\d+)")
# -y prints an fd's target after it: "3</etc/passwd>", "AT_FDCWD</home>", "= 3<pipe:[12]>"
_DECORATED = A.re.compile(r"(?:\(|, |\[|= )(?:\d+|AT_FDCWD)<")
SPAWNING = {"clone": "clone", "clone3": "clone", "fork": "fork", "vfork": "vfork"}
# Remembering every distinct line is what makes a repetitive log fast; a log of all-different
# lines gains nothing from it, so the memory is dropped now and then.
_CACHE_LIMIT = 200_000


def call_details(name: str, args: str, ret: int | None, ret_target: str | None,
                 error: str | None) -> tuple[Any, ...]:
    """The values a call's printed arguments and result hold, as the live tracer's columns keep them."""
    path = None
    fd = None
    addr = None
    data = None
    whole = None
    size = None
    parts: list[str] | None = None

    def arg(i: int) -> str | None:
        nonlocal parts
        if parts is None:
            parts = A.split_args(args)
        return parts[i] if i < len(parts) else None

    fd_index = FD_ARG.get(name)
    if fd_index == 0:
        m = A.FD_FIRST.match(args)
        if m is not None and m.group(1) != "AT_FDCWD":
            fd, path = int(m.group(1)), A.target(m.group(2), m.group(3))
    elif fd_index is not None:
        text = arg(fd_index)
        if text is not None:
            fd, path = A.fd_value(text)
    path_index = PATH_ARG.get(name)
    if path_index is not None:
        text = args if path_index == 0 else arg(path_index)
        named = A.path_value(text) if text is not None else None
        if named is not None:
            path = named
    ok = error is None and ret is not None
    if fd is None and name in RETURNS_FD and ok and ret >= 0:
        fd = ret
        if path is None:
            path = A.target(ret_target)
    if name in DATA_CALLS:
        index = _BUF_DATA.get(name)
        if index is not None:
            text = arg(index)
            value = A.string_value(text) if text is not None else None
            if value is not None:
                data, whole = value
        else:  # readv, writev, sendmsg, recvmsg...: the strings of the iovecs, in order
            pieces = _IOV_BASE.findall(args)
            if pieces:
                values = [A.string_value(p) for p in pieces]
                if all(v is not None for v in values):
                    data = b"".join(v[0] for v in values)
                    whole = all(v[1] for v in values) and "...]" not in args
                    size = sum(int(n) for n in _IOV_LEN.findall(args))
        if not ok:
            whole = None
        count = _COUNT_ARG.get(name)
        if count is not None:
            text = arg(count)
            if text is not None and text.isdigit():
                size = int(text)
    addr_index = _ADDR_ARG.get(name)
    if addr_index is not None:
        text = arg(addr_index)
        if text is not None:
            addr = A.address(text)
    return (path, fd, addr, data, whole, size)


@dataclass
class _Columns:
    """The frame's columns as lists, one entry per call, in the order the calls were entered."""

    time: list[float] = field(default_factory=list)
    pid: list[int | None] = field(default_factory=list)
    syscall: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    ret: list[int | None] = field(default_factory=list)
    error: list[str | None] = field(default_factory=list)
    duration: list[float] = field(default_factory=list)
    details: list[tuple[Any, ...]] = field(default_factory=list)
    unfinished: list[bool] = field(default_factory=list)
    note: list[str | None] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    source: list[int] = field(default_factory=list)  # which file, for -ff


@dataclass
class LogReading:
    """Everything one pass over the lines found; :func:`to_trace` makes the Trace."""

    calls: _Columns = field(default_factory=_Columns)
    events: list[tuple[Any, ...]] = field(default_factory=list)  # (time, pid, kind, signal, status, how, text)
    unparsed: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line number, text)
    messages: list[tuple[str, int, str]] = field(default_factory=list)  # strace's own, (file, line, text)
    stamps: set[str] = field(default_factory=set)
    pids_printed: bool = False
    durations: bool = False
    decorated: bool = False
    attached: list[int] = field(default_factory=list)
    lines: int = 0


_NO_DETAILS = (None, None, None, None, None, None)


def read_lines(lines: Iterable[str], reading: LogReading, *, file: str = "<text>", pid: int | None = None,
               source: int = 0) -> None:
    """Parse one file's lines into ``reading``; ``pid`` is the file's pid for ``-ff`` (else printed)."""
    c = reading.calls
    cache: dict[str, tuple[Any, ...]] = {}
    pending: dict[int | None, tuple[int, str, str]] = {}  # pid -> (row, name, args so far)
    clock = 0.0  # -r: the sum of the gaps so far
    split_prefix, parse_result = L.split_prefix, L.parse_result
    CALL, RESUMED = L.CALL, L.RESUMED
    number = 0
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if not line:
            continue
        pre = split_prefix(line)
        who = pre.pid if pre.pid is not None else pid
        if pre.pid is not None:
            reading.pids_printed = True
        when = math.nan
        if pre.stamp is not None:
            if not reading.stamps:  # one option prints every line's stamp: the first says which
                reading.stamps.add(L.stamp_kind(pre.stamp))
            seconds = L.stamp_seconds(pre.stamp)
            if "-r" in reading.stamps and ":" not in pre.stamp and seconds < 1e8:
                clock += seconds
                when = clock
            else:
                when = seconds
        body = pre.body
        if pre.duration is not None:
            reading.durations = True
        first = body[:1]
        if who in pending and first != "<" and first != "+":
            # a thread makes one call at a time: its new call means the pending one returned,
            # with a result the log does not show (strace -z/-Z print no second half)
            c.unfinished[pending.pop(who)[0]] = False
        if first.isalpha() or first == "?":
            if body.startswith("strace: ") or (first == "?" and not body.startswith("????(")):
                _message(reading, file, number, body, line)
                continue
            known = cache.get(body)
            if known is not None:
                _append(c, when, who, known, pre.duration, number, source)
                continue
            if body.endswith(L.UNFINISHED) or body.endswith(L.DETACHED):
                head = body[:-len(L.UNFINISHED)] if body.endswith(L.UNFINISHED) else body[:-len(L.DETACHED)]
                paren = head.find("(")
                if paren <= 0:
                    reading.unparsed.append((file, number, line))
                    continue
                name = head[:paren]
                pending[who] = (len(c.syscall), name, head[paren + 1:])
                _append(c, when, who, (name, head[paren + 1:], None, None, None, _NO_DETAILS, True), None,
                        number, source)
                if body.endswith(L.DETACHED):
                    del pending[who]
                continue
            parsed = _parse_call(body)
            if parsed is None:
                reading.unparsed.append((file, number, line))
                continue
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            cache[body] = parsed
            if not reading.decorated and "<" in body and _DECORATED.search(body):
                reading.decorated = True
            _append(c, when, who, parsed, pre.duration, number, source)
        elif first == "<":
            m = RESUMED.match(body)
            if m is None:
                reading.unparsed.append((file, number, line))
                continue
            started = pending.pop(who, None)
            if started is None or started[1] != m.group(1):
                # the first half is not in this log (it started before strace attached, or the
                # log was cut): the row keeps only what this half says
                reading.unparsed.append((file, number, line))
                continue
            row, name, head = started
            rest = m.group(2)
            if rest.endswith(L.UNFINISHED):  # resumed and interrupted again
                pending[who] = (row, name, head + rest[:-len(L.UNFINISHED)])
                continue
            parsed = _parse_call(f"{name}({head}{rest}")
            if parsed is None:
                reading.unparsed.append((file, number, line))
                continue
            _, all_args, ret, error, note, details, unfinished = parsed
            c.args[row], c.ret[row], c.error[row], c.note[row] = all_args, ret, error, note
            c.details[row], c.unfinished[row] = details, unfinished
            if pre.duration is not None:
                c.duration[row] = pre.duration
        elif first in "-+[":
            if not _event(reading, when, who, body):
                if L.MESSAGE.match(body):
                    _message(reading, file, number, body, line)
                else:
                    reading.unparsed.append((file, number, line))
        else:
            reading.unparsed.append((file, number, line))
    reading.lines += number


def _message(reading: LogReading, file: str, number: int, body: str, line: str) -> None:
    if L.MESSAGE.match(body):
        reading.messages.append((file, number, body))
        attached = L.ATTACHED.match(body)
        if attached:
            reading.attached.append(int(attached.group(1)))
    else:
        reading.unparsed.append((file, number, line))


def _parse_call(body: str) -> tuple[Any, ...] | None:
    m = L.CALL.match(body)
    if m is None:
        return None
    name, args, result_text = m.groups()
    result = L.parse_result(result_text)
    if result is None:
        return None
    ret, target, error, note = result
    if error is not None and ret is None:  # "? ERESTARTSYS (To be restarted...)": the call ended, no value
        unfinished = False
    else:
        unfinished = ret is None
    return (name, args, ret, error, note, call_details(name, args, ret, target, error), unfinished)


def _append(c: _Columns, when: float, who: int | None, parsed: tuple[Any, ...], duration: float | None,
            number: int, source: int) -> None:
    name, args, ret, error, note, details, unfinished = parsed
    c.time.append(when)
    c.pid.append(who)
    c.syscall.append(name)
    c.args.append(args)
    c.ret.append(ret)
    c.error.append(error)
    c.duration.append(math.nan if duration is None else duration)
    c.details.append(details)
    c.unfinished.append(unfinished)
    c.note.append(note)
    c.line.append(number)
    c.source.append(source)


def _event(reading: LogReading, when: float, who: int | None, body: str) -> bool:
    """Record a signal, stop, exit or kill line; False when the line is none of those."""
    m = L.SIGNAL.match(body)
    if m is not None:
        code = L.SI_CODE.search(m.group(2))
        reading.events.append((when, who, "signal", m.group(1), None, code.group(1) if code else None, body))
        return True
    m = L.EXITED.match(body)
    if m is not None:
        reading.events.append((when, who, "exit", None, int(m.group(1)), None, body))
        return True
    m = L.KILLED.match(body)
    if m is not None:
        reading.events.append((when, who, "killed", m.group(1), None, None, body))
        return True
    m = L.STOPPED.match(body)
    if m is not None:
        reading.events.append((when, who, "stop", m.group(1), None, None, body))
        return True
    return False


def to_trace(reading: LogReading, *, origin: str, files: list[str]) -> Trace:
    """The Trace of everything read: frame, events (spawns and execs from the calls), metadata."""
    import numpy as np
    import pandas as pd

    from ..fdkinds import with_fd_kind
    from ..startup import startup_mask
    from ..syscalls.table import ALL_NAMES, CATEGORIES, SYSCALL_NUMBERS, category_of
    from ..tracer.build import EVENT_COLUMNS, TEXT, _categories, _nullable_ints, _text

    c = reading.calls
    n = len(c.syscall)
    # A log without pids (no -f) is one process whose pid strace did not print: 0 stands for it,
    # unless strace said which process it attached to.
    default_pid = reading.attached[0] if len(reading.attached) == 1 else 0
    pids = np.array([default_pid if p is None else p for p in c.pid], dtype=np.int64)
    times = np.array(c.time, dtype=np.float64)
    ev_times = np.array([e[0] for e in reading.events], dtype=np.float64)
    stamp = _stamp_kind(reading.stamps)
    start = math.nan
    if stamp is not None and n + len(ev_times):
        if stamp in ("-t", "-tt"):  # seconds since midnight: a log that runs past midnight wraps
            times, ev_times = _unwrap_midnight(times), _unwrap_midnight(ev_times)
        start = float(np.nanmin(np.concatenate([times, ev_times])))
        times = times - start
        ev_times = ev_times - start
    # -ff: the files' lines interleave in time; without timestamps they stay file after file
    order = np.arange(n)
    if len(files) > 1 and stamp is not None:
        order = np.lexsort((np.array(c.line), times))
    pick = order.tolist()

    def column(values: list[Any]) -> list[Any]:
        return values if len(files) <= 1 or stamp is None else [values[i] for i in pick]

    names = column(c.syscall)
    details = column(c.details)
    pids = pids[order]
    times = times[order]
    rets = column(c.ret)
    errors = column(c.error)
    unfinished = np.array(column(c.unfinished), dtype=bool)
    extra = sorted({nm for nm in set(names) if nm not in SYSCALL_NUMBERS})
    categories, name_code = _categories((*ALL_NAMES, *extra))
    syscall_col = pd.Categorical.from_codes(np.array([name_code[nm] for nm in names], dtype=np.int64),
                                            dtype=categories)
    classes, class_code = _categories(tuple(CATEGORIES))
    class_of = {nm: class_code[category_of(nm)] for nm in set(names)}
    category_col = pd.Categorical.from_codes(np.array([class_of[nm] for nm in names], dtype=np.int64),
                                             dtype=classes)

    def ints(values: list[Any]) -> pd.arrays.IntegerArray:
        missing = np.array([v is None for v in values], dtype=bool)
        return _nullable_ints(np.array([0 if v is None else v for v in values], dtype=np.int64), missing)

    paths, fds, addrs, datas, wholes, sizes = (list(col) for col in zip(*details, strict=True)) if n \
        else ([], [], [], [], [], [])
    tgids = _tgids(pids, names, rets, errors, [c.args[i] for i in pick] if pick != list(range(n)) else c.args)
    frame = pd.DataFrame({
        "time": times,
        "pid": pids,
        "syscall": syscall_col,
        "args": _text(np.array(column(c.args), dtype=object)),
        "ret": ints(rets),
        "error": _text(np.array(errors, dtype=object)),
        "duration": np.array(column(c.duration), dtype=np.float64),
        "path": _text(np.array(paths, dtype=object)),
        "fd": ints(fds),
        "category": category_col,
        "nr": np.array([SYSCALL_NUMBERS.get(nm, -1) for nm in names], dtype=np.int32),
        "addr": _text(np.array(addrs, dtype=object)),
        "data": pd.Series(np.array(datas + [None], dtype=object)[:-1], dtype=object),
        "data_complete": pd.array(wholes, dtype="boolean"),
        "size": ints(sizes),
        "unfinished": unfinished,
        "tgid": np.array([tgids.get(int(p), int(p)) for p in pids], dtype=np.int64),
        "note": _text(np.array(column(c.note), dtype=object)),
        "flags": pd.Categorical([None] * n),
    })
    frame["startup"] = startup_mask(frame)
    with_fd_kind(frame)

    events = _events(reading, frame, ev_times, default_pid)
    events_df = pd.DataFrame({
        "time": np.array([e[0] for e in events], dtype=np.float64),
        "pid": np.array([e[1] for e in events], dtype=np.int64),
        "kind": _text(np.array([e[2] for e in events], dtype=object)),
        "signal": _text(np.array([e[3] for e in events], dtype=object)),
        "status": ints([e[4] for e in events]),
        "child": ints([e[5] for e in events]),
        "how": _text(np.array([e[6] for e in events], dtype=object)),
        "text": _text(np.array([e[7] for e in events], dtype=object)),
    }, columns=EVENT_COLUMNS)
    events_df = events_df.astype({"kind": TEXT})
    meta = _meta(reading, frame, events_df, origin=origin, files=files, stamp=stamp, start=start)
    return Trace(frame, events_df, meta)


def _stamp_kind(stamps: set[str]) -> str | None:
    for kind in ("-ttt", "-tt", "-t", "-r"):
        if kind in stamps:
            return kind
    return None


def _unwrap_midnight(times: Any) -> Any:
    import numpy as np

    if len(times) < 2:
        return times
    known = ~np.isnan(times)
    steps = np.diff(np.where(known, times, np.nan))
    wraps = np.concatenate([[0], np.cumsum(np.nan_to_num(steps) < -43200)])
    return times + 86400.0 * wraps


def _tgids(pids: Any, names: list[str], rets: list[Any], errors: list[Any], args: list[str]) -> dict[int, int]:
    """Each thread's process: a clone with CLONE_THREAD makes a thread of the caller's process."""
    tgid: dict[int, int] = {}
    for pid, name, ret, error, text in zip(pids.tolist(), names, rets, errors, args, strict=True):
        if name in SPAWNING and error is None and ret is not None and ret > 0 and "CLONE_THREAD" in text:
            tgid[ret] = tgid.get(pid, pid)
    return tgid


def _events(reading: LogReading, frame: Any, ev_times: Any, default_pid: int) -> list[tuple[Any, ...]]:
    """The events: what the log printed, plus spawns and execs the calls' results say happened."""
    import pandas as pd

    out: list[tuple[Any, ...]] = []
    for (_, who, kind, sig, status, how, text), when in zip(reading.events, ev_times.tolist(), strict=True):
        out.append((when, default_pid if who is None else who, kind, sig, status, None, how, text))
    names = frame["syscall"].astype(object)
    ok = frame["error"].isna() & frame["ret"].notna()
    spawned = frame[names.isin(list(SPAWNING)) & ok & (frame["ret"].fillna(0) > 0)]
    for when, pid, name, ret, args in zip(spawned["time"], spawned["pid"], spawned["syscall"].astype(str),
                                          spawned["ret"], spawned["args"], strict=True):
        args = "" if pd.isna(args) else str(args)
        how = "thread" if "CLONE_THREAD" in args else "vfork" if "CLONE_VFORK" in args else SPAWNING[name]
        out.append((float(when), int(pid), "spawn", None, None, int(ret), how, None))
    execs = frame[names.isin(["execve", "execveat"]) & ok]
    for when, pid in zip(execs["time"], execs["pid"], strict=True):
        out.append((float(when), int(pid), "exec", None, None, None, None, None))  # the exe is not in a log
    out.sort(key=lambda e: (math.inf if math.isnan(e[0]) else e[0]))
    return out


def _execs(frame: Any) -> tuple[list[dict[str, Any]], int]:
    """Each exec's argv and environment as far as the log printed them whole; how many were cut."""
    import pandas as pd

    out = []
    cut = 0
    rows = frame[frame["syscall"].astype(object).isin(["execve", "execveat"])]
    for label, name, args in zip(rows.index, rows["syscall"].astype(str), rows["args"], strict=True):
        if pd.isna(args):
            continue
        parts = A.split_args(str(args))
        first = 1 if name == "execve" else 2
        argv = _string_array(parts[first]) if len(parts) > first else None
        env_list = _string_array(parts[first + 1]) if len(parts) > first + 1 else None
        env = None
        if env_list is not None:
            env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env_list)
        if argv is None:
            cut += 1
            continue
        out.append({"row": int(label), "argv": argv, "env": env})
    return out, cut


def _string_array(text: str) -> list[str] | None:
    """A printed array of strings, when every string is whole: ``["ls", "-l"]``; None otherwise."""
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")) or text.endswith("...]"):
        return None
    items = A.split_args(text[1:-1]) if text != "[]" else []
    out = []
    for item in items:
        value = A.string_value(item)
        if value is None or not value[1] or A.STRING.fullmatch(item) is None:
            return None
        out.append(A.os.fsdecode(value[0]))
    return out


def _meta(reading: LogReading, frame: Any, events: Any, *, origin: str, files: list[str], stamp: str | None,
          start: float) -> TraceMeta:
    import signal

    execs, cut = _execs(frame)
    options = []
    if len(files) > 1:
        options.append("-ff")
    elif reading.pids_printed:
        options.append("-f")
    if stamp is not None:
        options.append(stamp)
    if reading.durations:
        options.append("-T")
    targets = frame["path"][frame["fd"].notna()].dropna()
    if reading.decorated or len(targets):
        # -yy names a socket's protocol and ends (TCP:[...]); -y shows only socket:[inode]
        detailed = bool(targets.str.match(r"^(?:TCP|UDP|TCPv6|UDPv6|UNIX|NETLINK)[:\[]").any()) or bool(
            frame["args"].str.contains("<char |<block ", regex=True).fillna(False).any())
        if reading.decorated:
            options.append("-yy" if detailed else "-y")
    # strace cuts a string at -s bytes and prints "..." after it: the longest cut string is -s
    cut_strings = [len(A.unescape(m.group(1))) for a in frame["args"].dropna().head(200_000)
                   for m in A.STRING.finditer(a) if m.group(2)]
    string_limit = max(cut_strings) if cut_strings else 32
    if cut_strings:
        options.append(f"-s {string_limit}")
    finished = frame[~frame["unfinished"]]
    failed = int(finished["error"].notna().sum())
    if len(finished) and failed == len(finished):
        options.append("-Z")
    elif len(finished) and failed == 0:
        options.append("-z")
    first_pid = int(frame["pid"].iat[0]) if len(frame) else None
    returncode = None
    if first_pid is not None:
        ends = events[(events["pid"] == first_pid) & events["kind"].isin(["exit", "killed"])]
        if len(ends):
            last = ends.iloc[-1]
            if last["kind"] == "exit":
                returncode = int(last["status"])
            else:
                name = str(last["signal"])
                returncode = -int(name) if name.isdigit() else -int(signal.Signals[name]) \
                    if name in signal.Signals.__members__ else None
    times = frame["time"].dropna()
    return TraceMeta(
        command=list(execs[0]["argv"]) if execs else [],
        returncode=returncode,
        start_time=start if stamp == "-ttt" else 0.0,
        elapsed=float(times.max() - times.min()) if len(times) else 0.0,
        pid=first_pid,
        counts={str(k): int(v) for k, v in frame["syscall"].astype(object).value_counts().items() if v},
        string_limit=string_limit,
        decode_fds=reading.decorated,
        execs=execs,
        source="strace",
        log={
            "origin": origin,
            "files": list(files),
            "lines": reading.lines,
            "options": options,
            "pids_printed": reading.pids_printed or len(files) > 1,
            "unparsed": [list(u) for u in reading.unparsed],
            "messages": [list(m) for m in reading.messages],
            "argv_cut": cut,
        },
    )
