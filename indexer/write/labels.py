"""The label of each folder articles are read from: the first part of their ids."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..schema import read_meta, update_meta
from .state import IndexState

# In the metadata file: the folder each label stands for (README, "Article ids").
FOLDERS_KEY = "folders"


class FolderLabels:
    """The label of each folder articles are read from: the first part of their ids.

    A folder's label is its own name; another folder of the same name gets ``name-2``,
    ``name-3``, … (``~/a/news`` and ``~/b/news``: ``news`` and ``news-2``). A file given to
    ``index`` on its own belongs to the folder it is in. Labels are kept in the index's
    metadata file, written before any id uses them, and never change for the life of the
    index: ids stay the same from run to run.
    """

    def __init__(self, index_dir: Path, state: IndexState):
        self.index_dir = index_dir
        self.state = state
        folders = (read_meta(index_dir) or {}).get(FOLDERS_KEY)
        self.folders: dict[str, str] = dict(folders) if isinstance(folders, dict) else {}
        self.labels = {folder: label for label, folder in self.folders.items()}

    def of(self, folder: Path) -> str:
        label = self.labels.get(str(folder))
        if label is not None:
            return label
        # Labels of the ids in the index too, should the metadata file have lost any.
        taken = set(self.folders) | {doc_id.split("/", 1)[0] for doc_id in self.state.docs}
        name = folder.name or "root"
        label, n = name, 1
        while label in taken:
            n += 1
            label = f"{name}-{n}"
        self.folders[label] = str(folder)
        self.labels[str(folder)] = label
        update_meta(self.index_dir, **{FOLDERS_KEY: self.folders})
        return label


@dataclass
class IndexedRoot:
    """A folder or file given to ``index``, resolved, with its folder's label."""

    key: str
    label: str
    is_dir: bool

    def path_of(self, rel: str) -> str:
        """Where the file ``rel`` of this root is."""
        return str(Path(self.key, rel)) if self.is_dir else self.key
