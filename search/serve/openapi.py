"""The OpenAPI 3.1 document of the JSON API, served at ``/openapi.json``.

Written by hand (the app is Starlette, not a framework that generates one); the
property-based tests (``tests/test_serve_schema.py``, schemathesis) check the running
server against it, so a response that strays from it fails there.
"""

from __future__ import annotations

from ..options import MATCH_MODES, MAX_LIMIT, SORTS

LANGS = ["zh", "ms", "en"]

_NULLABLE_STR = {"type": ["string", "null"]}
_SPANS = {
    "type": "array",
    "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}

HIT = {
    "type": "object",
    "description": "A hit: the JSON Lines record of `search --json`, plus title_highlights.",
    "required": [
        "schema_version",
        "rank",
        "id",
        "score",
        "title",
        "date",
        "langs",
        "source",
        "url",
        "snippet",
        "highlights",
        "group",
        "similar",
        "similar_ids",
        "matched",
        "missing",
        "title_highlights",
    ],
    "properties": {
        "schema_version": {"type": "integer"},
        "rank": {"type": "integer", "minimum": 1},
        "id": {"type": "string"},
        "score": {"type": "number"},
        "title": {"type": "string"},
        "date": _NULLABLE_STR,
        "langs": {"type": "array", "items": {"type": "string"}},
        "source": _NULLABLE_STR,
        "url": _NULLABLE_STR,
        "snippet": {"type": "string"},
        "highlights": _SPANS,
        "group": _NULLABLE_STR,
        "similar": {"type": "integer", "minimum": 0},
        "similar_ids": {"type": "array", "items": {"type": "string"}},
        "matched": {"type": "array", "items": {"type": "string"}},
        "missing": {"type": "array", "items": {"type": "string"}},
        "title_highlights": _SPANS,
        "saved": {"type": "string"},
        "new": {"type": "boolean"},
    },
    # A field added to search.results.Hit must be described here: the schema tests (and
    # tests/test_serve_schema.py's check of Hit against it) fail until it is.
    "additionalProperties": False,
}

RESULTS = {
    "type": "object",
    "required": [
        "schema_version",
        "query",
        "total",
        "page",
        "limit",
        "hits",
        "suggestion",
        "notes",
        "facets",
        "expansions",
        "cross_hint",
        "match",
    ],
    "properties": {
        "schema_version": {"type": "integer"},
        "query": {"type": "string"},
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "limit": {"type": "integer", "minimum": 1},
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "suggestion": _NULLABLE_STR,
        "notes": {"type": "array", "items": {"type": "string"}},
        "facets": {
            "type": "object",
            "description": "Stories (groups of copies) over every match, not just the page.",
            "required": ["lang", "source", "month"],
            "properties": {"lang": _COUNTS, "source": _COUNTS, "month": _COUNTS},
        },
        "expansions": {"type": "array", "items": {"type": "object"}},
        "cross_hint": _NULLABLE_STR,
        "match": {"type": ["string", "null"]},
    },
}

ARTICLE = {
    "type": "object",
    "required": ["id", "title", "body", "date", "langs", "source", "url", "path", "highlights"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "body": {"type": "string"},
        "date": _NULLABLE_STR,
        "langs": {"type": "array", "items": {"type": "string"}},
        "source": _NULLABLE_STR,
        "url": _NULLABLE_STR,
        "path": _NULLABLE_STR,
        "highlights": _SPANS,
        "title_highlights": _SPANS,
    },
}

STATS = {
    "type": "object",
    "required": [
        "articles",
        "by_lang",
        "by_source",
        "date_min",
        "date_max",
        "index_bytes",
        "index_dir",
    ],
    "properties": {
        "articles": {"type": "integer", "minimum": 0},
        "by_lang": _COUNTS,
        "by_source": _COUNTS,
        "date_min": _NULLABLE_STR,
        "date_max": _NULLABLE_STR,
        "index_bytes": {"type": "integer", "minimum": 0},
        "index_dir": {"type": "string"},
    },
}

SAVED_FIELDS = {
    "name": {"type": "string", "pattern": r"^[\w.-]{1,64}$"},
    "query": {"type": "string", "minLength": 1},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    "sort": {"enum": list(SORTS)},
    "lang": {"enum": [*LANGS, None]},
    "date": _NULLABLE_STR,
    "cross": {"type": "boolean"},
    "match": {"enum": list(MATCH_MODES)},
}

SAVED_STATUS = {
    "type": "object",
    "required": [*SAVED_FIELDS, "last_run", "hits", "new", "seen"],
    "properties": {
        **SAVED_FIELDS,
        "last_run": _NULLABLE_STR,
        "hits": {"type": ["integer", "null"]},
        "new": {"type": ["integer", "null"]},
        "seen": {"type": "integer", "minimum": 0},
        # GET /api/saved only: stories it matches now that no run has seen (null: the
        # query no longer parses)
        "unseen": {"type": ["integer", "null"], "minimum": 0},
    },
}

SAVED_RUN = {
    "type": "object",
    "required": ["schema_version", "saved", "total", "new", "first_run", "hits"],
    "properties": {
        "schema_version": {"type": "integer"},
        "saved": {"type": "object"},
        "total": {"type": "integer", "minimum": 0},
        "new": {"type": "integer", "minimum": 0},
        "first_run": {"type": "boolean"},
        "previous_run": _NULLABLE_STR,
        "only_new": {"type": "boolean"},
        "since": _NULLABLE_STR,
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
    },
}

ERROR = {
    "type": "object",
    "required": ["error", "hint"],
    "properties": {"error": {"type": "string"}, "hint": _NULLABLE_STR},
}

HEALTH = {
    "type": "object",
    "required": ["status", "version", "schema_version", "index"],
    "properties": {
        "status": {"const": "ok"},
        "version": {"type": "string"},
        "schema_version": {"type": "integer"},
        "index": {"type": "string"},
        "pid": {"type": "integer"},
    },
}


def _json(ref: str, description: str = "OK") -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _errors(*statuses: int) -> dict:
    words = {
        400: "Bad request",
        401: "Token missing or wrong",
        404: "Not found",
        415: "The body is not JSON",
    }
    return {str(s): _json("Error", words[s]) for s in statuses}


def _param(name: str, schema: dict, description: str, where: str = "query", **extra) -> dict:
    return {"name": name, "in": where, "schema": schema, "description": description, **extra}


PAGE = [
    _param("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}, "Page, from 1."),
    _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Hits a page."),
]
LANG = _param("lang", {"enum": LANGS}, "Only articles in this language.")
CROSS = _param("cross", {"type": "boolean"}, "Also in the other two languages (glossary).")
ALL = _param("all", {"type": "boolean"}, "Every copy of a near-duplicate, not one hit.")
DOC_ID = _param(
    "doc_id",
    {"type": "string", "minLength": 1},
    "An article id (may hold /).",
    "path",
    required=True,
)
NAME = _param(
    "name",
    {"type": "string", "pattern": r"^[\w.-]{1,64}$"},
    "A saved query.",
    "path",
    required=True,
)


def document() -> dict:
    from .discovery import package_version

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mlsearch",
            "version": package_version(),
            "description": "Search news in Chinese, Malay and English (README, HTTP API).",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Ranked search, as mlsearch search",
                    "parameters": [
                        _param(
                            "q", {"type": "string", "minLength": 1}, "The query.", required=True
                        ),
                        LANG,
                        _param("sort", {"enum": list(SORTS)}, "relevance or date."),
                        *PAGE,
                        CROSS,
                        _param("match", {"enum": list(MATCH_MODES)}, "How the words combine."),
                        ALL,
                        _param("date", {"type": "string"}, "As date: takes: 2025, 2025-10, …"),
                        _param("facets", {"type": "boolean"}, "Count facets (default true)."),
                    ],
                    "responses": {"200": _json("SearchResults"), **_errors(400, 401)},
                }
            },
            "/api/articles/{doc_id}": {
                "get": {
                    "summary": "One whole article, as mlsearch show --json",
                    "parameters": [DOC_ID, _param("q", {"type": "string"}, "Words to highlight.")],
                    "responses": {"200": _json("Article"), **_errors(400, 401, 404)},
                }
            },
            "/api/similar/{doc_id}": {
                "get": {
                    "summary": "Articles like one, as mlsearch similar",
                    "parameters": [DOC_ID, LANG, *PAGE, CROSS, ALL],
                    "responses": {"200": _json("SearchResults"), **_errors(400, 401, 404)},
                }
            },
            "/api/stats": {
                "get": {
                    "summary": "What the index holds, as mlsearch stats --json",
                    "responses": {"200": _json("Stats"), **_errors(401)},
                }
            },
            "/api/health": {
                "get": {
                    "summary": "Is the server up, and for which index and version",
                    "responses": {"200": _json("Health"), **_errors(401)},
                }
            },
            "/api/saved": {
                "get": {
                    "summary": "The saved queries, as mlsearch saved list --json",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/SavedStatus"},
                                    }
                                }
                            },
                        },
                        **_errors(401),
                    },
                },
                "post": {
                    "summary": "Save a query, as mlsearch saved add",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["name", "query"],
                                    "additionalProperties": False,
                                    "properties": {**SAVED_FIELDS, "replace": {"type": "boolean"}},
                                }
                            }
                        },
                    },
                    "responses": {"201": _json("SavedStatus", "Saved"), **_errors(400, 401, 415)},
                },
            },
            "/api/saved/{name}": {
                "delete": {
                    "summary": "Remove a saved query, as mlsearch saved rm",
                    "parameters": [NAME],
                    "responses": {
                        "200": {
                            "description": "Removed",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["removed"],
                                        "properties": {"removed": {"type": "string"}},
                                    }
                                }
                            },
                        },
                        **_errors(400, 401, 404),
                    },
                }
            },
            "/api/saved/{name}/run": {
                "post": {
                    "summary": "Run a saved query and record what it found, as mlsearch saved run",
                    "parameters": [
                        NAME,
                        _param("new", {"type": "boolean"}, "Only hits no earlier run had."),
                        _param("since", {"type": "string"}, "Only articles dated since."),
                    ],
                    "responses": {"200": _json("SavedRun"), **_errors(400, 401, 404)},
                }
            },
        },
        "components": {
            "schemas": {
                "Hit": HIT,
                "SearchResults": RESULTS,
                "Article": ARTICLE,
                "Stats": STATS,
                "SavedStatus": SAVED_STATUS,
                "SavedRun": SAVED_RUN,
                "Health": HEALTH,
                "Error": ERROR,
            },
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }
