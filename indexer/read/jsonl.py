"""JSON documents, JSON Lines and their gzipped forms: one Article (or Skipped) per record.

Both are streamed: a JSON document may be one object, an array of objects, an object
wrapping one array of objects, or concatenated objects; no line or value may exceed
``MAX_RECORD_BYTES``.  A bad line or value becomes a Skipped with its line number; the
records before it are kept, and JSON Lines and concatenated values read on after it.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import zlib
from collections.abc import Iterator, Sequence

from indexer.article import Article, Skipped
from indexer.read import dates
from indexer.read.common import _collapse, _normalise_text, _paragraphs, derive_title
from indexer.read.decode import _SNIFF_BYTES, _UTF8_BOM, _looks_binary
from indexer.read.discovery import SourceFile

MAX_RECORD_BYTES = 50 * 1024 * 1024  # one JSON line / one JSON value may not exceed this
_CHUNK = 1 << 16


_BODY_KEYS = ("body", "content", "text")
_DATE_KEYS = ("date", "published", "published_at", "publishedAt", "datePublished", "pubdate")
_URL_KEYS = ("url", "link")
_LANG_KEYS = ("lang", "language")


def _text_value(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n\n".join(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _clean_body(text: str) -> str:
    """A JSON body: lines stripped, paragraphs kept, runs of blank lines collapsed."""
    text = _normalise_text(text)
    if "\n" not in text:
        return _collapse(text)
    return _paragraphs(line.strip() for line in text.split("\n"))


def _first_field(record: dict, keys: Sequence[str]):
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def _record_article(record, rel: str, fallback: str, line: int | None) -> Article | Skipped:
    if not isinstance(record, dict):
        kind = {list: "an array", str: "a string", type(None): "null", bool: "a boolean"}.get(
            type(record), "a number"
        )
        where = f" at line {line}" if line is not None else ""
        return Skipped(
            path=rel, reason=f"record{where} is not a JSON object (got {kind})", line=line
        )
    title = _collapse(_normalise_text(_text_value(record.get("title") or record.get("headline"))))
    body = ""
    for key in _BODY_KEYS:
        body = _clean_body(_text_value(record.get(key)))
        if body:
            break
    if not title and not body:
        return Skipped(path=rel, reason="record has no text", line=line)
    if not title:
        title = derive_title(body)
    rid = record.get("id")
    if isinstance(rid, str | int | float) and not isinstance(rid, bool) and str(rid).strip():
        article_id = str(rid).strip()
    else:
        article_id = fallback

    def opt_str(keys: Sequence[str]) -> str | None:
        value = _first_field(record, keys)
        return value.strip() or None if isinstance(value, str) else None

    return Article(
        id=article_id,
        title=title,
        body=body,
        date=dates.parse_date_value(_first_field(record, _DATE_KEYS)),
        source=opt_str(("source", "site", "publisher")),
        url=opt_str(_URL_KEYS),
        path=rel,
        lang_hint=opt_str(_LANG_KEYS),
    )


def _open_binary(sf: SourceFile):
    if sf.path.name.lower().endswith(".gz"):
        return gzip.open(sf.path, "rb")
    return open(sf.path, "rb")  # noqa: SIM115 - closed by the caller's with-block


def _sniff(sf: SourceFile) -> Skipped | None:
    """A Skipped for a binary file or a ``.gz`` that is not gzip at all, else None.

    Damage further into a gzip stream is left to the reader, which first yields the records
    that precede it.
    """
    head = b""
    try:
        with _open_binary(sf) as f:
            while len(head) < _SNIFF_BYTES:
                chunk = f.read1(_SNIFF_BYTES - len(head))
                if not chunk:
                    break
                head += chunk
    except gzip.BadGzipFile as e:
        if "Not a gzipped file" in str(e):
            return Skipped(path=sf.rel, reason="not a gzip file")
    except (EOFError, zlib.error):
        pass
    if _looks_binary(head):
        return Skipped(path=sf.rel, reason="binary file")
    return None


def _gzip_reason(e: BaseException) -> str:
    if isinstance(e, EOFError):
        return "compressed data ends early"
    return str(e) or type(e).__name__


def _lines(f) -> Iterator[tuple[int, bytes | None]]:
    """(line number, raw line) pairs; a line longer than MAX_RECORD_BYTES gives None."""
    number = 0
    while True:
        raw = f.readline(MAX_RECORD_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the long line
                raw = f.readline(_CHUNK)
            yield number, None
            continue
        yield number, raw


def count_lines(sf: SourceFile) -> int | None:
    """Lines of a JSON Lines file (gzipped or not), counted without parsing: the records it
    holds, give or take blank and bad lines, for a progress total. None if unreadable."""
    lines = 0
    last = b"\n"
    try:
        with _open_binary(sf) as f:
            while chunk := f.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except (OSError, EOFError, zlib.error):
        return None
    return lines + (last != b"\n")


def _read_json_lines(sf: SourceFile) -> Iterator[Article | Skipped]:
    rel = sf.rel
    any_content = False
    line = 0
    try:
        with _open_binary(sf) as f:
            for line, raw in _lines(f):
                if raw is None:
                    any_content = True
                    yield Skipped(path=rel, reason=f"line {line} is too long", line=line)
                    continue
                if line == 1 and raw.startswith(_UTF8_BOM):
                    raw = raw[len(_UTF8_BOM) :]
                if not raw.strip():
                    continue
                any_content = True
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    yield Skipped(path=rel, reason=f"invalid UTF-8 at line {line}", line=line)
                    continue
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as e:
                    yield Skipped(
                        path=rel,
                        reason=f"invalid JSON at line {line}: {e.msg} (column {e.colno})",
                        line=line,
                    )
                    continue
                except RecursionError:
                    yield Skipped(
                        path=rel, reason=f"JSON nested too deeply at line {line}", line=line
                    )
                    continue
                except ValueError:  # an integer of more than 4300 digits (Python's limit)
                    yield Skipped(path=rel, reason=f"{_LONG_NUMBER} at line {line}", line=line)
                    continue
                yield _record_article(record, rel, f"{rel}#{line}", line)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        yield Skipped(
            path=rel,
            reason=f"truncated or corrupt gzip file after line {line}: {_gzip_reason(e)}",
            line=line + 1,
        )
        return
    if not any_content:
        yield Skipped(path=rel, reason="empty file")


_LONG_NUMBER = "invalid JSON: a number too long to read"


def _text_chunks(f) -> Iterator[str]:
    """UTF-8 text of a binary file in chunks (a leading BOM removed)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    while True:
        data = f.read1(_CHUNK)  # read1: a truncated gzip still gives what precedes the damage
        if not data:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        text = decoder.decode(data)
        if text:
            yield text


