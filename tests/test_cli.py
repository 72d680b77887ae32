"""The mlsearch command through Click's CliRunner: output, exit codes, JSON schema."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import CORPUS, invoke

HIT_FIELDS = {
    "schema_version": int,
    "rank": int,
    "id": str,
    "score": float,
    "title": str,
    "date": (str, type(None)),
    "langs": list,
    "source": (str, type(None)),
    "url": (str, type(None)),
    "snippet": str,
    "highlights": list,
    "group": (str, type(None)),
    "similar": int,
    "similar_ids": list,
    "matched": list,
    "missing": list,
}


run = invoke  # mlsearch ARGS; fails the test on an internal error or a traceback


@pytest.fixture
def idx(news_index):
    return ["--index", news_index]


def test_hits_exit_0_and_print_ranked_titles(idx):
    res = run("search", *idx, "东盟", "防长")
    assert res.exit_code == 0
    assert "**东盟防长**会议在吉隆坡举行" in res.stdout
    assert res.stdout.lstrip().startswith("1.")


def test_no_hits_exit_1_with_suggestion(idx):
    res = run("search", *idx, "maritme")
    assert res.exit_code == 1
    assert res.stdout == ""
    assert "did you mean: maritime" in res.stderr


def test_an_unclosed_quote_is_a_phrase_to_the_end_and_says_so(idx):
    closed = run("search", *idx, "--json", '"defence ministers"')
    res = run("search", *idx, "--json", '"defence ministers')
    assert res.exit_code == closed.exit_code == 0
    assert res.stdout == closed.stdout
    assert 'the last quote was not closed: searched for "defence ministers"' in res.stderr
    assert "not closed" not in closed.stderr


@given(st.text(alphabet='ab "', max_size=12))
def test_close_quote_leaves_every_quote_closed(text):
    from search.query import close_quote

    closed, note = close_quote(text)
    assert closed.count('"') % 2 == 0
    assert (note is None) == (closed == text)
    assert closed.startswith(text.rstrip())


def test_errors_exit_2_in_one_line_without_traceback(idx, tmp_path):
    res = run("search", *idx, "date:someday")
    assert res.exit_code == 2
    assert res.stderr.startswith("mlsearch: error: cannot read the date")
    assert "Traceback" not in res.output
    res = run("search", "--index", tmp_path / "missing", "x")
    assert res.exit_code == 2
    assert "no index at" in res.stderr
    assert "mlsearch index" in res.stderr  # says how to build it
    res = run("search", *idx, "--sort", "sideways", "x")
    assert res.exit_code == 2


def test_json_lines_schema(idx):
    res = run("search", *idx, "--json", "-n", "3", "ASEAN")
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert len(lines) == 3
    for rank, line in enumerate(lines, 1):
        record = json.loads(line)
        assert set(record) == set(HIT_FIELDS)
        for name, kind in HIT_FIELDS.items():
            assert isinstance(record[name], kind), name
        assert record["rank"] == rank
        for a, b in record["highlights"]:
            assert 0 <= a < b <= len(record["snippet"])
        assert all(lang in ("zh", "ms", "en") for lang in record["langs"])


def test_json_highlights_point_at_the_matched_words(idx):
    res = run("search", *idx, "--json", "南海局势")
    record = json.loads(res.stdout.splitlines()[0])
    marked = {record["snippet"][a:b] for a, b in record["highlights"]}
    assert marked and marked <= {"南海局势", "南海", "局势"}


def test_piped_output_has_plain_markers_and_no_colour(idx):
    res = run("search", *idx, "latihan")
    assert "**" in res.stdout
    assert "\x1b[" not in res.stdout


def test_colour_only_when_asked_and_never_with_no_color(idx):
    res = run("search", *idx, "--color", "always", "latihan")
    assert "\x1b[" in res.stdout
    res = run("search", *idx, "latihan", env={"NO_COLOR": "1"})
    assert "\x1b[" not in res.stdout


def test_options(idx):
    res = run("search", *idx, "--json", "--lang", "ms", "-n", "50", "ASEAN")
    assert {json.loads(x)["id"] for x in res.stdout.splitlines()} == {
        "news/ms/latihan_maritim.txt",
        "news/ms/mesyuarat_menteri.txt",
    }
    res = run("search", *idx, "--json", "--sort", "date", "-n", "50", "ASEAN")
    dates = [json.loads(x)["date"] for x in res.stdout.splitlines()]
    assert [d for d in dates if d] == sorted((d for d in dates if d), reverse=True)
    res = run("search", *idx, "--explain", "東盟防長")
    assert "东盟 | 防长" in res.stderr


def test_index_env_variable(news_index):
    res = run("search", "ASEAN", env={"MLSEARCH_INDEX": str(news_index)})
    assert res.exit_code == 0


def test_index_option_precedence(news_index, tmp_path):
    """A command's --index, then mlsearch --index, then MLSEARCH_INDEX, then ./index."""
    missing = tmp_path / "missing"
    good, bad = str(news_index), str(missing)
    cases = [
        # (group --index, command --index, MLSEARCH_INDEX, the folder used)
        (good, None, bad, good),
        (bad, None, good, bad),
        (bad, good, bad, good),
        (good, bad, good, bad),
        (None, None, good, good),
        (None, good, bad, good),
    ]
    for group, own, env, used in cases:
        args = [] if group is None else ["--index", group]
        args.append("search")
        args += [] if own is None else ["--index", own]
        res = run(*args, "ASEAN", env={"MLSEARCH_INDEX": env})
        assert res.exit_code == (0 if used == good else 2), (group, own, env)
        if used == bad:
            assert f"no index at {missing}" in res.stderr
    # the group's --index reaches every command, the saved ones (a nested group) too
    for command in (["stats"], ["check"], ["show", "news/zh/bank.txt"], ["saved", "list"]):
        res = run("--index", good, *command, env={"MLSEARCH_INDEX": bad})
        assert res.exit_code == 0, (command, res.output)
    res = run("--index", good, "saved", "show", "x", env={"MLSEARCH_INDEX": bad})
    assert res.exit_code == 2 and f"in {news_index}" in res.stderr
    # passed through the Click context: the process environment is left alone
    before = os.environ["MLSEARCH_INDEX"]
    assert run("--index", good, "stats").exit_code == 0
    assert os.environ["MLSEARCH_INDEX"] == before


