"""The unit every reader yields and the indexer consumes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass
class Article:
    """One news article as read from disk, before language analysis.

    ``id`` is stable across runs: for a file, its path relative to the root given to
    ``index`` (POSIX separators); for a JSON record, ``<file id>#<record id>`` unless the
    record's own ``id`` is used as is (see ``indexer.read``).
    """

    id: str
    title: str
    body: str
    date: date | None = None
    source: str | None = None
    url: str | None = None
    path: str | None = None  # the file it came from, relative to the index root
    lang_hint: str | None = None  # a language the source declared (e.g. a JSON "lang")


@dataclass
class Skipped:
    """A file or record that was not indexed, and why."""

    path: str
    reason: str
    line: int | None = None
