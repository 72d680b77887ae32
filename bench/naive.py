"""The naive baseline: Whoosh + jieba's ``ChineseAnalyzer``, one writer, one process.

This is what most tutorials show for Chinese search in Python, and the "naive pipeline" of
issue 4 and NOTES-search.md. Schema::

    id    = ID(stored, unique)
    title = TEXT(analyzer=jieba.analyse.ChineseAnalyzer(), stored)
    body  = TEXT(analyzer=jieba.analyse.ChineseAnalyzer())
    date  = DATETIME(stored)

queried through ``MultifieldParser(["title", "body"], schema)`` (AND group) with BM25F.

API (also imported by eval/)::

    iter_records(path) -> Iterator[dict]
    build_naive_index(records, index_dir) -> int
    with NaiveSearcher(index_dir) as s:
        ids = s.search("东盟 防长", limit=10)

CLI (for cold-start timing)::

    python -m bench.naive build INDEX CORPUS.jsonl.gz
    python -m bench.naive search INDEX QUERY [-n 10]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import logging
import sys
import time
import warnings
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

__all__ = ["NaiveSearcher", "build_naive_index", "iter_records", "naive_schema"]


def iter_records(path: str | Path) -> Iterator[dict]:
    """Yield the JSON objects of a JSON Lines file (gzipped when its name ends in .gz)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig") as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield json.loads(line)


def _jieba_analyzer():
    """jieba's own Whoosh analyzer, with jieba's logging silenced."""
    with warnings.catch_warnings():
        # jieba.analyse leaves its idf.txt open (a ResourceWarning under -W error).
        warnings.simplefilter("ignore", ResourceWarning)
        import jieba
        import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    return jieba.analyse.ChineseAnalyzer()


def naive_schema():
    from whoosh.fields import DATETIME, ID, TEXT, Schema

    analyzer = _jieba_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True),
        body=TEXT(analyzer=analyzer),
        date=DATETIME(stored=True),
    )


def _parse_date(value) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value[:10])
    except ValueError:
        return None


def build_naive_index(records: Iterable[dict], index_dir: str | Path) -> int:
    """Index ``records`` into a new Whoosh index in ``index_dir``; return the number indexed."""
    from whoosh import index

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(index_dir), naive_schema())
    n = 0
    try:
        writer = ix.writer()
        try:
            for rec in records:
                doc = {
                    "id": str(rec["id"]),
                    "title": rec.get("title") or "",
                    "body": rec.get("body") or rec.get("content") or rec.get("text") or "",
                }
                date = _parse_date(rec.get("date"))
                if date is not None:
                    doc["date"] = date
                writer.add_document(**doc)
                n += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    finally:
        ix.close()
    return n


class NaiveSearcher:
    """Ranked search over a naive index; returns article ids, best first."""

    def __init__(self, index_dir: str | Path):
        # Opening the index unpickles the schema, which imports jieba.analyse: silence it first.
        _jieba_analyzer()
        from whoosh import index
        from whoosh.qparser import AndGroup, MultifieldParser

        self._ix = index.open_dir(str(index_dir))
        self._searcher = self._ix.searcher()
        self._parser = MultifieldParser(["title", "body"], self._ix.schema, group=AndGroup)

    def search(self, query: str, limit: int = 10) -> list[str]:
        q = self._parser.parse(query)
        return [hit["id"] for hit in self._searcher.search(q, limit=limit)]

    def search_hits(self, query: str, limit: int = 10) -> list[tuple[str, str]]:
        """(id, title) pairs, best first: what the CLI prints."""
        q = self._parser.parse(query)
        return [(hit["id"], hit.get("title", "")) for hit in self._searcher.search(q, limit=limit)]

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._ix.close()
            self._searcher = None

    def __enter__(self) -> NaiveSearcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.naive", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="index a JSON Lines corpus (.jsonl or .jsonl.gz)")
    b.add_argument("index")
    b.add_argument("corpus")
    s = sub.add_parser("search", help="print the top hits for a query")
    s.add_argument("index")
    s.add_argument("query", nargs="+")
    s.add_argument("-n", "--limit", type=int, default=10)
    args = ap.parse_args(argv)
    if args.cmd == "build":
        t0 = time.perf_counter()
        n = build_naive_index(iter_records(args.corpus), args.index)
        print(f"{n} articles indexed in {time.perf_counter() - t0:.1f} s")
        return 0
    with NaiveSearcher(args.index) as searcher:
        hits = searcher.search_hits(" ".join(args.query), limit=args.limit)
    for rank, (doc_id, title) in enumerate(hits, 1):
        print(f"{rank:3}. {title}  [{doc_id}]")
    return 0 if hits else 1


if __name__ == "__main__":
    sys.exit(main())
