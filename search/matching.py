"""The matching model: which articles a query finds, and how missing words and scattered
words weigh (issue 14).

A query's words (each typed word, quoted phrase, wildcard or parenthesised group) are its
*clauses*; ``lang:``, ``source:``, ``date:`` and ``NOT`` are constraints every hit meets,
and so is a clause typed with a leading ``+``. How the clauses combine is the *mode*:

- ``ranked`` (the default): every article with at least one of the words, its BM25F score
  scaled by the share of the query's weight it covers (``coverage``): a word found in few
  articles weighs more than a common one, so an article that lacks only a common word
  ranks close to one that has them all, and one that lacks the rare word falls far.
- ``all``: every word required (``--all-words``): grep-like, and what alerts use.
- ``any``: every article with any of the words, plain BM25F sums (``--any``).

Other models measured against these are kept as modes for the evaluation (``MODES``).

Proximity: an article where consecutive query words stand close together (in words, for
Chinese too) scores above one where they are scattered, and one holding the whole typed
name (``South China Sea``) in order gets the most. It rescales the best-scored articles
of each segment (``RESCORE_WINDOW``) from their words' positions.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import math
from collections.abc import Callable

from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher

from indexer.whoosh_internals.postings import (
    all_scores,
    matches_at,
    term_blocks,
    term_matcher,
)

DEFAULT_MODE = "ranked"
# Proximity: score * (1 + NEAR_WEIGHT * closeness + WHOLE_WEIGHT * whole), closeness the
# mean over consecutive word pairs of 1 / distance in words (1 when side by side), whole 1
# when the typed words stand in order somewhere. Own topics, nDCG@10 (eval/README.md):
# without 0.836; near/whole 0.1/0.1 0.837, 0.1/0.5 0.834, 0.1/1.0 0.835, 0.25/1.0 0.833:
# no figure moves it beyond noise, so a typed name found whole counts double, as the
# names users type (defence minister, pilihan raya umum) need.
NEAR_WEIGHT = 0.1
WHOLE_WEIGHT = 1.0
# The most proximity raises a score: side by side everywhere, and whole.
MAX_RAISE = (1.0 + NEAR_WEIGHT + WHOLE_WEIGHT) * (1.0 + 1e-9)
_FIRST_RAISED = 32  # documents of the window raised before ``_near``'s ``edge`` is asked
COVERAGE_POWER = 2.0  # ranked: score * (share of the query's weight matched) ** this
_CLAUSE_COUNTS = 20_000  # clauses whose counts a segment keeps (Ranked.weights)
RESCORE_WINDOW = 200  # best-scored documents of a segment that proximity looks at
CONSTRAINT_FIELDS = frozenset({"lang", "source", "date", "id", "dup", "dupband"})
# Fields with positions that proximity reads: the word fields of each language, not the
# character bigrams (zh2) or the surface forms (spell, no positions).
_NEAR_FIELDS = frozenset(
    f"{part}_{lang}" for part in ("title", "body") for lang in ("en", "ms", "zh")
)


class Ranked(wq.CompoundQuery):
    """The query's clauses combined by ``mode`` (see the module's docstring).

    ``labels``: each clause as typed; ``required``: which clauses a hit must match
    (``+word``, or all of them in mode ``all``); ``near``: per consecutive clause pair
    ``(i, {field: (term_i, term_next)})`` the terms whose positions proximity compares,
    ``whole``: the fields where every clause has one term, in order."""

    JOINT = " RANKED "
    intersect_merge = False

    def __init__(
        self,
        subqueries,
        boost=1.0,
        mode: str = DEFAULT_MODE,
        labels=(),
        required=(),
        near=(),
        whole=None,
        proximity: bool = False,
    ):
        super().__init__(subqueries, boost=boost)
        self.mode = mode
        self.labels = tuple(labels) or tuple(str(s) for s in subqueries)
        self.required = tuple(required) or (False,) * len(subqueries)
        self.near = tuple(near)
        self.whole = dict(whole or {})
        self.proximity = proximity

    def __eq__(self, other):
        return (
            type(other) is type(self)
            and self.subqueries == other.subqueries
            and self.mode == other.mode
            and self.required == other.required
            and self.proximity == other.proximity
        )

    def __hash__(self):
        return hash((type(self).__name__, tuple(self.subqueries), self.mode, self.required))

    def __repr__(self):
        return f"Ranked({self.subqueries!r}, mode={self.mode!r})"

    def normalize(self):
        return self

    def apply(self, fn):
        new = copy.copy(self)
        new.subqueries = [fn(q) for q in self.subqueries]
        new.__dict__.pop("_found", None)  # what this one scored is not the copy's
        return new

    def remember(self, reader, parts: list, only) -> None:
        """What the block scorer found of each clause in segment ``reader`` (``parts``,
        docnum -> score), given the documents ``only`` (None: all) it was asked about:
        ``mark_matched`` reads a hit's words from it instead of walking every clause's
        matcher again. A clause left unscored where a required one failed is narrowed to
        the documents that can still match, which every hit is among. A record made for
        all documents is kept over one made for a few (the copies of a hit)."""
        found = self.__dict__.setdefault("_found", {})
        old = found.get(id(reader))
        if old is None or old[0] is not reader or (old[2] is not None and only is None):
            found[id(reader)] = (reader, parts, only)

    def found_in(self, reader, docnum: int) -> set[int] | None:
        """The clauses that match document ``docnum`` of segment ``reader``, from what the
        block scorer remembered; None when it did not score that document."""
        got = self.__dict__.get("_found", {}).get(id(reader))
        if got is None or got[0] is not reader or got[1] is None:
            return None
        if got[2] is not None and docnum not in got[2]:
            return None
        return {i for i, part in enumerate(got[1]) if docnum in part}

    def complete_in(self, reader) -> set[int] | None:
        """The documents of segment ``reader`` that match every clause (deleted ones
        too), from what the block scorer remembered when it scored every document there;
        None when it did not."""
        got = self.__dict__.get("_found", {}).get(id(reader))
        if got is None or got[0] is not reader or got[2] is not None:
            return None
        if got[1] is None:
            return set()
        parts = sorted(got[1], key=len)
        docs = set(parts[0])
        for part in parts[1:]:
            docs.intersection_update(part)
        return docs

    def estimate_size(self, ixreader):
        if self.mode == "all":
            return min(q.estimate_size(ixreader) for q in self.subqueries)
        return sum(q.estimate_size(ixreader) for q in self.subqueries)

    def matcher(self, searcher, context=None):
        """Whoosh's own matchers for each clause, combined here (``combine``): the path of
        ``Searcher(block_scoring=False)``, to the scores the block scorer gives."""
        parts = [all_scores(sub.matcher(searcher, context)) for sub in self.subqueries]
        reader = searcher.reader()
        deleted = reader.deleted_docs_set if reader.has_deletions() else None
        scores = self.combine(
            parts,
            self.weights(searcher.get_parent()),
            lambda f, t, docs: _positions(searcher, f, t, docs),
        )
        if deleted:
            scores = {d: s for d, s in scores.items() if d not in deleted}
        if not scores:
            return NullMatcher()
        ids = sorted(scores)
        return ListMatcher(ids, weights=[scores[d] for d in ids])

    # --- the arithmetic both scorers share -----------------------------------------------

    def combine(
        self,
        parts: list[dict],
        weights: list[float],
        positions: Callable | None = None,
        among: Callable | None = None,
    ) -> dict:
        """Per-clause scores (docnum -> score) combined by the mode, then proximity.
        ``weights``: the clauses' (``weights``); ``positions(field, term, docs)`` ->
        {docnum: positions} (None: no proximity); ``among`` as ``_near`` takes it."""
        n = len(parts)
        required = [p for p, r in zip(parts, self.required, strict=True) if r]
        if self.mode == "all" or (required and len(required) == n):
            docs = set(min(parts, key=len)) if parts else set()
            for p in parts:
                docs.intersection_update(p)
        else:
            docs = set().union(*parts)
            for p in required:
                docs.intersection_update(p)
        if not docs:
            return {}
        total_weight = sum(weights) or 1.0
        mode = self.mode
        if mode in ("ranked", "all", "any"):
            out = _combined(parts, weights, docs, total_weight, mode != "ranked")
        else:
            out = self._combined_slowly(parts, weights, docs, total_weight)
        if self.boost != 1.0:
            out = {d: s * self.boost for d, s in out.items()}
        if positions is not None and self.proximity and (self.near or self.whole):
            out = self._near(out, positions, among)
        return out

    def _combined_slowly(self, parts, weights, docs, total_weight) -> dict:
        """``combine`` of the evaluation's other modes, a document at a time."""
        n = len(parts)
        mode = self.mode
        out = {}
        for d in docs:
            s = 0.0
            m = 0
            w = 0.0
            for i, p in enumerate(parts):
                got = p.get(d)
                if got is not None:
                    s += got
                    m += 1
                    w += weights[i]
            if mode in ("all", "any") or m == n:
                out[d] = s
            elif mode == "ranked":
                out[d] = s * (w / total_weight) ** COVERAGE_POWER
            elif mode == "coord":
                out[d] = s * m / n
            elif mode == "coord2":
                out[d] = s * (m / n) ** 2
            elif mode == "tiered":
                out[d] = (m - n) * 1000.0 + s
            else:  # pragma: no cover - check_mode refuses others
                raise ValueError(mode)
        return out

    def weights(self, top, cache=None) -> list[float]:
        """Each clause's weight: 1 + ln(N / n), n the articles of the index (``top``, its
        searcher) the clause can match (its words' postings united over the segments; a
        phrase's words intersected, positions unread), N all its articles. A word the
        query's translations make common (争端 -> dispute) weighs as common. The same
        whatever filter the query has, in both scorers, and however the index is split
        into segments.

        ``cache``: the open index's ``search.cache.IndexCache``; each segment's n of a
        clause is kept there (``SegmentData.clause_counts``), so that a clause is counted
        once per segment while the index stays open, not again by every query, count and
        did-you-mean check that has it."""
        reader = top.reader()
        memo = self.__dict__.setdefault("_weights", {})
        got = memo.get(id(reader))
        if got is None:
            n_docs = max(reader.doc_count_all(), 1)
            leaves = (
                [r for r, _offset in reader.leaf_readers()] if not reader.is_atomic() else [reader]
            )
            counts = [cache.segment(leaf).clause_counts for leaf in leaves] if cache else None
            # the posting blocks decoded for the counts, by segment: the block scorer
            # scores from them instead of decoding them again (``blocks_decoded``)
            kept = self.__dict__.setdefault("_blocks", {})
            keeps = [kept.setdefault(id(leaf), {}) for leaf in leaves]
            got = []
            for sub in self.subqueries:
                if counts is None:
                    n = sum(len(_clause_docs(leaf, sub)) for leaf in leaves)
                else:
                    rows = zip(leaves, counts, keeps, strict=True)
                    n = sum(_clause_count(leaf, sub, known, keep) for leaf, known, keep in rows)
                got.append(1.0 + math.log(n_docs / max(n, 1)))
            memo[id(reader)] = got
        return got

    def blocks_decoded(self, reader) -> dict:
        """``{(field, term bytes): [(max id, ids, weights), …]}``: the posting blocks of
        segment ``reader`` that ``weights`` decoded to count the clauses' articles (the
        first time a clause is counted there), handed over once: a query's first run read
        each common word's postings twice, to count and to score (at 10×, 45 of the 198 ms
        of `menteri pertahanan ASEAN`'s first run under cProfile)."""
        return self.__dict__.get("_blocks", {}).pop(id(reader), None) or {}

    def _near(
        self,
        scores: dict,
        positions: Callable,
        among: Callable | None = None,
        edge: Callable | None = None,
        skipped: set | None = None,
    ) -> dict:
        """``scores`` with those of the proximity window (the ``RESCORE_WINDOW`` best)
        raised by how close the words stand. ``among(scores)``: the documents whose
        score can still matter (a date-ordered page's candidates), or None for all: the
        window's others keep their scores unraised and their positions unread.

        ``edge(raised)``: for one page ranked by score, the score a document must reach
        to be on it, from the window's documents raised so far ({docnum: score}; None
        while too few): the window is raised best first, a few at a time, and stops
        where a document raised the most proximity gives (``MAX_RAISE``) stays below
        that edge, as would every one after it. Those left unraised go in ``skipped``:
        their scores here are below what scoring them gives, and below the page."""
        # the RESCORE_WINDOW best, ties in the scores' order (as a stable sort gives)
        window = heapq.nlargest(RESCORE_WINDOW, scores, key=scores.__getitem__)
        if among is not None and window:
            keep = among(scores)
            if keep is not None:
                window = [d for d in window if d in keep]
        if not window:
            return scores
        cache: dict = {}  # (field, term) -> (documents asked about, their positions)

        def pos(field, term, among):
            """Positions of ``term`` in ``field`` for (at least) the documents ``among``:
            a word's positions are read only where the words before it stand."""
            key = (field, term)
            got = cache.get(key)
            if got is None:
                got = cache[key] = (set(among), positions(field, term, among))
            elif not among <= got[0]:
                more = among - got[0]
                got[1].update(positions(field, term, more))
                got[0].update(more)
            return got[1]

        out = dict(scores)
        if edge is None:
            out.update(self._raised(window, scores, pos))
            return out
        raised: dict = {}
        done, step = 0, _FIRST_RAISED
        while done < len(window):
            batch = window[done : done + step]
            raised.update(self._raised(batch, scores, pos))
            done += len(batch)
            if done < len(window):
                need = edge(raised)
                if need is not None and scores[window[done]] * MAX_RAISE < need:
                    if skipped is not None:
                        skipped.update(window[done:])
                    break
            step *= 2
        out.update(raised)
        return out

    def _raised(self, window: list, scores: dict, pos: Callable) -> dict:
        """The scores of the documents ``window`` raised by proximity (``_near``)."""
        docs = set(window)
        pairs = len(self.near)
        closeness = dict.fromkeys(window, 0.0)
        for _i, fields in self.near:
            best = dict.fromkeys(window, 0.0)
            for field, (a, b) in fields.items():
                pa = pos(field, a, docs)
                pb = pos(field, b, docs.intersection(pa)) if pa else {}
                for d in docs.intersection(pa).intersection(pb):
                    dist = _distance(pa[d], pb[d])
                    if dist and 1.0 / dist > best[d]:
                        best[d] = 1.0 / dist
            for d, v in best.items():
                closeness[d] += v
        whole = dict.fromkeys(window, 0.0)
        for field, terms in self.whole.items():
            lists = []
            among = docs
            for t in terms:
                found = pos(field, t, among) if among else {}
                lists.append(found)
                among = among.intersection(found)
            for d in among:
                if _in_order(lists, d):
                    whole[d] = 1.0
        out = {}
        for d in window:
            near = closeness[d] / pairs if pairs else 0.0
            out[d] = scores[d] * (1.0 + NEAR_WEIGHT * near + WHOLE_WEIGHT * whole[d])
        return out


