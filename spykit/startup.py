"""Which calls are start-up: the lookups every program makes before (or beside) its own work.

``startup_mask(df)`` is a pure function of ``Trace.df``: it says, row by row, whether a call is
one a program's runtime makes on its own behalf rather than one its code asked for:

- the dynamic loader: everything between a successful ``execve`` and the program's first call
  that is not the loader's (``/etc/ld.so.preload``, ``ld.so.cache``, the library search along
  ``glibc-hwcaps``/``tls``/RPATH directories, reading and mapping each library), and its library
  searches and ``ld.so.*`` files later on (``dlopen``);
- locale data and message catalogues (``.../locale/...``, ``locale-archive``, ``*.mo``, gconv);
- SELinux probes (``/sys/fs/selinux``, ``/selinux``, ``/etc/selinux/``, and ``/proc/filesystems``
  in a process that made one of those probes: libselinux reads it to see if selinuxfs exists);
- a search along PATH, by a shell (``stat`` of each candidate) or ``execvp`` (``execve`` of each
  candidate): the failed attempts at a name that one later ``execve`` of that name runs. When
  no attempt succeeds, the attempts are the answer ("command not found") and are not start-up;
- the Python interpreter's start-up and import system: its executable's directory and prefix
  (found from the exec'd path and the ``<executable>._pth`` probe the interpreter makes),
  ``lib/pythonX.Y`` trees, ``pythonXY.zip``, ``pyvenv.cfg``, ``.pth`` files, ``pybuilddir.txt``,
  ``__pycache__``, failed ``__init__.*`` probes of packages, ``__editable__`` finder hooks, and
  failed probes of the empty path (``sys.path``'s ``''`` entry).

Everything is decided from the calls and the shape of their paths, never from a list of the
paths of the machine that runs spykit: a trace made elsewhere is judged the same way.
"""

from __future__ import annotations

import errno
import posixpath
import re
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from .columncodes import column_codes, per_row, rows_with

# Calls the loader makes while it maps a program's libraries, and glibc's first set-up calls.
LOADER_CALLS = frozenset({
    "brk", "mmap", "mmap2", "mprotect", "munmap", "access", "faccessat", "faccessat2", "open", "openat",
    "stat", "stat64", "newfstatat", "fstat", "fstat64", "statx", "read", "pread64", "close", "arch_prctl",
    "set_tid_address", "set_robust_list", "rseq", "prlimit64", "uname", "readlink", "set_thread_area",
})
# Calls on an fd the loader opened: they name no new file, so they never end its work.
_LOADER_FD_CALLS = frozenset({"read", "pread64", "close", "fstat", "fstat64", "mmap", "mmap2"})
# A shared library's name: libc.so.6, ld-linux-x86-64.so.2, libpython3.11.so.1.0, foo.so
_LIBRARY = re.compile(r"\.so(?:\.[0-9][0-9.]*)?$")
# Directories the loader's search adds below each library directory
_LOADER_DIRS = frozenset({"glibc-hwcaps", "tls"})

_SELINUX = re.compile(r"^/(?:sys/fs/selinux|selinux|etc/selinux)(?:/|$)")
# Calls that probe whether a file exists, as a PATH search does
_PROBES = ("execve", "execveat", "stat", "stat64", "lstat", "newfstatat", "statx", "access", "faccessat",
           "faccessat2")
_NOT_THERE = ("ENOENT", "ENOTDIR", "EACCES")

_PYTHON_BINARY = re.compile(r"^python[0-9.]*[dmu]*$")
# lib/python3.11, lib64/python3, local/lib/python3.11 below an interpreter's prefix; pythonXY.zip
_PYTHON_TREE = re.compile(r"^/(?:local/)?lib(?:64)?/(?:python[0-9.]*(?:/|$)|python[0-9]+\.zip$)")
_PACKAGE_PROBE = re.compile(r"^__init__\.")
# site-packages directories anywhere (the user's ~/.local ones too), looked at by the site module
_SITE_DIR = re.compile(r"/lib(?:64)?/python[0-9.]*/(?:site|dist)-packages(?:/|$)")
_PYTHON_ZIP = re.compile(r"^python[0-9]+\.zip$")  # the zipped standard library getpath looks for


