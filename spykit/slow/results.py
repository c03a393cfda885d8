"""What ``spykit.wchan`` and ``spykit.profile`` return: a table with a story.

The four slow-program tools return objects of one shape, like :class:`spykit.Trace`:

- ``.df``: the rows behind the answer as a pandas DataFrame (``Timing.df``: one row of numbers;
  ``WaitSamples.df``: one row per thread per tick; ``Profile.df``: one row per function;
  ``Diagnosis.df``: one row per kind with its score);
- ``str(result)``: the answer as text, the same one ``print`` and the command line show;
- in a notebook, a rich display (``_repr_mimebundle_``) saying the same things as the text.

``WaitSamples`` and ``Profile`` were plain DataFrames before: they still answer what a DataFrame
answers (``w["wchan"]``, ``w.attrs``, ``len(w)``, ``w.iloc[0]``, ``w.groupby(...)``...) by handing
it to ``.df``, so code written for the frames keeps working. Pure functions of samples
(:func:`spykit.slow.waits.summarize` and friends) accept either.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd


def as_frame(data: Any) -> pd.DataFrame:
    """The DataFrame of a result (its ``.df``), or ``data`` itself when it is already one."""
    return data.df if isinstance(data, TableResult) else data


class TableResult(ABC):
    """A result whose rows are a DataFrame (``.df``); DataFrame questions are answered by ``.df``."""

    def __init__(self, df: pd.DataFrame):
        self.df = df

    # -- the DataFrame, as before ---------------------------------------------------------------
    @property
    def attrs(self) -> dict[str, Any]:
        return self.df.attrs

    def __getitem__(self, key: Any) -> Any:
        return self.df[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self.df[key] = value

    def __len__(self) -> int:
        return len(self.df)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.df)

    def __contains__(self, key: Any) -> bool:
        return key in self.df

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the result itself lacks: columns and DataFrame methods.
        if name == "df" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.df, name)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *(c for c in self.df.columns if isinstance(c, str))})

    # -- text and display -------------------------------------------------------------------------
    @abstractmethod
    def text(self) -> str:
        """The answer as text."""

    @abstractmethod
    def html(self) -> str:
        """The same answer as HTML, for a notebook."""

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Sequence[str] | None = None,
                          exclude: Sequence[str] | None = None) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self.html()}


class WaitSamples(TableResult):
    """What :func:`spykit.wchan` returns: every sample in ``.df`` (columns in
    :mod:`spykit.slow.wchan`), ``.attrs`` with ``command``, ``pid``, ``interval``, ``elapsed``,
    ``returncode`` (and ``ended`` for a command). Text and display: what each process was
    doing, in plain words, with the share of its samples (:func:`spykit.slow.waits.summarize`)."""

    def text(self) -> str:
        from .render import format_wchan

        return format_wchan(self.df)

    def html(self) -> str:
        from .render import wchan_html

        return wchan_html(self.df)

    def summary(self) -> pd.DataFrame:
        """Per process, what it was doing and the share of its samples (as the text shows)."""
        from .waits import summarize

        return summarize(self.df)

    def __repr__(self) -> str:
        command = " ".join(self.df.attrs.get("command", [])) or "?"
        return f"<WaitSamples of {command!r}: {len(self.df)} rows>"


class Profile(TableResult):
    """What :func:`spykit.profile` returns: one row per function in ``.df``, most own time first
    (columns in :func:`spykit.profile`); ``.attrs`` with ``command``, ``truncated``, ``ended``.
    Text and display: the functions with the most own time."""

    def text(self) -> str:
        from .render import profile_text

        return profile_text(self.df)

    def html(self) -> str:
        from .render import profile_html

        return profile_html(self.df)

    def __repr__(self) -> str:
        command = " ".join(self.df.attrs.get("command", [])) or "?"
        return f"<Profile of {command!r}: {len(self.df)} functions>"
