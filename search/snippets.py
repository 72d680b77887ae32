"""Snippets with exactly the matched words highlighted.

Instead of re-running the full analysis over every hit's body (where a naive Whoosh set-up
spends 94% of a warm query), the body is normalised once and scanned: Han query words are
found as substrings of the normalised text (which is also what the bigram field matches),
Latin words are compared by their cached English and Malay stems. Offsets map back through
the normalisation, so highlights cover the original characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as wq

from indexer.analyse.latin import PART_RE, stemmer_for
from indexer.analyse.normalize import normalize
from indexer.schema import split_field

SCAN_LIMIT = 60_000  # characters of a body scanned for matches
_SPACE = re.compile(r"\s+")


@dataclass
class Needles:
    """What a query asks for, per analysis."""

    en: set[str] = field(default_factory=set)
    ms: set[str] = field(default_factory=set)
    han: set[str] = field(default_factory=set)
    surface: set[str] = field(default_factory=set)  # words as written (wildcards, fuzzy)
    # word as found in a normalised body -> whether it matches: the hits of one query
    # repeat their words, and each costs a few string operations and two stem lookups
    seen: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.en or self.ms or self.han or self.surface)


def _bigrams_to_text(words: list[str]) -> str:
    if not words:
        return ""
    return "".join(w[0] for w in words[:-1]) + words[-1]


def needles_from(leaves, reader=None) -> Needles:
    needles = Needles()
    for fieldname, node in leaves:
        if fieldname == "spell":
            lang = "surface"
        elif fieldname and (split := split_field(fieldname)) is not None:
            lang = split[1]
        else:
            continue
        if isinstance(node, wq.Phrase):
            words = list(node.words)
        elif isinstance(node, wq.Term):
            words = [node.text]
        elif isinstance(node, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)) and reader is not None:
            try:
                words = [t for _f, t in node.expanded_terms(reader)][:200]
            except Exception:
                words = []
            words = [w.decode("utf-8") if isinstance(w, bytes) else w for w in words]
        else:
            continue
        if lang == "zh2":
            needles.han.add(_bigrams_to_text(words))
        elif lang == "zh":
            needles.han.update(words)
        elif lang in ("en", "ms", "surface"):
            getattr(needles, lang).update(words)
    needles.han.discard("")
    return needles


def find_spans(text: str, needles: Needles, limit: int = SCAN_LIMIT) -> list[tuple[int, int]]:
    """Sorted, merged spans of ``text`` (original offsets) that the needles match."""
    if not needles or not text:
        return []
    norm = normalize(text[:limit])
    s = norm.text
    spans = []
    for needle in needles.han:
        start = s.find(needle)
        while start != -1:
            spans.append(norm.span(start, start + len(needle)))
            start = s.find(needle, start + len(needle))
    if needles.en or needles.ms or needles.surface:
        en_stem = stemmer_for("en") if needles.en else None
        ms_stem = stemmer_for("ms") if needles.ms else None
        # Sastrawi costs ~1 ms a new word: only words sharing a piece of a query stem can
        # stem to it (affixes and sound changes touch the edges: menyampaikan -> sampai).
        ms_keys = {n[1:4] if len(n) >= 4 else n for n in needles.ms}
        seen = needles.seen
        for m in PART_RE.finditer(s):
            word = m.group()
            hit = seen.get(word)
            if hit is None:
                hit = seen[word] = _matches(word, needles, en_stem, ms_stem, ms_keys)
            if hit:
                spans.append(norm.span(m.start(), m.end()))
    return _merge(spans)


def _matches(word: str, needles: Needles, en_stem, ms_stem, ms_keys) -> bool:
    if word[0] > "\u2fff":  # Han and other CJK are found as substrings
        return False
    w = word.replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if word in needles.surface:
        return True
    if w.isdigit():
        return w in needles.en or w in needles.ms
    return (en_stem is not None and en_stem(w) in needles.en) or (
        ms_stem is not None and any(k in w for k in ms_keys) and ms_stem(w) in needles.ms
    )


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _best_window(text: str, spans, width: int) -> tuple[int, int]:
    """The window of about ``width`` characters holding the most (and most varied) matches."""
    if not spans:
        return 0, min(len(text), width)
    best, best_score = spans[0][0], -1.0
    for i, (a, _b) in enumerate(spans):
        start = max(0, a - width // 5)
        end = start + width
        inside = [text[x:y].lower() for x, y in spans[i:] if y <= end]
        score = len(set(inside)) * 10 + len(inside)
        if score > best_score:
            best, best_score = start, score
    start = best
    end = min(len(text), start + width)
    # Widen to word boundaries (Latin text); Han text can be cut anywhere.
    while start > 0 and start > best - 20 and text[start - 1].isalnum() and text[start].isascii():
        start -= 1
    while (
        end < len(text) and end < best + width + 20 and text[end].isalnum() and text[end].isascii()
    ):
        end += 1
    return start, end


def make_snippet(
    text: str, spans: list[tuple[int, int]], width: int = 220
) -> tuple[str, list[list[int]]]:
    """Cut a snippet around the best matches; return it and its highlight offsets."""
    start, end = _best_window(text, spans, width)
    pieces: list[str] = []
    highlights: list[list[int]] = []
    out_len = 0
    if start > 0:
        pieces.append("… ")
        out_len += 2
    cursor = start
    for a, b in spans:
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        plain = _SPACE.sub(" ", text[cursor:a])
        pieces.append(plain)
        out_len += len(plain)
        word = _SPACE.sub(" ", text[a:b])
        highlights.append([out_len, out_len + len(word)])
        pieces.append(word)
        out_len += len(word)
        cursor = b
    tail = _SPACE.sub(" ", text[cursor:end])
    pieces.append(tail)
    snippet = "".join(pieces)
    if end < len(text):
        snippet = snippet.rstrip() + " …"
    # Leading whitespace shifts offsets: strip it and move the highlights.
    stripped = snippet.lstrip()
    shift = len(snippet) - len(stripped)
    if shift:
        highlights = [[a - shift, b - shift] for a, b in highlights if a >= shift]
    return stripped, highlights
