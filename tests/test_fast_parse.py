"""The parser's fast path (``search.query.plain_tags``, ``_Parser.process``): a query of
plain words, quoted phrases and ``field:`` names is tagged without whoosh's taggers and
skips the filters that change nothing in it. The parsed queries must be whoosh's own:
the same tree, the same boosts, the same places in the typed text (the matching model
names a query's words by them), the same errors."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.errors import QuerySyntaxError
from search.query import _walk, parse_query, plain_tags

TOKENS = [
    "menteri",
    "pertahanan",
    "ASEAN",
    "defence",
    "the",
    "of",
    "F-16",
    "1MDB",
    "jobless/unemployment",
    "Bangsa-Bangsa",
    "南海",
    "局势",
    "东盟防长会议",
    "東盟防長",
    "巫统",
    "UMNO",
    "Najib",
    "south",
    "china",
    "sea",
    "naïve",
    "ＡＳＥＡＮ",
    "lang:zh",
    "lang:en",
    "lang:xx",
    "title:banjir",
    "body:defence",
    "source:bernama",
    "date:2025",
    "date:2025-10",
    "date:2025-13",
    "foo:bar",
    "a:b:c",
    "title:",
    '"south china sea"',
    '"国防 部长"',
    '"permainan"',
    'title:"menteri pertahanan"',
    '""',
    '"',
    '"open',
    'x"y"',
    '"a"~2',
    "AND",
    "OR",
    "NOT",
    "ANDNOT",
    "REQUIRE",
    "and",
    "(ASEAN",
    "OR)",
    "modernis*",
    "pat?ol",
    "patorl~",
    "Malaysai~2",
    "+ASEAN",
    "minister^2",
    "date:[2025-09-01",
    "TO",
    "2025-10-31]",
    "it's",
    "'quoted'",
    "*:*",
    "～",
    "?",
]
SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\u3000", "\xa0"])


def _shape(q) -> list:
    """Every node of a parsed query with what the search reads of it: the tree as repr
    shows it, boosts, and where each node was typed."""
    return [
        (
            type(n).__name__,
            repr(n),
            getattr(n, "boost", None),
            getattr(n, "startchar", None),
            getattr(n, "endchar", None),
            getattr(n, "char_ranges", None),
        )
        for n in _walk(q)
    ]


def _outcome(parser, text: str, fast: bool):
    parser.fast_path = fast
    try:
        q = parse_query(parser, text)
    except QuerySyntaxError as exc:
        return ("error", str(exc))
    finally:
        parser.fast_path = True
    return ("query", q, _shape(q))


def _tags(group) -> list:
    return [
        (type(n).__name__, n.startchar, n.endchar, dict(sorted(vars(n).items()))) for n in group
    ]


def _parsers(searcher):
    p = searcher._parsers
    return [p._parser(cross, ranked) for cross in (False, True) for ranked in (False, True)]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    words=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=5),
    spaces=st.lists(SPACES, min_size=6, max_size=6),
    lead=st.booleans(),
)
def test_fast_parse_is_whooshs_parse(searcher, words, spaces, lead):
    text = (spaces[5] if lead else "") + "".join(w + s for w, s in zip(words, spaces, strict=False))
    text = text.rstrip() if not lead else text
    for parser in _parsers(searcher):
        fast = _outcome(parser, text, True)
        slow = _outcome(parser, text, False)
        assert fast[0] == slow[0], text
        if fast[0] == "error":
            assert fast == slow, text
        else:
            assert fast[1] == slow[1], text
            assert fast[2] == slow[2], text
        tags = plain_tags(text)
        if tags is not None:  # the nodes whoosh's tagger makes, each attribute
            assert _tags(tags) == _tags(parser.tag(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "military exercise Malaysia",
        "东盟 防长",
        '"shed tears"',
        "lang:zh 学生",
        "date:2018 sumbangan",
        'title:"menteri pertahanan" banjir',
        "  spaced\tout  ",
    ],
)
def test_common_queries_take_the_fast_path(searcher, text, monkeypatch):
    from whoosh.qparser import QueryParser

    def refused(*_a, **_k):
        raise AssertionError("whoosh's tagger was used")

    monkeypatch.setattr(QueryParser, "tag", refused)
    for parser in _parsers(searcher):
        parse_query(parser, text)


@pytest.mark.parametrize(
    "text",
    ["ASEAN OR defence", "(a b)", "modernis*", "patorl~", "+ASEAN x", "a^2", "it's", '"open'],
)
def test_other_syntax_goes_to_whooshs_tagger(text):
    assert plain_tags(text) is None


def test_a_parser_with_other_taggers_has_no_fast_path(searcher, monkeypatch):
    from whoosh.qparser import PhrasePlugin, QueryParser

    from search.query import make_parser

    parser = make_parser(searcher._parsers.schema)
    parser.replace_plugin(PhrasePlugin(degrade=True))  # its phrases are not plain_tags'
    tagged = []
    tag = QueryParser.tag

    def counted(self, *args, **kwargs):
        tagged.append(args[0])
        return tag(self, *args, **kwargs)

    monkeypatch.setattr(QueryParser, "tag", counted)
    parse_query(parser, '"south china sea" navy')
    assert tagged == ['"south china sea" navy']
