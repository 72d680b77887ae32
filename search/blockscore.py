"""Scoring a query a posting block at a time, for the query shapes mlsearch's parser makes.

Whoosh scores a query document by document through a tree of matcher objects: a word
spread over five language fields is a tree of union matchers, and two words intersect two
such trees, every step a few Python calls deep. On 153k articles that cost 20-40 µs per
matching article, and common words match tens of thousands (``politik`` 328 ms,
``balik Malaysia`` 862 ms, with the build running beside it).

Here each term's postings are read a block at a time, their BM25F scores computed in one
loop from the block's arrays and the field-length column, and ANDs, ORs and NOTs become
dict and set operations. The arithmetic is whoosh's own, term by term, so every document
gets the score whoosh gives it (to rounding in the order of sums). Anything else in a
query (phrases, wildcards, fuzzy terms, ranges) is left to whoosh's matcher for that part,
and its matches and scores are read from it.

Whoosh's posting blocks are read through ``indexer.whoosh_internals.postings``, the field
lengths through the open index's cache (``search.cache``).
"""

from __future__ import annotations

import bisect
import heapq
import operator
from typing import NamedTuple

from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F, BM25FScorer, WeightScorer
from whoosh.util.numeric import length_to_byte

from indexer.analyse.normalize import HAN_RUN
from indexer.schema import lang_field, split_field
from indexer.whoosh_internals.postings import (
    all_scores,
    matches_at,
    posting_blocks,
    term_blocks,
    term_matcher,
)

from .cache import IndexCache, nth_group_score
from .exact import ExactPhrase
from .matching import COVERAGE_POWER, RESCORE_WINDOW, Ranked, _term_docs
from .matching import _positions as whoosh_positions

Scores = dict  # segment docnum -> score
_PLAIN = object()  # a term of a field without lengths: its weight is its score
# Articles of the common words below which a page in date order scores every match: at
# 10x, ``defence cooperation`` (about 1,700 in a segment) took 11 ms scored whole and
# 16 ms split then declined (too few articles with both words for the proximity window).
_WORTH_SPLITTING = 10 * RESCORE_WINDOW


class _BM25Figures(NamedTuple):
    """The figures of whoosh's BM25FScorer that the block scorer reads."""

    idf: float
    avgfl: float
    B: float
    K1: float


def _tree_sum(parts: list[Scores], docs: list) -> Scores:
    """Each document's scores in ``parts`` summed as whoosh's binary matcher trees sum
    them (left half + right half), a level of the tree at a time over all of ``docs``."""
    if len(parts) == 1:
        (a,) = parts
        return {d: a[d] for d in docs}
    if len(parts) == 2:
        a, b = parts
    else:
        half = len(parts) // 2
        a, b = _tree_sum(parts[:half], docs), _tree_sum(parts[half:], docs)
    return {d: a[d] + b[d] for d in docs}


def _in_sequence(positions) -> bool:
    """Whether the words' positions (an iterable of each word's, in phrase order) have a
    place where each word stands one after the one before. Read lazily: the words after
    one that rules the document out are not decoded."""
    it = iter(positions)
    starts = set(next(it, ()))
    for i, here in enumerate(it, 1):
        if not starts:
            return False
        starts &= {p - i for p in here}
    return bool(starts)


class _Split(NamedTuple):
    """A ranked query split by ``SegmentScorer._split``: the clauses' weights, the common
    clauses' bounds alone (by clause), the clauses' scores so far, the common clauses'
    articles (by clause), all of them, the articles scored, and the bound of an article
    with one common word alone (the largest of ``bounds``)."""

    weights: list
    bounds: dict
    parts: list
    ids: dict
    seen: set
    wanted: set
    bound: float = 0.0


class _KeptBlocks:
    """``PostingBlocks`` over a term's blocks decoded already (``_term_ids``)."""

    __slots__ = ("_blocks", "_i")

    def __init__(self, blocks: list):
        self._blocks = blocks
        self._i = 0

    def active(self) -> bool:
        return self._i < len(self._blocks)

    def max_id(self) -> int:
        return self._blocks[self._i][0]

    def ids(self):
        return self._blocks[self._i][1]

    def weights(self):
        return self._blocks[self._i][2]

    def next(self) -> None:
        self._i += 1


