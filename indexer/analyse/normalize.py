"""One normalisation for index and query alike, with a map back to the original text.

NFKC (full width to half width), case folding, and Traditional to Simplified Chinese.
``normalize`` returns the normalised string and an offset map so that a token found in
the normalised text can be highlighted on exactly the original characters.
"""

from __future__ import annotations

import re
import unicodedata

# CJK ideographs (basic, extension A, compatibility, extensions B-H) and the ideographic zero.
HAN_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_RUN = re.compile(f"[{HAN_CLASS}]+")
HAS_HAN = re.compile(f"[{HAN_CLASS}]")

# A token of any analysis: (term, position, start, end); start and end index the original
# text, through ``Normalized.span``.
TokenTuple = tuple[str, int, int, int]


class _FoldTable(dict):
    """str.translate table computed on demand: NFKC then casefold, one character at a time."""

    def __missing__(self, ch: int) -> str:
        out = unicodedata.normalize("NFKC", chr(ch)).casefold()
        self[ch] = out
        return out


_FOLD = _FoldTable()
_converter = None


def _t2s(text: str) -> str:
    global _converter
    if _converter is None:
        import opencc  # loaded only when a text has Han characters

        _converter = opencc.OpenCC("t2s")
    return _converter.convert(text)


class Normalized:
    """A normalised string and, for each of its characters, the span it came from."""

    __slots__ = ("text", "original", "_starts", "_ends")

    def __init__(self, text: str, original: str, starts=None, ends=None):
        self.text = text
        self.original = original
        self._starts = starts  # None: identity map
        self._ends = ends

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that normalised characters [start, end) came from."""
        if self._starts is None:
            return start, end
        if end <= start:
            pos = self._starts[start] if start < len(self._starts) else len(self.original)
            return pos, pos
        return self._starts[start], self._ends[end - 1]


_ASTRAL = re.compile("[\U00010000-\U0010ffff]").search
# The patterns of ``unicode_tables``: None until compiled, False when the tables were made
# for another Unicode version than Python's. Compiling them takes 5-15 ms: a process
# compiles them once it has normalised ``_COMPILE_AFTER`` characters of non-ASCII text
# the slow way (which they save ~0.1 ms per 1,000 characters), so a cold command line
# that shows a page of snippets does not pay for them, a server or an index build soon does.
_combining = None  # (bmp, astral): ``search`` of the combining characters below/past U+FFFF
_folding = None  # ``sub`` of the runs of characters that NFKC and case folding change
_folded_runs = None  # ``finditer`` of the same runs
# ``findall`` of the non-ASCII characters folding changes and of those ``str.lower``
# changes and folding does not: ``_fold`` by ``str.replace`` and ``str.lower``
_non_ascii_folded = None
_REPLACED_AT_MOST = 12  # distinct non-ASCII characters to fold by str.replace
_COMPILE_AFTER = 200_000
_slow_chars = 0


def _class(ranges: str, keep=lambda first: True) -> str:
    """A regular expression class of the hexadecimal ranges of ``unicode_tables``."""
    items = (item.split("-") for item in ranges.split())
    return "".join("-".join(chr(int(x, 16)) for x in r) for r in items if keep(int(r[0], 16)))


def _compile() -> None:
    """Two patterns of combining characters: the re module tests a class of BMP characters
    with one table lookup, a class reaching past U+FFFF range by range (one class of all
    188 ranges was four times slower than the call per character)."""
    global _combining, _folding, _folded_runs, _non_ascii_folded
    from .unicode_tables import COMBINING, FOLDED, LOWER_ONLY, UNIDATA_VERSION

    if unicodedata.unidata_version != UNIDATA_VERSION:
        _combining = _folding = False
        return
    _combining = (
        re.compile(f"[{_class(COMBINING, lambda c: c <= 0xFFFF)}]").search,
        re.compile(f"[{_class(COMBINING, lambda c: c > 0xFFFF)}]").search,
    )
    runs = re.compile(f"[{_class(FOLDED)}]+")
    _folding, _folded_runs = runs.sub, runs.finditer
    non_ascii = _class(FOLDED, lambda c: c > 0x7F) + _class(LOWER_ONLY)
    _non_ascii_folded = re.compile(f"[{non_ascii}]").findall


def _has_combining(text: str) -> bool:
    # regular expressions over the text: a call of unicodedata.combining per character
    # (even mapped in C) took 40% of normalising a Chinese body
    if not _combining:
        return any(map(unicodedata.combining, text))
    bmp, astral = _combining
    return bmp(text) is not None or (_ASTRAL(text) is not None and astral(text) is not None)


def _fold_run(m: re.Match) -> str:
    return m.group().translate(_FOLD)


def _fold(text: str) -> str:
    """``text.translate(_FOLD)``: only the runs of characters that change are translated
    (the full-width punctuation of Chinese, the capitals of Latin text), found by one
    regular expression; the translation looked every character up in ``_FOLD`` (half of
    normalising a Chinese body). Text with characters past U+FFFF is translated whole.

    Most texts are folded without a call per run (``_fold_by_replacing``)."""
    if not _folding or _ASTRAL(text) is not None:
        return text.translate(_FOLD)
    folded = _fold_by_replacing(text)
    return _folding(_fold_run, text) if folded is None else folded


def _fold_by_replacing(text: str) -> str | None:
    """``text`` folded by one ``str.replace`` for each distinct non-ASCII character that
    folding changes, then ``str.lower`` for ASCII capitals; None where that would not be
    ``_FOLD``'s answer or would take many passes.

    ``str.lower`` changes nothing else here: no character it changes is left other than
    ASCII capitals. Each non-ASCII character it would change either folds (Σ too, whose
    lowering depends on its neighbours) or is a ``LOWER_ONLY`` one, found with them, that
    folds to itself, and no fold may hold a character that ``lower`` or folding changes
    (a ``LOWER_ONLY`` one: None). So no replacement makes a character that a later one
    replaces either."""
    chars = set(_non_ascii_folded(text))
    if len(chars) > _REPLACED_AT_MOST:
        return None
    for c in chars:
        out = _FOLD[ord(c)]
        if out.lower() != out or _any_folded(out):
            return None
        text = text.replace(c, out)
    return text.lower()


def _any_folded(text: str) -> bool:
    return next(_folded_runs(text), None) is not None


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for analysis; see the module docstring."""
    if text.isascii():
        return Normalized(text.lower(), text)
    few = _fold_few(text)
    if few is not None:
        folded, han = few
        if han:
            folded = _simplified(folded)
        return Normalized(folded, text)
    if _combining is None:
        global _slow_chars
        _slow_chars += len(text)
        if _slow_chars > _COMPILE_AFTER:
            _compile()
    if _has_combining(text):
        folded, starts, ends = _fold_clusters(text)
    else:
        folded = _fold(text)
        if len(folded) == len(text):
            starts = ends = None
        else:
            folded, starts, ends = _fold_chars(text)
    if HAS_HAN.search(folded):
        folded = _simplified(folded)
    return Normalized(folded, text, starts, ends)