class _JsonStream:
    """Top-level JSON values of a document, parsed incrementally from text chunks.

    Handles one value, an array of values (each element is a record), and a sequence of
    concatenated values (JSON Lines saved as ``.json``).
    """

    _WS = re.compile(r"[ \t\r\n]*")

    def __init__(self, chunks: Iterator[str]):
        self.chunks = chunks
        self.buf = ""
        self.pos = 0
        self.line_base = 1  # line number of buf[0]
        self.eof = False
        self.decoder = json.JSONDecoder()

    def line(self) -> int:
        return self.line_base + self.buf.count("\n", 0, self.pos)

    def _more(self, at_least: int = 1) -> bool:
        """Append at least ``at_least`` characters (fewer at EOF); False if none were added."""
        if self.eof:
            return False
        parts: list[str] = []
        added = 0
        while added < at_least:
            try:
                chunk = next(self.chunks)
            except StopIteration:
                self.eof = True
                break
            parts.append(chunk)
            added += len(chunk)
        if self.pos > _CHUNK:  # drop what has been parsed
            self.line_base += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos :]
            self.pos = 0
        if parts:
            self.buf += "".join(parts)
        return added > 0

    def _grow(self) -> bool:
        """Double the unparsed part of the buffer (so re-parsing stays cheap); False at EOF."""
        return self._more(len(self.buf) - self.pos + _CHUNK)

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end), positioned on it."""
        while True:
            self.pos = self._WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def value(self):
        """Parse the value at the current position (after peek())."""
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if len(self.buf) - self.pos <= MAX_RECORD_BYTES and self._grow():
                    continue
                raise
            if end == len(self.buf) and not self.eof and self._more():
                continue  # a number or literal might go on in the next chunk
            self.pos = end
            return value

    def error(self, e: json.JSONDecodeError) -> tuple[str, int]:
        line = self.line_base + self.buf.count("\n", 0, e.pos)
        column = e.pos - (self.buf.rfind("\n", 0, e.pos) + 1) + 1
        return f"invalid JSON at line {line}: {e.msg} (column {column})", line

    def skip_line(self) -> None:
        while True:
            nl = self.buf.find("\n", self.pos)
            if nl >= 0:
                self.pos = nl + 1
                return
            self.pos = len(self.buf)
            if not self._more():
                return


def _json_records(stream: _JsonStream, rel: str) -> Iterator[Article | Skipped]:
    first = stream.peek()
    if not first:
        yield Skipped(path=rel, reason="empty file")
        return
    if first == "[":
        stream.pos += 1
        index = 0
        while True:
            c = stream.peek()
            if c == "]" and index == 0:
                stream.pos += 1
                yield Skipped(path=rel, reason="no records (empty JSON array)")
                break
            line = stream.line()
            try:
                record = stream.value()
            except json.JSONDecodeError as e:
                reason, line = stream.error(e)
                yield Skipped(path=rel, reason=reason, line=line)
                return
            yield _record_article(record, rel, f"{rel}#{index}", line)
            index += 1
            c = stream.peek()
            if c == ",":
                stream.pos += 1
                continue
            if c == "]":
                stream.pos += 1
                break
            line = stream.line()
            what = f"unexpected {c!r}" if c else "file ends inside the array"
            yield Skipped(path=rel, reason=f"invalid JSON at line {line}: {what}", line=line)
            return
        if stream.peek():
            line = stream.line()
            yield Skipped(
                path=rel,
                reason=f"invalid JSON at line {line}: extra data after the array",
                line=line,
            )
        return
    index = 0
    while stream.peek():
        line = stream.line()
        try:
            record = stream.value()
        except json.JSONDecodeError as e:
            reason, line = stream.error(e)
            yield Skipped(path=rel, reason=reason, line=line)
            stream.skip_line()
            index += 1
            continue
        if index == 0 and not stream.peek() and isinstance(record, dict):
            wrapped = _wrapped_records(record)
            if wrapped is not None:
                for i, item in enumerate(wrapped):
                    yield _record_article(item, rel, f"{rel}#{i}", None)
                return
        yield _record_article(record, rel, f"{rel}#{index}", line)
        index += 1


def _wrapped_records(record: dict) -> list | None:
    """``{"articles": [ {...}, ... ]}``: the list, when the object has no text of its own."""
    if any(_text_value(record.get(k)) for k in ("title", "headline", *_BODY_KEYS)):
        return None
    lists = [v for v in record.values() if isinstance(v, list) and v]
    if len(lists) == 1 and all(isinstance(item, dict) for item in lists[0]):
        return lists[0]
    return None


def _read_json_document(sf: SourceFile) -> Iterator[Article | Skipped]:
    stream: _JsonStream | None = None
    try:
        with _open_binary(sf) as f:
            stream = _JsonStream(_text_chunks(f))
            yield from _json_records(stream, sf.rel)
    except UnicodeDecodeError:
        yield Skipped(path=sf.rel, reason="cannot decode: JSON text is not UTF-8")
    except RecursionError:
        yield Skipped(path=sf.rel, reason="JSON nested too deeply")
    except ValueError:  # an integer of more than 4300 digits (Python's limit)
        line = stream.line() if stream is not None else None
        yield Skipped(path=sf.rel, reason=f"{_LONG_NUMBER} at line {line}", line=line)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        line = stream.line_base + stream.buf.count("\n") if stream is not None else None
        yield Skipped(
            path=sf.rel,
            reason=f"truncated or corrupt gzip file after line {line}: {_gzip_reason(e)}"
            if line
            else f"truncated or corrupt gzip file: {_gzip_reason(e)}",
            line=line,
        )
