"""Pooling candidates for a new topic of our own (eval/README.md, "Adding a topic").

    .venv/bin/python -m eval.pool pool --tid zh09 --lang zh -q "南海 仲裁" -q "南海仲裁案" \\
        --term 仲裁 --sheet /tmp/judging/zh09.tsv
    .venv/bin/python -m eval.pool qrels /tmp/judging/zh09.tsv --tid zh09 \\
        >> eval/data/own/qrels-zh.txt

``pool`` unions, for every formulation (``-q``, repeatable), the top ``--depth`` of mlsearch
AND, mlsearch OR, mlsearch ``--cross``, the naive pipeline AND and OR, and the articles of
the corpus containing a ``--term`` (a plain case-insensitive substring scan of title and
body, at most ``--scan-max`` per term). It prints the candidates, the most often found
first, with their title and opening, and writes a judging sheet (TSV: corpus_id, title,
opening, grade, found_by) to ``--sheet``, which must be outside the repository: the sheet
holds article text. ``--lang`` keeps one language's articles (a mono topic counts only
those); ``--qrels`` fills in the grades already given to this topic.

``qrels`` turns a graded sheet (grade 0, 1 or 2 on every line) into TREC qrels lines.

The indexes are the cached ones of ``python -m eval.run`` (``--workdir``), opened read-only;
this never builds one.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from .data import CORPUS_REL, DEFAULT_DATA, REPO_ROOT
from .run import DEFAULT_WORKDIR
from .systems import MLSEARCH, NAIVE, log

SHEET_HEADER = ["corpus_id", "title", "opening", "grade", "found_by"]


def opening(body: str, chars: int = 200) -> str:
    return re.sub(r"\s+", " ", body or "").strip()[:chars]


def system_hits(workdir: Path, queries: list[str], depth: int) -> dict[str, list[str]]:
    """corpus id -> where it was found ("mlsearch OR #3 'query'"), in order of discovery."""
    from .own import MlsearchRunner, NaiveRunner, QueryFailed

    found: dict[str, list[str]] = {}
    runs = [  # label, system, its options, cross, search kwargs
        ("mlsearch AND", MLSEARCH, {}, False, dict(match="all")),
        ("mlsearch OR", MLSEARCH, {}, False, dict(match="any")),
        ("mlsearch cross", MLSEARCH, {}, True, dict(match="all")),
        ("mlsearch ranked", MLSEARCH, {}, False, dict(match="ranked")),
        ("naive AND", NAIVE, {}, False, {}),
        ("naive OR", NAIVE, dict(any_words=True), False, {}),
    ]
    runners: dict = {}
    try:
        for label, system, opts, cross, kwargs in runs:
            index_dir = workdir / f"{system}-index"
            if not index_dir.is_dir():
                log(f"{label}: no index in {index_dir} (run python -m eval.run once): left out")
                continue
            key = (system, repr(opts))
            if key not in runners:
                cls = MlsearchRunner if system == MLSEARCH else NaiveRunner
                runners[key] = cls(index_dir, opts)
            for q in queries:
                try:
                    hits = runners[key].hits(q, cross, **kwargs)
                except QueryFailed as exc:
                    log(f"{label} {q!r}: refused: {exc}")
                    continue
                for rank, (doc, _copies) in enumerate(hits[:depth], 1):
                    found.setdefault(doc, []).append(f"{label} #{rank} {q!r}")
    finally:
        for runner in runners.values():
            runner.close()
    return found


def scan(records: Iterable[dict], terms: list[str], wanted: set[str], scan_max: int):
    """One pass over the corpus: the articles holding each term (at most ``scan_max`` per
    term, in corpus order), match counts, and title/body of every article in ``wanted`` or
    found by the scan."""
    folded = [(t, t.casefold()) for t in terms]
    hits: dict[str, list[str]] = {}
    counts = {t: 0 for t in terms}
    texts: dict[str, tuple[str, str]] = {}
    for rec in records:
        doc = rec["id"]
        title, body = rec.get("title") or "", rec.get("body") or ""
        keep = doc in wanted
        if folded:
            text = f"{title}\n{body}".casefold()
            for term, f in folded:
                if f in text:
                    counts[term] += 1
                    if counts[term] <= scan_max:
                        hits.setdefault(doc, []).append(f"scan {term!r}")
                        keep = True
        if keep:
            texts[doc] = (title, body)
    return hits, counts, texts


def read_grades(paths: list[Path], tid: str) -> dict[str, int]:
    grades = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            f = line.split()
            if len(f) == 4 and f[0] == tid and not line.startswith("#"):
                grades[f[2]] = int(f[3])
    return grades


def inside_repo(path: Path) -> bool:
    return path.resolve().is_relative_to(REPO_ROOT.resolve())


def cmd_pool(args) -> int:
    if inside_repo(args.sheet):
        print(f"error: {args.sheet} is inside the repository; article text stays out of it")
        return 2
    queries = args.query
    found = system_hits(args.workdir, queries, args.depth)
    from bench.naive import iter_records

    scanned, counts, texts = scan(iter_records(args.corpus), args.term, set(found), args.scan_max)
    for doc, where in scanned.items():
        found.setdefault(doc, []).extend(where)
    for term, n in counts.items():
        more = f", the first {args.scan_max} kept" if n > args.scan_max else ""
        log(f"scan {term!r}: {n} articles{more}")
    if args.lang:
        found = {d: w for d, w in found.items() if d.startswith(f"{args.lang}-")}
    judged = read_grades(args.qrels, args.tid) if args.tid else {}

    def best_rank(where: list[str]) -> int:
        ranks = [int(m.group(1)) for w in where if (m := re.search(r"#(\d+)", w))]
        return min(ranks, default=10**6)

    def sources(doc: str) -> list[str]:
        return sorted({w.split(" #")[0] for w in found[doc]})

    order = sorted(found, key=lambda d: (-len(sources(d)), best_rank(found[d]), d))
    args.sheet.parent.mkdir(parents=True, exist_ok=True)
    with args.sheet.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        out.writerow(SHEET_HEADER)
        for n, doc in enumerate(order, 1):
            title, body = texts.get(doc, ("", ""))
            grade = judged.get(doc, "")
            by = sources(doc)
            out.writerow([doc, title, opening(body, args.opening), grade, "; ".join(by)])
            mark = f" [judged {grade}]" if grade != "" else ""
            print(f"{n:4}. {doc}{mark}  ({', '.join(by)})")
            print(f"      {title}")
            print(f"      {opening(body, 120)}")
    print(
        f"{len(order)} candidates ({sum(d in judged for d in order)} already judged)"
        f" written to {args.sheet}"
    )
    return 0


def cmd_qrels(args) -> int:
    missing = 0
    with args.sheet.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0] in ("corpus_id", "") or row[0].startswith("#"):
                continue
            grade = row[3].strip() if len(row) > 3 else ""
            if grade == "":
                missing += 1
                continue
            if grade not in ("0", "1", "2"):
                print(f"error: {row[0]}: grade must be 0, 1 or 2, not {grade!r}", file=sys.stderr)
                return 2
            print(f"{args.tid} 0 {row[0]} {grade}")
    if missing:
        log(f"{missing} candidates have no grade yet: left out")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.pool", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pool", help="pool candidates and write a judging sheet")
    p.add_argument("-q", "--query", action="append", required=True, help="a formulation")
    p.add_argument("--term", action="append", default=[], help="substring to scan the corpus for")
    p.add_argument("--sheet", type=Path, required=True, help="judging sheet (outside the repo)")
    p.add_argument("--tid", help="the topic's id (with --qrels: fill in earlier grades)")
    p.add_argument("--lang", choices=("zh", "ms", "en"), help="keep this language's articles")
    p.add_argument("--qrels", type=Path, action="append", default=[], help="earlier judgements")
    p.add_argument("--depth", type=int, default=30, help="hits kept per system and query")
    p.add_argument("--scan-max", type=int, default=100, help="scan matches kept per term")
    p.add_argument("--opening", type=int, default=300, help="characters of the body on the sheet")
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="the cached indexes")
    p.add_argument("--corpus", type=Path, default=DEFAULT_DATA / CORPUS_REL, help="JSON Lines")
    q = sub.add_parser("qrels", help="a graded sheet as TREC qrels lines")
    q.add_argument("sheet", type=Path)
    q.add_argument("--tid", required=True)
    args = ap.parse_args(argv)
    return cmd_pool(args) if args.cmd == "pool" else cmd_qrels(args)


if __name__ == "__main__":
    sys.exit(main())
