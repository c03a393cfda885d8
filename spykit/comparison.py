"""What changed between two runs of a program: ``spykit.compare(before, after)``.

Two traces of the same program never share pids, times, pipe inodes or the ports the kernel
picks, so nothing is matched on those. Things are matched by what they mean: a file by its
path, a process by its command line, a network peer by its address, a destination of writes by
its path (pipes and sockets by their kind and peer), an error by call, path and errno.

Each part is a pure function of the questions' answers (``missing()``, ``files()``,
``processes()``, ``network()``, ``writes()``) or of the frames, so each can be tested on
hand-made tables; :class:`Comparison` holds the results and shows them in a notebook.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .tracedata import Trace

TOP_CALLS = 10


# -- matching keys: what a thing is, whatever run it comes from -------------------------------------

_INODE = re.compile(r"^(pipe|socket|anon_inode):\[\d+\]$")
_DELETED = re.compile(r"#\d+ \(deleted\)$")


def destination_key(destination: str) -> str:
    """A write destination as comparable between runs: ``pipe:[123]`` -> ``pipe``; a socket by its
    peer (``TCP:[a:40000->b:8000]`` -> ``TCP to b:8000``); an unnamed temporary file by its folder."""
    from .questions import _endpoints, is_socket_target

    m = _INODE.match(destination)
    if m:
        return m.group(1)
    if is_socket_target(destination):
        _, peer = _endpoints(destination)
        kind = destination.split(":[", 1)[0]
        return f"{kind} to {peer}" if isinstance(peer, str) else kind
    return _DELETED.sub("#N (deleted)", destination)


# -- the parts, each a pure function ---------------------------------------------------------------

FILE_COLUMNS = {"path": "string", "before": "string", "after": "string"}


def files_found_now(missing_before: pd.DataFrame, files_after: pd.DataFrame) -> pd.DataFrame:
    """Paths the first run looked for and did not find, that the second run used successfully.

    Columns: ``path``, ``before`` (the errno the first run got), ``after`` (the call that worked).
    """
    ok_after = files_after[files_after["ok"].astype(bool)] if len(files_after) else files_after
    worked = ok_after.drop_duplicates("path").set_index("path")["syscall"] if len(ok_after) else pd.Series(
        dtype=object)
    rows = [{"path": p, "before": e, "after": worked[p]}
            for p, e in zip(missing_before["path"], missing_before["error"], strict=True)
            if p in worked.index]
    return pd.DataFrame(rows, columns=list(FILE_COLUMNS)).astype(FILE_COLUMNS)


def files_missing_now(files_before: pd.DataFrame, missing_after: pd.DataFrame) -> pd.DataFrame:
    """The reverse: paths the first run used successfully and the second looked for in vain.

    Columns: ``path``, ``before`` (the call that worked), ``after`` (the errno now).
    """
    found = files_found_now(missing_after, files_before)
    return found.rename(columns={"before": "after", "after": "before"})[list(FILE_COLUMNS)]


def commands(processes: pd.DataFrame) -> Counter[str]:
    """How many times each command line ran (every successful exec of every process)."""
    from .questions import command_line

    ran: Counter[str] = Counter()
    for argvs in processes["argv"]:
        for argv in argvs or ():
            ran[command_line(list(argv))] += 1
    return ran


def processes_changed(processes_before: pd.DataFrame, processes_after: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                                                pd.DataFrame]:
    """(commands run only before, commands run only after): ``command`` and ``times``, matched by argv.

    A command run 3 times before and once after shows as ``times`` 2 in the first table.
    """
    before, after = commands(processes_before), commands(processes_after)

    def table(counter: Counter[str]) -> pd.DataFrame:
        return pd.DataFrame({"command": pd.Series(list(counter), dtype="string"),
                             "times": pd.Series(list(counter.values()), dtype="int64")})

    return table(before - after), table(after - before)


NETWORK_COLUMNS = {"peer": "string", "direction": "string", "calls_before": "int64", "calls_after": "int64",
                   "bytes_before": "int64", "bytes_after": "int64"}


def _per_peer(network: pd.DataFrame) -> pd.DataFrame:
    rows = network[network["peer"].notna()] if len(network) else network
    if rows.empty:
        return pd.DataFrame(columns=["peer", "direction", "calls", "bytes"])
    grouped = rows.assign(peer=rows["peer"].astype(str), direction=rows["direction"].astype(str),
                          moved=rows["bytes"].fillna(0).astype("int64"))
    return grouped.groupby(["peer", "direction"], sort=False).agg(calls=("moved", "size"),
                                                                  bytes=("moved", "sum")).reset_index()


def network_changed(network_before: pd.DataFrame, network_after: pd.DataFrame) -> pd.DataFrame:
    """Per peer and direction, the calls and bytes of both runs, where they differ.

    ``direction`` is ``out`` (connect, send) or ``in`` (accept, receive), or empty (bind, listen).
    """
    merged = _per_peer(network_before).merge(_per_peer(network_after), on=["peer", "direction"], how="outer",
                                             suffixes=("_before", "_after"))
    for column in ("calls_before", "calls_after", "bytes_before", "bytes_after"):
        merged[column] = merged[column].fillna(0).astype("int64") if column in merged else 0
    changed = merged[(merged["calls_before"] != merged["calls_after"])
                     | (merged["bytes_before"] != merged["bytes_after"])]
    return changed[list(NETWORK_COLUMNS)].reset_index(drop=True).astype(NETWORK_COLUMNS)


WRITES_COLUMNS = {"destination": "string", "bytes_before": "int64", "bytes_after": "int64",
                  "first_bytes_before": "object", "first_bytes_after": "object"}


def writes_changed(writes_before: pd.DataFrame, writes_after: pd.DataFrame) -> pd.DataFrame:
    """Destinations written in one run only, or with other bytes: by path (pipes by kind, sockets by peer)."""

    def keyed(writes: pd.DataFrame) -> pd.DataFrame:
        if writes.empty:
            return pd.DataFrame(columns=["destination", "bytes", "first_bytes"])
        table = writes.assign(destination=[destination_key(str(d)) for d in writes["destination"]])
        return table.groupby("destination", sort=False).agg(
            bytes=("bytes", "sum"), first_bytes=("first_bytes", lambda b: b"".join(b.iloc[:1]))).reset_index()

    merged = keyed(writes_before).merge(keyed(writes_after), on="destination", how="outer",
                                        suffixes=("_before", "_after"))
    merged["bytes_before"] = merged["bytes_before"].fillna(0).astype("int64")
    merged["bytes_after"] = merged["bytes_after"].fillna(0).astype("int64")
    changed = merged[(merged["bytes_before"] != merged["bytes_after"])
                     | (merged["first_bytes_before"] != merged["first_bytes_after"])]
    changed = changed.assign(first_bytes_before=[b if isinstance(b, bytes) else None
                                                 for b in changed["first_bytes_before"]],
                             first_bytes_after=[b if isinstance(b, bytes) else None
                                                for b in changed["first_bytes_after"]])
    return changed[list(WRITES_COLUMNS)].reset_index(drop=True).astype(
        {c: t for c, t in WRITES_COLUMNS.items() if t != "object"})


def error_counts(df: pd.DataFrame, startup: bool = False) -> Counter[tuple[str, str, str]]:
    """Failed calls by (syscall, path, errno); start-up rows left out unless ``startup``."""
    rows = df[df["error"].notna()]
    if not startup and "startup" in rows:
        rows = rows[~rows["startup"].astype(bool)]
    paths = rows["path"].astype(object).where(rows["path"].notna(), "")
    return Counter(zip(rows["syscall"].astype(str), (_DELETED.sub("#N (deleted)", str(p)) for p in paths),
                       rows["error"].astype(str), strict=True))


def errors_changed(df_before: pd.DataFrame, df_after: pd.DataFrame,
                   startup: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(errors that appeared, errors that went away): ``syscall``, ``path``, ``error``, ``times``."""
    before, after = error_counts(df_before, startup), error_counts(df_after, startup)

    def table(counter: Counter[tuple[str, str, str]]) -> pd.DataFrame:
        keys = list(counter)
        return pd.DataFrame({"syscall": pd.Series([k[0] for k in keys], dtype="string"),
                             "path": pd.Series([k[1] for k in keys], dtype="string"),
                             "error": pd.Series([k[2] for k in keys], dtype="string"),
                             "times": pd.Series([counter[k] for k in keys], dtype="int64")})

    return table(after - before), table(before - after)


