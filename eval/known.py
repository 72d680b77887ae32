"""Known-item search: a query made from an article's title must find that article.

For each language a fixed random sample of articles (``random.Random`` seeded per language)
is drawn from those whose title no other article shares and gives both queries:

* ``full``: the whole title, with Whoosh query syntax removed (``clean_query``);
* ``short``: 2 or 3 of its words, chosen per article by a generator seeded with the
  article id, kept in title order. English and Malay: words of 4+ characters with a letter
  that are not stop words. Chinese: words of 2+ characters (letters, digits or Han) from
  stock jieba's precise mode (rjieba), joined by spaces.

Both systems get the same query strings. MRR@10 and success@10 per language and system.
"""

from __future__ import annotations

import random
import re
import string
from collections import Counter

from .metrics import mean, rank_of
from .systems import System, run_query

LANGS = ("zh", "ms", "en")
SEED = 2026
DEPTH = 10

# Whoosh query syntax: phrases, fields, groups, ranges, wildcards, fuzzy, boosts.
_SYNTAX = re.compile(r"[\"():\[\]{}*?~^]")
# A single quote that is not an apostrophe inside a word ('quoted' words).
_QUOTE = re.compile(r"(?<!\w)'|'(?!\w)")
_OPERATORS = frozenset({"AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE", "REQUIRE"})
_EDGE_PUNCT = string.punctuation + "‘’“”«»…—–·•、，。：；！？（）《》「」【】"


def clean_query(text: str) -> str:
    """``text`` without query syntax: the words as a user would type them."""
    text = _QUOTE.sub(" ", _SYNTAX.sub(" ", text))
    return " ".join(w for w in text.split() if w not in _OPERATORS)


def latin_candidates(title: str, stops: frozenset[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for tok in clean_query(title).split():
        w = tok.strip(_EDGE_PUNCT)
        key = w.lower()
        if len(w) >= 4 and any(c.isalpha() for c in w) and key not in stops and key not in seen:
            seen.add(key)
            out.append(w)
    return out


def han_candidates(title: str, jieba) -> list[str]:
    out = []
    for w in jieba.cut(clean_query(title)):
        if len(w) >= 2 and all(c.isalnum() for c in w) and w not in out:
            out.append(w)
    return out


def short_query(doc_id: str, candidates: list[str]) -> str:
    rng = random.Random(f"{SEED}:{doc_id}")
    k = min(len(candidates), rng.choice((2, 3)))
    picked = sorted(rng.sample(range(len(candidates)), k))
    return " ".join(candidates[i] for i in picked)


def make_queries(records: list[dict], per_lang: int) -> tuple[list[dict], dict]:
    """The sampled (lang, id, title, full, short) queries, and eligibility counts."""
    import rjieba

    from indexer.analyse.latin import stop_words

    stops = stop_words()
    jieba = rjieba.Jieba()  # the stock dictionary: queries do not depend on mlsearch's
    by_lang: dict[str, list[dict]] = {lang: [] for lang in LANGS}
    counts = {lang: {"articles": 0, "shared_title": 0, "eligible": 0} for lang in LANGS}
    # A title several articles share (国内联播快讯) names no single article: left out.
    title_count = Counter(clean_query(r.get("title") or "").casefold() for r in records)
    for rec in sorted(records, key=lambda r: r["id"]):
        lang = rec.get("lang")
        if lang not in by_lang:
            continue
        counts[lang]["articles"] += 1
        title = (rec.get("title") or "").strip()
        full = clean_query(title)
        if not full:
            continue
        if title_count[full.casefold()] > 1:
            counts[lang]["shared_title"] += 1
            continue
        cands = han_candidates(title, jieba) if lang == "zh" else latin_candidates(title, stops)
        if len(cands) < 2:
            continue
        counts[lang]["eligible"] += 1
        by_lang[lang].append(
            {
                "lang": lang,
                "id": rec["id"],
                "title": title,
                "full": full,
                "short": short_query(rec["id"], cands),
            }
        )
    queries = []
    for lang in LANGS:
        pool = by_lang[lang]
        rng = random.Random(f"{SEED}:known-item:{lang}")
        queries += rng.sample(pool, min(per_lang, len(pool)))
    return queries, counts


def run(systems: dict[str, System], records: list[dict], per_lang: int) -> dict:
    queries, counts = make_queries(records, per_lang)
    per_query = []
    for q in queries:
        row = dict(q)
        for name, system in systems.items():
            for kind in ("full", "short"):
                ranked, error = run_query(system, q[kind], DEPTH)
                row[f"{name}_{kind}_rank"] = rank_of(ranked, q["id"])
                row[f"{name}_{kind}_top3"] = ranked[:3]
                row[f"{name}_{kind}_hits"] = len(ranked)
                if error:
                    row[f"{name}_{kind}_error"] = error
        per_query.append(row)
    summary: dict = {}
    for lang in LANGS:
        rows = [r for r in per_query if r["lang"] == lang]
        summary[lang] = {"sampled": len(rows), **counts[lang]}
        for name in systems:
            for kind in ("full", "short"):
                ranks = [r[f"{name}_{kind}_rank"] for r in rows]
                summary[lang][f"{name}_{kind}"] = {
                    "mrr10": mean(1.0 / r if r else 0.0 for r in ranks),
                    "success10": mean(1.0 if r else 0.0 for r in ranks),
                }
    return {"summary": summary, "per_query": per_query}
