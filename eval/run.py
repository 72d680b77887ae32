"""The relevance evaluation: ``.venv/bin/python -m eval.run`` (see eval/README.md).

Prints the report (every figure beside the naive pipeline's, with ratio and target) on
stdout, progress on stderr, and writes everything, per query too, to
``eval/results/eval-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from .data import CORPUS_REL, DEFAULT_DATA, REPO_ROOT
from .systems import MLSEARCH, NAIVE, ensure_indexes, log, open_systems

SECTIONS = ("topics", "known", "substring", "cross", "sighan", "own", "english")
# Sections that build their own indexes (or need none).
OWN_INDEXES = ("sighan", "english")
# One folder per checkout: two checkouts (a branch and main, say) sharing one would rebuild
# the same index under each other's searches ("index is damaged").
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / (
    "mlsearch-eval-" + hashlib.sha1(str(REPO_ROOT.resolve()).encode()).hexdigest()[:8]
)
DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from .cross import CROSS_FILE
    from .known import SEED
    from .own import OWN_DIR
    from .substring import DEFAULT_PROBES

    ap = argparse.ArgumentParser(
        prog="python -m eval.run", description="mlsearch relevance report, beside the naive one"
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    ap.add_argument("--corpus", type=Path, help=f"articles (default: DATA/{CORPUS_REL})")
    ap.add_argument("--per-lang", type=int, default=300, help="known-item articles per language")
    ap.add_argument("--probes", type=int, default=DEFAULT_PROBES, help="Chinese substring probes")
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="cached indexes")
    ap.add_argument(
        "--cross-set", type=Path, default=CROSS_FILE, help="cross-language queries and judgments"
    )
    ap.add_argument(
        "--own-dir", type=Path, default=OWN_DIR, help="our judged topics: topics-*.tsv, qrels-*.txt"
    )
    ap.add_argument("--rebuild", action="store_true", help="rebuild both indexes")
    ap.add_argument(
        "--keep-index",
        action="store_true",
        help="reuse cached indexes of the same corpus even if the engine changed since",
    )
    ap.add_argument("--skip-naive", action="store_true", help="mlsearch figures only")
    ap.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run only this section (repeatable)",
    )
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="where the JSON goes")
    args = ap.parse_args(argv)
    args.corpus = args.corpus or args.data / CORPUS_REL
    args.sections = [s for s in SECTIONS if not args.only or s in args.only]
    args.seed = SEED
    return args


def git_state() -> dict:
    """The commit evaluated, and whether the engine had uncommitted changes."""
    import subprocess

    def git(*cmd):
        return subprocess.run(
            ["git", *cmd], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30
        ).stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "HEAD"),
            "engine_changes": git("status", "--porcelain", "--", "indexer", "search").splitlines(),
        }
    except (OSError, subprocess.SubprocessError):
        return {}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now()
    t0 = time.perf_counter()
    # Other people edit the engine while this runs: load all of it now, so that the index
    # build and the queries use the code of one moment, the one ``git`` records.
    import indexer.analyse.fields  # noqa: F401
    import indexer.read  # noqa: F401
    import indexer.write.build  # noqa: F401
    import search.searcher  # noqa: F401

    git = git_state()
    names = [MLSEARCH] if args.skip_naive else [MLSEARCH, NAIVE]
    results: dict = {}
    timings: dict[str, float] = {}
    indexes: dict = {}
    needs_index = [s for s in args.sections if s not in OWN_INDEXES]
    systems = {}
    records: list[dict] = []
    if needs_index:
        if not args.corpus.exists():
            print(f"error: no corpus at {args.corpus}", file=sys.stderr)
            return 2
        t = time.perf_counter()
        indexes = ensure_indexes(args.corpus, args.workdir, names, args.rebuild, args.keep_index)
        timings["indexes"] = time.perf_counter() - t
        systems = open_systems(indexes)
    if {"known", "substring", "english"} & set(args.sections):
        from bench.naive import iter_records

        if not args.corpus.exists():
            print(f"error: no corpus at {args.corpus}", file=sys.stderr)
            return 2
        records = list(iter_records(args.corpus))
    try:
        for section in args.sections:
            log(f"{section}: running")
            t = time.perf_counter()
            if section == "topics":
                from . import topics

                results["topics"] = topics.run(systems, args.data)
            elif section == "known":
                from . import known

                results["known"] = known.run(systems, records, args.per_lang)
            elif section == "substring":
                from . import substring

                results["substring"] = substring.run(systems, records, args.probes)
            elif section == "cross":
                from . import cross

                results["cross"] = cross.run(systems, args.cross_set)
            elif section == "english":
                from . import english

                results["english"] = english.run(records, args.per_lang)
            elif section == "sighan":
                from . import sighan

                results["sighan"] = sighan.run(args.data)
            elif section == "own":
                from . import own

                results["own"] = own.run(indexes, args.own_dir)
            timings[section] = time.perf_counter() - t
            log(f"{section}: done in {timings[section]:.1f} s")
    finally:
        for system in systems.values():
            system.close()

    from .report import build_rows, format_notes, format_summary, format_table

    rows = build_rows(results)
    seconds = time.perf_counter() - t0
    print(format_table(rows))
    print()
    if "own" in results:
        from .own import format_tables

        print(f"Own topics ({results['own']['own_dir']}), by row of the ladder")
        print()
        print(format_tables(results["own"]))
        print()
    for note in format_notes(results):
        print(note)
    if "english" in results:
        from .english import format_lines

        print("\n".join(format_lines(results["english"])))
    print(format_summary(rows))
    print(
        f"total {seconds:.0f} s (" + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + ")"
    )

    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"eval-{started:%Y%m%d-%H%M%S}.json"
    payload = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "timings": {k: round(v, 1) for k, v in timings.items()},
        "args": {
            "data": str(args.data),
            "corpus": str(args.corpus),
            "per_lang": args.per_lang,
            "probes": args.probes,
            "cross_set": str(args.cross_set),
            "own_dir": str(args.own_dir),
            "workdir": str(args.workdir),
            "sections": args.sections,
            "systems": names,
            "seed": args.seed,
        },
        "git": git,
        "indexes": indexes,
        "report": [{k: v for k, v in r.items() if k != "fmt"} for r in rows],
        "results": results,
    }
    out.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
