"""A value that cannot be decoded is shown raw and the row is kept: every decoder, extreme values.

strace prints what it cannot make sense of as a number (``iov_len=18446744073709551615``) and
carries on; so must every decoder here, for every argument being 0, -1, SIZE_MAX or a pointer
nobody can read, and for blobs that are missing, empty, short or garbage.
"""

from __future__ import annotations

import itertools
import os

import pytest

from spykit.syscalls.decode import DECODERS, generic, result_note
from spykit.syscalls.decode.common import Call, Unfinished
from spykit.syscalls.flags.words import flag_words
from spykit.syscalls.table import ALL_NAMES

SIZE_MAX = (1 << 64) - 1
BAD_POINTER = 0xDEAD0000  # nothing is mapped there in a test
EXTREMES = (0, 1, SIZE_MAX, SIZE_MAX - 99, BAD_POINTER, 1 << 63, 0x7FFFFFFF, 0xFFFFFFFF)
# blobs as the tracer stores them: absent, unreadable (None), empty, short, all ones, long garbage
BLOB_SETS = (
    {},
    {k: None for k in range(16)},
    {k: b"" for k in range(16)},
    {k: b"\xff" * 3 for k in range(16)},
    {k: b"\xff" * 512 for k in range(16)},
    {k: bytes(range(256)) * 2 for k in range(16)},
)
RESULTS = ((None, None), (-1, 14), (0, None), (SIZE_MAX >> 1, None), (-(1 << 63), None), (1, None))


def _render(decoder, call: Call) -> str:
    parts = []
    try:
        for part in decoder(call):
            assert isinstance(part, str)
            parts.append(part)
    except Unfinished:
        pass
    return ", ".join(parts)


@pytest.mark.parametrize("name", sorted(set(DECODERS) | set(ALL_NAMES)))
def test_no_decoder_raises_on_extreme_values(name):
    decoder = DECODERS.get(name, generic)
    for value, blobs, (ret, err) in itertools.product(EXTREMES, BLOB_SETS, RESULTS):
        for args in ((value,) * 6, (value, 0, value, 0, value, 0), (3, value, value, 2, 0, value)):
            call = Call(name, args, ret, err, blobs, 32, "/dev/null", True)
            _render(decoder, call)  # raises: the decoder itself failed (render_args would hide it)
            result_note(name, args, ret, err, blobs)
            flag_words(name, args)


def test_an_iovec_of_size_max_is_shown_raw():
    import struct

    from spykit.syscalls.decode import render_args
    blob = struct.pack("<I", 1) + struct.pack("<QQ", 0x1000, SIZE_MAX) + b"hello"
    assert render_args("writev", (1, 0x1000, 1, 0, 0, 0), -1, 22, {1: blob}) == \
        '1, [{iov_base="hello"..., iov_len=18446744073709551615}], 1'


@pytest.mark.parametrize("pure", ["", "1"])
def test_a_huge_iovec_keeps_the_trace(compile_c, pure, monkeypatch):
    """writev(1, &(struct iovec){buf, SIZE_MAX}, 1) once lost the whole trace (OverflowError)."""
    import spykit
    monkeypatch.setenv("SPYKIT_PURE_PYTHON", pure)
    exe = compile_c("abi/huge_iov.c")
    trace = spykit.trace([exe], capture_output=True, stdin=open(os.devnull, "rb"))
    rows = trace.df[trace.df["syscall"].isin(["writev", "readv"])]
    assert list(rows["syscall"]) == ["writev", "writev", "readv", "writev"]
    assert list(rows["error"].fillna("")) == ["EINVAL", "EINVAL", "EINVAL", ""]
    assert "iov_len=18446744073709551615" in rows["args"].iloc[0]
    assert rows["size"].isna().iloc[0] and rows["size"].iloc[3] == 18
    assert rows["data"].iloc[3] == b"hello from writev\n"
