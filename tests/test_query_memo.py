"""One parse analyses a word once per analysis (``search.query._Parser``): the title and
body fields of a language share it. The parsed queries are those of whoosh's own
``term_query``, analysing the word again for every field."""

from __future__ import annotations

import pytest
from whoosh.qparser import QueryParser

import search.query as query_module
from indexer.analyse.fields import LatinAnalyzer

QUERIES = [
    "menteri pertahanan",
    "ASEAN defence ministers",
    '"south china sea" navy',
    "F-16 1MDB",
    "南海 局势",
    "东盟防长会议",
    "title:defence lang:en",
    "minist* OR pertahan~1",
    "the navy of malaysia",
]


def _parse(searcher, text: str, cross: bool):
    parsers = searcher._parsers
    return parsers.parse(text, cross=cross, ranked=True)[0]


@pytest.mark.parametrize("cross", [False, True])
def test_a_parse_with_the_memo_is_the_parse_without_it(searcher, monkeypatch, cross):
    calls = {"n": 0}
    tokens_of = LatinAnalyzer.tokens_of

    def counted(self, text, mode, removestops):
        calls["n"] += 1
        return tokens_of(self, text, mode, removestops)

    monkeypatch.setattr(LatinAnalyzer, "tokens_of", counted)
    with_memo = [_parse(searcher, q, cross) for q in QUERIES]
    analysed_once = calls["n"]
    monkeypatch.setattr(query_module._Parser, "term_query", QueryParser.term_query)
    calls["n"] = 0
    without = [_parse(searcher, q, cross) for q in QUERIES]
    assert with_memo == without
    assert [repr(q) for q in with_memo] == [repr(q) for q in without]
    # title_en and body_en (title_ms and body_ms) analyse a word alike: once is enough
    assert analysed_once <= calls["n"] * 0.6


def test_the_memo_lasts_one_parse(searcher):
    parser = searcher._parsers._parser(False, True)
    _parse(searcher, "menteri pertahanan", False)
    assert parser.memo is None