def _combined(parts: list[dict], weights, docs: set, total_weight: float, plain: bool) -> dict:
    """Each document of ``docs`` scored as ``Ranked.combine`` does (the clauses' scores
    summed in clause order; unless ``plain``, times the share of the query's weight
    matched to ``COVERAGE_POWER`` when not all matched), the same floats, in ``docs``'
    order. The documents are split by which clauses they match with set operations, and
    each such group summed at once."""
    n = len(parts)
    groups: list = [(docs, ())]
    for i, part in enumerate(parts):
        keys = part.keys()
        split = []
        for group, matched in groups:
            inside = keys & group
            if inside:
                split.append((inside, (*matched, i)))
            if len(inside) < len(group):
                split.append((group - inside, matched))
        groups = split
    found: dict = {}
    for group, matched in groups:
        ps = [parts[i] for i in matched]
        if len(ps) == 1:
            (a,) = ps
            sums = {d: 0.0 + a[d] for d in group}
        elif len(ps) == 2:
            a, b = ps
            sums = {d: 0.0 + a[d] + b[d] for d in group}
        elif len(ps) == 3:
            a, b, c = ps
            sums = {d: 0.0 + a[d] + b[d] + c[d] for d in group}
        else:
            sums = {}
            for d in group:
                s = 0.0
                for p in ps:
                    s += p[d]
                sums[d] = s
        if plain or len(matched) == n:
            found.update(sums)
        else:
            w = 0.0
            for i in matched:
                w += weights[i]
            factor = (w / total_weight) ** COVERAGE_POWER
            found.update({d: s * factor for d, s in sums.items()})
    return {d: found[d] for d in docs}


