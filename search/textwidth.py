"""Text as a terminal lays it out: display columns (East Asian wide and fullwidth characters
take two, combining marks none) and lines wrapped at word boundaries (Han text between any
two characters, but not before closing punctuation such as ，。)."""

from __future__ import annotations

import bisect
import itertools
import unicodedata
from functools import lru_cache

# Characters a line should not start with: they close what precedes them.
_NO_BREAK_BEFORE = frozenset("，。、；：？！）》」』】〕〉”’…,.;:?!)]}%")


@lru_cache(maxsize=4096)
def char_width(c: str) -> int:
    """Columns one character takes in a terminal: 2 for wide (W) and fullwidth (F)
    characters, 0 for combining marks and zero-width format characters, else 1."""
    if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


class _Widths(dict):
    """``char_width`` of each character seen, looked up in C: mapped over a chunk of text
    a dict lookup costs half the call of the lru_cache wrapper."""

    def __missing__(self, c: str) -> int:
        w = self[c] = char_width(c)
        return w


# ``column_width(c)``: the same as ``char_width(c)``, as a dict lookup
column_width = _Widths().__getitem__


def display_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def advance(text: str, start: int, columns: int) -> int:
    """The end of the longest run of ``text`` from ``start`` that fits ``columns``."""
    used, i = 0, start
    ahead = text[start : start + columns]
    if ahead.isascii():  # every ASCII character takes one column: skip them at once
        used, i = len(ahead), start + len(ahead)
    n = len(text)
    while i < n:
        # the widths of the next characters summed in C: a chunk one longer than the
        # columns left holds the first character that does not fit, if any
        chunk = text[i : i + columns - used + 1]
        sums = list(itertools.accumulate(map(column_width, chunk), initial=used))
        fit = bisect.bisect_right(sums, columns) - 1  # characters of the chunk that fit
        i += fit
        if fit < len(chunk):
            break
        used = sums[-1]
    return i


def _units(text: str, width_of) -> list[tuple[int, int, bool]]:
    """``text`` as (start, end, is_space): runs of spaces, words (letters, digits and the
    punctuation attached to them) and single wide characters (with the closing
    punctuation after them); a line may break between any two units."""
    units: list[tuple[int, int, bool]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        j = i + 1
        if c.isspace():
            while j < n and text[j].isspace():
                j += 1
            units.append((i, j, True))
            i = j
            continue
        if width_of(c) == 2:
            while j < n and (text[j] in _NO_BREAK_BEFORE or width_of(text[j]) == 0):
                j += 1
        else:
            while j < n and not text[j].isspace():
                if width_of(text[j]) == 2 and text[j] not in _NO_BREAK_BEFORE:
                    break
                j += 1
        if text[i] in _NO_BREAK_BEFORE and len(units) >= 2 and units[-1][2] and not units[-2][2]:
            # "word …": the space before closing punctuation is no place to break
            units[-2:] = [(units[-2][0], j, False)]
        else:
            units.append((i, j, False))
        i = j
    return units


def wrap(text: str, width: int, width_of=char_width) -> list[tuple[int, int]]:
    """Lines of ``text`` as (start, end) offsets, each at most ``width`` columns (a word
    longer than a line is cut where the line ends); the whitespace where a line breaks is
    left out. ``width_of``: the columns of one character as it will be printed."""
    width = max(width, 2)
    lines: list[tuple[int, int]] = []
    start = end = None  # the line being filled: its first and its last printed character
    used = 0
    pending = 0  # columns of the spaces since the line's last word
    for a, b, space in _units(text, width_of):
        w = sum(width_of(c) for c in text[a:b])
        if space:
            if start is not None:
                pending += w
            continue
        if start is not None and used + pending + w <= width:
            used += pending + w
            end, pending = b, 0
            continue
        if start is not None:
            lines.append((start, end))
        start, used, pending = a, 0, 0
        while True:  # a word wider than a line is cut into lines of its own
            fit, cols = a, 0
            while fit < b and cols + width_of(text[fit]) <= width:
                cols += width_of(text[fit])
                fit += 1
            fit = max(fit, a + 1)
            if fit >= b:
                used, end = cols, b
                break
            cut = fit
            while text[cut - 1].isspace():  # a merged "word …" cut at its space
                cut -= 1
            lines.append((a, cut))
            while text[fit].isspace():
                fit += 1
            a = start = fit
    if start is not None:
        lines.append((start, end))
    return lines
