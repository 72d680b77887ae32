"""The snippet window's column arithmetic (``search.textwidth.advance``,
``search.snippets._back``, ``_best_window``, and the bisections of ``_columns_of``) skips
runs of ASCII at once: the same results as walking character by character, zero-width
marks after a full window too."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from search import snippets
from search.snippets import _back, _best_window, _columns_of, _merge, make_snippet
from search.textwidth import advance, char_width

# ASCII, wide Han characters and punctuation, a combining accent, a soft hyphen (Cf)
ALPHABET = "abc de  fgh\t\nXYZ 南海军事演习，东盟。é\u0301\u00ad"


def advance_by_char(text: str, start: int, columns: int) -> int:
    used, i = 0, start
    while i < len(text):
        w = char_width(text[i])
        if used + w > columns:
            break
        used += w
        i += 1
    return i


def back_by_char(text: str, end: int, columns: int) -> int:
    used, i = 0, end
    while i > 0 and used + char_width(text[i - 1]) <= columns:
        used += char_width(text[i - 1])
        i -= 1
    return i


def test_a_zero_width_mark_after_a_full_ascii_window_still_belongs_to_it():
    text = "abcde\u0301fgh"
    assert advance(text, 0, 5) == advance_by_char(text, 0, 5) == 6
    assert _back("\u0301abc", 4, 3) == back_by_char("\u0301abc", 4, 3) == 0
    assert _back("abc", 3, 0) == 3
    assert advance("abc", 1, 10) == 3


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=300), st.data())
def test_skipping_ascii_gives_what_walking_each_character_gives(text, data):
    start = data.draw(st.integers(0, len(text)))
    columns = data.draw(st.sampled_from([0, 1, 3, 44, 220]))
    assert advance(text, start, columns) == advance_by_char(text, start, columns)
    assert _back(text, start, columns) == back_by_char(text, start, columns)


# ASCII with the narrow non-ASCII characters of Latin text (curly quotes, dashes, é):
# every character one column, counted by arithmetic (``_one_column_each``)
NARROW = "abc de  fg\nXY’“”—…é"


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=ALPHABET, min_size=1, max_size=400)
    | st.text(alphabet=NARROW, min_size=1, max_size=400),
    st.data(),
)
def test_the_window_holds_the_most_matches_as_before(text, data):
    """``_best_window`` stops looking at spans past the window only for sorted disjoint
    spans (``find_spans``'): the window is the one a full look at every span picks; a
    text of one-column characters is counted by arithmetic to the same window."""
    pairs = data.draw(st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, 8))))
    spans = _merge([(a, min(len(text), a + n)) for a, n in pairs])
    width = data.draw(st.sampled_from([20, 60, 220]))

    def full_look(text, spans, width):
        best, best_score = spans[0][0], -1.0
        for i, (a, _b) in enumerate(spans):
            start = back_by_char(text, a, width // 5)
            end = advance_by_char(text, start, width)
            inside = [text[x:y].lower() for x, y in spans[i:] if y <= end]
            score = len(set(inside)) * 10 + len(inside)
            if score > best_score:
                best, best_score = start, score
        start = best
        end = advance_by_char(text, start, width)
        stop = advance_by_char(text, start, width + 20)
        while (
            start > 0 and start > best - 20 and text[start - 1].isalnum() and text[start].isascii()
        ):
            start -= 1
        while end < len(text) and end < stop and text[end].isalnum() and text[end].isascii():
            end += 1
        return start, end

    if spans:
        assert _best_window(text, spans, width) == full_look(text, spans, width)
        make_snippet(text, spans, width)  # and cut without error


# wide, zero-width (combining, soft hyphen) and ASCII characters, zero-width ones often
_WIDTHS = "南海，a b\u0301\u0301\u00ad\u00ad"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_WIDTHS, min_size=1, max_size=600), st.data())
def test_the_bisections_of_running_columns_walk_as_each_character(text, data):
    """``_columns_of``'s walks over a stretch of running column counts give what the walk
    per character gives, at the stretch's edges (where a run of zero-width characters
    leads past them) too."""
    starts = data.draw(st.lists(st.integers(0, len(text) - 1), min_size=1, max_size=8))
    spans = [(a, a + 1) for a in sorted(set(starts))]
    width = data.draw(st.sampled_from([5, 20, 220]))
    walks = _columns_of(text, spans, width)
    if walks is None:  # spans too far apart for one stretch: the walks as they were
        return
    back, ahead = walks
    for a in range(len(text) + 1):
        for columns in (0, 1, width // 5, width, width + 20):
            assert back(text, a, columns) == back_by_char(text, a, columns), (a, columns)
            assert ahead(text, a, columns) == advance_by_char(text, a, columns), (a, columns)


def test_a_window_in_a_long_wide_text_from_its_running_columns(monkeypatch):
    text = "东盟" * 3000 + "南海" + "东盟" * 3000
    spans = [(6000, 6002), (6004, 6006), (6008, 6010), (6012, 6014)]
    assert _columns_of(text, spans, 220) is not None
    got = _best_window(text, spans, 220)
    monkeypatch.setattr(snippets, "_columns_of", lambda *args: None)  # the walks as before
    assert got == _best_window(text, spans, 220) == (5978, 6088)


def test_which_texts_take_one_column_a_character():
    from search.snippets import _one_column_each

    assert _one_column_each("Menteri “kata” — ok’s é")
    assert not _one_column_each("Menteri 南海")  # wide
    assert not _one_column_each("cafe\u0301")  # a combining mark takes none
    assert not _one_column_each("soft\u00adhyphen")
    assert not _one_column_each("南海" + "x" * 100)  # Han at the start: not listed
