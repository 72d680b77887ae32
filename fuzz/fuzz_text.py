"""Fuzz target: plain-text and Markdown articles.

The first byte picks the route; the rest is the content:

    even  -> saved as ``.txt`` (odd multiples of 4: ``.md``) and read with ``read_file``,
             as the indexer reads it (size, binary sniffing, decoding, parsing);
    odd   -> decoded as UTF-8 (bad bytes replaced) and given to ``read_text_article``
             (bit 1: as Markdown) and ``derive_title`` directly.

Run: ``python fuzz/run.py text``.
"""

from __future__ import annotations

import sys

from _common import check_article, main, read_all


def load() -> None:
    import indexer.read  # noqa: F401


def check(data: bytes) -> None:
    from indexer.read import derive_title, read_text_article

    if not data:
        return
    route, content = data[0], data[1:]
    if route % 2 == 0:
        read_all("article.md" if route % 4 == 2 else "article.txt", content)
        return
    text = content.decode("utf-8", errors="replace")
    article = read_text_article(text, "a.txt", markdown=bool(route & 2))
    if article.title or article.body:
        check_article(article, "a.txt")
    title = derive_title(text)
    assert isinstance(title, str) and "\n" not in title, title


if __name__ == "__main__":
    main(check, load)
    sys.exit(0)
