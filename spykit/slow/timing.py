"""``spykit.time``: where did the time go, on the CPU, in the kernel, or waiting?

Like the shell's ``time``, from the resource usage ``os.wait4`` returns for the program and
the descendants it waited for. A descendant left running when its parent exits (a daemon,
a background job) is re-parented to init and is not counted.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ..launch import Command, Redirect, prepare
from ..progress import phase
from .kinds import IN_KERNEL, ON_CPU, WAITING
from .run import Finished, run_watched

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Timing:
    """Resource usage of one run of a program (with the descendants it waited for).

    ``max_rss_kb`` is the peak resident memory of the largest single process, not a sum
    (see :class:`spykit.slow.run.PeakMemory` for how it avoids counting the launcher's).
    ``blocks_in``/``blocks_out`` count 512-byte blocks that really went to or from a block
    device (files in the page cache or on tmpfs do not count).
    """

    command: list[str]
    user: float  # seconds of CPU running the program's own code
    system: float  # seconds of CPU in the kernel on the program's behalf
    elapsed: float  # wall-clock seconds
    cpu_percent: float  # (user + system) / elapsed, in percent; above 100 with several threads
    max_rss_kb: int | None  # None: it ended too quickly to be seen
    voluntary_switches: int  # the program gave up the CPU to wait for something
    involuntary_switches: int  # the kernel took the CPU away (time slice over, busier task)
    blocks_in: int
    blocks_out: int
    returncode: int | None
    major_faults: int = 0
    minor_faults: int = 0
    timed_out: bool = False
    pid: int | None = field(default=None, repr=False)
    ended: int = 0  # processes it started and left running, which spykit killed (not counted above)
    stdout: bytes | None = field(default=None, repr=False)  # captured output (stdout=PIPE, capture_output)
    stderr: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_finished(cls, command: list[str], done: Finished) -> Timing:
        """Build from a finished run's ``wait4`` resource usage."""
        ru = done.rusage
        cpu = ru.ru_utime + ru.ru_stime
        return cls(
            command=list(command), user=ru.ru_utime, system=ru.ru_stime, elapsed=done.elapsed,
            cpu_percent=100.0 * cpu / done.elapsed if done.elapsed > 0 else 0.0,
            max_rss_kb=done.max_rss_kb, voluntary_switches=int(ru.ru_nvcsw),
            involuntary_switches=int(ru.ru_nivcsw), blocks_in=int(ru.ru_inblock),
            blocks_out=int(ru.ru_oublock), returncode=done.returncode, major_faults=int(ru.ru_majflt),
            minor_faults=int(ru.ru_minflt), timed_out=done.timed_out, pid=done.pid,
            ended=done.ended, stdout=done.stdout, stderr=done.stderr,
        )

    @property
    def df(self) -> pd.DataFrame:
        """The numbers as a one-row DataFrame (the same shape of answer as every slow tool's ``.df``)."""
        import pandas as pd  # here: `spykit time` on the command line does without it

        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["command"] = shlex.join(self.command)
        return pd.DataFrame([{**row, "cpu": self.cpu, "waiting": self.waiting, "hint": self.hint}])

    @property
    def cpu(self) -> float:
        """Seconds on a CPU, user plus system."""
        return self.user + self.system

    @property
    def waiting(self) -> float:
        """Seconds of the elapsed time not spent on a CPU (0 when threads overlap)."""
        return max(0.0, self.elapsed - self.cpu)

    @property
    def hint(self) -> str:
        """Where most of the time went: ``"on the CPU"``, ``"in the kernel"`` or ``"waiting"``.

        Waiting when less than half the elapsed time was spent on a CPU; otherwise in the
        kernel when system time beats user time; otherwise on the CPU.
        """
        if self.elapsed <= 0 or self.cpu < 0.5 * self.elapsed:
            return WAITING
        return IN_KERNEL if self.system > self.user else ON_CPU

    def __str__(self) -> str:
        from .render import timing_text

        return timing_text(self)

    def _repr_mimebundle_(self, include: Sequence[str] | None = None,
                          exclude: Sequence[str] | None = None) -> dict[str, Any]:
        from .render import timing_html

        return {"text/plain": str(self), "text/html": timing_html(self)}


def time(cmd: Command, *, timeout: float | None = None, stdin: Redirect = None, stdout: Redirect = None,
         stderr: Redirect = None, input: bytes | str | None = None, env: Mapping[str, str] | None = None,
         cwd: str | os.PathLike[str] | None = None, capture_output: bool = False) -> Timing:
    """Run ``cmd`` untraced and measure it, like the shell's ``time``.

    ``cmd`` is a list of arguments or a string split like a shell would (no shell runs it).
    The keyword arguments mean what they mean in :func:`subprocess.run` (see
    :func:`spykit.launch.prepare`): output goes where yours goes unless ``stdout``/``stderr``
    say otherwise, and captured output (``capture_output=True``, ``stdout=subprocess.PIPE``)
    is in the Timing's ``stdout``/``stderr``. With a
    ``timeout`` (seconds) the program and its descendants are killed when it passes, and the
    Timing says ``timed_out``. Processes it leaves running when it exits are killed too, and
    counted in ``ended``. Raises :class:`spykit.CommandNotFound` or
    :class:`spykit.NotExecutable` when the program cannot be started.

    >>> print(spykit.time("sleep 0.2"))          # doctest: +SKIP
    0.00user 0.00system 0:00.20elapsed 0%CPU (1792maxresident)k
    """
    run = prepare(cmd, stdin=stdin, stdout=stdout, stderr=stderr, input=input, env=env, cwd=cwd,
                  timeout=timeout, capture_output=capture_output)
    with phase(f"time: {run.argv[0]} running"):
        done = run_watched(run, interval=0.02)
    return Timing.from_finished(run.argv, done)