def _is_locale(path: str) -> bool:
    """glibc's locale data (locale-archive, .../locale/C.utf8/LC_CTYPE), gettext's catalogues
    (.../LC_MESSAGES/coreutils.mo) and iconv's modules. A program's own "locale" folder of, say,
    JSON files is its own business."""
    parts = path.split("/")
    base = parts[-1]
    return (base in ("locale-archive", "locale.alias") or base.endswith(".mo")
            or ("locale" in parts and any(part.startswith("LC_") for part in parts))
            or "gconv" in parts[:-1] or base.startswith("gconv-modules"))


def _is_loader_path(path: str) -> bool:
    base = posixpath.basename(path)
    return (base.startswith("ld.so.") or bool(_LIBRARY.search(base))
            or any(part in _LOADER_DIRS for part in path.split("/")))


def _is_python_own(path: str) -> bool:
    """Files only the Python interpreter looks for, wherever they are."""
    base = posixpath.basename(path)
    return (base in ("pyvenv.cfg", "pybuilddir.txt") or base.endswith(("._pth", ".pth"))
            or base.startswith("__editable__") or "/__pycache__/" in path or path.startswith("__pycache__/"))


def _rows_after(rows: np.ndarray, start: int) -> Iterator[int]:
    """``rows[start:]`` one by one, a few at a time: the loader's phase is short, the rest may be millions."""
    for at in range(start, len(rows), 256):
        yield from rows[at:at + 256].tolist()


