"""Summaries of wait samples: pure functions of what ``spykit.wchan`` returns (or its ``.df``).

A program with several threads is doing several things at each instant. To say what the
*process* was doing at one tick, its threads are collapsed to the most telling one (see
:data:`spykit.slow.meanings.PRIORITY`): any running thread means it was working; a real wait
(disk, network, input, a child, a timer) says more than a lock, which is usually one thread
waiting for another.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .meanings import PRIORITY, REASONS
from .results import as_frame

SUMMARY_COLUMNS = ["pid", "command", "reason", "meaning", "target", "samples", "share"]


def collapse(df: pd.DataFrame, *, by: Iterable[str] = ("time", "pid"),
             pids: Iterable[int] | None = None) -> pd.DataFrame:
    """One row per group of ``by`` (default: per process per tick), the most telling thread's.

    ``pids`` keeps only those processes first; ``by=("time",)`` treats them as one.
    """
    df = as_frame(df)
    if pids is not None:
        df = df[df["pid"].isin(list(pids))]
    if df.empty:
        return df.copy()
    rank = df["reason"].astype(object).map(PRIORITY).fillna(len(PRIORITY))
    ordered = df.assign(_rank=rank).sort_values([*by, "_rank", "tid"], kind="stable")
    return ordered.drop_duplicates(list(by)).drop(columns="_rank").reset_index(drop=True)


def shares(df: pd.DataFrame, *, column: str = "reason") -> pd.Series:
    """Fraction of rows per value of ``column``, largest first (for collapsed samples)."""
    if df.empty:
        return pd.Series(dtype="float64", name="share")
    counts = df[column].astype(object).value_counts()
    return (counts / counts.sum()).rename("share")


def _most_common(values: pd.Series) -> object:
    values = values.dropna()
    return values.mode().iloc[0] if not values.empty else pd.NA


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """What each process was doing, in plain words, with the share of its samples.

    Columns: pid, command, reason, meaning, target (the most frequent fd target for that
    meaning), samples, share (of that process's ticks). Processes in the order they were
    first seen, their meanings most frequent first.
    """
    df = as_frame(df)
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SUMMARY_COLUMNS})
    per_tick = collapse(df)
    ticks = per_tick.groupby("pid").size()
    first_seen = per_tick.groupby("pid")["time"].min()
    commands = per_tick.groupby("pid")["command"].agg(_most_common)
    groups = per_tick.groupby(["pid", "reason", "meaning"], observed=True, dropna=False)
    out = groups.agg(samples=("time", "size"), target=("target", _most_common)).reset_index()
    out["command"] = out["pid"].map(commands)
    out["share"] = out["samples"] / out["pid"].map(ticks)
    out["_first"] = out["pid"].map(first_seen)
    out = out.sort_values(["_first", "pid", "samples"], ascending=[True, True, False], kind="stable")
    return out[SUMMARY_COLUMNS].reset_index(drop=True)


def reason_table(df: pd.DataFrame, pids: Iterable[int]) -> pd.DataFrame:
    """For the given processes taken as one: per (reason, meaning) the samples and share of ticks."""
    ticks = collapse(df, by=("time",), pids=pids)
    if ticks.empty:
        return pd.DataFrame({"reason": [], "meaning": [], "target": [], "samples": [], "share": []})
    out = (ticks.groupby(["reason", "meaning"], observed=True)
           .agg(samples=("time", "size"), target=("target", _most_common)).reset_index())
    out["share"] = out["samples"] / len(ticks)
    return out.sort_values("samples", ascending=False, kind="stable").reset_index(drop=True)


def reason_shares(table: pd.DataFrame) -> pd.Series:
    """Share per reason from a :func:`reason_table`, every reason present (0 when unseen)."""
    by_reason = table.groupby("reason")["share"].sum() if len(table) else pd.Series(dtype="float64")
    return by_reason.reindex(REASONS, fill_value=0.0).rename("share")
