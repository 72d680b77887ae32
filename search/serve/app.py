"""The ASGI application of ``mlsearch serve``: ``make_app(index_dir, token, allow_origins)``.

One ``Searcher`` stays open for the life of the app and answers every request, one at a
time, in a worker thread (whoosh's searcher is not shared across threads safely, and the
work is CPU-bound under one GIL anyway); it reopens the index when another process has
committed since (``Searcher._latest_searcher``), so an ``index --watch`` beside the server
is seen at the next request.

Every answer of ``/api/…`` is JSON, errors too: ``{"error": message, "hint": hint}`` with
400 (bad query or parameter), 401 (token missing or wrong), 403 (cross-origin), 404 or
500, never a traceback.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import threading
from collections.abc import Iterable
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from indexer.errors import MlsearchError

from . import api

STATIC_DIR = Path(__file__).resolve().parent / "static"


class ApiError(Exception):
    """An answer other than 200: ``status``, ``message`` and ``hint``."""

    def __init__(self, status: int, message: str, hint: str | None = None):
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


def error_response(status: int, message: str, hint: str | None = None, headers=None):
    return JSONResponse({"error": message, "hint": hint}, status_code=status, headers=headers)


class Engine:
    """The open Searcher and the lock that gives it to one request at a time."""

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self._searcher = None
        self._lock = threading.Lock()

    def call(self, fn, *args, **kwargs):
        """``fn(searcher, …)`` under the lock, the Searcher opened on first use."""
        with self.held_searcher() as searcher:
            return fn(searcher, *args, **kwargs)

    @contextlib.contextmanager
    def held_searcher(self):
        """The Searcher, held for the block (a client's command: ``search.serve.commands``)."""
        with self._lock:
            if self._searcher is None:
                from search.searcher import Searcher

                self._searcher = Searcher(self.index_dir)
            yield self._searcher

    def warm(self) -> None:
        """Read ahead what the first search page needs (``Searcher.warm``), a step at a
        time under the lock, so requests that come meanwhile wait one step at most. Best
        effort: any failure just ends it (the request that needs it reads it then)."""
        try:
            with self.held_searcher() as searcher:
                steps = searcher.warm()
            while True:
                with self._lock:
                    if self._searcher is None:
                        return
                    next(steps)
        except Exception:  # StopIteration (done) included
            return

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None


def make_app(
    index_dir: str | Path | None,
    token: str | None = None,
    allow_origins: Iterable[str] = (),
):
    """The ASGI app serving ``index_dir``. ``token``: every ``/api/`` request must carry
    ``Authorization: Bearer TOKEN``. ``allow_origins``: origins (``http://host:port``, or
    ``*``) besides the server's own whose browsers may call the API."""
    from indexer.config import default_index_dir

    index = Path(index_dir) if index_dir is not None else default_index_dir()
    engine = Engine(index.resolve())

    async def run(fn, *args, **kwargs):
        """``fn(searcher, …)`` in a worker thread, the Searcher's turn."""
        return await run_in_threadpool(engine.call, fn, *args, **kwargs)

    async def run_plain(fn, *args, **kwargs):
        """``fn(…)`` in a worker thread, under the Searcher's lock (saved files)."""
        return await run_in_threadpool(engine.call, lambda _s: fn(*args, **kwargs))

    async def search(request: Request):
        params = api.search_params(request.query_params)
        return JSONResponse(await run(api.search, **params))

    async def similar(request: Request):
        params = api.similar_params(request.query_params)
        doc_id = request.path_params["doc_id"]
        return JSONResponse(await run(api.similar, doc_id, **params))

    async def article(request: Request):
        doc_id = request.path_params["doc_id"]
        q = request.query_params.get("q") or None
        return JSONResponse(await run(api.article, doc_id, q))

    async def stats(request: Request):
        return JSONResponse(await run(api.stats))

    async def saved_list(request: Request):
        return JSONResponse(await run(api.saved_list, engine.index_dir))

    async def saved_add(request: Request):
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise ApiError(415, "send the saved query as JSON (Content-Type: application/json)")
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise ApiError(400, "the body is not JSON") from None
        answer = await run(api.saved_add, engine.index_dir, body)
        return JSONResponse(answer, status_code=201)

    async def saved_remove(request: Request):
        name = request.path_params["name"]
        return JSONResponse(await run_plain(api.saved_remove, engine.index_dir, name))

    async def saved_run(request: Request):
        name = request.path_params["name"]
        params = request.query_params
        new = api.flag(params, "new")
        since = params.get("since") or None
        return JSONResponse(await run(api.saved_run, engine.index_dir, name, new, since))

    async def cli(request: Request):
        """A terminal's command run here (``search.serve.commands``); 409: not here."""
        from .commands import run_command

        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise ApiError(415, "send the command as JSON (Content-Type: application/json)")
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise ApiError(400, "the body is not JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the body is not a JSON object")
        answer = await run_in_threadpool(run_command, engine, body)
        if answer is None:
            raise ApiError(409, "not a command this server runs", "run it without the server")
        return JSONResponse(answer)

    async def openapi(request: Request):
        from .openapi import document

        return JSONResponse(document())

    async def health(request: Request):
        return JSONResponse(api.health(engine.index_dir))

    async def index_page(request: Request):
        return FileResponse(STATIC_DIR / "index.html")

    async def api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.message, exc.hint)

    async def library_error(request: Request, exc: MlsearchError):
        return error_response(api.status_of(exc), exc.message, exc.hint)

    async def http_error(request: Request, exc: HTTPException):
        message = {404: "not found", 405: "method not allowed"}.get(exc.status_code, exc.detail)
        return error_response(exc.status_code, message, headers=exc.headers)

    async def internal_error(request: Request, exc: Exception):
        return error_response(
            500,
            f"internal error: {type(exc).__name__}",
            "see the server's log, and please report it",
        )

    routes = [
        Route("/", index_page, methods=["GET"]),
        Route("/api/search", search, methods=["GET"]),
        Route("/api/health", health, methods=["GET"]),
        Route("/api/articles/{doc_id:path}", article, methods=["GET"]),
        Route("/api/similar/{doc_id:path}", similar, methods=["GET"]),
        Route("/api/stats", stats, methods=["GET"]),
        Route("/api/saved", saved_list, methods=["GET"]),
        Route("/api/saved", saved_add, methods=["POST"]),
        Route("/api/saved/{name}", saved_remove, methods=["DELETE"]),
        Route("/api/saved/{name}/run", saved_run, methods=["POST"]),
        Route("/api/cli", cli, methods=["POST"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            ApiError: api_error,
            MlsearchError: library_error,
            HTTPException: http_error,
            Exception: internal_error,
        },
    )
    app.state.engine = engine
    return Guard(app, token=token, allow_origins=allow_origins)


class Guard:
    """ASGI middleware: the token and the origin, checked before anything else runs.

    ``/api/…`` requests must carry ``Authorization: Bearer TOKEN`` when a token is set
    (compared in constant time); without a token, only requests to a loopback name
    (``Host: 127.0.0.1``, ``localhost``) are answered. A request whose ``Origin`` is not
    the server's own (nor one of ``allow_origins``) is refused with 403, so a web page
    elsewhere can neither read the API nor change saved queries through a visitor's
    browser.
    """

    def __init__(self, app, token: str | None = None, allow_origins: Iterable[str] = ()):
        self.app = app
        self.token = token.encode() if token else None
        self.allow_origins = frozenset(o.rstrip("/") for o in allow_origins)
        self.state = app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        cors: dict[str, str] = {}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = [(k.encode(), v.encode()) for k, v in {**SAFE_HEADERS, **cors}.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        refusal = self.refusal(scope, headers, cors)
        if refusal is not None:
            return await refusal(scope, receive, send_with_headers)
        return await self.app(scope, receive, send_with_headers)

    def refusal(self, scope, headers: dict[str, str], cors: dict[str, str]):
        """The answer to a request refused (or a CORS preflight), else None; fills
        ``cors`` with the headers an allowed other origin gets."""
        if self.token is None and _host_name(headers.get("host", "")) not in LOOPBACK_NAMES:
            # Without a token the server is for this machine: a page whose DNS name was
            # rebound to 127.0.0.1 (Host: evil.example) is not let in as "same origin".
            return error_response(
                403,
                "this server answers only to localhost",
                "use http://127.0.0.1:PORT/, or serve with --token",
            )
        origin = headers.get("origin")
        if origin is not None and origin != _own_origin(scope, headers):
            if "*" not in self.allow_origins and origin.rstrip("/") not in self.allow_origins:
                return error_response(
                    403,
                    f"cross-origin request from {origin} refused",
                    "start the server with --allow-origin ORIGIN to let that page call it",
                )
            cors.update({"access-control-allow-origin": origin, "vary": "Origin"})
            if scope["method"] == "OPTIONS":
                return Response(
                    status_code=204,
                    headers={
                        "access-control-allow-methods": "GET, POST, DELETE",
                        "access-control-allow-headers": "Authorization, Content-Type",
                        "access-control-max-age": "600",
                    },
                )
        if self.token is not None and scope["path"].startswith("/api/"):
            given = headers.get("authorization", "")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                value.strip().encode("utf-8", "surrogateescape"), self.token
            ):
                return error_response(
                    401,
                    "this server needs a token" if not given else "wrong token",
                    "send the header Authorization: Bearer TOKEN",
                    headers={"www-authenticate": "Bearer"},
                )
        return None


# On every answer: a browser must not guess HTML in a JSON answer (article text is
# hostile), nor frame the page, nor tell other sites where it came from.
SAFE_HEADERS = {
    # The page's policy (static/index.html has it in a <meta> too), plus what only a header
    # can say: no page may frame this one.
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def _host_name(host: str) -> str:
    """The name in a Host header, without its port: ``[::1]:8765`` -> ``::1``."""
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _own_origin(scope, headers) -> str | None:
    host = headers.get("host")
    if not host:
        return None
    return f"{scope.get('scheme', 'http')}://{host}"
