"""The report: one row per figure, mlsearch beside the naive pipeline, ratio and target."""

from __future__ import annotations

from .sighan import MAX_F1_LOSS
from .systems import MLSEARCH, NAIVE

TOPICS_RATIO = 1.25
KNOWN_FULL = 0.95
KNOWN_SHORT = 0.80
OWN_NDCG = 0.80  # nDCG@10 on every topic of our own
OWN_NDCG_CROSS = 0.65  # nDCG@10 on the cross-language ones, with --cross
OWN_RECALL = 0.80  # recall@100 on every topic


def _row(section, metric, ml, naive=None, target="", met=None, fmt="{:.3f}", ratio=True):
    r = ml / naive if ratio and isinstance(naive, float) and naive else None
    return {
        "section": section,
        "metric": metric,
        MLSEARCH: ml,
        NAIVE: naive,
        "ratio": r,
        "target": target,
        "status": "" if not target else ("n/a" if met is None else ("met" if met else "MISSED")),
        "fmt": fmt,
    }


def build_rows(results: dict) -> list[dict]:
    rows = []
    topics = results.get("topics")
    if topics:
        sec = f"Malay topics ({topics['topics']})"
        for variant, label in (("raw", "as typed"), ("no_isu", "'isu' stripped")):
            ml = topics[variant][MLSEARCH]
            nv = topics[variant].get(NAIVE)
            get = lambda k, nv=nv: nv[k] if nv else None  # noqa: E731
            met = ml["map100"] >= TOPICS_RATIO * nv["map100"] if nv else None
            rows.append(
                _row(
                    sec,
                    f"MAP@100, {label}",
                    ml["map100"],
                    get("map100"),
                    f">= {TOPICS_RATIO}x naive",
                    met,
                )
            )
            rows.append(_row(sec, f"recall@100, {label}", ml["recall100"], get("recall100")))
            rows.append(_row(sec, f"nDCG@10, {label}", ml["ndcg10"], get("ndcg10")))
            rows.append(
                _row(
                    sec,
                    f"topics with no hits, {label}",
                    ml["zero_hit"],
                    get("zero_hit"),
                    fmt="{}",
                    ratio=False,
                )
            )
    known = results.get("known")
    if known:
        for lang, s in known["summary"].items():
            sec = f"Known-item {lang} ({s['sampled']})"
            for kind, label, floor in (
                ("full", "full title", KNOWN_FULL),
                ("short", "2-3 title words", KNOWN_SHORT),
            ):
                ml = s[f"{MLSEARCH}_{kind}"]
                nv = s.get(f"{NAIVE}_{kind}")
                rows.append(
                    _row(
                        sec,
                        f"success@10, {label}",
                        ml["success10"],
                        nv["success10"] if nv else None,
                        f">= {floor:.2f}",
                        ml["success10"] >= floor,
                    )
                )
                rows.append(_row(sec, f"MRR@10, {label}", ml["mrr10"], nv["mrr10"] if nv else None))
    sub = results.get("substring")
    if sub:
        sec = f"Chinese substrings ({sub['stats']['probes']} probes)"
        ml = sub["summary"][MLSEARCH]
        nv = sub["summary"].get(NAIVE)
        rows.append(
            _row(
                sec,
                "probes found (top 100)",
                ml["found"],
                nv["found"] if nv else None,
                "= 100%",
                ml["found"] >= 1.0 and sub["stats"]["probes"] > 0,
                fmt="{:.1%}",
            )
        )
        rows.append(
            _row(
                sec,
                "articles containing the word found",
                ml["article_recall"],
                nv["article_recall"] if nv else None,
                fmt="{:.1%}",
            )
        )
    cross = results.get("cross")
    if cross:
        sec = f"Cross-language ({cross['queries']} queries)"
        nv = cross.get(NAIVE)
        for scope, label in (("all", "all languages"), ("target", "target language only")):
            plain = cross[MLSEARCH][f"recall10_{scope}"]
            rows.append(
                _row(
                    sec,
                    f"recall@10, {label}, as typed",
                    plain,
                    nv[f"recall10_{scope}"] if nv else None,
                )
            )
            rows.append(
                _row(
                    sec,
                    f"recall@10, {label}, --cross",
                    cross[f"{MLSEARCH}_cross"][f"recall10_{scope}"],
                    nv[f"recall10_{scope}"] if nv else None,
                )
            )
    own = results.get("own")
    if own:
        rows += _own_rows(own)
    sighan = results.get("sighan")
    if sighan:
        for name, s in sighan.items():
            sec = f"SIGHAN 2005 {name}"
            ml, nv, stock = s[MLSEARCH], s[NAIVE], s["rjieba_stock"]
            met = ml["f1"] >= stock["f1"] - MAX_F1_LOSS
            rows.append(
                _row(
                    sec,
                    "F1, user dictionary vs stock",
                    ml["f1"],
                    nv["f1"],
                    f">= stock {stock['f1']:.3f} - {MAX_F1_LOSS}",
                    met,
                )
            )
            rows.append(_row(sec, "precision", ml["p"], nv["p"]))
            rows.append(_row(sec, "recall", ml["r"], nv["r"]))
    return rows


