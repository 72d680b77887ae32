"""Helpers shared by the format readers: text clean-up, titles, paragraphs.

Line-break and control-character normalisation, whitespace collapsing, the title of text
that has none of its own (:func:`derive_title`: first line, or the first sentence of a lede)
and joining lines into blank-line-separated paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_LINE_BREAKS = str.maketrans(
    {"\u2028": "\n", "\u2029": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n"}
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff\ufffe]")


_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|[.!?]+[\"'”’)\]]*$|[。！？]+[”’」』）]*")
_ENDS_SENTENCE = re.compile(r"[.!?。！？][\"'”’)\]」』）]*$")
_ABBREVIATION_WORDS = (
    "mr mrs ms dr prof st jr sr no nos vs etc e.g i.e u.s u.k u.n a.m p.m jan feb mar apr "
    "jun jul aug sep sept oct nov dec bhd sdn jln kg tel dll dsb sdr hj dr. lt col gen capt "
    "sgt insp supt dsp asp datuk dato"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_DATELINE = re.compile(r"^[A-Z][A-Z .'’\-]{1,40}(?:\s*\([A-Za-z .]+\))?\s*[:：]\s+(?=\S)")


_TITLE_MAX = 200
_TITLE_CUT = 120


def _normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LINE_BREAKS)
    return _CONTROL.sub("", text)


def _collapse(text: str) -> str:
    """One line: runs of whitespace become one space."""
    return " ".join(text.split())


def _first_sentence(text: str) -> str:
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if m.group()[0] == ".":
            before = text[: m.start()].rsplit(None, 1)
            word = before[-1].lower().lstrip("(\"'“‘") if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        return text[:end].strip()
    return text.strip()


def _cut_title(text: str) -> str:
    if len(text) <= _TITLE_MAX:
        return text
    cut = text[:_TITLE_CUT]
    space = cut.rfind(" ")
    if space > _TITLE_CUT // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def _title_from_lede(line: str) -> str:
    """A title for an article whose first line is already body text."""
    m = _DATELINE.match(line)
    if m and len(line) > m.end() + 10:
        line = line[m.end() :]
    return _cut_title(_collapse(_first_sentence(line)))


def _looks_like_lede(line: str) -> bool:
    """A first line that is a paragraph of body text rather than a headline."""
    n = len(line)
    return n > _TITLE_MAX or (n > 100 and bool(_ENDS_SENTENCE.search(line)))


def derive_title(text: str) -> str:
    """A title for text that has none of its own: the first line or the first sentence."""
    for line in _normalise_text(text).split("\n"):
        line = line.strip()
        if line:
            return _title_from_lede(line) if _looks_like_lede(line) else _cut_title(_collapse(line))
    return ""


def _paragraphs(lines: Iterable[str]) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)
