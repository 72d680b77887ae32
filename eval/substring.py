"""Chinese substring recall: a word found only inside longer words must still find its article.

Probes are built from the corpus, independently of either system:

1. Every article with Han text (title + body) is segmented with stock jieba's precise mode
   (rjieba, the stock dictionary).
2. A probe word ``w`` is 2 or 3 Han characters and a word in its own right, of one of two
   kinds, half the probes each:
   ``elsewhere``: a precise-mode word of its own in at least two other articles (处理);
   ``never``: in jieba's stock dictionary but never a word of its own anywhere in the
   corpus, only ever part of longer words.
3. A probe is (``w``, article) where the article contains ``w`` and *every* occurrence of
   it lies strictly inside a longer precise-mode word (处理 in 待处理): never a word of its
   own there, never across a word boundary.
4. Only words contained in at most ``MAX_DF`` articles are used, so that the top 100 hits
   are all the hits of a system that finds every article containing ``w``.
5. Words of each kind are shuffled with a fixed seed and one article is drawn per word.

Each probe queries ``w`` alone. Reported per system: the share of probes whose article is in
the top 100 (the target: 100%), and the mean share of all articles containing ``w`` that
are in the top 100 ("article recall").
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict

from .systems import System, run_query

SEED = 2026
DEPTH = 100
MAX_DF = 50
DEFAULT_PROBES = 150
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_ANY_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _count_overlapping(text: str, w: str) -> int:
    n, i = 0, text.find(w)
    while i >= 0:
        n += 1
        i = text.find(w, i + 1)
    return n


def build_probes(records: list[dict], n: int = DEFAULT_PROBES) -> tuple[list[dict], dict]:
    import rjieba

    jieba = rjieba.Jieba()
    texts: dict[str, str] = {}
    standalone_df: Counter[str] = Counter()
    inside: dict[str, dict[str, int]] = defaultdict(dict)  # w -> {article: occurrences}
    for rec in sorted(records, key=lambda r: r["id"]):
        text = (rec.get("title") or "") + "\n" + (rec.get("body") or "")
        if not _ANY_HAN.search(text):
            continue
        texts[rec["id"]] = text
        tokens = jieba.cut(text)
        own = set(tokens)
        standalone_df.update(t for t in own if 2 <= len(t) <= 3)
        counts: Counter[str] = Counter()
        for tok in tokens:
            if len(tok) < 3 or not _HAN.match(tok):
                continue
            for size in (2, 3):
                if size < len(tok):
                    for i in range(len(tok) - size + 1):
                        counts[tok[i : i + size]] += 1
        for w, c in counts.items():
            if w not in own:
                inside[w][rec["id"]] = c

    kinds = {
        "elsewhere": sorted(w for w in inside if standalone_df[w] >= 2),
        "never": sorted(w for w in inside if not standalone_df[w] and jieba.has_word(w)),
    }
    rng = random.Random(SEED)
    probes = []
    skipped = Counter()
    for k, (kind, words) in enumerate(kinds.items()):
        rng.shuffle(words)
        quota = n // 2 if k == 0 else n - len(probes)
        taken = 0
        for w in words:
            if taken >= quota:
                break
            containing = sorted(doc for doc, text in texts.items() if w in text)
            if len(containing) > MAX_DF:
                skipped["too_frequent"] += 1
                continue
            # Only inside longer words: every occurrence in the text was counted in a word.
            ok = sorted(
                doc for doc, c in inside[w].items() if _count_overlapping(texts[doc], w) == c
            )
            if not ok:
                skipped["also_across_word_boundaries"] += 1
                continue
            doc = rng.choice(ok)
            holder = next(t for t in jieba.cut(texts[doc]) if w in t and t != w)
            probes.append(
                {
                    "word": w,
                    "kind": kind,
                    "id": doc,
                    "inside": holder,
                    "containing": containing,
                    "in_stock_dict": jieba.has_word(w),
                }
            )
            taken += 1
    stats = {
        "articles_with_han": len(texts),
        "candidate_words": {kind: len(words) for kind, words in kinds.items()},
        "by_kind": dict(Counter(p["kind"] for p in probes)),
        "probes": len(probes),
        "two_char": sum(1 for p in probes if len(p["word"]) == 2),
        "three_char": sum(1 for p in probes if len(p["word"]) == 3),
        "skipped": dict(skipped),
    }
    return probes, stats


def run(systems: dict[str, System], records: list[dict], n: int = DEFAULT_PROBES) -> dict:
    probes, stats = build_probes(records, n)
    summary = {}
    for name, system in systems.items():
        found = []
        article_recall = []
        for p in probes:
            ranked, error = run_query(system, p["word"], DEPTH)
            hit = p["id"] in ranked
            found.append(hit)
            got = set(ranked)
            article_recall.append(
                sum(1 for d in p["containing"] if d in got) / len(p["containing"])
            )
            p[f"{name}_found"] = hit
            p[f"{name}_hits"] = len(ranked)
            if error:
                p[f"{name}_error"] = error
        summary[name] = {
            "found": sum(found) / len(found) if found else 0.0,
            "article_recall": sum(article_recall) / len(article_recall) if probes else 0.0,
        }
    for p in probes:
        p["containing"] = len(p["containing"])
    return {"stats": stats, "summary": summary, "probes": probes}
