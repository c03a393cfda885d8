"""Every path a call names is shown as strace shows it and fills `path`: a walk over the whole table.

The oracle is independent of spykit's own list: python-ptrace's prototypes name the arguments
(filename, pathname, path, oldname/newname, dev_name/dir_name, ...), and strace's %file class
(calls that take a file name) must each have at least one path argument. A call a new kernel
adds to the table with a path argument and no decoder fails here.
"""

from __future__ import annotations

import pytest
from ptrace.syscall.prototypes import SYSCALL_PROTOTYPES

from spykit.syscalls import captures as C
from spykit.syscalls.decode import render_args
from spykit.syscalls.flags.paths import PATH_SLOTS
from spykit.syscalls.table import ALL_NAMES, CLASSES

# Argument names that hold a path in the kernel's prototypes.
_PATH_WORDS = {"filename", "pathname", "path", "oldpath", "newpath", "oldname", "newname", "dev_name", "dir_name",
               "specialfile", "library", "new_root", "put_old"}
# %file calls whose file name is not a plain argument, with the reason.
_NO_PATH_ARGUMENT = {
    "fsconfig": "the value is a path only for FSCONFIG_SET_PATH*, and then it is a key/value pair",
}
# Calls whose path argument the kernel fills in (read at exit, not entry).
_OUTPUT_PATHS = {"getcwd"}


def _prototype_path_slots(name: str) -> set[int]:
    proto = SYSCALL_PROTOTYPES.get(name)
    if proto is None or name in _OUTPUT_PATHS:
        return set()
    return {i for i, (kind, arg) in enumerate(proto[1]) if arg in _PATH_WORDS and "char" in kind and "*" in kind}


def _all_path_slots() -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for name in ALL_NAMES:
        slots = _prototype_path_slots(name) | set(PATH_SLOTS.get(name, ()))
        if slots:
            out[name] = slots
    return out


def test_every_file_call_has_a_path_argument():
    lacking = sorted(n for n in CLASSES["file"] if n not in _all_path_slots() and n not in _NO_PATH_ARGUMENT)
    assert not lacking, f"%file calls with no known path argument: {lacking}"


def test_the_prototypes_agree_with_the_table():
    """A path argument python-ptrace knows of is in PATH_SLOTS (which the tracer reads)."""
    missing = {n: sorted(s - set(PATH_SLOTS.get(n, ()))) for n in ALL_NAMES
               if (s := _prototype_path_slots(n)) - set(PATH_SLOTS.get(n, ()))}
    assert not missing


@pytest.mark.parametrize("name", sorted(_all_path_slots()))
def test_each_path_argument_is_read_rendered_and_fills_path(name):
    slots = sorted(_all_path_slots()[name])
    # the tracer reads each path at entry
    read = {c.slot for c in C.CAPTURES.get(name, ()) if c.kind == C.PATH and not c.at_exit}
    assert set(slots) <= read, f"{name}: path arguments {set(slots) - read} are not read"
    # the first one fills the `path` column
    assert C.PATH_ARG.get(name) == PATH_SLOTS[name][0]
    # and each is shown quoted, whole (strace never cuts a path at the string limit)
    long_dir = "/" + "d" * 60
    blobs = {slot: f"{long_dir}/p{slot}".encode() for slot in slots}
    args = tuple(0x1000 * (k + 1) for k in range(6))
    shown = render_args(name, args, 0, None, blobs, string_limit=32)
    for slot in slots:
        assert f'"{long_dir}/p{slot}"' in shown, f"{name}: path argument {slot} not shown: {name}({shown})"


def test_an_output_path_is_read_at_exit():
    for name in _OUTPUT_PATHS:
        assert any(c.kind == C.PATH and c.at_exit for c in C.CAPTURES[name])
