"""The tracer's optional C accelerators (``_fastloop``, ``_fastspawn``), found in one place.

They are built by ``pip install`` when a C compiler and Python's headers are there (see setup.py);
the Python code they stand in for stays the reference, and ``SPYKIT_PURE_PYTHON=1`` runs it alone.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def load(name: str) -> ModuleType | None:
    """The accelerator ``spykit.tracer.<name>``, or None: not built, or SPYKIT_PURE_PYTHON is set."""
    if os.environ.get("SPYKIT_PURE_PYTHON"):
        return None
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ImportError:
        return None
