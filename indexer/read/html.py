"""HTML news pages: :func:`read_html_article`.

Bytes are decoded by BOM, then a declared ``<meta charset>``, then sniffing.  Navigation,
ads, share bars and other page furniture are removed; the title comes from ``og:title``,
``<h1>`` or ``<title>``; the date from meta tags, ``<time>``, JSON-LD or the text.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from datetime import date

from indexer.article import Article
from indexer.read import dates
from indexer.read.common import _CONTROL, _collapse, derive_title
from indexer.read.decode import (
    _UTF8_BOM,
    _UTF16_BOMS,
    _UTF32_BOMS,
    _decode_big5,
    decode_bytes,
)

_CJK_CLASS = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# a source line break inside a paragraph between two CJK characters (HTML): no space there
_CJK_BREAK = re.compile(rf"(?<=[{_CJK_CLASS}])[ \t]*\n\s*(?=[{_CJK_CLASS}])")


def _collapse_html(text: str) -> str:
    """Like _collapse, but a source line break between CJK characters disappears."""
    if not text.isascii():
        text = _CJK_BREAK.sub("", text)
    return " ".join(text.split())


_JUNK_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "svg",
    "template",
    "button",
    "select",
    "object",
    "embed",
    "canvas",
    "dialog",
)
_JUNK_TOKEN = re.compile(
    r"^(?:nav|navbar|navigation|menu|menus|menubar|breadcrumb|breadcrumbs|footer|share|"
    r"shares|sharing|social|related|comment|comments|advert|adverts|advertisement|ad|ads|"
    r"newsletter|subscribe|cookie|cookies|promo|sponsored|popup|sidebar)$|"
    r"^(?:nav|menu|breadcrumb|footer|share|sharing|related|comment|advert)",
    re.IGNORECASE,
)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_PROTECTED_TAGS = frozenset(["html", "body", "main", "article"])
_BLOCK_TAG_NAMES = (
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd br section article main blockquote tr table "
    "thead tbody tfoot figure figcaption pre address hr header footer aside nav details summary "
    "center caption fieldset legend"
)
_BLOCK_TAGS = frozenset(_BLOCK_TAG_NAMES.split())
_META_DATE_KEYS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "dcterms.issued",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""",
    re.IGNORECASE,
)
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-8",  # a meta tag in ASCII-compatible bytes cannot be UTF-16 (WHATWG)
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}
_BIG5_NAMES = frozenset(["big5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5", "cp950"])


def _decode_html_bytes(data: bytes) -> str:
    """Decode HTML: a BOM, then a declared ``<meta charset>``, then :func:`decode_bytes`."""
    if data.startswith((_UTF8_BOM, *_UTF16_BOMS, *_UTF32_BOMS)):
        return decode_bytes(data)
    m = _META_CHARSET.search(data[:4096])
    if m:
        name = (m.group(1) or m.group(2)).decode("ascii").lower()
        if name in _BIG5_NAMES:
            text = _decode_big5(data)
            if text is not None:
                return text
        else:
            codec = _CHARSET_ALIASES.get(name, name)
            try:
                return data.decode(codec)
            except (LookupError, UnicodeError):  # UnicodeError: charset=undefined
                pass
    return decode_bytes(data)


def _soup(markup: str):
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, "lxml")


def _attr_text(value) -> str:
    if isinstance(value, list):
        value = " ".join(value)
    return value.strip() if isinstance(value, str) else ""


