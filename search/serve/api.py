"""What the JSON API answers, apart from HTTP: parameters read and checked, the
Searcher called, its dataclasses turned into the documented JSON (README, "HTTP API").

Each function taking a ``searcher`` runs in a worker thread under the app's lock
(``app.Engine``); nothing here imports Starlette.
"""

from __future__ import annotations

from collections.abc import Mapping

from indexer.errors import (
    ArticleNotFoundError,
    IndexDamagedError,
    IndexLockedError,
    IndexMissingError,
    MlsearchError,
    SchemaVersionError,
)

from ..options import MATCH_MODES, MAX_LIMIT, SORTS, check_date_spec

TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
LANGS = ("zh", "ms", "en")


class BadRequest(MlsearchError):
    """A parameter the API cannot take: 400."""


def status_of(exc: MlsearchError) -> int:
    """The HTTP status of a library error: 400 for the request's mistakes, 404 for an
    article or saved query that is not there, 503 while the index is locked, else 500."""
    if isinstance(exc, ArticleNotFoundError):
        return 404
    if isinstance(exc, IndexLockedError):
        return 503
    if isinstance(exc, IndexMissingError | SchemaVersionError | IndexDamagedError):
        return 500
    return 400


def _choice(params: Mapping[str, str], name: str, choices, default=None):
    value = params.get(name)
    if value is None or value == "":
        return default
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {value!r}") from None
    if not low <= n <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, not {n}")
    return n


def _flag(params: Mapping[str, str], name: str) -> bool:
    value = (params.get(name) or "").lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise BadRequest(f"{name} must be true or false, not {params.get(name)!r}")


def search_params(params: Mapping[str, str]) -> dict:
    """``/api/search``'s query string as ``search``'s keyword arguments."""
    from indexer.config import DEFAULT_LIMIT

    q = params.get("q", "")
    if not q.strip():
        raise BadRequest("missing q, the query", "/api/search?q=WORDS")
    date = params.get("date") or None
    if date is not None:
        try:
            check_date_spec(date)
        except MlsearchError as exc:
            raise BadRequest(exc.message, exc.hint) from None
    return {
        "q": q,
        "lang": _choice(params, "lang", LANGS),
        "sort": _choice(params, "sort", SORTS, "relevance"),
        "page": _integer(params, "page", 1, 1, 1_000_000),
        "limit": _integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        "cross": _flag(params, "cross"),
        "match": _choice(params, "match", MATCH_MODES, "ranked"),
        "all_copies": _flag(params, "all"),
        "date": date,
    }


def full_query(q: str, date: str | None) -> str:
    """The query as run: ``date`` added as ``date:SPEC`` (as a saved query's filter is)."""
    return f"({q}) date:{date}" if date else q


def hit_json(hit) -> dict:
    """A hit as ``search --json`` prints it, plus the spans of the title to highlight."""
    return {**hit.as_json(), "title_highlights": [list(s) for s in hit.title_highlights]}


def results_json(results, limit: int, facets: dict | None = None) -> dict:
    from ..results import JSON_SCHEMA_VERSION

    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "query": results.query,
        "total": results.total,
        "page": results.page,
        "limit": limit,
        "hits": [hit_json(h) for h in results.hits],
        "suggestion": results.suggestion,
        "notes": list(results.notes),
        "facets": facets if facets is not None else {"lang": {}, "source": {}, "month": {}},
        "expansions": [e.as_json() for e in results.expansions],
        "cross_hint": results.cross_hint.message() if results.cross_hint else None,
        "match": results.match,
    }


def search(searcher, q, lang, sort, page, limit, cross, match, all_copies, date) -> dict:
    text = full_query(q, date)
    collapse = not all_copies
    results = searcher.search(
        text,
        limit=limit,
        page=page,
        sort=sort,
        lang=lang,
        cross=cross,
        match=match,
        collapse=collapse,
    )
    facets = searcher.facets(text, lang=lang, cross=cross, match=match, collapse=collapse)
    out = results_json(results, limit, facets)
    out["query"] = q
    return out


def health(index_dir) -> dict:
    from ..results import JSON_SCHEMA_VERSION
    from .discovery import package_version

    return {
        "status": "ok",
        "version": package_version(),
        "schema_version": JSON_SCHEMA_VERSION,
        "index": str(index_dir),
    }
