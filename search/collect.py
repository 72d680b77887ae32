"""Running a query over the open index: one page and the total in one pass, near-duplicate
copies collapsed (``run_page``), or every match (``matching_docs``).

Scores come from ``search.blockscore`` a segment at a time, whoosh's BM25F computed from
posting blocks; with ``block_scoring`` off (``Searcher(block_scoring=False)``), from
whoosh's matchers (the parity tests compare the two).
"""

from __future__ import annotations

import heapq
import operator
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from indexer.whoosh_internals.collector import ScoredMatchCollector

from .blockscore import SegmentScorer
from .cache import GroupLabels, IndexCache, nth_group_score
from .matching import RESCORE_WINDOW, Ranked


@dataclass(frozen=True)
class Snapshot:
    """The index as one call of the Searcher reads it: whoosh's searcher (one generation
    of the index), the cache of its segments' columns, how to score, and the folder (for
    error messages)."""

    searcher: object
    cache: IndexCache
    block_scoring: bool
    index_dir: Path

    @property
    def reader(self):
        return self.searcher.reader()


def filtered(q, flt=None, mask=None):
    """``q`` restricted by ``flt`` and without ``mask``, scored as ``q`` alone."""
    from whoosh import query as wq

    if flt is not None:
        q = wq.Require(q, flt)
    if mask is not None:
        q = wq.AndNot(q, mask)
    return q


def run_page(
    snap: Snapshot, q, page: int, limit: int, sort: str, collapse: bool, flt=None, mask=None
):
    """One page of Whoosh results for ``q`` and the total it is a page of, in one pass.

    Collapsed: one hit per group of copies (the ``dup`` column), the best ranked, and the
    total counts groups; otherwise every match is its own group. Filters become part of
    the query (scored as ``q`` alone): whoosh's own collapsing ignored ``filter=``.

    Every match is scored, so the total is exact from the one pass. (Whoosh's top-N
    collector prunes unions by score bound once its heap is full even with
    ``optimize=False``, and then undercounts: 408 of 3,485 for ``malaysia``.)
    """
    searcher = snap.searcher
    if flt is not None or mask is not None:
        q = filtered(q, flt, mask)
    top = CollapsingTop(page * limit, snap.cache, by_date=sort == "date", collapse=collapse)
    if snap.block_scoring:
        context = searcher.context()
        top.prepare(searcher, q, context)
        for sub, offset in searcher.leaf_searchers():
            top.start_segment(sub.reader(), offset)
            scorer = SegmentScorer(searcher, sub, context, snap.cache)
            if sort != "date" and type(q) is Ranked and page * limit <= RESCORE_WINDOW:
                scorer.page_groups = page * limit  # only this page need be ranked exactly
            elif sort == "date" and type(q) is Ranked:
                scorer.page_query, scorer.page_among = q, top.date_candidates
            top.collect_segment(scorer.scores(q))
    else:
        searcher.search_with_collector(q, top)
    results = top.results()
    hits = Page(results[(page - 1) * limit : page * limit])
    hits.repeated = top.repeated if snap.block_scoring else None
    return hits, top.count()


class Page(list):
    """A page of whoosh hits (``run_page``). ``repeated``: the group labels that two or
    more of the query's matches have, or None when not known (whoosh's matcher path):
    a hit of another group has no copy among the matches, so ``search.hits`` need not
    look for them."""

    repeated: set | None = None


def matching_docs(snap: Snapshot, q) -> list[tuple[float, int]]:
    """``(score, global docnum)`` of every document ``q`` matches, best first (ties in
    docnum order, as whoosh ranks them)."""
    searcher = snap.searcher
    found = []
    if snap.block_scoring:
        context = searcher.context()
        for sub, offset in searcher.leaf_searchers():
            scores = SegmentScorer(searcher, sub, context, snap.cache).scores(q)
            found.extend((score, offset + d) for d, score in scores.items())
    else:
        results = searcher.search(q, limit=None)
        found = [(results.score(i), results.docnum(i)) for i in range(len(results))]
    found.sort(key=lambda x: (-x[0], x[1]))
    return found


