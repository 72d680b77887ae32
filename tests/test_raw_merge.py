"""Merging segments block by block (``merging.RawMerge``): the merged segment holds exactly
the postings, term statistics and documents of the segments it replaces, and what the
posting pool's merge writes; whoosh's own reader opens it."""

from __future__ import annotations

import random
import shutil

import pytest
from whoosh import fields
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader

import indexer.whoosh_internals.merging as merging
from indexer.whoosh_internals import codec as mlcodec
from indexer.whoosh_internals.pool import ChunkedPostingPool, set_pool
from indexer.whoosh_internals.segments import posting_blocks, term_entries

WORDS = [f"w{i}" for i in range(40)]


def schema():
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        body=fields.TEXT(stored=True),  # positions: variable-length values
        tags=fields.KEYWORD(scorable=True),  # frequencies
        n=fields.NUMERIC(sortable=True, stored=True),  # a column
    )


def writer(ix):
    return set_pool(ix.writer(codec=mlcodec.MLCodec()), ChunkedPostingPool)


def build(path, sizes=(300, 7, 290, 140), seed=1):
    """An index of one segment per size: "common" in every document (several blocks per
    segment), a word every few documents, a word only once (a posting in its entry)."""
    rnd = random.Random(seed)
    path.mkdir()
    ix = FileStorage(str(path)).create_index(schema())
    doc = 0
    for size in sizes:
        w = writer(ix)
        for _ in range(size):
            words = ["common"] * rnd.randint(1, 3) + rnd.sample(WORDS, 5) + [f"only{doc}"]
            rnd.shuffle(words)
            tags = " ".join(rnd.sample(WORDS[:8], 2) + (["rare"] if doc % 97 == 0 else []))
            w.add_document(id=f"d{doc}", body=" ".join(words), tags=tags, n=doc)
            doc += 1
        w.commit(merge=False)
    return ix


def dump(ix) -> tuple[dict, dict, list, dict]:
    """Every term's postings (doc numbers across segments, deleted ones left out) and,
    for a one-segment index, its statistics; the documents; the fields' total lengths."""
    postings: dict = {}
    stats: dict = {}
    base = 0
    segs = ix._segments()
    for seg in segs:
        r = SegmentReader(ix.storage, ix.schema, seg)
        for (f, t), info in term_entries(r):
            got = postings.setdefault((f, t), [])
            for ids, weights, values in posting_blocks(r, f, t, ix.schema[f].format, info):
                for i, d in enumerate(ids):
                    if not seg.is_deleted(d):
                        got.append((d + base, float(weights[i]), values[i] or b""))
            if len(segs) == 1:
                stats[(f, t)] = (
                    info.doc_frequency(),
                    info.weight(),
                    info.max_weight(),
                    info.min_length(),
                    info.max_length(),
                    info.min_id(),
                    info.max_id(),
                )
        base += seg.doc_count_all()
        r.close()
    postings = {k: v for k, v in postings.items() if v}
    with ix.reader() as r:
        docs = [
            (r.stored_fields(d), r.doc_field_length(d, "body"), r.doc_field_length(d, "tags"))
            for d in r.all_doc_ids()
        ]
        docs.append(list(r.column_reader("n", translate=False)))
        totals = {f: r.field_length(f) for f in ("body", "tags")}
    return postings, stats, docs, totals


def merged(src, dest, raw: bool, monkeypatch) -> tuple:
    """``src`` copied to ``dest`` and merged into one segment, by blocks or by the pool;
    how many times the block merge ran."""
    shutil.copytree(src, dest)
    monkeypatch.setattr(merging, "RAW_MERGE", raw)
    runs = []
    merge = merging.RawMerge._merge
    monkeypatch.setattr(
        merging.RawMerge, "_merge", lambda self, *a: runs.append(1) or merge(self, *a)
    )
    ix = FileStorage(str(dest)).open_index()
    writer(ix).commit(mergetype=merging.optimize(lambda _phase: None))
    assert len(ix._segments()) == 1
    return ix, len(runs)


