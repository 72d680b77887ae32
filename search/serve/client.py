"""The command line as a client of ``mlsearch serve``: when a server for the same index is
running, ``mlsearch search``, ``show`` and ``similar`` are run by it.

``forward(argv, prog)`` is the first thing the ``mlsearch`` command does (``search.cli.entry``),
before Click or anything of the index is imported: it sends the command line, the working
folder, the environment variables the command reads and what stdout and stderr are (a
terminal or not, their encoding, the window's size) to ``POST /api/cli``. The server runs the
same Click command on the Searcher it keeps open (``search.serve.commands``) and answers
with the bytes written to stdout and stderr, in order, and the exit status, which are
replayed here. The output is the command's own, not a copy of it.

Only what Python itself loads to start is imported on this path, plus the C halves of
``json`` and ``socket`` (``_json``, ``_socket``): ``json`` and ``socket`` would bring ``re``,
``enum`` and ``collections`` with them, ten milliseconds and more of a start that is meant
to take a few tens. Any doubt means ``None`` and the command runs as it always does, silently: no
``serve.json``, a dead process, another version, index or environment, a command or option
the server does not run (``forwardable``), no ``100 Continue`` to the request within
``HEALTH_TIMEOUT`` (a hung server), or any answer to the command but 200 (409: the
command's index or version is not the server's).
"""

from __future__ import annotations

import os
import sys

from .discovery import package_version, read_serve_file
from .wire import dumps, loads

HEALTH_TIMEOUT = 0.05  # seconds: a server slower than that to say it is there is not used
ANSWER_TIMEOUT = 60.0
# Settings read at query time that must be the same for the server as for this command.
SHARED_ENV = ("MLSEARCH_GLOSSARY", "MLSEARCH_USERDICT", "MLSEARCH_SYNONYMS")
# What the command reads of the environment while it runs: set in the server for it.
FORWARDED_ENV = ("MLSEARCH_INDEX", "MLSEARCH_DEBUG", "NO_COLOR", "COLUMNS", "LINES")
NO_SERVER_ENV = "MLSEARCH_NO_SERVER"  # set (to anything but "") to never ask a server
COMMANDS = frozenset({"search", "show", "similar"})
# Options that read files or stdin named by the client, or print help sized to its window.
LOCAL_OPTIONS = ("--batch", "--glossary", "--help", "-h", "--version")


def forwardable(argv: list[str]) -> bool:
    """Can a server run ``mlsearch ARGV``: ``[--index DIR] search|show|similar …`` without
    the options of ``LOCAL_OPTIONS``."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] == "--index":
            i += 2
        elif argv[i].startswith("--index="):
            i += 1
        else:
            return False
    if i >= len(argv) or argv[i] not in COMMANDS:
        return False
    for arg in argv[i + 1 :]:
        if arg == "--":
            break
        if arg.split("=", 1)[0] in LOCAL_OPTIONS:
            return False
    return True


def index_of(argv: list[str]) -> str:
    """The index folder ``mlsearch ARGV`` would use: the command's ``--index``, else the
    group's, else ``MLSEARCH_INDEX``, else ``index``. A guess to find ``serve.json`` by:
    the server checks it against what Click makes of the command line."""
    group = command = None
    seen_command = False
    args = iter(argv)
    for arg in args:
        if arg == "--":
            break
        value = None
        if arg == "--index":
            value = next(args, None)
        elif arg.startswith("--index="):
            value = arg.split("=", 1)[1]
        elif arg in COMMANDS and not seen_command:
            seen_command = True
            continue
        if value is not None:
            if seen_command:
                command = value
            else:
                group = value
    return command or group or os.environ.get("MLSEARCH_INDEX") or "index"


def health_timeout() -> float:
    """``MLSEARCH_SERVER_TIMEOUT`` (seconds), else ``HEALTH_TIMEOUT``: a loaded test
    machine may be slower to answer than a server worth asking. (``indexer.config``'s
    ``env_number`` does this too, but importing it loads ``pathlib`` on this path.)"""
    try:
        return max(0.001, float(os.environ.get("MLSEARCH_SERVER_TIMEOUT", HEALTH_TIMEOUT)))
    except ValueError:
        return HEALTH_TIMEOUT


def shared_env() -> dict[str, str]:
    return {name: os.environ.get(name, "") for name in SHARED_ENV}


def _terminal_size() -> tuple[int, int]:
    """``shutil.get_terminal_size()`` as this process sees it (without importing shutil):
    COLUMNS and LINES, else the window of stdout, else 80 × 24."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    try:
        lines = int(os.environ["LINES"])
    except (KeyError, ValueError):
        lines = 0
    if columns <= 0 or lines <= 0:
        try:
            size = os.get_terminal_size(sys.__stdout__.fileno())
        except (AttributeError, ValueError, OSError):
            size = os.terminal_size((0, 0))
        columns = columns if columns > 0 else size.columns or 80
        lines = lines if lines > 0 else size.lines or 24
    return columns, lines


def _stream(stream) -> dict:
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError, OSError):
        tty = False
    return {
        "tty": tty,
        "encoding": getattr(stream, "encoding", None),
        "errors": getattr(stream, "errors", None),
    }