def _clause_docs(reader, q, keep: dict | None = None) -> set:
    """The documents of one segment that clause ``q`` can match, from postings alone: a
    term's, a phrase's words' intersected (an upper bound: positions are not read), an OR's
    and a Ranked's united, an AND's intersected, anything else (wildcards, ranges) by its
    own matcher."""
    if isinstance(q, wq.Term):
        if q.fieldname == "spell":
            return set()
        return _term_docs(reader, q.fieldname, q.text, keep=keep)
    if isinstance(q, wq.Phrase):
        return _phrase_docs(reader, q, keep)
    if isinstance(q, (wq.Or, Ranked)):
        # the largest part is the union's start (each part is a new set): copying it into
        # an empty one cost most of a common Chinese word's first count at 10x
        parts = [_clause_docs(reader, sub, keep) for sub in q.subqueries]
        if not parts:
            return set()
        out = max(parts, key=len)
        for part in parts:
            if part is not out:
                out |= part
        return out
    if isinstance(q, wq.And):
        sets = [_clause_docs(reader, sub, keep) for sub in q.subqueries]
        return set.intersection(*sets) if sets else set()
    child = getattr(q, "child", None)  # a wrapper (search.exact's ExactPhrase)
    if isinstance(child, wq.Query):
        return _clause_docs(reader, child, keep)
    try:
        return set(q.docs(_Searching(reader)))
    except Exception:  # a query that cannot list its documents: weighs as rare
        return set()


