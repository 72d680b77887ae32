"""Fuzz target: HTML files as the indexer reads them (bytes on disk -> Article or Skipped).

Every input is saved as ``page.html`` and read with ``indexer.read.read_file``: BOM,
``<meta charset>`` and sniffed decoding, BeautifulSoup/lxml parsing, junk removal, title,
date (meta, ``<time>``, JSON-LD, text) and paragraphs.  Run: ``python fuzz/run.py html``.
"""

from __future__ import annotations

import sys

from _common import main, read_all


def load() -> None:
    import indexer.read  # noqa: F401


def check(data: bytes) -> None:
    read_all("page.html", data)


if __name__ == "__main__":
    main(check, load)
    sys.exit(0)
