"""English quality: mlsearch beside a stock Whoosh stemming analyzer, on English only.

No classic English test collection with relevance judgements (TIME, CACM, CISI, Cranfield,
...) could be installed here: the PyPI packages that know them (ir_datasets, pyterrier)
download the text at run time, and none bundles it. So the comparison runs on the English
articles of the shared corpus (BBC, Reuters-21578, Malaysian outlets; no text is copied):

* ``mlsearch``: an index built through the normal indexing path (``build_index``), queried
  through ``Searcher`` with ``any_words`` (ranked OR of the words), near-duplicates not
  collapsed;
* ``stock``: Whoosh's ``StemmingAnalyzer`` (regex words, lower case, stock stop list, Porter)
  on ``title`` and ``body``, ``MultifieldParser`` with an OR group, BM25F (B 0.75, K1 1.2);
* ``ours_plain``: the stock schema and parser, with mlsearch's English analyzer in both
  fields: separates the analysis from mlsearch's fields and weights.

Queries: known-item (``eval.known``: an English article's whole title, and 2-3 of its
words), MRR@10 and success@10; and, when ``eval/data/own/topics-en.tsv`` and
``qrels-en.txt`` exist, judged English topics, MAP@100 and nDCG@10. Every query is sent as
OR (any word, ranked), as the "classic collection" measurement of issue 14 did.

``python -m eval.run --only english`` (indexes are built in a temporary folder, or in
``--workdir``/english when given; ~1-2 minutes for the 4,795 English articles).
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

from .data import REPO_ROOT, read_qrels
from .metrics import average_precision, mean, ndcg_at, rank_of
from .systems import MlsearchSystem, QueryError, System, log, run_query

OWN_DIR = REPO_ROOT / "eval" / "data" / "own"
TOPICS_FILE = OWN_DIR / "topics-en.tsv"
QRELS_FILE = OWN_DIR / "qrels-en.txt"
KNOWN_DEPTH = 10
TOPIC_DEPTH = 100
STOCK = "stock"
OURS_PLAIN = "ours_plain"


def english_records(records: list[dict], limit: int | None = None) -> list[dict]:
    """The English articles, in corpus order (the first ``limit`` of them when given)."""
    out = [r for r in records if r.get("lang") == "en"]
    return out[:limit] if limit else out


def build_mlsearch(records: list[dict], workdir: Path) -> Path:
    """An mlsearch index of ``records`` through the normal indexing path."""
    from indexer import build_index

    src = workdir / "en"
    src.mkdir(parents=True, exist_ok=True)
    with gzip.open(src / "articles.jsonl.gz", "wt", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    index_dir = workdir / "mlsearch-index"
    build_index([src / "articles.jsonl.gz"], index_dir)
    return index_dir


def stock_analyzer():
    from whoosh.analysis import StemmingAnalyzer

    return StemmingAnalyzer()


def ours_analyzer():
    from indexer.analyse.fields import LatinAnalyzer

    return LatinAnalyzer("en")


def build_plain(records: list[dict], index_dir: Path, analyzer) -> Path:
    """A two-field (title, body) Whoosh index of ``records`` with one ``analyzer``."""
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema

    index_dir.mkdir(parents=True, exist_ok=True)
    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer),
        body=TEXT(analyzer=analyzer),
    )
    ix = index.create_in(str(index_dir), schema)
    with ix.writer(limitmb=256) as w:
        for r in records:
            w.add_document(id=r["id"], title=r.get("title") or "", body=r.get("body") or "")
    ix.close()
    return index_dir


class PlainSystem(System):
    """A ``build_plain`` index, queried with a stock OR ``MultifieldParser`` and BM25F."""

    def __init__(self, name: str, index_dir: Path, bm25: tuple[float, float] = (0.75, 1.2)):
        from whoosh import index, scoring
        from whoosh.qparser import MultifieldParser, OrGroup

        self.name = name
        self._ix = index.open_dir(str(index_dir))
        self._searcher = self._ix.searcher(weighting=scoring.BM25F(B=bm25[0], K1=bm25[1]))
        self._parser = MultifieldParser(["title", "body"], self._ix.schema, group=OrGroup)

    def search(self, query: str, limit: int, lang: str | None = None, cross: bool = False):
        try:
            q = self._parser.parse(query)
        except Exception as exc:  # the stock parser's errors have no common base class
            raise QueryError(f"{type(exc).__name__}: {exc}") from exc
        return [hit["id"] for hit in self._searcher.search(q, limit=limit)]

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()


class MlsearchAnyWords(MlsearchSystem):
    """mlsearch with ``any_words`` (ranked OR) and every copy of a near-duplicate kept."""

    def search(self, query: str, limit: int, lang: str | None = None, cross: bool = False):
        from indexer.errors import MlsearchError

        try:
            results = self.searcher.search(
                query, limit=limit, suggest=False, any_words=True, collapse=False
            )
        except MlsearchError as exc:
            raise QueryError(exc.message) from exc
        return [hit.id.partition("/")[2] for hit in results.hits]


def build_systems(records: list[dict], workdir: Path) -> dict[str, System]:
    log(f"english: indexing {len(records)} English articles three ways in {workdir}")
    ml = build_mlsearch(records, workdir)
    stock = build_plain(records, workdir / "stock-index", stock_analyzer())
    plain = build_plain(records, workdir / "ours-plain-index", ours_analyzer())
    return {
        "mlsearch": MlsearchAnyWords(ml),
        STOCK: PlainSystem(STOCK, stock),
        OURS_PLAIN: PlainSystem(OURS_PLAIN, plain),
    }


def run_known(systems: dict[str, System], records: list[dict], per_lang: int) -> dict:
    from .known import make_queries

    queries, counts = make_queries(records, per_lang)
    queries = [q for q in queries if q["lang"] == "en"]
    per_query = []
    for q in queries:
        row = {"id": q["id"], "full": q["full"], "short": q["short"]}
        for name, system in systems.items():
            for kind in ("full", "short"):
                ranked, _ = run_query(system, q[kind], KNOWN_DEPTH)
                row[f"{name}_{kind}"] = rank_of(ranked, q["id"])
        per_query.append(row)
    summary = {"queries": len(per_query), "eligible": counts["en"]["eligible"]}
    for name in systems:
        for kind in ("full", "short"):
            ranks = [r[f"{name}_{kind}"] for r in per_query]
            summary[f"{name}_{kind}"] = {
                "mrr10": mean(1.0 / r if r else 0.0 for r in ranks),
                "success10": mean(1.0 if r else 0.0 for r in ranks),
            }
    return {"summary": summary, "per_query": per_query}


def read_en_topics(path: Path) -> dict[str, tuple[str, str]]:
    """``tid -> (query, description)`` of the monolingual English topics.

    Lines are ``tid<TAB>kind<TAB>query_lang<TAB>query<TAB>description`` (``#`` comments;
    cross-language topics are left out: their judgements span all three languages), or
    plain ``tid<TAB>query``."""
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) >= 5:
            if cols[1] == "mono":
                out[cols[0]] = (cols[3], cols[4])
        elif len(cols) >= 2:
            out[cols[0]] = (cols[1], "")
    return out


def run_topics(
    systems: dict[str, System], topics_file: Path = TOPICS_FILE, qrels_file: Path = QRELS_FILE
) -> dict | None:
    """MAP@100 and nDCG@10 of the topics as typed (``query``) and of their descriptions sent
    as long OR queries (``desc``, like the natural-language queries of classic collections)."""
    if not (Path(topics_file).exists() and Path(qrels_file).exists()):
        return None
    topics = read_en_topics(topics_file)
    qrels = read_qrels(qrels_file)
    out: dict = {"topics": len(topics)}
    for name, system in systems.items():
        out[name] = {}
        for kind, column in (("query", 0), ("desc", 1)):
            aps, ndcgs = [], []
            for tid, texts in topics.items():
                if not texts[column]:
                    continue
                relevant = qrels.get(tid, set())
                from .known import clean_query

                ranked, _ = run_query(system, clean_query(texts[column]), TOPIC_DEPTH)
                aps.append(average_precision(ranked, relevant, TOPIC_DEPTH))
                ndcgs.append(ndcg_at(ranked, relevant, 10))
            if aps:
                out[name][kind] = {"map100": mean(aps), "ndcg10": mean(ndcgs)}
    return out


def run(records: list[dict], per_lang: int, workdir: Path | None = None) -> dict:
    """Build the three English indexes (in ``workdir``, or a temporary folder) and score."""
    en = english_records(records)
    with tempfile.TemporaryDirectory(prefix="mlsearch-english-") as tmp:
        where = Path(workdir) if workdir is not None else Path(tmp)
        systems = build_systems(en, where)
        try:
            return {
                "articles": len(en),
                "known": run_known(systems, en, per_lang),
                "topics": run_topics(systems),
            }
        finally:
            for system in systems.values():
                system.close()


def format_lines(result: dict) -> list[str]:
    """The English section as text lines: one row per system."""
    known = result["known"]["summary"]
    topics = result.get("topics") or {}
    names = sorted({k.rsplit("_", 1)[0] for k in known if k.endswith("_full")})
    head = f"  {'system':<12} {'full MRR@10':>11} {'short MRR@10':>12} {'short S@10':>10}"
    if topics:
        head += f" {'query MAP':>9} {'nDCG@10':>7} {'desc MAP':>8} {'nDCG@10':>7}"
    lines = [
        f"English only ({result['articles']} articles, {known['queries']} known items"
        + (f", {topics['topics']} topics" if topics else "")
        + "; every query ORs its words):",
        head,
    ]
    for name in names:
        row = (
            f"  {name:<12} {known[name + '_full']['mrr10']:>11.3f}"
            f" {known[name + '_short']['mrr10']:>12.3f}"
            f" {known[name + '_short']['success10']:>10.3f}"
        )
        for kind, width in (("query", 9), ("desc", 8)):
            if kind in topics.get(name, {}):
                t = topics[name][kind]
                row += f" {t['map100']:>{width}.3f} {t['ndcg10']:>7.3f}"
        lines.append(row)
    return lines