def _clause_count(reader, q, known: dict, keep: dict | None = None) -> int:
    """``len(_clause_docs(reader, q))``, kept in ``known`` (the segment's counts by clause)."""
    try:
        key = (type(q), q)
        n = known.get(key)
    except TypeError:  # an unhashable query: counted every time
        return len(_clause_docs(reader, q))
    if n is None:
        if len(known) >= _CLAUSE_COUNTS:
            known.clear()  # a server's long life: keep the memory bounded
        n = known[key] = len(_clause_docs(reader, q, keep))
    return n


def _phrase_docs(reader, q, keep: dict | None = None) -> set:
    """The live documents of segment ``reader`` with every word of phrase ``q`` (an upper
    bound: positions are not read). The set is made of the rarest word's ids alone and
    narrowed by the others' id arrays, without a set of each word's (two common bigrams
    of a Chinese word at 10x: tens of thousands of ids each). Every word's blocks are
    decoded (and kept) as ``_term_docs`` decodes them."""
    lists = [_term_ids(reader, q.fieldname, w, keep) for w in q.words]
    if not lists:
        return set()
    if any(ids is None for ids in lists):  # only the matcher reads some word's postings
        sets = [_term_docs(reader, q.fieldname, w) for w in q.words]
        return set.intersection(*sets)
    if not all(lists):
        return set()  # a word the segment lacks
    lists.sort(key=lambda arrays: sum(map(len, arrays)))
    out: set = set()
    for ids in lists[0]:
        out.update(ids)
    for arrays in lists[1:]:
        if not out:
            break
        out.intersection_update(itertools.chain.from_iterable(arrays))
    if out and reader.has_deletions():
        out.difference_update(reader.deleted_docs_set)
    return out


