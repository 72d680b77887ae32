"""Fuzz target: date extraction (``indexer.read.dates``) on arbitrary text.

The input is decoded as UTF-8 (bad bytes replaced) and given to every public function:
``find_dates`` (results in order, not overlapping, inside the text, years 1900-2100),
``find_date`` (each ``where``), ``date_marker``, ``split_date_prefix``,
``parse_date_value`` and ``extract_article_date`` on its lines.
Run: ``python fuzz/run.py dates``.
"""

from __future__ import annotations

import sys

from _common import main


def load() -> None:
    import indexer.read.dates  # noqa: F401


def _ok(d) -> None:
    from datetime import date

    from indexer.read.dates import MAX_YEAR, MIN_YEAR

    assert d is None or (type(d) is date and MIN_YEAR <= d.year <= MAX_YEAR), d


def check(data: bytes) -> None:
    from indexer.read import dates

    text = data.decode("utf-8", errors="replace")
    end = 0
    for start, stop, d in dates.find_dates(text):
        assert end <= start < stop <= len(text), (start, stop, end, len(text))
        end = stop
        _ok(d)
    for where in ("any", "last", "start", "line"):
        _ok(dates.find_date(text, where=where))
    _ok(dates.date_marker(text))
    _ok(dates.parse_date_value(text))
    d, rest = dates.split_date_prefix(text)
    _ok(d)
    assert (d is None and rest == text) or (d is not None and len(rest) < len(text)), rest
    lines = text.split("\n")
    d, markers = dates.extract_article_date(lines)
    _ok(d)
    assert all(0 <= i < len(lines) and lines[i].strip() for i in markers), markers


if __name__ == "__main__":
    main(check, load)
    sys.exit(0)
