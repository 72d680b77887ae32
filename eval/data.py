"""Where the evaluation data lives, and reading the Malay topics and their qrels.

The corpus is read with ``bench.naive.iter_records``, the reader both pipelines share.

The data stays where it is (``../shared/data`` by default); nothing is copied.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
CORPUS_REL = Path("news") / "articles.jsonl.gz"
TOPICS_REL = Path("eval") / "malay-topics"
SIGHAN_REL = Path("eval") / "sighan2005"


def read_topics(path: str | Path) -> dict[str, str]:
    """topics.tsv: ``id<TAB>phrase`` per line, in file order."""
    topics = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            tid, phrase = line.split("\t", 1)
            topics[tid.strip()] = phrase.strip()
    return topics


def read_qrels(path: str | Path) -> dict[str, set[str]]:
    """TREC qrels (``topic iter doc grade``): the relevant (grade > 0) docs of each topic."""
    qrels: dict[str, set[str]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) >= 4 and int(fields[3]) > 0:
            qrels.setdefault(fields[0], set()).add(fields[2])
    return qrels
