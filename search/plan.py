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

from .blockscore import SegmentScorer
from .collect import Snapshot, filtered, matching_docs, run_page
from .count import matching_set
from .matching import DEFAULT_MODE, find_ranked, shape
from .query import MAX_EXPANSION, Expansion, close_quote, make_parser, parse_with_expansions
from .relevance import ALL, Features

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


class QueryParsers:
    """The parsers of one index's schema: the plain ones, and ``--cross``'s for the
    glossary (shipped entries, MLSEARCH_GLOSSARY's and ``glossary_files``), made anew
    when the glossary is reloaded; all parse as ``features`` say (quoted phrases as
    written or by stems). ``ranked``: the parser of the matching modes that do not
    require every word (``make_parser``). ``features.dictionaries``: ``--cross`` also
    searches the wide dictionaries' translations (``search.dictionaries``).
    ``features.synonyms``: every parser expands words through the synonym groups
    (``search.synonyms``: the shipped file, the glossary's cells of names,
    MLSEARCH_SYNONYMS's and ``synonym_files``)."""

    def __init__(self, schema, glossary_files=(), features: Features = ALL, synonym_files=()):
        self.schema = schema
        self.glossary_files = tuple(glossary_files)
        self.synonym_files = tuple(synonym_files)
        self.features = features
        self.exact_phrases = features.exact_phrases
        self._made: dict[tuple, tuple] = {}  # (cross, ranked) -> (glossary, synonyms, parser)

    @property
    def plain(self):
        return self._parser(False, False)

    def glossary(self):
        from .glossary import load_glossary

        return load_glossary(self.glossary_files)

    def synonyms(self):
        """The synonym groups, or None with the feature off. A user glossary that cannot
        be read leaves its cells out (a plain search must not fail over a --cross file);
        a user synonyms file that cannot be read is an error."""
        if not self.features.synonyms:
            return None
        from .synonyms import load_synonyms_of_files

        return load_synonyms_of_files(self.synonym_files, self.glossary_files)

    def _parser(self, cross: bool, ranked: bool):
        """The parser, made anew when the glossary or the synonyms were reloaded."""
        glossary = self.glossary() if cross else None
        synonyms = self.synonyms()
        cached = self._made.get((cross, ranked))
        if cached is None or cached[0] is not glossary or cached[1] is not synonyms:
            parser = make_parser(
                self.schema, glossary, self.exact_phrases, ranked=ranked, synonyms=synonyms
            )
            self._made[(cross, ranked)] = (glossary, synonyms, parser)
            return parser
        return cached[2]

    def cross_parser(self, ranked: bool = False):
        return self._parser(True, ranked)

    def parse(
        self, text: str, cross: bool = False, ranked: bool = False, reader=None
    ) -> tuple[object, list[Expansion]]:
        """``text`` parsed, and what it added: synonyms (``features.synonyms``) and with
        ``cross`` the glossary's translations; with the ``reader`` of the index searched,
        and the dictionaries feature on, the wide dictionaries' too."""
        words = None
        if cross and reader is not None and self.features.dictionaries:
            from .dictionaries import IndexWords

            words = IndexWords(reader)
        return parse_with_expansions(self._parser(cross, ranked), text, words)


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
        mode: str = DEFAULT_MODE,
        dictionaries: bool = True,
        ranking: bool = True,
    ) -> QueryPlan:
        """``text`` parsed (with ``cross``, through the glossary, and unless
        ``dictionaries`` is False the wide dictionaries), its words combined by the
        matching ``mode`` (``search.matching``) and made ready to run. ``ranking``: False
        for a plan that is only counted (``total``): proximity, which only reorders the
        best matches, is left out."""
        reader = snap.reader if dictionaries else None
        text, unclosed = close_quote(text)
        q, expansions = parsers.parse(text, cross, ranked=mode != "all", reader=reader)
        q = shape(q, text, mode, proximity=parsers.features.proximity and ranking)
        notes: list[str] = [unclosed] if unclosed else []
        q = streamed_unions(cap_expansions(q, snap.reader, notes))
        plan = cls(snap, q, expansions, notes, lang, ids)
        plan.text, plan.cross, plan.mode = text, cross, mode
        return plan

    def ranked(self):
        """The query's Ranked node (its words and how they combine), or None for a query
        of one word."""
        return find_ranked(self.query)

    def strict(self) -> QueryPlan:
        """The same query with every word required (mode ``all``), sharing these notes."""
        from .matching import Ranked

        def require(node):
            if isinstance(node, Ranked):
                new = node.apply(lambda q: q)
                new.mode, new.required = "all", (True,) * len(node.subqueries)
                new.proximity = False
                return new
            if node.is_leaf():
                return node
            return node.apply(require)

        plan = QueryPlan(
            self.snap, require(self.query), self.expansions, self.notes, self.lang, self.ids
        )
        plan.text, plan.cross, plan.mode = self.text, self.cross, "all"
        return plan

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

    def complete_count(self) -> int:
        """The articles with every word of the query (``strict().count()``), every copy:
        counted from what the block scorer found of each word while ranking the query
        (``Ranked.complete_in``), the query's constraints and filter checked on those
        alone; or, when it did not score every article of a segment, by ``strict()``."""
        from whoosh import query as wq

        from .blockscore import SegmentScorer

        ranked = self.ranked()
        if ranked is None or not self.snap.block_scoring:
            return self.strict().count()
        rest = []
        if ranked is not self.query:
            rest = [s for s in self.query.subqueries if s is not ranked]
        if self.filter is not None:
            rest.append(self.filter)
        check = None if not rest else rest[0] if len(rest) == 1 else wq.And(rest)
        searcher = self.snap.searcher
        found = []
        for sub, _offset in searcher.leaf_searchers():
            reader = sub.reader()
            docs = ranked.complete_in(reader)
            if docs is None:
                return self.strict().count()
            found.append((sub, reader, docs))
        total = 0
        with self._failures():
            context = searcher.context()
            for sub, reader, docs in found:
                if docs and reader.has_deletions():
                    docs = docs - reader.deleted_docs_set
                if docs and check is not None:
                    scorer = SegmentScorer(searcher, sub, context, self.snap.cache)
                    docs = docs.intersection(scorer._eval(check, set(docs)))
                total += len(docs)
        return total

    def count(self) -> int:
        """The articles the query matches, every copy, unranked."""
        return self.total(collapse=False)

    def total(self, collapse: bool = True) -> int:
        """What ``page`` gives as the total, without ranking a page: the articles the
        query matches, each group of near-duplicate copies once when ``collapse``."""
        snap = self.snap
        with self._failures():
            if not snap.block_scoring:
                found = matching_docs(snap, self.matching())
                if not collapse:
                    return len(found)
                return self.page(1, 1, "relevance", collapse)[1]
            searcher = snap.searcher
            context = searcher.context()
            q = self.matching()
            groups: set = set()
            total = 0
            for sub, _offset in searcher.leaf_searchers():
                # the matches unscored (search.count): the cross hint's count took ~5 ms
                # a query scoring every match with the block scorer
                scorer = SegmentScorer(searcher, sub, context, snap.cache)
                docs = matching_set(scorer, q)
                if docs and scorer.deleted:
                    docs -= scorer.deleted
                column = snap.cache.segment(sub.reader()).groups() if collapse else None
                if column is None:
                    total += len(docs)
                    continue
                # as CollapsingTop keys a match: its group label, or itself without one
                data, starts, lengths = column
                for d in docs:
                    if lengths[d]:
                        groups.add(data[starts[d] : starts[d] + lengths[d]])
                    else:
                        total += 1
            return total + len(groups)

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
        plan = QueryPlan.build(
            self.snap, self.parsers, text, lang=self.lang, mode="all", ranking=False
        )
        return plan.count()
