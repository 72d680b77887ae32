"""The Python API: open an index once, run many queries, get dataclasses back."""

from __future__ import annotations

import functools
import os
import time
import zlib
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from indexer.analysis import LANGS, analyze, stop_words
from indexer.build import open_index
from indexer.check import damaged, is_damage, reading
from indexer.config import DEFAULT_LIMIT, SNIPPET_CHARS, default_index_dir
from indexer.errors import ArticleNotFoundError, MlsearchError, QuerySyntaxError
from indexer.schema import TEXT_PARTS, lang_field, text_fields

from .query import MAX_EXPANSION, Expansion, make_parser, parse_query, positive_terms
from .snippets import find_spans, make_snippet, needles_from
from .suggest import WEAK_HITS

# Version of the JSON Lines record shared by search --json, search --batch and saved run
# --json (README, "JSON output"). Adding a field keeps it; renaming or removing one bumps it.
JSON_SCHEMA_VERSION = 1

KEY_TERMS = 15  # per language, for similar()
KEY_ENTRIES = 8  # glossary entries of the article whose translations similar(cross) adds
# Search ranks title words 3x; for likeness the body says more (a copy under a rewritten
# headline must still rank above another story with similar headline words).
SIMILAR_TITLE_BOOST = 1.0


@dataclass
class Hit:
    rank: int
    id: str
    score: float
    title: str
    date: str | None
    langs: list[str]
    source: str | None
    url: str | None
    snippet: str
    highlights: list[list[int]]
    # Near-duplicates (README, "Near-duplicates"): the label of this article's group of
    # copies, and the other copies that matched too but were collapsed into this hit.
    group: str | None = None
    similar: int = 0
    similar_ids: list[str] = field(default_factory=list)
    title_highlights: list[list[int]] = field(default_factory=list, repr=False)
    path: str | None = field(default=None, repr=False)

    def as_json(self) -> dict:
        """The stable JSON Lines record (see README, "JSON output")."""
        d = {"schema_version": JSON_SCHEMA_VERSION, **asdict(self)}
        d.pop("title_highlights")
        d.pop("path")
        d["score"] = round(self.score, 4)
        return d


@dataclass
class SearchResults:
    """One page of hits. ``total`` counts what matched, each group of copies once unless
    the search was asked not to collapse them (``collapse=False``)."""

    query: str
    total: int
    page: int
    hits: list[Hit]
    suggestion: str | None = None
    notes: list[str] = field(default_factory=list)
    expansions: list[Expansion] = field(default_factory=list)  # what --cross added


@dataclass
class ArticleRecord:
    id: str
    title: str
    body: str
    date: str | None
    langs: list[str]
    source: str | None
    url: str | None
    path: str | None


@dataclass
class IndexStats:
    articles: int
    by_lang: dict[str, int]
    by_source: dict[str, int]
    date_min: str | None
    date_max: str | None
    index_bytes: int
    index_dir: str


def _iso(value) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None


def _langs(value) -> list[str]:
    return [x for x in (value or "").split(",") if x]


_SCAN_LIMIT = 20_000  # terms of one wildcard looked at before giving up on completeness


def _cap_expansions(q, reader, notes: list[str]):
    """Wildcards and fuzzy terms that would expand to huge term sets (a*, e~2) are cut down
    to their MAX_EXPANSION most frequent words, and the results say so."""
    import itertools

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


def _streamed_unions(q):
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


def _query_failed(index_dir, exc: Exception):
    """In an ``except`` block around running a query: the index is damaged, or the query
    cannot be run."""
    if is_damage(exc):
        if os.environ.get("MLSEARCH_DEBUG"):
            raise exc
        raise damaged(index_dir, exc) from exc
    raise QuerySyntaxError(f"cannot run query: {exc}") from exc


