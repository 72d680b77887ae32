"""Cross-language search: recall@10 of a query's relevant articles in another language,
with and without ``--cross``.

The test set is ours (``eval/data/cross.tsv``): a query in one language, the articles of the
shared corpus in another language judged relevant to it by reading them. Each query runs
twice per system: over every language (what a user sees first), and limited to the target
language (``--lang``). The naive pipeline has no cross-language search: its figures are the
query as typed; its language filter keeps the target language's ids from its top 1,000.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .metrics import mean, recall_at
from .systems import MLSEARCH, System, run_query

CROSS_FILE = Path(__file__).resolve().parent / "data" / "cross.tsv"
K = 10
SCOPES = ("all", "target")  # top 10 of every language; top 10 within the target language


def read_cross(path: str | Path = CROSS_FILE) -> list[dict]:
    """``qid<TAB>query_lang<TAB>query<TAB>target_lang<TAB>id,id,...`` per line."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        qid, qlang, query, tlang, ids = (cell.strip() for cell in line.split("\t"))
        out.append(
            {
                "qid": qid,
                "query_lang": qlang,
                "query": query,
                "target_lang": tlang,
                "relevant": {i.strip() for i in ids.split(",") if i.strip()},
            }
        )
    return out


def run(systems: dict[str, System], path: str | Path = CROSS_FILE) -> dict:
    queries = read_cross(path)
    out: dict = {"queries": len(queries), "judged": sum(len(q["relevant"]) for q in queries)}
    for name, system in systems.items():
        modes = (False, True) if name == MLSEARCH else (False,)
        for cross in modes:
            key = f"{name}_cross" if cross else name
            per_query = []
            for q in queries:
                row = {"qid": q["qid"], "direction": f"{q['query_lang']}>{q['target_lang']}"}
                for scope in SCOPES:
                    lang = q["target_lang"] if scope == "target" else None
                    ranked, error = run_query(system, q["query"], K, lang=lang, cross=cross)
                    row[scope] = recall_at(ranked, q["relevant"], K)
                    row[f"{scope}_top"] = ranked
                    if error:
                        row["error"] = error
                per_query.append(row)
            by_direction = defaultdict(list)
            for row in per_query:
                by_direction[row["direction"]].append(row["target"])
            out[key] = {
                **{f"recall10_{scope}": mean(r[scope] for r in per_query) for scope in SCOPES},
                "by_direction": {d: mean(v) for d, v in sorted(by_direction.items())},
                "per_query": per_query,
            }
    return out
