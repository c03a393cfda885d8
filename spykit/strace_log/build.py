"""strace's text output -> a Trace with the same columns as a live trace (see :mod:`spykit.trace`).

The reader goes through the lines once with one regular expression per line, keeping one tuple
per call (a call's details are worked out once per distinct line text: logs repeat themselves),
and builds the DataFrame's columns at the end with the same helpers as the live tracer, so
``startup``, ``fd_kind`` and ``flags`` are decided by the same pure functions.

What strace did not print stays missing: no pid without ``-f``/``-ff`` (pid 0 stands for that
one process), no time without a timestamp option, no duration without ``-T``, no path of an fd
without ``-y``, no data beyond ``-s``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..syscalls import abi as ABI
from ..syscalls.captures import DATA_CALLS, FD_ARG, PATH_ARG, RETURNS_FD
from ..syscalls.i386 import I386_SYSCALLS
from ..syscalls.table import SYSCALL_NUMBERS
from ..tracedata import Trace, TraceMeta
from . import args as A
from . import lines as L

# Where each call keeps what the columns need, by argument index.
_BUF_DATA = {"read": 1, "write": 1, "pread64": 1, "pwrite64": 1, "sendto": 1, "recvfrom": 1}
_COUNT_ARG = {"read": 2, "write": 2, "pread64": 2, "pwrite64": 2, "sendto": 2, "recvfrom": 2}
_ADDR_ARG = {"connect": 1, "bind": 1, "accept": 1, "accept4": 1, "getsockname": 1, "getpeername": 1,
             "sendto": 4, "recvfrom": 4}
_IOV_BASE = re.compile(r'iov_base=("(?:[^"\\]|\\.)*"(?:\.\.\.)?|[^,}]*)')
_IOV_LEN = re.compile(r"iov_len=(\d+)")
# -y prints an fd's target after it: "3</etc/passwd>", "AT_FDCWD</home>", "= 3<pipe:[12]>"
_DECORATED = re.compile(r"(?:\(|, |\[|= )(?:\d+|AT_FDCWD)<")
# read(fd, "data"..., count) and write(...): the fd, its -y target, the string and the count
_READ_WRITE = re.compile(r'(-?\d+)(?:<(.*?)>(\(deleted\))?)?, (?:"((?:[^"\\]|\\.)*)"(\.\.\.)?|[^",]*), '
                           r"(\d+)$", re.S)
# the dirfd that starts the *at calls, then the path: "AT_FDCWD</home>, "x"" or "3, "x""
_AT_PATH = re.compile(r'(?:-?\d+|AT_FDCWD)(?:<.*?>(?:\(deleted\))?)?, (")', re.S)
_I386_NUMBERS = {name: nr for nr, (_count, name) in sorted(I386_SYSCALLS.items(), reverse=True)}
_I386_ONLY = frozenset(_I386_NUMBERS) - frozenset(SYSCALL_NUMBERS)
PERSONALITIES = {name: abi for abi, name in enumerate(ABI.PERSONALITY_NAMES)}
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

    if name == "read" or name == "write":  # most of a big log: one regex reads them
        m = _READ_WRITE.match(args)
        if m is not None:
            fd_text, target, deleted, text, cut, count = m.groups()
            if text is not None and error is None and ret is not None:
                data, whole = A.unescape(text), cut is None
            elif text is not None:
                data = A.unescape(text)
            return (A.target(target, deleted), int(fd_text), None, data, whole, int(count))
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
        if path_index == 1 and parts is None:  # the *at calls: (dirfd, "path", ...), read without splitting
            m = _AT_PATH.match(args)
            text = args[m.start(1):] if m is not None else arg(1)
        else:
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
            if not pieces and ", [], " in args:  # no iovecs at all: nothing to move, and strace says so
                data, whole, size = b"", True, 0
            elif pieces:
                values = [A.string_value(p) for p in pieces]
                if all(v is not None for v in values):
                    # the bytes are known up to the first iovec strace cut: what follows it is not
                    # what came next, so the data stops there
                    cut = next((k for k, v in enumerate(values) if not v[1]), None)
                    data = b"".join(v[0] for v in values[:None if cut is None else cut + 1])
                    whole = cut is None and "...]" not in args
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
class LogReading:
    """Everything one pass over the lines found; :func:`to_trace` makes the Trace."""

    # one tuple per call, in the order the calls were entered:
    # (time, pid, (name, args, ret, error, note, details, unfinished), duration, line number, file index)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)  # (time, pid, kind, signal, status, how, text)
    unparsed: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line number, text)
    messages: list[tuple[str, int, str]] = field(default_factory=list)  # strace's own, (file, line, text)
    stamps: set[str] = field(default_factory=set)
    pids_printed: bool = False
    durations: bool = False
    decorated: bool = False
    attached: list[int] = field(default_factory=list)
    epoch: int | None = None  # -ttt: the whole second times are counted from
    lines: int = 0
    # The table (spykit.syscalls.abi) of each call that is not x86_64, by index in ``calls``.
    abi_rows: dict[int, int] = field(default_factory=dict)
    # Where strace said a process changed table: (line number, pid, table), for the file being read.
    mode_lines: list[tuple[int, int, int]] = field(default_factory=list)


_NO_DETAILS = (None, None, None, None, None, None)


def read_lines(lines: Iterable[str], reading: LogReading, *, file: str = "<text>", pid: int | None = None,
               source: int = 0) -> None:
    """Parse one file's lines into ``reading``; ``pid`` is the file's pid for ``-ff`` (else printed)."""
    rows = reading.calls
    append = rows.append
    unparsed = reading.unparsed
    cache: dict[str, tuple[Any, ...]] = {}
    pending: dict[int | None, tuple[int, str, str]] = {}  # pid -> (row, name, args so far)
    clock = 0.0  # -r: the sum of the gaps so far
    stamp_kind = next(iter(reading.stamps), None)
    relative = stamp_kind == "-r"
    epoch = reading.epoch
    pids_printed = durations = False
    decorated = reading.decorated
    match_line, resumed_match, duration_search = L.LINE.match, L.RESUMED.match, L.DURATION.search
    nan = math.nan
    number = 0
    first_row = len(rows)
    reading.mode_lines = []
    for number, line in enumerate(lines, 1):
        m = match_line(line)
        bracketed, printed_pid, stamp, body = m.groups()
        printed_pid = printed_pid or bracketed
        took = None
        if body[-1:] == ">":
            d = duration_search(body)
            if d is not None:
                took = d.group(1)
                body = body[:d.start()]
        if not body:
            continue
        if printed_pid is not None:
            who = int(printed_pid)
            pids_printed = True
        else:
            who = pid
        when = nan
        if stamp is not None:
            if stamp_kind is None:  # one option prints every line's stamp: the first says which
                stamp_kind = L.stamp_kind(stamp)
                relative = stamp_kind == "-r"
            if ":" in stamp:
                h, mi, sec = stamp.split(":")
                when = int(h) * 3600 + int(mi) * 60 + float(sec)
            elif relative:
                clock += float(stamp)
                when = clock
            else:  # seconds since the epoch: counted from a whole second of the log, to keep microseconds
                whole, _, fraction = stamp.partition(".")
                if epoch is None:
                    epoch = reading.epoch = int(whole)
                when = (int(whole) - epoch) + float("0." + fraction)
        duration = nan
        if took is not None:
            duration = float(took)
            durations = True
        first = body[0]
        if pending and who in pending and first != "<" and first != "+":
            # a thread makes one call at a time: its new call means the pending one returned,
            # with a result the log does not show (strace -z/-Z print no second half)
            row = pending.pop(who)[0]
            old = rows[row]
            rows[row] = (old[0], old[1], old[2][:6] + (False,), *old[3:])
        if first.isalpha() or first == "?":
            known = cache.get(body)
            if known is not None:
                append((when, who, known, duration, number, source))
                continue
            if body.startswith("strace: ") or (first == "?" and not body.startswith("????(")):
                _message(reading, file, number, body, line)
                continue
            detached = body.endswith(L.DETACHED)
            if detached or body.endswith(L.UNFINISHED):
                head = body[:-len(L.DETACHED if detached else L.UNFINISHED)]
                paren = head.find("(")
                if paren <= 0:
                    unparsed.append((file, number, line.rstrip("\r\n")))
                    continue
                name = head[:paren]
                if not detached:
                    pending[who] = (len(rows), name, head[paren + 1:])
                append((when, who, (name, head[paren + 1:], None, None, None, _NO_DETAILS, True), nan, number,
                        source))
                continue
            parsed = _parse_call(body)
            if parsed is None:
                unparsed.append((file, number, line.rstrip("\r\n")))
                continue
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            cache[body] = parsed
            if not decorated and "<" in body and _DECORATED.search(body):
                decorated = True
            append((when, who, parsed, duration, number, source))
        elif first == "<":
            r = resumed_match(body)
            started = pending.pop(who, None) if r is not None else None
            if started is None or started[1] != r.group(1):
                # the first half is not in this log (it started before strace attached, or the
                # log was cut): nothing says what the call was
                unparsed.append((file, number, line.rstrip("\r\n")))
                continue
            row, name, head = started
            rest = r.group(2)
            if rest.endswith(L.UNFINISHED):  # resumed and interrupted again
                pending[who] = (row, name, head + rest[:-len(L.UNFINISHED)])
                continue
            parsed = _parse_call(f"{name}({head}{rest}")
            if parsed is None:
                unparsed.append((file, number, line.rstrip("\r\n")))
                continue
            old = rows[row]
            rows[row] = (old[0], old[1], parsed, duration, old[4], old[5])
        elif first in "-+[":
            if not _event(reading, when, who, body):
                _message(reading, file, number, body, line)
        else:
            unparsed.append((file, number, line.rstrip("\r\n")))
    if stamp_kind is not None:
        reading.stamps.add(stamp_kind)
    reading.pids_printed = reading.pids_printed or pids_printed
    reading.durations = reading.durations or durations
    reading.decorated = decorated
    reading.lines += number
    if reading.mode_lines:
        _assign_abis(reading, first_row)


def _assign_abis(reading: LogReading, first_row: int) -> None:
    """Each call's table, from the personality lines before it in its file.

    strace writes "[ Process PID=1234 runs in 32 bit mode. ]" (or "x32 mode", "64 bit mode")
    to its standard error, where -q leaves it out: only a log with strace's messages in it says.
    Without pids printed (no -f) the log is one process, whatever pid the line names.
    """
    changes = reading.mode_lines
    modes: dict[int | None, int] = {}
    k = 0
    for row in range(first_row, len(reading.calls)):
        call = reading.calls[row]
        while k < len(changes) and changes[k][0] < call[4]:
            _, pid, abi = changes[k]
            modes[pid] = modes[None] = abi
            k += 1
        abi = modes.get(call[1], 0)
        if abi:
            reading.abi_rows[row] = abi


def _message(reading: LogReading, file: str, number: int, body: str, line: str) -> None:
    """strace's own message, kept apart; any other line that is not a call: kept as not understood."""
    if L.MESSAGE.match(body):
        reading.messages.append((file, number, body))
        mode = L.PERSONALITY.match(body)
        if mode:
            reading.mode_lines.append((number, int(mode.group(1)), PERSONALITIES[mode.group(2)]))
        attached = L.ATTACHED.match(body)
        if attached:
            reading.attached.append(int(attached.group(1)))
    else:
        reading.unparsed.append((file, number, line.rstrip("\r\n")))


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
    from ..tracer.build import EVENT_COLUMNS, TEXT, _abi_dtype, _categories, _nullable_ints, _text

    rows = reading.calls
    n = len(rows)
    stamp = _stamp_kind(reading.stamps)
    abis = np.zeros(n, dtype=np.int8)
    if reading.abi_rows:
        abis[list(reading.abi_rows)] = list(reading.abi_rows.values())
    if len(files) > 1 and stamp is not None:
        # -ff: the files' lines interleave in time (file order breaks ties); without timestamps
        # they stay file after file
        order = sorted(range(n), key=lambda i: (rows[i][0], rows[i][5], rows[i][4]))
        rows = [rows[i] for i in order]
        abis = abis[np.array(order, dtype=np.int64)] if n else abis
    if n:
        times_l, pids_l, parsed, durations_l, _, _ = zip(*rows, strict=True)
        names, args_l, rets, errors, notes, details, unfinished_l = zip(*parsed, strict=True)
        paths, fds, addrs, datas, wholes, sizes = zip(*details, strict=True)
    else:
        times_l = pids_l = durations_l = names = args_l = rets = errors = notes = unfinished_l = ()
        paths = fds = addrs = datas = wholes = sizes = ()
    # A log without pids (no -f) is one process whose pid strace did not print: 0 stands for it,
    # unless strace said which process it attached to.
    default_pid = reading.attached[0] if len(reading.attached) == 1 else 0
    pids = np.array([default_pid if p is None else p for p in pids_l], dtype=np.int64)
    times = np.array(times_l, dtype=np.float64)
    ev_times = np.array([e[0] for e in reading.events], dtype=np.float64)
    start = math.nan
    if stamp is not None and n + len(ev_times):
        if stamp in ("-t", "-tt"):  # seconds since midnight: a log that runs past midnight wraps
            times, ev_times = _unwrap_midnight(times), _unwrap_midnight(ev_times)
        first = float(np.nanmin(np.concatenate([times, ev_times])))
        times = times - first
        ev_times = ev_times - first
        start = first + (reading.epoch or 0)
    unfinished = np.array(unfinished_l, dtype=bool)
    present = set(names)
    extra = sorted(nm for nm in present if nm not in SYSCALL_NUMBERS)
    categories, name_code = _categories((*ALL_NAMES, *extra))
    codes = np.array([name_code[nm] for nm in names], dtype=np.int64)
    syscall_col = pd.Categorical.from_codes(codes, dtype=categories)
    classes, class_code = _categories(tuple(CATEGORIES))
    class_table = np.array([class_code[category_of(nm)] for nm in categories.categories], dtype=np.int64)
    category_col = pd.Categorical.from_codes(class_table[codes], dtype=classes)
    nr_table = np.array([SYSCALL_NUMBERS.get(nm, -1) for nm in categories.categories], dtype=np.int32)
    # a call only the i386 table has (stat64, socketcall, _llseek...) is an i386 call wherever
    # strace's message about the change of table is missing
    i386_only = np.array([nm in _I386_ONLY for nm in categories.categories], dtype=bool)
    if n and i386_only.any():
        abis[(abis == ABI.X86_64) & i386_only[codes]] = ABI.I386
    nrs = nr_table[codes]
    for k in np.flatnonzero(abis).tolist():  # the number in the row's own table, as a live trace keeps it
        nrs[k] = _number_in(names[k], int(abis[k]))
    unknown = [k for k, nm in enumerate(categories.categories) if nm.startswith("syscall_0x")]
    for k in unknown:  # strace names a number no table knows by the number: syscall_0x3e8
        nrs[codes == k] = np.array([int(categories.categories[k][10:], 16) & 0xFFFFFFFF], dtype=np.uint32).view(
            np.int32)[0]

    def ints(values: tuple[Any, ...]) -> pd.arrays.IntegerArray:
        array = np.array(values, dtype=object)
        missing = np.equal(array, None)
        array[missing] = 0
        try:
            values = array.astype(np.int64)
        except OverflowError:  # a 64-bit unsigned count (size_t): kept as the tracer keeps it, wrapped
            values = np.array([v - (1 << 64) if v >= 1 << 63 else v for v in array.tolist()], dtype=np.int64)
        return _nullable_ints(values, missing.astype(bool))

    def texts(values: tuple[Any, ...]) -> pd.arrays.StringArray:
        return _text(np.array(values, dtype=object))

    tgids = _tgids(pids, names, rets, errors, args_l)
    data = np.empty(n, dtype=object)
    data[:] = datas
    frame = pd.DataFrame({
        "time": times,
        "pid": pids,
        "syscall": syscall_col,
        "args": texts(args_l),
        "ret": ints(rets),
        "error": texts(errors),
        "duration": np.array(durations_l, dtype=np.float64),
        "path": texts(paths),
        "fd": ints(fds),
        "category": category_col,
        "nr": nrs,
        "addr": texts(addrs),
        "data": pd.Series(data, dtype=object, copy=False),
        "data_complete": pd.array(list(wholes), dtype="boolean"),
        "size": ints(sizes),
        "unfinished": unfinished,
        "tgid": np.array([tgids.get(p, p) for p in pids.tolist()], dtype=np.int64) if tgids else pids.copy(),
        "note": texts(notes),
        "flags": _flags(names, args_l),
    }, copy=False)
    frame["startup"] = startup_mask(frame)
    frame["abi"] = pd.Categorical.from_codes(abis.astype(np.int64), dtype=_abi_dtype())
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