def _term_ids(reader, field: str, text, keep: dict | None = None, schema=None) -> list | None:
    """The ids of each posting block of ``text`` in ``field`` of segment ``reader``,
    deleted documents included, put in ``keep`` as ``_term_docs`` puts them: [] when the
    segment lacks the term, None where only whoosh's matcher can read its postings."""
    found = term_blocks(reader, field, text, schema)
    if found is None:
        return []
    btext, blocks = found
    if blocks is None:
        return None
    arrays = []
    kept = None
    if keep is not None:
        kept = keep[(field, btext)] = []
    while blocks.active():
        ids = blocks.ids()
        if kept is not None:
            kept.append((blocks.max_id(), ids, blocks.weights()))
        arrays.append(ids)
        blocks.next()
    return arrays


def _term_docs(
    reader, field: str, text, deleted: bool = False, keep: dict | None = None, schema=None
) -> set:
    """The live documents of segment ``reader`` with ``text`` in ``field``, united a
    posting block at a time (whoosh's ``all_ids`` steps one posting a call); with
    ``deleted``, the deleted ones too. ``keep``: the decoded blocks are put there too,
    ``{(field, term bytes): [(max id, ids, weights), …]}``, as the block scorer scores
    from them. ``schema``: the one that encodes ``text`` (default the reader's)."""
    arrays = _term_ids(reader, field, text, keep, schema)
    if arrays is None:  # only whoosh's matcher reads these postings
        btext = (schema or reader.schema)[field].to_bytes(text)  # as term_blocks encoded it
        if deleted:
            return set(term_matcher(reader, field, btext).all_ids())
        return set(reader.postings(field, btext).all_ids())
    out: set = set()
    for ids in arrays:
        out.update(ids)
    if not deleted and reader.has_deletions():
        out.difference_update(reader.deleted_docs_set)
    return out


