"""The own-topics tables of a results file as Markdown, to paste into eval/README.md.

    .venv/bin/python -m eval.own_table [RESULTS.json]

Without a file: the newest ``eval/results/eval-*.json`` that has an ``own`` section.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .own import format_tables
from .run import DEFAULT_RESULTS


def newest_with_own(folder: Path) -> Path | None:
    for path in sorted(folder.glob("eval-*.json"), reverse=True):
        try:
            if "own" in json.loads(path.read_text(encoding="utf-8"))["results"]:
                return path
        except (OSError, ValueError, KeyError):
            continue
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m eval.own_table", description=__doc__.split("\n")[0]
    )
    ap.add_argument("results", nargs="?", type=Path, help="a results JSON (default: the newest)")
    ap.add_argument("--dir", type=Path, default=DEFAULT_RESULTS, help="where to look for it")
    args = ap.parse_args(argv)
    path = args.results or newest_with_own(args.dir)
    if path is None:
        print(f"error: no results with an own section in {args.dir}", file=sys.stderr)
        return 2
    payload = json.loads(path.read_text(encoding="utf-8"))
    if "own" not in payload.get("results", {}):
        print(f"error: {path} has no own section (run with --only own)", file=sys.stderr)
        return 2
    commit = payload.get("git", {}).get("commit", "")[:7] or "?"
    print(f"<!-- {path.name}, commit {commit}, {payload.get('started', '')} -->")
    print(format_tables(payload["results"]["own"], markdown=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
