"""The chunked posting pool gives back every posting, sorted, however many runs it wrote."""

from __future__ import annotations

import random

import pytest
from whoosh.filedb.filestore import RamStorage

import indexer.whoosh_internals.pool as runs


def test_runs_written_in_chunks_come_back_sorted_and_whole(monkeypatch, tmp_path):
    from whoosh.filedb.filestore import FileStorage

    monkeypatch.setattr(runs, "CHUNK", 7)  # several chunks per run
    rng = random.Random(3)
    items = [
        (
            rng.choice(["body_en", "body_zh2", "spell"]),
            rng.randbytes(3),
            rng.randrange(500),
            1.0,
            b"v",
        )
        for _ in range(2000)
    ]
    pool = runs.ChunkedPostingPool(FileStorage(str(tmp_path)).create(), None, limitmb=1)
    pool.limit = 8000  # a run every ~60 postings
    for item in items:
        pool.add(item)
    assert len(pool.runs) > 20
    pool.reduce_to(3, 4)  # merged runs are written by the same code
    assert list(pool.items(maxfiles=2)) == sorted(items)
    assert not list(tmp_path.glob("*.run"))


@pytest.fixture
def whoosh_pool(monkeypatch):
    """Whoosh's own posting pool during the test (any build of the session installs ours),
    and whatever was in place before restored after it."""
    from whoosh import writing

    monkeypatch.setattr(writing, "PostingPool", writing.PostingPool)
    runs.uninstall()
    assert writing.PostingPool is not runs.ChunkedPostingPool


def test_install_replaces_whoosh_pool_for_new_writers_and_is_undone(whoosh_pool):
    from whoosh import fields, writing

    original = writing.PostingPool
    ix = RamStorage().create_index(fields.Schema(t=fields.TEXT))
    with runs.installed():
        w = ix.writer()
        try:
            assert isinstance(w.pool, runs.ChunkedPostingPool)
            assert writing.PostingPool is runs.ChunkedPostingPool
        finally:
            w.cancel()
    assert writing.PostingPool is original
    w = ix.writer()
    try:
        assert type(w.pool) is original
    finally:
        w.cancel()