def _simplified(folded: str) -> str:
    """``folded`` in Simplified Chinese, of the same length."""
    simplified = _t2s(folded)
    if len(simplified) != len(folded):
        # A phrase conversion changed the length: convert character by character,
        # which keeps the offsets exact at the cost of a rare phrase-level nuance.
        simplified = "".join(_t2s(c) if HAS_HAN.match(c) else c for c in folded)
        if len(simplified) != len(folded):
            simplified = folded
    return simplified


_ASCII_BYTES = bytes(range(128))


def non_ascii_chars(text: str) -> set[str]:
    """The distinct non-ASCII characters of ``text``, listed in C: its UTF-8 without the
    ASCII bytes, decoded (lone surrogates pass). A few microseconds over a Latin body,
    where a regular expression or a loop over every character took tens."""
    rest = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    return set(rest.decode("utf-8", "surrogatepass"))


_FEW = 24  # distinct non-ASCII characters of a text folded by ``_fold_few``
_HAN_PROBE = 64  # characters looked at for Han first: a Chinese text has too many
_PLANS: dict[str, str | None] = {}  # character -> ``_plan``


def _fold_few(text: str) -> tuple[str, bool] | None:
    """``text.translate(_FOLD)`` of a text without combining marks, and whether it holds a
    Han character, from its distinct non-ASCII characters alone: each one folding changes
    replaced by its fold (``str.replace``), then ``str.lower`` for the ASCII capitals.
    None (``normalize``'s other paths) for a text with more than ``_FEW`` distinct ones
    (Chinese text: with Han in its first ``_HAN_PROBE`` characters it is not asked), or
    one that ``_plan`` cannot replace.

    The non-ASCII characters are listed in C (``non_ascii_chars``): a Malay or English
    body with curly quotes or dashes has two or three, where the
    combining test, the folding and the Han test were a regular expression over the
    whole text each (77 µs over a body of 2,761 characters against about 20)."""
    if HAS_HAN.search(text, 0, _HAN_PROBE) is not None:
        return None
    chars = non_ascii_chars(text)
    if len(chars) > _FEW:
        return None
    han = False
    plans = _PLANS
    for c in chars:
        out = plans.get(c, "")
        if out == "":
            out = plans[c] = _plan(c)
        if out is None:
            return None
        if out != c:
            text = text.replace(c, out)
        if not han and HAS_HAN.match(out):
            han = True
    return text.lower(), han