def calls_changed(counts_before: pd.Series, counts_after: pd.Series, top: int = TOP_CALLS) -> pd.DataFrame:
    """The calls whose counts changed most: ``syscall``, ``before``, ``after``, ``change``."""
    both = pd.concat([counts_before.rename("before"), counts_after.rename("after")], axis=1).fillna(0)
    both = both.astype("int64")
    both["change"] = both["after"] - both["before"]
    both = both[both["change"] != 0]
    order = both["change"].abs().sort_values(ascending=False, kind="stable").index
    table = both.loc[order].head(top).rename_axis("syscall").reset_index()
    return table.astype({"syscall": "string"})


# -- the result ----------------------------------------------------------------------------------

@dataclass
class Comparison:
    """What changed from ``before`` to ``after``; each attribute is a DataFrame (see its function)."""

    before: str
    after: str
    files_found_now: pd.DataFrame  # missing before, found now
    files_missing_now: pd.DataFrame  # found before, missing now
    commands_only_before: pd.DataFrame
    commands_only_after: pd.DataFrame
    network: pd.DataFrame
    writes: pd.DataFrame
    errors_appeared: pd.DataFrame
    errors_gone: pd.DataFrame
    calls: pd.DataFrame
    sections: list[tuple[str, str]] = field(default_factory=list)  # (title, attribute), in display order

    def __post_init__(self) -> None:
        self.sections = [
            ("files found now that were missing before", "files_found_now"),
            ("files missing now that were found before", "files_missing_now"),
            ("commands run only before", "commands_only_before"),
            ("commands run only after", "commands_only_after"),
            ("network peers whose traffic changed", "network"),
            ("destinations whose writes changed", "writes"),
            ("errors that appeared", "errors_appeared"),
            ("errors that went away", "errors_gone"),
            ("calls whose counts changed most", "calls"),
        ]

    @property
    def same(self) -> bool:
        """True when no part shows a difference."""
        return all(getattr(self, name).empty for _, name in self.sections)

    def _headline(self) -> str:
        if self.before == self.after:
            return f"What changed between two runs of {self.before}"
        return f"What changed from {self.before} (before) to {self.after} (after)"

    def __str__(self) -> str:
        parts = [self._headline()]
        for title, name in self.sections:
            table = getattr(self, name)
            if not table.empty:
                parts.append(f"\n{title} ({len(table)}):\n{table.to_string(index=False)}")
        if self.same:
            parts.append("no difference: the same files, commands, peers, writes, errors and call counts")
        return "\n".join(parts)

    def __repr__(self) -> str:
        counts = ", ".join(f"{name} {len(getattr(self, name))}" for _, name in self.sections
                           if not getattr(self, name).empty)
        return f"<Comparison ({self._headline()}): {counts or 'no difference'}>"

    def _repr_html_(self) -> str:
        parts = [f"<div class='spykit-compare'><b>{html.escape(self._headline())}</b>"]
        for title, name in self.sections:
            table = getattr(self, name)
            if not table.empty:
                parts.append(f"<h4>{html.escape(title)} ({len(table)}) <code>.{name}</code></h4>"
                             f"{table.to_html(index=False, max_rows=20)}")
        if self.same:
            parts.append("<p>no difference: the same files, commands, peers, writes, errors and call counts</p>")
        return "".join(parts) + "</div>"