def startup_mask(df: pd.DataFrame, paths: tuple[np.ndarray, list[str]] | None = None,
                 errnos: np.ndarray | None = None) -> np.ndarray:
    """A boolean per row of ``df``: True for the start-up lookups described in this module.

    Needs the columns ``pid``, ``syscall``, ``path`` (unless ``paths`` is given) and ``error``
    (unless ``errnos`` is given), and ``tgid`` when there are threads; the rows must be in the order
    the calls were entered, as ``Trace.df`` keeps them.
    ``paths`` may give the ``path`` column already factorized, ``(codes, values)`` with -1 for
    no path, as the tracer has it: a million-row frame then needs no hashing of its paths.
    ``errnos`` may give each row's errno number (0: the call did not fail) in place of the
    ``error`` column: comparing a million error names as strings takes a good part of a second.
    """
    n = len(df)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    name_codes, name_list = column_codes(df["syscall"])

    def calls(wanted) -> np.ndarray:
        return rows_with(name_codes, name_list, wanted)

    if errnos is not None:
        failed = errnos > 0
        not_there = np.isin(errnos, [getattr(errno, name) for name in _NOT_THERE])
    else:
        failed = df["error"].notna().to_numpy(dtype=bool)
        not_there = df["error"].isin(_NOT_THERE).fillna(False).to_numpy(dtype=bool)
    pids = df["pid"].to_numpy(dtype=np.int64)
    tgids = df["tgid"].to_numpy(dtype=np.int64) if "tgid" in df else pids
    codes, path_list = column_codes(df["path"]) if paths is None else paths
    has_path = codes >= 0

    def by_code(rule: Callable[[str], bool]) -> np.ndarray:
        """A per-row mask from a rule on each distinct path (rows without a path: False)."""
        return per_row(codes, path_list, rule)

    # 1. Locale, message catalogues, SELinux, the files only Python's start-up reads, and the dynamic
    #    loader's own files and library searches whenever they happen (dlopen at run time searches
    #    the same way: Python's extension modules, NSS modules).
    selinux = by_code(lambda p: bool(_SELINUX.match(p)))
    loader_path = by_code(_is_loader_path)
    mask |= selinux | loader_path | by_code(lambda p: _is_locale(p) or _is_python_own(p))
    if selinux.any():
        mask |= by_code(lambda p: p == "/proc/filesystems") & np.isin(tgids, np.unique(tgids[selinux]))

    is_exec = calls({"execve", "execveat"})
    exec_ok = is_exec & ~failed
    exec_rows = np.flatnonzero(exec_ok)

    # 2. The loader: from each successful exec to the first call that is not the loader's.
    if len(exec_rows):
        order = np.argsort(pids, kind="stable")
        sorted_pids = pids[order]
        for row in exec_rows.tolist():
            pid = int(pids[row])
            lo, hi = np.searchsorted(sorted_pids, [pid, pid + 1])
            mine = order[lo:hi]  # this thread's rows, in order
            searched = ""  # the directory of the library the loader just looked for
            for later in _rows_after(mine, int(np.searchsorted(mine, row)) + 1):
                name = name_list[name_codes[later]]
                if name not in LOADER_CALLS:
                    break
                path = path_list[codes[later]] if has_path[later] else ""
                if loader_path[later]:
                    searched = posixpath.dirname(path)
                # A call naming a file that is not a library ends the loader's work, except the
                # loader's stat of the directory it has just searched (older glibc does that for
                # each hardware-capability subdirectory of an RPATH: .../lib/haswell/x86_64).
                elif path and name not in _LOADER_FD_CALLS and path != searched:
                    break
                mask[later] = True

    # 3. A PATH search: failed probes of a name that a later successful exec of that name runs.
    if len(exec_rows):
        is_probe = calls(_PROBES) & has_path
        execs_by_base: dict[str, list[tuple[int, int, str]]] = {}
        for row in exec_rows.tolist():
            if has_path[row]:
                target = path_list[codes[row]]
                execs_by_base.setdefault(posixpath.basename(target), []).append((row, int(tgids[row]), target))
        found_at: dict[tuple[int, str], int] = {}  # (process, path) -> first row that found it there
        for row in np.flatnonzero(is_probe & ~failed).tolist():
            found_at.setdefault((int(tgids[row]), path_list[codes[row]]), row)
        for row in np.flatnonzero(is_probe & not_there).tolist():
            path = path_list[codes[row]]
            if "/" not in path:
                continue
            tgid = int(tgids[row])
            for exec_row, exec_tgid, target in execs_by_base.get(posixpath.basename(path), ()):
                if exec_row <= row or target == path:
                    continue
                # the same process runs it (execvp), or found that very file before the exec (a shell)
                seen = found_at.get((tgid, target))
                if exec_tgid == tgid or (seen is not None and row < seen < exec_row):
                    mask[row] = True
                    break

    # 4. The Python interpreter: its own directories and trees, and the import system's probes.
    mask |= by_code(lambda p: bool(_PACKAGE_PROBE.match(posixpath.basename(p)))) & failed
    pth = by_code(lambda p: p.endswith("._pth"))
    python_exec = exec_ok & by_code(lambda p: bool(_PYTHON_BINARY.match(posixpath.basename(p))))
    empty = by_code(lambda p: p == "")
    for tgid in np.unique(tgids[pth | python_exec]).tolist():
        in_process = tgids == tgid
        # the executable as the interpreter names it: the exec'd path, and X for its "X._pth" probe
        executables = {path_list[c] for c in np.unique(codes[in_process & python_exec]).tolist()}
        executables |= {path_list[c][:-len("._pth")] for c in np.unique(codes[in_process & pth]).tolist()}
        bindirs = {posixpath.dirname(p) for p in executables} - {""}
        # getpath looks for its landmarks (lib/python3.X/os.py, pythonXY.zip) in each directory
        # above the executable's, until it finds them
        homes = {posixpath.dirname(d) for d in bindirs}
        prefixes: set[str] = set()
        for directory in bindirs:
            while directory not in ("", "/"):
                directory = posixpath.dirname(directory)
                prefixes.add("" if directory == "/" else directory)

        def interpreter_path(p: str, bindirs: set[str] = bindirs, homes: set[str] = homes,
                             prefixes: set[str] = prefixes) -> bool:
            if p in bindirs or p in homes or any(p in (home + "/lib", home + "/lib64") for home in homes):
                return True  # getpath's look at its own directories
            if any(p.startswith(d + "/") for d in bindirs):
                return True
            if _SITE_DIR.search(p) or _PYTHON_ZIP.match(posixpath.basename(p)):
                return True
            return any(p.startswith(pre + "/") and bool(_PYTHON_TREE.match(p[len(pre):])) for pre in prefixes)

        chosen = [c for c in np.unique(codes[in_process & has_path]).tolist() if interpreter_path(path_list[c])]
        if chosen:
            mask |= in_process & np.isin(codes, chosen) & ~is_exec
        # sys.path's '' entry (the current directory), probed by the import system
        mask |= in_process & empty & failed
    return mask