class SegmentScorer:
    """Scores queries on one segment (``sub``, a leaf searcher of ``top``)."""

    def __init__(self, top, sub, context, cache: IndexCache):
        self.top = top
        self.sub = sub
        self.reader = sub.reader()
        self.context = context
        self.weighting = context.weighting if context is not None else top.weighting
        self.cache = cache
        self.segment = cache.segment(self.reader)
        self.deleted = self.reader.deleted_docs_set if self.reader.has_deletions() else None
        # Set by ``search.collect.run_page`` for a query that is one Ranked node, ranked
        # by relevance: the groups its page needs. The scores then need only be exact for
        # the documents that can be on that page (``_ranked_pruned``): the others of a
        # common word are counted but not scored.
        self.page_groups = 0
        # Set by ``search.collect.run_page`` for a query that is one Ranked node in date
        # order: ``page_among(scores)``, the documents of those matches that can be on the
        # page (``CollapsingTop.date_candidates``); proximity is read for those alone.
        self.page_query = None
        self.page_among = None
        self._sizes: dict = {}  # id(query node) -> (node, its estimate_size here)
        self._decoded: dict = {}  # (field, term bytes) -> its blocks (``_term_ids``)

    def scores(self, q) -> Scores:
        out = self._eval(q, None)
        if self.deleted:
            out = {d: s for d, s in out.items() if d not in self.deleted}
        return out

    # --- nodes ---------------------------------------------------------------------------
    # ``only``: None, or the documents that can still match (a set): the others need not
    # be scored, and a term's blocks holding none of them are not even decoded.

    def _eval(self, q, only) -> Scores:
        if only is not None and not only:
            return {}
        kind = type(q)
        if kind is wq.Term:
            return self._term(q, only)
        if kind is wq.Phrase and q.slop == 1:
            return self._phrase(q, only)
        if kind is ExactPhrase:
            return self._exact(q, only)
        if kind is wq.NumericRange and q.fieldname == "date" and q.constantscore:
            return self._date_range(q, only)
        if kind in (wq.Or, wq.And) and len(q.subqueries) == 1:
            return self._eval(q.subqueries[0], only)  # whoosh drops a lone child's parent
        if kind is wq.Or and not q.minmatch and not q.scale:
            parts = [self._eval(s, only) for s in q.subqueries]
            return self._boosted(self._union(parts), q.boost)
        if kind is wq.And and q.subqueries:
            return self._boosted(self._and(q.subqueries, only), q.boost)
        if kind is Ranked:
            return self._ranked(q, only)
        if kind is wq.AndNot:
            return self._minus(self._eval(q.a, only), q.b)
        if kind is wq.Require:
            scores = self._eval(q.a, only)
            keep = self._eval(q.b, set(scores))
            return {d: s for d, s in scores.items() if d in keep}
        if q is wq.NullQuery:
            return {}
        return self._generic(q, only)

    @staticmethod
    def _boosted(scores: Scores, boost: float) -> Scores:
        if boost == 1.0:
            return scores
        return {d: s * boost for d, s in scores.items()}

    @staticmethod
    def _union(parts: list[Scores]) -> Scores:
        # whoosh sums a union as a balanced binary tree, left + right: the same here
        if not parts:
            return {}
        if len(parts) == 1:
            return parts[0]
        half = len(parts) // 2
        a = SegmentScorer._union(parts[:half])
        b = SegmentScorer._union(parts[half:])
        if len(a) < len(b):
            out = dict(b)
            for d, s in a.items():
                other = out.get(d)
                out[d] = s if other is None else s + other
        else:
            out = dict(a)
            for d, s in b.items():
                other = out.get(d)
                out[d] = s if other is None else other + s
        return out

    def _and(self, subs, only) -> Scores:
        positive = [s for s in subs if not isinstance(s, wq.Not)]
        if not positive:
            return self._generic(wq.And(subs), only)
        # Smallest first: each later part is scored only where all before it matched.
        positive.sort(key=self._size)
        out = self._eval(positive[0], only)
        for sub in positive[1:]:
            if not out:
                return out
            part = self._eval(sub, set(out))
            out = {d: s + part[d] for d, s in out.items() if d in part}
        for sub in subs:
            if isinstance(sub, wq.Not):
                out = self._minus(out, sub.query)
        # whoosh intersects with a NOT's inverse matcher, which scores its boost
        bonus = sum(s.boost for s in subs if isinstance(s, wq.Not))
        if bonus:
            out = {d: s + bonus for d, s in out.items()}
        return out

    def _size(self, q) -> int:
        """Whoosh's ``estimate_size`` of ``q`` in this segment, asked once per node (a
        word over five language fields is a dozen term look-ups)."""
        got = self._sizes.get(id(q))
        if got is not None and got[0] is q:
            return got[1]
        if isinstance(q, wq.NumericRange):
            n = self.reader.doc_count_all()  # checked per candidate: cheap last
        else:
            n = q.estimate_size(self.reader)
        self._sizes[id(q)] = (q, n)
        return n

    def _minus(self, scores: Scores, q) -> Scores:
        if not scores:
            return scores
        drop = self._eval(q, set(scores))
        return {d: s for d, s in scores.items() if d not in drop}

    def _generic(self, q, only) -> Scores:
        """Whoosh's own matcher for this part of the query: its matches and scores."""
        m = q.matcher(self.sub, self.context)
        if only is None:
            return all_scores(m)
        return {d: m.score() for d in matches_at(m, sorted(only))}

    def _term(self, q, only) -> Scores:
        found = self._postings(q.fieldname, q.text, only)
        if found is None:
            return self._generic(q, only)
        return self._boosted(found[0], q.boost)

    def _phrase(self, q, only) -> Scores:
        """Consecutive words (whoosh's Phrase, slop 1): where each word stands one position
        after the one before, the words' term scores summed as whoosh's intersection
        tree sums them. Chinese words of three or more characters are such phrases of
        character bigrams, so every such query word is one."""
        try:
            field = self.sub.schema[q.fieldname]
        except KeyError:
            return {}
        if not field.format or not field.format.supports("positions"):
            return self._generic(q, only)
        words = list(q.words)
        if not words:
            return {}
        try:
            texts = [field.to_bytes(w) for w in words]
        except ValueError:
            return {}
        reader = self.reader
        if any((q.fieldname, t) not in reader for t in texts):
            return {}
        order = sorted(range(len(texts)), key=lambda i: reader.doc_frequency(q.fieldname, texts[i]))
        # Chinese bigrams whose word field has the word: most documents are known to hold
        # the phrase, and the others' positions are read apart (``_positions``)
        whole = self._whole_word_docs(q.fieldname, words)
        found: list = [None] * len(texts)
        for i in order:
            got = self._postings(q.fieldname, texts[i], only, values=not whole)
            if got is None:
                return self._generic(q, only)
            found[i] = got
            only = set(got[0]) if only is None else only.intersection(got[0])
            if not only:
                return {}
        if whole:
            rest = only - whole
            lists = [self._positions(q.fieldname, t, rest) if rest else {} for t in texts]
            held = whole.intersection(only)
            held.update(d for d in rest if _in_sequence(p.get(d, ()) for p in lists))
        else:
            decode = field.format.decode_positions
            encoded = [got[1] for got in found]
            held = {d for d in only if _in_sequence(decode(v[d]) for v in encoded)}
        # in the order of ``only``, as every scorer's dict is (ties in the proximity window
        # go by it)
        out = _tree_sum([got[0] for got in found], [d for d in only if d in held])
        return self._boosted(out, q.boost)

    def _whole_word_docs(self, fieldname: str, words: list) -> set:
        """The documents known to hold a phrase of character bigrams (``title_zh2``:
        "现代 代化") without reading its positions: those whose word field of the same
        text (``title_zh``) has the Chinese word the bigrams spell (现代化) as a term. A
        jieba word is a piece of one Han run, and a run's bigrams stand at consecutive
        positions, so every such document holds the phrase (at 10x, 2,636 of the 2,636
        documents with both bigrams of 现代化 in their body). Empty for other phrases."""
        part_lang = split_field(fieldname)
        if part_lang is None or part_lang[1] != "zh2" or len(words) < 2:
            return set()
        if any(len(w) != 2 for w in words) or any(
            a[1] != b[0] for a, b in zip(words, words[1:], strict=False)
        ):
            return set()
        word = words[0] + "".join(w[1] for w in words[1:])
        if not HAN_RUN.fullmatch(word):
            return set()
        return self._term_ids(lang_field(part_lang[0], "zh"), word)

    def _ranked(self, q: Ranked, only) -> Scores:
        """The clauses scored one by one and combined by the matching model
        (``Ranked.combine``). Required clauses go first and narrow the others."""
        known = None  # clauses _ranked_pruned scored everywhere, when it declined after
        if only is None and q.mode == "ranked" and not any(q.required):
            pruned = None
            if self.page_groups:
                pruned, known = self._ranked_pruned(q)
            elif q is self.page_query and self.page_among is not None:
                pruned, known = self._ranked_dated(q)
            if pruned is not None:
                return pruned
        # The weights first when every clause is scored (the blocks they decode are scored
        # from); with a required word, after it is found (a segment without it needs none).
        weights = None if any(q.required) else self._weights(q)
        parts: list = [None] * len(q.subqueries)
        given = only
        order = sorted(
            range(len(q.subqueries)),
            key=lambda i: (not q.required[i], self._size(q.subqueries[i])),
        )
        for i in order:
            if known is not None and known[i] is not None:
                parts[i] = known[i]  # scored everywhere already (only is None)
            else:
                parts[i] = self._eval(q.subqueries[i], only)
            if q.required[i]:
                only = set(parts[i]) if only is None else only.intersection(parts[i])
                if not only:
                    q.remember(self.reader, None, given)  # nothing here has that word
                    return {}
        q.remember(self.reader, parts, given)
        among = self.page_among if q is self.page_query and given is None else None
        if weights is None:
            weights = self._weights(q)
        return q.combine(parts, weights, self._positions, among)

    def _weights(self, q: Ranked) -> list[float]:
        """``q.weights``, and the posting blocks of this segment it decoded to count the
        clauses' articles taken over (``Ranked.blocks_decoded``): ``_term_ids`` and
        ``_postings`` read them from ``_decoded`` instead of decoding them again."""
        weights = q.weights(self.top, self.cache)
        for key, kept in q.blocks_decoded(self.reader).items():
            self._decoded.setdefault(key, kept)
        return weights

    def _ranked_pruned(self, q: Ranked) -> tuple[Scores | None, list | None]:
        """``_ranked`` for one page (``page_groups``) of a ranked query with common words
        (top-k pruning with an exact count, MaxScore-like): the common words (``E``: word
        clauses with ``RESCORE_WINDOW`` articles or more) are first read as ids alone;
        an article with one of them alone (no other clause) is counted, unscored, and
        given score 0; the rest are scored: every clause outside ``E`` everywhere, those
        of ``E`` only where another clause matched.

        An article with clause ``i`` alone scores at most its bound (``_bound``: each
        term's largest BM25F score, from its largest frequency in its shortest document)
        times ``i``'s share of the query's weight squared; ``bound`` is the largest of
        those over ``E``; proximity leaves them as they are. An article of the others
        scoring at most that may stand in the proximity window here and not when
        everything is scored: at most its score here either way. So when
        ``page_groups`` groups score above all of those (``floor``), the page, its scores
        and the proximity window of the articles above are what scoring every match
        gives, and the total counts every match. When too few do, the common clause of
        the largest bound is scored everywhere (``_promoted``) and the next bound tried.
        Returns ``(scores, None)``; ``(None, parts)`` when it cannot say (``parts``: the
        clauses scored everywhere, for ``_ranked`` to reuse), ``(None, None)`` for no
        common word or a clause shape without a bound."""
        split = self._split(q)
        if split is None:
            return None, None  # no common word: nothing to save
        while True:
            scores = self._pruned_page(q, split)
            if scores is not None:
                return scores, None
            if len(split.ids) < 2:
                return self._declined(q, split)
            # The bound is the common clause with the largest one's: scored everywhere, it
            # is common no more, and the bound falls to the next (``military exercise
            # Malaysia``: two words in a few hundred articles, bound 10.2, above which 7
            # articles scored; Malaysia in 14k).
            split = self._promoted(q, split)

    def _ranked_dated(self, q: Ranked) -> tuple[Scores | None, list | None]:
        """``_ranked`` for a page in date order (``page_among``) of a ranked query with
        common words: ``_split``'s clauses, and of the articles with one common word
        alone, only those that can be on the page (its newest) scored. The others are
        counted and given score 0: no score of theirs is read.

        The scores of those on the page are what scoring every match gives when the
        proximity window holds none of the unscored: when the ``RESCORE_WINDOW``-th best
        score of the scored is above ``split.bound``, which none of the unscored can
        exceed (see ``_ranked_pruned``). Returns as ``_ranked_pruned`` does."""
        split = self._split(q, most=True)
        if split is None:
            return None, None
        edge = RESCORE_WINDOW
        while True:  # as in _ranked_pruned, common clauses of the largest bound promoted
            if len(split.wanted) >= edge:
                before = q.combine(split.parts, split.weights, None)  # before proximity
                ordered = heapq.nlargest(edge + 1, before.values())
                if len(ordered) >= edge and ordered[edge - 1] > split.bound:
                    break
            if len(split.ids) < 2:
                return None, self._scored_whole(split)  # the window may hold an unscored
            split = self._promoted(q, split)
        parts, weights = split.parts, split.weights
        matches = split.seen.union(*(p for i, p in enumerate(parts) if i not in split.ids))
        page = self.page_among(dict.fromkeys(matches, 0.0))
        if page is None:
            return None, self._scored_whole(split)
        alone = page - split.wanted  # on the page, with a common word alone: below the edge
        if alone:
            for i, docs in split.ids.items():
                parts[i].update(self._eval(q.subqueries[i], alone & docs))
            before.update(q.combine([{d: p[d] for d in alone if d in p} for p in parts], weights))
            split = split._replace(wanted=split.wanted | alone)
        if len(ordered) > edge and ordered[edge - 1] == ordered[edge]:
            before = self._in_full_order(q, split, before)  # as _pruned_page does
        scores = before
        if q.proximity and (q.near or q.whole):
            scores = q._near(before, self._positions, lambda _scores: page)
        q.remember(self.reader, parts, None)
        for d in split.seen.difference(scores):
            scores[d] = 0.0  # counted, never on the page
        return scores, None

    @staticmethod
    def _scored_whole(split: _Split) -> list:
        """The clauses of ``split`` scored everywhere (None for the common ones), for
        ``_ranked`` to score the rest: a common word's blocks are decoded already, and
        scoring them whole costs less than the articles left (``kerjasama pertahanan``
        in date order at 10x: 23 ms that way, 35 ms through ``_declined``)."""
        return [None if i in split.ids else part for i, part in enumerate(split.parts)]

    def _pruned_page(self, q: Ranked, split: _Split) -> Scores | None:
        """``_ranked_pruned``'s scores for ``split``, or None when too few groups score
        above its bound to say."""
        parts, weights, bound = split.parts, split.weights, split.bound
        before = q.combine(parts, weights, None)  # before proximity
        ordered = sorted(before.values(), reverse=True)
        edge = RESCORE_WINDOW
        if len(ordered) > edge and bound < ordered[edge - 1] == ordered[edge]:
            # the window's pick among tied articles goes by the order of the documents when
            # everything is scored (a set's): taken from the clauses' ids alone
            before = self._in_full_order(q, split, before)
        deleted = self.deleted or ()
        # Only an article above the bound before proximity can end above ``floor``: too
        # few of them, and proximity need not be read to decline.
        if sum(1 for d, s in before.items() if s > bound and d not in deleted) < self.page_groups:
            return None
        scores = before
        skipped: set = set()  # of the window, below the page whatever proximity gives
        if q.proximity and (q.near or q.whole):
            scores = q._near(before, self._positions, edge=self._page_edge, skipped=skipped)
        # Articles at or below the bound may stand in the window here and not when the
        # common words' articles are all scored (proximity only raises a score): at most
        # ``floor`` either way, as is every article with a common word alone. Those
        # skipped are below the page's ``page_groups`` groups, of articles raised here.
        floor = max((scores[d] for d, s in before.items() if s <= bound), default=bound)
        floor = max(floor, bound)
        top = [d for d, s in scores.items() if s > floor and d not in deleted]
        if skipped:
            top = [d for d in top if d not in skipped]
        labels = self.segment.group_labels()
        if labels is None:
            groups = len(top)
        else:  # each group once, each article without one once
            named = set(map(labels.__getitem__, top))
            loose = operator.countOf(map(labels.__getitem__, top), None)
            groups = len(named) - (None in named) + loose
        if groups < self.page_groups:
            return None
        q.remember(self.reader, parts, None)
        for d in split.seen.difference(scores):
            scores[d] = 0.0  # counted, never on the page: below every article above
        return scores

    def _page_edge(self, raised: Scores) -> float | None:
        """The score of the ``page_groups``-th best group of the live articles of
        ``raised`` (``nth_group_score``); None when they are fewer: what an article of
        the proximity window must reach to be on the page (``Ranked._near``)."""
        deleted = self.deleted or ()
        live = [(d, s) for d, s in raised.items() if d not in deleted]
        live.sort(key=operator.itemgetter(1), reverse=True)
        return nth_group_score(live, self.segment.group_labels(), self.page_groups)

    def _split(self, q: Ranked, most: bool = False) -> _Split | None:
        """The start of ``_ranked_pruned``: the common word clauses
        (``E``: word clauses with ``RESCORE_WINDOW`` articles or more here and a bound)
        read as ids, every other clause scored everywhere, those of ``E`` where another
        clause matched; None without such a clause, or with ``most`` when they are not
        most of the clauses' articles, or fewer than ``_WORTH_SPLITTING`` (little to
        leave unscored: ``大美 中国`` in date order, 大美 in 153 articles of a segment,
        中国 in 9,194)."""
        sizes = [self._size(s) for s in q.subqueries]
        weights = self._weights(q)
        total_weight = sum(weights) or 1.0
        common: dict = {}  # clause -> its bound alone
        for i, sub in enumerate(q.subqueries):
            if sizes[i] < RESCORE_WINDOW or not self._is_word(sub):
                continue
            got = self._bound(sub)
            if got is not None:
                common[i] = got * (weights[i] / total_weight) ** COVERAGE_POWER
        if not common:
            return None
        if most:
            size = sum(sizes[i] for i in common)
            if size < _WORTH_SPLITTING or 2 * size <= sum(sizes):
                return None
        parts: list = [None] * len(sizes)
        for i, sub in enumerate(q.subqueries):
            if i not in common:
                parts[i] = self._eval(sub, None)
        others = set().union(*(p for p in parts if p is not None))
        # The common clauses' articles (deleted ones too: they stand in the proximity
        # window as when everything is scored), and those with two of them or more.
        ids = {i: self._clause_ids(q.subqueries[i]) for i in common}
        seen: set = set()
        multi: set = set()
        for docs in ids.values():
            multi |= seen & docs
            seen |= docs
        wanted = others | multi
        for i in common:
            parts[i] = self._eval(q.subqueries[i], wanted & ids[i]) if wanted else {}
        return _Split(weights, common, parts, ids, seen, wanted, self._split_bound(q, common))

    @staticmethod
    def _split_bound(q: Ranked, bounds: dict) -> float:
        return max(bounds.values()) * q.boost * (1.0 + 1e-9)

    def _promoted(self, q: Ranked, split: _Split) -> _Split:
        """``split`` with its common clause of the largest bound (the smallest of those
        that tie) scored everywhere, as the clauses outside ``E`` are. The others need
        no more scoring: where that clause's articles have another common word they were
        scored already (two common words)."""
        c = max(split.ids, key=lambda i: (split.bounds[i], -len(split.ids[i])))
        parts = list(split.parts)
        parts[c] = self._eval(q.subqueries[c], None)  # at once: the order _ranked gives
        ids = {i: docs for i, docs in split.ids.items() if i != c}
        bounds = {i: b for i, b in split.bounds.items() if i != c}
        return split._replace(
            bounds=bounds,
            parts=parts,
            ids=ids,
            wanted=split.wanted | split.ids[c],
            bound=self._split_bound(q, bounds),
        )

    def _in_full_order(self, q: Ranked, split: _Split, before: Scores) -> Scores:
        """``before`` in the order ``combine`` gives the documents when every clause is
        scored everywhere (``_ranked``): the set of them all, made from each clause's
        documents in the order its scores would list them (``_keys``), so that the
        proximity window takes the same ones of articles that tie."""
        parts = [
            self._keys(sub) if i in split.ids else part
            for i, (sub, part) in enumerate(zip(q.subqueries, split.parts, strict=True))
        ]
        return {d: before[d] for d in set().union(*parts) if d in before}

    def _keys(self, q) -> dict:
        """The documents of a word clause (``_is_word``) in the order ``_eval(q, None)``
        lists them (its keys, valued None): a term's in posting order, an OR's as
        ``_union`` merges its parts."""
        if type(q) is wq.Term:
            try:
                btext = self.sub.schema[q.fieldname].to_bytes(q.text)
            except (KeyError, ValueError):
                btext = None
            kept = self._decoded.get((q.fieldname, btext))
            if kept is None:
                return dict.fromkeys(self._eval(q, None))
            out: dict = {}
            for _top, ids, _weights in kept:
                out.update(dict.fromkeys(ids))
            return out
        if len(q.subqueries) == 1:
            return self._keys(q.subqueries[0])
        return self._union_keys([self._keys(sub) for sub in q.subqueries])

    @classmethod
    def _union_keys(cls, parts: list[dict]) -> dict:
        """``_union``'s order of keys: the larger half's first, then the other's new ones."""
        if not parts:
            return {}
        if len(parts) == 1:
            return parts[0]
        half = len(parts) // 2
        a = cls._union_keys(parts[:half])
        b = cls._union_keys(parts[half:])
        out = dict(b) if len(a) < len(b) else dict(a)
        out.update(a if len(a) < len(b) else b)
        return out

    def _declined(self, q: Ranked, split: _Split) -> tuple[None, list]:
        """Every clause of a ``_split`` scored everywhere, for ``_ranked``: the common ones
        on the articles where they stand alone too (a document's score is the same
        whatever others are scored beside it). Their articles then come in another order
        than when scored at once: should the proximity window's last place be a tie,
        which article takes it goes by that order, and they are scored again at once."""
        parts = split.parts
        for i, docs in split.ids.items():
            parts[i].update(self._eval(q.subqueries[i], docs - split.wanted))
        if q.proximity and (q.near or q.whole):
            everything = q.combine(parts, split.weights, None).values()
            edge = heapq.nlargest(RESCORE_WINDOW + 1, everything)
            if len(edge) > RESCORE_WINDOW and edge[-1] == edge[-2]:
                return None, [None if i in split.ids else p for i, p in enumerate(parts)]
        return None, parts

    def _bound(self, q) -> float | None:
        """The most BM25F can score ``q`` (a word: a term or an OR of terms) in any
        document: per term idf * (K1 + 1); None for other shapes or weightings."""
        kind = type(q)
        if kind is wq.Term:
            if type(self.weighting) is not BM25F or q.fieldname not in self.sub.schema:
                return None
            try:
                btext = self.sub.schema[q.fieldname].to_bytes(q.text)
            except ValueError:
                return 0.0
            if (q.fieldname, btext) not in self.reader:
                return 0.0
            figures = self._bm25(q.fieldname, btext)
            if figures is _PLAIN:
                return None
            k1p1 = figures.K1 + 1
            # the score grows with the frequency and falls with the length: the term's
            # largest frequency (its entry's, a float32 at worst: a hair more) in its
            # shortest document (a length byte, as scoring reads lengths)
            info = self.reader.term_info(q.fieldname, btext)
            tf = (info.max_weight() or 0) * (1 + 1e-6)
            if tf <= 0:
                return figures.idf * k1p1 * q.boost  # tf unbounded: idf * (K1 + 1)
            parts = self.cache.length_parts(q.fieldname, figures)
            shortest = parts[length_to_byte(info.min_length())]
            return figures.idf * (tf * k1p1) / (tf + shortest) * q.boost
        if kind is wq.Or and not q.minmatch and not q.scale:
            total = 0.0
            for sub in q.subqueries:
                got = self._bound(sub)
                if got is None:
                    return None
                total += got
            return total * q.boost
        return None

    @classmethod
    def _is_word(cls, q) -> bool:
        """A term, or an OR of them (a word spread over the language fields)."""
        if type(q) is wq.Term:
            return True
        return type(q) is wq.Or and all(cls._is_word(s) for s in q.subqueries)

    def _clause_ids(self, q) -> set:
        """The documents a word clause (``_is_word``) matches here, deleted ones too,
        their ids unscored."""
        if type(q) is wq.Term:
            return self._term_ids(q.fieldname, q.text)
        out: set = set()
        for sub in q.subqueries:
            out |= self._clause_ids(sub)
        return out

    def _term_ids(self, fieldname: str, text) -> set:
        """A term's documents here, deleted ones too; its decoded blocks are kept for
        ``_postings`` to score them without reading them again."""
        schema = self.sub.schema
        try:
            kept = self._decoded.get((fieldname, schema[fieldname].to_bytes(text)))
        except (KeyError, ValueError):
            kept = None
        if kept is None:  # decoded here, kept in ``_decoded`` by (field, term bytes)
            return _term_docs(
                self.reader, fieldname, text, deleted=True, keep=self._decoded, schema=schema
            )
        out: set = set()  # decoded already (``_weights``)
        for _top, ids, _weights in kept:
            out.update(ids)
        return out

    def _positions(self, field: str, term, docs) -> dict:
        """Positions of ``term`` in ``field`` for the documents ``docs``: the posting
        blocks whose range of ids holds one of them have their ids decoded, and their
        values only when one is there; nothing is scored (proximity's window asks each
        field for all its documents, most of them without the term there)."""
        found = term_blocks(self.reader, field, term, self.sub.schema)
        if found is None:
            return {}
        blocks = found[1]
        if blocks is None:
            return whoosh_positions(self.sub, field, term, docs)
        decode = self.sub.schema[field].format.decode_positions
        wanted = sorted(docs)
        out: dict = {}
        j, n = 0, len(wanted)
        while blocks.active() and j < n:
            top = blocks.max_id()
            if wanted[j] <= top:
                end = bisect.bisect_right(wanted, top, j)
                ids = blocks.ids()
                size = len(ids)
                here = []
                for d in wanted[j:end]:
                    k = bisect.bisect_left(ids, d)
                    if k < size and ids[k] == d:
                        here.append((d, k))
                if here:
                    values = blocks.values_at([k for _d, k in here])
                    for (d, _k), value in zip(here, values, strict=True):
                        out[d] = decode(value)
                j = end
            blocks.next()
        return out

    def _exact(self, q, only) -> Scores:
        """A quoted phrase as written (``search.exact``): its field's matches among the
        articles whose ``spell`` field has its words, where the stored title or body
        holds it."""
        exact, reader = q.exact, self.reader
        if q.trusted:
            scores = self._eval(q.child, only)
            # the phrase's bigram field need not read these again (国防部长: 30 -> 23 ms)
            exact.known_held(reader, q.part, scores)
            return scores
        docs = exact.spell_docs(reader)
        if docs is not None:
            only = docs if only is None else only & docs
            if not only:
                return {}
        scores = self._eval(q.child, only)
        if exact.by_spell:
            return scores  # the words as written were the whole test
        held, part = exact.held, q.part
        return {d: s for d, s in scores.items() if held(reader, part, d)}

    def _date_range(self, q, only) -> Scores:
        """``date:`` read from the date column rather than matched as the union of every
        precision term the range covers (on 153k articles ``date:2018`` alone took
        434 ms that way). Whoosh scores a range its boost, whatever the date."""
        dates = self.segment.dates()
        if dates is None:
            return {}
        column, missing = dates
        low = None if q.start is None else q.start + bool(q.startexcl)
        high = None if q.end is None else q.end - bool(q.endexcl)
        docs = range(len(column)) if only is None else only
        boost = q.boost
        out: Scores = {}
        for d in docs:
            when = column[d]
            if when != missing and (low is None or when >= low) and (high is None or when <= high):
                out[d] = boost
        return out

    def _bm25(self, fieldname: str, btext: bytes):
        """What whoosh's BM25F scorer for the term would hold (``BM25F.scorer``): its idf,
        the field's average length, B and K1; a WeightScorer for a field without
        lengths."""
        weighting = self.weighting
        if not self.sub.schema[fieldname].scorable:
            return _PLAIN
        parent = self.sub.get_parent()
        b = weighting._field_B.get(fieldname, weighting.B)
        return _BM25Figures(
            parent.idf(fieldname, btext), parent.avg_field_length(fieldname) or 1, b, weighting.K1
        )

    def _postings(self, fieldname, text, only, values: bool = False):
        """A term's BM25F scores (and with ``values`` its encoded postings) by docnum, for
        the documents in ``only`` when given; None when it is not ours to score."""
        reader = self.reader
        schema = self.sub.schema
        if fieldname not in schema:
            return {}, {}
        try:
            text = schema[fieldname].to_bytes(text)
        except ValueError:
            return {}, {}
        kept = None if values else self._decoded.get((fieldname, text))
        if type(self.weighting) is BM25F:
            # BM25F's figures without whoosh's scorer object, which reads the term's entry
            # a second time (for block quality, unused here); a missing term is known
            # from the one look-up the matcher makes
            if kept is None:
                try:
                    matcher = term_matcher(reader, fieldname, text)
                except TermNotFound:
                    return {}, {}
            scorer = self._bm25(fieldname, text)
        else:
            if (fieldname, text) not in reader:
                return {}, {}
            scorer = self.weighting.scorer(self.sub, fieldname, text)
            kept = None
            matcher = term_matcher(reader, fieldname, text, scorer=scorer)
        m = _KeptBlocks(kept) if kept is not None else posting_blocks(matcher)
        if m is None:
            return None
        if type(scorer) in (BM25FScorer, _BM25Figures):
            plain = False
            parts = self.cache.length_parts(fieldname, scorer)
            lengths = self.segment.lengths(fieldname)
            idf, k1p1 = scorer.idf, scorer.K1 + 1
        elif type(scorer) is WeightScorer or scorer is _PLAIN:
            plain = True  # a field without lengths (lang:, source:): its weight is its score
        else:
            return None
        out: Scores = {}
        vals: dict = {}
        if only is None:
            while m.active():
                ids, weights = m.ids(), m.weights()
                if plain:
                    out.update(zip(ids, weights, strict=True))
                else:
                    for d, tf in zip(ids, weights, strict=True):
                        # whoosh.scoring.bm25, K1 * ((1 - B) + B * fl / avgfl) by length
                        out[d] = idf * ((tf * k1p1) / (tf + parts[lengths[d]]))
                if values:
                    vals.update(zip(ids, m.values(), strict=True))
                m.next()
        else:
            wanted = sorted(only)
            j, n = 0, len(wanted)
            while m.active() and j < n:
                top = m.max_id()
                if wanted[j] <= top:  # the block may hold a wanted document: decode it
                    end = bisect.bisect_right(wanted, top, j)
                    ids, weights = m.ids(), m.weights()
                    if 4 * (end - j) < len(ids):
                        # few wanted here: each looked up in the block's ids (and only
                        # their values cut from the block)
                        size = len(ids)
                        here = []
                        for d in wanted[j:end]:
                            k = bisect.bisect_left(ids, d)
                            if k < size and ids[k] == d:
                                tf = weights[k]
                                out[d] = (
                                    tf if plain else idf * ((tf * k1p1) / (tf + parts[lengths[d]]))
                                )
                                here.append(k)
                        if values and here:
                            got = m.values_at(here)
                            vals.update(zip(map(ids.__getitem__, here), got, strict=True))
                    else:
                        block_values = m.values() if values else None
                        for k, (d, tf) in enumerate(zip(ids, weights, strict=True)):
                            if d in only:
                                out[d] = (
                                    tf if plain else idf * ((tf * k1p1) / (tf + parts[lengths[d]]))
                                )
                                if values:
                                    vals[d] = block_values[k]
                    j = end
                m.next()
        return out, vals