def test_a_raw_merge_holds_every_posting_of_the_segments_it_merges(tmp_path, monkeypatch):
    ix = build(tmp_path / "parts")
    before = dump(ix)
    assert len(before[0][("body", b"common")]) == 737  # several blocks in each segment
    one, runs = merged(tmp_path / "parts", tmp_path / "raw", True, monkeypatch)
    assert runs == 1
    after = dump(one)
    assert after[0] == before[0]
    assert after[2:] == before[2:]
    # and what the pool's merge writes, term statistics too
    pooled, runs = merged(tmp_path / "parts", tmp_path / "pool", False, monkeypatch)
    assert runs == 0
    assert after == dump(pooled)
    # whoosh's own reader and searcher read it
    with one.searcher() as s:
        from whoosh.query import Term

        assert s.search(Term("body", "common"), limit=None).scored_length() == 737
        assert [h["id"] for h in s.search(Term("body", "only400"))] == ["d400"]


def test_a_raw_merge_maps_deleted_documents_out(tmp_path, monkeypatch):
    ix = build(tmp_path / "parts", seed=2)
    w = ix.writer()
    for doc in (0, 5, 299, 300, 301, 306, 400, 736):  # first, last, a whole small segment
        w.delete_by_term("id", f"d{doc}")
    w.commit(merge=False)
    before = dump(ix)
    one, runs = merged(tmp_path / "parts", tmp_path / "raw", True, monkeypatch)
    assert runs == 1
    pooled, _ = merged(tmp_path / "parts", tmp_path / "pool", False, monkeypatch)
    after = dump(one)
    assert after == dump(pooled)
    # the unmerged index numbers documents with the deleted ones still counted
    renumber = {d: i for i, d in enumerate(sorted({d for v in before[0].values() for d, *_ in v}))}
    assert after[0] == {k: [(renumber[d], *rest) for d, *rest in v] for k, v in before[0].items()}
    assert ("body", b"only400") not in after[0]
    assert one.doc_count() == 737 - 8


def test_a_merge_with_documents_of_its_own_goes_through_the_pool(tmp_path, monkeypatch):
    build(tmp_path / "parts")
    ix = FileStorage(str(tmp_path / "parts")).open_index()
    runs = []
    merge = merging.RawMerge._merge
    monkeypatch.setattr(
        merging.RawMerge, "_merge", lambda self, *a: runs.append(1) or merge(self, *a)
    )
    w = writer(ix)
    w.add_document(id="new", body="common fresh", tags="w1", n=10_000)
    w.commit(mergetype=merging.optimize(lambda _phase: None))
    assert runs == []
    with ix.searcher() as s:
        from whoosh.query import Term

        assert s.search(Term("body", "common"), limit=None).scored_length() == 738


class _File:
    def __init__(self, data: bytes):
        self.data = data

    def get(self, pos, n):
        return self.data[pos : pos + n]


def _read_back(data: bytes, fmt) -> list:
    m = mlcodec.MLLeafMatcher(_File(data), 0, len(data), fmt)
    out = []
    while m.is_active():
        out.append((m.id(), m.weight(), m.value()))
        m.next()
    return out


