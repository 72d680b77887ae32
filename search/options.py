"""The search options, each rule in one place: language, sort, limit, page and date filter.

``Searcher.search`` and ``Searcher.similar`` check their arguments here, saved queries
(``search.saved``) check what they save and read, and the command line builds its option
types from the same values (``search.cli.group``). Every check raises ``QuerySyntaxError``
with the message a user sees.

Kept light, because starting the command imports it: the languages (``LANGS``, defined
with their analysis in ``indexer.analyse``) are looked up only when one is checked.
"""

from __future__ import annotations

import re

from indexer.errors import QuerySyntaxError

SORTS = ("relevance", "date")
# How a query's words combine (search.matching): the user's choices, then the models the
# evaluation measures them against.
MATCH_MODES = ("ranked", "all", "any")
MATCH_MODES_MEASURED = (*MATCH_MODES, "coord", "coord2", "tiered")
MAX_LIMIT = 10000  # hits a command or a saved query asks for at most

# One value of date: in a query, as a saved query's filter: 2025-10, [2025-09-01 TO], {…}.
_DATE_SPEC_RE = re.compile(r"\[[^\]]*\]|\{[^}]*\}|[^\s\[\]{}]+")


def check_limit(limit: int, maximum: int | None = None) -> None:
    """At least 1 hit a page (and, when given, at most ``maximum``)."""
    if maximum is not None and not 1 <= limit <= maximum:
        raise QuerySyntaxError(f"limit must be between 1 and {maximum}")
    if limit < 1:
        raise QuerySyntaxError("limit must be at least 1")


def check_match(mode: str) -> str:
    if mode not in MATCH_MODES_MEASURED:
        raise QuerySyntaxError(f"unknown matching mode {mode!r} (use {', '.join(MATCH_MODES)})")
    return mode


def check_page(page: int) -> None:
    if page < 1:
        raise QuerySyntaxError("page must be at least 1")


def check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise QuerySyntaxError(f"unknown sort {sort!r} (use relevance or date)")


def check_lang(lang: str | None) -> None:
    """None (any language) or one of ``indexer.analyse.languages.LANGS``."""
    if lang is None:
        return
    from indexer.analyse.languages import LANGS

    if lang not in LANGS:
        raise QuerySyntaxError(f"unknown language {lang!r} (use zh, ms or en)")


def is_date_spec(spec: str) -> bool:
    """One value of ``date:`` (a date or a range): what it means is the query parser's."""
    return bool(_DATE_SPEC_RE.fullmatch(spec))


def check_date_spec(spec: str | None) -> None:
    if spec is not None and not is_date_spec(spec):
        raise QuerySyntaxError(
            f"cannot read the date {spec!r}",
            hint="use one date or a range, as date: takes: 2025, 2025-10, [2025-09-01 TO]",
        )
