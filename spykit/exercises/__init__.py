"""Checked exercises for the workshop, one object per question (in the style of Kaggle's learntools).

    from spykit.exercises import ch01
    ch01.q1.check("~/somewhere/some file")   # right or not, and why
    ch01.q1.hint()                           # the next hint, from a nudge to nearly the answer
    ch01.q1.solution()                       # the last resort

Chapters: ``ch00`` (reading a trace), ``ch01`` (the missing config file and friends), ``ch02``
(the slow programs), ``ch03`` (the wizard exercises: a hang, a config hunt, three more slow
programs). Where it can, a check runs the program in question to see whether the answer holds,
rather than comparing with a stored string.

Every check reads answers the same way (``_answers``): a path with ``~``, ``$HOME``, quotes, shell
escapes or the notebook's pretend home; ``--opt value`` or ``--opt=value``; a ``*`` or ``XXXX`` for
a random part of a name; a number with its unit. When a check rejects an answer that names something
the program really did, it says what that thing is.
"""

from __future__ import annotations

from . import ch00, ch01, ch02, ch03
from ._core import Exercise, Verdict

__all__ = ["Exercise", "Verdict", "ch00", "ch01", "ch02", "ch03"]
