"""One workshop question as an object: ``q.check(answer)``, ``q.hint()``, ``q.solution()``.

In the style of Kaggle's learntools: a learner works out an answer in the notebook and asks the
question object whether it is right. Feedback is in plain words and says *why* an answer is wrong
when it can (a common mix-up gets its own reply). Hints go one step at a time, from a nudge to
nearly the answer; the solution is the last resort.

A check is a function ``answer -> Verdict``. Where it can, it runs the program in question to see
whether the answer holds (for example by putting a config file where the learner says, and running
the program again), rather than only comparing with a stored string.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

CORRECT, INCORRECT, MISSING, UNCHECKED = "correct", "incorrect", "missing", "unchecked"
_COLOURS = {CORRECT: "#2e7d32", INCORRECT: "#c62828", MISSING: "#555", UNCHECKED: "#8a6d00"}
_TITLES = {CORRECT: "Correct!", INCORRECT: "Not quite.", MISSING: "No answer yet.", UNCHECKED: "Could not check."}


class _NoAnswer:
    def __repr__(self) -> str:
        return "<no answer>"


NO_ANSWER: Any = _NoAnswer()


@dataclass(frozen=True)
class Verdict:
    """The result of a check: ``status`` (correct, incorrect, missing, unchecked) and a message."""

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return f"{_TITLES[self.status]} {self.message}".strip()

    def _repr_html_(self) -> str:
        return (f'<div style="color: {_COLOURS[self.status]};"><b>{_TITLES[self.status]}</b> '
                f"{html.escape(self.message)}</div>")

    def __repr__(self) -> str:
        return str(self)


def correct(message: str = "") -> Verdict:
    return Verdict(CORRECT, message)


def incorrect(message: str) -> Verdict:
    return Verdict(INCORRECT, message)


def unchecked(message: str) -> Verdict:
    return Verdict(UNCHECKED, message)


def is_missing(answer: Any) -> bool:
    """No answer given: nothing passed, None, an empty string, or an Ellipsis/`____` placeholder."""
    if answer is NO_ANSWER or answer is None or answer is Ellipsis:
        return True
    return isinstance(answer, str) and answer.strip().strip("_") == ""


@dataclass
class Text:
    """Something to show in a notebook: plain text, displayed as a formatted block."""

    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f'<div><b>{html.escape(self.kind)}:</b> {html.escape(self.text)}</div>'


class Exercise:
    """One question: ``check(answer)``, ``hint()`` (the next hint each time), ``solution()``."""

    def __init__(self, name: str, question: str, check: Callable[[Any], Verdict], hints: Sequence[str],
                 solution: str, *, example: str = ""):
        if not hints:
            raise ValueError(f"{name}: every exercise needs at least one hint")
        self.name = name
        self.question = question
        self._check = check
        self.hints = list(hints)
        self._solution = solution
        self.example = example  # how to give the answer, e.g. "q1.check(12)"
        self.hints_seen = 0
        self.solved = False

    def check(self, answer: Any = NO_ANSWER) -> Verdict:
        """Is ``answer`` right? Says why not, in plain words."""
        if is_missing(answer):
            how = f" For example: {self.example}" if self.example else ""
            return Verdict(MISSING, f"Give your answer to check, as an argument.{how}")
        verdict = self._check(answer)
        self.solved = self.solved or verdict.correct
        return verdict

    def hint(self, number: int | None = None) -> Text:
        """The next hint (or hint ``number``, from 1); the last one nearly gives the answer away."""
        if number is None:
            number = min(self.hints_seen + 1, len(self.hints))
        number = min(max(1, number), len(self.hints))
        self.hints_seen = max(self.hints_seen, number)
        total = len(self.hints)
        title = f"Hint {number} of {total}" + (", the last" if number == total else " (ask again for the next)")
        return Text(title, self.hints[number - 1])

    def solution(self) -> Text:
        """The answer, with how to find it."""
        return Text("Solution", self._solution)

    def __repr__(self) -> str:
        return f"<Exercise {self.name}: {self.question}>"

    def _repr_html_(self) -> str:
        return f"<div><b>{html.escape(self.name)}</b>: {html.escape(self.question)}</div>"
