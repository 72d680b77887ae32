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


def port_reports(tmp_path_factory, name: str, seed: int, rare: dict, dated: bool = False):
    """600 English articles in two segments: ``shipping`` in every one, each word of
    ``rare`` (word -> (every n-th article, up to how many times)) in some, bodies of varied
    lengths and frequencies; some articles copied word for word (near-duplicate groups).
    ``dated``: five dates a month, so that many articles share a day."""
    root = tmp_path_factory.mktemp(name)
    docs = root / "docs"
    docs.mkdir()
    rng = random.Random(seed)
    for i in range(600):
        words = [rng.choice(VOCAB) for _ in range(rng.randrange(20, 160))]
        words += ["shipping"] * rng.randrange(1, 6)
        for word, (every, most) in rare.items():
            if i % every == 0:
                words += [word] * rng.randrange(1, most)
        rng.shuffle(words)
        title = f"Port report {i} " + " ".join(words[:4])
        date = f"\n\ndate 2025-{1 + i % 12:02d}-{1 + (i * 7) % 5:02d}" if dated else ""
        text = f"{title}{date}\n\n{' '.join(words)} report number {i}.\n"
        (docs / f"a{i:03d}.txt").write_text(text, "utf-8")
        if i % 45 == 0:  # copies: one group with several members
            (docs / f"a{i:03d}_copy.txt").write_text(text, "utf-8")
    build_in_two_processes([docs], root / "ix")
    return root / "ix"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """``lighthouse`` in about 70 articles and ``storm`` in about 120."""
    return port_reports(tmp_path_factory, "pruning", 15, {"lighthouse": (9, 4), "storm": (5, 3)})


def pages(
    index, query: str, collapse: bool, prune: bool, monkeypatch, sort="relevance", worth=0
) -> list:
    """Pages 1-3 of 10 (and one page of 25) with pruning on or off (``_ranked_pruned``,
    or in date order ``_ranked_dated``); how often it pruned. ``worth``: the common
    words' articles a date-ordered page must have to be split (``_WORTH_SPLITTING``:
    more than the fixtures have, by default)."""
    pruned = []
    method = "_ranked_pruned" if sort == "relevance" else "_ranked_dated"
    original = getattr(SegmentScorer, method)
    monkeypatch.setattr("search.blockscore._WORTH_SPLITTING", worth)

    def recorded(self, q):
        got = original(self, q) if prune else (None, None)
        pruned.append(got[0] is not None)
        return got

    monkeypatch.setattr(SegmentScorer, method, recorded)
    out = []
    with Searcher(index) as s:
        for page, limit in ((1, 10), (2, 10), (3, 10), (1, 25)):
            res = s.search(
                query, limit=limit, page=page, sort=sort, collapse=collapse, suggest=False
            )
            hits = [
                (h.id, h.date, h.score, h.similar, h.similar_ids, h.matched, h.missing)
                for h in res.hits
            ]
            out.append((res.total, hits))
    monkeypatch.undo()
    return out, any(pruned)


def date_pages(index, query: str, collapse: bool, prune: bool, monkeypatch, worth=0) -> list:
    return pages(index, query, collapse, prune, monkeypatch, "date", worth)


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
@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_two_common_words_pruned_exactly(monkeypatch, request, query, collapse, sort):
    # Every word but lighthouse is in most articles, none twice as common as the others
    # together: the articles with one common word alone are counted, not scored (in date
    # order, but for the newest: the proximity window holds none of them), and the pages
    # and totals are those of scoring every match.
    index = request.getfixturevalue("index" if sort == "relevance" else "dated_index")
    fast, pruned = pages(index, query, collapse, True, monkeypatch, sort)
    slow, unpruned = pages(index, query, collapse, False, monkeypatch, sort)
    assert pruned and not unpruned
    assert fast == slow
    if sort == "date":
        with Searcher(index, block_scoring=False) as s:  # whoosh's matchers
            res = s.search(query, limit=25, sort="date", collapse=collapse, suggest=False)
            assert res.total == fast[3][0]
            assert [h.id for h in res.hits] == [h[0] for h in fast[3][1]]
            assert [h.score for h in res.hits] == pytest.approx([h[2] for h in fast[3][1]])


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
            [
                (h.id, h.date, h.score, h.similar, h.similar_ids, h.matched, h.missing)
                for h in res.hits
            ],
        )
    # never pruned; declined after scoring in a segment where both words are common
    # (how a two-process build splits the articles decides the segments' sizes)
    assert declined and all(none for none, _ in declined)
    assert any(scored for _, scored in declined)
    assert got == slow[0]