def _own_rows(own: dict) -> list[dict]:
    """The ladder's target row (eval/own.py) against issue 14's targets, beside naive AND."""
    from .own import naive_row, target_row

    row = target_row(own)
    if row is None:
        return []
    naive = naive_row(own)
    sec = f"Own topics ({own['topics']}), {row['name']}"
    out = []
    for group, metric, label, floor in (
        ("all", "ndcg10", "nDCG@10, all topics", OWN_NDCG),
        ("cross", "ndcg10", "nDCG@10, cross topics (--cross)", OWN_NDCG_CROSS),
        ("all", "recall100", "recall@100, all topics", OWN_RECALL),
        ("all", "p10", "P@10, all topics", None),
    ):
        mine = row["groups"].get(group)
        if not mine or mine[metric] is None:
            continue
        theirs = naive["groups"].get(group) if naive else None
        nv = theirs[metric] if theirs else None
        if floor is None:
            out.append(_row(sec, label, mine[metric], nv))
        else:
            out.append(_row(sec, label, mine[metric], nv, f">= {floor:.2f}", mine[metric] >= floor))
    return out


def _fmt(value, fmt: str) -> str:
    if value is None:
        return "-"
    return fmt.format(value)


def format_table(rows: list[dict]) -> str:
    header = ["metric", MLSEARCH, NAIVE, "ratio", "target", "status"]
    lines = []
    body = []
    for r in rows:
        body.append(
            (
                r["section"],
                [
                    "  " + r["metric"],
                    _fmt(r[MLSEARCH], r["fmt"]),
                    _fmt(r[NAIVE], r["fmt"]),
                    "-" if r["ratio"] is None else f"{r['ratio']:.2f}x",
                    r["target"],
                    r["status"],
                ],
            )
        )
    widths = [max([len(h), *(len(cells[i]) for _, cells in body)]) for i, h in enumerate(header)]
    right = {1, 2, 3}

    def line(cells):
        out = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    lines.append(line(header))
    section = None
    for sec, cells in body:
        if sec != section:
            lines.append("")
            lines.append(sec)
            section = sec
        lines.append(line(cells))
    return "\n".join(lines)


def format_notes(results: dict) -> list[str]:
    notes = []
    for name, s in (results.get("sighan") or {}).items():
        notes.append(
            f"SIGHAN {name}: naive = jieba 0.42.1, stock dictionary;"
            f" rjieba stock F1 {s['rjieba_stock']['f1']:.4f}"
            f" (identical segmentation on {s['rjieba_equals_jieba_lines']} of {s['lines']} lines);"
            f" the user dictionary changes {s['userdict_changed_lines']} lines"
        )
    known = results.get("known")
    if known:
        parts = [
            f"{lang} {s['shared_title']} of {s['articles']}" for lang, s in known["summary"].items()
        ]
        notes.append(
            "known-item: articles left out because another shares their title: " + ", ".join(parts)
        )
    sub = results.get("substring")
    if sub:
        st = sub["stats"]
        kinds = ", ".join(f"{n} {k}" for k, n in st["by_kind"].items())
        notes.append(
            f"substring probes: {kinds} ({st['two_char']} of 2 characters, {st['three_char']} of 3)"
        )
    cross = results.get("cross")
    if cross:
        plain, crossed = cross[MLSEARCH]["by_direction"], cross[f"{MLSEARCH}_cross"]["by_direction"]
        parts = [f"{d} {plain[d]:.2f} -> {crossed[d]:.2f}" for d in crossed]
        notes.append(
            f"cross-language recall@10 within the target language, by direction: {', '.join(parts)}"
            f" ({cross['judged']} judged articles; recall@10 cannot reach 1 for a query with"
            " more than 10)"
        )
    return notes


def format_summary(rows: list[dict]) -> str:
    judged = [r for r in rows if r["status"] in ("met", "MISSED")]
    missed = [r for r in judged if r["status"] == "MISSED"]
    if not judged:
        return "targets: none judged"
    text = f"targets: {len(judged) - len(missed)} of {len(judged)} met"
    if missed:
        text += "; missed: " + "; ".join(f"{r['section']} {r['metric']}" for r in missed)
    return text
