"""The layout of the ``search.cli`` package: each module imports alone, without a cycle,
and starting the command stays cheap (no Whoosh, no analysis, until a command needs them)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CLI = Path(__file__).parent.parent / "search" / "cli"
MODULES = sorted(p.stem for p in CLI.glob("*.py") if p.stem != "__main__")


def _local_imports(module: str) -> set[str]:
    """The modules of search.cli that ``module`` imports (at the top or inside functions)."""
    tree = ast.parse((CLI / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                found.update(n.split(".")[0] for n in names)
            elif node.level == 0 and (node.module or "").startswith("search.cli"):
                rest = node.module.removeprefix("search.cli").lstrip(".")
                found.add(rest.split(".")[0] if rest else "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("search.cli"):
                    rest = alias.name.removeprefix("search.cli").lstrip(".")
                    found.add(rest.split(".")[0] if rest else "__init__")
    return found & (set(MODULES) | {"__init__"})


# Above the package: the console script (``entry``) imports it, as ``__main__`` does.
TOP = {"__init__", "entry"}


def test_no_import_cycle_in_the_cli_package():
    graph = {m: _local_imports(m) - {m} for m in MODULES}
    assert "__init__" not in set().union(*(graph[m] for m in MODULES if m not in TOP))
    done: set[str] = set()

    def visit(m: str, path: tuple[str, ...]) -> None:
        assert m not in path, f"import cycle: {' -> '.join((*path, m))}"
        if m in done:
            return
        for dep in graph[m]:
            visit(dep, (*path, m))
        done.add(m)

    for m in MODULES:
        visit(m, ())


@pytest.mark.parametrize("module", MODULES)
def test_each_cli_module_imports_alone_in_a_fresh_interpreter(module):
    name = "search.cli" if module == "__init__" else f"search.cli.{module}"
    code = (
        f"import sys, {name}\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('whoosh', 'tomlkit')\n"
        "               or m.startswith('indexer.analyse')\n"
        "               or m in ('search.searcher', 'search.saved'))\n"
        "assert not heavy, heavy\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_the_command_line_offers_the_languages_the_analysis_knows():
    from indexer.analyse.languages import LANGS
    from search.cli.group import LANG_CHOICES

    assert LANG_CHOICES == LANGS


def test_a_command_imports_its_own_module_only(tmp_path):
    """``main`` imports a command's module when the command is asked for: a search on an
    empty index imports neither the index, saved nor serve command (``group.LazyGroup``),
    and every command of ``group.COMMANDS`` is still there by its name."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from search.cli import main\n"
        f"r = CliRunner().invoke(main, ['--index', {str(tmp_path / 'idx')!r}, 'search', 'x'])\n"
        "assert r.exit_code == 2, r.output\n"  # no index there: an error, no traceback
        "loaded = sorted(m for m in sys.modules if m.startswith('search.cli.'))\n"
        "print(' '.join(loaded))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    loaded = set(res.stdout.split())
    assert "search.cli.search" in loaded
    assert not loaded & {"search.cli.index", "search.cli.saved", "search.cli.serve"}

    import click

    from search.cli import main
    from search.cli.group import COMMANDS

    ctx = click.Context(main)
    for name in COMMANDS:
        assert main.get_command(ctx, name).name == name
    assert set(main.list_commands(ctx)) == {*COMMANDS, "completion"}
