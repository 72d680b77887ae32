"""Readers: find article files on disk and turn them into :class:`~indexer.article.Article`.

Supported inputs (see ``SUPPORTED_SUFFIXES``): plain text, Markdown, HTML, JSON (one object,
a list of objects, or concatenated objects), JSON Lines, and gzipped JSON / JSON Lines.

Nothing here raises for bad content: every file or record that cannot be used becomes a
:class:`~indexer.article.Skipped` with a reason fit to show a user.  JSON Lines (gzipped or
not) and JSON documents are streamed; text and HTML files are read whole but only up to
``MAX_TEXT_BYTES``.

Article ids: a text/Markdown/HTML file's id is its path relative to the root
(``SourceFile.rel``).  A JSON record's id is the record's own ``id`` field when it has one,
else ``"<rel>#<n>"`` where ``n`` is the 1-based line number in a JSON Lines file and the
0-based record index in a JSON file.

Callers import from ``indexer.read``: this module dispatches one file to its format by
suffix (:func:`read_file`) and re-exports the public names of its modules, one per concern:

* :mod:`~indexer.read.discovery` -- finding supported files under the roots given;
* :mod:`~indexer.read.decode` -- bytes to text when the encoding is not declared;
* :mod:`~indexer.read.text` -- plain text and Markdown;
* :mod:`~indexer.read.html` -- HTML pages;
* :mod:`~indexer.read.jsonl` -- JSON, JSON Lines and their gzipped forms;
* :mod:`~indexer.read.dates` -- publication dates in text and metadata;
* :mod:`~indexer.read.common` -- clean-up, titles and paragraphs shared by the formats.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from indexer.article import Article, Skipped
from indexer.errors import UnreadableFileError
from indexer.read.common import derive_title
from indexer.read.decode import _looks_binary, decode_bytes
from indexer.read.discovery import SUPPORTED_SUFFIXES, SourceFile, _os_reason, _suffix_of, discover
from indexer.read.html import read_html_article
from indexer.read.jsonl import _read_json_document, _read_json_lines, _sniff, count_lines
from indexer.read.text import read_text_article

__all__ = [
    "SUPPORTED_SUFFIXES",
    "MAX_TEXT_BYTES",
    "SourceFile",
    "discover",
    "read_file",
    "count_records",
    "read_text_article",
    "read_html_article",
    "decode_bytes",
    "derive_title",
]

_TEXT_SUFFIXES = (".txt",)
_MARKDOWN_SUFFIXES = (".md", ".markdown")
_HTML_SUFFIXES = (".html", ".htm")
_JSON_LINES_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")

MAX_TEXT_BYTES = 50 * 1024 * 1024  # text/HTML files above this are skipped unread


# ----------------------------------------------------------------------------------------
# one file
# ----------------------------------------------------------------------------------------


def read_file(sf: SourceFile) -> Iterator[Article | Skipped]:
    """Read one discovered file: Articles, and Skipped for what cannot be used.

    Text, Markdown and HTML files give exactly one Article or one Skipped; JSON files give
    one Article (or Skipped) per record.  Never raises for bad content or unreadable files.
    """
    suffix = _suffix_of(sf.path.name)
    try:
        if suffix is None:
            yield Skipped(path=sf.rel, reason="unsupported file type")
        elif suffix in _JSON_LINES_SUFFIXES or suffix in (".json", ".json.gz"):
            problem = _sniff(sf)
            if problem is not None:
                yield problem
            elif suffix in _JSON_LINES_SUFFIXES:
                yield from _read_json_lines(sf)
            else:
                yield from _read_json_document(sf)
        else:
            yield _read_single(sf, suffix)
    except OSError as e:
        yield Skipped(path=sf.rel, reason=f"cannot read file: {_os_reason(e)}")


def count_records(sf: SourceFile) -> int | None:
    """About how many records ``read_file(sf)`` will give, cheaply, for a progress total: 1
    for a text, Markdown or HTML file, the lines of a JSON Lines file (``count_lines``), None
    when it can't be known without parsing (a JSON document, an unreadable file)."""
    suffix = _suffix_of(sf.path.name)
    if suffix in _JSON_LINES_SUFFIXES:
        return count_lines(sf)
    if suffix is None or suffix in (".json", ".json.gz"):
        return None
    return 1


def _read_single(sf: SourceFile, suffix: str) -> Article | Skipped:
    size = os.stat(sf.path).st_size
    if size > MAX_TEXT_BYTES:
        return Skipped(
            path=sf.rel,
            reason=f"too large ({size / 2**20:.1f} MB > {MAX_TEXT_BYTES / 2**20:.0f} MB)",
        )
    with open(sf.path, "rb") as f:
        data = f.read(MAX_TEXT_BYTES + 1)
    if not data.strip():
        return Skipped(path=sf.rel, reason="empty file")
    if _looks_binary(data):
        return Skipped(path=sf.rel, reason="binary file")
    try:
        if suffix in _HTML_SUFFIXES:
            article = read_html_article(data, sf.rel)
        else:
            text = decode_bytes(data)
            if not text.strip():
                return Skipped(path=sf.rel, reason="empty file")
            article = read_text_article(text, sf.rel, markdown=suffix in _MARKDOWN_SUFFIXES)
    except UnreadableFileError as e:
        return Skipped(path=sf.rel, reason=e.message)
    if not article.title and not article.body:
        return Skipped(path=sf.rel, reason="no text found")
    return article
