"""python-ptrace's syscall tables, loaded without the rest of python-ptrace.

``ptrace.syscall.linux.x86_64`` (the names) and ``ptrace.syscall.prototypes`` (the argument
types) are plain data, but importing them runs ``ptrace/__init__`` and ``ptrace/syscall/__init__``,
which load logging, the debugger and ``ctypes.util.find_library`` (it runs ``ldconfig -p``):
about 12 ms of the command line's start. The two files are read here as modules of their own
(with their cached bytecode); where python-ptrace is already imported its modules are used.
"""

from __future__ import annotations

import importlib.machinery
import sys
from types import ModuleType

_cache: dict[str, ModuleType] = {}


def ptrace_module(dotted: str) -> ModuleType:
    """The module ``dotted`` (e.g. ``"ptrace.syscall.prototypes"``), a data file of python-ptrace."""
    loaded = sys.modules.get(dotted) or _cache.get(dotted)
    if loaded is not None:
        return loaded
    package = importlib.machinery.PathFinder.find_spec("ptrace")  # finds it without running it
    if package is None or not package.submodule_search_locations:
        raise ImportError("spykit needs python-ptrace (pip install python-ptrace)")
    location = "/".join([package.submodule_search_locations[0], *dotted.split(".")[1:]]) + ".py"
    loader = importlib.machinery.SourceFileLoader(f"spykit._ptrace_data.{dotted}", location)
    module = ModuleType(loader.name)
    module.__file__ = location
    loader.exec_module(module)
    _cache[dotted] = module
    return module