class CollapsingTop(ScoredMatchCollector):
    """The best match of each group of copies (highest score, or with ``by_date`` the
    newest, then highest score), the top ``limit`` of them, and every group counted,
    in one pass that scores each match once. Whoosh's CollapseCollector scores each
    match twice, reads the group column afresh for every query (warm queries 3.5x
    slower on the 15k corpus), and in date order keeps each group's oldest copy.

    ``cache``: the open index's cache of segment columns (the same for every query)."""

    def __init__(
        self,
        limit: int,
        cache: IndexCache | None,
        by_date: bool = False,
        collapse: bool = True,
    ):
        super().__init__()
        self.limit = limit
        self.by_date = by_date
        self.undated = None  # the date column's value for an article without a date
        self.collapse = collapse
        self.cache = IndexCache() if cache is None else cache
        self.best: dict = {}
        self.groups = self.dates = None
        self.labels = None  # the current segment's group labels (search.cache.GroupLabels)
        self.counted: set = set()  # group labels of matches given to collect_segment
        self.repeated: set = set()  # and those that two or more of them have
        self.loose = 0  # and how many of those matches had no group

    def set_subsearcher(self, subsearcher, offset):
        super().set_subsearcher(subsearcher, offset)
        self.start_segment(subsearcher.reader(), offset)

    def start_segment(self, reader, offset):
        """The columns of the segment whose matches come next (no matcher needed), read
        whole once for the open index (``search.cache``)."""
        segment = self.cache.segment(reader)
        self.offset = offset
        self.deleted = reader.deleted_docs_set if reader.has_deletions() else None
        self.groups = segment.groups() if self.collapse else None
        self.labels = segment.group_labels() if self.collapse else None
        self.dates = self.undated = self.date_keys = None
        if self.by_date:
            loaded = segment.dates()
            if loaded is not None:
                self.dates, self.undated = loaded
                self.date_keys = segment.date_keys()

    def collect_segment(self, scores: dict) -> None:
        """Every match of the current segment, scored (``{sub docnum: score}``): each
        counted (its group once), and only those that can be on the page given to
        ``add`` (``_candidates``): a match ranking below the ``limit``-th best group of
        its own segment cannot be, by score or by date, since at least ``limit`` groups
        rank above it whatever their copies in other segments score."""
        if not scores:
            return
        labels = self.labels
        if labels is None:
            self.loose += len(scores)
        else:
            if type(labels) is GroupLabels:  # a segment's first query: slice its matches'
                labels.fill(scores.keys())
            named = list(map(labels.__getitem__, scores))  # one look-up each
            found = set(named)
            loose = 0
            if None in found:
                found.discard(None)
                loose = named.count(None)
                self.loose += loose
            if len(found) + loose < len(scores):  # copies among this segment's matches
                seen = Counter(named)
                self.repeated.update(k for k, n in seen.items() if n > 1 and k is not None)
            self.repeated |= self.counted & found  # and copies in segments before it
            self.counted |= found
        add, offset = self.add, self.offset
        if len(scores) <= self.limit:
            for d in sorted(scores):
                add(offset + d, scores[d])
            return
        for d in sorted(self._candidates(scores, labels)):
            add(offset + d, scores[d])

    def _candidates(self, scores: dict, labels) -> list:
        """The matches of this segment that can be on the page or choose which copy of a
        group is: those at or above the ``limit``-th best group of this segment in the
        order ``results`` sorts by (rank, then group label, then docnum). At least
        ``limit`` groups rank above any other whatever their copies elsewhere score (a
        group ranks at its best copy). Ties matter: a filter alone scores every match
        alike, and date order ties on the day."""
        if self.by_date:
            keys = self.date_keys
            if keys is None:
                primary = dict.fromkeys(scores, 0)
            else:
                primary = dict(zip(scores, map(keys.__getitem__, scores), strict=True))
        else:
            primary = scores
        floor, best = self._floor(primary, labels)
        if floor == float("-inf"):
            return list(scores)  # fewer groups than the page
        if len(best) < len(primary) and best[-1][1] == floor:
            best = primary.items()  # ties at the floor may go on past those looked at
        above = [d for d, v in best if v > floor]
        tied = [d for d, v in best if v == floor]
        if labels is None:
            named: set = set()
            need = self.limit - len(above)
        else:
            named = {labels[d] for d in above}
            loose = operator.countOf(map(labels.__getitem__, above), None)
            need = self.limit - (len(named) - (None in named) + loose)
        if need <= 0:  # cannot be: the floor is the page's last group
            return above + tied
        # Among the ties the page order goes on by score (date order), then group label:
        # a match without a group (label b"") first, by docnum.
        if not self.by_date:  # every tie scores alike
            if labels is None:
                return above + heapq.nsmallest(need, tied)
            loose_ties = [d for d in tied if labels[d] is None]
            if len(loose_ties) >= need:
                return above + heapq.nsmallest(need, loose_ties)
            need -= len(loose_ties)
            names = {labels[d] for d in tied} - named
            names.discard(None)
            keep = set(heapq.nsmallest(need, names))
            return above + loose_ties + [d for d in tied if labels[d] in keep]
        offset = self.offset

        def key(d):
            label = labels[d] if labels is not None else None
            return (-scores[d], b"", offset + d) if label is None else (-scores[d], label, 0)

        ranked = sorted(tied, key=key)
        for i, d in enumerate(ranked):
            label = labels[d] if labels is not None else None
            if label is None or label not in named:
                named.add(label)
                need -= 1
                if need == 0:
                    edge = key(d)
                    j = i + 1
                    while j < len(ranked) and key(ranked[j]) == edge:
                        j += 1  # copies of the group of the last place, as good
                    return above + ranked[:j]
        return above + ranked

    def date_candidates(self, scores: dict) -> set | None:
        """In date order, the matches of the current segment (``scores``, deleted ones
        included) that ``collect_segment`` can give to ``add`` whatever their scores:
        those at or above the date of this segment's ``limit``-th newest group; None for
        all of them."""
        deleted = self.deleted
        if deleted:
            scores = {d: s for d, s in scores.items() if d not in deleted}
        if len(scores) <= self.limit or self.dates is None:
            return None
        keys = self.date_keys
        primary = dict(zip(scores, map(keys.__getitem__, scores), strict=True))
        floor, best = self._floor(primary, self.labels)
        if floor == float("-inf"):
            return None
        if len(best) < len(primary) and best[-1][1] == floor:
            best = primary.items()  # ties at the floor may go on past those looked at
        return {d for d, v in best if v >= floor}

    def _floor(self, scores: dict, labels) -> tuple[float, list]:
        """The score of the ``limit``-th best group of this segment's matches (each group
        at its best copy), -inf when there are fewer groups; and the best matches looked
        at to find it, (docnum, score) best first: every match above it is among them."""
        n = len(scores)
        k = min(n, max(4 * self.limit, 64))
        while True:
            best = heapq.nlargest(k, scores.items(), key=operator.itemgetter(1))
            floor = nth_group_score(best, labels, self.limit)
            if floor is not None:
                return floor, best
            if k >= n:
                return float("-inf"), best
            k = min(n, 4 * k)

    def collect_scored(self, sub_docnum, score):
        """A match of the current segment, scored already (by ``search.blockscore``)."""
        return self.add(self.offset + sub_docnum, score)

    def add(self, global_docnum, score):
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
        """Groups matched: those of ``collect_segment`` (counted there) and of ``add``
        (whoosh's matcher path, where every match is added)."""
        if not self.counted and not self.loose:
            return len(self.best)
        return len(self.counted) + self.loose

    def results(self):
        # Ties in rank go by group label (its first copy's id), which no index layout
        # changes; docnum order, whoosh's, depends on how a parallel build split the
        # articles across segments. Uncollapsed (every copy its own group), ties stay
        # in index order.
        def order(item):
            key, (rank, _score, docnum) = item
            neg = tuple(-r for r in rank) if isinstance(rank, tuple) else -rank
            return (neg, key if isinstance(key, bytes) else b"", docnum)

        top = heapq.nsmallest(self.limit, self.best.items(), key=order)
        return self.results_of([(score, docnum) for _key, (_rank, score, docnum) in top])
