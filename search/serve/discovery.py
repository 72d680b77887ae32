"""``serve.json``: how a command finds the server running for its index.

The server writes ``<index>/serve.json`` atomically when it starts listening and removes
it when it stops; ``mlsearch search`` reads it to ask the server instead of opening the
index (``search.serve.client``). Light: the client path imports this (JSON by ``wire``).
"""

from __future__ import annotations

import os

from .wire import dumps, loads

SERVE_FILE = "serve.json"


def package_version() -> str:
    from search import __version__

    return __version__


def serve_file(index_dir: str | os.PathLike) -> str:
    return os.path.join(index_dir, SERVE_FILE)


def write_serve_file(index_dir: str | os.PathLike, info: dict) -> str:
    """Write ``info`` as ``serve.json`` in ``index_dir``: a temporary file renamed over it,
    so a reader sees the old file or the new one, never half of one."""
    import tempfile

    path = serve_file(index_dir)
    fd, tmp = tempfile.mkstemp(prefix=".serve-", suffix=".json", dir=index_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(dumps(info))
        os.replace(tmp, path)
    except BaseException:
        with contextlib_suppress():
            os.unlink(tmp)
        raise
    return path


def remove_serve_file(index_dir: str | os.PathLike, pid: int) -> None:
    """Remove ``serve.json`` if it is still this process's (``pid``)."""
    path = serve_file(index_dir)
    try:
        with open(path, encoding="utf-8") as f:
            info = loads(f.read())
    except (OSError, ValueError):
        return
    if isinstance(info, dict) and info.get("pid") == pid:
        with contextlib_suppress():
            os.unlink(path)


def read_serve_file(index_dir: str | os.PathLike) -> dict | None:
    """The server's record for ``index_dir``, or None when there is none, it is not
    readable, or its process is gone."""
    try:
        with open(serve_file(index_dir), encoding="utf-8") as f:
            info = loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("pid"), int):
        return None
    if not pid_alive(info["pid"]):
        return None
    return info


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    except OSError:
        return False
    return True


class contextlib_suppress:
    """``contextlib.suppress(OSError)`` without importing contextlib on the client path."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        return kind is not None and issubclass(kind, OSError)
