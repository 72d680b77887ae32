"""The commands hints suggest: made for the user's situation, from the index folder they
named and the folders that index was built from (when it knows them), never a folder they
did not give (such as the bundled ``corpus/``)."""

from __future__ import annotations

import os
from pathlib import Path

from .state import recorded_roots

# Stands for the folders of articles when the index does not know them.
PATHS = "PATH…"


def quote(path) -> str:
    """``path`` as typed in a shell: quoted when it has spaces or special characters."""
    text = str(path)
    if any(c in text for c in " \t'\"$`\\;&|<>()*?"):
        return "'" + text.replace("'", "'\\''") + "'"
    return text


def index_command(
    index_dir: str | os.PathLike, roots: list[str] | None = None, rebuild: bool = False
) -> str:
    """``mlsearch index [--rebuild] --index DIR ROOT…``: the roots given, else those the
    index in ``index_dir`` was built from, else ``PATH…``."""
    if roots is None:
        roots = recorded_roots(Path(index_dir))
    paths = " ".join(quote(r) for r in roots) if roots else PATHS
    flag = "--rebuild " if rebuild else ""
    return f"mlsearch index {flag}--index {quote(index_dir)} {paths}"
