"""Merging segments: ``mlsearch index --optimize``, the merge policy of every commit, and
the streaming merge both use (``indexer/whoosh_internals/merging.py``)."""

from __future__ import annotations

import pytest
from whoosh.filedb.filestore import FileStorage

from tests.conftest import NEWS, fixture_copy, invoke

QUERIES = ("defence", "东盟", "menteri pertahanan", "south china sea", "kerjasama")


def segments(index_dir) -> list:
    ix = FileStorage(str(index_dir)).open_index()
    try:
        return ix._segments()
    finally:
        ix.close()


def postings(index_dir) -> list[tuple]:
    """Every posting of the index as (field, term, id of its article, weight, value)."""
    ix = FileStorage(str(index_dir)).open_index()
    out = []
    with ix.reader() as r:
        ids = {d: f["id"] for d, f in r.iter_docs()}
        for fieldname, text, docnum, weight, value in r.iter_postings():
            if not r.is_deleted(docnum):
                out.append((fieldname, text, ids[docnum], weight, value))
    ix.close()
    return sorted(out)


def results(index_dir) -> list[list[str]]:
    from search import Searcher

    with Searcher(index_dir) as s:
        return [[h.id for h in s.search(q, limit=20).hits] for q in QUERIES]


@pytest.fixture
def several_segments(tmp_path, monkeypatch):
    """The fixture corpus indexed a few articles a commit: several segments (the last
    commit merges a run's segments down to MAX_SEGMENTS: not here)."""
    monkeypatch.setenv("MLSEARCH_COMMIT_EVERY", "4")
    monkeypatch.setattr("indexer.whoosh_internals.merging.MAX_SEGMENTS", 100)
    docs = fixture_copy(NEWS, tmp_path)
    index_dir = tmp_path / "index"
    res = invoke("--index", index_dir, "index", "-q", docs)
    assert res.exit_code == 0, res.output
    monkeypatch.delenv("MLSEARCH_COMMIT_EVERY")
    assert len(segments(index_dir)) >= 2
    return docs, index_dir


def test_optimize_merges_into_one_segment_with_a_progress_line(several_segments):
    docs, index_dir = several_segments
    before = len(segments(index_dir))
    hits, all_postings = results(index_dir), postings(index_dir)
    res = invoke("--index", index_dir, "index", "--optimize", docs)
    assert res.exit_code == 0, res.output
    assert f"merged {before} segments into one" in res.output
    assert f"merging {before} segments (" in res.stderr
    assert "documents) into one…" in res.stderr
    assert len(segments(index_dir)) == 1
    # the same index, one segment: same postings, same answers
    assert postings(index_dir) == all_postings
    assert results(index_dir) == hits
    check = invoke("--index", index_dir, "check")
    assert check.exit_code == 0, check.output
    # the state still describes the index: nothing is read again
    again = invoke("--index", index_dir, "index", "--json", docs)
    assert '"added": 0' in again.output and '"updated": 0' in again.output
    assert '"optimized": 0' in again.output


def test_optimize_on_one_segment_says_so(tmp_path):
    docs = fixture_copy(NEWS, tmp_path)
    index_dir = tmp_path / "index"
    invoke("--index", index_dir, "index", "-q", docs)
    assert len(segments(index_dir)) == 1
    res = invoke("--index", index_dir, "index", "--optimize", docs)
    assert res.exit_code == 0
    assert "one segment already" in res.stderr
    assert len(segments(index_dir)) == 1


def test_optimize_does_not_go_with_watch(tmp_path):
    res = invoke("--index", tmp_path / "ix", "index", "--optimize", "--watch", tmp_path)
    assert res.exit_code == 2
    assert "--watch" in res.output


