"""Running the app: bind, announce (``serve.json``), serve until Ctrl-C or SIGTERM.

uvicorn serves the ASGI app (``search.serve.app``); the socket is bound here first, so the
port is known (``--port 0`` picks a free one) before ``serve.json`` names the URL, and a
client that reads it early waits in the listen queue instead of being refused.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from indexer.errors import MlsearchError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (IPv4 or IPv6)."""
    host = host.strip("[]")
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise MlsearchError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="another server may be using the port: choose another with --port",
        ) from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    elif host == "0.0.0.0":
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def _stopped(signum, frame):
    raise SystemExit(0)


def serve(
    index_dir: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    allow_origins=(),
    announce=None,
    workers: int = 1,
) -> None:
    """Serve ``index_dir`` until interrupted. ``announce(url)`` is called once listening.

    ``workers`` > 1: as many processes answer on the one listening socket (the kernel
    hands each connection to one of them), each with its own open index: searches run
    side by side on several cores. The first process is this one; the others are forked
    after the socket is bound and stop with it."""
    from ..results import JSON_SCHEMA_VERSION
    from .app import make_app
    from .client import shared_env
    from .discovery import package_version, remove_serve_file, write_serve_file

    if not is_loopback(host) and not token:
        raise MlsearchError(
            f"serving on {host} needs a token: every request must carry it",
            hint="add --token TOKEN (or set MLSEARCH_TOKEN), or serve on 127.0.0.1",
        )
    index_dir = Path(index_dir).resolve()
    app = make_app(index_dir, token=token, allow_origins=allow_origins)
    # Open the index now: a missing or unreadable one is an error before listening.
    app.state.engine.call(lambda searcher: None)
    try:
        sock = bind(host, port)
    except BaseException:
        app.state.engine.close()
        raise
    if workers > 1:
        # A forked process would share the index's open files, and their read offsets,
        # with this one: each process opens the index itself, after the fork.
        app.state.engine.close()
    url = url_of(sock)
    pid = os.getpid()
    write_serve_file(
        index_dir,
        {
            "pid": pid,
            "url": url,
            "version": package_version(),
            "schema_version": JSON_SCHEMA_VERSION,
            "index": str(index_dir),
            "token_required": bool(token),
            "env": shared_env(),
        },
    )
    # uvicorn stops gracefully on SIGINT and SIGTERM, then raises the signal again for the
    # handler it found: this one ends the process with status 0, through the finally below.
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: list[int] = []
    try:
        for _ in range(workers - 1):
            child = os.fork()
            if child == 0:
                _worker(sock, index_dir, token, allow_origins)  # never returns
            children.append(child)
        if announce is not None:
            announce(url)
        _run(app, sock)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_workers(children)
        remove_serve_file(index_dir, pid)
        app.state.engine.close()
        sock.close()
        sys.stderr.flush()


def _run(app, sock) -> None:
    """Serve ``app`` on ``sock`` in this process until SIGINT or SIGTERM."""
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    # The first search page's facets read every article's language, source and date: read
    # them now, between requests, rather than in that page's time (about 1 s at 15k).
    threading.Thread(target=app.state.engine.warm, name="mlsearch-warm", daemon=True).start()
    uvicorn.Server(config).run(sockets=[sock])


def _worker(sock, index_dir: Path, token, allow_origins) -> None:
    """A forked worker process: its own app and index on the shared socket, until it is
    told to stop (or its parent dies: the kernel then ends it, on Linux)."""
    from indexer.write.parallel import die_with_parent

    from .app import make_app

    status = 0
    try:
        die_with_parent()
        signal.signal(signal.SIGINT, _stopped)
        signal.signal(signal.SIGTERM, _stopped)
        app = make_app(index_dir, token=token, allow_origins=allow_origins)
        try:
            _run(app, sock)
        finally:
            app.state.engine.close()
    except SystemExit:
        pass
    except BaseException:
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        sys.stderr.flush()
        os._exit(status)


def _stop_workers(children: list[int]) -> None:
    """SIGTERM to each worker process (a Ctrl-C reached them already), and wait for them."""
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGTERM)
    for child in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)
