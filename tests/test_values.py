"""Whole answers: the values the tracer keeps at the stop, whatever the string limit cuts in ``args``."""

from __future__ import annotations

import sys

import pandas as pd

import spykit

SECRET = "--enable-crash-reporter=6795275A1128269862CB7A471F5E0228,Ubuntu-12.04.4-LTS"


def test_a_secret_on_a_command_line_is_whole_in_processes():
    trace = spykit.trace(["sh", "-c", f"exec /bin/echo {SECRET} >/dev/null"])
    argvs = trace.processes().loc[0, "argv"]
    assert argvs[-1] == ["/bin/echo", SECRET]
    assert f"\"{SECRET[:32]}\"..." in trace.to_text()  # the strace-style text still cuts at 32 bytes


def test_an_argv_element_of_5000_bytes_is_whole():
    big = "x" * 4990 + "-the-end!"
    trace = spykit.trace(["/bin/true", big])
    assert trace.processes().loc[0, "argv"] == [["/bin/true", big]]


def test_the_environment_a_child_receives():
    code = "import subprocess; subprocess.run(['/bin/true'], env={'SPY_SECRET': 'owl=1', 'EMPTY': ''})"
    trace = spykit.trace([sys.executable, "-c", code])
    procs = trace.processes()
    child = procs[procs["argv"].map(lambda runs: runs == [["/bin/true"]])]
    assert len(child) == 1
    assert child["env"].iloc[0] == {"SPY_SECRET": "owl=1", "EMPTY": ""}
    assert "PATH" in procs.loc[0, "env"]  # the traced program itself got ours


def test_values_survive_save_and_load(tmp_path):
    trace = spykit.trace(["sh", "-c", f"exec /bin/echo {SECRET} >/dev/null"])
    trace.save(tmp_path / "t.parquet")
    back = spykit.load(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(back.df, trace.df)
    pd.testing.assert_frame_equal(back.processes(), trace.processes())
    assert back.files()["flags"].tolist() == trace.files()["flags"].tolist()
