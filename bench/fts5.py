"""Baseline: SQLite FTS5 over jieba-segmented text (what many users would pick instead).

Text that contains Chinese characters is segmented with jieba (``" ".join(jieba.cut(text))``)
before it goes into an FTS5 table with the ``unicode61`` tokenizer, so every jieba word is
one FTS5 token; Latin text goes in as it is (unicode61 lower-cases it and strips diacritics;
no stemming). Ranking is ``bm25(docs, 3.0, 1.0)`` (title weighs 3× body, like mlsearch).

Queries: words are ANDed; a Chinese word is segmented the same way and its pieces must
appear in sequence (an FTS5 phrase); ``"…"`` is a phrase; ``lang:xx`` and ``date:2025`` /
``date:2025-10`` filter on stored columns; ``sort="date"`` orders newest first. jieba is
imported only when a query contains Chinese, so Latin queries start fast.

CLI (for cold-start timing)::

    python -m bench.fts5 build DB CORPUS.jsonl.gz
    python -m bench.fts5 add DB MORE.jsonl.gz
    python -m bench.fts5 search DB QUERY [-n 10] [--sort date]
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterable
from pathlib import Path

from bench.naive import baseline_cli

__all__ = ["Fts5Searcher", "add_fts5", "build_fts5", "segment", "to_match"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_jieba = None


def _cut(text: str) -> list[str]:
    global _jieba
    if _jieba is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return [w for w in _jieba.cut(text) if w.strip()]


def segment(text: str) -> str:
    """Text with jieba word breaks as spaces when it contains Chinese; else unchanged."""
    if not text or not _CJK.search(text):
        return text or ""
    return " ".join(_cut(text))


def _create(con: sqlite3.Connection) -> None:
    con.execute(
        "CREATE VIRTUAL TABLE docs USING fts5("
        "title, body, id UNINDEXED, date UNINDEXED, lang UNINDEXED, "
        "tokenize='unicode61 remove_diacritics 2')"
    )


def _rows(records: Iterable[dict]):
    for rec in records:
        body = rec.get("body") or rec.get("content") or rec.get("text") or ""
        date = rec.get("date") if isinstance(rec.get("date"), str) else None
        yield (
            segment(rec.get("title") or ""),
            segment(body),
            str(rec["id"]),
            date[:10] if date else None,
            rec.get("lang") or "",
        )


def add_fts5(records: Iterable[dict], db: str | Path) -> int:
    """Append ``records`` to an FTS5 database (created if missing); return how many."""
    con = sqlite3.connect(str(db))
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name='docs'").fetchone():
            _create(con)
        count = [0]

        def counted():
            for row in _rows(records):
                count[0] += 1
                yield row

        with con:
            con.executemany(
                "INSERT INTO docs(title, body, id, date, lang) VALUES (?,?,?,?,?)", counted()
            )
        return count[0]
    finally:
        con.close()


def build_fts5(records: Iterable[dict], db: str | Path) -> int:
    """Build a new FTS5 database (an existing file is replaced); return articles indexed."""
    db = Path(db)
    if db.exists():
        db.unlink()
    n = add_fts5(records, db)
    con = sqlite3.connect(str(db))
    try:
        con.execute("INSERT INTO docs(docs) VALUES('optimize')")
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
    return n


def _quote(tokens: list[str]) -> str:
    return '"' + " ".join(t.replace('"', '""') for t in tokens) + '"'


def to_match(query: str) -> tuple[str, dict]:
    """(FTS5 MATCH expression, filters) for a query in the benchmark's query syntax."""
    parts: list[str] = []
    filters: dict = {}
    for m in _TERM.finditer(query):
        phrase, word = m.group(1), m.group(2)
        if word and ":" in word and word.split(":", 1)[0] in ("lang", "date"):
            key, value = word.split(":", 1)
            filters[key] = value
            continue
        text = phrase if phrase is not None else word
        tokens = re.findall(r"\w+", segment(text))
        if tokens:
            parts.append(_quote(tokens))
    return " ".join(parts), filters


class Fts5Searcher:
    """Ranked search over an FTS5 database; a context manager."""

    def __init__(self, db: str | Path):
        if not Path(db).exists():
            raise FileNotFoundError(db)
        self._con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)

    def search_hits(
        self, query: str, limit: int = 10, sort: str = "relevance"
    ) -> list[tuple[str, str]]:
        match, filters = to_match(query)
        if not match:
            return []
        sql = "SELECT id, title FROM docs WHERE docs MATCH ?"
        args: list = [match]
        if "lang" in filters:
            sql += " AND lang = ?"
            args.append(filters["lang"])
        if "date" in filters:
            sql += " AND date LIKE ?"
            args.append(filters["date"] + "%")
        sql += " ORDER BY date DESC" if sort == "date" else " ORDER BY bm25(docs, 3.0, 1.0)"
        sql += " LIMIT ?"
        args.append(limit)
        return [(i, t) for i, t in self._con.execute(sql, args)]

    def search(self, query: str, limit: int = 10, sort: str = "relevance") -> list[str]:
        return [i for i, _ in self.search_hits(query, limit, sort)]

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Fts5Searcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    return baseline_cli(
        argv,
        "python -m bench.fts5",
        __doc__.split("\n")[0],
        build_fts5,
        add_fts5,
        Fts5Searcher,
        "db",
    )


if __name__ == "__main__":
    sys.exit(main())
