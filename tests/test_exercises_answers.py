"""spykit/exercises/_answers.py: the one reader of learners' answers, on hand-written answers."""

from __future__ import annotations

import os

import pytest

from spykit.exercises._answers import (
    as_count,
    as_number,
    as_path,
    as_seconds,
    has_placeholder,
    home_env,
    option_values,
    pretend_home,
    same_name,
    same_path,
    text_of,
    unquoted,
    words,
)

ENV = {"HOME": "/home/ann", "XDG_CONFIG_HOME": "/home/ann/.config"}
CONSENT = "/home/ann/.config/wizard-browser/Consent To Send Stats"


@pytest.mark.parametrize("answer", [
    CONSENT,
    "~/.config/wizard-browser/Consent To Send Stats",
    "~/.config/wizard-browser/Consent\\ To\\ Send\\ Stats",  # the talk's shell form
    "'~/.config/wizard-browser/Consent To Send Stats'",
    '"$HOME/.config/wizard-browser/Consent To Send Stats"',
    "${XDG_CONFIG_HOME}/wizard-browser/Consent To Send Stats",
    "~/.config/wizard-browser/'Consent To Send Stats'",
    "  ~/.config//wizard-browser/./Consent To Send Stats  ",
])
def test_every_form_of_a_path_is_the_same_path(answer):
    assert as_path(answer, ENV) == CONSENT


def test_paths_that_are_not_given():
    assert as_path(None) is None and as_path(42) is None and as_path("   ") is None
    assert as_path("relative/name", ENV) == "relative/name"
    assert as_path("relative/name", ENV, cwd="/work") == "/work/relative/name"
    assert as_path("$NOT_SET/x", ENV) == "$NOT_SET/x"  # left as written, as the shell's ${NAME} would not be


def test_tmpdir_means_the_temporary_directory_when_unset():
    import tempfile

    assert as_path("$TMPDIR/x", {"HOME": "/h"}) == os.path.join(tempfile.gettempdir(), "x")
    assert as_path("$TMPDIR/x", {"TMPDIR": "/scratch"}) == "/scratch/x"


def test_the_notebooks_pretend_home():
    assert pretend_home("/tmp/wizard-home-k2j4h5g6/.config/x") == ("/tmp/wizard-home-k2j4h5g6", "/.config/x")
    assert pretend_home("/tmp/wizard-home-k2j4h5g6") == ("/tmp/wizard-home-k2j4h5g6", "")
    assert pretend_home("/home/ann/.config/x") is None
    env = home_env("/tmp/wizard-home-k2j4h5g6", {"PATH": "/bin"})
    assert env == {"PATH": "/bin", "HOME": "/tmp/wizard-home-k2j4h5g6",
                   "XDG_CONFIG_HOME": "/tmp/wizard-home-k2j4h5g6/.config",
                   "XDG_DATA_HOME": "/tmp/wizard-home-k2j4h5g6/.local/share"}


def test_text_and_quotes():
    assert text_of(b"MEET\n") == "MEET" and text_of("b'MEET THE OWL\\n'") == "MEET THE OWL"
    assert text_of(3) is None
    assert unquoted("`execve`") == "execve" and unquoted("it's") == "it's"  # an apostrophe is no quote
    assert words("  Meet the  OWL at noon!  ") == "meet the owl at noon"


@pytest.mark.parametrize(("answer", "pairs"), [
    ("owl-feather-42", [(None, "owl-feather-42")]),
    ("--password owl-feather-42", [("--password", "owl-feather-42")]),
    ("--password=owl-feather-42", [("--password", "owl-feather-42")]),
    ("'--password' 'owl-feather-42'", [("--password", "owl-feather-42")]),
    ("password: owl-feather-42", [("--password", "owl-feather-42")]),
    ("--password owl-feather-42 --sync", [("--password", "owl-feather-42"), (None, "--sync")]),
    ("meet the owl", [(None, "meet the owl")]),
])
def test_option_forms(answer, pairs):
    assert option_values(answer) == pairs


@pytest.mark.parametrize("given", ["wizard-sync-k2j4h5g6", "wizard-sync-*", "wizard-sync-XXXXXXXX",
                                   "wizard-sync-<random>", "wizard-sync-...", "wizard-sync-{random}"])
def test_a_random_part_in_any_form(given):
    assert same_name(given, "wizard-sync-a1b2c3d4", random=True)
    assert same_path(f"/tmp/{given}/sync.lock", "/tmp/wizard-sync-a1b2c3d4/sync.lock", random_parts=2)


def test_what_a_random_part_does_not_excuse():
    assert not same_name("wizard-sync-*", "wizard-sync-a1b2c3d4")  # not a random part here
    assert not same_name("other-*", "wizard-sync-a1b2c3d4", random=True)
    assert not same_name("wizard-sync-a1b2", "wizard-sync-a1b2c3d4", random=True)
    assert not same_path("/var/wizard-sync-*/sync.lock", "/tmp/wizard-sync-a1b2c3d4/sync.lock", random_parts=2)
    assert not same_path("/tmp/wizard-sync-*/other", "/tmp/wizard-sync-a1b2c3d4/sync.lock", random_parts=2)
    assert not same_path("/tmp/_7zm7e5u", "/tmp/ab12cd3", random_parts=1)  # 7 characters: no tempfile name
    assert not same_path("/tmp/_7zm7e5u", "/tmp/x.log", random_parts=1)
    assert same_path("/tmp/_7zm7e5u", "/tmp/_ab12cd3", random_parts=1)  # Python's tempfile probe, another run
    assert has_placeholder("/tmp/wizard-sync-*/x") and not has_placeholder("/tmp/a/b")


def test_numbers_in_words():
    assert as_number("1,500 writes/s") == (1500.0, "writes/s")
    assert as_number("about 1500") == (1500.0, "")
    assert as_number(True) is None and as_number("fast") is None
    assert as_count("12 files") == 12 and as_count(12.0) == 12 and as_count(12.5) is None and as_count(-1) is None
    assert as_seconds("250 ms") == 0.25 and as_seconds("1/4 s") == 0.25 and as_seconds("0.25 seconds") == 0.25
    assert as_seconds("4 per second") is None and as_seconds("1/0") is None
