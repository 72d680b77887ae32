"""Which matches of a segment the page collector ranks (search.collect
``CollapsingTop._candidates``): only those at or above the page's last group of the
segment, ties in score or date included; the pages are what ranking every match gives."""

from __future__ import annotations

import random

import pytest

from search import Searcher
from search.blockscore import SegmentScorer
from search.collect import CollapsingTop
from tests.conftest import build_in_two_processes

WORDS = ["harbour", "vessel", "cargo", "crane", "tide", "pier", "ferry", "dock"]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """400 English articles in two segments, dated on five days (ties in date order),
    short bodies of few words (ties in score), some copied word for word (groups)."""
    root = tmp_path_factory.mktemp("candidates")
    docs = root / "docs"
    docs.mkdir()
    rng = random.Random(7)
    for i in range(400):
        words = [rng.choice(WORDS) for _ in range(rng.randrange(3, 6))] + ["shipping"]
        day = 20 + i % 5
        title = f"Port note {i}"
        text = f"{title}\n\ndate 2025-09-{day} {' '.join(words)}.\n"
        (docs / f"a{i:03d}.txt").write_text(text, "utf-8")
        if i % 15 == 0:
            (docs / f"a{i:03d}_copy.txt").write_text(text, "utf-8")
    build_in_two_processes([docs], root / "ix")
    return root / "ix"


def pages(index, query: str, sort: str, collapse: bool) -> list:
    out = []
    with Searcher(index) as s:
        for page, limit in ((1, 10), (2, 10), (4, 10), (1, 30)):
            res = s.search(
                query, limit=limit, page=page, sort=sort, collapse=collapse, suggest=False
            )
            out.append((res.total, [(h.id, h.score, h.similar, h.similar_ids) for h in res.hits]))
    return out


@pytest.mark.parametrize("query", ["shipping", "lang:en", "harbour shipping", "vessel"])
@pytest.mark.parametrize("sort", ["relevance", "date"])
@pytest.mark.parametrize("collapse", [True, False])
def test_pages_are_those_of_every_match(monkeypatch, index, query, sort, collapse):
    given: list = []
    original = CollapsingTop._candidates

    def recorded(self, scores, labels):
        got = original(self, scores, labels)
        given.append((len(got), len(scores)))
        return got

    monkeypatch.setattr(CollapsingTop, "_candidates", recorded)
    fast = pages(index, query, sort, collapse)
    # the reference: every match of every segment ranked
    monkeypatch.setattr(CollapsingTop, "_candidates", lambda self, scores, labels: list(scores))
    slow = pages(index, query, sort, collapse)
    assert fast == slow
    assert fast[0][0] >= 100
    assert any(n < total for n, total in given)  # most matches were left out


def test_ties_in_score_are_cut_at_the_page(index):
    """A filter alone scores every match alike: the page still takes the first groups in
    label order, and not every tied match is handed to ``add``."""
    added = []
    original = CollapsingTop.add

    def counted(self, docnum, score):
        added.append(docnum)
        return original(self, docnum, score)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(CollapsingTop, "add", counted)
        with Searcher(index) as s:
            res = s.search("lang:en", limit=10, suggest=False)
    assert res.total > 300
    assert len({h.score for h in res.hits}) == 1
    assert len(added) < 60


def test_date_order_reads_proximity_for_page_candidates_only(monkeypatch, index):
    # In date order only the newest groups can be on the page: proximity is read for those
    # of its window alone, and the pages are as when it is read for the whole window.
    def run(restrict: bool):
        asked, kept = [], []
        original = CollapsingTop.date_candidates
        real_positions = SegmentScorer._positions

        def candidates(self, scores):
            got = original(self, scores) if restrict else None
            kept.append(got)
            return got

        def positions(self, field, term, docs):
            asked.append(len(docs))
            return real_positions(self, field, term, docs)

        monkeypatch.setattr(CollapsingTop, "date_candidates", candidates)
        monkeypatch.setattr(SegmentScorer, "_positions", positions)
        out = []
        with Searcher(index) as s:
            for collapse in (True, False):
                for page, limit in ((1, 10), (2, 10), (4, 10), (1, 30)):
                    res = s.search(
                        "crane tide",
                        sort="date",
                        limit=limit,
                        page=page,
                        collapse=collapse,
                        suggest=False,
                    )
                    out.append((res.total, [(h.id, h.score, h.matched) for h in res.hits]))
        monkeypatch.undo()
        return out, sum(asked), kept

    fast, fast_asked, kept = run(True)
    slow, slow_asked, _ = run(False)
    assert any(k is not None for k in kept)  # the page's candidates were known
    assert fast == slow
    assert fast_asked < slow_asked