def _reads_index(method):
    """A Searcher method that reads the index: damage becomes an IndexDamagedError."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with reading(self.index_dir):
            return method(self, *args, **kwargs)

    return wrapper


def _any_words(q):
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


def _filtered(q, flt=None, mask=None):
    """``q`` restricted by ``flt`` and without ``mask``, scored as ``q`` alone."""
    from whoosh import query as wq

    if flt is not None:
        q = wq.Require(q, flt)
    if mask is not None:
        q = wq.AndNot(q, mask)
    return q


def _run_page(
    searcher, q, page: int, limit: int, sort: str, collapse: bool, flt=None, mask=None, columns=None
):
    """One page of Whoosh results for ``q`` and the total it is a page of, in one pass.

    Collapsed: one hit per group of copies (the ``dup`` column), the best ranked, and the
    total counts groups; otherwise every match is its own group. Filters become part of
    the query (scored as ``q`` alone): whoosh's own collapsing ignored ``filter=``.

    Every match is scored, so the total is exact from the one pass. (Whoosh's top-N
    collector prunes unions by score bound once its heap is full even with
    ``optimize=False``, and then undercounts: 408 of 3,485 for ``malaysia``.) Scores come
    from ``search.blockscore`` a segment at a time, whoosh's BM25F computed from posting
    blocks; with ``FAST_SCORING`` off, from whoosh's matchers (the tests compare the two).
    """
    if flt is not None or mask is not None:
        q = _filtered(q, flt, mask)
    top = _collapsing_collector_class()(
        page * limit, columns, by_date=sort == "date", collapse=collapse
    )
    if FAST_SCORING:
        from .blockscore import SegmentScorer

        context = searcher.context()
        top.prepare(searcher, q, context)
        cache = top.columns
        for sub, offset in searcher.leaf_searchers():
            top.start_segment(sub.reader(), offset)
            scores = SegmentScorer(searcher, sub, context, cache).scores(q)
            collect = top.collect_scored
            for docnum in sorted(scores):
                collect(docnum, scores[docnum])
    else:
        searcher.search_with_collector(q, top)
    results = top.results()
    return results[(page - 1) * limit : page * limit], len(top.best)


# Score with search.blockscore (False: with whoosh's matchers, as the parity tests do).
FAST_SCORING = True


def _matching_docs(searcher, q, cache: dict | None = None) -> list[tuple[float, int]]:
    """``(score, global docnum)`` of every document ``q`` matches, best first (ties in
    docnum order, as whoosh ranks them). ``cache``: the Searcher's per-segment cache."""
    from .blockscore import SegmentScorer

    found = []
    if FAST_SCORING:
        context = searcher.context()
        cache = {} if cache is None else cache
        for sub, offset in searcher.leaf_searchers():
            scores = SegmentScorer(searcher, sub, context, cache).scores(q)
            found.extend((score, offset + d) for d, score in scores.items())
    else:
        results = searcher.search(q, limit=None)
        found = [(results.score(i), results.docnum(i)) for i in range(len(results))]
    found.sort(key=lambda x: (-x[0], x[1]))
    return found


