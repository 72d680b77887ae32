"""The documents a query matches in one segment, unscored (``matching_set``): what a
count needs (``QueryPlan.total``: the cross hint's "N articles mention …", did-you-mean's
checks, ``Searcher.count``).

The block scorer (``search.blockscore``) computes a BM25F score for every match, and a
count then drops them: the cross hint spent ~5 ms a query there on the 15k corpus, much
of it reading the positions of translations that are phrases (natural disaster) in
every article holding their words. Here a term is its postings' ids (only the blocks
that can hold a document still wanted are decoded), an OR a union (a later part looked
for only where no earlier one matched), an AND (and a Ranked node's required clauses)
an intersection, the smallest first and each later part read only where all before
matched. Anything else (phrases, quoted phrases as written, date ranges, wildcards, NOT
alone) is left to the block scorer, restricted to those documents (a phrase further to
those holding all its words), and its matches taken from the scores' keys. So the set
is exactly the block scorer's matches, the documents ``SegmentScorer.scores`` gives
(deleted ones are dropped by the caller, as there).
"""

from __future__ import annotations

from whoosh import query as wq

from indexer.whoosh_internals.postings import term_blocks

from .matching import Ranked, _term_docs


def matching_set(scorer, q) -> set:
    """The documents of ``scorer``'s segment (a ``SegmentScorer``) that ``q`` matches;
    deleted ones may be in it."""
    return _Sets(scorer).exact(q, None)


_FEW = 512  # documents looked for few enough to skip the posting blocks without one


def _term_docs_within(reader, fieldname: str, text, only: set) -> set:
    """``_term_docs(...) & only``, decoding only the posting blocks whose range of ids
    holds one of ``only``."""
    found = term_blocks(reader, fieldname, text)
    if found is None:
        return set()
    _btext, blocks = found
    if blocks is None:
        return _term_docs(reader, fieldname, text) & only
    wanted = sorted(only)
    out: set = set()
    j, n = 0, len(wanted)
    while blocks.active() and j < n:
        top = blocks.max_id()
        if wanted[j] <= top:
            out.update(d for d in blocks.ids() if d in only)
            while j < n and wanted[j] <= top:
                j += 1
        blocks.next()
    return out


class _Sets:
    """One count's look-ups in one segment: each term's documents read once."""

    def __init__(self, scorer):
        self.scorer = scorer
        self._terms: dict[tuple, set] = {}

    def term(self, fieldname: str, text, only: set | None = None) -> set:
        """The documents with the term (within ``only``: only the posting blocks that
        can hold one of them are decoded, as the block scorer reads them)."""
        key = (fieldname, text)
        got = self._terms.get(key)
        if got is not None:
            return got if only is None else got & only
        if only is None or len(only) > _FEW:
            got = self._terms[key] = _term_docs(self.scorer.reader, fieldname, text)
            return got if only is None else got & only
        return _term_docs_within(self.scorer.reader, fieldname, text, only)

    def bound(self, q, only: set | None) -> set | None:
        """The documents (within ``only``) holding every word of a phrase or term, from
        postings alone: every match is among them (None: no bound)."""
        child = getattr(q, "child", None)  # search.exact's ExactPhrase: within its child's
        if isinstance(child, wq.Query):
            return self.bound(child, only)
        if type(q) is wq.Term:
            return self.term(q.fieldname, q.text, only)
        if type(q) is not wq.Phrase or not q.words:
            return None
        # the rarest word first, the others read only where it is
        words = sorted(q.words, key=lambda w: self._frequency(q.fieldname, w))
        out = only
        for w in words:
            out = self.term(q.fieldname, w, out)
            if not out:
                return set()
        return out

    def _frequency(self, fieldname: str, text) -> int:
        reader = self.scorer.reader
        try:
            return reader.doc_frequency(fieldname, text)
        except (KeyError, ValueError):
            return 0

    # -- the matches, within ``only`` when given -----------------------------------------

    def exact(self, q, only: set | None) -> set:
        if only is not None and not only:
            return set()
        kind = type(q)
        if kind is wq.Term:
            return set(self.term(q.fieldname, q.text, only))
        if kind is wq.Phrase or isinstance(getattr(q, "child", None), wq.Query):
            # read where its words all are (a phrase's positions, a quoted phrase's text)
            bound = self.bound(q, only)
            if bound is not None:
                only = bound if only is None else bound & only
                if not only:
                    return set()
            return self._scored(q, only)
        if kind in (wq.Or, wq.And) and len(q.subqueries) == 1:
            return self.exact(q.subqueries[0], only)
        if kind is wq.Or and not q.minmatch and not q.scale:
            out: set = set()
            # a union: what an earlier part matched need not be looked for again, and
            # terms (ids alone) go before phrases (positions read)
            subs = sorted(q.subqueries, key=lambda s: type(s) is not wq.Term)
            for sub in subs:
                out |= self._rest(sub, only, out)
            return out
        if kind is wq.And and q.subqueries:
            positive = [s for s in q.subqueries if not isinstance(s, wq.Not)]
            if not positive:
                return self._scored(q, only)
            out = self._every(positive, only)
            for sub in q.subqueries:
                if isinstance(sub, wq.Not) and out:
                    out -= self.exact(sub.query, out)
            return out
        if kind is Ranked:
            required = [s for s, r in zip(q.subqueries, q.required, strict=True) if r]
            if q.mode == "all" or (required and len(required) == len(q.subqueries)):
                return self._every(list(q.subqueries), only)
            if required:
                only = self._every(required, only)
                if not only:
                    return set()
            out = set()
            for sub in q.subqueries:
                out |= self._rest(sub, only, out)
            return out
        if kind is wq.AndNot:
            out = self.exact(q.a, only)
            if out:
                out -= self.exact(q.b, out)
            return out
        if kind is wq.Require:
            out = self.exact(q.a, only)
            return self.exact(q.b, out) if out else out
        if q is wq.NullQuery:
            return set()
        return self._scored(q, only)

    def _rest(self, q, only: set | None, out: set) -> set:
        """``exact(q, only)`` for a part of a union, less the documents ``out`` the parts
        before it matched already. With ``only`` None a phrase (or a quoted phrase) is read
        where its words all are (``bound``) and ``out`` is not: its positions are not
        decoded in the articles an earlier part found (``military exercise Malaysia``'s
        cross hint, at 10x: ~40 ms of translations' positions)."""
        if only is not None:
            return self.exact(q, only - out)
        if out and type(q) is not wq.Term:
            bound = self.bound(q, None)
            if bound is not None:
                return self.exact(q, bound - out)
        return self.exact(q, None)

    def _every(self, subs: list, only: set | None) -> set:
        """The documents every one of ``subs`` matches: the smallest first (whoosh's size
        estimate, as the block scorer orders them), each later one read only where all
        before matched."""
        subs = sorted(subs, key=self.scorer._size)
        out = self.exact(subs[0], only)
        for sub in subs[1:]:
            if not out:
                break
            out = self.exact(sub, out)
        return out

    def _scored(self, q, only: set | None) -> set:
        """The block scorer's matches of ``q`` (within ``only``)."""
        return set(self.scorer._eval(q, only))
