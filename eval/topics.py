"""Malay topics: MAP@100, recall@100 and nDCG@10 against the pseudo-relevance qrels.

Each phrase is sent as typed (both systems AND its words), and again with the generic
leading "isu" (issue) stripped. A refused query or one with no hits scores 0 everywhere;
the number of topics with no hits is reported beside the means.
"""

from __future__ import annotations

from .data import TOPICS_REL, read_qrels, read_topics
from .metrics import average_precision, mean, ndcg_at, recall_at
from .systems import System, run_query

DEPTH = 100
VARIANTS = ("raw", "no_isu")


def strip_isu(phrase: str) -> str:
    words = phrase.split()
    if len(words) > 1 and words[0].lower() == "isu":
        words = words[1:]
    return " ".join(words)


def run(systems: dict[str, System], data_dir) -> dict:
    base = data_dir / TOPICS_REL
    topics = read_topics(base / "topics.tsv")
    qrels = read_qrels(base / "qrels.txt")
    out: dict = {"topics": len(topics), "judged": sum(len(v) for v in qrels.values())}
    for variant in VARIANTS:
        out[variant] = {}
        for name, system in systems.items():
            per_topic = []
            for tid, phrase in topics.items():
                query = phrase if variant == "raw" else strip_isu(phrase)
                relevant = qrels.get(tid, set())
                ranked, error = run_query(system, query, DEPTH)
                per_topic.append(
                    {
                        "topic": tid,
                        "query": query,
                        "relevant": len(relevant),
                        "hits": len(ranked),
                        "ap": average_precision(ranked, relevant, DEPTH),
                        "recall100": recall_at(ranked, relevant, DEPTH),
                        "ndcg10": ndcg_at(ranked, relevant, 10),
                        "error": error,
                        "top10": ranked[:10],
                    }
                )
            out[variant][name] = {
                "map100": mean(t["ap"] for t in per_topic),
                "recall100": mean(t["recall100"] for t in per_topic),
                "ndcg10": mean(t["ndcg10"] for t in per_topic),
                "zero_hit": sum(1 for t in per_topic if not t["hits"]),
                "per_topic": per_topic,
            }
    return out
