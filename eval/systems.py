"""The two systems under test, their cached indexes, and one search interface over both.

Indexes live in the work dir (``/tmp/mlsearch-eval-<hash of the checkout>`` by default)
and are reused while a stamp beside each still matches: the corpus file's path, size and
mtime, and a fingerprint of the code that built it (``indexer/`` with its data files and
user dictionaries for mlsearch, ``bench/naive.py`` for the naive pipeline). A changed
engine therefore gets a fresh index instead of stale figures; ``--rebuild`` forces one.
When both indexes need building they are built at once, the naive one in a second process.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .data import REPO_ROOT

MLSEARCH = "mlsearch"
NAIVE = "naive"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha1()
    for p in sorted(paths):
        h.update(str(p.relative_to(REPO_ROOT) if p.is_relative_to(REPO_ROOT) else p).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


# Files under indexer/ that only queries read: changing them needs no new index.
QUERY_SIDE_FILES = {"glossary.tsv", "synonyms.tsv"}


def engine_fingerprint(system: str) -> str:
    if system == MLSEARCH:
        from indexer.analyse.chinese import userdict_fingerprint

        pkg = REPO_ROOT / "indexer"
        files = [
            p
            for p in pkg.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.name not in QUERY_SIDE_FILES
        ]
        return _hash_files(files) + "-" + userdict_fingerprint()
    return _hash_files([REPO_ROOT / "bench" / "naive.py"])


def corpus_stamp(corpus: Path) -> dict:
    st = corpus.stat()
    return {"corpus": str(corpus.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _stamp_path(index_dir: Path) -> Path:
    return index_dir.with_name(index_dir.name + ".stamp.json")


def _read_stamp(index_dir: Path) -> dict | None:
    try:
        return json.loads(_stamp_path(index_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _build(system: str, corpus: str, index_dir: str) -> dict:
    """Build one index from scratch (runs in a worker process for the naive pipeline)."""
    index_dir = Path(index_dir)
    shutil.rmtree(index_dir, ignore_errors=True)
    _stamp_path(index_dir).unlink(missing_ok=True)
    t0 = time.perf_counter()
    if system == MLSEARCH:
        from indexer import build_index

        report = build_index([corpus], index_dir)
        info = {"articles": report.added, "skipped": len(report.skipped)}
    else:
        from bench.naive import build_naive_index, iter_records

        info = {"articles": build_naive_index(iter_records(corpus), index_dir), "skipped": 0}
    info["seconds"] = round(time.perf_counter() - t0, 1)
    return info


def ensure_indexes(
    corpus: Path,
    workdir: Path,
    systems: list[str],
    rebuild: bool = False,
    keep: bool = False,
) -> dict[str, dict]:
    """Reuse or (re)build the index of each system; return what was done, per system.

    ``keep`` reuses an index of the same corpus even when the engine changed since."""
    workdir.mkdir(parents=True, exist_ok=True)
    out: dict[str, dict] = {}
    todo = []
    for system in systems:
        index_dir = workdir / f"{system}-index"
        want = {**corpus_stamp(corpus), "engine": engine_fingerprint(system)}
        have = _read_stamp(index_dir)
        keys = [k for k in want if k != "engine" or not keep]
        fresh = have is not None and all(have.get(k) == want[k] for k in keys)
        if fresh and not rebuild and index_dir.is_dir():
            stale = have.get("engine") != want["engine"]
            out[system] = {
                "index_dir": str(index_dir),
                "reused": True,
                "engine_changed_since": stale,
                **{k: have[k] for k in ("articles", "seconds") if k in have},
            }
            note = " (--keep-index: the engine changed since it was built)" if stale else ""
            log(f"{system}: reusing the index in {index_dir}{note}")
            continue
        if rebuild:
            why = "--rebuild"
        elif have is None or not index_dir.is_dir():
            why = "no index yet"
        elif have.get("engine") != want["engine"]:
            why = "the engine changed since the cached one was built"
        else:
            why = "the corpus changed"
        log(f"{system}: building the index in {index_dir} ({why})")
        todo.append((system, index_dir, want))

    def finish(system, index_dir, want, info):
        stamp = {**want, **info}
        _stamp_path(index_dir).write_text(json.dumps(stamp, indent=2), encoding="utf-8")
        out[system] = {"index_dir": str(index_dir), "reused": False, **info}
        log(f"{system}: {info['articles']} articles indexed in {info['seconds']} s")

    pool_jobs = [job for job in todo if job[0] != MLSEARCH] if len(todo) > 1 else []
    local_jobs = [job for job in todo if job not in pool_jobs]
    if pool_jobs:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=len(pool_jobs), mp_context=ctx) as pool:
            futures = [
                (job, pool.submit(_build, job[0], str(corpus), str(job[1]))) for job in pool_jobs
            ]
            for system, index_dir, want in local_jobs:
                finish(system, index_dir, want, _build(system, str(corpus), str(index_dir)))
            for (system, index_dir, want), fut in futures:
                finish(system, index_dir, want, fut.result())
    else:
        for system, index_dir, want in local_jobs:
            finish(system, index_dir, want, _build(system, str(corpus), str(index_dir)))
    return {s: out[s] for s in systems}


class QueryError(Exception):
    pass


class System:
    """``search(query, limit)`` -> ranked article ids; raises QueryError on a refused query.

    ``lang`` keeps one language's articles; ``cross`` is mlsearch's --cross."""

    name: str

    def search(self, query: str, limit: int, lang: str | None = None, cross: bool = False):
        raise NotImplementedError

    def close(self) -> None:
        pass


class MlsearchSystem(System):
    name = MLSEARCH

    def __init__(self, index_dir: Path):
        from search import Searcher

        self.searcher = Searcher(index_dir)

    def search(self, query: str, limit: int, lang: str | None = None, cross: bool = False):
        from indexer.errors import MlsearchError

        try:
            results = self.searcher.search(
                query, limit=limit, suggest=False, lang=lang, cross=cross
            )
        except MlsearchError as exc:
            raise QueryError(exc.message) from exc
        # Ids start with the corpus folder's label (news/zh-…); judgements use record ids.
        return [hit.id.partition("/")[2] for hit in results.hits]

    def close(self) -> None:
        self.searcher.close()


class NaiveSystem(System):
    name = NAIVE

    def __init__(self, index_dir: Path):
        from bench.naive import NaiveSearcher

        self.searcher = NaiveSearcher(index_dir)

    def search(self, query: str, limit: int, lang: str | None = None, cross: bool = False):
        if cross:
            raise QueryError("the naive pipeline has no cross-language search")
        try:
            if lang:  # corpus ids start with the article's language: zh-..., ms-..., en-...
                ranked = self.searcher.search(query, limit=1000)
                return [i for i in ranked if i.startswith(f"{lang}-")][:limit]
            return self.searcher.search(query, limit=limit)
        except Exception as exc:  # the naive parser's errors have no common base class
            raise QueryError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self.searcher.close()


def run_query(system: System, query: str, limit: int, **options) -> tuple[list[str], str | None]:
    """(ranked ids, error or None): a refused query counts as no hits."""
    try:
        return system.search(query, limit, **options), None
    except QueryError as exc:
        return [], str(exc)


def open_systems(indexes: dict[str, dict]) -> dict[str, System]:
    classes = {MLSEARCH: MlsearchSystem, NAIVE: NaiveSystem}
    return {name: classes[name](Path(info["index_dir"])) for name, info in indexes.items()}
