"""``POST /api/cli``: a terminal's ``mlsearch search``/``show``/``similar`` run in the server.

The client (``search.serve.client``) sends its command line, working folder, the few
environment variables the command reads and what its stdout and stderr are (a terminal
or not, their encoding, the window's width). The server runs the very same Click command
on the Searcher it keeps open and sends back the bytes the command wrote and its exit
status, so the output is the command's own by construction: there is no second printing
path to keep in step.

The command reads the terminal and the environment through process globals
(``sys.stdout.isatty()``, ``os.environ["COLUMNS"]``, ``NO_COLOR``…): commands run one at a
time under ``_LOCK``, with those globals set for the client and restored after. The rest
of the server never prints or reads them.

Refused (the client then opens the index itself, silently): any other command, ``--batch``
(reads a file or stdin), ``--glossary`` (reads files named by the client), help, and a
command whose index is not the server's (``NotThisIndex``, raised by the Searcher provider
before anything is printed).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from pathlib import Path

from .client import FORWARDED_ENV, forwardable
from .discovery import package_version

_LOCK = threading.Lock()


class NotThisIndex(BaseException):  # noqa: N818 - not an error: "ask someone else"
    """The command's index is not the server's. A BaseException, so that the command's
    ``handle_errors`` (which turns every Exception into a message) lets it through."""


class _Terminal(io.RawIOBase):
    """The client's stdout (1) or stderr (2) as the command sees it: ``isatty()`` answers
    as the client's does, and what is written goes to ``chunks`` in the order written, so
    the client can replay both streams interleaved as they were."""

    def __init__(self, fd: int, tty: bool, chunks: list):
        super().__init__()
        self._fd, self._tty, self._chunks = fd, tty, chunks

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._tty

    def write(self, data) -> int:
        data = bytes(data)
        if self._chunks and self._chunks[-1][0] == self._fd:
            self._chunks[-1][1] += data
        elif data:
            self._chunks.append([self._fd, bytearray(data)])
        return len(data)


def _stream(fd: int, spec, chunks: list) -> io.TextIOWrapper:
    """A text stream like the client's (its encoding, its error handler, a terminal or
    not), writing through to ``chunks``."""
    spec = spec if isinstance(spec, dict) else {}
    raw = _Terminal(fd, bool(spec.get("tty")), chunks)
    encoding, errors = str(spec.get("encoding") or "utf-8"), str(spec.get("errors") or "strict")
    try:
        "".encode(encoding, errors)
    except LookupError:  # an encoding or error handler this Python does not know
        encoding, errors = "utf-8", "strict"
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, write_through=True)


@contextlib.contextmanager
def _client_globals(env: dict, out, err):
    """The process's streams and the forwarded environment variables as the client's."""
    saved_env = {name: os.environ.get(name) for name in FORWARDED_ENV}
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    try:
        for name in FORWARDED_ENV:
            value = env.get(name)
            if isinstance(value, str):
                os.environ[name] = value
            else:
                os.environ.pop(name, None)
        sys.stdin = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        sys.stdout, sys.stderr = out, err
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_command(engine, request: dict) -> dict | None:
    """Run the client's command on ``engine``'s Searcher: ``{"status": exit status,
    "output": [[1 or 2, bytes as latin-1 text], …]}`` (what went to stdout and stderr, in
    order), or None when this server does not run it."""
    argv = request.get("argv")
    cwd = request.get("cwd")
    env = request.get("env")
    if (
        not isinstance(argv, list)
        or not all(isinstance(a, str) for a in argv)
        or not isinstance(cwd, str)
        or not isinstance(env, dict)
        or not forwardable(argv)
        or request.get("version") != package_version()
    ):
        return None
    prog = request.get("prog")
    prog = prog if isinstance(prog, str) and prog else "mlsearch"
    from search.cli import main
    from search.cli.group import shared_searcher

    def provide(index_dir, glossary):
        """The server's Searcher, when ``index_dir`` (as the client resolves it) is the
        server's index."""
        from indexer.config import default_index_dir

        wanted = Path(index_dir) if index_dir is not None else default_index_dir()
        try:
            same = (Path(cwd) / wanted).resolve() == engine.index_dir
        except OSError:
            same = False
        if glossary or not same:
            raise NotThisIndex
        return engine.held_searcher()

    chunks: list = []
    out, err = _stream(1, request.get("stdout"), chunks), _stream(2, request.get("stderr"), chunks)
    with _LOCK, _client_globals(env, out, err), shared_searcher(provide):
        try:
            main.main(args=list(argv), prog_name=prog, standalone_mode=True)
            status = 0
        except SystemExit as exc:
            status = _exit_status(exc.code, err)
        except NotThisIndex:
            return None
    out.flush()
    err.flush()
    return {"status": status, "output": [[fd, data.decode("latin-1")] for fd, data in chunks]}


def _exit_status(code, err) -> int:
    """What the interpreter makes of ``sys.exit(code)``: None 0, an int itself, anything
    else printed to stderr and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=err)
    return 1
