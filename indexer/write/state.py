"""The incremental state kept beside the index (``state.json``): what the index holds, by
id, and the size and modification time of each file it was read from.

It describes one commit (generation and article count); when it does not describe the
index's latest commit, or cannot be read, it is read back from the index itself and every
file is re-read and compared by content hash: slower, never wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..files import atomic_write

STATE_FILE = "state.json"


class IndexState:
    """What the index holds, by id, and the files it was read from, by (root, rel)."""

    def __init__(self):
        self.docs: dict[str, list] = {}  # id -> [hash, root, rel, path]
        self.files: dict[str, list] = {}  # root\0rel -> [size, mtime_ns]
        self.unreadable: str | None = None  # why a state file there could not be used

    @staticmethod
    def key(root: str, rel: str) -> str:
        return f"{root}\x00{rel}"

    @classmethod
    def load(cls, index_dir: Path, ix) -> IndexState:
        state = cls()
        try:
            raw = json.loads((index_dir / STATE_FILE).read_text(encoding="utf-8"))
            if not (
                isinstance(raw, dict)
                and isinstance(raw.get("docs"), dict)
                and isinstance(raw.get("files"), dict)
            ):
                raise ValueError("not a state file")
            count = ix.doc_count()
            if (
                raw.get("generation") == ix.latest_generation()
                and raw.get("doc_count") == count
                and len(raw["docs"]) == count
            ):
                state.docs, state.files = raw["docs"], raw["files"]
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

    def save(self, index_dir: Path, ix) -> None:
        raw = {
            "generation": ix.latest_generation(),
            "doc_count": ix.doc_count(),
            "docs": self.docs,
            "files": self.files,
        }
        atomic_write(index_dir / STATE_FILE, json.dumps(raw, ensure_ascii=False))
