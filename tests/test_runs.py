"""The chunked posting pool gives back every posting, sorted, however many runs it wrote,
and goes only to mlsearch's own writers."""

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


def test_our_writers_get_the_chunked_pool_and_whoosh_is_left_alone(tmp_path, monkeypatch):
    """The pool goes in through the writer (the poolclass seam), never by patching whoosh
    for the whole process: a plain whoosh writer keeps whoosh's pool, after a build in one
    process or several too."""
    from whoosh import fields, writing

    import indexer.write.build as build
    from indexer.write.build import build_index

    from .conftest import NEWS

    original = writing.PostingPool
    ix = RamStorage().create_index(fields.Schema(t=fields.TEXT))
    w = runs.set_pool(ix.writer(poolclass=runs.ChunkedPostingPool), runs.ChunkedPostingPool)
    try:
        assert isinstance(w.pool, runs.ChunkedPostingPool)
    finally:
        w.cancel()
    monkeypatch.setattr(build, "PARALLEL_BYTES", 0)
    for procs in ("1", "2"):
        monkeypatch.setenv("MLSEARCH_PROCS", procs)
        build_index([NEWS], tmp_path / f"ix{procs}")
        assert writing.PostingPool is original
    w = ix.writer()
    try:
        assert type(w.pool) is original
    finally:
        w.cancel()


def test_sub_processes_write_their_runs_with_the_chunked_pool(tmp_path, monkeypatch):
    import os

    from whoosh.multiproc import SubWriterTask

    import indexer.write.build as build
    from indexer.write.build import build_index

    from .conftest import NEWS

    seen = tmp_path / "pools"
    seen.mkdir()
    real = SubWriterTask._process_file

    def record(self, filename, doc_count):  # runs in the forked sub-process
        (seen / str(os.getpid())).write_text(type(self.writer.pool).__name__)
        return real(self, filename, doc_count)

    monkeypatch.setattr(SubWriterTask, "_process_file", record)
    monkeypatch.setattr(build, "PARALLEL_BYTES", 0)
    monkeypatch.setenv("MLSEARCH_PROCS", "2")
    build_index([NEWS], tmp_path / "ix")
    assert {p.read_text() for p in seen.iterdir()} == {"ChunkedPostingPool"}


def test_a_writer_that_has_added_postings_keeps_its_pool():
    from whoosh import fields

    ix = RamStorage().create_index(fields.Schema(t=fields.TEXT))
    w = ix.writer()
    try:
        w.add_document(t="patrol boats")
        with pytest.raises(ValueError, match="added postings"):
            runs.set_pool(w, runs.ChunkedPostingPool)
    finally:
        w.cancel()


def test_postings_in_memory_come_back_sorted_in_any_order_added(tmp_path):
    """The pool groups postings by term as they come (no sort of every posting): added in
    doc-number order or not, with no run written, they come back in whoosh's order."""
    from whoosh.filedb.filestore import FileStorage

    rng = random.Random(5)
    items = [
        (rng.choice(["body_en", "spell"]), rng.randbytes(1), d, 1.0, b"")
        for d in range(300)
        for _ in range(3)
    ]
    in_order = runs.ChunkedPostingPool(FileStorage(str(tmp_path)).create(), None, limitmb=1)
    for item in items:
        in_order.add(item)
    assert not in_order.runs
    assert list(in_order.items()) == sorted(items)
    shuffled = list(items)
    rng.shuffle(shuffled)
    pool = runs.ChunkedPostingPool(FileStorage(str(tmp_path)).create(), None, limitmb=1)
    for item in shuffled:
        pool.add(item)
    assert list(pool.items()) == sorted(items)


def test_terms_come_whole_from_memory(tmp_path):
    """With no run written, ``iter_postings()`` hands the segment writer whole terms
    (``groups()``): each term once, sorted, its postings in doc-number order, the same
    postings as iterating gives; with runs, whoosh's sorted postings."""
    from whoosh.filedb.filestore import FileStorage

    rng = random.Random(9)
    items = []
    for d in range(400):
        for t in rng.sample(range(60), 4):
            items.append(("body_en" if t % 3 else "spell", b"t%d" % t, d, float(t % 4 + 1), b""))
    pool = runs.ChunkedPostingPool(FileStorage(str(tmp_path)).create(), None, limitmb=1)
    for item in items:
        pool.add(item)
    assert not pool.runs
    groups = list(pool.iter_postings().groups())
    keys = [(f, t) for f, t, *_ in groups]
    assert keys == sorted(set(keys)) == sorted({(i[0], i[1]) for i in items})
    flat = [
        (f, t, d, w, v) for f, t, ids, ws, vs in groups for d, w, v in zip(ids, ws, vs, strict=True)
    ]
    assert flat == sorted(items)
    pool = runs.ChunkedPostingPool(FileStorage(str(tmp_path)).create(), None, limitmb=1)
    pool.limit = 20_000
    for item in items:
        pool.add(item)
    assert len(pool.runs) > 5
    assert list(pool.iter_postings()) == sorted(items)
    assert not list(tmp_path.glob("*.run"))


def test_runs_out_of_doc_order_still_come_back_sorted(tmp_path):
    """Postings added with doc numbers going back (not what a writer does) are sorted
    again, within a run and across runs."""
    from whoosh.filedb.filestore import FileStorage

    rng = random.Random(4)
    items = [("f", b"t%d" % rng.randrange(5), rng.randrange(1000), 1.0, b"") for _ in range(600)]
    pool = runs.ChunkedPostingPool(FileStorage(str(tmp_path)).create(), None, limitmb=1)
    pool.limit = 5_000
    for item in items:
        pool.add(item)
    assert len(pool.runs) > 3
    assert list(pool.iter_postings()) == sorted(items)


