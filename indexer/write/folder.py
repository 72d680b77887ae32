"""The index folder: whether an index is there, whether it is damaged, whether this
version reads it, and opening it for searching.

A ``--rebuild`` builds the new index beside the old one (``swap_names``) and renames it into
place when complete; ``open_index`` finds the old one should a rebuild die between its two
renames.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..errors import IndexDamagedError, IndexMissingError, SchemaVersionError
from ..schema import META_FILE, SCHEMA_VERSION, read_meta
from .hints import index_command


def index_exists(index_dir: Path) -> bool:
    # A TOC file says an index is there; whoosh's exists_in() opens it, and a concurrent
    # commit may delete it in between.
    return index_dir.is_dir() and any(index_dir.glob("_MAIN_*.toc"))


def looks_damaged(index_dir: Path) -> bool:
    """An index folder without a table of contents, but with segments or our metadata: an
    index whose TOC was lost, not an empty or foreign folder."""
    return (
        index_dir.is_dir()
        and not index_exists(index_dir)
        and ((index_dir / META_FILE).exists() or any(index_dir.glob("MAIN_*.seg")))
    )


def damaged_folder(index_dir: Path, what: str) -> IndexDamagedError:
    from .check import check_hint

    return IndexDamagedError(f"the index in {index_dir} is damaged: {what}", check_hint(index_dir))


def check_version(index_dir: Path) -> None:
    meta = read_meta(index_dir)
    if meta is None or not isinstance(meta, dict):
        if (index_dir / META_FILE).exists():
            raise damaged_folder(index_dir, f"its {META_FILE} cannot be read")
        raise damaged_folder(index_dir, f"its {META_FILE} is missing")
    if meta.get("schema_version") != SCHEMA_VERSION:
        found = "unknown" if meta is None else meta.get("schema_version")
        raise SchemaVersionError(
            f"the index in {index_dir} was built with schema version {found}, "
            f"this mlsearch uses version {SCHEMA_VERSION}",
            hint=f"rebuild it: {index_command(index_dir, rebuild=True)}",
        )


def check_userdict(index_dir: Path) -> None:
    """Refuse to update an index built with other Chinese user dictionaries: its words were
    segmented with them, new articles and queries would be segmented otherwise."""
    from ..analyse.chinese import userdict_fingerprint

    built_with = (read_meta(index_dir) or {}).get("userdict")
    if built_with is not None and built_with != userdict_fingerprint():
        raise SchemaVersionError(
            f"the index in {index_dir} was built with other Chinese user dictionaries "
            "(indexer/data/userdict_zh.txt or MLSEARCH_USERDICT changed since): its Chinese "
            "words would not match those of new articles",
            hint=f"rebuild it: {index_command(index_dir, rebuild=True)}",
        )


def swap_names(index_dir: Path) -> tuple[Path, Path]:
    return index_dir.with_name(index_dir.name + ".rebuild"), index_dir.with_name(
        index_dir.name + ".old"
    )


def open_index(index_dir: Path):
    """Open an existing index for reading, checking that this version can read it.

    Opened read-only: a search never writes, so an index on a read-only disk still answers.
    """
    from whoosh.filedb.filestore import FileStorage

    if not index_exists(index_dir):
        _fresh, old = swap_names(index_dir)
        if not index_dir.exists() and index_exists(old):
            index_dir = old  # a rebuild was interrupted between its two renames
        elif looks_damaged(index_dir):
            raise damaged_folder(index_dir, "its table of contents (_MAIN_N.toc) is missing")
        else:
            raise IndexMissingError(
                f"no index at {index_dir}",
                hint=f"build it first: {index_command(index_dir, [])}",
            )
    check_version(index_dir)
    for attempt in range(20):
        try:
            # No mmap: whoosh3 wraps each mmapped sub-file in BytesIO, which copies it, so
            # opening the 15k-article index read ~100 MB (150-170 ms); reading by seeks
            # opens it in 10-40 ms with the same warm query times.
            return FileStorage(str(index_dir), supports_mmap=False, readonly=True).open_index()
        except FileNotFoundError:
            # A commit removed the generation we were opening: take the new one.
            if attempt == 19:
                raise
            time.sleep(0.05)
        except Exception as exc:  # whoosh raises many kinds on a damaged index
            from .check import damaged

            if os.environ.get("MLSEARCH_DEBUG"):
                raise
            raise damaged(index_dir, exc, "open") from exc
    raise AssertionError("unreachable")
