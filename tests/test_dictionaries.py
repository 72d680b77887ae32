"""--cross through the wide dictionaries below the glossary: CC-CEDICT (Chinese-English),
FreeDict (English-Malay) and Chinese-Malay through English (search.dictionaries)."""

from __future__ import annotations

import gzip
import json

import pytest
from whoosh import query as wq

from indexer.write.build import build_index
from search import Searcher
from search.dictionaries import (
    CEDICT_FILE,
    CEDICT_REVERSE_FILE,
    FREEDICT_FILE,
    Translation,
    malaysian,
    prune,
    shipped,
)
from search.glossary import load_glossary
from search.query import CROSS_BOOST, DICT_BOOST, PIVOT_BOOST
from search.relevance import Features
from tests.conftest import invoke

ARTICLES = {
    # No glossary entry knows elephant / gajah / 大象 or space station / 空间站.
    "en/elephant.txt": "Elephant herd crosses the highway\n2025-11-02\n\n"
    "An elephant herd crossed the highway near the forest reserve on Monday.\n",
    "ms/elephant.txt": "Kumpulan gajah melintasi lebuh raya\n2025-11-02\n\n"
    "Sekumpulan gajah melintasi lebuh raya berhampiran hutan simpan pada hari Isnin.\n",
    "zh/elephant.txt": "象群穿越公路\n2025-11-02\n\n周一一群大象在森林保护区附近穿越公路。\n",
    "zh/rubber.txt": "胶价穿越高位\n2025-11-02\n\n周一橡胶价格在森林保护区附近穿越高位。\n",
    "en/station.txt": "Space station docking completed\n2025-11-03\n\n"
    "The crew of the space station completed a docking on Tuesday.\n",
    "en/apart.txt": "Budget for the space agency\n2025-11-03\n\n"
    "The agency asked for more space at the railway station on Tuesday.\n",
    "zh/station.txt": "空间站完成对接\n2025-11-03\n\n空间站乘组周二完成了对接任务。\n",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dicts") / "news"
    for name, text in ARTICLES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    out = folder.parent / "index"
    build_index([folder], out)
    return out


@pytest.fixture(scope="module")
def searcher(index):
    with Searcher(index) as s:
        yield s


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def test_the_fixture_words_are_not_in_the_glossary():
    g = load_glossary()
    assert not g.match_latin(("elephant",)) and not g.match_latin(("gajah",))
    assert not g.match_latin(("space", "station")) and not g.match_han("空间站")[1]


def test_a_word_the_glossary_lacks_finds_chinese_through_cc_cedict(searcher):
    assert ids(searcher.search("elephant", lang="zh")) == []
    res = searcher.search("elephant", cross=True)
    assert "news/zh/elephant.txt" in ids(res)
    (exp,) = [e for e in res.expansions if e.source == "cc-cedict"]
    assert exp.matched == "elephant" and exp.added == {"zh": ["大象"]}


def test_translations_rank_below_the_typed_word(searcher):
    res = searcher.search("elephant", cross=True)
    assert ids(res)[0] == "news/en/elephant.txt"
    top = res.hits[0].score
    assert {h.id for h in res.hits[1:]} == {"news/zh/elephant.txt", "news/ms/elephant.txt"}
    assert all(h.score < top * (DICT_BOOST + 0.2) for h in res.hits[1:])


def test_dictionary_translations_weigh_less_than_glossary_forms(searcher):
    """rubber -> 橡胶 (glossary) and elephant -> 大象 (CC-CEDICT), in two articles alike."""
    assert PIVOT_BOOST < DICT_BOOST < CROSS_BOOST
    res = searcher.search("rubber OR elephant", cross=True, lang="zh")
    assert ids(res) == ["news/zh/rubber.txt", "news/zh/elephant.txt"]
    assert res.hits[1].score < res.hits[0].score
    q, _exp = searcher.parse_cross("elephant")
    (boost,) = [t.boost for t in q.leaves() if (t.fieldname, t.text) == ("body_zh", "大象")]
    assert boost == pytest.approx(DICT_BOOST)  # of the typed word's 1.0


def test_chinese_and_malay_through_english(searcher):
    res = searcher.search("大象", cross=True, lang="ms")
    assert ids(res) == ["news/ms/elephant.txt"]
    assert {e.source for e in res.expansions} == {"cc-cedict", "pivot"}
    pivot = next(e for e in res.expansions if e.source == "pivot")
    assert pivot.added == {"ms": ["gajah"]} and "via elephant" in pivot.entry.source
    res = searcher.search("gajah", cross=True, lang="zh")
    assert ids(res) == ["news/zh/elephant.txt"]
    q, _exp = searcher.parse_cross("gajah")
    (boost,) = [t.boost for t in q.leaves() if (t.fieldname, t.text) == ("body_zh", "大象")]
    assert boost == pytest.approx(PIVOT_BOOST)


def test_translations_the_index_lacks_are_not_searched(searcher):
    # elephant is also 大笨象 in CC-CEDICT: no article has it
    _q, expansions = searcher.parse_cross("elephant")
    added = [f for e in expansions for forms in e.added.values() for f in forms]
    assert "大象" in added and "大笨象" not in added


def test_stop_words_are_never_looked_up(searcher):
    # "the" is itu / sang / si in FreeDict
    _q, expansions = searcher.parse_cross("the elephant")
    assert {e.matched for e in expansions} == {"elephant"}


def test_pruning_keeps_index_words_no_stop_words_and_a_few_per_language():
    found = [Translation(f, "ms", "freedict", rank=i) for i, f in enumerate("abcde")]
    found += [Translation("itu", "ms", "freedict"), Translation("typed", "en", "cc-cedict")]
    freq = {"a": 3, "b": 0, "c": 5, "d": 9, "e": 9, "itu": 100, "typed": 4}
    kept = prune(found, lambda form, lang: freq[form], "typed", cap=3)
    assert [t.form for t in kept] == ["a", "c", "d"]  # b absent, itu a stop word, cap 3
    # of equally close senses, the commoner form first
    same = [Translation(f, "zh", "cc-cedict") for f in ("x", "y")]
    assert [t.form for t in prune(same, lambda f, lang: {"x": 1, "y": 7}[f], "q")] == ["y", "x"]


def test_a_typed_phrase_stays_a_phrase_and_its_translations_are_phrases(searcher):
    # 空间站 -> "space station": the article with both words apart is not found
    res = searcher.search("空间站", cross=True, lang="en")
    assert ids(res) == ["news/en/station.txt"]
    q, _exp = searcher.parse_cross('"space station"')
    phrases = [p for p in _walk(q) if isinstance(p, wq.Phrase)]
    assert any(p.words == ["space", "station"] for p in phrases)
    assert any(t.text == "空间站" for t in q.leaves() if t.fieldname == "body_zh")
    res = searcher.search('"space station"', cross=True)
    assert set(ids(res)) == {"news/en/station.txt", "news/zh/station.txt"}
    # the typed phrase stays a phrase: the article with space and station apart is not found
    assert "news/en/apart.txt" not in ids(searcher.search("空间站", cross=True))


def _walk(q):
    yield q
    if not q.is_leaf():
        for child in q.children():
            yield from _walk(child)


def test_the_feature_switch_turns_the_dictionaries_off(index):
    with Searcher(index, features=Features(dictionaries=False)) as s:
        res = s.search("elephant", cross=True)
        assert ids(res) == ["news/en/elephant.txt"] and res.expansions == []
        assert s.explain("elephant", cross=True)["cross"] == []


def test_explain_names_the_source_of_every_expansion(index):
    res = invoke("search", "--index", index, "--cross", "--explain", "大象 rubber")
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("cross:")]
    assert any("大象 (zh) -> en: elephant" in ln and "[cc-cedict]" in ln for ln in lines)
    assert any("ms: gajah" in ln and "[pivot via elephant" in ln for ln in lines)
    assert any("rubber (en)" in ln and "[glossary.tsv:" in ln for ln in lines)
    res = invoke("search", "--index", index, "--cross", "--explain", "--json", "大象 rubber")
    info = json.loads(res.stderr.splitlines()[0])["explain"]
    assert {e["source"] for e in info["cross"]} == {"glossary", "cc-cedict", "pivot"}
    assert list(info["cross"][0]) == ["matched", "lang", "added", "entry", "source"]


