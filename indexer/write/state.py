"""The incremental state kept beside the index (``state.json``): what the index holds, by
id, and the size and modification time of each file it was read from.

It describes one commit (generation and article count); when it does not describe the
index's latest commit, or cannot be read, it is read back from the index itself and every
file is re-read and compared by content hash: slower, never wrong.

Beside it, ``skipped.json`` keeps the files that were skipped, with the id each would have
had and why (``empty file``), so that ``mlsearch show docs/empty.txt`` can say so. It only
informs messages: it is read whatever commit it was written with, and a lost one is
rebuilt as the files are read again.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..files import atomic_write
from ..schema import read_meta

STATE_FILE = "state.json"
SKIPPED_FILE = "skipped.json"


def doc_count(ix) -> int:
    """Articles in the index's latest commit, from its table of contents: whoosh's
    ``ix.doc_count()`` opens a reader, every segment's term dictionary with it (0.36 s of
    a 1.4 s no-change run at 12k articles in 16 segments, called twice). Each segment's
    file is still opened and its directory (at its end) read, so that a truncated or
    missing segment is noticed here as it was by the reader."""
    total = 0
    for seg in ix._segments():
        if seg.is_compound():
            seg.open_compound_file(ix.storage).close()
        total += seg.doc_count()
    return total


class IndexState:
    """What the index holds, by id, and the files it was read from, by (root, rel)."""

    def __init__(self):
        self.docs: dict[str, list] = {}  # id -> [hash, root, rel, path]
        self.files: dict[str, list] = {}  # root\0rel -> [size, mtime_ns]
        self.unreadable: str | None = None  # why a state file there could not be used
        # root\0rel -> [id, reason]: files read (or found) and skipped, by the last run
        # that read them
        self.skipped: dict[str, list] = {}
        self._skipped_saved: dict[str, list] = {}  # as skipped.json holds it
        # state.json describes the index's latest commit (read back from it, or written)
        self.current = False

    @staticmethod
    def key(root: str, rel: str) -> str:
        return f"{root}\x00{rel}"

    @classmethod
    def load(cls, index_dir: Path, ix) -> IndexState:
        state = cls()
        state.skipped = read_skipped(index_dir)
        state._skipped_saved = dict(state.skipped)
        try:
            raw = json.loads((index_dir / STATE_FILE).read_text(encoding="utf-8"))
            if not (
                isinstance(raw, dict)
                and isinstance(raw.get("docs"), dict)
                and isinstance(raw.get("files"), dict)
            ):
                raise ValueError("not a state file")
            count = doc_count(ix)
            if (
                raw.get("generation") == ix.latest_generation()
                and raw.get("doc_count") == count
                and len(raw["docs"]) == count
            ):
                state.docs, state.files = raw["docs"], raw["files"]
                state.current = True
                return state
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            state.unreadable = str(exc) or type(exc).__name__
        # Slow path: read the state back from the index; every file is re-read and compared.
        with ix.reader() as reader:
            for stored in reader.all_stored_fields():
                state.docs[stored["id"]] = [
                    stored.get("hash"),
                    stored.get("root"),
                    stored.get("rel"),
                    stored.get("path"),
                ]
        return state

    def save(self, index_dir: Path, ix, changed: bool = True) -> None:
        """Write the state; with ``changed`` False (the run changed neither the index nor
        what it knows of the files) only ``skipped.json``, if that changed: at 10x (153k
        articles) ``state.json`` is over 20 MB, serialised and written again for
        nothing by a run with nothing to do."""
        if not changed and self.current:
            self._save_skipped(index_dir)
            return
        raw = {
            "generation": ix.latest_generation(),
            "doc_count": doc_count(ix),
            "docs": self.docs,
            "files": self.files,
        }
        atomic_write(index_dir / STATE_FILE, json.dumps(raw, ensure_ascii=False))
        self.current = True
        self._save_skipped(index_dir)

    def _save_skipped(self, index_dir: Path) -> None:
        # Written only when it changed: most runs skip the same files (or none).
        if self.skipped != self._skipped_saved:
            atomic_write(index_dir / SKIPPED_FILE, json.dumps(self.skipped, ensure_ascii=False))
            self._skipped_saved = dict(self.skipped)


def read_skipped(index_dir: Path) -> dict[str, list]:
    """``skipped.json``: root\0rel -> [id, reason]; empty when missing or unreadable."""
    try:
        raw = json.loads((index_dir / SKIPPED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {
        k: v
        for k, v in raw.items()
        if isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)
    }


def skipped_ids(index_dir: Path) -> dict[str, tuple[str, str]]:
    """The id each skipped file would have had: why it was skipped, and the folder (or
    file) given to ``index`` it was found under."""
    return {
        doc_id: (reason, fkey.split("\x00")[0])
        for fkey, (doc_id, reason) in read_skipped(index_dir).items()
    }


def recorded_roots(index_dir: Path) -> list[str]:
    """The folders and files the index was built from, as far as it knows: the roots of
    its articles in ``state.json``, else the folders its labels stand for; [] if none."""
    roots: set[str] = set()
    try:
        raw = json.loads((index_dir / STATE_FILE).read_text(encoding="utf-8"))
        docs = raw.get("docs") if isinstance(raw, dict) else None
        if isinstance(docs, dict):
            roots = {v[1] for v in docs.values() if isinstance(v, list) and len(v) == 4}
    except (OSError, ValueError):
        pass
    roots |= {k.split("\x00")[0] for k in read_skipped(index_dir)}
    if not roots:
        folders = (read_meta(index_dir) or {}).get("folders")
        if isinstance(folders, dict):
            roots = set(folders.values())
    return sorted(r for r in roots if isinstance(r, str) and r)
