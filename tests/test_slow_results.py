"""The four slow-program tools answer in one shape: ``.df``, text, and a notebook display that
says the same; wchan's and profile's results still answer what their DataFrames answered."""

from __future__ import annotations

import html
import re
import sys

import pandas as pd
import pytest

import spykit
from spykit.slow.render import format_wchan
from spykit.slow.results import Profile, WaitSamples, as_frame
from spykit.slow.waits import collapse, summarize


def _visible(page: str) -> str:
    """The words an HTML display shows, tags and styles removed, spaces collapsed."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _says_the_same(result) -> None:
    bundle = result._repr_mimebundle_()
    assert bundle["text/plain"] == str(result)
    shown = _visible(bundle["text/html"])
    for line in str(result).splitlines()[:12]:
        words = " ".join(line.replace("(", " ").replace(")", " ").split())
        for part in re.findall(r"\d+%|[a-z][a-z ]{6,}[a-z]", words):
            assert part.strip() in shown.replace("(", " ").replace(")", " "), (part, shown)


def _spin(n: int) -> int:
    return sum(i * i for i in range(n))


def test_profile_answers_as_before_and_in_one_shape():
    p = spykit.profile(_spin, 200_000)
    assert isinstance(p, Profile) and isinstance(p.df, pd.DataFrame) and as_frame(p) is p.df
    # what code written for the DataFrame did
    assert p["function"].iloc[0] == p.df["function"].iloc[0] and p.function.iloc[0] == p.df.function.iloc[0]
    assert p.attrs["truncated"] is False and p.attrs["command"] == ["_spin"]
    assert len(p) == len(p.df) and "own_share" in p and list(p) == list(p.df.columns)
    assert isinstance(p.head(2), pd.DataFrame) and not p.empty
    text = str(p)
    assert text.startswith(f"profile: _spin: {len(p.df):,} functions")  # (several: the generator too)
    assert "_spin" in text.splitlines()[2] or "genexpr" in text.splitlines()[2]
    _says_the_same(p)


def test_wchan_answers_as_before_and_in_one_shape():
    w = spykit.wchan([sys.executable, "-c", "import time; time.sleep(0.3)"], interval=0.01)
    assert isinstance(w, WaitSamples) and isinstance(w.df, pd.DataFrame)
    assert w["wchan"].equals(w.df["wchan"]) and w.attrs["command"][0] == sys.executable
    assert (w[w["reason"] == "sleep"]["meaning"] == "sleeping on a timer").all() and len(w) == len(w.df)
    # the pure functions of samples take either
    assert summarize(w).equals(summarize(w.df)) and collapse(w).equals(collapse(w.df))
    assert str(w) == format_wchan(w.df) and w.summary().equals(summarize(w.df))
    assert "sleeping on a timer" in str(w)
    _says_the_same(w)


def test_time_and_diagnose_have_a_df_too():
    t = spykit.time("sleep 0.1")
    row = t.df.iloc[0]
    assert len(t.df) == 1 and row["elapsed"] == t.elapsed and row["hint"] == t.hint == "waiting"
    assert row["command"] == "sleep 0.1"
    d = spykit.diagnose("sleep 0.3", count_syscalls=False)
    assert d.df["chosen"].sum() == 1
    top = d.df.iloc[0]
    assert top["kind"] == d.kind == "sleep" and top["chosen"] and top["score"] == max(d.scores.values())
    assert set(d.df["kind"]) == {*spykit.slow.diagnose.KINDS, "unknown"}
    for result in (t, d):
        assert result._repr_mimebundle_()["text/plain"] == str(result)


def test_a_result_does_not_pretend_to_have_what_its_frame_lacks():
    p = Profile(pd.DataFrame({"function": ["f"], "own": [1.0], "own_share": [1.0], "file": ["m.py"], "line": [3]}))
    assert str(p).splitlines()[0] == "profile: ?: 1 function, 1.000 s of own time in all"
    with pytest.raises(AttributeError):
        p.no_such_column  # noqa: B018
    with pytest.raises(AttributeError):
        p.__no_such_dunder__  # noqa: B018