class Server:
    """A running server for this index, found through its ``serve.json``.

    HTTP/1.1 over a plain ``_socket``: ``http.client`` would cost this path 20 ms of
    imports (it loads the ``email`` package), ``socket`` several."""

    def __init__(self, host: str, port: int, token: str | None):
        self.host, self.port = host, port
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.head = f"Host: {netloc}\r\nAccept: application/json\r\n"
        if token:
            self.head += f"Authorization: Bearer {token}\r\n"

    def post(self, path: str, body: dict) -> dict | None:
        """The JSON object the server answers with 200 to ``POST path`` ``body``; None
        for anything else, and when it has not said within ``health_timeout()`` that it
        is reading the request (``Expect: 100-continue``: a hung server is not waited for;
        a command that takes long once it runs is)."""
        import _socket

        data = dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\n{self.head}Content-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nExpect: 100-continue\r\n\r\n"
        )
        family = _socket.AF_INET6 if ":" in self.host else _socket.AF_INET
        sock = _socket.socket(family, _socket.SOCK_STREAM)
        try:
            sock.settimeout(health_timeout())
            sock.connect((self.host, self.port))
            sock.sendall(head.encode())
            reader = _Reader(sock)
            status, _ = reader.response()
            if status != 100:
                return None
            sock.settimeout(ANSWER_TIMEOUT)
            sock.sendall(data)
            status, answer = reader.response()
        except (OSError, ValueError):
            return None
        finally:
            sock.close()
        if status != 200:
            return None
        try:
            answer = loads(answer.decode("utf-8"))
        except ValueError:
            return None
        return answer if isinstance(answer, dict) else None


class _Reader:
    """HTTP/1.1 responses from a socket: an interim ``100 Continue`` (no body), or one
    with a Content-Length (uvicorn's JSON answers have one); ValueError for anything
    else."""

    def __init__(self, sock):
        self.sock = sock
        self.data = b""

    def _more(self, size: int = 65536) -> None:
        chunk = self.sock.recv(size)
        if not chunk:
            raise ValueError("connection closed")
        self.data += chunk

    def response(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.data:
            self._more()
        head, _, self.data = self.data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        if 100 <= status < 200:
            return status, b""
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length is None:
            raise ValueError("no Content-Length")
        while len(self.data) < length:
            self._more(max(65536, length - len(self.data)))
        body, self.data = self.data[:length], self.data[length:]
        return status, body


def find_server(index_dir: str) -> Server | None:
    """The server that ``serve.json`` in ``index_dir`` names, when it is alive and was
    started with this version and environment; None otherwise."""
    index = os.path.realpath(index_dir)
    info = read_serve_file(index)
    if info is None:
        return None
    if info.get("version") != package_version() or info.get("index") != index:
        return None
    if info.get("env", {}) != shared_env():
        return None
    token = os.environ.get("MLSEARCH_TOKEN") or None
    if info.get("token_required") and not token:
        return None
    host, port = _host_port(str(info.get("url", "")))
    if host is None:
        return None
    return Server(host, port, token)


def _host_port(url: str) -> tuple[str | None, int]:
    """``http://HOST:PORT`` (as ``serve.json`` writes it) -> (HOST, PORT); (None, 0)
    for anything else."""
    scheme, sep, rest = url.partition("://")
    if scheme != "http" or not sep:
        return None, 0
    netloc = rest.split("/", 1)[0]
    host, _, port = netloc.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not port.isdigit():
        return None, 0
    return host, int(port)


def forward(argv: list[str], prog: str) -> int | None:
    """Run ``mlsearch ARGV`` on the server for its index: the output written here and the
    exit status returned; None when no server runs it (the caller runs it itself)."""
    if os.environ.get(NO_SERVER_ENV) or not forwardable(argv):
        return None
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return None  # shell completion asks Click, not a server
    server = find_server(index_of(argv))
    if server is None:
        return None
    columns, lines = _terminal_size()
    env = {name: os.environ.get(name) for name in FORWARDED_ENV}
    env.update(COLUMNS=str(columns), LINES=str(lines))
    request = {
        "version": package_version(),
        "argv": argv,
        "prog": prog,
        "cwd": os.getcwd(),
        "env": env,
        "stdout": _stream(sys.stdout),
        "stderr": _stream(sys.stderr),
    }
    try:
        answer = server.post("/api/cli", request)
    except KeyboardInterrupt:
        print("mlsearch: interrupted", file=sys.stderr)
        return 130
    if answer is None:
        return None
    try:
        status = int(answer["status"])
        output = [(int(fd), text.encode("latin-1")) for fd, text in answer["output"]]
    except (KeyError, TypeError, ValueError, UnicodeEncodeError):
        return None
    return _replay(output, status)


def _replay(output: list[tuple[int, bytes]], status: int) -> int:
    """Write what the command wrote, stdout and stderr in their order."""
    try:
        for fd, data in output:
            stream = sys.stdout if fd == 1 else sys.stderr
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
    except BrokenPipeError:
        # `mlsearch search ... | head`: the reader has gone, which is not an error (as
        # search.cli.group.handle_errors). Point stdout at nothing for the final flush.
        try:  # noqa: SIM105 - contextlib would be one more import on this path
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass
        return 0
    return status