def test_no_pruning_without_a_common_word(monkeypatch, index):
    # lighthouse is in about 70 articles, fewer than RESCORE_WINDOW with its spell and
    # title postings counted, however the two writer processes split the articles (the
    # 240 with storm were not, in a segment of all but one batch); beacon in none
    _pages, pruned = pages(index, "lighthouse beacon", True, True, monkeypatch)
    assert not pruned


def test_every_match_is_not_pruned(monkeypatch, index):
    calls = []
    for name in ("_ranked_pruned", "_ranked_dated"):
        monkeypatch.setattr(SegmentScorer, name, lambda self, q: calls.append(q) or (None, None))
    with Searcher(index) as s:
        ids = s.ids("lighthouse shipping")
        assert s.count("lighthouse shipping") == len(ids) > 500
    assert not calls


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory):
    """Dated articles: ``lighthouse`` in about 70, ``pilot`` in 150."""
    rare = {"lighthouse": (9, 4), "pilot": (4, 3)}
    return port_reports(tmp_path_factory, "pruning_dated", 16, rare, dated=True)


def test_date_pages_of_few_articles_are_not_split(monkeypatch, dated_index):
    from search.blockscore import _WORTH_SPLITTING

    _pages, pruned = date_pages(
        dated_index, "crane tide", True, True, monkeypatch, worth=_WORTH_SPLITTING
    )
    assert not pruned


def test_date_pages_declined_without_enough_scored(monkeypatch, dated_index):
    # lighthouse alone is in too few articles for the proximity window to be theirs:
    # declined, every match scored
    fast, pruned = date_pages(dated_index, "lighthouse shipping", True, True, monkeypatch)
    slow, _ = date_pages(dated_index, "lighthouse shipping", True, False, monkeypatch)
    assert not pruned
    assert fast == slow


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_a_common_word_of_large_bound_is_promoted(monkeypatch, dated_index, sort):
    # crane's bound made 50 times what it is (a bound only needs to be one): too few
    # articles score above it, so crane is scored everywhere and the bound falls to
    # tide's; the pages are still those of scoring every match.
    query = "crane tide pilot"
    run = pages if sort == "relevance" else date_pages
    slow, _ = run(dated_index, query, True, False, monkeypatch)
    original = SegmentScorer._bound
    promoted = []
    promote = SegmentScorer._promoted

    def inflated(self, q):
        got = original(self, q)
        return got * 50 if got is not None and "crane" in str(q) else got

    def recorded(self, q, split):
        promoted.append(sorted(split.ids))
        return promote(self, q, split)

    monkeypatch.setattr(SegmentScorer, "_bound", inflated)
    monkeypatch.setattr(SegmentScorer, "_promoted", recorded)
    fast, pruned = run(dated_index, query, True, True, monkeypatch)
    assert promoted and pruned
    assert fast == slow


@pytest.mark.parametrize("query", ["crane tide", "harbour shipping", "tide lighthouse crane"])
def test_the_full_order_is_what_scoring_everything_gives(index, query):
    # Articles that tie at the proximity window's edge are taken in the order scoring
    # every match lists them (a set's): ``_in_full_order`` rebuilds it from ids alone.
    from search.plan import QueryPlan

    splits = 0
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
            if split is None:
                # a segment with fewer than RESCORE_WINDOW articles of each word: the two
                # writer processes take batches as they are free, so a busy machine can
                # give one of them few
                continue
            splits += 1
            before = q.combine(split.parts, weights)
            got = scorer._in_full_order(q, split, before)
            assert got == before
            assert list(got) == [d for d in everything if d in before]
            for i in split.ids:  # each common word's articles as its scores list them
                clause = q.subqueries[i]
                assert list(scorer._keys(clause)) == list(full._eval(clause, None))
    assert splits  # the larger segment has 307 articles or more, nearly all with each word


@pytest.mark.parametrize("query", ["crane tide", "tide lighthouse crane"])
def test_proximity_stops_below_the_page(monkeypatch, index, query):
    # The proximity window is raised best first and stops where even the most proximity
    # gives cannot reach the page: the pages (1-3 of 10, 1 of 25) are still exact.
    from search.matching import Ranked

    counts = []
    original = Ranked._near

    def recorded(self, scores, positions, among=None, edge=None, skipped=None):
        out = original(self, scores, positions, among, edge, skipped)
        if skipped is not None:
            counts.append(len(skipped))
        return out

    slow, _ = pages(index, query, True, False, monkeypatch)
    monkeypatch.setattr(Ranked, "_near", recorded)
    fast, pruned = pages(index, query, True, True, monkeypatch)
    assert pruned and any(counts)
    assert fast == slow
