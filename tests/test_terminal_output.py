"""What a terminal shows for search results: highlights of what matched as a unit,
snippets wrapped to the window, counts in words, a page past the end."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import (
    FIXTURES,
    build_fixture_index,
    installed_mlsearch,
    invoke,
    run_in_terminal,
)

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


# --- wrapping ---------------------------------------------------------------------------

WRAP_PIECES = ["word", "Attendance", "19th", "升旗山", "山", "，", "。", "…", " ", "  ", "x" * 30]


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(WRAP_PIECES + ["é", "e\u0301", "ｗ", "한"]), max_size=40),
    width=st.integers(2, 80),
)
def test_wrapped_lines_fit_the_width_and_lose_no_character(pieces, width):
    from search.textwidth import display_width, wrap

    text = "".join(pieces)
    lines = wrap(text, width)
    assert all(display_width(text[a:b]) <= width for a, b in lines)
    assert all(text[a:b] == text[a:b].strip() and b > a for a, b in lines)
    # in order, and only whitespace left out between them
    cursor = 0
    for a, b in lines:
        assert a >= cursor and not text[cursor:a].strip()
        cursor = b
    assert not text[cursor:].strip()


def test_wrap_breaks_latin_at_spaces_and_han_between_characters():
    from search.textwidth import wrap

    text = "Attendance at the 19th summit"
    assert [text[a:b] for a, b in wrap(text, 12)] == ["Attendance", "at the 19th", "summit"]
    text = "登山小路上山，欣赏日出"
    assert [text[a:b] for a, b in wrap(text, 10)] == ["登山小路上", "山，欣赏日", "出"]
    text = "the three days …"
    assert [text[a:b] for a, b in wrap(text, 15)] == ["the three", "days …"]


def test_piped_snippets_stay_one_line_each(idx):
    res = invoke("search", *idx, "attendance", "Najib", "升旗山")
    lines = res.stdout.splitlines()
    # title, meta, snippet, the words it lacks (each hit has one of the three), blank line
    assert len(lines) == 3 * 5
    assert all(line.startswith("     ") for line in lines[2::5])
    assert all(line.startswith("     missing: ") for line in lines[3::5])


def pty_run(*args, columns: int) -> str:
    """``mlsearch ARGS`` of this venv in a pseudo-terminal ``columns`` wide: what it shows."""
    _status, out = run_in_terminal([installed_mlsearch(), *map(str, args)], columns)
    return out.decode("utf-8").replace("\r\n", "\n")


ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("columns", [60, 120])
def test_a_terminal_gets_snippets_wrapped_to_its_width_in_colour(idx, columns):
    from search.textwidth import display_width

    shown = pty_run("search", *idx, "attendance", "Najib", "升旗山", columns=columns)
    assert "\x1b[31m\x1b[1m升旗山\x1b[0m" in shown  # colour on a terminal, not **markers**
    plain = ANSI.sub("", shown)
    assert "**" not in plain
    lines = plain.splitlines()
    assert max(display_width(line) for line in lines if line.startswith("     ")) <= columns
    # each snippet indented under its hit: at most 3 lines in 120 columns, and a Han one
    # no longer than a Latin one
    hits = [b.splitlines() for b in re.split(r"\n(?=  \d\. )", plain) if b.startswith("  ")]
    assert len(hits) == 3
    sizes = {}
    for hit in hits:
        snippet = [line for line in hit[2:] if line and not line.startswith("     missing: ")]
        assert snippet and all(line.startswith("     ") for line in snippet)
        sizes["zh" if "· zh ·" in hit[1] else hit[1]] = len(snippet)
    assert max(sizes.values()) <= (3 if columns == 120 else 5)
    assert sizes["zh"] <= min(v for k, v in sizes.items() if k != "zh")
    # no word cut at the edge: every word of the snippets is whole on its line
    texts = "".join(p.read_text("utf-8") for p in TERMINAL.rglob("*.txt"))
    words = set(re.findall(r"[A-Za-z]+", texts))
    for hit in hits:
        for line in hit[2:]:
            if line.startswith("     missing: "):
                continue  # the query's words, as typed
            assert set(re.findall(r"[A-Za-z]+", line)) <= words, line


# --- counts and pages ---------------------------------------------------------------------


def test_counts_are_in_words_one_hit_two_hits(idx):
    res = invoke("search", *idx, "attendance")
    assert res.stderr.splitlines()[0] == "1 hit, showing 1–1"
    res = invoke("search", *idx, "attendance", "OR", "Najib")
    assert res.stderr.splitlines()[0] == "2 hits, showing 1–2"


def test_a_page_past_the_end_says_so_and_how_many_pages_there_are(idx):
    res = invoke("search", *idx, "--page", "999", "attendance", "OR", "Najib")
    assert res.exit_code == 1
    assert res.stdout == ""
    assert res.stderr == "page 999 is past the end: the last page is 1 (2 hits, 10 a page)\n"
    res = invoke("search", *idx, "-n", "1", "--page", "3", "attendance", "OR", "Najib")
    assert res.stderr == "page 3 is past the end: the last page is 2 (2 hits, 1 a page)\n"
    assert "showing" not in invoke("search", *idx, "--page", "2", "attendance").stderr


def test_saved_run_counts_in_words(idx):
    assert invoke("saved", "add", *idx, "att", "attendance").exit_code == 0
    res = invoke("saved", "run", *idx, "att")
    assert res.stdout.startswith("== att: attendance — 1 hit, first run: every hit is new")
    res = invoke("saved", "run", *idx, "att")
    assert res.stdout.startswith("== att: attendance — 1 hit, 0 new since the last run")
    res = invoke("saved", "run", *idx, "--new", "att")
    assert res.stdout.startswith("== att: attendance — nothing new of 1 hit since")
    assert "seen:     1 article so far" in invoke("saved", "show", *idx, "att").stdout


def test_batch_counts_one_query_in_words(idx):
    res = invoke("search", *idx, "--batch", "-", input="date:someday\n")
    assert res.exit_code == 2
    assert "mlsearch: 1 of 1 query failed (see their records)" in res.stderr
