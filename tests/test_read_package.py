"""The indexer.read package: each module imports on its own, and no module imports in a cycle."""

from __future__ import annotations

import subprocess
import sys
from graphlib import TopologicalSorter
from pathlib import Path

import pytest

import indexer.read
from tests.test_layout import imports

PACKAGE_DIR = Path(indexer.read.__file__).resolve().parent
ROOT = PACKAGE_DIR.parent.parent
MODULES = {
    "indexer.read" if p.stem == "__init__" else f"indexer.read.{p.stem}": p
    for p in sorted(PACKAGE_DIR.glob("*.py"))
}


def package_imports(module: str, path: Path) -> set[str]:
    """The modules of indexer.read that ``module`` imports, anywhere in the file.

    ``from indexer.read import dates`` is an import of the submodule ``indexer.read.dates``;
    ``from indexer.read import SourceFile`` is one of ``indexer.read`` itself.
    """
    return {name for name in imports(module, path, top_level_only=False) if name in MODULES}


def test_package_modules_found():
    assert {"indexer.read", "indexer.read.dates", "indexer.read.html"} <= set(MODULES)


def test_no_import_cycle():
    graph = {module: package_imports(module, path) for module, path in MODULES.items()}
    order = list(TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
    assert order[-1] == "indexer.read"  # the package imports its modules, never the reverse
    assert all("indexer.read" not in deps for deps in graph.values())


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_in_a_fresh_interpreter(module):
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
