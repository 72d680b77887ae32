"""normalize's combining-character test and folding by regular expressions
(indexer.analyse.unicode_tables): the same answers, and the same normalised text and
offsets, as the call of unicodedata.combining and the translation per character they
replaced."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analyse import normalize as norm
from indexer.analyse.unicode_tables import COMBINING, FOLDED, LOWER_ONLY, UNIDATA_VERSION


@pytest.fixture(autouse=True, scope="module")
def compiled():
    """The patterns in use, as in a process that has normalised enough text."""
    norm._compile()


def _derived_ranges(test, top=sys.maxunicode) -> list[str]:
    out: list[list[int]] = []
    for c in range(top + 1):
        if test(chr(c)):
            if out and out[-1][1] == c - 1:
                out[-1][1] = c
            else:
                out.append([c, c])
    return [f"{a:x}" if a == b else f"{a:x}-{b:x}" for a, b in out]


@pytest.mark.skipif(
    unicodedata.unidata_version != UNIDATA_VERSION, reason="table of another Unicode version"
)
def test_table_is_unicodedata_combining():
    assert COMBINING.split() == _derived_ranges(unicodedata.combining)
    folded = _derived_ranges(lambda c: unicodedata.normalize("NFKC", c).casefold() != c, 0xFFFF)
    assert FOLDED.split() == folded
    lower_only = _derived_ranges(
        lambda c: c.lower() != c and unicodedata.normalize("NFKC", c).casefold() == c, 0xFFFF
    )
    assert LOWER_ONLY.split() == lower_only
    norm._compile()
    assert norm._combining and norm._folding  # the fast paths are the ones in use


def _per_character(text: str):
    """normalize as it was: the call of unicodedata.combining per character."""
    saved = norm._combining, norm._folding
    norm._combining = norm._folding = False
    try:
        return norm.normalize(text)
    finally:
        norm._combining, norm._folding = saved


# Text that reaches every branch: ASCII, Latin with precomposed and combining accents,
# full width, ligatures and ß (folding changes the length), Traditional Chinese, astral
# Han and astral combining marks (U+1E94A, U+1D167), emoji.
_ALPHABET = st.sampled_from(
    list("aZ é\u0301\u0323ÅﬁßＡ１，體後臺云\u3007\u212aİΣς㎏\u13a0\uab70")
    + [
        "\U00020000",
        "\U0001d400",
        "\U0001e94a",
        "\U0001d167",
        "\U0001f600",
        "\u0345",
        "\u302a",
        "\u3099",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.text(_ALPHABET, max_size=40) | st.text(max_size=40))
def test_same_answers_as_the_call_per_character(text):
    assert norm._combining
    assert norm._has_combining(text) == any(map(unicodedata.combining, text))


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=40) | st.text(max_size=40))
def test_normalize_output_unchanged(text):
    assert norm._combining and norm._folding
    new = norm.normalize(text)
    old = _per_character(text)
    assert (new.text, new._starts, new._ends) == (old.text, old._starts, old._ends)


def test_fallback_on_another_unicode_version(monkeypatch):
    import indexer.analyse.unicode_tables as table

    monkeypatch.setattr(table, "UNIDATA_VERSION", "0.0.0")
    monkeypatch.setattr(norm, "_combining", None)
    monkeypatch.setattr(norm, "_folding", None)
    norm._compile()
    assert norm._combining is False and norm._folding is False
    assert norm._has_combining("e\u0301") and not norm._has_combining("abc")
    assert norm._fold("ＡbＣ，") == "abc,"


def test_patterns_compiled_once_enough_text_was_normalised(monkeypatch):
    monkeypatch.setattr(norm, "_combining", None)
    monkeypatch.setattr(norm, "_folding", None)
    monkeypatch.setattr(norm, "_slow_chars", 0)
    text = "南海，Ａ" * 1000
    before = norm.normalize(text)
    assert norm._combining is None  # 4,000 characters: a cold command line's few snippets
    for _ in range(norm._COMPILE_AFTER // len(text)):
        norm.normalize(text)
    assert norm._combining and norm._folding
    after = norm.normalize(text)
    assert (after.text, after._starts) == (before.text, before._starts)


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=40) | st.text(max_size=40))
def test_folding_by_runs_is_the_translation(text):
    assert norm._folding
    assert norm._fold(text) == text.translate(norm._FOLD)


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=60) | st.text(max_size=60))
def test_folding_with_offsets_by_runs_is_the_call_per_character(text):
    """``_fold_chars`` looks up only the runs that change; the offset maps are those of
    the lookup per character (``_fold_each``), also where folding changes the length."""
    assert norm._folding
    assert norm._fold_chars(text) == norm._fold_each(text)


def test_folding_with_offsets_between_runs():
    text = "Straße ﬁnal 體後 ＡＢ x" * 3 + "tail"
    folded, starts, ends = norm._fold_chars(text)
    assert (folded, starts, ends) == norm._fold_each(text)
    assert folded.startswith("strasse final 體後 ab x")  # (t2s comes after)
    assert starts[:8] == [0, 1, 2, 3, 4, 4, 5, 6] and ends[:8] == [1, 2, 3, 4, 5, 5, 6, 7]


def test_folding_by_replacing_and_lowering():
    """Few distinct non-ASCII characters to fold: ``str.replace`` each, then ``lower``;
    a Cherokee letter (``lower`` changes the capital, folding the small letter) or many
    distinct characters: the runs one by one."""
    assert norm._folding
    text = "Kata ＡＢＣ，Σ ΣΑΣ “Quoted”，體育 Straße ﬁ"
    assert norm._fold_by_replacing(text) == text.translate(norm._FOLD)
    assert norm._fold_by_replacing("Ꭰ and ꭰ") is None
    assert norm._fold("Ꭰ and ꭰ A") == "Ꭰ and Ꭰ a" == "Ꭰ and ꭰ A".translate(norm._FOLD)
    many = "".join(chr(0xFF21 + i) for i in range(norm._REPLACED_AT_MOST + 1))
    assert norm._fold_by_replacing(many) is None
    assert norm._fold(many) == many.translate(norm._FOLD) == many.translate(norm._FOLD).lower()


def _without_few(text: str):
    """normalize without ``_fold_few``: the regular expressions over the whole text."""
    saved = norm._fold_few
    norm._fold_few = lambda text: None
    try:
        return norm.normalize(text)
    finally:
        norm._fold_few = saved


# Latin text with a few non-ASCII characters of every kind _plan sorts: kept, folded to
# one character, folded longer (ß, ﬁ, İ), changed by lower only (Cherokee), combining,
# Han (and a compatibility ideograph, which folds to another Han character), astral.
_FEW_ALPHABET = st.sampled_from(
    list("aZ x.'-")
    + list("é’“”—ÅΣσςＡ１，ßﬁİ\u13a0\uab70\u0301體臺\uf900\u212a")
    + ["\U00020000", "\U0001d400", "\U0001f600"]
)


@settings(max_examples=500, deadline=None)
@given(
    st.text(_FEW_ALPHABET, max_size=60)
    | st.tuples(st.text("ab ", min_size=64, max_size=70), st.text(_FEW_ALPHABET)).map("".join)
    | st.text(max_size=30)
)
def test_folding_few_characters_by_replacing_is_normalize(text):
    """``_fold_few`` (the distinct non-ASCII characters replaced, then ``lower``) gives
    the text and offsets of the regular expressions' paths, or leaves the text to them."""
    new = norm.normalize(text)
    old = _without_few(text)
    assert (new.text, new._starts, new._ends) == (old.text, old._starts, old._ends)


def test_which_texts_fold_by_replacing_few_characters():
    assert norm._fold_few("Kata “ΣΑΣ” ke ＡＢ，x") == ("kata “σασ” ke ab,x", False)
    assert norm._fold_few("Straße") is None  # ß folds to ss: offsets to map
    assert norm._fold_few("Ꭰ and") is None  # only lower() changes it
    assert norm._fold_few("cafe\u0301") is None  # a combining mark
    assert norm._fold_few("x" * 70 + "體育") == ("x" * 70 + "體育", True)  # t2s comes after
    assert norm._fold_few("體育 x") is None  # Han at the start: a Chinese text
    many = "".join(chr(0x100 + i) for i in range(norm._FEW + 1))
    assert norm._fold_few(many) is None
    assert norm.normalize("x" * 70 + "體育").text == "x" * 70 + "体育"