def test_terms_come_whole_from_runs_too(tmp_path, monkeypatch):
    """With runs written, ``iter_postings().groups()`` still gives each term once, sorted,
    its postings from every run joined in doc-number order: the same postings as whoosh's
    sorted tuples, also after ``reduce_to`` merged runs out of doc order."""
    from whoosh.filedb.filestore import FileStorage

    rng = random.Random(11)
    items = []
    for d in range(500):
        for t in rng.sample(range(40), 5):
            items.append(("body_en" if t % 3 else "spell", b"t%d" % t, d, float(t % 4 + 1), b"x"))
    for maxfiles in (128, 3):
        pool = runs.ChunkedPostingPool(FileStorage(str(tmp_path)).create(), None, limitmb=1)
        pool.limit = 15_000
        for item in items:
            pool.add(item)
        assert len(pool.runs) > 5
        groups = list(pool._merged_groups(maxfiles))
        keys = [(f, t) for f, t, *_ in groups]
        assert keys == sorted(set(keys))
        flat = [
            (f, t, d, w, v)
            for f, t, ids, ws, vs in groups
            for d, w, v in zip(ids, ws, vs, strict=True)
        ]
        assert flat == sorted(items)
    assert not list(tmp_path.glob("*.run"))


def test_add_terms_holds_what_add_holds(tmp_path):
    """A document's postings in one field at once (``add_terms``: str terms encoded, or
    bytes as ``FieldType.index`` gives them; weights times the boost; the frequencies
    summed) are the postings ``add`` takes one at a time."""
    from whoosh.filedb.filestore import FileStorage

    store = FileStorage(str(tmp_path)).create()
    one = runs.ChunkedPostingPool(store, None, limitmb=1)
    whole = runs.ChunkedPostingPool(store, None, limitmb=1)
    rng = random.Random(2)
    for d in range(50):
        words = rng.sample(["ala", "bé", "东盟", "z"], 3)
        items = [(w, i + 1, float(i + 1), bytes((0, i))) for i, w in enumerate(words)]
        for w, _f, weight, v in items:
            one.add(("body_en", w.encode("utf-8"), d, weight * 2.0, v))
        assert whole.add_terms("body_en", d, items, 2.0, True) == 6
        b_items = [(w.encode("utf-8"), f, wt, v) for w, f, wt, v in items]
        for w, _f, weight, v in b_items:
            one.add(("spell", w, d, weight, v))
        assert whole.add_terms("spell", d, b_items, 1.0, False) == 6
    assert list(whole.items()) == list(one.items())


def _mlsearch_segment(folder, writer_class, pool_limit):
    """Every file of one segment (not compound) written with mlsearch's schema and codec
    from documents made of the repository's corpus and the test articles, by
    ``writer_class`` with whoosh's own pool (``pool_limit`` None) or mlsearch's, whose
    ``pool_limit`` makes it write runs or not. Returns ``({suffix: bytes}, runs)``."""
    from pathlib import Path

    from whoosh import index

    from indexer.article import Article
    from indexer.schema import make_codec, make_schema
    from indexer.write.document import article_document

    here = Path(__file__).parent
    texts = sorted(here.parent.glob("corpus/*.txt")) + sorted(here.glob("fixtures/news/*/*.txt"))
    paras = [p for f in texts for p in f.read_text(encoding="utf-8").split("\n") if p.strip()]
    rng = random.Random(7)
    ix = index.create_in(folder, make_schema())
    w = writer_class(ix, codec=make_codec(), compound=False)
    if pool_limit is not None:
        runs.set_pool(w, runs.ChunkedPostingPool).pool.limit = pool_limit
    for n in range(120):
        title = rng.choice(paras)[:80]
        body = "\n".join(rng.sample(paras, 4))
        a = Article(id=f"a{n}", title=title, body=body, path=f"a{n}.txt")
        w.add_document(**article_document(a, "/corpus", f"h{n}"))
    nruns = len(w.pool.runs)
    w.commit()
    ix.close()
    out = {}
    for path in folder.iterdir():
        if path.suffix not in (".toc", ".seg") and not path.name.endswith("LOCK"):
            out[path.name.split(".", 1)[1] if "." in path.name else path.name] = path.read_bytes()
    return out, nruns


def test_term_segment_writer_writes_the_segment_whooshs_add_document_writes(tmp_path):
    """``mpwriter.TermSegmentWriter`` (each field's postings to the pool at once) and the
    pool's runs of whole terms write the very files whoosh's ``SegmentWriter`` with its
    own pool writes: term dictionary, postings, lengths, stored fields, columns."""
    from whoosh.writing import SegmentWriter

    from indexer.whoosh_internals.mpwriter import TermSegmentWriter

    for name in ("whoosh", "terms", "runs"):
        (tmp_path / name).mkdir()
    expected, _ = _mlsearch_segment(tmp_path / "whoosh", SegmentWriter, None)
    assert {".trm", ".pst"} <= {"." + k.rsplit(".", 1)[-1] for k in expected}
    got, nruns = _mlsearch_segment(tmp_path / "terms", TermSegmentWriter, 1 << 30)
    assert nruns == 0
    assert got == expected
    got, nruns = _mlsearch_segment(tmp_path / "runs", TermSegmentWriter, 60_000)
    assert nruns > 3
    assert got == expected
