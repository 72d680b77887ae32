"""normalize's combining-character test by regular expression (indexer.analyse.combining):
the same answers, and the same normalised text and offsets, as the call of
unicodedata.combining per character it replaced."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analyse import normalize as norm
from indexer.analyse.combining import RANGES, UNIDATA_VERSION


def _derived_ranges() -> list[str]:
    out: list[list[int]] = []
    for c in range(sys.maxunicode + 1):
        if unicodedata.combining(chr(c)):
            if out and out[-1][1] == c - 1:
                out[-1][1] = c
            else:
                out.append([c, c])
    return [f"{a:x}" if a == b else f"{a:x}-{b:x}" for a, b in out]


@pytest.mark.skipif(
    unicodedata.unidata_version != UNIDATA_VERSION, reason="table of another Unicode version"
)
def test_table_is_unicodedata_combining():
    assert RANGES.split() == _derived_ranges()
    assert norm._combining_searches() is not None  # the fast path is the one in use


def _per_character(text: str):
    """normalize as it was: the call of unicodedata.combining per character."""
    saved = norm._combining
    norm._combining = False
    try:
        return norm.normalize(text)
    finally:
        norm._combining = saved


# Text that reaches every branch: ASCII, Latin with precomposed and combining accents,
# full width, ligatures and ß (folding changes the length), Traditional Chinese, astral
# Han and astral combining marks (U+1E94A, U+1D167), emoji.
_ALPHABET = st.sampled_from(
    list("aZ é\u0301\u0323ÅﬁßＡ１，體後臺云\u3007")
    + ["\U00020000", "\U0001e94a", "\U0001d167", "\U0001f600", "\u0345", "\u302a", "\u3099"]
)


@settings(max_examples=400, deadline=None)
@given(st.text(_ALPHABET, max_size=40) | st.text(max_size=40))
def test_same_answers_as_the_call_per_character(text):
    assert norm._has_combining(text) == any(map(unicodedata.combining, text))


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=40) | st.text(max_size=40))
def test_normalize_output_unchanged(text):
    new = norm.normalize(text)
    old = _per_character(text)
    assert (new.text, new._starts, new._ends) == (old.text, old._starts, old._ends)


def test_fallback_on_another_unicode_version(monkeypatch):
    import indexer.analyse.combining as table

    monkeypatch.setattr(table, "UNIDATA_VERSION", "0.0.0")
    monkeypatch.setattr(norm, "_combining", None)
    assert norm._combining_searches() is None
    assert norm._has_combining("e\u0301") and not norm._has_combining("abc")
    monkeypatch.setattr(norm, "_combining", None)