def _number_in(name: str, abi: int) -> int:
    """The number of call ``name`` in table ``abi`` (x32: with its bit), -1 when the table has none."""
    from ..syscalls.table import SYSCALL_NUMBERS

    if abi == ABI.I386:
        return _I386_NUMBERS.get(name, -1)
    nr = SYSCALL_NUMBERS.get(name)
    return -1 if nr is None else nr | ABI.X32_SYSCALL_BIT


def _flags(names: tuple[str, ...], args: tuple[str, ...]) -> Any:
    """The ``flags`` column: each distinct (call, arguments) of a file call put in words once."""
    import pandas as pd

    from .flags import WORD_CALLS, flags_of

    words: dict[tuple[str, str], str | None] = {}
    column = [None] * len(names)
    for i, (name, text) in enumerate(zip(names, args, strict=True)):
        if name in WORD_CALLS:
            key = (name, text)
            if key not in words:
                words[key] = flags_of(name, text)
            column[i] = words[key]
    return pd.Categorical(column)


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
    if reading.decorated:
        # -yy names a socket's protocol and ends (TCP:[...]) and a device's numbers; -y shows
        # socket:[inode] and the path alone (the first rows are enough to tell)
        head = frame.head(20_000)
        targets = head["path"][head["fd"].notna()].dropna()
        detailed = bool(targets.str.match(r"^(?:TCP|UDP|TCPv6|UDPv6|UNIX|NETLINK)").fillna(False).any()) or bool(
            head["args"].str.contains("<char |<block ", regex=True).fillna(False).any())
        options.append("-yy" if detailed else "-y")
    # strace cuts a string at -s bytes and prints "..." after it: the longest cut string is -s
    # (-s is the same for the whole log: the first lines that have a cut string are enough)
    with_cut = [a for a in frame["args"].dropna().to_numpy(dtype=object) if '"...' in a][:20_000]
    cut_strings = [len(A.unescape(m.group(1))) for a in with_cut for m in A.STRING.finditer(a) if m.group(2)]
    string_limit = max(cut_strings) if cut_strings else 32
    if cut_strings:
        options.append(f"-s {string_limit}")
    finished = frame[~frame["unfinished"]]
    failed = int(finished["error"].notna().sum())
    # -Z / -z: only failed / only successful calls; a real program has both kinds, so a long log
    # with only one kind was filtered (a short one says too little)
    if len(finished) >= 50 and failed == len(finished):
        options.append("-Z")
    elif len(finished) >= 50 and failed == 0:
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
            "stamps": stamp,  # which timestamps the lines had: -t, -tt, -ttt, -r or None
            # -t/-tt: the first line's time of day (seconds since midnight; the date is not in the log)
            "time_of_day": start if stamp in ("-t", "-tt") else None,
            "pids_printed": reading.pids_printed or len(files) > 1,
            "unparsed": [list(u) for u in reading.unparsed],
            "messages": [list(m) for m in reading.messages],
            "argv_cut": cut,
        },
    )
