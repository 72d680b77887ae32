"""Plain-text and Markdown articles: :func:`read_text_article`.

Breadcrumbs, media-release labels and date markers at the top are recognised; Markdown
front matter, headings and inline markup give the title and metadata and are stripped.
"""

from __future__ import annotations

import re
from datetime import date

from indexer.article import Article
from indexer.read import dates
from indexer.read.common import (
    _TITLE_MAX,
    _collapse,
    _looks_like_lede,
    _normalise_text,
    _paragraphs,
    _title_from_lede,
)

_BREADCRUMB = re.compile(r"^[-•›»*]\s+(\S.*)$")
_HOME_WORDS = frozenset(
    ["home", "homepage", "home page", "utama", "laman utama", "halaman utama", "beranda"]
    + ["首页", "主页", "首頁", "主頁"]
)
_BREADCRUMB_TRAIL = re.compile(
    r"^(?:home|utama|laman utama|首页|首頁|主页|主頁)\s*[>›»/|]\s*\S", re.IGNORECASE
)


_PRESS_LABEL = re.compile(
    r"^(?:siaran media|siaran akhbar|kenyataan media|kenyataan akhbar|media release|"
    r"press release|media statement|press statement|news release|for immediate release|"
    r"untuk siaran segera|untuk siaran serta-merta|新闻稿|新聞稿|文告|媒体声明|媒體聲明|新闻公报|"
    r"新聞公報)[\s:.：]*$",
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"^(?=.*\d)(?=.*[/.])[\w./()\s:\-]{1,60}$")


def _breadcrumb_end(lines: list[str], start: int) -> int:
    """Index of the first line after a navigation breadcrumb block starting at ``start``."""
    if start >= len(lines):
        return start
    if _BREADCRUMB_TRAIL.match(lines[start]) and len(lines[start]) <= 200:
        return start + 1
    items: list[str] = []
    i = start
    while i < len(lines):
        m = _BREADCRUMB.match(lines[i])
        if not m or len(lines[i]) > _TITLE_MAX:
            break
        items.append(m.group(1).strip())
        i += 1
    if not items:
        return start
    nxt = next((line for line in lines[i:] if line), "")
    if items[0].lower() in _HOME_WORDS and len(items) >= 2:
        return i
    if _collapse(items[-1]) == _collapse(nxt) and nxt:
        return i
    return start


def _press_release_title(lines: list[str], content: list[int]) -> int | None:
    """In a media release (letterhead, "SIARAN MEDIA", reference number, headline) the index
    of the headline line, or None."""
    for pos, i in enumerate(content[:4]):
        if not _PRESS_LABEL.match(lines[i]):
            continue
        for j in content[pos + 1 : pos + 4]:
            line = lines[j]
            if _PRESS_LABEL.match(line) or _REFERENCE.match(line) or dates.date_marker(line):
                continue
            if _looks_like_lede(line):
                return None
            return j
        return None
    return None


def _parse_lines(lines: list[str], title: str | None = None) -> tuple[str, str, date | None]:
    """Title, body and date of an article given as stripped lines (shared by text/Markdown)."""
    start = next((i for i, line in enumerate(lines) if line), len(lines))
    lines = lines[_breadcrumb_end(lines, start) :]

    # a leading "date 2025-09-26" marker, possibly followed by the first paragraph
    prefix_date = None
    lede = False
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is not None:
        prefix_date, rest = dates.split_date_prefix(lines[first])
        if prefix_date is not None:
            lines[first] = rest
            lede = bool(rest)

    found, markers = dates.extract_article_date(lines)
    for i in markers:
        lines[i] = ""
    article_date = prefix_date or found

    content = [i for i, line in enumerate(lines) if line]
    title_idx: int | None = None
    if title is None:
        if not content:
            return "", "", article_date
        release = _press_release_title(lines, content)
        first_line = lines[content[0]]
        if release is not None:
            title_idx = release
            title = _collapse(lines[release])
            lines[release] = ""
        elif lede or _looks_like_lede(first_line):
            title = _title_from_lede(first_line)  # the line stays in the body
        else:
            title_idx = content[0]
            title = _collapse(first_line)
            lines[title_idx] = ""
    # the headline repeated right after itself (or at the start of the body)
    after = title_idx + 1 if title_idx is not None else 0
    nxt = next((i for i in range(after, len(lines)) if lines[i]), None)
    if nxt is not None and title and _collapse(lines[nxt]) == title:
        lines[nxt] = ""
    return title, _paragraphs(lines), article_date


