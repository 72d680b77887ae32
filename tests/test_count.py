"""Counting without scoring (``search.count``) and the cross hint's glossary check
(``search.query.glossary_matches``): the same documents and expansions as the scored
and fully parsed paths they stand in for."""

from __future__ import annotations

import pytest

from search.blockscore import SegmentScorer
from search.count import matching_set
from search.plan import QueryPlan
from search.query import close_quote, glossary_matches
from search.synonyms import SOURCE as SYNONYMS

QUERIES = [
    "menteri pertahanan",
    "ASEAN defence ministers",
    '"south china sea" navy',
    '"国防 部长"',
    "南海 局势",
    "东盟防长会议",
    "title:defence lang:en",
    "minist* OR pertahan~1",
    "defence NOT Myanmar",
    "ASEAN ANDNOT Malaysia",
    "NOT ASEAN",
    "+ASEAN defence",
    "(ASEAN OR 东盟) defence",
    "date:[2025-09-01 TO 2025-10-31] ASEAN",
    "date:2025 防长",
    "the navy of malaysia",
    "nosuchword anotherone",
]


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("mode", ["ranked", "all", "any"])
@pytest.mark.parametrize("cross", [False, True])
def test_matching_set_is_what_the_block_scorer_matches(searcher, text, mode, cross):
    snap = searcher._snapshot()
    for lang in (None, "en"):
        plan = QueryPlan.build(snap, searcher._parsers, text, cross, lang, mode=mode)
        q = plan.matching()
        context = snap.searcher.context()
        for sub, _offset in snap.searcher.leaf_searchers():
            scored = SegmentScorer(snap.searcher, sub, context, snap.cache).scores(q)
            scorer = SegmentScorer(snap.searcher, sub, context, snap.cache)
            found = matching_set(scorer, q)
            if scorer.deleted:
                found -= scorer.deleted
            assert found == set(scored), (text, mode, cross, lang)


@pytest.mark.parametrize("text", ["ASEAN defence", "南海 局势", "defence ministers"])
def test_total_is_the_pages_total(searcher, text):
    snap = searcher._snapshot()
    plan = QueryPlan.build(snap, searcher._parsers, text, mode="all")
    for collapse in (True, False):
        assert plan.total(collapse) == plan.page(1, 10, "relevance", collapse)[1]
    assert plan.total(collapse=False) > 0


@pytest.mark.parametrize(
    "text",
    [
        *QUERIES,
        "South China Sea",
        "UMNO",
        "umno",
        "巫统 纳吉",
        '"Najib Razak"',
        "Najib OR UMNO",
        "jobless/unemployment",
        '"south china',
        "kerajaan",
    ],
)
def test_glossary_matches_are_the_cross_parses_expansions(searcher, text):
    parser = searcher._parsers.cross_parser()
    text = close_quote(text)[0]
    _q, expansions = searcher._parsers.parse(text, cross=True)
    crossed = [e for e in expansions if e.source != SYNONYMS]
    found = glossary_matches(parser, text)
    assert found is not None
    assert [e.as_json() for e in found] == [e.as_json() for e in crossed]


def test_glossary_matches_needs_the_glossary(searcher):
    assert glossary_matches(searcher._parsers.plain, "South China Sea") is None
    assert glossary_matches(searcher._parsers.cross_parser(), "South China Sea")


def test_the_cross_hint_skips_the_parse_when_the_glossary_knows_no_word(searcher, monkeypatch):
    built = []
    build = QueryPlan.build

    def counted(*args, **kwargs):
        built.append(kwargs.get("mode"))
        return build(*args, **kwargs)

    monkeypatch.setattr(QueryPlan, "build", counted)
    snap = searcher._snapshot()
    assert searcher._cross_hint(snap, "nosuchword anotherone", None, True, 0) is None
    assert built == []
    searcher._cross_hint(snap, "South China Sea", None, True, 0)
    assert built == ["all"]


def test_a_unions_phrase_is_not_read_where_an_earlier_part_matched(searcher, monkeypatch):
    """A phrase in a union (a translation beside the word as typed) is checked only in
    the articles holding its words that no earlier part matched: its positions are not
    decoded where the count has the article already."""
    from whoosh import query as wq

    asked: list = []
    phrase = SegmentScorer._phrase

    def recording(self, q, only):
        asked.append(set(only) if only is not None else None)
        return phrase(self, q, only)

    monkeypatch.setattr(SegmentScorer, "_phrase", recording)
    snap = searcher._snapshot()
    context = snap.searcher.context()
    word = wq.Term("body_en", "minist")
    q = wq.Or(
        [word, wq.Phrase("body_en", ["joint", "exercis"]), wq.Phrase("body_en", ["china", "said"])]
    )
    checked = 0
    for sub, _offset in snap.searcher.leaf_searchers():
        scorer = SegmentScorer(snap.searcher, sub, context, snap.cache)
        words = set(SegmentScorer(snap.searcher, sub, context, snap.cache).scores(word))
        assert words, "the corpus has the word"
        asked.clear()
        found = matching_set(scorer, q)
        for only in asked:
            assert only is not None and not only & words
            checked += len(only)
        assert found == set(SegmentScorer(snap.searcher, sub, context, snap.cache).scores(q))
    assert checked  # "China" and "said" without "ministers" somewhere: read there
