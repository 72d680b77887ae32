"""Which article files changed: the one rule ``index`` and ``index --watch`` share.

A file has changed when its size or modification time (ns) is not what was recorded:
``index`` compares with ``state.json`` (and re-reads only what changed), ``index --watch``
compares two looks at the folders (and indexes once they agree). Contents are not read to
decide; an edit that keeps both is caught only by ``--rebuild``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..article import Skipped

if TYPE_CHECKING:
    from ..read import SourceFile

# A file's size and modification time (ns), as state.json records them.
Stamp = list[int]
# The stamp and the name to show (relative to its folder) of each file, by absolute path.
Snapshot = dict[str, tuple[Stamp, str]]


def stamp(sf: SourceFile) -> Stamp:
    return [sf.size, sf.mtime_ns]


def unchanged(recorded, sf: SourceFile) -> bool:
    """Whether ``sf`` is as ``recorded`` (its stamp when it was indexed, or None)."""
    return recorded == stamp(sf)


def scan(roots: list[Path], index_dir: Path) -> Snapshot:
    """Every article file under ``roots`` now, leaving out the index folder's own."""
    from ..read import discover

    inside = str(index_dir.resolve()) + os.sep
    snap: Snapshot = {}
    for item in discover(roots):
        if isinstance(item, Skipped):
            continue
        path = str(item.path)
        if not (path + os.sep).startswith(inside):
            snap[path] = (stamp(item), item.rel)
    return snap


def changes(before: Snapshot, after: Snapshot) -> list[tuple[str, str]]:
    """``(added | updated | removed, name)`` of each file that differs, by name."""
    out = []
    for path, (now, rel) in after.items():
        old = before.get(path)
        if old is None:
            out.append(("added", rel))
        elif old[0] != now:
            out.append(("updated", rel))
    out.extend(("removed", before[p][1]) for p in before if p not in after)
    return sorted(out, key=lambda c: (c[1], c[0]))
