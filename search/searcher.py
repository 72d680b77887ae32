"""The Python API: open an index once, run many queries, get dataclasses back."""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from indexer.analysis import LANGS, analyze
from indexer.build import open_index
from indexer.config import DEFAULT_LIMIT, SNIPPET_CHARS, default_index_dir
from indexer.errors import ArticleNotFoundError, MlsearchError, QuerySyntaxError
from indexer.schema import text_fields

from .query import MAX_EXPANSION, Expansion, make_parser, parse_query, positive_terms
from .snippets import find_spans, make_snippet, needles_from
from .suggest import WEAK_HITS

# Version of the JSON Lines record shared by search --json, search --batch and saved run
# --json (README, "JSON output"). Adding a field keeps it; renaming or removing one bumps it.
JSON_SCHEMA_VERSION = 1


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
    (bench queries on the 15k corpus, warm p50 40 -> 26 ms; 15 ms with optimize=False)."""
    from whoosh import query as wq

    def visit(node):
        if isinstance(node, wq.Or):
            node.matcher_type = wq.Or.DEFAULT_MATCHER
        if not node.is_leaf():
            for child in node.children():
                visit(child)

    visit(q)
    return q


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
                searcher = ix.searcher(weighting=self._weighting)
            except FileNotFoundError:
                # A commit merged away the segments of the generation we just read.
                ix.close()
                if attempt == 19:
                    raise
                time.sleep(0.05)
                continue
            self._ix, self._searcher = ix, searcher
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
    ) -> SearchResults:
        """Run ``query``; hits come back ranked (BM25F, title above body) or newest first.

        ``ids``: only these articles (a saved query shows just its new hits this way).
        ``any_words``: articles with any of the words, ranked (OR instead of AND).
        ``fallback``: when no article has all the words (a question typed as a sentence, a
        pasted headline), answer as ``any_words`` would and say so in ``notes``.
        ``cross``: also look for the query's words in the other two languages, through the
        glossary (translations weigh less than the words as typed); ``expansions`` lists them.
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
        # optimize=False: block-quality skipping saves little on these many-field unions,
        # and without it the collector counts the matches as it goes; with it, the exact
        # total took a second full pass (about half the time of a query).
        kwargs: dict = {"optimize": False}
        if lang:
            kwargs["filter"] = wq.Term("lang", lang)
        if sort == "date":
            kwargs.update(sortedby="date", reverse=True)
        if ids is not None:
            if not ids:
                return SearchResults(query=query, total=0, page=page, hits=[])
            only = wq.Or([wq.Term("id", i) for i in sorted(ids)])
            kwargs["filter"] = wq.And([kwargs["filter"], only]) if "filter" in kwargs else only
        fell_back = False
        try:
            results = searcher.search_page(q, page, pagelen=limit, **kwargs)
            if fallback and not any_words and loose is not None and results.total == 0:
                results = searcher.search_page(loose, page, pagelen=limit, **kwargs)
                if results.total:
                    q, fell_back = loose, True
                    notes.append("no article has all the words: showing those with any of them")
        except MlsearchError:
            raise
        except Exception as exc:
            raise QuerySyntaxError(f"cannot run query: {exc}") from exc
        needles = needles_from(positive_terms(q), searcher.reader())
        hits = []
        for hit in results:
            stored = hit.fields()
            body = zlib.decompress(stored["body"]).decode("utf-8", "surrogatepass")
            snippet, highlights = make_snippet(body, find_spans(body, needles), SNIPPET_CHARS)
            title = stored.get("title", "")
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
                    title_highlights=[list(s) for s in find_spans(title, needles)],
                    path=stored.get("path"),
                )
            )
        total = results.total
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

    def count(self, query: str, lang: str | None = None, cross: bool = False) -> int:
        from whoosh import query as wq

        q, _expansions = self._parse(query, cross)
        flt = wq.Term("lang", lang) if lang else None
        q = _streamed_unions(q)
        return len(self._fresh().search(q, limit=1, filter=flt, optimize=False))

    def ids(self, query: str, lang: str | None = None, cross: bool = False) -> list[str]:
        """The id of every article ``query`` matches, best first: no snippets, no limit."""
        from whoosh import query as wq

        searcher = self._fresh()
        q, _expansions = self._parse(query, cross)
        q = _streamed_unions(_cap_expansions(q, searcher.reader(), []))  # as search() does
        flt = wq.Term("lang", lang) if lang else None
        try:
            results = searcher.search(q, limit=None, filter=flt)
        except MlsearchError:
            raise
        except Exception as exc:
            raise QuerySyntaxError(f"cannot run query: {exc}") from exc
        return [hit["id"] for hit in results]

    def suggest(self, query: str, lang: str | None = None, hits: int = 0) -> str | None:
        """A corrected query that finds something with the same ``lang`` filter, or None
        (see ``search.suggest``). ``hits``: what ``query`` finds; when above 0 the
        correction must find many times more."""
        from whoosh import query as wq

        from .suggest import suggest

        searcher = self._fresh()

        def count(text: str) -> int:
            # Matching documents, unscored: a candidate is counted, never ranked.
            q = self.parse(text)
            if lang:
                q = wq.And([q, wq.Term("lang", lang)])
            try:
                return sum(1 for _ in searcher.docs_for_query(q))
            except Exception as exc:
                raise QuerySyntaxError(f"cannot run query: {exc}") from exc

        return suggest(searcher.reader(), count, query, lang, hits)

    def get(self, doc_id: str) -> ArticleRecord:
        stored = self._fresh().document(id=doc_id)
        if stored is None:
            raise ArticleNotFoundError(f"no article with id {doc_id!r} in {self.index_dir}")
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

    def stats(self) -> IndexStats:
        reader = self._fresh().reader()
        by_lang = {lang: reader.doc_frequency("lang", lang) for lang in LANGS}
        by_source: dict[str, int] = {}
        dmin = dmax = None
        articles = 0
        for stored in reader.all_stored_fields():
            articles += 1
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
