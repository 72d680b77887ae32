"""The query language: Whoosh's parser, with every word run through each language's analysis.

A bare word is looked for in every language field of title and body (``title:`` or
``body:`` narrows it): each field's own analyzer processes the query text, so a Latin
word matches both its English and its Malay analysis, and a Han word matches jieba words
(ranked higher) and character bigrams (the substring fallback). Words are ANDed; OR, NOT,
parentheses, "phrases", ``lang:``, ``source:``, ``date:``, wildcards and ``term~`` fuzzy
matching are Whoosh's syntax.
"""

from __future__ import annotations

import copy

from whoosh import query as wq
from whoosh.qparser import FuzzyTermPlugin, MultifieldPlugin, QueryParser, syntax

from indexer.analysis import LANGS
from indexer.errors import QuerySyntaxError
from indexer.schema import LANG_FIELDS, TEXT_PARTS, lang_field, text_fields

TITLE_BOOST = 3.0
# Bigram matches are the substring fallback: they rank below whole-word matches.
LANG_BOOSTS = {"en": 1.0, "ms": 1.0, "zh": 1.0, "zh2": 0.35}
FIELD_BOOSTS = {
    lang_field(part, lang): LANG_BOOSTS[lang] * (TITLE_BOOST if part == "title" else 1.0)
    for part in TEXT_PARTS
    for lang in LANG_FIELDS
}
MAX_QUERY_CHARS = 2000
MAX_EXPANSION = 200  # terms a wildcard or fuzzy term may expand to


_SURFACE_QUERIES = (wq.Wildcard, wq.Prefix, wq.FuzzyTerm)


class LanguageFieldsPlugin(MultifieldPlugin):
    """Expands a bare word over every language field, and ``title:``/``body:`` over theirs."""

    def __init__(self):
        super().__init__(text_fields(), fieldboosts=FIELD_BOOSTS, group=syntax.OrGroup)

    def do_multifield(self, parser, group):
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = self.do_multifield(parser, node)
            elif node.has_fieldname and node.fieldname in (None, "title", "body"):
                names = text_fields(node.fieldname)
                if node.fieldname is None and getattr(node, "qclass", None) in _SURFACE_QUERIES:
                    # Language fields hold stems: modernis* and patrl~ must also be tried
                    # against the words as written.
                    names = [*names, "spell"]
                newnodes = []
                for fname in names:
                    newnode = copy.copy(node)
                    newnode.set_fieldname(fname, override=True)
                    newnode.set_boost(node.boost * self.boosts.get(fname, 1.0))
                    newnodes.append(newnode)
                group[i] = self.group(newnodes)
        return group


def make_parser(schema) -> QueryParser:
    parser = QueryParser(None, schema, group=syntax.AndGroup)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(LanguageFieldsPlugin())
    return parser


def _walk(q):
    yield q
    if q.is_leaf():
        return
    for child in q.children():
        yield from _walk(child)


def parse_query(parser, text: str):
    """Parse ``text``; raise QuerySyntaxError with a clear message on anything wrong."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})"
        )
    if not text.strip():
        raise QuerySyntaxError("empty query")
    _check_dates(parser, text)
    try:
        q = parser.parse(text)
    except Exception as exc:  # the parser should not raise, but a query must never crash us
        raise QuerySyntaxError(f"cannot parse query: {exc}") from exc
    for node in _walk(q):
        error = getattr(node, "error", None)
        if error:
            raise QuerySyntaxError(f"cannot parse query: {error}")
        fieldname = getattr(node, "fieldname", None)
        if fieldname == "lang" and isinstance(node, wq.Term) and node.text not in LANGS:
            raise QuerySyntaxError(f"unknown language {node.text!r} in lang: (use zh, ms or en)")
    q = q.normalize()
    if q is wq.NullQuery:
        raise QuerySyntaxError(
            "the query has no searchable words (only stop words or punctuation?)"
        )
    return q


def _check_dates(parser, text: str) -> None:
    """Whoosh turns an unreadable date into a query that matches nothing: say so instead."""
    import re

    for m in re.finditer(r"\bdate:(\[[^\]]*\]|\{[^}]*\}|\"[^\"]*\"|\S+)", text):
        value = m.group(1)
        try:
            sub = parser.parse(f"date:{value}")
        except Exception:
            sub = wq.NullQuery
        if sub is wq.NullQuery or getattr(sub, "error", None):
            raise QuerySyntaxError(
                f"cannot read the date in date:{value} "
                "(use date:2025, date:2025-10, date:2025-10-29 or date:[2025-09-01 TO 2025-10-31])"
            )


def positive_terms(q) -> list[tuple[str, object]]:
    """The (field, query) leaves a hit can match, NOT subtrees left out: for highlighting."""
    out = []

    def visit(node):
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            visit(node.a)
            return
        if node.is_leaf() or isinstance(node, wq.Phrase):
            out.append((getattr(node, "fieldname", None), node))
            return
        for child in node.children():
            visit(child)

    visit(q)
    return out