def test_streaming_merge_writes_what_whoosh_merge_writes(several_segments, tmp_path):
    """Whoosh's own merge (every posting through the pool) and the streaming one give the
    same postings, also with deleted documents in the merged segments."""
    import shutil

    from whoosh.writing import OPTIMIZE

    from indexer.whoosh_internals.merging import optimize
    from indexer.whoosh_internals.pool import ChunkedPostingPool, set_pool

    _, index_dir = several_segments
    ix = FileStorage(str(index_dir)).open_index()
    with ix.writer() as w:  # deletions in two segments
        with ix.reader() as r:
            ids = sorted(f["id"] for _, f in r.iter_docs())
        w.delete_by_term("id", ids[0])
        w.delete_by_term("id", ids[-1])
        w.mergetype = lambda writer, segs: segs
    ix.close()
    copies = {}
    for name, policy in (("whoosh", OPTIMIZE), ("streams", optimize(lambda _: None))):
        copies[name] = tmp_path / name
        shutil.copytree(index_dir, copies[name])
        ix = FileStorage(str(copies[name])).open_index()
        w = set_pool(ix.writer(), ChunkedPostingPool)
        w.commit(mergetype=policy)
        assert len(ix._segments()) == 1
        ix.close()
    assert postings(copies["streams"]) == postings(copies["whoosh"])
    assert len(postings(copies["streams"])) > 1000
    assert results(copies["streams"]) == results(copies["whoosh"])


def test_the_merge_policy_merges_small_segments(tmp_path):
    """Incremental runs each leave a small segment: once there are two, the next commit
    merges them; segments of the size of the largest are left alone."""
    from whoosh import fields

    from indexer.whoosh_internals.merging import merge_policy
    from indexer.whoosh_internals.pool import ChunkedPostingPool, set_pool

    ix = FileStorage(str(tmp_path)).create_index(fields.Schema(t=fields.TEXT(phrase=True)))
    said = []

    def commit(texts):
        w = set_pool(ix.writer(), ChunkedPostingPool)
        for t in texts:
            w.add_document(t=t)
        w.commit(mergetype=merge_policy(said.append))

    big = [f"patrol boat {i} off labuan" for i in range(100)]
    commit(big)
    commit(big)  # equal: kept apart
    assert len(ix._segments()) == 2 and said == []
    commit(["small one"])
    commit(["small two"])  # the first small one is alone: kept
    assert len(ix._segments()) == 4 and said == []
    commit(["small three"])  # two small ones before it: merged into the new one
    assert said == ["merging", "writing"]
    sizes = sorted(s.doc_count_all() for s in ix._segments())
    assert sizes == [3, 100, 100]
    assert ix.doc_count() == 203


def _articles(folder, n: int) -> set[str]:
    folder.mkdir(parents=True, exist_ok=True)
    import random

    rng = random.Random(n)
    words = ("navy", "patrol", "budget", "minister", "harbour", "exercise", "treaty", "coast")
    for i in range(n):  # different enough not to be near-duplicates of each other
        body = " ".join(f"{rng.choice(words)}{rng.randrange(50)}" for _ in range(40))
        (folder / f"a{i:04d}.txt").write_text(f"Item marker{i:04d}\n\n{body} marker{i:04d}.\n")
    return {f"{folder.name}/a{i:04d}.txt" for i in range(n)}


def _commit_sizes(monkeypatch) -> list[int]:
    from indexer.write import build

    sizes: list[int] = []
    real = build._IndexingPass.commit

    def commit(self, **kwargs):
        sizes.append(self.pending)
        real(self, **kwargs)

    monkeypatch.setattr(build._IndexingPass, "commit", commit)
    return sizes


@pytest.mark.parametrize(
    ("growth", "expected"),
    [("2", [10, 20, 60, 10]), ("1", [10, 10, 20, 40, 20]), ("0", [10] * 10 + [0])],
)
def test_commits_of_a_big_run_are_spaced_geometrically(tmp_path, monkeypatch, growth, expected):
    """MLSEARCH_COMMIT_GROWTH=2 (the default): a commit once the run has written twice as
    many articles as the index held (at least MLSEARCH_COMMIT_EVERY); 1: as many; 0: every
    MLSEARCH_COMMIT_EVERY."""
    from indexer.write.build import build_index

    docs = tmp_path / "docs"
    _articles(docs, 100)
    monkeypatch.setenv("MLSEARCH_COMMIT_EVERY", "10")
    monkeypatch.setenv("MLSEARCH_COMMIT_GROWTH", growth)
    sizes = _commit_sizes(monkeypatch)
    report = build_index([docs], tmp_path / "ix")
    assert report.added == 100
    assert sizes == expected


