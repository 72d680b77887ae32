"""Synonyms and abbreviations (search.synonyms): always on, below the words as typed,
inside the OR group of the words they expand; the shipped file, user files, --explain."""

from __future__ import annotations

import json

import pytest

from indexer.write.build import build_index
from search import Searcher
from search.glossary import GlossaryError
from search.relevance import Features
from search.synonyms import (
    SYNONYM_BOOST,
    SYNONYMS_FILE,
    load_synonyms,
    parse_synonyms,
)
from tests.conftest import invoke

OFF = Features(synonyms=False)


def ids(results) -> list[str]:
    return [h.id.rpartition("/")[2] for h in results.hits]


def write(folder, name: str, title: str, body: str) -> None:
    (folder / name).write_text(f"{title}\n2025-11-02\n\n{body}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Articles that name one body in its short and its long form, and others."""
    folder = tmp_path_factory.mktemp("synonyms")
    write(
        folder,
        "short.txt",
        "Kenyataan PBB mengenai pelarian",
        "PBB mengeluarkan kenyataan mengenai pelarian di sempadan pada hari Isnin. "
        "Kenyataan PBB itu disiarkan di laman web.",
    )
    write(
        folder,
        "long.txt",
        "Kenyataan mengenai pelarian",
        "Pertubuhan Bangsa-Bangsa Bersatu mengeluarkan kenyataan mengenai pelarian "
        "di sempadan pada hari Isnin. Kenyataan itu disiarkan di laman web.",
    )
    write(
        folder,
        "other.txt",
        "Harga minyak naik",
        "Harga minyak mentah naik pada hari Isnin dan pasaran saham jatuh. Pelabur "
        "menunggu data ekonomi serta keputusan kadar faedah.",
    )
    write(
        folder,
        "zorblat.txt",
        "Qelvor diumumkan",
        "Majlis Qelvor Kebangsaan mengumumkan dasar baharu mengenai air dan sungai.",
    )
    write(folder, "npc.txt", "人民代表大会举行会议", "第十四届人民代表大会常务委员会举行会议。")
    write(
        folder,
        "kl.txt",
        "Traffic in Kuala Lumpur",
        "Traffic jams in Kuala Lumpur grew worse this year, officials said on Monday.",
    )
    index = folder.parent / "index"
    build_index([folder], index)
    return index


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "mine.tsv"
    path.write_text("# my own\nms\tMQK | Majlis Qelvor Kebangsaan\n", encoding="utf-8")
    return path


# ---- the shipped file -----------------------------------------------------------------


def test_the_shipped_file_is_valid_and_one_language_a_group():
    groups, unlike = parse_synonyms(SYNONYMS_FILE.read_text(encoding="utf-8"), "synonyms.tsv")
    assert len(groups) >= 150
    assert all(len(g.forms) == 1 and len(next(iter(g.forms.values()))) >= 2 for g in groups)
    assert {lang for g in groups for lang in g.forms} == {"en", "ms", "zh"}
    assert unlike  # the glossary's cells that are not synonyms: 总理 is not 首相


def test_glossary_cells_of_names_are_groups_and_vocabulary_cells_are_not():
    synonyms = load_synonyms()
    assert synonyms.match_latin(("pbb",), "PBB")  # Pertubuhan Bangsa-Bangsa Bersatu | PBB
    assert not synonyms.match_latin(("agreement",), "agreement")  # agreement | treaty: news
    assert synonyms.match_han("首相")[0] == 0  # 首相 | 总理: left out by a '!zh' line


# ---- matching and ranking -------------------------------------------------------------


def test_an_abbreviation_finds_its_long_form_ranked_below_the_form_typed(corpus):
    with Searcher(corpus) as s:
        res = s.search("PBB")
    assert ids(res) == ["short.txt", "long.txt"]
    assert res.hits[0].score > res.hits[1].score


def test_the_long_form_finds_the_abbreviation(corpus):
    with Searcher(corpus) as s:
        found = s.search('"Pertubuhan Bangsa-Bangsa Bersatu"')
        assert sorted(ids(found)) == ["long.txt", "short.txt"]
        assert ids(s.search("人大")) == ["npc.txt"]  # 人大 | 人民代表大会


def test_chinese_groups_match_whole_words_never_part_of_one(corpus):
    with Searcher(corpus) as s:
        assert s._parsers.parse("中国式")[1] == []  # 中国 | 中华人民共和国: not inside 中国式
        assert [e.matched for e in s._parsers.parse("印尼总统")[1]] == ["印尼"]


def test_the_synonyms_feature_switches_them_off(corpus):
    with Searcher(corpus, features=OFF) as s:
        assert ids(s.search("PBB")) == ["short.txt"]
        assert s.explain("PBB").get("synonyms") is None
        assert s.search("人大").total == 0


def test_a_synonym_stays_inside_the_group_of_the_words_it_expands(corpus):
    """One top-level clause per typed word, or per run of words a group knows (Kuala
    Lumpur): never a clause of its own."""
    from whoosh import query as wq

    with Searcher(corpus) as on, Searcher(corpus, features=OFF) as off:
        for text, clauses in (("PBB pelarian", 2), ("Kuala Lumpur traffic", 2), ("人大 会议", 2)):
            q_on = on.parse(text)
            assert isinstance(q_on, wq.And), text
            assert len(q_on.subqueries) == clauses, text
            assert len(off.parse(text).subqueries) >= clauses, text


def test_synonyms_weigh_less_than_the_words_typed(corpus):
    with Searcher(corpus) as s:
        _q, expansions = s._parsers.parse("PBB")
    assert 0 < SYNONYM_BOOST < 1
    assert [(e.matched, e.source) for e in expansions] == [("PBB", "synonyms")]
    assert "Pertubuhan Bangsa-Bangsa Bersatu" in expansions[0].added["ms"]


def test_short_capital_forms_expand_only_when_typed_in_capitals(corpus):
    with Searcher(corpus) as s:
        assert ids(s.search("pbb")) == ["short.txt"]  # pbb: not the abbreviation
        assert s._parsers.parse("kuala lumpur")[1]  # a long form matches in any case
        # A query all in capitals says nothing about abbreviations (a pasted headline).
        assert s._parsers.parse("KENYATAAN PBB")[1] == []
        assert s._parsers.parse("kenyataan PBB")[1]
        assert s._parsers.parse("PBB UN")[1]  # two abbreviations are not a headline


def test_stop_words_are_never_expanded(corpus, tmp_path):
    mine = tmp_path / "stop.tsv"
    mine.write_text("ms\tdan | serta\nen\tAS | alongside\n", encoding="utf-8")
    with Searcher(corpus, synonyms=[mine]) as s:
        assert s._parsers.parse("minyak dan saham")[1] == []
        # AS is in capitals, but as is a stop word: no Amerika Syarikat, nor alongside
        assert s._parsers.parse("Harga AS")[1] == []
        assert ids(s.search("harga minyak dan saham")) == ["other.txt"]


def test_with_cross_a_form_both_add_is_searched_once_at_the_synonym_weight(corpus):
    with Searcher(corpus) as s:
        q, expansions = s.parse_cross("PBB")
    phrases = [
        p
        for p in q.leaves()
        if getattr(p, "fieldname", "") == "body_ms" and "pertubuhan" in getattr(p, "words", [])
    ]
    assert len(phrases) == 1 and phrases[0].boost == pytest.approx(SYNONYM_BOOST)
    assert {e.source for e in expansions} == {"glossary", "synonyms"}


# ---- user files -----------------------------------------------------------------------


def test_a_user_file_from_the_environment_or_the_api(corpus, user_file, monkeypatch):
    with Searcher(corpus) as s:
        assert s.search("MQK").total == 0
    with Searcher(corpus, synonyms=[user_file]) as s:
        assert ids(s.search("MQK")) == ["zorblat.txt"]
    monkeypatch.setenv("MLSEARCH_SYNONYMS", str(user_file))
    res = invoke("search", "--index", corpus, "--json", "MQK")
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 1


@pytest.mark.parametrize(
    "line, message",
    [
        ("ms MQK | Majlis", "expected 2 tab-separated columns"),
        ("fr\tONU | Nations unies", "unknown language 'fr'"),
        ("ms\tMQK", "at least two forms"),
        ("zh\t人大 | NPC", "must be Chinese characters"),
    ],
)
def test_a_broken_user_file_is_one_error_naming_file_and_line(corpus, tmp_path, line, message):
    bad = tmp_path / "bad.tsv"
    bad.write_text(f"# comment\n{line}\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=message) as err:
        parse_synonyms(bad.read_text(encoding="utf-8"), str(bad))
    assert f"{bad}:2" in str(err.value)
    res = invoke("search", "--index", corpus, "PBB", env={"MLSEARCH_SYNONYMS": str(bad)})
    assert res.exit_code == 2 and f"{bad}:2" in res.stderr


# ---- --explain ------------------------------------------------------------------------


def test_explain_lists_each_synonym_with_its_source(corpus, user_file):
    with Searcher(corpus, synonyms=[user_file]) as s:
        info = s.explain("MQK PBB")
    shown = {e["matched"]: e for e in info["synonyms"]}
    assert shown["MQK"]["source"] == "synonyms"
    assert shown["MQK"]["entry"]["source"] == f"{user_file}:2"
    assert shown["MQK"]["added"] == {"ms": ["Majlis Qelvor Kebangsaan"]}
    assert shown["PBB"]["entry"]["source"].startswith("glossary.tsv:")
    assert str(user_file) in info["synonym_files"]


def test_the_cli_explain_shows_synonyms_in_text_and_json(corpus):
    res = invoke("search", "--index", corpus, "--explain", "PBB")
    line = next(x for x in res.stderr.splitlines() if x.startswith("synonyms:"))
    assert "PBB (ms) -> ms: Pertubuhan Bangsa-Bangsa Bersatu" in line
    assert "[synonyms: glossary.tsv:" in line
    res = invoke("search", "--index", corpus, "--explain", "--json", "PBB")
    info = json.loads(res.stderr.splitlines()[0])["explain"]
    assert info["synonyms"][0]["source"] == "synonyms"
    assert info["synonyms"][0]["matched"] == "PBB"


def test_the_eval_reuses_its_index_when_only_the_synonyms_change():
    """synonyms.tsv is read by queries only: editing it must not make eval rebuild."""
    from eval.systems import QUERY_SIDE_FILES

    assert SYNONYMS_FILE.name in QUERY_SIDE_FILES


def test_a_quoted_name_finds_its_synonyms_as_written_too(tmp_path):
    """Quoted means as written, for the synonyms a quoted name brings as well: 国防部部长
    must stand together, not 国防部 and 部长 across a full stop."""
    mine = tmp_path / "titles.tsv"
    mine.write_text("zh\t国防部长 | 国防部部长\n", encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "long.txt").write_text("国防部部长访问吉隆坡\n\n国防部部长今天抵达。", encoding="utf-8")
    (docs / "split.txt").write_text("会议消息\n\n国防部。部长级会议明天举行。", encoding="utf-8")
    from indexer import build_index

    build_index([docs], tmp_path / "index")
    with Searcher(tmp_path / "index", synonyms=[mine]) as s:
        assert {e.source for e in s._parsers.parse('"国防部长"')[1]} == {"synonyms"}
        assert ids(s.search('"国防部长"')) == ["long.txt"]
        assert sorted(ids(s.search("国防部长"))) == ["long.txt", "split.txt"]