@pytest.mark.parametrize(
    "indonesian, malaysian_form",
    [
        ("uang", "wang"),
        ("kualitas", "kualiti"),
        ("aktivitas", "aktiviti"),
        ("universitas", "universiti"),
        ("praktek", "praktik"),
        ("sistim", "sistem"),
        ("rumah sakit", "hospital"),
        ("modernisasi", "modernisasi"),
        ("matematika", "matematik"),
        ("seketika", "seketika"),
        ("latihan", "latihan"),
    ],
)
def test_indonesian_forms_are_spelled_the_malaysian_way(indonesian, malaysian_form):
    assert malaysian(indonesian) == malaysian_form


def test_the_shipped_files_carry_their_credit_and_licence():
    for path, source, licence in (
        (CEDICT_FILE, "CC-CEDICT", "Attribution-ShareAlike 4.0"),
        (CEDICT_REVERSE_FILE, "CC-CEDICT", "Attribution-ShareAlike 4.0"),
        (FREEDICT_FILE, "FreeDict", "Attribution-ShareAlike 3.0"),
    ):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            header = "".join(line for line in f if line.startswith("#"))
        assert source in header and licence in header
    d = shipped()
    assert len(d.zh_en) > 50_000 and len(d.en_ms) > 5_000
    # sorted as the lookups' bisection needs
    assert d.zh_en.lines == sorted(d.zh_en.lines) and "地震" in d.zh_en