class _Searching:
    """The little of a searcher ``Query.docs`` needs, over one segment's reader."""

    def __init__(self, reader):
        self._reader = reader

    def reader(self):
        return self._reader


def _distance(a: list[int], b: list[int]) -> int:
    """Smallest distance in words from a position of ``a`` to one of ``b`` after it (b one
    after a: 1); ``b`` before ``a`` counts one more."""
    i = j = 0
    best = 0
    while i < len(a) and j < len(b):
        gap = b[j] - a[i]
        dist = gap if gap > 0 else 1 - gap
        if dist and (not best or dist < best):
            best = dist
            if best == 1:
                return 1
        if a[i] < b[j]:
            i += 1
        else:
            j += 1
    return best


def _in_order(lists: list[dict], d) -> bool:
    """The terms stand one after another somewhere in document ``d``."""
    starts = set(lists[0][d])
    for k in range(1, len(lists)):
        starts &= {p - k for p in lists[k][d]}
        if not starts:
            return False
    return True


def _positions(searcher, field: str, term, docs) -> dict:
    """Positions of ``term`` in ``field`` for the documents ``docs`` (whoosh's postings)."""
    reader = searcher.reader()
    try:
        text = searcher.schema[field].to_bytes(term)
    except (KeyError, ValueError):
        return {}
    if (field, text) not in reader:
        return {}
    m = reader.postings(field, text)
    return {d: list(m.value_as("positions")) for d in matches_at(m, sorted(docs))}


# --- shaping a parsed query -----------------------------------------------------------------