def _plan(c: str) -> str | None:
    """What ``_fold_few`` makes of the non-ASCII character ``c``: ``c`` itself when neither
    folding nor ``str.lower`` changes it; its fold when that is one character that neither
    changes (so no later replacement and not ``lower`` touches it: Σ becomes σ before
    ``lower``, which would make it ς at a word's end); None otherwise: a combining mark
    (``_fold_clusters``), a fold of another length (offsets to map), a character only
    ``lower`` changes (Cherokee capitals)."""
    if unicodedata.combining(c):
        return None
    out = _FOLD[ord(c)]
    if out == c:
        return c if c.lower() == c else None
    if len(out) != 1 or out.lower() != out or _FOLD[ord(out)] != out:
        return None
    return out


def _fold_chars(text: str):
    """``text`` folded as ``_FOLD`` folds each character, and the offset maps. Only the
    runs of characters that change are looked up (found as ``_fold`` finds them); the
    text between them maps one to one. A text with characters past U+FFFF goes character
    by character (``_fold_each``)."""
    if not _folding or _ASTRAL(text) is not None:
        return _fold_each(text)
    parts, starts, ends = [], [], []
    done = 0
    for m in _folded_runs(text):
        a, b = m.span()
        if a > done:
            parts.append(text[done:a])
            starts.extend(range(done, a))
            ends.extend(range(done + 1, a + 1))
        run = m.group().translate(_FOLD)
        parts.append(run)
        if len(run) == b - a:
            starts.extend(range(a, b))
            ends.extend(range(a + 1, b + 1))
        else:
            for i in range(a, b):
                size = len(_FOLD[ord(text[i])])
                starts.extend([i] * size)
                ends.extend([i + 1] * size)
        done = b
    if done < len(text):
        parts.append(text[done:])
        starts.extend(range(done, len(text)))
        ends.extend(range(done + 1, len(text) + 1))
    return "".join(parts), starts, ends


def _fold_each(text: str):
    parts, starts, ends = [], [], []
    for i, c in enumerate(text):
        out = _FOLD[ord(c)]
        parts.append(out)
        starts.extend([i] * len(out))
        ends.extend([i + 1] * len(out))
    return "".join(parts), starts, ends


def _fold_clusters(text: str):
    """Fold base characters together with their combining marks (e + U+0301 -> é)."""
    parts, starts, ends = [], [], []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        out = unicodedata.normalize("NFKC", text[i:j]).casefold()
        parts.append(out)
        starts.extend([i] * len(out))
        ends.extend([j] * len(out))
        i = j
    return "".join(parts), starts, ends


def normalize_text(text: str) -> str:
    """The normalised string alone."""
    return normalize(text).text
