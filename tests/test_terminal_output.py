"""What a terminal shows for search results: highlights of what matched as a unit,
snippets wrapped to the window, counts in words, a page past the end."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, build_fixture_index, invoke

TERMINAL = FIXTURES / "terminal"


@pytest.fixture(scope="module")
def idx(tmp_path_factory):
    return ["--index", build_fixture_index(tmp_path_factory, "terminal", TERMINAL)]


def marked(res) -> list[str]:
    """The **marked** words of piped output, in order."""
    return res.stdout.split("**")[1::2]


def json_marked(res) -> list[list[str]]:
    out = []
    for line in res.stdout.splitlines():
        r = json.loads(line)
        out.append([r["snippet"][a:b] for a, b in r["highlights"]])
    return out


def test_a_han_compound_is_highlighted_whole_never_its_lone_parts(idx):
    res = invoke("search", *idx, "升旗山")
    assert res.exit_code == 0
    assert set(marked(res)) == {"升旗山"}
    assert "登山小路上山" in res.stdout  # the lone 山 stay plain
    assert json_marked(invoke("search", *idx, "--json", "升旗山")) == [["升旗山", "升旗山"]]


def test_a_compound_of_digits_and_letters_is_highlighted_whole(idx):
    res = invoke("search", *idx, "Najib", "1MDB")
    assert set(marked(res)) == {"Najib", "1MDB"}
    assert "AS$1 bilion" in res.stdout and "slogan 1Malaysia" in res.stdout
    for words in json_marked(invoke("search", *idx, "--json", "Najib", "1MDB")):
        assert set(words) == {"Najib", "1MDB"}


def test_a_wildcard_highlights_whole_words_it_matches_as_written(idx):
    res = invoke("search", *idx, "-n", "10", "a*")
    words = marked(res)
    assert words and all(w.lower().startswith("a") for w in words), words
    for spans in json_marked(invoke("search", *idx, "--json", "-n", "10", "a*")):
        assert all(w.lower().startswith("a") for w in spans), spans
    # mengambil and dianjurkan match a* only through their Malay stems ambil and anjur
    from search import Searcher
    from search.query import positive_terms
    from search.snippets import find_spans, needles_from

    text = "Majlis itu dianjurkan oleh pihak mahkamah sebelum hakim mengambil akaun."
    with Searcher(idx[1]) as s:
        needles = needles_from(positive_terms(s.parse("a* hakim")), s._searcher.reader())
    assert [text[a:b] for a, b in find_spans(text, needles)] == ["hakim", "akaun"]


def test_a_quoted_phrase_is_highlighted_where_its_words_run_together(idx):
    res = invoke("search", *idx, '"Kuala Lumpur"')
    assert set(marked(res)) == {"Kuala Lumpur"}
