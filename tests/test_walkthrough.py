"""A learner's walkthrough: each notebook top to bottom in a fresh kernel, every exercise answered.

The answers are computed the way the notebook teaches, from the notebook's own variables (the
traces, timings and samples its cells made), never with ``solution()``, and each check must say
"Correct!". This is what a learner does; if the notebook's tools do not lead to an answer the
check accepts, this fails.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))
import build_notebooks  # noqa: E402  (notebooks/ is not a package)

# For each exercise, the code a learner would write in its answer cell, from what the cells above made.
ANSWERS = {
    "ch00.q1": """
here = spykit.trace(["ls"], capture_output=True)
opened = here.filter("openat").df
answer = int(opened["error"].isna().sum())
""",
    "ch00.q2": 'answer = ls.df["syscall"].iloc[0]',
    "ch00.q3": 'answer = spykit.explain("ENOENT").split(":")[1].strip()',
    "ch01.q1": 'answer = before.missing()["path"].iloc[0]',
    "ch01.q2": """
args = [arg for runs in launcher.processes()["argv"] for argv in runs for arg in argv]
answer = args[args.index("--password") + 1]
""",
    "ch01.q3": """
talk = chat.network()
server = talk[talk["syscall"] == "connect"]["peer"].iloc[0]  # where the program connected to
sent = [bytes(d) for d in talk[(talk["direction"] == "out") & (talk["peer"] == server)]["data"].dropna()]
answer = sent[-1].decode().strip()  # after its greeting (HELLO ...), what it said
""",
    "ch01.q4": 'answer = next(d for d in diary.writes()["destination"] if "diary" in d)',
    "ch02.q1": """
from spykit.slow.waits import summarize
waits = summarize(samples)
answer = {
    "slow_1_network": waits["reason"].iloc[0],  # what it waited for, most of the time
    "slow_2_cpu": "cpu" if timings["slow_2_cpu"].user == max(t.user for t in timings.values()) else "?",
    "slow_3_writes": "disk" if "fsync" in set(journal.summary()["syscall"]) else "?",
}
""",
    "ch02.q2": 'answer = functions["function"].iloc[0]',
    "ch02.q3": 'answer = len(journal.filter("write", fd_kind="file").df) / journal.meta.elapsed',
    "ch03.q1": """
helpers = workshop.family(sync.pid)
daemon = int(helpers["pid"].iloc[1])
watched = spykit.attach(daemon, duration=1)
answer = next(p for p in watched.files()["path"].dropna() if p.endswith(".lock"))
""",
    "ch03.q2": 'answer = next(p for p in wizfmt.missing()["path"] if p.startswith(str(Path.home())))',
    "ch03.q3": """
config = Path(next(p for p in wizfmt.missing()["path"] if p.startswith(str(Path.home()))))
config.parent.mkdir(parents=True, exist_ok=True)
config.write_text("width = 60\\n")
again = spykit.trace(workshop.mystery("toolconf"), capture_output=True)
answer = next(p for p in again.missing()["path"] if p.startswith(str(config.parent)))
""",
    "ch03.q4": """
post = spykit.diagnose(workshop.mystery("slow_4_child", "--seconds", "1"), **quiet)
answer = post.evidence.children.iloc[0]["reason"]
""",
    "ch03.q5": """
import time
clerks = workshop.start("clerks", workshop.mystery("slow_5_lock", "--seconds", "4"))
# The hint's way: a waiter's line ("->") names the lock it queues for; that lock's own line, its holder.
# (Not every holder seen: a clerk holds the lock too, for its turn, between the indexer's stretches.)
holder = None
for _ in range(100):
    lines = [line.split() for line in Path("/proc/locks").read_text().splitlines()]
    holding = {fields[0]: int(fields[4]) for fields in lines if fields[1] != "->"}
    queued = [fields[0] for fields in lines if fields[1] == "->" and int(fields[5]) == clerks.pid]
    holder = next((holding[number] for number in queued if number in holding), None)
    if holder is not None:
        break
    time.sleep(0.02)
members = workshop.family(clerks.pid)
who = members[members["pid"] == holder]["command"].iloc[0]
answer = "another thread" if holder == clerks.pid else f"another process: {who}"
workshop.stop("clerks")
""",
    "ch03.q6": """
reads = weather.filter("read", fd_kind="pipe").df
answer = float((reads["time"] + reads["duration"]).diff().median())
""",
}


def _exercise(cell: nbformat.NotebookNode) -> str | None:
    """The question an answer cell checks (``ch01.q2``), or None for any other cell."""
    if cell.cell_type == "code" and cell.source.startswith("answer = None"):
        return cell.source.splitlines()[1].split(".check(")[0]
    return None


@pytest.mark.parametrize("name", list(build_notebooks.NOTEBOOKS))
def test_a_learner_answers_every_exercise_the_way_the_notebook_teaches(name: str, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    import spykit

    try:
        spykit.trace([sys.executable, "-c", "pass"], timeout=30)
    except spykit.TracingNotPermitted:
        pytest.skip("tracing is not allowed here: the checks cannot run")
    home = tmp_path / "home"  # files a learner makes "under ~" land here, not in a real home
    home.mkdir()
    temp = tmp_path / "temp"
    temp.mkdir()
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", f"{REPO}{os.pathsep}{path}" if path else str(REPO))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(temp))
    nb = build_notebooks.build(name)
    asked = []
    for cell in nb.cells:
        question = _exercise(cell)
        if question:
            assert question in ANSWERS, f"no learner's answer for {question}"
            cell.source = ANSWERS[question].strip() + f"\n{question}.check(answer)"
            asked.append(question)
    assert asked
    client = NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    verdicts = {}
    for cell in nb.cells:
        question = next((q for q in asked if cell.source.endswith(f"\n{q}.check(answer)")), None)
        if question:
            errors = [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
            shown = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
            verdicts[question] = errors[0] if errors else shown
    wrong = {q: v for q, v in verdicts.items() if not v.startswith("Correct!")}
    assert set(verdicts) == set(asked) and not wrong, f"{name}: a learner's answers were not accepted: {wrong}"
