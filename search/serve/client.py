"""The command line as a client of ``mlsearch serve``: when a server for the same index is
running, ``search``, ``show`` and ``similar`` ask it instead of opening the index.

Only the standard library (``socket``, ``json``) is imported here, so a command that
finds a server skips loading whoosh, the analysers and the dictionaries. Any doubt means
``None`` and the command opens the index itself, silently: no ``serve.json``, a dead
process, another version, index or environment, no answer to ``/api/health`` within
``HEALTH_TIMEOUT``, or an answer other than 200 (the direct path then reports the error
exactly as it always does).

What comes back is dressed as the library's results (``RemoteResults``, ``RemoteHit``)
for the printing functions of ``search.cli.output``: the same output either way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from .discovery import package_version, read_serve_file

HEALTH_TIMEOUT = 0.05  # seconds: a server slower than that to say it is there is not used
ANSWER_TIMEOUT = 60.0
# Settings read at query time that must be the same for the server as for this command.
SHARED_ENV = ("MLSEARCH_GLOSSARY", "MLSEARCH_USERDICT")
NO_SERVER_ENV = "MLSEARCH_NO_SERVER"  # set (to anything but "") to never ask a server


def health_timeout() -> float:
    """``MLSEARCH_SERVER_TIMEOUT`` (seconds), else ``HEALTH_TIMEOUT``: a loaded test
    machine may be slower to answer than a server worth asking."""
    from indexer.config import env_number

    return env_number("MLSEARCH_SERVER_TIMEOUT", HEALTH_TIMEOUT, 0.001)


def shared_env() -> dict[str, str]:
    return {name: os.environ.get(name, "") for name in SHARED_ENV}


class RemoteHit:
    """A hit of the API's answer, with the attributes and ``as_json`` of ``search.Hit``."""

    def __init__(self, record: dict):
        self._record = record
        for key, value in record.items():
            setattr(self, key, value)
        self.new = record.get("new", False)

    def as_json(self) -> dict:
        return {k: v for k, v in self._record.items() if k != "title_highlights"}


class RemoteExpansion:
    def __init__(self, record: dict):
        self.matched, self.lang, self.added = record["matched"], record["lang"], record["added"]


class RemoteCrossHint:
    def __init__(self, text: str):
        self.text = text

    def message(self) -> str:
        return self.text


class RemoteResults:
    """The API's search answer with the attributes of ``search.SearchResults``."""

    def __init__(self, answer: dict):
        self.query = answer["query"]
        self.total = answer["total"]
        self.page = answer["page"]
        self.hits = [RemoteHit(h) for h in answer["hits"]]
        self.suggestion = answer.get("suggestion")
        self.notes = answer.get("notes") or []
        self.expansions = [RemoteExpansion(e) for e in answer.get("expansions") or []]
        hint = answer.get("cross_hint")
        self.cross_hint = RemoteCrossHint(hint) if hint else None
        self.match = answer.get("match")


class Server:
    """A running server for this index, connected and answering.

    HTTP/1.1 over a plain socket, one request at a time on one connection: ``http.client``
    alone would cost this path 20 ms of imports (it loads the ``email`` package)."""

    def __init__(self, sock, host: str, token: str | None):
        self.sock = sock
        self.head = f"Host: {host}\r\nAccept: application/json\r\n"
        if token:
            self.head += f"Authorization: Bearer {token}\r\n"

    def get(self, path: str, params: dict) -> dict | None:
        """The JSON object answered with 200 to GET ``path?params``; None otherwise."""
        query = urlencode({k: _param(v) for k, v in params.items() if v is not None})
        target = f"{path}?{query}" if query else path
        try:
            self.sock.sendall(f"GET {target} HTTP/1.1\r\n{self.head}\r\n".encode())
            status, body = _read_response(self.sock)
        except (OSError, ValueError):
            return None
        if status != 200:
            return None
        try:
            answer = json.loads(body)
        except ValueError:
            return None
        return answer if isinstance(answer, dict) else None

    def close(self) -> None:
        self.sock.close()


def _read_response(sock) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 response with a Content-Length (uvicorn's JSON
    answers have one); ValueError for anything else."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ValueError("connection closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length is None:
        raise ValueError("no Content-Length")
    while len(body) < length:
        chunk = sock.recv(max(65536, length - len(body)))
        if not chunk:
            raise ValueError("connection closed")
        body += chunk
    return status, body[:length]


def _param(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def find_server(index_dir) -> Server | None:
    """The server running for ``index_dir`` (None: the default index), or None."""
    if os.environ.get(NO_SERVER_ENV):
        return None
    if index_dir is None:
        from indexer.config import default_index_dir

        index_dir = default_index_dir()
    try:
        index = Path(index_dir).resolve()
    except OSError:
        return None
    info = read_serve_file(index)
    if info is None:
        return None
    if info.get("version") != package_version() or info.get("index") != str(index):
        return None
    if info.get("env", {}) != shared_env():
        return None
    token = os.environ.get("MLSEARCH_TOKEN") or None
    if info.get("token_required") and not token:
        return None
    url = urlsplit(str(info.get("url", "")))
    if url.scheme != "http" or not url.hostname or not url.port:
        return None
    import socket

    try:
        sock = socket.create_connection((url.hostname, url.port), timeout=health_timeout())
    except (OSError, ValueError):
        return None
    server = Server(sock, url.netloc, token)
    health = server.get("/api/health", {})
    if (
        health is None
        or health.get("version") != package_version()
        or health.get("index") != str(index)
        or health.get("schema_version") != info.get("schema_version")
    ):
        server.close()
        return None
    sock.settimeout(ANSWER_TIMEOUT)
    return server


def remote_search(index_dir, **params) -> RemoteResults | None:
    """``/api/search`` for ``search``'s options (facets left out), or None."""
    server = find_server(index_dir)
    if server is None:
        return None
    try:
        answer = server.get("/api/search", {**params, "facets": False})
    finally:
        server.close()
    return RemoteResults(answer) if answer is not None else None


def remote_similar(index_dir, doc_id: str, **params) -> RemoteResults | None:
    server = find_server(index_dir)
    if server is None:
        return None
    try:
        answer = server.get(f"/api/similar/{quote(doc_id, safe='/')}", params)
    finally:
        server.close()
    return RemoteResults(answer) if answer is not None else None


def remote_article(index_dir, doc_id: str) -> dict | None:
    """``show --json``'s record of ``doc_id``, or None."""
    server = find_server(index_dir)
    if server is None:
        return None
    try:
        answer = server.get(f"/api/articles/{quote(doc_id, safe='/')}", {})
    finally:
        server.close()
    if answer is None:
        return None
    answer.pop("highlights", None)
    answer.pop("title_highlights", None)
    return answer