@functools.cache
def _collapsing_collector_class():
    from whoosh import collectors

    class CollapsingTop(collectors.ScoredCollector):
        """The best match of each group of copies (highest score, or with ``by_date`` the
        newest, then highest score), the top ``limit`` of them, and every group counted,
        in one pass that scores each match once. Whoosh's CollapseCollector scores each
        match twice, reads the group column afresh for every query (warm queries 3.5x
        slower on the 15k corpus), and in date order keeps each group's oldest copy.

        ``columns`` caches each segment's column readers: pass the same dict for queries
        on one open index."""

        def __init__(
            self,
            limit: int,
            columns: dict | None,
            by_date: bool = False,
            collapse: bool = True,
        ):
            super().__init__()
            self.limit = limit
            self.by_date = by_date
            self.undated = None  # the date column's value for an article without a date
            self.collapse = collapse
            self.columns = {} if columns is None else columns
            self.best: dict = {}
            self.groups = self.dates = None

        def _column(self, reader, name: str):
            cached = self.columns.get((id(reader), name))
            if cached is None or cached[0] is not reader:
                column = (
                    reader.column_reader(name, translate=False) if reader.has_column(name) else None
                )
                cached = self.columns[(id(reader), name)] = (reader, column)
            return cached[1]

        def set_subsearcher(self, subsearcher, offset):
            super().set_subsearcher(subsearcher, offset)
            self.start_segment(subsearcher.reader(), offset)

        def _loaded(self, reader, name: str, load):
            """``load(column)`` of a segment's column, once for the open index."""
            key = (id(reader), "loaded", name)
            cached = self.columns.get(key)
            if cached is None or cached[0] is not reader:
                column = self._column(reader, name)
                cached = self.columns[key] = (reader, None if column is None else load(column))
            return cached[1]

        def start_segment(self, reader, offset):
            """The columns of the segment whose matches come next (no matcher needed).

            Read whole, once: whoosh's column readers read the file at every lookup, and
            a group label and a date are looked up for every match (date order on 15k
            articles was the slowest kind of warm query, p50 34 ms)."""
            from .blockscore import column_values, var_bytes

            self.offset = offset
            self.groups = self._loaded(reader, "dup", var_bytes) if self.collapse else None
            self.dates = self.undated = None
            if self.by_date:
                loaded = self._loaded(reader, "date", lambda c: (column_values(c), c._default))
                if loaded is not None:
                    self.dates, self.undated = loaded

        def collect_scored(self, sub_docnum, score):
            """A match of the current segment, scored already (by ``search.blockscore``)."""
            return self._collect(self.offset + sub_docnum, score)

        def _collect(self, global_docnum, score):
            sub = global_docnum - self.offset
            groups = self.groups
            key = global_docnum
            if groups is not None:
                data, starts, lengths = groups
                if lengths[sub]:
                    key = data[starts[sub] : starts[sub] + lengths[sub]]
            if self.by_date:
                when = self.dates[sub] if self.dates is not None else None
                if when == self.undated:
                    when = None  # reads as the largest value: it would sort first
                rank = (when or 0, score)  # raw column values: the order whoosh sorts by
            else:
                rank = score
            best = self.best.get(key)
            if best is None or rank > best[0]:
                self.best[key] = (rank, score, global_docnum)
            elif rank == best[0] and self._id(global_docnum) < self._id(best[2]):
                # Copies that tie (exact duplicates): the smaller id, not the one that
                # happens to come first in the index, which depends on how a parallel
                # build split the articles across its segments.
                self.best[key] = (rank, score, global_docnum)
            return 0 - score

        def _id(self, global_docnum) -> str:
            return self.top_searcher.stored_fields(global_docnum)["id"]

        def count(self):
            return len(self.best)

        def results(self):
            import heapq

            # Ties in rank go by group label (its first copy's id), which no index layout
            # changes; docnum order, whoosh's, depends on how a parallel build split the
            # articles across segments. Uncollapsed (every copy its own group), ties stay
            # in index order.
            def order(item):
                key, (rank, _score, docnum) = item
                neg = tuple(-r for r in rank) if isinstance(rank, tuple) else -rank
                return (neg, key if isinstance(key, bytes) else b"", docnum)

            top = heapq.nsmallest(self.limit, self.best.items(), key=order)
            return self._results([(score, docnum) for _key, (_rank, score, docnum) in top])

    return CollapsingTop


