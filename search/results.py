"""What the Searcher API returns: dataclasses, never Whoosh objects (README, "Python API").

``Hit`` is one search result (``as_json`` is the JSON Lines record of ``search --json``,
``--batch`` and ``saved run --json``), ``SearchResults`` a page of them, ``ArticleRecord``
a whole article (``show``), ``IndexStats`` the index's figures (``stats``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # search.query loads whoosh: the HTTP client path reads this module
    from .query import Expansion

# Version of the JSON Lines record shared by search --json, search --batch and saved run
# --json (README, "JSON output"). Adding a field keeps it; renaming or removing one bumps it.
JSON_SCHEMA_VERSION = 1


@dataclass
class Hit:
    rank: int
    id: str
    score: float
    title: str
    date: str | None
    langs: list[str]
    source: str | None
    url: str | None
    snippet: str
    highlights: list[list[int]]
    # Near-duplicates (README, "Near-duplicates"): the label of this article's group of
    # copies, and the other copies that matched too but were collapsed into this hit.
    group: str | None = None
    similar: int = 0
    similar_ids: list[str] = field(default_factory=list)
    # The query's words (as typed) this article has, and those it lacks: a partial match
    # of the ranked matching model (search.matching) lacks some; [] for one-word queries.
    matched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    title_highlights: list[list[int]] = field(default_factory=list, repr=False)
    path: str | None = field(default=None, repr=False)

    def as_json(self) -> dict:
        """The stable JSON Lines record (see README, "JSON output")."""
        d = {"schema_version": JSON_SCHEMA_VERSION, **asdict(self)}
        d.pop("title_highlights")
        d.pop("path")
        d["score"] = round(self.score, 4)
        return d


@dataclass
class CrossHint:
    """What ``--cross`` would find for a query that finds nothing or little as typed:
    ``total`` articles (counted as ``total`` of the search is), through the glossary
    entries ``entries`` (their main forms: "UMNO/巫统")."""

    total: int
    entries: list[str]

    def message(self) -> str:
        names = ", ".join(self.entries)
        some = "1 article mentions" if self.total == 1 else f"{self.total} articles mention"
        return f"try --cross: {some} {names} in any language"


@dataclass
class SearchResults:
    """One page of hits. ``total`` counts what matched, each group of copies once unless
    the search was asked not to collapse them (``collapse=False``)."""

    query: str
    total: int
    page: int
    hits: list[Hit]
    suggestion: str | None = None
    notes: list[str] = field(default_factory=list)
    expansions: list[Expansion] = field(default_factory=list)  # what --cross added
    cross_hint: CrossHint | None = None  # without --cross, on no or weak results
    match: str = "ranked"  # the matching mode the query ran with (search.matching)


@dataclass
class ArticleRecord:
    id: str
    title: str
    body: str
    date: str | None
    langs: list[str]
    source: str | None
    url: str | None
    path: str | None


@dataclass
class IndexStats:
    articles: int
    by_lang: dict[str, int]
    by_source: dict[str, int]
    date_min: str | None
    date_max: str | None
    index_bytes: int
    index_dir: str


def iso_date(value) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None


def split_langs(value) -> list[str]:
    return [x for x in (value or "").split(",") if x]