def _is_constraint(q) -> bool:
    if isinstance(q, (wq.Not, wq.NumericRange)):
        return True
    fields = {f for f, _t in q.iter_all_terms()} if not q.is_leaf() else {q.field()}
    return bool(fields) and fields <= CONSTRAINT_FIELDS


def _span(q) -> tuple[int, int] | None:
    """Where clause ``q`` was typed in the query text: (start, end), or None."""
    spans = []
    for n in _leaves(q):
        if getattr(n, "startchar", None) is not None and getattr(n, "endchar", None) is not None:
            spans.append((n.startchar, n.endchar))
        elif getattr(n, "char_ranges", None):
            spans.extend(r for r in n.char_ranges if r)
    if not spans:
        return None
    return min(s for s, _e in spans), max(e for _s, e in spans)


def _label(q) -> str:
    """A clause's words when where it was typed is unknown (whoosh's parser leaves no
    position on the phrase a Chinese word becomes): its Chinese words as analysed, else
    its first leaf's."""
    leaves = list(_leaves(q))
    for leaf in leaves:
        if isinstance(leaf, wq.Phrase) and leaf.fieldname.endswith("_zh"):
            return "".join(leaf.words)
    for leaf in leaves:
        if isinstance(leaf, wq.Phrase):
            return " ".join(leaf.words)
        if isinstance(leaf, wq.Term):
            return str(leaf.text)
    return str(q)


def _leaves(q):
    if q.is_leaf() or isinstance(q, wq.Phrase):
        yield q
        return
    for child in q.children():
        yield from _leaves(child)


def _word_terms(q) -> dict[str, str] | None:
    """``{field: term}`` of a clause that is one word spread over the fields (an Or of
    Terms, or a lone Term); None for anything else (phrases, wildcards, groups)."""
    if isinstance(q, wq.Term):
        subs = [q]
    elif type(q) is wq.Or:
        subs = q.subqueries
    else:
        return None
    out: dict[str, str] = {}
    for s in subs:
        if isinstance(s, wq.Term):
            if s.fieldname in _NEAR_FIELDS:
                out.setdefault(s.fieldname, s.text)
        elif isinstance(s, wq.Phrase) and s.fieldname.endswith("zh2"):
            continue  # a Chinese word's bigrams: the zh field holds the word itself
        else:
            return None
    return out or None


def shape(q, text: str, mode: str = DEFAULT_MODE, proximity: bool = True):
    """The parsed query ``q`` (of ``text``) with its clauses combined by ``mode``."""
    if isinstance(q, wq.AndMaybe):
        # +word (whoosh's PlusMinusPlugin): the required words are ``a``, the others ``b``
        items = [(s, True) for s in _children(q.a)] + [(s, False) for s in _children(q.b)]
    elif isinstance(q, wq.And):
        items = [(s, False) for s in q.subqueries]
    else:
        items = [(q, False)]
    constraints = [s for s, _r in items if _is_constraint(s)]
    clauses = [(s, r) for s, r in items if not _is_constraint(s)]
    if mode != "all":
        clauses = [(_soften(s, mode, text, proximity), r) for s, r in clauses]
    if not clauses:
        return q
    clauses.sort(key=lambda c: (_span(c[0]) or (1 << 30, 0))[0])
    if len(clauses) == 1 and not constraints:
        return clauses[0][0]
    if len(clauses) == 1:
        return wq.And([clauses[0][0], *constraints])
    labels = []
    for sub, _r in clauses:
        span = _span(sub)
        labels.append(text[span[0] : span[1]].lstrip("+") if span else _label(sub))
    near, whole = _proximity([s for s, _r in clauses], text) if proximity else ([], None)
    ranked = Ranked(
        [s for s, _r in clauses],
        mode=mode,
        labels=labels,
        required=[r or mode == "all" for _s, r in clauses],
        near=near,
        whole=whole,
        proximity=proximity,
    )
    return wq.And([ranked, *constraints]) if constraints else ranked