@pytest.mark.parametrize("add", [0, 3, 70_000])
@pytest.mark.parametrize("count", [1, 5, 300])
def test_rebased_blocks_read_back_renumbered(add, count):
    """A term's blocks with ``add`` added to its first block (the array of deltas widened
    when needed, deflated again) and its last-block flag moved: what the reader sees."""
    fmt = fields.TEXT().format
    ids = [2 + 3 * i for i in range(count)]
    weights = [float(1 + i % 3) for i in range(count)]
    values = [fmt.encode([1, 5, 9][: 1 + i % 3]) for i in range(count)]
    lengths = [10 + i % 50 for i in range(count)]
    blocks = b"".join(mlcodec.encoded_postings(ids, weights, values, lengths, fmt, 0, True))
    spans = mlcodec.block_spans(blocks)
    assert len(spans) == -(-count // mlcodec.BLOCK_LIMIT)
    nxt = spans[1][0] if len(spans) > 1 else len(blocks)
    # the term's postings followed by another part's: the last block is not the last
    head = mlcodec.rebased_block(blocks, spans[0], nxt, add, last=False)
    if len(spans) > 1:
        tail = mlcodec.rebased_block(blocks, spans[-1], len(blocks), 0, last=False)
        head += blocks[nxt : spans[-1][0]] + tail
    more = mlcodec.encoded_postings(
        [ids[-1] + add + 1], [2.0], [values[0]], [3], fmt, ids[-1] + add, True
    )
    got = _read_back(head + b"".join(more), fmt)
    want = [(d + add, w, v) for d, w, v in zip(ids, weights, values, strict=True)]
    assert got == [*want, (ids[-1] + add + 1, 2.0, values[0])]
    assert [s[1] & 1 for s in mlcodec.block_spans(head + b"".join(more))][-1] == 1


def test_a_rebased_entry_moves_its_postings_and_doc_numbers():
    ti = mlcodec.MLTermInfo()
    ti._df, ti._weight, ti._maxweight = 5, 7.0, 3.0
    ti._minlength, ti._maxlength, ti._minid, ti._maxid = 4, 90, 10, 50
    ti.set_extent(1234, 77)
    got = mlcodec.MLTermInfo.from_bytes(mlcodec.rebased_entry(ti.to_bytes(), 100, 999, 88))
    assert (got._minid, got._maxid, got.extent(), got._df, got._weight) == (
        110,
        150,
        (999, 88),
        5,
        7.0,
    )
    one = mlcodec.MLTermInfo()
    one._df, one._weight, one._maxweight, one._minid, one._maxid = 1, 2.5, 2.5, 7, 7
    one._minlength = one._maxlength = 3
    one.set_single(b"xyz")
    got = mlcodec.MLTermInfo.from_bytes(mlcodec.rebased_entry(one.to_bytes(), 1000))
    assert (got._minid, got._value, got._weight) == (1007, b"xyz", 2.5)


@pytest.mark.parametrize("beside", ["1", "0"], ids=["beside-the-writers", "after-them"])
def test_a_parallel_runs_last_merge_goes_by_blocks(tmp_path, monkeypatch, beside):
    """A parallel run's commits merge old segments in the parent, block by block, after
    the sub-processes write (or after they exit, ``MLSEARCH_MERGE_BESIDE=0``): the index
    answers as the one merged through the pool does (scores too: a merged segment keeps
    its documents' lengths as whoosh rounds them, either way)."""
    import indexer.write.build as build
    from indexer.write.build import build_index

    from .test_parallel import ROOTS, segments, snapshot

    monkeypatch.setattr(build, "PARALLEL_BYTES", 0)
    monkeypatch.setenv("MLSEARCH_PROCS", "2")
    monkeypatch.setenv("MLSEARCH_COMMIT_EVERY", "6")
    monkeypatch.setenv("MLSEARCH_COMMIT_GROWTH", "1")
    monkeypatch.setattr(merging, "RAW_MERGE", False)
    pooled = build_index(ROOTS, tmp_path / "pool")
    monkeypatch.setattr(merging, "RAW_MERGE", True)
    monkeypatch.setenv("MLSEARCH_MERGE_BESIDE", beside)
    runs = []
    merge = merging.RawMerge._merge
    monkeypatch.setattr(
        merging.RawMerge, "_merge", lambda self, *a: runs.append(1) or merge(self, *a)
    )
    raw = build_index(ROOTS, tmp_path / "raw")
    assert runs  # the parent merged by blocks
    assert raw.added == pooled.added
    assert segments(tmp_path / "raw") == segments(tmp_path / "pool") <= 3
    assert snapshot(tmp_path / "raw") == snapshot(tmp_path / "pool")