def _label(trace: Trace, fallback: str) -> str:
    from .questions import command_line

    return command_line(trace.command) if trace.command else f"the {fallback} trace"


def compare(before: Trace, after: Trace, *, startup: bool = False, top: int = TOP_CALLS) -> Comparison:
    """What changed between two traces of the same program (a :class:`Comparison`).

    Files found now and missing before (and the reverse), commands run in one run only, network
    peers and bytes, destinations written, errors that appeared or went away, and the ``top``
    calls whose counts changed most. Things are matched by meaning (paths, argv, peers), never
    by pid or time. Start-up lookups are left out of files and errors unless ``startup=True``.
    """
    from .errors import SpykitError
    from .tracedata import Trace

    for name, value in (("before", before), ("after", after)):
        if not isinstance(value, Trace):
            raise SpykitError(f"compare() takes two Trace objects; {name} is a {type(value).__name__}",
                              hint="trace both runs first: spykit.compare(spykit.trace(cmd), spykit.trace(cmd)), "
                                   "or read strace logs with spykit.read_strace(path)")
    only_before, only_after = processes_changed(before.processes(), after.processes())
    appeared, gone = errors_changed(before.df, after.df, startup)
    return Comparison(
        before=_label(before, "before"), after=_label(after, "after"),
        files_found_now=files_found_now(before.missing(startup=startup), after.files(startup=startup)),
        files_missing_now=files_missing_now(before.files(startup=startup), after.missing(startup=startup)),
        commands_only_before=only_before, commands_only_after=only_after,
        network=network_changed(before.network(), after.network()),
        writes=writes_changed(before.writes(), after.writes()),
        errors_appeared=appeared, errors_gone=gone,
        calls=calls_changed(before.counts, after.counts, top),
    )
