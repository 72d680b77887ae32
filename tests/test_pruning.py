"""Top-k pruning of ranked pages (search.blockscore ``_ranked_pruned``): a common word is
scored only where another word matched, its other articles counted unscored; the page,
the scores and the total are what scoring every match gives."""

from __future__ import annotations

import random

import pytest

from search import Searcher
from search.blockscore import SegmentScorer
from tests.conftest import build_in_two_processes

VOCAB = [
    "harbour",
    "vessel",
    "cargo",
    "crane",
    "tide",
    "pier",
    "ferry",
    "dock",
    "anchor",
    "buoy",
    "quay",
    "tug",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """600 English articles in two segments: ``shipping`` in every one, ``lighthouse``
    in about 70 and ``storm`` in about 240, bodies of varied lengths and frequencies;
    some articles copied word for word (near-duplicate groups)."""
    root = tmp_path_factory.mktemp("pruning")
    docs = root / "docs"
    docs.mkdir()
    rng = random.Random(15)
    for i in range(600):
        words = [rng.choice(VOCAB) for _ in range(rng.randrange(20, 160))]
        words += ["shipping"] * rng.randrange(1, 6)
        if i % 9 == 0:
            words += ["lighthouse"] * rng.randrange(1, 4)
        if i % 5 == 0:
            words += ["storm"] * rng.randrange(1, 3)
        rng.shuffle(words)
        title = f"Port report {i} " + " ".join(words[:4])
        text = f"{title}\n\n{' '.join(words)} report number {i}.\n"
        (docs / f"a{i:03d}.txt").write_text(text, "utf-8")
        if i % 45 == 0:  # copies: one group with several members
            (docs / f"a{i:03d}_copy.txt").write_text(text, "utf-8")
    build_in_two_processes([docs], root / "ix")
    return root / "ix"


def pages(index, query: str, collapse: bool, prune: bool, monkeypatch) -> list:
    """Pages 1-3 of 10 (and one page of 25) with pruning on or off; how often it pruned."""
    pruned = []
    original = SegmentScorer._ranked_pruned

    def recorded(self, q):
        got = original(self, q) if prune else (None, None)
        pruned.append(got[0] is not None)
        return got

    monkeypatch.setattr(SegmentScorer, "_ranked_pruned", recorded)
    out = []
    with Searcher(index) as s:
        for page, limit in ((1, 10), (2, 10), (3, 10), (1, 25)):
            res = s.search(query, limit=limit, page=page, collapse=collapse, suggest=False)
            out.append(
                (
                    res.total,
                    [
                        (h.id, h.score, h.similar, h.similar_ids, h.matched, h.missing)
                        for h in res.hits
                    ],
                )
            )
    monkeypatch.undo()
    return out, any(pruned)


@pytest.mark.parametrize("query", ["lighthouse shipping", "shipping lighthouse"])
@pytest.mark.parametrize("collapse", [True, False])
def test_pruned_pages_are_exact(monkeypatch, index, query, collapse):
    fast, pruned = pages(index, query, collapse, True, monkeypatch)
    slow, unpruned = pages(index, query, collapse, False, monkeypatch)
    assert pruned and not unpruned  # the common word was pruned here
    assert fast == slow  # same totals, hits, scores, copies and matched words
    assert fast[0][0] > 500  # the total counts the articles with the common word alone
    with Searcher(index, block_scoring=False) as s:  # whoosh's matchers: the same total
        res = s.search(query, limit=10, collapse=collapse, suggest=False)
        assert res.total == fast[0][0]
        assert [h.id for h in res.hits] == [h[0] for h in fast[0][1]]


@pytest.mark.parametrize("query", ["crane tide", "harbour shipping", "tide lighthouse crane"])
@pytest.mark.parametrize("collapse", [True, False])
def test_two_common_words_pruned_exactly(monkeypatch, index, query, collapse):
    # Every word but lighthouse is in most articles, none twice as common as the others
    # together: the articles with one common word alone are counted, not scored.
    fast, pruned = pages(index, query, collapse, True, monkeypatch)
    slow, unpruned = pages(index, query, collapse, False, monkeypatch)
    assert pruned and not unpruned
    assert fast == slow


def test_a_declined_pruning_scores_every_match(monkeypatch, index):
    # Declining after the common words were scored where two of them stand: the rest of
    # their articles are scored then, and the pages are as when nothing is pruned.
    declined = []
    original = SegmentScorer._ranked_pruned

    def strict(self, q):
        self.page_groups, wanted = 10**6, self.page_groups  # more groups than there are
        got = original(self, q)
        self.page_groups = wanted
        declined.append((got[0] is None, got[1] is not None))
        return got

    slow, _ = pages(index, "crane tide", True, False, monkeypatch)
    monkeypatch.setattr(SegmentScorer, "_ranked_pruned", strict)
    with Searcher(index) as s:
        res = s.search("crane tide", limit=10, suggest=False)
        got = (
            res.total,
            [(h.id, h.score, h.similar, h.similar_ids, h.matched, h.missing) for h in res.hits],
        )
    # never pruned; declined after scoring in a segment where both words are common
    # (how a two-process build splits the articles decides the segments' sizes)
    assert declined and all(none for none, _ in declined)
    assert any(scored for _, scored in declined)
    assert got == slow[0]


def test_no_pruning_without_a_common_word(monkeypatch, index):
    # lighthouse and storm: neither is twice as common as the other
    _pages, pruned = pages(index, "lighthouse storm", True, True, monkeypatch)
    assert not pruned


def test_date_order_and_every_match_are_not_pruned(monkeypatch, index):
    calls = []
    monkeypatch.setattr(
        SegmentScorer, "_ranked_pruned", lambda self, q: calls.append(q) or (None, None)
    )
    with Searcher(index) as s:
        s.search("lighthouse shipping", sort="date", suggest=False)
        ids = s.ids("lighthouse shipping")
        assert s.count("lighthouse shipping") == len(ids) > 500
    assert not calls


@pytest.mark.parametrize("query", ["crane tide", "harbour shipping", "tide lighthouse crane"])
def test_the_full_order_is_what_scoring_everything_gives(index, query):
    # Articles that tie at the proximity window's edge are taken in the order scoring
    # every match lists them (a set's): ``_in_full_order`` rebuilds it from ids alone.
    from search.plan import QueryPlan

    with Searcher(index) as s:
        snap = s._snapshot()
        q = QueryPlan.build(snap, s._parsers, query, False, None).matching()
        context = snap.searcher.context()
        for sub, _offset in snap.searcher.leaf_searchers():
            full = SegmentScorer(snap.searcher, sub, context, snap.cache)
            weights = q.weights(snap.searcher, snap.cache)
            everything = q.combine([full._eval(c, None) for c in q.subqueries], weights)
            scorer = SegmentScorer(snap.searcher, sub, context, snap.cache)
            split = scorer._split(q)
            assert split is not None
            before = q.combine(split.parts, weights)
            got = scorer._in_full_order(q, split, before)
            assert got == before
            assert list(got) == [d for d in everything if d in before]
            for i in split.ids:  # each common word's articles as its scores list them
                clause = q.subqueries[i]
                assert list(scorer._keys(clause)) == list(full._eval(clause, None))
