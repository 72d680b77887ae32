"""Cross-language search: the glossary, --cross, --explain, user files, saved queries."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.write.build import build_index
from search import Searcher
from search.glossary import (
    GLOSSARY_FILE,
    KINDS,
    GlossaryError,
    load_glossary,
    parse_glossary,
)
from search.query import CROSS_BOOST
from search.relevance import Features
from tests.conftest import invoke

run = invoke  # mlsearch ARGS; fails the test on an internal error or a traceback


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def langs_of(results) -> set[str]:
    return {lang for h in results.hits for lang in h.langs}


# ---- the glossary file ------------------------------------------------------------------


def test_the_shipped_glossary_is_large_complete_and_valid():
    entries = parse_glossary(GLOSSARY_FILE.read_text(encoding="utf-8"), "glossary.tsv", True)
    assert len(entries) >= 400
    assert {e.kind for e in entries} <= set(KINDS)
    assert all(set(e.forms) == {"en", "ms", "zh"} for e in entries)
    # one concept per line: a main form names one entry of its language
    for lang in ("en", "ms", "zh"):
        mains = [e.forms[lang][0].casefold() for e in entries]
        dupes = {m for m in mains if mains.count(m) > 1}
        if lang != "ms":  # Malay borrows some English forms as they are (ASEAN, Interpol)
            assert not dupes, (lang, sorted(dupes)[:10])
    kinds = {k: sum(e.kind == k for e in entries) for k in KINDS}
    assert all(kinds[k] >= 10 for k in ("country", "place", "org", "title", "defence", "news"))


@pytest.mark.parametrize(
    "line, message",
    [
        ("South China Sea\tLaut China Selatan", "expected 3 or 4 tab-separated columns"),
        ("South China Sea\t\t\tplace", "at least 2 languages"),
        ("navy\ttentera laut\t海军 navy\tdefence", "must be Chinese characters only"),
        ("navy\t--\t海军\tdefence", "has no words"),
    ],
)
def test_a_mistake_in_a_user_file_is_named_with_its_line(line, message):
    with pytest.raises(GlossaryError) as err:
        parse_glossary(f"# mine\n\n{line}\n", "mine.tsv")
    assert err.value.message.startswith("mine.tsv:3: ")
    assert message in err.value.message


def test_the_shipped_file_is_held_to_more():
    with pytest.raises(GlossaryError, match="at least 3 languages"):
        parse_glossary("navy\ttentera laut\t\tdefence\n", "g.tsv", strict=True)
    with pytest.raises(GlossaryError, match="unknown kind"):
        parse_glossary("navy\ttentera laut\t海军\tboats\n", "g.tsv", strict=True)


def test_variants_forms_and_stems_match():
    g = load_glossary()
    assert any(e.forms["zh"][0] == "南海" for e, _lang in g.match_latin(("south", "china", "sea")))
    # English forms match by stem: "submarines" finds the submarine entry
    assert any("潜艇" in e.forms["zh"] for e, _lang in g.match_latin(("submarines",)))
    length, entries = g.match_han("南海局势")
    assert length == 2 and any("South China Sea" in e.forms["en"] for e in entries)


# ---- --cross on the fixture corpus ------------------------------------------------------


def test_cross_finds_the_other_languages(searcher):
    plain = searcher.search("South China Sea")
    crossed = searcher.search("South China Sea", cross=True)
    assert set(ids(plain)) < set(ids(crossed))
    assert {"zh", "ms"} <= langs_of(crossed)
    # 南海 is highlighted in the Chinese articles found through it
    zh = next(h for h in crossed.hits if "zh" in h.langs and "南海" in h.title)
    assert [zh.title[a:b] for a, b in zh.title_highlights] == ["南海"]
    assert any(e.matched == "South China Sea" for e in crossed.expansions)


def test_cross_from_chinese_and_malay(searcher):
    zh = searcher.search("南海", cross=True, lang="ms")
    assert zh.total >= 1 and all("ms" in h.langs for h in zh.hits)
    assert searcher.search("南海", lang="ms").total == 0
    ms = searcher.search("Laut China Selatan", cross=True, lang="zh", match="all")
    assert ms.total >= 2
    assert searcher.search("Laut China Selatan", lang="zh", match="all").total == 0


def test_traditional_chinese_query_expands_like_simplified(searcher):
    a = searcher.search("東盟國防部長", cross=True, limit=50)
    b = searcher.search("东盟国防部长", cross=True, limit=50)
    assert ids(a) == ids(b)
    assert any("ms" in h.langs for h in a.hits)  # Menteri-Menteri Pertahanan ASEAN


def test_words_without_an_entry_stay_words_of_the_query(searcher):
    # "zyxwv" is in no glossary and no article: with every word required the query still
    # finds nothing; ranked, every hit says it lacks zyxwv
    assert searcher.search("South China Sea zyxwv", cross=True, match="all").total == 0
    ranked = searcher.search("South China Sea zyxwv", cross=True)
    assert ranked.hits and all("zyxwv" in h.missing for h in ranked.hits)


def test_cross_only_adds_to_a_query_without_not(searcher):
    for q in ("ASEAN", "defence minister", "navy exercise", "南海 局势"):
        plain = set(searcher.ids(q))
        crossed = set(searcher.ids(q, cross=True))
        assert plain <= crossed, q


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """The same story in English and in Malay, about a word only a user glossary knows."""
    folder = tmp_path_factory.mktemp("mirror")
    (folder / "en.txt").write_text(
        "Officials inspect the new zorblat at the port\n2025-11-02\n\n"
        "Navy officials inspected the new zorblat at the port on Monday and said the "
        "zorblat would enter service next year after more trials at sea.\n",
        encoding="utf-8",
    )
    (folder / "ms.txt").write_text(
        "Pegawai memeriksa quorvex baharu di pelabuhan\n2025-11-02\n\n"
        "Pegawai tentera laut memeriksa quorvex baharu di pelabuhan pada hari Isnin dan "
        "berkata quorvex itu akan mula berkhidmat tahun depan selepas lebih banyak ujian.\n",
        encoding="utf-8",
    )
    (folder / "zh.txt").write_text(
        "官员在港口检查新型佐布拉\n2025-11-02\n\n海军官员周一在港口检查了新型佐布拉，并表示佐布拉明年将服役。\n",
        encoding="utf-8",
    )
    glossary = folder.parent / "mine.tsv"
    glossary.write_text(
        "# a user's own entries\nzorblat | zorblats\tquorvex\t佐布拉\n", encoding="utf-8"
    )
    index = folder.parent / "index"
    build_index([folder], index)
    return index, glossary


@pytest.mark.parametrize("query, own", [("zorblat", "en"), ("quorvex", "ms"), ("佐布拉", "zh")])
def test_translations_score_below_the_words_as_typed(mirror, query, own):
    index, glossary = mirror
    with Searcher(index, glossary=[glossary]) as s:
        assert s.search(query).total == 1
        res = s.search(query, cross=True)
    assert res.total == 3
    assert res.hits[0].langs == [own]
    for other in res.hits[1:]:
        assert other.score < res.hits[0].score * (CROSS_BOOST + 0.25)


def test_user_glossary_from_the_environment_and_the_option(mirror, monkeypatch):
    index, glossary = mirror
    res = run("search", "--index", index, "--cross", "--json", "zorblat")
    assert len(res.stdout.splitlines()) == 1  # the shipped glossary does not know it
    res = run("search", "--index", index, "--cross", "--glossary", glossary, "--json", "zorblat")
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 3
    monkeypatch.setenv("MLSEARCH_GLOSSARY", str(glossary))
    res = run("search", "--index", index, "--cross", "--json", "quorvex")
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 3


def test_a_broken_user_glossary_is_one_error(mirror, tmp_path):
    index, _glossary = mirror
    bad = tmp_path / "bad.tsv"
    bad.write_text("zorblat\tquorvex\n", encoding="utf-8")
    res = run("search", "--index", index, "--cross", "--glossary", bad, "zorblat")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert f"{bad}:1: expected 3 or 4 tab-separated columns" in res.stderr
    res = run("search", "--index", index, "--cross", "--glossary", tmp_path / "none.tsv", "x")
    assert res.exit_code == 2 and "cannot read glossary file" in res.stderr


def test_explain_shows_every_expansion_and_its_entry(news_index):
    res = run("search", "--index", news_index, "--cross", "--explain", "South China Sea navy")
    assert res.exit_code == 0
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("cross:")]
    assert len(lines) == 2
    assert "South China Sea (en) ->" in lines[0] and "南海" in lines[0]
    assert "Laut China Selatan" in lines[0] and "[glossary.tsv:" in lines[0]
    assert "navy (en) ->" in lines[1] and "海军" in lines[1]
    res = run("search", "--index", news_index, "--cross", "--explain", "--json", "banjir")
    info = json.loads(res.stderr.splitlines()[0])["explain"]
    (exp,) = info["cross"]
    assert exp["matched"] == "banjir" and exp["lang"] == "ms"
    assert exp["entry"]["source"].startswith("glossary.tsv:") and "flood" in exp["added"]["en"]
    res = run("search", "--index", news_index, "--cross", "--explain", "Shah Alam")
    assert "cross:      no glossary entry matches" in res.stderr or "Shah Alam (" in res.stderr


def test_saved_query_with_cross(news_index, tmp_path, monkeypatch):
    import shutil

    ix = tmp_path / "ix"
    shutil.copytree(news_index, ix)
    monkeypatch.setenv("MLSEARCH_INDEX", str(ix))
    assert run("saved", "add", "scs", "South China Sea", "--cross").exit_code == 0
    assert "cross = true" in (ix / "saved.toml").read_text(encoding="utf-8")
    assert "cross:    yes" in run("saved", "show", "scs").stdout
    res = run("saved", "run", "--json", "scs")
    assert res.exit_code == 0
    langs = {lang for line in res.stdout.splitlines() for lang in json.loads(line)["langs"]}
    assert {"zh", "ms"} <= langs
    (ix / "saved.toml").write_text('[queries.x]\nquery = "navy"\ncross = "yes"\n', encoding="utf-8")
    res = run("saved", "run", "x")
    assert res.exit_code == 2 and "cross must be true or false" in res.stderr


# ---- properties -------------------------------------------------------------------------

_WORDS = [
    "ASEAN",
    "navy",
    "defence",
    "minister",
    "South",
    "China",
    "Sea",
    "banjir",
    "Laut",
    "pertahanan",
    "南海",
    "东盟",
    "防长",
    "会议",
    "Malaysia",
    "吉隆坡",
    "Kuala",
    "Lumpur",
    "OR",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(_WORDS) | st.text(max_size=6), min_size=1, max_size=5))
def test_cross_never_crashes_and_never_loses_a_hit(searcher, words):
    from indexer.errors import MlsearchError

    q = " ".join(words)
    try:
        plain = set(searcher.ids(q))
    except MlsearchError:
        return
    try:
        crossed = set(searcher.ids(q, cross=True))
    except MlsearchError:
        return
    if "NOT" not in q.upper().split() and "-" not in q:
        assert plain <= crossed


# ---- similar --cross --------------------------------------------------------------------


def test_similar_with_cross_finds_the_story_in_other_languages(searcher, news_index):
    plain = searcher.similar("news/zh/asean_defence.txt", limit=20)
    crossed = searcher.similar("news/zh/asean_defence.txt", limit=20, cross=True)
    assert "news/ms/mesyuarat_menteri.txt" not in ids(plain)
    assert "news/ms/mesyuarat_menteri.txt" in ids(crossed)
    assert set(ids(plain)) <= set(ids(crossed))
    # the Malay ADMM story ranks above the Malay and English stories that share less
    order = ids(crossed)
    assert order.index("news/ms/mesyuarat_menteri.txt") < order.index(
        "news/en/defense_american.txt"
    )
    assert any(e.matched == "东盟防长会议" for e in crossed.expansions)
    res = run("similar", "--index", news_index, "--cross", "news/zh/asean_defence.txt")
    assert res.exit_code == 0 and "news/ms/mesyuarat_menteri.txt" in res.stdout
    assert "and 东盟防长会议 (zh) as" in res.stderr


def test_glossary_entries_found_in_a_text():
    g = load_glossary()
    found = {(e.forms["en"][0], lang, n) for e, lang, n in g.find_in_text(
        "The navy and the Tentera Laut Diraja Malaysia held talks. 南海 南海 navy"
    )}  # fmt: skip
    assert ("navy", "en", 2) in found
    assert any(en == "South China Sea" and lang == "zh" and n == 2 for en, lang, n in found)


@pytest.mark.parametrize(
    "query",
    ["NOT South China Sea", "ASEAN NOT South China Sea", "Malaysia OR South China Sea"],
)
def test_operators_keep_the_word_beside_them(news_index, query):
    """A glossary phrase is not grouped across an operator: NOT and OR take one word.
    (The glossary alone: the dictionaries translate Sea on its own, to laut.)"""
    with Searcher(news_index, features=Features(dictionaries=False)) as searcher:
        crossed = searcher.ids(query, cross=True, match="all")
        assert set(crossed) == set(searcher.ids(query, match="all"))


def test_stop_words_and_lower_case_acronyms_are_not_expanded(searcher):
    _q, expansions = searcher.parse_cross("ASEAN as pas kl")
    assert [e.matched for e in expansions if e.source == "glossary"] == ["ASEAN"]
    _q, expansions = searcher.parse_cross("AS KL")
    crossed = [e for e in expansions if e.source == "glossary"]
    assert {e.entry.forms["en"][0] for e in crossed} >= {"United States", "Kuala Lumpur"}
    assert set(searcher.ids("ASEAN as")) <= set(searcher.ids("ASEAN as", cross=True))
