"""Remake the recorded traces in ``notebooks/recorded/`` that the notebooks fall back on.

    python notebooks/record.py

Runs every workshop notebook (on a machine where ptrace works) with ``SPYKIT_WORKSHOP_RECORD``
set: each ``workshop.trace(name, ...)`` then saves its trace as ``recorded/<name>.parquet``. The
notebooks themselves are not rewritten. Recordings hold paths of the machine that made them; the
one a notebook acts on, the pretend home, is moved to the reader's own when a recording is loaded
(``workshop.rebase_home``), so nothing is ever written where the recording machine's files were.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_notebooks  # noqa: E402  (after the path is set)
import workshop  # noqa: E402


def main() -> int:
    if not workshop.check_tracing():
        print("Recordings must be made where tracing works.", file=sys.stderr)
        return 1
    os.environ[workshop.RECORD_ENV] = "1"
    os.environ.setdefault("PYTHONPATH", str(HERE.parent))
    before = {path.name for path in workshop.RECORDED.glob("*.parquet")}
    for name in build_notebooks.NOTEBOOKS:
        took = build_notebooks.execute(build_notebooks.build(name))
        print(f"{name}: ran in {took:.1f} s", file=sys.stderr)
    made = sorted(path.name for path in workshop.RECORDED.glob("*.parquet"))
    print(f"{len(made)} recordings in {workshop.RECORDED}: {', '.join(made)}")
    stale = before - set(made)
    if stale:
        print(f"no longer made (delete them?): {', '.join(sorted(stale))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
