"""Our own judged topics (issue 14): nDCG@10, P@10 and recall@100 per group of topics for
each row of the ablation ladder (``LADDER``).

The set: ``eval/data/own/topics-<x>.tsv`` (``tid<TAB>kind<TAB>query_lang<TAB>query<TAB>
description``, kind ``mono`` or ``cross``) with ``qrels-<x>.txt`` beside it (TREC: ``tid 0
corpus_id grade``, grade 0, 1 or 2; grade-0 lines are judged not relevant). A mono topic
counts the relevant articles of its query's language only (another language's article is
not relevant to it); a cross topic counts every language and runs with ``cross=True``.

Every topic is sent as typed, top 100 kept: a mono topic with ``lang=`` its query's language
(its pool was judged in that language only: an unfiltered run would be scored on unjudged
articles), a cross topic over the whole corpus.
Groups: ``zh``, ``ms``, ``en`` (mono topics by query language), ``cross``, and ``all``.
Metrics (``eval.metrics``), means over the topics with at least one relevant article:

- nDCG@10: graded, linear gain (gain = grade), 1/log2(rank + 1), over the ideal ranking of
  every judged article of the topic;
- P@10: hits of grade >= 1 in the top 10, divided by 10;
- recall@100: relevant articles (grade >= 1) in the top 100 ÷ all judged relevant;
- unjudged@10: hits in the top 10 nobody judged (summed over the group's topics): holes in
  the pool, counted as not relevant above.

An mlsearch hit stands for the near-duplicate copies collapsed into it (``similar_ids``):
its grade is the best of theirs, it is judged if any of them is, and it finds them all.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from search.relevance import ALL, NONE

from .metrics import graded_ndcg_at, mean, precision_at
from .systems import MLSEARCH, NAIVE, log

OWN_DIR = Path(__file__).resolve().parent / "data" / "own"
DEPTH = 100
K = 10
GROUPS = ("zh", "ms", "en", "cross", "all")
LANGS = ("zh", "ms", "en")
AND_THEN_OR = "and_then_or"  # mlsearch's AND hits, then its OR hits not already listed


@dataclass(frozen=True)
class Row:
    """One row of the ladder: ``Searcher(index_dir, **searcher)`` queried with
    ``.search(query, limit=100, suggest=False, cross=..., **search)``.

    ``system``: ``MLSEARCH``, ``AND_THEN_OR`` (the AND hits, then the OR hits not already
    listed; a baseline) or ``NAIVE`` (``bench/naive.py``; ``searcher=dict(any_words=True)``
    groups the words with OR instead of AND; it has no ``cross``: cross topics run as
    typed). ``cross=False``: run only the cross topics, as typed (what ``--cross`` adds).
    ``target``: the row held to issue 14's targets in the main report (the last one wins).
    A row whose kwargs the current ``Searcher`` does not take is skipped with a note."""

    name: str
    searcher: dict = field(default_factory=dict)
    search: dict = field(default_factory=dict)
    system: str = MLSEARCH
    cross: bool = True
    target: bool = False


# The matching model the feature rows stack on: the search kwargs of the chosen one.
BASE: dict = dict(match="ranked")
# Features switched on one after the other, in the ladder's order.
PROXIMITY = replace(NONE, proximity=True)
PHRASES = replace(PROXIMITY, exact_phrases=True)
SYNONYMS = replace(PHRASES, synonyms=True)

LADDER: list[Row] = [
    # matching models, no features
    Row("strict AND (as shipped before)", dict(features=NONE), dict(match="all")),
    Row("OR (plain BM25F sums)", dict(features=NONE), dict(match="any")),
    Row("AND, else ranked", dict(features=NONE), dict(match="all", fallback=True)),
    Row("AND hits then OR hits", dict(features=NONE), system=AND_THEN_OR),
    # candidate models (search.matching)
    Row("coord: score x matched/n", dict(features=NONE), dict(match="coord")),
    Row("coord2: score x (matched/n)^2", dict(features=NONE), dict(match="coord2")),
    Row("tiered: most words first", dict(features=NONE), dict(match="tiered")),
    Row("ranked: score x idf share", dict(features=NONE), dict(match="ranked")),
    # features, one after the other, on the BASE model
    Row("+ proximity", dict(features=PROXIMITY), BASE),
    Row("+ exact phrases", dict(features=PHRASES), BASE),
    Row("+ synonyms", dict(features=SYNONYMS), BASE),
    Row("+ dictionaries (all features)", dict(features=ALL), BASE, target=True),
    Row("all features, cross topics as typed", dict(features=ALL), BASE, cross=False),
    # the naive pipeline
    Row("naive AND", system=NAIVE),
    Row("naive OR", dict(any_words=True), system=NAIVE),
]


# ---- the topics and their judgements -------------------------------------------------------


@dataclass
class Topic:
    tid: str
    kind: str  # "mono" or "cross"
    lang: str  # the query's language
    query: str
    description: str = ""
    grades: dict[str, int] = field(default_factory=dict)  # corpus id -> grade, as judged

    @property
    def group(self) -> str:
        return "cross" if self.kind == "cross" else self.lang

    def grade(self, doc_id: str) -> int | None:
        """The article's grade for this topic; None when nobody judged it. For a mono
        topic an article of another language is not relevant, judged or not."""
        if self.kind == "mono" and not doc_id.startswith(f"{self.lang}-"):
            return 0
        return self.grades.get(doc_id)

    def relevant(self) -> dict[str, int]:
        """The relevant articles (grade >= 1) this topic counts, with their grades."""
        return {d: g for d, g in self.grades.items() if g > 0 and self.grade(d)}


class OwnDataError(ValueError):
    pass


def read_own(own_dir: str | Path = OWN_DIR) -> tuple[list[Topic], list[str]]:
    """Every ``topics-*.tsv`` of ``own_dir`` with its ``qrels-*.txt``: (topics, notes)."""
    own_dir = Path(own_dir)
    topics: dict[str, Topic] = {}
    notes: list[str] = []
    for path in sorted(own_dir.glob("topics-*.tsv")):
        suffix = path.stem.removeprefix("topics-")
        lines = path.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines, 1):
            if not line.strip() or line.startswith("#"):
                continue
            cells = [c.strip() for c in line.split("\t")]
            if len(cells) < 4:
                raise OwnDataError(
                    f"{path}:{n}: expected tid, kind, query_lang, query[, description]"
                )
            tid, kind, lang, query = cells[:4]
            if kind not in ("mono", "cross"):
                raise OwnDataError(f"{path}:{n}: kind must be mono or cross, not {kind!r}")
            if lang not in LANGS:
                raise OwnDataError(f"{path}:{n}: query_lang must be zh, ms or en, not {lang!r}")
            if tid in topics:
                raise OwnDataError(f"{path}:{n}: topic {tid} is defined twice")
            desc = cells[4] if len(cells) > 4 else ""
            topics[tid] = Topic(tid, kind, lang, query, desc)
        qrels = own_dir / f"qrels-{suffix}.txt"
        if not qrels.exists():
            notes.append(f"{path.name}: no {qrels.name} beside it")
            continue
        for n, line in enumerate(qrels.read_text(encoding="utf-8").splitlines(), 1):
            fields = line.split()
            if not fields or line.startswith("#"):
                continue
            if len(fields) != 4 or not fields[3].lstrip("-").isdigit():
                raise OwnDataError(f"{qrels}:{n}: expected 'tid 0 corpus_id grade'")
            tid, _, doc, grade = fields
            if tid not in topics:
                raise OwnDataError(f"{qrels}:{n}: no topic {tid}")
            topics[tid].grades[doc] = int(grade)
    return list(topics.values()), notes


# ---- the systems -----------------------------------------------------------------------------

RESERVED = {"query", "limit", "suggest", "cross"}  # set by the harness for every row


def _params(fn) -> set[str] | None:
    """The keyword parameters ``fn`` takes; None when it takes any (``**kwargs``)."""
    params = inspect.signature(fn).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params}


def unsupported(row: Row) -> str | None:
    """Why the current code cannot run ``row``, or None."""
    if row.system == NAIVE:
        extra = set(row.searcher) - {"any_words"}
        if extra or row.search:
            return f"the naive pipeline takes only any_words, not {sorted(extra | set(row.search))}"
        return None
    if row.system not in (MLSEARCH, AND_THEN_OR):
        return f"unknown system {row.system!r}"
    from search import Searcher

    clash = RESERVED & set(row.search)
    if clash:
        return f"the harness sets {sorted(clash)} itself"
    for what, fn, kwargs in (
        ("Searcher()", Searcher.__init__, row.searcher),
        ("Searcher.search()", Searcher.search, row.search),
    ):
        takes = _params(fn)
        missing = sorted(set(kwargs) - takes) if takes is not None else []
        if missing:
            return f"{what} takes no {', '.join(missing)}"
    return None


class QueryFailed(Exception):
    """A query the system refused (a user error): it counts as no hits."""


Hits = list[tuple[str, list[str]]]  # (corpus id, copies collapsed into it), best first


def _corpus_id(hit_id: str) -> str:
    # mlsearch ids start with the corpus folder's label (news/zh-…); qrels use record ids
    return hit_id.partition("/")[2] or hit_id


class MlsearchRunner:
    def __init__(self, index_dir: Path, kwargs: dict):
        from search import Searcher

        self.searcher = Searcher(index_dir, **kwargs)

    def hits(self, query: str, cross: bool, lang: str | None = None, **kwargs) -> Hits:
        from indexer.errors import MlsearchError

        if lang is not None:
            kwargs["lang"] = lang
        try:
            results = self.searcher.search(query, limit=DEPTH, suggest=False, cross=cross, **kwargs)
        except MlsearchError as exc:
            raise QueryFailed(exc.message) from exc
        return [(_corpus_id(h.id), [_corpus_id(i) for i in h.similar_ids]) for h in results.hits]

    def and_then_or(self, query: str, cross: bool, **kwargs) -> Hits:
        kwargs.pop("match", None)
        first = self.hits(query, cross, match="all", **kwargs)
        seen = {i for hit, copies in first for i in (hit, *copies)}
        rest = [
            (hit, copies)
            for hit, copies in self.hits(query, cross, match="any", **kwargs)
            if hit not in seen
        ]
        return (first + rest)[:DEPTH]

    def close(self) -> None:
        self.searcher.close()


class NaiveRunner:
    """``bench.naive.NaiveSearcher``, its words grouped by AND (as eval/systems.py queries
    it) or, with ``any_words``, by OR (whoosh's plain ``OrGroup``: BM25F sums)."""

    def __init__(self, index_dir: Path, kwargs: dict):
        from bench.naive import NaiveSearcher

        self.searcher = NaiveSearcher(index_dir)
        if kwargs.get("any_words"):
            from whoosh.qparser import MultifieldParser, OrGroup

            # bench/naive.py is left alone: editing it would rebuild the cached naive index
            schema = self.searcher._ix.schema
            self.searcher._parser = MultifieldParser(["title", "body"], schema, group=OrGroup)

    def hits(self, query: str, cross: bool, lang: str | None = None) -> Hits:
        """The top ``DEPTH``; with ``lang``, of that language's articles (read from the
        top ten times as many, by the id's language prefix)."""
        try:
            if lang is None:
                return [(i, []) for i in self.searcher.search(query, limit=DEPTH)]
            found = self.searcher.search(query, limit=DEPTH * 10)
            return [(i, []) for i in found if i.startswith(f"{lang}-")][:DEPTH]
        except Exception as exc:  # the naive parser's errors have no common base class
            raise QueryFailed(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self.searcher.close()


# ---- scoring ---------------------------------------------------------------------------------


def score(topic: Topic, hits: Hits) -> dict:
    """The figures of one topic's ranked hits."""
    grades = []
    for hit, copies in hits:
        judged = [g for g in (topic.grade(i) for i in (hit, *copies)) if g is not None]
        grades.append(max(judged) if judged else None)
    relevant = topic.relevant()
    found = {i for hit, copies in hits[:DEPTH] for i in (hit, *copies)} & set(relevant)
    gains = [g or 0 for g in grades]
    return {
        "ndcg10": graded_ndcg_at(gains, relevant.values(), K),
        "p10": precision_at([g >= 1 for g in gains], K),
        "recall100": len(found) / len(relevant) if relevant else 0.0,
        "unjudged10": sum(1 for g in grades[:K] if g is None),
        "top10": [[hit, g] for (hit, _), g in zip(hits[:K], grades[:K], strict=True)],
        "unjudged_ids": [
            hit for (hit, _), g in zip(hits[:K], grades[:K], strict=True) if g is None
        ],
    }


METRICS = ("ndcg10", "p10", "recall100")


def summarise(per_topic: list[dict]) -> dict:
    scored = [t for t in per_topic if t["relevant"]]
    return {
        "topics": len(scored),
        **{m: mean(t[m] for t in scored) if scored else None for m in METRICS},
        "unjudged10": sum(t["unjudged10"] for t in per_topic),
        "no_hits": sum(1 for t in per_topic if not t["hits"]),
        "errors": sum(1 for t in per_topic if t.get("error")),
    }


# ---- the section -----------------------------------------------------------------------------


def _key(row: Row) -> tuple:
    kind = NAIVE if row.system == NAIVE else MLSEARCH
    return kind, repr(sorted(row.searcher.items()))


def run(
    indexes: dict[str, dict], own_dir: str | Path = OWN_DIR, ladder: list[Row] | None = None
) -> dict:
    """Run every row of ``ladder`` (default ``LADDER``) over the topics of ``own_dir``.
    ``indexes``: ``{system: {"index_dir": ...}}`` as ``systems.ensure_indexes`` returns."""
    ladder = LADDER if ladder is None else ladder
    topics, notes = read_own(own_dir)
    out: dict = {
        "own_dir": str(own_dir),
        "topics": len(topics),
        "by_group": {g: sum(1 for t in topics if t.group == g) for g in GROUPS[:-1]},
        "judgements": sum(len(t.grades) for t in topics),
        "no_relevant": [t.tid for t in topics if not t.relevant()],
        "notes": notes,
        "rows": [],
    }
    out["by_group"]["all"] = len(topics)
    if not topics:
        notes.append(f"no topics in {own_dir}")
        return out
    if out["no_relevant"]:
        notes.append(
            "topics with no relevant article, left out of the means: "
            + ", ".join(out["no_relevant"])
        )
    runners: dict[tuple, MlsearchRunner | NaiveRunner] = {}
    try:
        for row in ladder:
            out["rows"].append(_run_row(row, topics, indexes, runners, notes))
    finally:
        for runner in runners.values():
            runner.close()
    return out


def _run_row(row: Row, topics: list[Topic], indexes: dict, runners: dict, notes: list) -> dict:
    result = {
        "name": row.name,
        "system": row.system,
        "searcher": repr(row.searcher),
        "search": repr(row.search),
        "cross": row.cross,
        "target": row.target,
        "skipped": None,
        "groups": {},
        "per_topic": [],
    }
    kind = NAIVE if row.system == NAIVE else MLSEARCH
    why = unsupported(row)
    if why is None and kind not in indexes:
        why = f"no {kind} index (--skip-naive?)"
    if why:
        result["skipped"] = why
        notes.append(f"row '{row.name}' skipped: {why}")
        log(f"own: row '{row.name}' skipped: {why}")
        return result
    t0 = time.perf_counter()
    key = _key(row)
    try:
        if key not in runners:
            cls = NaiveRunner if kind == NAIVE else MlsearchRunner
            runners[key] = cls(Path(indexes[kind]["index_dir"]), row.searcher)
        runner = runners[key]
        for topic in topics:
            if not row.cross and topic.kind != "cross":
                continue
            cross = topic.kind == "cross" and row.cross and kind != NAIVE
            lang = topic.lang if topic.kind == "mono" else None
            error = None
            try:
                if row.system == NAIVE:
                    hits = runner.hits(topic.query, cross, lang)
                elif row.system == AND_THEN_OR:
                    hits = runner.and_then_or(topic.query, cross, lang=lang, **row.search)
                else:
                    hits = runner.hits(topic.query, cross, lang=lang, **row.search)
            except QueryFailed as exc:
                hits, error = [], str(exc)
            result["per_topic"].append(
                {
                    "tid": topic.tid,
                    "group": topic.group,
                    "query": topic.query,
                    "cross": cross,
                    "relevant": len(topic.relevant()),
                    "hits": len(hits),
                    **score(topic, hits),
                    "error": error,
                }
            )
    except (TypeError, ValueError) as exc:
        # kwargs the code accepts by name but not by value (match="nonesuch")
        why = f"{type(exc).__name__}: {exc}"
        result.update(skipped=why, per_topic=[])
        notes.append(f"row '{row.name}' skipped: {why}")
        log(f"own: row '{row.name}' skipped: {why}")
        return result
    per_topic = result["per_topic"]
    for group in GROUPS:
        chosen = [t for t in per_topic if group == "all" or t["group"] == group]
        if group == "all" and not row.cross:
            chosen = []  # only the cross topics ran: no overall figure
        result["groups"][group] = summarise(chosen) if chosen else None
    result["seconds"] = round(time.perf_counter() - t0, 1)
    log(f"own: {row.name}: {len(per_topic)} topics in {result['seconds']} s")
    return result


# ---- printing --------------------------------------------------------------------------------

TABLES = (
    ("ndcg10", "nDCG@10 (graded)"),
    ("p10", "P@10"),
    ("recall100", "recall@100"),
    ("unjudged10", "unjudged hits in the top 10 (sum over topics)"),
)


def target_row(own: dict) -> dict | None:
    """The last row marked ``target`` that ran."""
    rows = [r for r in own["rows"] if r["target"] and not r["skipped"]]
    return rows[-1] if rows else None


def naive_row(own: dict) -> dict | None:
    """The naive pipeline as eval/systems.py queries it (AND)."""
    for r in own["rows"]:
        if r["system"] == NAIVE and r["searcher"] == "{}" and not r["skipped"]:
            return r
    return None


def format_tables(own: dict, markdown: bool = False) -> str:
    """One table per metric: rows = the ladder, columns = the groups of topics."""
    if not own["topics"]:
        return "\n".join(f"note: {n}" for n in own["notes"])
    counts = own["by_group"]
    header = ["row", *(f"{g} ({counts.get(g, 0)})" for g in GROUPS)]
    ran = [r for r in own["rows"] if not r["skipped"]]
    blocks = []
    for metric, title in TABLES:
        body = []
        for r in ran:
            cells = [r["name"]]
            for g in GROUPS:
                s = r["groups"].get(g)
                v = s[metric] if s else None
                cells.append("-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)))
            body.append(cells)
        blocks.append(_table(title, header, body, markdown))
    legend = (
        "cross topics run with --cross (mlsearch rows; the naive pipeline has none: as typed);"
        " 'all' = every topic; a mono topic counts the articles of its query's language only;"
        f" means over the topics with a relevant article; {own['topics']} topics,"
        f" {own['judgements']} judgements"
    )
    lines = ["\n\n".join(blocks), "", legend]
    skipped = [r for r in own["rows"] if r["skipped"]]
    lines += [f"skipped: {r['name']}: {r['skipped']}" for r in skipped]
    lines += [f"note: {n}" for n in own["notes"] if not n.startswith("row '")]
    return "\n".join(lines)


def _table(title: str, header: list[str], body: list[list[str]], markdown: bool) -> str:
    if markdown:
        out = [f"**{title}**", "", "| " + " | ".join(header) + " |"]
        out.append("| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |")
        out += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(out)
    widths = [max(len(c[i]) for c in [header, *body]) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([title, line(header), *(line(c) for c in body)])
