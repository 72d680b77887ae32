"""The Python API: open an index once, run many queries, get dataclasses back.

``Searcher`` is a facade: a query is planned and run by ``search.plan`` (over
``search.collect``), its hits built by ``search.hits``, more-like-this queries made by
``search.similar``; what it returns is in ``search.results``.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Collection
from pathlib import Path

from indexer.analyse.fields import analyze
from indexer.analyse.languages import LANGS
from indexer.config import DEFAULT_LIMIT, default_index_dir
from indexer.errors import ArticleNotFoundError, MlsearchError
from indexer.schema import text_fields, unpack_body
from indexer.write.check import reading
from indexer.write.folder import open_index
from indexer.write.hints import index_command
from indexer.write.state import skipped_ids

from .cache import IndexCache
from .collect import Snapshot, filtered, matching_docs, run_page
from .hits import build_hits
from .matching import DEFAULT_MODE, mark_matched
from .options import check_lang, check_limit, check_match, check_page, check_sort
from .plan import MatchCounter, QueryParsers, QueryPlan, streamed_unions
from .query import Expansion, close_quote, glossary_matches
from .relevance import ALL, Features
from .results import (
    JSON_SCHEMA_VERSION,
    ArticleRecord,
    CrossHint,
    Hit,
    IndexStats,
    SearchResults,
    iso_date,
    split_langs,
)
from .similar import similar_query
from .suggest import worth_suggesting
from .synonyms import SOURCE as SYNONYMS

__all__ = [
    "JSON_SCHEMA_VERSION",
    "ArticleRecord",
    "CrossHint",
    "Hit",
    "IndexStats",
    "SearchResults",
    "Searcher",
]

# BM25F's (B, K1): how much a field's length counts, and how fast repeats saturate.
BM25 = (0.75, 1.2)


def _reads_index(method):
    """A Searcher method that reads the index: damage becomes an IndexDamagedError."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with reading(self.index_dir):
            return method(self, *args, **kwargs)

    return wrapper


def _label(entry) -> str:
    """A glossary entry's main forms, each once: "UMNO/巫统", "Najib Razak/纳吉"."""
    forms: list[str] = []
    for lang in ("en", "ms", "zh"):
        variants = entry.forms.get(lang)
        if variants and variants[0] not in forms:
            forms.append(variants[0])
    return "/".join(forms)


