"""Ranking and segmentation metrics, written out so each can be checked by hand.

Ranked lists are lists of article ids, best first; ``relevant`` is a set of ids. Gains are
binary (the qrels have one grade), but for ``graded_ndcg_at`` (our own topics, graded 0-2).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def average_precision(ranked: Sequence[str], relevant: set[str], k: int = 100) -> float:
    """TREC AP@k: the sum of precision at each relevant hit in the top k, divided by the
    number of relevant documents (all of them, retrieved or not). No hits: 0."""
    if not relevant:
        return 0.0
    found = 0
    total = 0.0
    for i, doc in enumerate(ranked[:k], 1):
        if doc in relevant:
            found += 1
            total += found / i
    return total / len(relevant)


def recall_at(ranked: Sequence[str], relevant: set[str], k: int = 100) -> float:
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """nDCG@k with binary gains: sum of 1/log2(rank+1) over relevant hits, over the ideal."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, doc in enumerate(ranked[:k], 1) if doc in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def dcg(gains: Sequence[float], k: int = 10) -> float:
    """Sum of gain / log2(rank + 1) over the top k."""
    return sum(g / math.log2(i + 1) for i, g in enumerate(gains[:k], 1))


def graded_ndcg_at(gains: Sequence[float], judged: Iterable[float], k: int = 10) -> float:
    """nDCG@k with graded gains: ``gains`` the ranked hits' gains (0 for unjudged), ``judged``
    every judged article's gain; the ideal ranking is those, best first. Linear gain (gain =
    grade, as trec_eval), so a grade-2 article is worth two grade-1 ones. None relevant: 0."""
    ideal = dcg(sorted((g for g in judged if g > 0), reverse=True), k)
    return dcg(gains, k) / ideal if ideal else 0.0


def precision_at(ranked_relevant: Sequence[bool], k: int = 10) -> float:
    """Relevant hits in the top k ÷ k (fewer than k hits count as misses)."""
    return sum(1 for r in ranked_relevant[:k] if r) / k


def rank_of(ranked: Sequence[str], target: str) -> int | None:
    """1-based rank of ``target``, or None."""
    try:
        return ranked.index(target) + 1
    except ValueError:
        return None


def reciprocal_rank(ranked: Sequence[str], target: str, k: int = 10) -> float:
    r = rank_of(ranked[:k], target)
    return 1.0 / r if r else 0.0


def success_at(ranked: Sequence[str], target: str, k: int = 10) -> float:
    return 1.0 if target in ranked[:k] else 0.0


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def spans(words: Iterable[str]) -> set[tuple[int, int]]:
    """Character spans (start, end) of consecutive words: the unit of segmentation scoring."""
    out = set()
    pos = 0
    for w in words:
        out.add((pos, pos + len(w)))
        pos += len(w)
    return out


def prf(gold: int, test: int, correct: int) -> dict[str, float]:
    """Precision, recall and F1 from word counts: gold words, test words, words in both."""
    p = correct / test if test else 0.0
    r = correct / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f1": f}
