"""The glossary and synonym tables a query parser needs, kept parsed on disk between runs.

Every ``mlsearch search`` is a fresh process, and parsing the shipped glossary and
synonym files into their lookup tables (normalising and stemming every form) was the
largest part of a cold query after the imports. The built tables are pickled to
``MLSEARCH_CACHE_DIR`` (default ``$XDG_CACHE_HOME/mlsearch``, else ``~/.cache/mlsearch``;
an empty value turns the cache off), one file per table, under a key of everything they
are built from: the size and modification time of every file read (the shipped data
files, the user's glossary and synonym files) and of the code and data that build them
(``search/glossary.py``, ``search/synonyms.py``, ``indexer/analyse/``, ``indexer/data/``),
the Python version and PyStemmer's module. Any change to one of them rebuilds the table. A
cache that cannot be read or written is ignored: the tables are then built as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

from indexer.config import CACHE_ENV, cache_dir  # noqa: F401 (used here and re-exported)

_FORMAT = 1  # bump when what is pickled changes shape

T = TypeVar("T")


@cache
def _code_stamps() -> tuple:
    """Size and mtime of the code and data the tables are built by (checked once a run)."""
    here = Path(__file__).parent
    analyse = here.parent / "indexer" / "analyse"
    data = here.parent / "indexer" / "data"
    paths = [here / "glossary.py", here / "synonyms.py", Path(__file__)]
    for folder in (analyse, data):
        with contextlib.suppress(OSError):
            paths.extend(sorted(p for p in folder.iterdir() if p.is_file()))
    try:  # English forms are indexed by their Snowball stems: PyStemmer's build counts
        from importlib.util import find_spec

        spec = find_spec("Stemmer")
        if spec is not None and spec.origin:
            paths.append(Path(spec.origin))
    except (ImportError, ValueError):
        pass
    stamps = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        stamps.append((str(path), st.st_mtime_ns, st.st_size))
    return (_FORMAT, sys.version, tuple(stamps))


def cached_table(name: str, key: tuple, build: Callable[[], T], keep: int = 1) -> T:
    """The table ``name`` for ``key`` (the stamps of the files it is built from): read
    from the cache when it was pickled under the same key and the same code, else
    ``build()`` and written there for the next run.

    ``keep``: 1, one file for the name (a new key replaces the old table); more, a file
    per key (``name-<digest of key>.pickle``), the ``keep`` used last kept and the others
    deleted: a table of an index, for a user who searches several indexes in turn (each
    key is an index's segments) and would otherwise rebuild it at every switch."""
    folder = cache_dir()
    if folder is None:
        return build()
    full_key = (key, _code_stamps())
    if keep > 1:
        digest = hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:16]
        path = folder / f"{name}-{digest}.pickle"
    else:
        path = folder / f"{name}.pickle"
    try:
        with open(path, "rb") as f:
            stored_key, table = pickle.load(f)
        if stored_key == full_key:
            if keep > 1:
                with contextlib.suppress(OSError):
                    os.utime(path)  # used last: kept longest
            return table
    except Exception:  # missing, truncated, from another version: built afresh
        pass
    table = build()
    write_pickle(path, (full_key, table))
    if keep > 1:
        _keep_newest(folder, f"{name}-*.pickle", keep)
        with contextlib.suppress(OSError):  # the one file of the name, before there were more
            (folder / f"{name}.pickle").unlink(missing_ok=True)
    return table


def _keep_newest(folder: Path, pattern: str, keep: int) -> None:
    """Delete all but the ``keep`` files of ``folder`` matching ``pattern`` used last."""
    found = []
    for p in folder.glob(pattern):
        with contextlib.suppress(OSError):
            found.append((p.stat().st_mtime_ns, p))
    found.sort(reverse=True)
    for _mtime, p in found[keep:]:
        with contextlib.suppress(OSError):
            p.unlink()


def write_pickle(path: Path, obj) -> None:
    """Pickle ``obj`` to ``path`` whole (readers see the old file or the new one, never
    half); a read-only or full disk is ignored: the next run builds it again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except Exception:
        pass