def test_show_and_stats(idx):
    res = run("show", *idx, "news/zh/bank.txt")
    assert res.exit_code == 0
    assert "待处理" in res.stdout
    res = run("show", *idx, "--json", "news/feed-002")
    assert json.loads(res.stdout)["title"] == "Palm oil prices climb on export demand"
    assert run("show", *idx, "nope").exit_code == 2
    res = run("stats", *idx, "--json")
    stats = json.loads(res.stdout)
    assert {"articles", "by_lang", "by_source", "date_min", "date_max", "index_bytes"} <= set(stats)
    assert stats["articles"] == 13


def test_index_command_builds_updates_and_reports(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Navy exercise\n\nThe navy held an exercise.\n", encoding="utf-8")
    (docs / "b.txt").write_text("Banjir\n\nBanjir melanda kampung itu.\n", encoding="utf-8")
    (docs / "bad.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    index = tmp_path / "ix"
    res = run("index", "--index", index, docs)
    assert res.exit_code == 0
    assert "2 added, 0 updated, 0 removed, 0 unchanged, 1 skipped" in res.stdout
    assert "bad.txt" in res.stderr
    (docs / "a.txt").write_text("Navy drill\n\nThe navy held a drill.\n", encoding="utf-8")
    (docs / "b.txt").unlink()
    res = run("index", "--index", index, "--json", docs)
    summary = json.loads(res.stdout)
    assert (summary["added"], summary["updated"], summary["removed"]) == (0, 1, 1)
    assert run("search", "--index", index, "drill").exit_code == 0
    assert run("search", "--index", index, "banjir").exit_code == 1


def test_index_defaults_to_corpus_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(CORPUS.parent)
    res = run("index", "--index", tmp_path / "ix")
    assert res.exit_code == 0
    assert "5 added" in res.stdout


def test_terminal_safety_of_article_text(tmp_path):
    # Built straight from an Article: the readers strip control characters too, but the
    # output must be safe whatever an index holds.
    from indexer.article import Article
    from indexer.write.build import _create, article_document, content_hash

    index = tmp_path / "ix"
    ix = _create(index)
    art = Article(
        id="evil\x1b[2J.txt",
        title="Evil \x1b]0;pwned\x07 title \u202eesrever",
        body="Body \x1b[2J clears the screen: navy.\n\x9b31m more",
        source="Bad\x1b[31mSource",
    )
    with ix.writer() as w:
        w.add_document(**article_document(art, str(tmp_path), content_hash(art)))
    for args in (["search", "navy"], ["search", "--color", "always", "navy"], ["show", art.id]):
        res = run(args[0], "--index", index, *args[1:])
        assert res.exit_code == 0
        assert "\x1b]" not in res.stdout and "\x07" not in res.stdout
        assert "\x1b[2J" not in res.stdout and "\x9b" not in res.stdout
        assert "\u202e" not in res.stdout
        assert "\\x1b" in res.stdout  # shown, not obeyed
    res = run("search", "--index", index, "--json", "navy")
    assert "\x1b" not in res.stdout
    record = json.loads(res.stdout)
    assert record["title"].startswith("Evil \x1b]0;")  # JSON escapes it; the data is intact


def test_no_article_with_all_words_falls_back_to_any_and_says_so(idx):
    res = run("search", *idx, "--json", "patrol", "boats", "qqqzzz")
    assert res.exit_code == 0
    assert "no article has all the words" in res.stderr
    assert json.loads(res.stdout.splitlines()[0])["id"] == "news/page.html"
    res = run("search", *idx, "--json", "--any", "banjir", "sabah")
    assert {json.loads(x)["id"] for x in res.stdout.splitlines()} == {
        "news/feed-001",
        "news/page.html",
    }
    assert "no article has all the words" not in res.stderr  # asked for, not a fallback
    # constraints stay constraints: nothing in 2030, whatever the words
    assert run("search", *idx, "date:2030", "patrol", "qqqzzz").exit_code == 1
    # a typo is still pointed out when the fallback answered
    res = run("search", *idx, "patrol", "boatz")
    assert "did you mean: patrol boats" in res.stderr


def test_every_command_has_help():
    for cmd in ("index", "search", "show", "stats"):
        res = run(cmd, "--help")
        assert res.exit_code == 0
        assert "Usage:" in res.stdout
