"""Running ``mlsearch serve`` in tests: a fixture corpus written here, a server on a free
port (``--port 0``) found through its ``serve.json``, waited for by polling, always stopped."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

TIMEOUT = 30.0  # seconds to wait for a server to come up or to stop (never asserted)

# Hostile article text: markup, script links, terminal escapes. The API returns it as JSON
# text; what a browser does with it is tests/test_page*'s.
HOSTILE_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)> hostile'
HOSTILE_BODY = (
    'Hostile body <a href="javascript:alert(2)">link</a> \x1b[2J\x1b]0;pwned\x07 '
    "<svg onload=alert(3)> hostile words"
)

ARTICLES = [
    {
        "id": "ms/banjir",
        "title": "Banjir di Kelantan",
        "body": "Banjir besar melanda Kelantan minggu ini. Ribuan mangsa banjir dipindahkan.",
        "date": "2025-10-02",
        "source": "Bernama",
        "lang": "ms",
    },
    {
        "id": "en/floods-star",
        "title": "Floods hit Kelantan",
        "body": "Severe floods hit Kelantan this week; thousands of flood victims evacuated.",
        "date": "2025-10-03",
        "source": "The Star",
    },
    {
        "id": "en/floods-nst",
        "title": "Floods hit Kelantan",
        "body": "Severe floods hit Kelantan this week; thousands of flood victims evacuated.",
        "date": "2025-10-03",
        "source": "NST",
    },
    {
        "id": "zh/floods",
        "title": "吉兰丹发生水灾",
        "body": "吉兰丹本周发生严重水灾，数千名灾民被疏散。",
        "date": "2025-09-28",
        "source": "星洲日报",
    },
    {
        "id": "en/defence",
        "title": "ASEAN defence ministers meet in Kuala Lumpur",
        "body": "ASEAN defence ministers met in Kuala Lumpur to discuss the South China Sea.",
        "date": "2025-11-01",
        "source": "The Star",
    },
    {"id": "en/hostile", "title": HOSTILE_TITLE, "body": HOSTILE_BODY, "date": "2025-08-15"},
]


def write_corpus(folder: Path, articles=ARTICLES, name: str = "news.jsonl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in articles) + "\n")
    return folder


def build(tmp: Path, articles=ARTICLES) -> Path:
    """An index of ``articles`` in ``tmp/index`` (the corpus in ``tmp/news``)."""
    from indexer.write.build import build_index

    index = tmp / "index"
    report = build_index([write_corpus(tmp / "news", articles)], index)
    assert not report.skipped, report.skipped
    return index


def server_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSEARCH_")}
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


class Running:
    """A started server: ``url``, ``proc``, ``index``; ``request()`` speaks to it."""

    def __init__(self, proc, index: Path, url: str, token: str | None = None):
        self.proc, self.index, self.url, self.token = proc, index, url, token

    def request(self, method: str, path: str, body=None, headers=None, token: bool = True):
        """``(status, headers, parsed JSON or text)``."""
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
        all_headers = dict(headers or {})
        if self.token and token and "Authorization" not in all_headers:
            all_headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=data, headers=all_headers)
            resp = conn.getresponse()
            raw = resp.read()
            kind = resp.getheader("content-type", "")
            parsed = json.loads(raw) if kind.startswith("application/json") and raw else raw
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed
        finally:
            conn.close()

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)


def wait_until(condition, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start(index: Path, *args: str, env=None, token: str | None = None) -> Running:
    """``mlsearch serve --index INDEX --port 0 ARGS``, up and answering /api/health."""
    serve_json = index / "serve.json"
    with contextlib.suppress(FileNotFoundError):
        serve_json.unlink()
    cmd = [sys.executable, "-m", "search.cli", "serve", "--index", str(index), "--port", "0"]
    proc = subprocess.Popen(
        [*cmd, *args],
        env=env or server_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def announced():
        if proc.poll() is not None:
            raise AssertionError(f"the server stopped: {proc.communicate()}")
        try:
            return json.loads(serve_json.read_text())
        except (OSError, ValueError):
            return None

    try:
        info = wait_until(announced, "serve.json")
        server = Running(proc, index, info["url"], token)

        def healthy():
            try:
                return server.get("/api/health")[0] == 200
            except OSError:
                return False

        wait_until(healthy, "/api/health")
    except BaseException:
        stop(proc)
        raise
    return server


def stop(proc, sig=signal.SIGTERM) -> tuple[int, str, str]:
    """Stop the server with ``sig``: its exit status, stdout and stderr."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


@contextlib.contextmanager
def running(index: Path, *args: str, env=None, token: str | None = None):
    server = start(index, *args, env=env, token=token)
    try:
        yield server
    finally:
        stop(server.proc)
