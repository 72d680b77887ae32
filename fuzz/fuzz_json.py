"""Fuzz target: JSON, JSON Lines and their gzipped forms, read as the indexer reads them.

The first byte picks the file type; the rest is the content:

    0 .json   1 .jsonl   2 .json.gz (gzipped)   3 .jsonl.gz (gzipped)
    4 .jsonl.gz, the raw bytes (not gzip, or damaged gzip)
    5 .json.gz, gzipped and then cut short (a truncated download)

Run: ``python fuzz/run.py json``.
"""

from __future__ import annotations

import gzip
import sys

from _common import main, read_all

KINDS = (".json", ".jsonl", ".json.gz", ".jsonl.gz", ".jsonl.gz", ".json.gz")


def load() -> None:
    import indexer.read  # noqa: F401


def check(data: bytes) -> None:
    if not data:
        return
    kind, content = data[0] % len(KINDS), data[1:]
    if kind in (2, 3):
        content = gzip.compress(content, mtime=0)
    elif kind == 5:
        packed = gzip.compress(content, mtime=0)
        content = packed[: max(1, len(packed) - 1 - len(content) % 16)]
    read_all("feed" + KINDS[kind], content)


if __name__ == "__main__":
    main(check, load)
    sys.exit(0)
