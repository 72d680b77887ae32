"""Defaults, in one place; each one can be overridden by an option and an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_INDEX = "index"
DEFAULT_CORPUS = "corpus"
DEFAULT_LIMIT = 10
SNIPPET_CHARS = 220


def default_index_dir() -> Path:
    """``MLSEARCH_INDEX`` if set, else ``index/`` in the current folder."""
    return Path(os.environ.get("MLSEARCH_INDEX") or DEFAULT_INDEX)
