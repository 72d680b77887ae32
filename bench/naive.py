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
    python -m bench.naive add INDEX MORE.jsonl.gz
    python -m bench.naive search INDEX QUERY [-n 10] [--sort date]
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

__all__ = ["NaiveSearcher", "add_naive", "build_naive_index", "iter_records", "naive_schema"]


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
    return _write(index.create_in(str(index_dir), naive_schema()), records)


def add_naive(records: Iterable[dict], index_dir: str | Path) -> int:
    """Add ``records`` to an existing naive index (what a naive user does for new articles)."""
    _jieba_analyzer()
    from whoosh import index

    return _write(index.open_dir(str(index_dir)), records)


def _write(ix, records: Iterable[dict]) -> int:
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

    def search(self, query: str, limit: int = 10, sort: str = "relevance") -> list[str]:
        return [doc_id for doc_id, _ in self.search_hits(query, limit, sort)]

    def search_hits(
        self, query: str, limit: int = 10, sort: str = "relevance"
    ) -> list[tuple[str, str]]:
        """(id, title) pairs, best first (or newest first with ``sort="date"``)."""
        q = self._parser.parse(query)
        kwargs = {"sortedby": "date", "reverse": True} if sort == "date" else {}
        hits = self._searcher.search(q, limit=limit, **kwargs)
        return [(hit["id"], hit.get("title", "")) for hit in hits]

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._ix.close()
            self._searcher = None

    def __enter__(self) -> NaiveSearcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def baseline_cli(argv, prog: str, description: str, build, add, open_searcher, store: str) -> int:
    """The command line shared by the baselines: ``build``/``add`` STORE CORPUS, ``search``."""
    ap = argparse.ArgumentParser(prog=prog, description=description)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("build", "add"):
        b = sub.add_parser(name, help=f"{name} from a JSON Lines corpus (.jsonl or .jsonl.gz)")
        b.add_argument(store)
        b.add_argument("corpus")
    s = sub.add_parser("search", help="print the top hits for a query")
    s.add_argument(store)
    s.add_argument("query", nargs="+")
    s.add_argument("-n", "--limit", type=int, default=10)
    s.add_argument("--sort", choices=["relevance", "date"], default="relevance")
    args = ap.parse_args(argv)
    where = getattr(args, store)
    if args.cmd in ("build", "add"):
        t0 = time.perf_counter()
        fn = build if args.cmd == "build" else add
        n = fn(iter_records(args.corpus), where)
        print(f"{n} articles indexed in {time.perf_counter() - t0:.1f} s")
        return 0
    with open_searcher(where) as searcher:
        hits = searcher.search_hits(" ".join(args.query), limit=args.limit, sort=args.sort)
    for rank, (doc_id, title) in enumerate(hits, 1):
        print(f"{rank:3}. {title}  [{doc_id}]")
    return 0 if hits else 1


def main(argv: list[str] | None = None) -> int:
    return baseline_cli(
        argv,
        "python -m bench.naive",
        __doc__.split("\n")[0],
        build_naive_index,
        add_naive,
        NaiveSearcher,
        "index",
    )


if __name__ == "__main__":
    sys.exit(main())
