"""One query, planned once: parsed, expansions capped, unions streamed, filters attached,
run with its errors wrapped (``QueryPlan``); and the counting did-you-mean asks of the
index (``MatchCounter``).

``Searcher.search``, ``count``, ``ids_with_groups`` and ``suggest`` all run a query
through a plan: a wildcard is capped the same way, a lang filter applied the same way and
a failure reported the same way whichever of them runs it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Collection

from indexer.errors import MlsearchError, QuerySyntaxError
from indexer.write.check import damaged, is_damage

from .collect import Snapshot, filtered, matching_docs, run_page
from .query import MAX_EXPANSION, Expansion, make_parser, parse_with_expansions

_SCAN_LIMIT = 20_000  # terms of one wildcard looked at before giving up on completeness


def cap_expansions(q, reader, notes: list[str]):
    """Wildcards and fuzzy terms that would expand to huge term sets (a*, e~2) are cut down
    to their MAX_EXPANSION most frequent words, and the results say so."""
    from whoosh import query as wq

    def cap(node):
        if isinstance(node, wq.FuzzyTerm):
            # Unbounded edit distance and no fixed first letter walk the whole lexicon
            # (malay~2 took 45 s on the 15k corpus); a typo rarely hits the first letter.
            node = wq.FuzzyTerm(
                node.fieldname,
                node.text,
                boost=node.boost,
                maxdist=min(node.maxdist, 2),
                prefixlength=max(node.prefixlength, 1),
            )
        if isinstance(node, (wq.Wildcard, wq.Prefix, wq.FuzzyTerm)):
            terms = [
                t.decode("utf-8") if isinstance(t, bytes) else t
                for _f, t in itertools.islice(node.expanded_terms(reader), _SCAN_LIMIT + 1)
            ]
            if len(terms) <= MAX_EXPANSION:
                return node
            field_name = node.fieldname
            terms.sort(key=lambda t: -reader.doc_frequency(field_name, t))
            kept = terms[:MAX_EXPANSION]
            shown = getattr(node, "text", "?")
            more = "more than " if len(terms) > _SCAN_LIMIT else ""
            note = (
                f"{shown}{'*' if isinstance(node, wq.Prefix) else ''} matches {more}"
                f"{min(len(terms), _SCAN_LIMIT)} words: searched the {MAX_EXPANSION} most common"
            )
            if not any(n.startswith(f"{shown}") for n in notes):
                notes.append(note)
            return wq.Or([wq.Term(field_name, t, boost=node.boost) for t in kept])
        if node.is_leaf():
            return node
        return node.apply(cap)

    return cap(q)


def streamed_unions(q):
    """Every OR merged as a stream (a tree of union matchers).

    Whoosh preloads each OR's postings into an array when a segment holds 5,000 documents
    or fewer, which for a word spread over nine fields was most of a warm query's time
    (bench queries on the 15k corpus, warm p50 40 -> 26 ms)."""
    from whoosh import query as wq

    def visit(node):
        if isinstance(node, wq.Or):
            node.matcher_type = wq.Or.DEFAULT_MATCHER
        if not node.is_leaf():
            for child in node.children():
                visit(child)

    visit(q)
    return q


def query_failed(index_dir, exc: Exception):
    """In an ``except`` block around running a query: the index is damaged, or the query
    cannot be run."""
    if is_damage(exc):
        if os.environ.get("MLSEARCH_DEBUG"):
            raise exc
        raise damaged(index_dir, exc) from exc
    raise QuerySyntaxError(f"cannot run query: {exc}") from exc


def any_words(q):
    """The query with its words ORed instead of ANDed, constraints (NOT, lang:, source:,
    date:) kept as they are; None when there are fewer than two words to loosen."""
    from whoosh import query as wq

    if not isinstance(q, wq.And):
        return None
    words, constraints = [], []
    for sub in q.subqueries:
        fields = {f for f, _t in sub.iter_all_terms()} if not isinstance(sub, wq.Not) else set()
        if isinstance(sub, (wq.Not, wq.NumericRange)) or fields & {"lang", "source", "date"}:
            constraints.append(sub)
        else:
            words.append(sub)
    if len(words) < 2:
        return None
    loose = wq.Or(words)
    return wq.And([*constraints, loose]) if constraints else loose


class QueryParsers:
    """The parsers of one index's schema: the plain one, and ``--cross``'s for the
    glossary (shipped entries, MLSEARCH_GLOSSARY's and ``glossary_files``), made anew
    when the glossary is reloaded. With ``features.synonyms`` both expand words through
    the synonym groups (``search.synonyms``: the shipped file, the glossary's cells,
    MLSEARCH_SYNONYMS's and ``synonym_files``)."""

    def __init__(self, schema, glossary_files=(), features=None, synonym_files=()):
        from .relevance import ALL

        self.schema = schema
        self.glossary_files = tuple(glossary_files)
        self.synonym_files = tuple(synonym_files)
        self.features = features if features is not None else ALL
        self._made: dict[tuple, tuple] = {}

    def glossary(self):
        from .glossary import load_glossary

        return load_glossary(self.glossary_files)

    def synonyms(self):
        """The synonym groups, or None with the feature off. A user glossary that cannot
        be read leaves its cells out (a plain search must not fail over a --cross file);
        a user synonyms file that cannot be read is an error."""
        if not self.features.synonyms:
            return None
        from .known import glossary_or_shipped
        from .synonyms import load_synonyms

        return load_synonyms(self.synonym_files, glossary_or_shipped(self.glossary))

    def _parser(self, cross: bool):
        glossary = self.glossary() if cross else None
        synonyms = self.synonyms()
        key = (cross, id(glossary), id(synonyms))
        cached = self._made.get(key)
        if cached is None or cached[0] is not glossary or cached[1] is not synonyms:
            parser = make_parser(self.schema, glossary, synonyms)
            self._made = {k: v for k, v in self._made.items() if k[0] != cross}
            self._made[key] = (glossary, synonyms, parser)
            return parser
        return cached[2]

    @property
    def plain(self):
        return self._parser(False)

    def cross_parser(self):
        return self._parser(True)

    def parse(self, text: str, cross: bool = False) -> tuple[object, list[Expansion]]:
        """``text`` parsed, and what ``cross`` added through the glossary and the synonym
        groups through ``features.synonyms`` (``[]`` without either)."""
        return parse_with_expansions(self._parser(cross), text)


class QueryPlan:
    """A query ready to run on one snapshot of the index: ``query`` (expansions capped,
    unions streamed), what ``--cross`` added (``expansions``), what was cut (``notes``),
    and the filter: only articles in ``lang``, only the articles ``ids`` (empty: none,
    ``matches_nothing``)."""

    def __init__(
        self,
        snap: Snapshot,
        query,
        expansions: list[Expansion],
        notes: list[str],
        lang: str | None = None,
        ids: Collection[str] | None = None,
    ):
        from whoosh import query as wq

        self.snap = snap
        self.query = query
        self.expansions = expansions
        self.notes = notes
        self.lang, self.ids = lang, ids
        self.matches_nothing = ids is not None and not ids
        flt = wq.Term("lang", lang) if lang else None
        if ids:
            only = wq.Or([wq.Term("id", i) for i in sorted(ids)])
            flt = wq.And([flt, only]) if flt is not None else only
        self.filter = flt

    @classmethod
    def build(
        cls,
        snap: Snapshot,
        parsers: QueryParsers,
        text: str,
        cross: bool = False,
        lang: str | None = None,
        ids: Collection[str] | None = None,
    ) -> QueryPlan:
        """``text`` parsed (with ``cross``, through the glossary) and made ready to run."""
        q, expansions = parsers.parse(text, cross)
        notes: list[str] = []
        q = streamed_unions(cap_expansions(q, snap.reader, notes))
        return cls(snap, q, expansions, notes, lang, ids)

    def any_words(self) -> QueryPlan | None:
        """The plan with the words ORed (``any_words``), sharing these notes; None when
        there is nothing to loosen."""
        loose = any_words(self.query)
        if loose is None:
            return None
        return QueryPlan(
            self.snap, streamed_unions(loose), self.expansions, self.notes, self.lang, self.ids
        )

    def matching(self):
        """The query with its filter: what finds the other copies of a collapsed hit."""
        return filtered(self.query, self.filter)

    def page(self, page: int, limit: int, sort: str, collapse: bool):
        """One page of whoosh results and the total (``search.collect.run_page``)."""
        with self._failures():
            return run_page(self.snap, self.query, page, limit, sort, collapse, self.filter)

    def every_match(self):
        """Whoosh results of every match, best first: every copy, no collapsing."""
        with self._failures():
            total = self.snap.searcher.doc_count_all()
            results, _total = run_page(
                self.snap, self.query, 1, max(total, 1), "relevance", False, self.filter
            )
        return results

    def count(self) -> int:
        """The articles the query matches, every copy, unranked."""
        with self._failures():
            return len(matching_docs(self.snap, self.matching()))

    def _failures(self):
        return _failures(self.snap.index_dir)


@contextlib.contextmanager
def _failures(index_dir):
    """Around running a query: an mlsearch error passes as it is (``query_failed``)."""
    try:
        yield
    except MlsearchError:
        raise
    except Exception as exc:
        query_failed(index_dir, exc)


class MatchCounter:
    """What did-you-mean asks of the index: how many articles a query text finds, with the
    ``lang`` filter of the query it corrects (``counter(text)``). A candidate is counted,
    never ranked."""

    def __init__(self, snap: Snapshot, parsers: QueryParsers, lang: str | None):
        self.snap, self.parsers, self.lang = snap, parsers, lang

    def __call__(self, text: str) -> int:
        return QueryPlan.build(self.snap, self.parsers, text, lang=self.lang).count()
