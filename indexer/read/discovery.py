"""Finding article files on disk: :func:`discover` and the supported suffixes.

Folders are walked recursively (hidden names skipped, symlinks followed, loops ended);
each file found becomes a :class:`SourceFile`, each problem a :class:`Skipped`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.article import Skipped

SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".txt",
    ".md",
    ".markdown",
    ".html",
    ".htm",
    ".json",
    ".jsonl",
    ".ndjson",
    ".json.gz",
    ".jsonl.gz",
    ".ndjson.gz",
)


def _suffix_of(name: str) -> str | None:
    """The supported suffix ``name`` ends with (case-insensitive), or None."""
    lower = name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return suffix
    return None


@dataclass
class SourceFile:
    """A file found by :func:`discover`."""

    path: Path  # absolute path (symlinks not resolved)
    rel: str  # relative to the root given, POSIX separators; a root that is a file: its name
    size: int
    mtime_ns: int


def discover(roots: Sequence[str | Path]) -> Iterator[SourceFile | Skipped]:
    """Walk each root (a folder, recursively, or a single file) and yield supported files.

    Files of each root are yielded sorted by ``rel``; roots are taken in the order given, and
    a file reached twice (overlapping roots, symlinks) is yielded once.  Names starting with
    ``.`` below a root are ignored, as are files with unsupported suffixes.  Symlinked files
    and directories are followed, but a directory is never entered twice, so symlink loops
    end.  Unreadable directories, missing roots, broken symlinks and a root file with an
    unsupported suffix yield :class:`Skipped`.
    """
    seen_files: set[tuple[int, int]] = set()
    for root in roots:
        root_path = Path(os.path.abspath(os.fspath(root)))
        shown = os.fspath(root)
        try:
            st = root_path.stat()
        except OSError as e:
            yield Skipped(path=shown, reason=f"cannot read: {_os_reason(e)}")
            continue
        if root_path.is_dir():
            found: list[tuple[str, Path, os.stat_result]] = []
            yield from _walk(root_path, found)
            found.sort(key=lambda f: f[0])
            for rel, path, fst in found:
                key = (fst.st_dev, fst.st_ino)
                if key in seen_files:
                    continue
                seen_files.add(key)
                yield SourceFile(path=path, rel=rel, size=fst.st_size, mtime_ns=fst.st_mtime_ns)
        elif root_path.is_file():
            if _suffix_of(root_path.name) is None:
                yield Skipped(path=root_path.name, reason="unsupported file type")
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen_files:
                continue
            seen_files.add(key)
            yield SourceFile(
                path=root_path, rel=root_path.name, size=st.st_size, mtime_ns=st.st_mtime_ns
            )
        else:
            yield Skipped(path=shown, reason="not a regular file or directory")


def _os_reason(e: OSError) -> str:
    return e.strerror or str(e)


def _walk(root: Path, found: list[tuple[str, Path, os.stat_result]]) -> Iterator[Skipped]:
    """Depth-first walk collecting supported files into ``found``; yields Skipped."""
    try:
        root_st = root.stat()
        visited = {(root_st.st_dev, root_st.st_ino)}
    except OSError:
        visited = set()
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        folder, parts = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            rel = "/".join(parts) or "."
            yield Skipped(path=rel, reason=f"cannot read directory: {_os_reason(e)}")
            continue
        subdirs: list[tuple[Path, tuple[str, ...]]] = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            rel_parts = (*parts, name)
            try:
                is_dir = entry.is_dir()  # follows symlinks
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                try:
                    st = entry.stat()
                except OSError as e:
                    yield Skipped(
                        path="/".join(rel_parts), reason=f"cannot read directory: {_os_reason(e)}"
                    )
                    continue
                key = (st.st_dev, st.st_ino)
                if key in visited:
                    continue  # symlink loop or a directory already walked
                visited.add(key)
                subdirs.append((Path(entry.path), rel_parts))
            elif _suffix_of(name) is None:
                continue
            elif is_file:
                try:
                    st = entry.stat()
                except OSError as e:
                    yield Skipped(path="/".join(rel_parts), reason=f"cannot read: {_os_reason(e)}")
                    continue
                found.append(("/".join(rel_parts), Path(entry.path), st))
            elif entry.is_symlink():
                yield Skipped(path="/".join(rel_parts), reason="broken symbolic link")
        stack.extend(reversed(subdirs))