def read_text_article(text: str, rel: str, markdown: bool = False) -> Article:
    """Parse a plain-text (or Markdown) article; never raises.

    Navigation breadcrumbs at the top are dropped; the title is the first content line (or,
    when the text starts straight with a paragraph, its first sentence); date markers
    (``date 2025-09-26``, ``Published at ...``, a date line) give the date and are removed;
    the body keeps every other line, paragraphs separated by a blank line.
    """
    text = _normalise_text(text or "")
    meta: dict[str, str] = {}
    title: str | None = None
    if markdown:
        meta, lines, title = _markdown_lines(text)
    else:
        lines = [line.strip() for line in text.split("\n")]
    title, body, article_date = _parse_lines(lines, title)
    if meta.get("date"):
        article_date = dates.parse_date_value(meta["date"]) or article_date
    return Article(
        id=rel,
        title=title,
        body=body,
        date=article_date,
        source=meta.get("source") or None,
        url=meta.get("url") or None,
        path=rel,
    )


_FENCE = re.compile(r"^\s*(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})(?:\s+(.*))?$")  # closing #s: _atx_text
_SETEXT_1 = re.compile(r"^\s{0,3}=+\s*$")
_SETEXT_2 = re.compile(r"^\s{0,3}-+\s*$")
_HR = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_FRONT_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
# Spans are bounded (300 characters of text, 2000 of url): unbounded, every unclosed
# opener scanned to the end of the line, quadratic ("**a **a **a …": 16 kB took 14 s).
_INLINE = [
    (re.compile(r"!\[[^\]]{0,300}\]\([^)]{0,2000}\)"), ""),  # images dropped
    (re.compile(r"!\[[^\]]{0,300}\]\[[^\]]{0,300}\]"), ""),
    (re.compile(r"\[([^\]]{1,300})\]\([^)]{0,2000}\)"), r"\1"),  # links keep their text
    (re.compile(r"\[([^\]]{1,300})\]\[[^\]]{0,300}\]"), r"\1"),
    (re.compile(r"<((?:https?|mailto):[^>\s]{1,2000})>"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.{1,300}?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.{1,300}?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.{1,300}?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(?=\S)(.{1,300}?)(?<=\S)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])"), r"\1"),
]


def _strip_inline(text: str) -> str:
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return text.strip()


def _atx_text(text: str) -> str:
    """An ATX heading's text without its closing ``#`` sequence (one after a space)."""
    text = text.strip()
    bare = text.rstrip("#")
    return bare.strip() if bare != text and bare[-1:].isspace() else text


def _front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """YAML-ish front matter between ``---`` lines: (simple key/values, first line after)."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            meta: dict[str, str] = {}
            for line in lines[1:end]:
                m = _FRONT_KEY.match(line.strip())
                if m:
                    value = m.group(2).strip()
                    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                        value = value[1:-1]
                    meta.setdefault(m.group(1).lower(), value)
            return meta, end + 1
    return {}, 0


def _markdown_lines(text: str) -> tuple[dict[str, str], list[str], str | None]:
    """Front matter, body lines with markup removed, and the title (if any)."""
    raw = text.split("\n")
    meta, start = _front_matter(raw)
    fm_title = _collapse(_strip_inline(meta.get("title", ""))) or None
    heading: str | None = None
    out: list[str] = []
    in_fence = False
    raw = raw[start:]
    for k, line in enumerate(raw):
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append("")
            continue
        if in_fence:
            out.append(line.strip())
            continue
        m = _ATX.match(line)
        if m:
            level = len(m.group(1))
            text_ = _collapse(_strip_inline(_atx_text(m.group(2) or "")))
            if level == 1 and heading is None and text_ and fm_title is None:
                heading = text_
                out.append("")
                continue
            out.extend(["", text_, ""])
            continue
        nxt = raw[k + 1] if k + 1 < len(raw) else ""
        if line.strip() and not _HR.match(line) and _SETEXT_1.match(nxt):
            text_ = _collapse(_strip_inline(line))
            if heading is None and fm_title is None and text_:
                heading = text_
                out.append("")
            else:
                out.extend(["", text_, ""])
            continue
        if _SETEXT_1.match(line) and out and out[-1] == "":
            out.append("")
            continue
        if _HR.match(line) or _REF_DEF.match(line):
            out.append("")
            continue
        if _SETEXT_2.match(line) and out and out[-1]:
            out.append("")  # underline of a level-2 heading
            continue
        line = _QUOTE.sub("", line)
        line = _BULLET.sub("", line)
        out.append(_strip_inline(line))
    return meta, out, fm_title or heading
