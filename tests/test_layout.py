"""The layout: indexer/ (read → analyse → write) never imports search/, and no module of
either imports in a cycle at load time (function-level imports are lazy on purpose and
cannot cycle while modules load)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("indexer", "search")


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    base = node.module or ""
    if node.level:
        parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        base = f"{parent}.{base}" if base else parent
    return base


def imports(module: str, path: Path, top_level_only: bool) -> set[str]:
    """First-party modules ``module`` imports (at load time only, or anywhere)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {name for name in found if name in MODULES and name != module}


def test_every_package_module_is_seen():
    assert {"indexer.read.html", "indexer.write.build", "search.cli.group"} <= set(MODULES)


def test_no_module_imports_in_a_cycle_while_loading():
    graph = {m: imports(m, p, top_level_only=True) for m, p in MODULES.items()}
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_the_indexer_never_imports_the_query_side():
    offenders = {
        m: sorted(i for i in imports(m, p, top_level_only=False) if i.startswith("search"))
        for m, p in MODULES.items()
        if m.startswith("indexer")
    }
    assert not {m: i for m, i in offenders.items() if i}
