"""The Python API in one script: index, search, save a query, see what is new.

Run it from anywhere (it indexes the sample articles in corpus/ into a temporary folder):

    python examples/api_example.py

Everything here returns dataclasses; errors are indexer.errors.MlsearchError subclasses
with a message and a hint.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so it runs from a checkout without installing

from indexer import build_index  # noqa: E402
from indexer.errors import MlsearchError  # noqa: E402
from search import Searcher  # noqa: E402
from search.saved import SavedQuery, add_saved, list_saved, run_saved  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        docs, index = Path(tmp) / "docs", Path(tmp) / "index"
        articles = sorted((ROOT / "corpus").glob("*.txt"))
        docs.mkdir()
        for path in articles[:-1]:  # keep one back: it arrives "tomorrow"
            shutil.copy(path, docs)

        report = build_index([docs], index)  # incremental: run it again after changes
        print(f"indexed: {report.added} added, {len(report.skipped)} skipped")

        with Searcher(index) as searcher:  # open once, query many times
            for query in ("东盟 防长", "menteri pertahanan", "defence ministers"):
                results = searcher.search(query, limit=3)
                print(f"\n{query!r}: {results.total} hits")
                for hit in results.hits:
                    print(f"  {hit.rank}. {hit.title[:60]} [{hit.id}, {hit.date}]")
            # --cross: the words in the other two languages too, through the glossary.
            wide = searcher.search("defence ministers", cross=True, limit=3)
            added = [f"{e.matched} -> {e.added}" for e in wide.expansions]
            print(f"\n'defence ministers' --cross: {wide.total} hits; added {added}")
            top = wide.hits[0]
            like = searcher.similar(top.id, cross=True, limit=3)  # more like this, any language
            print(f"like {top.id}: " + ", ".join(h.id for h in like.hits))
            try:
                searcher.search("date:someday")
            except MlsearchError as exc:
                print(f"\nan error, as the CLI would show it: {exc.message}")

            # Saved queries live beside the index (saved.toml); runs record what they found.
            add_saved(SavedQuery("adm", "ASEAN defence", limit=5, sort="date"), index)
            (first,) = run_saved(["adm"], index, new=True, searcher=searcher)
            print(f"\nsaved query adm, first run: {first.total} hits, all new")

            shutil.copy(articles[-1], docs)  # a new article lands
            report = build_index([docs], index)
            print(f"indexed again: {report.added} added, {report.unchanged} unchanged")

            (run,) = run_saved(["adm"], index, new=True, searcher=searcher)
            print(f"saved query adm, next run: {run.new} new of {run.total}")
            for hit in run.hits:
                print(f"  new: {hit.title[:60]} [{hit.id}]")
                record = hit.as_json()  # the JSON Lines record of saved run --json
                print(f"  as JSON: {json.dumps({k: record[k] for k in ('saved', 'new', 'id')})}")

        for status in list_saved(index):
            print(f"\n{status.saved.name}: last run {status.last_run}, {status.hits} hits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
