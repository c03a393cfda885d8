"""Starting spykit's own Python helper processes, isolated from the folder they are started in.

``python -m spykit.x`` puts the working directory first on the import path: a notebook cell that
changed into a folder holding a ``spykit/`` package or a ``json.py`` would make the helper run that
code, as the notebook's user. So a helper runs as ``python -I``: no working directory, no
``PYTHONPATH``, no user site-packages, only the interpreter's own library and site-packages.

Isolation must not lose spykit itself, which may be imported from anywhere (an editable install,
a checkout on ``PYTHONPATH``, a copy): the helper loads the ``spykit`` package from the very
directory the caller's ``spykit`` came from, so both sides run the same code. The caller's other
absolute import paths (``PYTHONPATH``, user site-packages, for spykit's dependencies) are appended
after the interpreter's own, so they can add modules but never shadow the standard library.
Relative entries (``''``, which means "the current directory") are left out.
"""

from __future__ import annotations

import json
import os
import sys

# Run by `python -I -c`: argv is [-c, package dir, extra paths as JSON, module, args...].
_BOOTSTRAP = """\
import importlib.util, json, os, runpy, sys
package, extra, module = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
sys.path.extend(p for p in extra if p not in sys.path)
spec = importlib.util.spec_from_file_location("spykit", os.path.join(package, "__init__.py"),
                                              submodule_search_locations=[package])
spykit = importlib.util.module_from_spec(spec)
sys.modules["spykit"] = spykit
spec.loader.exec_module(spykit)
sys.argv = [module, *sys.argv[4:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def helper_command(module: str, *args: str) -> list[str]:
    """The command line that runs ``python -m module args...`` as an isolated spykit helper."""
    package = os.path.dirname(os.path.abspath(__file__))
    extra = [p for p in sys.path if os.path.isabs(p)]
    return [sys.executable, "-I", "-c", _BOOTSTRAP, package, json.dumps(extra), module, *args]