def _soften(q, mode: str, text: str, proximity: bool):
    """A clause that is a typed run of words OR its translations (``--cross``: ``South
    China Sea`` OR 南海): the run's words combine by ``mode`` too, so an article with only
    some of them still matches it, as it would without ``--cross``; and their proximity
    counts as it does for the query's own words."""
    if type(q) is wq.Or:
        subs = []
        for s in q.subqueries:
            if type(s) is wq.And and not any(_is_constraint(c) for c in s.subqueries):
                words = sorted(s.subqueries, key=lambda c: (_span(c) or (1 << 30, 0))[0])
                near, whole = _proximity(words, text) if proximity else ([], None)
                subs.append(Ranked(words, mode=mode, near=near, whole=whole, proximity=proximity))
            else:
                subs.append(_soften(s, mode, text, proximity))
        if any(a is not b for a, b in zip(subs, q.subqueries, strict=True)):
            new = copy.copy(q)
            new.subqueries = subs
            return new
    return q


def _proximity(clauses: list, text: str) -> tuple[list, dict | None]:
    """What proximity compares for ``clauses`` (in typed order): per pair of words typed
    side by side, their terms in each positional field; and, when every pair is one, the
    fields where the whole run can stand in order."""
    near, whole = [], None
    terms = [_word_terms(c) for c in clauses]
    spans = [_span(c) for c in clauses]
    for i in range(len(clauses) - 1):
        a, b = terms[i], terms[i + 1]
        if not a or not b or not _adjacent(text, spans[i], spans[i + 1]):
            continue
        fields = {f: (a[f], b[f]) for f in a.keys() & b.keys()}
        if fields:
            near.append((i, fields))
    if len(clauses) > 1 and all(terms) and len(near) == len(clauses) - 1:
        common = set.intersection(*(set(t) for t in terms))
        whole = {f: tuple(t[f] for t in terms) for f in common}
    return near, whole


def _children(q) -> list:
    """The clauses of one side of ``+word``'s AndMaybe (an And of them, or one)."""
    return list(q.subqueries) if type(q) is wq.And else [q]


def _adjacent(text: str, a, b) -> bool:
    """Two clauses typed one after the other (only spaces or nothing between them)."""
    if a is None or b is None:
        return False
    return a[1] <= b[0] and not text[a[1] : b[0]].strip()


def find_ranked(q) -> Ranked | None:
    """The Ranked node of a shaped query (top level, or beside its constraints)."""
    if isinstance(q, Ranked):
        return q
    if isinstance(q, wq.And):
        for s in q.subqueries:
            if isinstance(s, Ranked):
                return s
    return None


def mark_matched(snap, ranked: Ranked, results, hits) -> None:
    """Set each hit's ``matched`` and ``missing`` words (as typed): which clauses of
    ``ranked`` its article matches, as the block scorer found them while scoring it
    (``Ranked.found_in``), else asked of each clause's matcher at the hit's docnum."""
    searcher = snap.searcher
    docnums = [r.docnum for r in results]
    has = [set() for _ in docnums]
    for sub_searcher, offset in searcher.leaf_searchers():
        reader = sub_searcher.reader()
        local = []
        for k, d in enumerate(docnums):
            if offset <= d < offset + sub_searcher.doc_count_all():
                found = ranked.found_in(reader, d - offset)
                if found is None:
                    local.append((d - offset, k))
                else:
                    has[k] = found
        local.sort()
        if not local:
            continue
        for i, clause in enumerate(ranked.subqueries):
            slot = dict(local)
            for d in matches_at(clause.matcher(sub_searcher), [d for d, _k in local]):
                has[slot[d]].add(i)
    for hit, got in zip(hits, has, strict=True):
        hit.matched = [label for i, label in enumerate(ranked.labels) if i in got]
        hit.missing = [label for i, label in enumerate(ranked.labels) if i not in got]