def _metas(soup) -> dict[str, str]:
    """``<meta>`` contents keyed by lower-cased property/name/itemprop (first one wins)."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = _attr_text(tag.get("content"))
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = _attr_text(tag.get(attr)).lower()
            if key:
                found.setdefault(key, content)
    return found


def _json_ld_dates(soup) -> Iterator[str]:
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.string or "")
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                value = item.get("datePublished")
                if isinstance(value, str):
                    yield value
                stack.extend(v for v in item.values() if isinstance(v, dict | list))
            elif isinstance(item, list):
                stack.extend(item)


def _html_date(soup, metas: dict[str, str]) -> date | None:
    for key in _META_DATE_KEYS:
        if key in metas:
            d = dates.parse_date_value(metas[key])
            if d is not None:
                return d
    for tag in soup.find_all(attrs={"itemprop": "datePublished"}):
        d = dates.parse_date_value(_attr_text(tag.get("datetime") or tag.get("content")))
        if d is not None:
            return d
    for tag in soup.find_all("time"):
        d = dates.parse_date_value(_attr_text(tag.get("datetime")))
        if d is not None:
            return d
    for value in _json_ld_dates(soup):
        d = dates.parse_date_value(value)
        if d is not None:
            return d
    return None


def _is_junk(tag) -> bool:
    if tag.name in _PROTECTED_TAGS:
        return False
    if _attr_text(tag.get("role")).lower() in (
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
    ):
        return True
    for attr in ("class", "id"):
        for token in _TOKEN_SPLIT.split(_attr_text(tag.get(attr))):
            if token and _JUNK_TOKEN.match(token):
                return True
    return False


def _attached(tag, soup) -> bool:
    """Whether ``tag`` is still in the document (not inside an extracted subtree)."""
    node = tag
    while node is not None:
        if node is soup:
            return True
        node = node.parent
    return False


def _remove_junk(soup) -> None:
    # extract() rather than decompose(): checking Tag.decomposed on a live tag makes bs4
    # search the whole subtree, which is quadratic on deeply nested pages
    for tag in soup.find_all(_JUNK_TAGS):
        if _attached(tag, soup):
            tag.extract()
    paragraph_text = sum(len(p.get_text()) for p in soup.find_all("p"))
    for tag in soup.find_all(True):
        if not tag.attrs or not _is_junk(tag) or not _attached(tag, soup):
            continue
        # never throw away the article itself because of an unlucky class name
        inner = sum(len(p.get_text()) for p in tag.find_all("p"))
        if paragraph_text and inner > 0.6 * paragraph_text and inner > 500:
            continue
        tag.extract()


def _block_paragraphs(root) -> list[str]:
    """Text of ``root`` split into paragraphs at block elements and ``<br>``."""
    from bs4 import NavigableString, Tag

    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            text = _collapse_html("".join(current))
            if text:
                paragraphs.append(text)
            current.clear()

    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            flush()
            continue
        if isinstance(node, NavigableString):
            if type(node) is NavigableString:  # not comments, doctypes, CDATA, script text
                current.append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        if node.name == "br" or node.name == "hr":
            flush()
            continue
        if node.name in _BLOCK_TAGS:
            flush()
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    flush()
    return paragraphs


def _html_title(soup, metas: dict[str, str], site: str | None) -> str:
    title = _collapse(metas.get("og:title", ""))
    if not title:
        h1 = soup.find("h1")
        title = _collapse(h1.get_text(" ")) if h1 else ""
    if not title and soup.title is not None:
        title = _collapse(soup.title.get_text(" "))
        if site:
            for sep in (" | ", " - ", " – ", " — ", " :: "):
                if title.endswith(sep + site) and len(title) > len(sep + site):
                    title = title[: -len(sep + site)].strip()
                    break
    return title


def _canonical(soup) -> str | None:
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        rels = [r.lower() for r in (rel if isinstance(rel, list) else rel.split())]
        if "canonical" in rels:
            return _attr_text(link.get("href")) or None
    return None


def read_html_article(html: str | bytes, rel: str) -> Article:
    """Parse an HTML news page (bytes are decoded per BOM / meta charset / sniffing).

    Raises :class:`UnreadableFileError` only when bytes cannot be decoded.
    """
    if isinstance(html, bytes):
        html = _decode_html_bytes(html)
    soup = _soup(_CONTROL.sub("", html))
    metas = _metas(soup)
    site = _collapse(metas.get("og:site_name", "")) or None
    title = _html_title(soup, metas, site)
    article_date = _html_date(soup, metas)
    url = metas.get("og:url") or _canonical(soup)

    _remove_junk(soup)
    candidates = soup.find_all("article")
    if candidates:
        root = max(candidates, key=lambda t: len(t.get_text()))
    else:
        root = soup.find("main") or soup.find(attrs={"role": "main"}) or soup.find("body") or soup
    paragraphs = _block_paragraphs(root)
    if paragraphs and title and paragraphs[0] == title:
        paragraphs.pop(0)
    found, markers = dates.extract_article_date(paragraphs)
    if markers:
        paragraphs = [p for i, p in enumerate(paragraphs) if i not in markers]
    if article_date is None:
        article_date = found or dates.find_date("\n".join(paragraphs)[:1000])
    if not title and paragraphs:
        title = derive_title(paragraphs[0])
    return Article(
        id=rel,
        title=title,
        body="\n\n".join(paragraphs),
        date=article_date,
        source=site,
        url=url.strip() if url else None,
        path=rel,
    )
