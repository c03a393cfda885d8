"""Writing files that may hold secrets: new, readable by their owner only, swapped in whole.

A trace holds buffers, payloads and environments. A file spykit writes is therefore created with
``mkstemp`` (``O_EXCL``, mode 0600: never readable by others, not even briefly, and never written
through a symbolic link or into a file someone else made), filled, and only then renamed over the
name asked for. A rename replaces the name, not the file it named: another user's file, or the
target of a planted symbolic link, is left as it was. If writing fails, nothing is left behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any


@contextmanager
def replace_privately(path: str | os.PathLike[str], mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """A new 0600 file to write, renamed to ``path`` when the ``with`` block ends without error."""
    path = os.fspath(path)
    fd, temporary = tempfile.mkstemp(prefix=".spykit-", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, mode, **open_args) as sink:
            yield sink
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