class Searcher:
    """``Searcher(index_dir)``: queries an index; use as a context manager or call close()."""

    def __init__(self, index_dir: str | os.PathLike | None = None, glossary: Collection[str] = ()):
        """``glossary``: the user's glossary files for cross-language search, added to the
        shipped one and to MLSEARCH_GLOSSARY's."""
        from whoosh import scoring

        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir()
        self._glossary_files = tuple(str(g) for g in glossary)
        self._cross_parsers: dict[int, tuple] = {}
        self._weighting = scoring.BM25F(B=0.75, K1=1.2)
        self._open()
        # The searcher's schema, not FileIndex.schema: that property re-reads the newest
        # TOC file, which a concurrent commit may just have deleted.
        self._parser = make_parser(self._searcher.schema)

    def _open(self) -> None:
        for attempt in range(20):
            ix = open_index(self.index_dir)
            try:
                with reading(self.index_dir, "open"):
                    searcher = ix.searcher(weighting=self._weighting)
            except FileNotFoundError:
                # A commit merged away the segments of the generation we just read.
                ix.close()
                if attempt == 19:
                    raise
                time.sleep(0.05)
                continue
            except BaseException:
                ix.close()
                raise
            self._ix, self._searcher = ix, searcher
            self._columns: dict = {}  # per segment: its dup column reader (collapsing)
            return

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def _fresh(self):
        """The searcher, reopened if another process has committed since.

        Whoosh's own ``refresh()`` reuses segment readers across a commit that merged
        segments and then shows merged documents twice (seen: 170 documents, 50 of them
        doubled), so the index is opened anew instead.
        """
        if not self._searcher.up_to_date():
            old_searcher, old_ix = self._searcher, self._ix
            self._open()
            old_searcher.close()
            old_ix.close()
        return self._searcher

    def parse(self, query: str):
        return parse_query(self._parser, query)

    def glossary(self):
        """The glossary --cross uses: shipped entries plus the user's files."""
        from .glossary import load_glossary

        return load_glossary(self._glossary_files)

    def parse_cross(self, query: str) -> tuple[object, list[Expansion]]:
        """Parse ``query`` with each glossary match expanded into the other languages."""
        from .query import CrossLanguagePlugin

        glossary = self.glossary()
        cached = self._cross_parsers.get(id(glossary))
        if cached is None or cached[0] is not glossary:
            parser = make_parser(self._searcher.schema, glossary)
            self._cross_parsers = {id(glossary): (glossary, parser)}
        else:
            parser = cached[1]
        plugin = next(p for p in parser.plugins if isinstance(p, CrossLanguagePlugin))
        plugin.expansions = []
        q = parse_query(parser, query)
        return q, list(plugin.expansions)

    def _parse(self, query: str, cross: bool) -> tuple[object, list[Expansion]]:
        return self.parse_cross(query) if cross else (self.parse(query), [])

    @_reads_index
    def search(
        self,
        query: str,
        limit: int = DEFAULT_LIMIT,
        page: int = 1,
        sort: str = "relevance",
        lang: str | None = None,
        suggest: bool = True,
        ids: Collection[str] | None = None,
        any_words: bool = False,
        fallback: bool = False,
        cross: bool = False,
        collapse: bool = True,
    ) -> SearchResults:
        """Run ``query``; hits come back ranked (BM25F, title above body) or newest first.

        ``ids``: only these articles (a saved query shows just its new hits this way).
        ``any_words``: articles with any of the words, ranked (OR instead of AND).
        ``fallback``: when no article has all the words (a question typed as a sentence, a
        pasted headline), answer as ``any_words`` would and say so in ``notes``.
        ``cross``: also look for the query's words in the other two languages, through the
        glossary (translations weigh less than the words as typed); ``expansions`` lists them.
        ``collapse``: near-duplicate copies of one article come back as one hit, the best
        ranked, with ``similar`` the number of other copies that matched (and their ids);
        ``total`` then counts each group once. False: every copy, each its own hit.
        """
        from whoosh import query as wq

        if limit < 1:
            raise QuerySyntaxError("limit must be at least 1")
        if page < 1:
            raise QuerySyntaxError("page must be at least 1")
        if sort not in ("relevance", "date"):
            raise QuerySyntaxError(f"unknown sort {sort!r} (use relevance or date)")
        if lang is not None and lang not in LANGS:
            raise QuerySyntaxError(f"unknown language {lang!r} (use zh, ms or en)")
        q, expansions = self._parse(query, cross)
        searcher = self._fresh()
        notes: list[str] = []
        q = _streamed_unions(_cap_expansions(q, searcher.reader(), notes))
        loose = _any_words(q)
        if loose is not None:
            loose = _streamed_unions(loose)
        if any_words and loose is not None:
            q = loose
        flt = wq.Term("lang", lang) if lang else None
        if ids is not None:
            if not ids:
                return SearchResults(query=query, total=0, page=page, hits=[])
            only = wq.Or([wq.Term("id", i) for i in sorted(ids)])
            flt = wq.And([flt, only]) if flt is not None else only
        fell_back = False
        try:
            results, total = _run_page(
                searcher, q, page, limit, sort, collapse, flt, columns=self._columns
            )
            if fallback and not any_words and loose is not None and total == 0:
                results, total = _run_page(
                    searcher, loose, page, limit, sort, collapse, flt, columns=self._columns
                )
                if total:
                    q, fell_back = loose, True
                    notes.append("no article has all the words: showing those with any of them")
        except MlsearchError:
            raise
        except Exception as exc:
            _query_failed(self.index_dir, exc)
        hits = self._hits(searcher, results, q, _filtered(q, flt) if collapse else None)
        suggestion = None
        if suggest and (total <= WEAK_HITS or fell_back):
            # After a fallback the query as typed found nothing.
            suggestion = self.suggest(query, lang=lang, hits=0 if fell_back else total)
        return SearchResults(
            query=query,
            total=total,
            page=page,
            hits=hits,
            suggestion=suggestion,
            notes=notes,
            expansions=expansions,
        )

    def _hits(self, searcher, results, q, matching=None) -> list[Hit]:
        """Hit dataclasses of a page of Whoosh results, with snippets for the words of ``q``.

        ``matching``: the results were collapsed; this query (``q`` with its filters) finds
        the other copies of each hit that matched as well, to count and name them.
        """
        from whoosh import query as wq

        reader = searcher.reader()
        needles = needles_from(positive_terms(q), reader)
        hits = []
        for hit in results:
            stored = hit.fields()
            body = zlib.decompress(stored["body"]).decode("utf-8", "surrogatepass")
            snippet, highlights = make_snippet(body, find_spans(body, needles), SNIPPET_CHARS)
            title = stored.get("title", "")
            group = stored.get("dup")
            others: list[str] = []
            if matching is not None and group and reader.doc_frequency("dup", group) > 1:
                # The copies collapsed into this hit: only a group of two or more has any.
                copies = _matching_docs(
                    searcher, wq.And([wq.Term("dup", group), matching]), self._columns
                )
                ids = (searcher.stored_fields(d)["id"] for _score, d in copies)
                others = [i for i in ids if i != stored["id"]]
            hits.append(
                Hit(
                    rank=hit.rank + 1,
                    id=stored["id"],
                    score=float(hit.score or 0.0),
                    title=title,
                    date=_iso(stored.get("date")),
                    langs=_langs(stored.get("lang")),
                    source=stored.get("source"),
                    url=stored.get("url"),
                    snippet=snippet,
                    highlights=highlights,
                    group=group,
                    similar=len(others),
                    similar_ids=others,
                    title_highlights=[list(s) for s in find_spans(title, needles)],
                    path=stored.get("path"),
                )
            )
        return hits

    @_reads_index
    def similar(
        self,
        doc_id: str,
        limit: int = DEFAULT_LIMIT,
        page: int = 1,
        lang: str | None = None,
        collapse: bool = True,
        cross: bool = False,
    ) -> SearchResults:
        """Articles like article ``doc_id`` (more-like-this), best first, without itself.

        The article's key terms in each of its languages (``_key_terms``) are searched for,
        ORed and weighted, in the title and body fields of that language. ``lang``: only
        articles containing that language. Copies of one article are collapsed as in
        ``search`` (its own copies too, into one hit). ``query`` of the results is the
        words searched for, most important first.

        ``cross``: also articles in the other languages: the glossary entries the article
        mentions most are searched for in their other languages' forms, weighted as
        translations are in ``search(cross=True)``; ``expansions`` lists them.
        """
        from whoosh import query as wq

        if limit < 1:
            raise QuerySyntaxError("limit must be at least 1")
        if page < 1:
            raise QuerySyntaxError("page must be at least 1")
        if lang is not None and lang not in LANGS:
            raise QuerySyntaxError(f"unknown language {lang!r} (use zh, ms or en)")
        searcher = self._fresh()
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            raise self._not_found(doc_id)
        key_terms = self._key_terms(docnum)
        leaves = [
            wq.Term(lang_field(part, tlang), term, boost=weight * boost)
            for tlang, terms in key_terms.items()
            for term, weight in terms
            for part, boost in (("title", SIMILAR_TITLE_BOOST), ("body", 1.0))
        ]
        words = sorted(
            ((w, t) for terms in key_terms.values() for t, w in terms), key=lambda x: -x[0]
        )
        shown = " ".join(t for _w, t in words)
        expansions: list[Expansion] = []
        if cross:
            translated, expansions = self._translated_key_terms(docnum)
            leaves.extend(translated)
        if not leaves:
            return SearchResults(query=shown, total=0, page=page, hits=[])
        q = _streamed_unions(wq.Or(leaves))
        flt = wq.Term("lang", lang) if lang else None
        mask = wq.Term("id", doc_id)
        results, total = _run_page(
            searcher, q, page, limit, "relevance", collapse, flt, mask, columns=self._columns
        )
        hits = self._hits(searcher, results, q, _filtered(q, flt, mask) if collapse else None)
        return SearchResults(query=shown, total=total, page=page, hits=hits, expansions=expansions)

    def _translated_key_terms(self, docnum: int) -> tuple[list, list[Expansion]]:
        """Queries for the other-language forms of the glossary entries article ``docnum``
        mentions most (up to KEY_ENTRIES): each form in its own language's title and body
        fields, as the key terms are, weighted CROSS_BOOST times how often the article
        mentions the entry relative to the entry it mentions most."""
        from whoosh import query as wq

        from .query import CROSS_BOOST

        stored = self._searcher.stored_fields(docnum)
        body = zlib.decompress(stored["body"]).decode("utf-8", "surrogatepass")
        found = self.glossary().find_in_text(stored.get("title", "") + "\n" + body)
        found = found[:KEY_ENTRIES]
        queries, expansions = [], []
        for entry, form_lang, times in found:
            weight = CROSS_BOOST * times / found[0][2]
            added: dict[str, list[str]] = {}
            for lang in LANGS:
                if lang == form_lang:
                    continue
                for form in entry.forms.get(lang, ())[:2]:
                    terms = [t for t, *_ in analyze(form, lang, "query")]
                    if not terms:
                        continue
                    for part, boost in (("title", SIMILAR_TITLE_BOOST), ("body", 1.0)):
                        field = lang_field(part, lang)
                        if len(terms) == 1:
                            queries.append(wq.Term(field, terms[0], boost=weight * boost))
                        else:
                            queries.append(wq.Phrase(field, terms, boost=weight * boost))
                    added.setdefault(lang, []).append(form)
            if added:
                expansions.append(Expansion(entry.forms[form_lang][0], form_lang, entry, added))
        return queries, expansions

    def _key_terms(self, docnum: int) -> dict[str, list[tuple[str, float]]]:
        """The terms that best tell an article apart, per language it contains:
        ``{"en": [(term, weight), …], "zh": …}``, weights in (0, 1], heaviest first.

        Terms are as indexed (stems for en and ms, jieba words for zh) and chosen by
        Whoosh's Bo1 model over the article's title and body text in that language:
        frequent in the article, rare in the index.
        """
        from indexer.build import language_texts

        searcher = self._searcher
        stored = searcher.stored_fields(docnum)
        body = zlib.decompress(stored["body"]).decode("utf-8", "surrogatepass")
        texts, _langs = language_texts(stored.get("title", ""), body)
        stop = stop_words()
        out: dict[str, list[tuple[str, float]]] = {}
        for lang in LANGS:
            text = "\n".join(t for t in (texts.get(lang_field(p, lang)) for p in TEXT_PARTS) if t)
            if not text.strip():
                continue
            terms = searcher.key_terms_from_text(
                lang_field("body", lang), text, numterms=3 * KEY_TERMS, normalize=True
            )
            # Indexing keeps stop words (for phrases); numbers, single letters and single
            # Han characters (在, 月) say little about what a story is about.
            terms = [
                (t, float(w))
                for t, w in terms
                if w > 0 and len(t) > 1 and t not in stop and not t.isdigit()
            ][:KEY_TERMS]
            if terms:
                top = terms[0][1]
                out[lang] = [(t, w / top) for t, w in terms]
        return out

    @_reads_index
    def count(self, query: str, lang: str | None = None, cross: bool = False) -> int:
        from whoosh import query as wq

        searcher = self._fresh()
        q, _expansions = self._parse(query, cross)
        q = _streamed_unions(_cap_expansions(q, searcher.reader(), []))
        if lang:
            q = wq.Require(q, wq.Term("lang", lang))
        try:
            return len(_matching_docs(searcher, q, self._columns))  # every copy
        except Exception as exc:
            _query_failed(self.index_dir, exc)

    def ids(self, query: str, lang: str | None = None, cross: bool = False) -> list[str]:
        """The id of every article ``query`` matches, best first: no snippets, no limit."""
        return list(self.groups(query, lang=lang, cross=cross))

    @_reads_index
    def groups(self, query: str, lang: str | None = None, cross: bool = False) -> dict[str, str]:
        """Every article ``query`` matches, best first, each with the label of its group of
        near-duplicate copies (its own id when it has none): every copy, no collapsing."""
        from whoosh import query as wq

        searcher = self._fresh()
        q, _expansions = self._parse(query, cross)
        q = _streamed_unions(_cap_expansions(q, searcher.reader(), []))  # as search() does
        flt = wq.Term("lang", lang) if lang else None
        try:
            total = searcher.doc_count_all()
            results, _total = _run_page(
                searcher, q, 1, max(total, 1), "relevance", False, flt, columns=self._columns
            )
        except MlsearchError:
            raise
        except Exception as exc:
            _query_failed(self.index_dir, exc)
        out = {}
        for hit in results:
            stored = hit.fields()
            out[stored["id"]] = stored.get("dup") or stored["id"]
        return out

    @_reads_index
    def suggest(self, query: str, lang: str | None = None, hits: int = 0) -> str | None:
        """A corrected query that finds something with the same ``lang`` filter, or None
        (see ``search.suggest``). ``hits``: what ``query`` finds; when above 0 the
        correction must find many times more."""
        from whoosh import query as wq

        from .suggest import suggest

        searcher = self._fresh()

        def count(text: str) -> int:
            # Matching documents, unscored: a candidate is counted, never ranked.
            q = _cap_expansions(self.parse(text), searcher.reader(), [])
            if lang:
                q = wq.And([q, wq.Term("lang", lang)])
            try:
                return len(_matching_docs(searcher, q, self._columns))
            except Exception as exc:
                _query_failed(self.index_dir, exc)

        return suggest(searcher.reader(), count, query, lang, hits)

    @_reads_index
    def get(self, doc_id: str) -> ArticleRecord:
        stored = self._fresh().document(id=doc_id)
        if stored is None:
            raise self._not_found(doc_id)
        return ArticleRecord(
            id=stored["id"],
            title=stored.get("title", ""),
            body=zlib.decompress(stored["body"]).decode("utf-8", "surrogatepass"),
            date=_iso(stored.get("date")),
            langs=_langs(stored.get("lang")),
            source=stored.get("source"),
            url=stored.get("url"),
            path=stored.get("path"),
        )

    def _not_found(self, doc_id: str) -> ArticleNotFoundError:
        """No such id; when an id of the index is ``doc_id`` under a folder's label (an id
        from before labels, or typed without one), the hint names it."""
        searcher = self._fresh()
        near = []
        for term in searcher.reader().lexicon("id"):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            if text.partition("/")[2] == doc_id and searcher.document_number(id=text) is not None:
                near.append(text)
                if len(near) == 3:
                    break
        hint = None
        if near:
            hint = "ids start with their folder's label: " + " or ".join(near)
        return ArticleNotFoundError(f"no article with id {doc_id!r} in {self.index_dir}", hint=hint)

    @_reads_index
    def stats(self) -> IndexStats:
        # Counted from the articles themselves: a term's document frequency in whoosh still
        # counts deleted documents (an updated or removed article) until a merge drops them.
        reader = self._fresh().reader()
        by_lang = dict.fromkeys(LANGS, 0)
        by_source: dict[str, int] = {}
        dmin = dmax = None
        articles = 0
        for stored in reader.all_stored_fields():
            articles += 1
            for lang in _langs(stored.get("lang")):
                if lang in by_lang:
                    by_lang[lang] += 1
            src = stored.get("source") or "(none)"
            by_source[src] = by_source.get(src, 0) + 1
            d = stored.get("date")
            if d is not None:
                dmin = d if dmin is None or d < dmin else dmin
                dmax = d if dmax is None or d > dmax else dmax
        size = sum(p.stat().st_size for p in self.index_dir.iterdir() if p.is_file())
        return IndexStats(
            articles=articles,
            by_lang={k: v for k, v in by_lang.items() if v},
            by_source=dict(sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))),
            date_min=_iso(dmin),
            date_max=_iso(dmax),
            index_bytes=size,
            index_dir=str(self.index_dir),
        )

    def explain(self, query: str, cross: bool = False) -> dict:
        """How the query was normalised and tokenised for each language field, and with
        ``cross`` every glossary expansion and the entry it came from."""
        from indexer.normalize import normalize

        q, expansions = self._parse(query, cross)
        extra = {}
        if cross:
            extra = {
                "cross": [e.as_json() for e in expansions],
                "glossary_files": self.glossary().files,
            }
        return {
            "query": query,
            "normalized": normalize(query).text,
            "analysis": {
                lang: [term for term, *_ in analyze(query, lang, "query")]
                for lang in ("en", "ms", "zh", "zh2")
            },
            "fields": text_fields(),
            "parsed": repr(q),
            **extra,
        }