@pytest.mark.parametrize("n", [70, 80])
def test_the_last_commit_merges_down_to_three_segments(tmp_path, monkeypatch, n):
    """Commits at 10, 20, 40 (and 80): one segment each, merged at the end, also when the
    run's last article fell on a commit of its own (n = 80)."""
    from indexer.whoosh_internals.merging import MAX_SEGMENTS
    from indexer.write.build import build_index

    docs = tmp_path / "docs"
    expected = _articles(docs, n)
    monkeypatch.setenv("MLSEARCH_COMMIT_EVERY", "10")
    monkeypatch.setenv("MLSEARCH_COMMIT_GROWTH", "1")
    build_index([docs], tmp_path / "ix")
    assert len(segments(tmp_path / "ix")) <= MAX_SEGMENTS
    ix = FileStorage(str(tmp_path / "ix")).open_index()
    with ix.reader() as r:
        assert sorted(f["id"] for _d, f in r.iter_docs()) == sorted(expected)
    ix.close()


def test_commit_growth_defaults_to_geometric_unless_an_interval_is_set(monkeypatch):
    from indexer.config import commit_growth

    assert commit_growth() == 2.0
    monkeypatch.setenv("MLSEARCH_COMMIT_EVERY", "500")
    assert commit_growth() == 0.0  # "every 500" means every 500, as before
    monkeypatch.setenv("MLSEARCH_COMMIT_GROWTH", "1")
    assert commit_growth() == 1.0


def test_a_big_parallel_run_ends_with_at_most_three_segments(tmp_path, monkeypatch):
    """Two writer processes, one segment each per commit, five commits: the merge policy
    leaves 3 segments; every article once, and the same answers as a one-commit build."""
    from indexer.whoosh_internals.merging import MAX_SEGMENTS
    from indexer.write import build

    docs = tmp_path / "docs"
    expected = _articles(docs, 600)
    monkeypatch.setattr(build, "PARALLEL_BYTES", 0)
    monkeypatch.setenv("MLSEARCH_PROCS", "2")
    build.build_index([docs], tmp_path / "one")  # one commit (20,000 at least)
    monkeypatch.setenv("MLSEARCH_COMMIT_EVERY", "40")
    monkeypatch.setenv("MLSEARCH_COMMIT_GROWTH", "1")
    sizes = _commit_sizes(monkeypatch)
    build.build_index([docs], tmp_path / "ix")
    assert sizes == [40, 40, 80, 160, 280]
    assert len(segments(tmp_path / "ix")) <= MAX_SEGMENTS
    assert len(segments(tmp_path / "one")) == 2
    ix = FileStorage(str(tmp_path / "ix")).open_index()
    with ix.reader() as r:
        ids = [f["id"] for _d, f in r.iter_docs()]
    ix.close()
    assert sorted(ids) == sorted(expected)
    assert results(tmp_path / "ix") == results(tmp_path / "one")
    assert postings(tmp_path / "ix") == postings(tmp_path / "one")

    # A small run after it does not re-merge the big segments: they stay as they are.
    big = {s.segment_id() for s in segments(tmp_path / "ix") if s.doc_count_all() > 100}
    more = tmp_path / "more"
    _articles(more, 3)
    monkeypatch.setattr(build, "PARALLEL_BYTES", 2_000_000)
    build.build_index([docs, more], tmp_path / "ix")
    assert big and big <= {s.segment_id() for s in segments(tmp_path / "ix")}
