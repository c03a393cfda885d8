"""A ``Trace.df`` text column as integer codes and the values they stand for.

The frame's masks (``spykit.startup``, ``spykit.fdkinds``) decide things per distinct call name
or path, then read the rows' codes: a trace has many rows and few names and paths. The
``syscall`` column is a categorical over every call name, so its codes are already there; a
``path`` column is factorized once. Code -1 stands for "no value".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd


def column_codes(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """``(codes, values)`` for a text column: ``values[codes[i]]`` is row i's text, -1 none."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        # (categories' tolist: iterating the arrow-backed index costs more)
        return column.cat.codes.to_numpy(), [str(c) for c in column.cat.categories.tolist()]
    codes, values = pd.factorize(column.astype(object), use_na_sentinel=True)
    return codes, [str(v) for v in values]


def per_row(codes: np.ndarray, values: list[str], rule: Callable[[str], Any], default: Any = False,
            dtype: type = bool) -> np.ndarray:
    """``rule(value)`` for each row's value, decided once per distinct value; ``default`` for the
    rows without one."""
    table = np.array([rule(value) for value in values] + [default], dtype=dtype)
    return table[codes]  # (code -1, no value, reads the last entry: the default)


def rows_with(codes: np.ndarray, values: list[str], wanted: Iterable[str]) -> np.ndarray:
    """A boolean per row: its value is one of ``wanted``."""
    wanted = set(wanted)
    return per_row(codes, values, wanted.__contains__)
