"""The Whoosh document of one article: its stored fields, and each language's text routed
to its own fields (``indexer.analyse.languages``)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from ..analyse.languages import language_texts
from ..article import Article
from ..schema import pack_body


def content_hash(a: Article) -> str:
    h = hashlib.sha1()
    for part in (
        a.title,
        a.body,
        a.date.isoformat() if a.date else "",
        a.source or "",
        a.url or "",
    ):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def article_document(a: Article, root: str, digest: str, path: str | None = None) -> dict:
    """The Whoosh fields of one article: each language's text routed to its own fields.

    ``path``: where its file is (default: ``a.path``, the file relative to ``root``)."""
    texts, langs = language_texts(a.title, a.body, a.lang_hint)
    doc = {
        "id": a.id,
        "path": path or a.path,
        "rel": a.path,
        "root": root,
        "title": a.title,
        "body": pack_body(a.body),
        "lang": ",".join(langs),
        "hash": digest,
        "spell": a.title + "\n" + a.body,
    }
    if a.date:
        doc["date"] = datetime(a.date.year, a.date.month, a.date.day)
    if a.source:
        doc["source"] = a.source
    if a.url:
        doc["url"] = a.url
    doc.update(texts)
    return doc
