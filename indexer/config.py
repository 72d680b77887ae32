"""Defaults, in one place; each one can be overridden by an option and an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_INDEX = "index"
DEFAULT_CORPUS = "corpus"
DEFAULT_LIMIT = 10
SNIPPET_COLUMNS = 200  # display columns of a snippet (a Han character takes two): 3 lines at 80


def default_index_dir() -> Path:
    """``MLSEARCH_INDEX`` if set, else ``index/`` in the current folder."""
    return Path(os.environ.get("MLSEARCH_INDEX") or DEFAULT_INDEX)


CACHE_ENV = "MLSEARCH_CACHE_DIR"


def cache_dir() -> Path | None:
    """Where tables kept between runs live (``search.tablecache``, ``search.regexcache``,
    ``indexer.analyse.jieba_table``): ``MLSEARCH_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/mlsearch`` or ``~/.cache/mlsearch``; None when set empty."""
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return Path(env).expanduser() if env.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlsearch"


def env_number(name: str, default: float, minimum: float) -> float:
    """A number from the environment variable ``name``; ``default`` when unset or not a number."""
    try:
        return max(minimum, float(os.environ.get(name, default)))
    except ValueError:
        return default


def lock_timeout() -> float:
    """Seconds a writer waits for another: ``MLSEARCH_LOCK_TIMEOUT``, else 30."""
    return env_number("MLSEARCH_LOCK_TIMEOUT", 30.0, 0.0)


def commit_every() -> int:
    """Articles between commits, at least (bounds what an interruption loses):
    ``MLSEARCH_COMMIT_EVERY``, else 20,000."""
    # Each commit leaves a segment, and every segment costs each query a matcher tree:
    # one commit for the 15k corpus made warm p50/p95 21.1/61.2 -> 13.6/49.9 ms, the build
    # 12% faster and the index 251 -> 219 MB (5 segments -> 1).
    return int(env_number("MLSEARCH_COMMIT_EVERY", 20000, 1))


def commit_growth() -> float:
    """How commits of a big run are spaced: a run commits once it has written
    ``commit_every()`` articles and this many times the articles the index held at its
    last commit (``MLSEARCH_COMMIT_GROWTH``; else 2, or 0 when ``MLSEARCH_COMMIT_EVERY`` is
    set: commits every that many articles, as before).

    Geometric spacing: a 153k build commits at 20k, 60k and the end, 3 commits instead of
    8, and the merge policy (``whoosh_internals/merging.py``) keeps the index at 3
    segments; its last commit merges what the commits before it wrote (60k articles in 4
    segments). Growth 2 against 1 (commits at 20k, 40k, 80k and the end, a last merge of
    80k in 6 segments): one commit fewer and, for run sizes spread evenly on a log scale,
    0.61 of a run merged at its end on average instead of 0.72; the 10× build 441 -> 398 s
    (347 -> 385 articles/s, CPU of all processes 842 -> 768 s; 2026-12-04, one after the
    other). An interruption loses the articles since the last commit: fewer than
    ``commit_every()`` or than twice what the index held then (with growth 2, at most two
    thirds of what the run had written; with 1, half).
    """
    fixed = "MLSEARCH_COMMIT_EVERY" in os.environ
    return env_number("MLSEARCH_COMMIT_GROWTH", 0.0 if fixed else 2.0, 0.0)


def debounce_seconds() -> float:
    """Quiet time before ``index --watch`` indexes: ``MLSEARCH_WATCH_DEBOUNCE``, else 0.5 s."""
    return env_number("MLSEARCH_WATCH_DEBOUNCE", 0.5, 0.01)


def index_procs() -> int:
    """Processes that analyse and write a big indexing run: ``MLSEARCH_PROCS``, else one per
    CPU up to 4 (each holds its own posting buffer and stemmer caches)."""
    return int(env_number("MLSEARCH_PROCS", min(4, os.cpu_count() or 1), 1))