class Searcher:
    """``Searcher(index_dir)``: queries an index; use as a context manager or call close()."""

    def __init__(
        self,
        index_dir: str | os.PathLike | None = None,
        glossary: Collection[str] = (),
        bm25: tuple[float, float] = BM25,
        block_scoring: bool = True,
        features: Features = ALL,
        synonyms: Collection[str] = (),
    ):
        """``glossary``: the user's glossary files for cross-language search, added to the
        shipped one and to MLSEARCH_GLOSSARY's. ``bm25``: BM25F's ``(B, K1)``.
        ``block_scoring``: score a posting block at a time (``search.blockscore``); False
        scores with whoosh's matchers, to the same scores (the parity tests compare them).
        ``features``: the relevance features on top of BM25F (``search.relevance``).
        ``synonyms``: the user's synonym files (``search.synonyms``), added to the shipped
        groups and to MLSEARCH_SYNONYMS's."""
        from whoosh import scoring

        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir()
        b, k1 = bm25
        self._weighting = scoring.BM25F(B=b, K1=k1)
        self._block_scoring = block_scoring
        self.features = features
        self._facet_tables: dict[tuple, list[tuple]] = {}  # by segment: Searcher.facets
        self._open()
        # The searcher's schema, not FileIndex.schema: that property re-reads the newest
        # TOC file, which a concurrent commit may just have deleted.
        self._parsers = QueryParsers(
            self._searcher.schema,
            tuple(str(g) for g in glossary),
            features,
            tuple(str(f) for f in synonyms),
        )

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
            self._cache = IndexCache()  # per segment: the columns queries read
            return

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def _latest_searcher(self):
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

    def _snapshot(self) -> Snapshot:
        """The index as of its latest commit, for one call."""
        searcher = self._latest_searcher()
        return Snapshot(searcher, self._cache, self._block_scoring, self.index_dir)

    def parse(self, query: str):
        return self._parsers.parse(query)[0]

    def glossary(self):
        """The glossary --cross uses: shipped entries plus the user's files."""
        return self._parsers.glossary()

    def parse_cross(self, query: str) -> tuple[object, list[Expansion]]:
        """Parse ``query`` with each glossary match expanded into the other languages
        (and the dictionaries' translations of what the glossary does not know)."""
        return self._parsers.parse(query, cross=True, reader=self._snapshot().reader)

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
        match: str | None = None,
    ) -> SearchResults:
        """Run ``query``; hits come back ranked (BM25F, title above body) or newest first.

        ``match``: how the query's words combine (``search.matching``): ``"ranked"`` (the
        default) finds articles with any of the words and ranks those with all of them,
        or with the rarest, first; ``"all"`` requires every word; ``"any"`` ranks by plain
        BM25F sums. A hit's ``matched`` and ``missing`` list the words it has and lacks.
        ``any_words``: the same as ``match="any"``.
        ``fallback``: with ``match="all"``, when no article has all the words, answer as
        ``"ranked"`` would and say so in ``notes``.
        ``ids``: only these articles (a saved query shows just its new hits this way).
        ``cross``: also look for the query's words in the other two languages, through the
        glossary (translations weigh less than the words as typed); ``expansions`` lists them.
        ``collapse``: near-duplicate copies of one article come back as one hit, the best
        ranked, with ``similar`` the number of other copies that matched (and their ids);
        ``total`` then counts each group once. False: every copy, each its own hit.
        ``suggest``: on no or weak results, a corrected query (``suggestion``) and, without
        ``cross``, what ``cross`` would find (``cross_hint``).
        """
        check_limit(limit)
        check_page(page)
        check_sort(sort)
        check_lang(lang)
        mode = check_match(match or ("any" if any_words else DEFAULT_MODE))
        snap = self._snapshot()
        plan = QueryPlan.build(snap, self._parsers, query, cross, lang, ids, mode=mode)
        if plan.matches_nothing:
            return SearchResults(query=query, total=0, page=page, hits=[], match=mode)
        results, total = plan.page(page, limit, sort, collapse)
        complete = None  # articles with every word, when counted
        if fallback and mode == "all" and total == 0 and plan.ranked() is not None:
            loose = QueryPlan.build(snap, self._parsers, query, cross, lang, ids)
            results, total = loose.page(page, limit, sort, collapse)
            if total:
                plan, complete = loose, 0
        hits = build_hits(snap, results, plan.query, plan.matching() if collapse else None)
        ranked = plan.ranked()
        if ranked is not None and hits:
            mark_matched(snap, ranked, results, hits)
            if complete is None and mode not in ("all", "any") and any(h.missing for h in hits):
                complete = plan.complete_count()
            if complete == 0:
                plan.notes.append("no article has all the words: showing those with some of them")
        suggestion = cross_hint = None
        typed = total if (ranked is None or mode == "all") else complete
        if typed is None:
            typed = total if not any(h.missing for h in hits) else 0
        if suggest and worth_suggesting(typed):
            suggestion = self.suggest(query, lang=lang, hits=typed)
            if not cross and ids is None:
                cross_hint = self._cross_hint(snap, query, lang, collapse, typed)
        return SearchResults(
            query=query,
            total=total,
            page=page,
            hits=hits,
            suggestion=suggestion,
            cross_hint=cross_hint,
            notes=plan.notes,
            expansions=plan.expansions,
            match=plan.mode,
        )

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

        The article's key terms in each of its languages (``search.similar.key_terms``)
        are searched for, ORed and weighted, in the title and body fields of that
        language. ``lang``: only articles containing that language. Copies of one article
        are collapsed as in ``search`` (its own copies too, into one hit). ``query`` of
        the results is the words searched for, most important first.

        ``cross``: also articles in the other languages: the glossary entries the article
        mentions most are searched for in their other languages' forms, weighted as
        translations are in ``search(cross=True)``; ``expansions`` lists them.
        """
        from whoosh import query as wq

        check_limit(limit)
        check_page(page)
        check_lang(lang)
        snap = self._snapshot()
        docnum = snap.searcher.document_number(id=doc_id)
        if docnum is None:
            raise self._not_found(doc_id)
        glossary = self.glossary() if cross else None
        leaves, shown, expansions = similar_query(snap.searcher, docnum, glossary)
        if not leaves:
            return SearchResults(query=shown, total=0, page=page, hits=[])
        q = streamed_unions(wq.Or(leaves))
        flt = wq.Term("lang", lang) if lang else None
        mask = wq.Term("id", doc_id)
        results, total = run_page(snap, q, page, limit, "relevance", collapse, flt, mask)
        hits = build_hits(snap, results, q, filtered(q, flt, mask) if collapse else None)
        return SearchResults(query=shown, total=total, page=page, hits=hits, expansions=expansions)

    @_reads_index
    def count(
        self, query: str, lang: str | None = None, cross: bool = False, match: str | None = None
    ) -> int:
        mode = check_match(match or DEFAULT_MODE)
        snap = self._snapshot()
        return QueryPlan.build(snap, self._parsers, query, cross, lang, mode=mode).count()

    @_reads_index
    def facets(
        self,
        query: str,
        lang: str | None = None,
        cross: bool = False,
        match: str | None = None,
        collapse: bool = True,
    ) -> dict[str, dict[str, int]]:
        """What ``query`` matches counted per language, per source and per month:
        ``{"lang": {"zh": n, …}, "source": {…}, "month": {"2025-10": n, …}}``, over every
        match (not a page), each group of near-duplicate copies once unless ``collapse``
        is False (as ``total`` counts). An article in two languages counts in both; one
        without a source or a date is not counted there. Largest counts first (months
        newest first).

        Each segment's languages, sources, months and groups are read once (``_facet_rows``)
        and kept while the segment lives, across reopens: reading them is 60 µs an article,
        a query's matches are counted from them in microseconds."""
        import bisect

        mode = check_match(match or DEFAULT_MODE)
        snap = self._snapshot()
        plan = QueryPlan.build(snap, self._parsers, query, cross, lang, mode=mode)
        with plan._failures():
            found = matching_docs(snap, plan.matching())
        leaves = [
            (offset, self._facet_rows(sub.reader()))
            for sub, offset in snap.searcher.leaf_searchers()
        ]
        starts = [offset for offset, _rows in leaves]
        by_lang: dict[str, int] = {}
        by_source: dict[str, int] = {}
        by_month: dict[str, int] = {}
        seen: set[str] = set()
        for _score, docnum in found:
            offset, rows = leaves[bisect.bisect_right(starts, docnum) - 1]
            langs, source, month, group = rows[docnum - offset]
            if collapse:
                if group in seen:
                    continue
                seen.add(group)
            for code in langs:
                by_lang[code] = by_lang.get(code, 0) + 1
            if source:
                by_source[source] = by_source.get(source, 0) + 1
            if month:
                by_month[month] = by_month.get(month, 0) + 1

        def largest_first(counts):
            return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

        return {
            "lang": largest_first(by_lang),
            "source": largest_first(by_source),
            "month": dict(sorted(by_month.items(), reverse=True)),
        }

    def _facet_rows(self, reader) -> list[tuple]:
        """``(langs, source, month, group)`` of each document of a segment, read from its
        stored fields once and kept by segment (a segment never changes but for deletions,
        and a deleted document never matches)."""
        rows = self._facet_tables.get(self._facet_key(reader))
        if rows is None:
            rows = self._read_facet_rows(reader, 0, reader.doc_count_all())
            self._keep_facet_rows(reader, rows)
        return rows

    @staticmethod
    def _facet_key(reader) -> tuple:
        return (reader.segment().segment_id(), reader.doc_count_all())

    @staticmethod
    def _read_facet_rows(reader, start: int, stop: int) -> list[tuple]:
        rows = []
        for docnum in range(start, stop):
            if reader.is_deleted(docnum):
                rows.append(((), None, None, None))
                continue
            stored = reader.stored_fields(docnum)
            day = iso_date(stored.get("date"))
            rows.append(
                (
                    tuple(split_langs(stored.get("lang"))),
                    stored.get("source") or None,
                    day[:7] if day else None,
                    stored.get("dup") or stored["id"],
                )
            )
        return rows

    def _keep_facet_rows(self, reader, rows: list[tuple]) -> None:
        live = {sub.reader().segment().segment_id() for sub, _o in self._searcher.leaf_searchers()}
        self._facet_tables = {k: v for k, v in self._facet_tables.items() if k[0] in live}
        self._facet_tables[self._facet_key(reader)] = rows

    def warm(self, step: int = 500):
        """Read ahead what the first ``facets`` call would read (about 60 µs an article), a
        generator that reads ``step`` articles at each ``next()``: ``mlsearch serve`` calls
        it between requests after it starts, so that its first search page does not wait
        a second. It stops early when the index is reopened meanwhile."""
        searcher = self._latest_searcher()
        for sub, _offset in searcher.leaf_searchers():
            reader = sub.reader()
            if self._facet_key(reader) in self._facet_tables:
                continue
            rows: list[tuple] = []
            total = reader.doc_count_all()
            for start in range(0, total, step):
                yield
                if self._searcher is not searcher:
                    return
                rows.extend(self._read_facet_rows(reader, start, min(total, start + step)))
            self._keep_facet_rows(reader, rows)

    def ids(
        self, query: str, lang: str | None = None, cross: bool = False, match: str | None = None
    ) -> list[str]:
        """The id of every article ``query`` matches, best first: no snippets, no limit."""
        return list(self.ids_with_groups(query, lang=lang, cross=cross, match=match))

    @_reads_index
    def ids_with_groups(
        self, query: str, lang: str | None = None, cross: bool = False, match: str | None = None
    ) -> dict[str, str]:
        """Every article ``query`` matches, best first, each with the label of its group of
        near-duplicate copies (its own id when it has none): every copy, no collapsing."""
        mode = check_match(match or DEFAULT_MODE)
        snap = self._snapshot()
        plan = QueryPlan.build(snap, self._parsers, query, cross, lang, mode=mode)
        out = {}
        for hit in plan.every_match():
            stored = hit.fields()
            out[stored["id"]] = stored.get("dup") or stored["id"]
        return out

    @_reads_index
    def suggest(self, query: str, lang: str | None = None, hits: int = 0) -> str | None:
        """A corrected query that finds something with the same ``lang`` filter, or None
        (see ``search.suggest``). ``hits``: what ``query`` finds; when above 0 the
        correction must find many times more. Names and terms the glossary (the user's
        too) and the Chinese dictionaries know are never corrected (``search.known``)."""
        from .known import glossary_or_shipped, known_names
        from .suggest import suggest

        snap = self._snapshot()
        known = known_names(glossary_or_shipped(self.glossary))
        counter = MatchCounter(snap, self._parsers, lang)
        return suggest(snap.reader, counter, query, lang, hits, known)

    def _cross_hint(
        self, snap: Snapshot, query: str, lang, collapse: bool, hits: int
    ) -> CrossHint | None:
        """What ``cross=True`` finds for ``query``, when the glossary knows some of its
        words and that is more than the ``hits`` it finds as typed; else None."""
        try:
            # The hint is the glossary's: "N articles mention UMNO/巫统". Most weak
            # queries have no word it knows: asked first, without making the query.
            known = glossary_matches(self._parsers.cross_parser(), close_quote(query)[0])
            if known is not None and not known:
                return None
            plan = QueryPlan.build(
                snap,
                self._parsers,
                query,
                True,
                lang,
                mode="all",
                dictionaries=False,
                ranking=False,
            )
            crossed = [e for e in plan.expansions if e.source != SYNONYMS]
            if not crossed:
                return None
            total = plan.total(collapse)
        except MlsearchError:  # a user glossary that cannot be read: --cross says so
            return None
        if total <= hits:
            return None
        entries = {id(e.entry): e.entry for e in crossed}
        return CrossHint(total=total, entries=[_label(e) for e in entries.values()])

    @_reads_index
    def get(self, doc_id: str) -> ArticleRecord:
        stored = self._latest_searcher().document(id=doc_id)
        if stored is None:
            raise self._not_found(doc_id)
        return ArticleRecord(
            id=stored["id"],
            title=stored.get("title", ""),
            body=unpack_body(stored["body"]),
            date=iso_date(stored.get("date")),
            langs=split_langs(stored.get("lang")),
            source=stored.get("source"),
            url=stored.get("url"),
            path=stored.get("path"),
        )

    def _not_found(self, doc_id: str) -> ArticleNotFoundError:
        """No such id. When its file was skipped when indexed, the message says why; when
        an id of the index (or of a skipped file) is ``doc_id`` under a folder's label (an
        id from before labels, or typed without one), the hint names it."""
        skipped = skipped_ids(self.index_dir)
        if doc_id in skipped:
            reason, root = skipped[doc_id]
            return ArticleNotFoundError(
                f"{doc_id} was skipped when indexed: {reason}",
                hint=f"fix the file, then index it again: {index_command(self.index_dir, [root])}",
            )
        searcher = self._latest_searcher()
        near = []
        for term in searcher.reader().lexicon("id"):
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            if text.partition("/")[2] == doc_id and searcher.document_number(id=text) is not None:
                near.append(text)
                if len(near) == 3:
                    break
        for skipped_id, (reason, _root) in sorted(skipped.items()):
            if skipped_id.partition("/")[2] == doc_id and len(near) < 3:
                near.append(f"{skipped_id} (skipped when indexed: {reason})")
        hint = None
        if near:
            hint = "ids start with their folder's label: " + " or ".join(near)
        return ArticleNotFoundError(f"no article with id {doc_id!r} in {self.index_dir}", hint=hint)

    @_reads_index
    def highlight(
        self, text: str, query: str, cross: bool = False, match: str | None = None
    ) -> list[list[int]]:
        """The spans of ``text`` that ``query``'s words match, as a hit's ``highlights``
        are found (all of ``text``, not a snippet's window): for an article shown whole."""
        from .query import positive_terms
        from .snippets import find_spans, needles_from

        mode = check_match(match or DEFAULT_MODE)
        snap = self._snapshot()
        plan = QueryPlan.build(snap, self._parsers, query, cross, mode=mode)
        needles = needles_from(positive_terms(plan.query), snap.reader)
        return [list(s) for s in find_spans(text, needles, limit=max(len(text), 1))]

    @_reads_index
    def stats(self) -> IndexStats:
        # Counted from the articles themselves: a term's document frequency in whoosh still
        # counts deleted documents (an updated or removed article) until a merge drops them.
        reader = self._latest_searcher().reader()
        by_lang = dict.fromkeys(LANGS, 0)
        by_source: dict[str, int] = {}
        dmin = dmax = None
        articles = 0
        for stored in reader.all_stored_fields():
            articles += 1
            for lang in split_langs(stored.get("lang")):
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
            date_min=iso_date(dmin),
            date_max=iso_date(dmax),
            index_bytes=size,
            index_dir=str(self.index_dir),
        )

    def explain(self, query: str, cross: bool = False, match: str | None = None) -> dict:
        """How the query was normalised and tokenised for each language field; how its
        words combine (``matching``: the mode, each word as typed and whether it is
        required, the word pairs proximity compares); which quoted phrases match as
        written (``exact``); every synonym expansion (with ``features.synonyms``) and with
        ``cross`` every glossary expansion, each with the entry or group it came from."""
        from indexer.analyse.normalize import normalize

        from .exact import exact_phrases

        mode = check_match(match or DEFAULT_MODE)
        plan = QueryPlan.build(self._snapshot(), self._parsers, query, cross, mode=mode)
        q, expansions = plan.query, plan.expansions
        ranked = plan.ranked()
        matching = {"mode": mode, "words": [], "proximity": []}
        if ranked is not None:
            matching["words"] = [
                {"word": label, "required": required}
                for label, required in zip(ranked.labels, ranked.required, strict=True)
            ]
            if ranked.proximity:
                matching["proximity"] = [
                    f"{ranked.labels[i]} {ranked.labels[i + 1]}" for i, _f in ranked.near
                ]
                if ranked.whole:
                    matching["proximity"].append(" ".join(ranked.labels) + " (whole)")
        extra: dict = {}
        if self.features.exact_phrases:
            # one entry per quoted phrase: matched as written, these words in this order
            extra["exact"] = [
                {"phrase": p.exact.text, "as_written": p.exact.shown} for p in exact_phrases(q)
            ]
        synonyms = self._parsers.synonyms()
        if synonyms is not None:
            extra["synonyms"] = [e.as_json() for e in expansions if e.source == SYNONYMS]
            extra["synonym_files"] = synonyms.files
        if cross:
            extra["cross"] = [e.as_json() for e in expansions if e.source != SYNONYMS]
            extra["glossary_files"] = self.glossary().files
        return {
            "query": query,
            "normalized": normalize(query).text,
            "analysis": {
                lang: [term for term, *_ in analyze(query, lang, "query")]
                for lang in ("en", "ms", "zh", "zh2")
            },
            "fields": text_fields(),
            "parsed": repr(q),
            "matching": matching,
            **extra,
        }
