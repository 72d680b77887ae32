from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

FIXTURES = Path(__file__).parent / "fixtures"
NEWS = FIXTURES / "news"
CORPUS = Path(__file__).parent.parent / "corpus"


@pytest.fixture(scope="session")
def _jieba_table(tmp_path_factory) -> Path | None:
    """jieba's dictionary table (indexer.analyse.jieba_table), built once for the session:
    each test's cache folder gets a link to it instead of building its own (0.6 s)."""
    from indexer.analyse import jieba_table

    path = tmp_path_factory.mktemp("jieba-table") / jieba_table.NAME
    return path if jieba_table.build(path) else None


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path, tmp_path_factory, _jieba_table):
    """Every test gets its own default index location, cache folder (beside its tmp_path,
    which stays empty) and no inherited settings."""
    monkeypatch.setenv("MLSEARCH_INDEX", str(tmp_path / "default-index"))
    cache = tmp_path_factory.mktemp("cache")
    # search.tablecache, jieba_table, search.regexcache
    monkeypatch.setenv("MLSEARCH_CACHE_DIR", str(cache))
    if _jieba_table is not None:
        os.link(_jieba_table, cache / _jieba_table.name)
    for name in (
        "NO_COLOR",
        "MLSEARCH_USERDICT",
        "MLSEARCH_DEBUG",
        "MLSEARCH_GLOSSARY",
        "MLSEARCH_SYNONYMS",
        "MLSEARCH_PROCS",
        "MLSEARCH_COMMIT_EVERY",
        "MLSEARCH_COMMIT_GROWTH",
        "MLSEARCH_LOCK_TIMEOUT",
        "MLSEARCH_WATCH_DEBOUNCE",
        "MLSEARCH_TOKEN",
        "MLSEARCH_NO_SERVER",
        "MLSEARCH_SERVER_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)


def assert_no_crash(res: Result) -> None:
    """What mlsearch printed is an answer or an error the user can act on, never a crash:
    no exception escaped, and no "internal error" (handle_errors' message for a bug, which
    also exits 2 with one line and a hint) or traceback was printed."""
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exc_info
    assert "internal error" not in res.output, res.output
    assert "internal error" not in res.stderr, res.stderr
    assert "Traceback" not in res.output, res.output


def invoke(*args, env=None, input=None) -> Result:
    """``mlsearch ARGS`` through Click's CliRunner, checked by assert_no_crash."""
    from search.cli import main

    res = CliRunner().invoke(
        main, [str(a) for a in args], env=env, input=input, catch_exceptions=False
    )
    assert_no_crash(res)
    return res


def build_fixture_index(tmp_path_factory, name: str, *roots: Path) -> Path:
    """Fixture folders indexed into a fresh temporary index; every file must be read."""
    from indexer.write.build import build_index

    index_dir = tmp_path_factory.mktemp(name) / "index"
    report = build_index(list(roots), index_dir)
    assert not report.skipped, report.skipped
    return index_dir


def index_of_texts(tmp_path_factory, name: str, texts: dict[str, str]) -> Path:
    """A fresh index of one folder holding ``texts`` (file name -> its text)."""
    root = tmp_path_factory.mktemp(name)
    docs = root / "docs"
    docs.mkdir()
    for file_name, text in texts.items():
        (docs / file_name).write_text(text, "utf-8")
    return build_fixture_index(tmp_path_factory, name, docs)


def build_in_two_processes(roots: list[Path], index_dir: Path) -> None:
    """Index ``roots`` into ``index_dir`` with two writer processes, however small the
    input: one segment per process, as a big run writes them."""
    import indexer.write.build as build

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "PARALLEL_BYTES", 0)
        mp.setenv("MLSEARCH_PROCS", "2")
        build.build_index(roots, index_dir)


@pytest.fixture(scope="session")
def news_index(tmp_path_factory) -> Path:
    """The fixture corpus indexed once for the session: treat as read-only."""
    return build_fixture_index(tmp_path_factory, "news", NEWS)


@pytest.fixture(scope="session")
def searcher(news_index):
    from search import Searcher

    with Searcher(news_index) as s:
        yield s


def fixture_copy(src: Path, parent: Path) -> Path:
    """A private, writable copy of a fixture folder, under ``parent`` by its own name."""
    dest = parent / src.name
    shutil.copytree(src, dest)
    return dest


def interrupt_after(monkeypatch, n: int) -> None:
    """Ctrl-C while indexing, as the ``n``-th article is being prepared."""
    import indexer.write.build as build

    real, count = build.article_document, {"n": 0}

    def interrupted(*a, **kw):
        count["n"] += 1
        if count["n"] == n:
            raise KeyboardInterrupt
        return real(*a, **kw)

    monkeypatch.setattr(build, "article_document", interrupted)


@pytest.fixture
def news_copy(tmp_path) -> Path:
    """A private, writable copy of the fixture corpus."""
    return fixture_copy(NEWS, tmp_path)


def installed_mlsearch() -> str | None:
    """The ``mlsearch`` command of the interpreter running the tests (its venv), if any."""
    import sys

    here = Path(sys.executable).parent / "mlsearch"
    return str(here) if here.exists() else shutil.which("mlsearch")


def run_in_terminal(
    args: list[str], columns: int = 120, env: dict | None = None, stderr: bool = True
) -> tuple[int, bytes]:
    """``args`` with stdout (and stderr, unless ``stderr`` is False) on a pseudo-terminal
    ``columns`` wide; its exit status and every byte it wrote there. ``env``: the whole
    environment (default: this one, less COLUMNS, LINES and NO_COLOR)."""
    import fcntl
    import os
    import select
    import struct
    import subprocess
    import termios
    import time

    if env is None:
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave if stderr else subprocess.DEVNULL,
        env=env,
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 300  # only guards against a hang
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every end of the terminal is closed, the child is done
                break
            if not data:
                break
            out += data
        return proc.wait(timeout=120), out
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
