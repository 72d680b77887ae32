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


# The key of a document whose language fields are still to be made (``with_languages``).
LANGUAGES_LATER = "_languages"


def article_document(
    a: Article, root: str, digest: str, path: str | None = None, languages: bool = True
) -> dict:
    """The Whoosh fields of one article: each language's text routed to its own fields.

    ``path``: where its file is (default: ``a.path``, the file relative to ``root``).
    ``languages`` False: the language fields (and ``lang``) are left to ``with_languages``,
    which a parallel run's writer processes call (``write/parallel.py``): language
    detection was 41% of the parent's CPU at 15k, the process that feeds both writers."""
    doc = {
        "id": a.id,
        "path": path or a.path,
        "rel": a.path,
        "root": root,
        "title": a.title,
        "body": pack_body(a.body),
        "hash": digest,
        "spell": a.title + "\n" + a.body,
    }
    if a.date:
        doc["date"] = datetime(a.date.year, a.date.month, a.date.day)
    if a.source:
        doc["source"] = a.source
    if a.url:
        doc["url"] = a.url
    if not languages:
        doc[LANGUAGES_LATER] = (a.body, a.lang_hint)
        return doc
    texts, langs = language_texts(a.title, a.body, a.lang_hint)
    doc["lang"] = ",".join(langs)
    doc.update(texts)
    return doc


def with_languages(doc: dict) -> dict:
    """A document of ``article_document(..., languages=False)`` with its language fields
    made (any other document as it is): the same fields ``languages=True`` gives."""
    later = doc.pop(LANGUAGES_LATER, None)
    if later is None:
        return doc
    body, hint = later
    texts, langs = language_texts(doc["title"], body, hint)
    doc["lang"] = ",".join(langs)
    doc.update(texts)
    return doc
