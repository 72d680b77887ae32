"""What the JSON API answers, apart from HTTP: parameters read and checked, the
Searcher called, its dataclasses turned into the documented JSON (README, "HTTP API").

Each function taking a ``searcher`` runs in a worker thread under the app's lock
(``app.Engine``); nothing here imports Starlette.
"""

from __future__ import annotations

import os
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
    if isinstance(exc, ArticleNotFoundError | NotFound):
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


def flag(params: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = params.get(name)
    if value is None:
        return default
    value = value.lower()
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
        "cross": flag(params, "cross"),
        "match": _choice(params, "match", MATCH_MODES, "ranked"),
        "all_copies": flag(params, "all"),
        "date": date,
        "facets": flag(params, "facets", default=True),
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


def search(
    searcher, q, lang, sort, page, limit, cross, match, all_copies, date, facets=True
) -> dict:
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
    counts = None
    if facets:
        counts = searcher.facets(text, lang=lang, cross=cross, match=match, collapse=collapse)
    out = results_json(results, limit, counts)
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
        "pid": os.getpid(),  # which process answered (mlsearch serve --workers N)
    }


def similar_params(params: Mapping[str, str]) -> dict:
    from indexer.config import DEFAULT_LIMIT

    return {
        "lang": _choice(params, "lang", LANGS),
        "page": _integer(params, "page", 1, 1, 1_000_000),
        "limit": _integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        "cross": flag(params, "cross"),
        "all_copies": flag(params, "all"),
    }


def similar(searcher, doc_id, lang, page, limit, cross, all_copies) -> dict:
    results = searcher.similar(
        doc_id, limit=limit, page=page, lang=lang, collapse=not all_copies, cross=cross
    )
    out = results_json(results, limit)
    out["match"] = None
    return out


def article(searcher, doc_id: str, q: str | None = None) -> dict:
    """``show --json``'s record, plus ``highlights``: the spans of the body that ``q``'s
    words match ([] without ``q``)."""
    from dataclasses import asdict

    record = asdict(searcher.get(doc_id))
    record["highlights"] = searcher.highlight(record["body"], q) if q else []
    record["title_highlights"] = searcher.highlight(record["title"], q) if q else []
    return record


def stats(searcher) -> dict:
    from dataclasses import asdict

    return asdict(searcher.stats())


# --- saved queries -----------------------------------------------------------------------


def saved_list(searcher, index_dir) -> list[dict]:
    """Each saved query with what its runs recorded, and ``unseen``: the stories it
    matches now that no run has seen (counted, not recorded: a GET changes nothing)."""
    from ..saved import list_saved, unseen_counts

    unseen = unseen_counts(index_dir, searcher)
    return [{**st.as_dict(), "unseen": unseen.get(st.saved.name)} for st in list_saved(index_dir)]


SAVED_FIELDS = {
    "name": str,
    "query": str,
    "limit": int,
    "sort": str,
    "lang": (str, type(None)),
    "date": (str, type(None)),
    "cross": bool,
    "match": str,
    "replace": bool,
}


def saved_from_body(body) -> tuple[object, bool]:
    """A ``SavedQuery`` from ``POST /api/saved``'s JSON body, and its ``replace``."""
    from ..saved import SavedQuery

    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object: {name, query, …}")
    for key, value in body.items():
        kind = SAVED_FIELDS.get(key)
        if kind is None:
            raise BadRequest(f"unknown field {key!r}", f"fields: {', '.join(SAVED_FIELDS)}")
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise BadRequest(f"{key} has the wrong type: {value!r}")
    for key in ("name", "query"):
        if not body.get(key, "").strip():
            raise BadRequest(f"missing {key}")
    values = {k: v for k, v in body.items() if k != "replace"}
    if values.get("limit") is not None and not 1 <= values["limit"] <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    if values.get("sort") is not None and values["sort"] not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
    if values.get("lang") is not None and values["lang"] not in LANGS:
        raise BadRequest(f"lang must be one of {', '.join(LANGS)}")
    if values.get("match") is not None and values["match"] not in MATCH_MODES:
        raise BadRequest(f"match must be one of {', '.join(MATCH_MODES)}")
    return SavedQuery(**values), bool(body.get("replace", False))


def saved_add(searcher, index_dir, body) -> dict:
    from ..saved import add_saved, saved_status

    sq, replace = saved_from_body(body)
    add_saved(sq, index_dir, replace=replace, searcher=searcher)
    return saved_status(sq.name, index_dir).as_dict()


def _saved_exists(name: str, index_dir) -> None:
    from ..saved import load_saved

    if name not in load_saved(index_dir):
        raise NotFound(f"no saved query named {name!r}", "GET /api/saved lists them")


def saved_remove(index_dir, name: str) -> dict:
    from ..saved import remove_saved

    _saved_exists(name, index_dir)
    remove_saved([name], index_dir)
    return {"removed": name}


def saved_run(searcher, index_dir, name: str, new: bool, since: str | None) -> dict:
    """One run of saved query ``name`` (recorded as ``saved run`` records it): the hits,
    each with ``new``, and the run's figures."""
    from ..saved import run_saved

    _saved_exists(name, index_dir)
    (run,) = run_saved([name], index_dir, new=new, since=since, searcher=searcher)
    return {
        "schema_version": _schema_version(),
        "saved": run.saved.as_dict(),
        "total": run.total,
        "new": run.new,
        "first_run": run.first_run,
        "previous_run": run.previous_run,
        "only_new": run.only_new,
        "since": run.since,
        "hits": [hit_json(h) for h in run.hits],
    }


def _schema_version() -> int:
    from ..results import JSON_SCHEMA_VERSION

    return JSON_SCHEMA_VERSION


class NotFound(MlsearchError):
    """Nothing at that name: 404."""
