"""What ``indexer/whoosh_internals`` (the write side, and ``mlsearch check``'s reads) relies
on in whoosh's private API, one test each: when the pinned whoosh3 changes, the failure
names the thing that changed and the module that relies on it."""

from __future__ import annotations

import inspect
from importlib.metadata import version

import pytest
from whoosh import fields, writing
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.multiproc import MpWriter, SubWriterTask

WHOOSH = version("whoosh3")


def relies(ok: bool, what: str, module: str) -> None:
    assert ok, f"whoosh3 {WHOOSH} changed {what}: indexer/whoosh_internals/{module} relies on it"


def params(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


@pytest.fixture
def tiny(tmp_path):
    """A one-segment index: "patrol" in two documents, "labuan" in one."""
    ix = FileStorage(str(tmp_path)).create_index(
        fields.Schema(id=fields.ID(stored=True), t=fields.TEXT(phrase=True))
    )
    with ix.writer() as w:
        w.add_document(id="a", t="patrol boats off labuan")
        w.add_document(id="b", t="patrol drill")
    return ix


def test_the_pinned_version():
    relies(WHOOSH == "3.54.0", "its version (setup.cfg pins 3.54.0)", "__init__.py")


def test_posting_pool_run_methods():
    pool = writing.PostingPool
    for name, args in (
        ("__init__", ["self", "tempstore", "segment", "limitmb", "kwargs"]),
        ("_write_run", ["self", "f", "items"]),
        ("_read_run", ["self", "path"]),
        ("_open_run", ["self", "path"]),
        ("_remove_run", ["self", "path"]),
    ):
        relies(params(getattr(pool, name)) == args, f"PostingPool.{name}{tuple(args)}", "pool.py")


def test_posting_pool_writes_runs_through_write_run_and_reads_them_through_read_run(tmp_path):
    written, read = [], []

    class Spy(writing.PostingPool):
        def _write_run(self, f, items):
            items = list(items)
            written.append(len(items))
            super()._write_run(f, items)

        def _read_run(self, path):
            read.append(path)
            yield from super()._read_run(path)

    pool = Spy(FileStorage(str(tmp_path)).create(), None, limitmb=1)
    relies(
        hasattr(pool, "current") and hasattr(pool, "runs") and pool.limit == 2**20,
        "PostingPool's current, runs and limit (bytes)",
        "pool.py",
    )
    pool.limit = 300
    items = [("t", bytes([i]), i, 1.0, b"") for i in range(20)]
    for item in items:
        pool.add(item)
    relies(
        written and list(pool.items()) == items and read,
        "how PostingPool writes and reads its runs (_write_run, _read_run)",
        "pool.py",
    )


def test_segment_writer_takes_poolclass_and_builds_writing_posting_pool(monkeypatch):
    relies(
        {"poolclass", "limitmb"} <= set(params(writing.SegmentWriter.__init__)),
        "SegmentWriter.__init__'s poolclass and limitmb",
        "pool.py",
    )

    class Mine(writing.PostingPool):
        pass

    ix = RamStorage().create_index(fields.Schema(t=fields.TEXT))
    monkeypatch.setattr(writing, "PostingPool", Mine)
    w = writing.SegmentWriter(ix, poolclass=None)
    try:
        relies(
            type(w.pool) is Mine,
            "where SegmentWriter gets its pool (whoosh.writing.PostingPool at creation)",
            "pool.py (use_in_this_process)",
        )
        relies(
            hasattr(w, "_tempstorage") and hasattr(w, "newsegment"),
            "SegmentWriter's _tempstorage and newsegment",
            "pool.py (set_pool)",
        )
    finally:
        w.cancel()


def test_sub_writer_task_builds_its_writer_from_its_kwargs():
    relies(
        params(SubWriterTask.__init__)
        == ["self", "storage", "indexname", "jobqueue", "resultqueue", "kwargs", "multisegment"],
        "SubWriterTask.__init__'s arguments",
        "mpwriter.py (run_subwriter)",
    )
    relies(
        "SegmentWriter(ix, _lk=False, **self.kwargs)" in inspect.getsource(SubWriterTask.run),
        "how SubWriterTask.run creates its writer",
        "mpwriter.py (run_subwriter)",
    )
    relies(
        params(SubWriterTask._process_file) == ["self", "filename", "doc_count"],
        "SubWriterTask._process_file",
        "mpwriter.py",
    )


def test_mp_writer_internals_that_safe_mp_writer_overrides_or_uses(tiny):
    relies(
        {"procs", "batchsize", "subargs", "multisegment", "start_method"}
        <= set(params(MpWriter.__init__)),
        "MpWriter.__init__'s arguments",
        "mpwriter.py",
    )
    for name in (
        "_new_task",
        "_enqueue",
        "_commit",
        "cancel",
        "_merge_segments",
        "_finalize_segment",
        "_close_segment",
        "_commit_toc",
        "_finish",
        "temp_storage",
    ):
        relies(callable(getattr(MpWriter, name, None)), f"MpWriter.{name}", "mpwriter.py")
    relies(
        "self._commit(" in inspect.getsource(MpWriter.commit),
        "MpWriter.commit calling _commit",
        "mpwriter.py",
    )
    w = MpWriter(tiny, procs=2, batchsize=5, multisegment=True, start_method="fork", limitmb=8)
    try:
        for name in (
            "storage",
            "indexname",
            "jobqueue",
            "resultqueue",
            "subargs",
            "multisegment",
            "tasks",
            "procs",
            "docbuffer",
            "_mpctx",
            "_added",
        ):
            relies(hasattr(w, name), f"MpWriter's attribute {name}", "mpwriter.py")
        relies(
            w.subargs == {"limitmb": 8}, "MpWriter passing its kwargs on as subargs", "mpwriter.py"
        )
    finally:
        w.cancel()


def test_merge_small_merges_through_add_reader(tmp_path):
    """Six one-document commits: at the seventh whoosh's policy merges the small segments."""
    from indexer.whoosh_internals.merging import merge_small

    ix = FileStorage(str(tmp_path)).create_index(fields.Schema(t=fields.TEXT))
    said: list[str] = []
    for i in range(7):
        with ix.writer() as w:
            w.add_document(t=f"patrol {i}")
            w.mergetype = merge_small(said.append)
    relies(
        said == ["merging", "writing"] and len(ix._segments()) < 7,
        "MERGE_SMALL (segments merged through writer.add_reader)",
        "merging.py",
    )
    relies(ix.doc_count() == 7, "MERGE_SMALL (the writer's attributes)", "merging.py")


def test_segments_and_term_dictionary_of_an_index(tiny):
    from whoosh.reading import SegmentReader

    from indexer.whoosh_internals.segments import index_segments, term_entries

    segs = index_segments(tiny)
    relies(len(segs) == 1, "Index._segments()", "segments.py")
    seg = segs[0]
    relies(
        isinstance(seg.segment_id(), str) and not list(seg.deleted_docs() or ()),
        "Segment.segment_id and deleted_docs",
        "segments.py",
    )
    reader = SegmentReader(tiny.storage, tiny.schema, seg)
    try:
        entries = {key: info.doc_frequency() for key, info in term_entries(reader)}
    finally:
        reader.close()
    relies(
        entries.get(("t", b"patrol")) == 2 and entries.get(("id", b"a")) == 1,
        "SegmentReader._terms.items() (((field, bytes), TermInfo))",
        "segments.py",
    )


def test_posting_blocks_of_a_term(tiny):
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.reading import SegmentReader

    from indexer.whoosh_internals.segments import posting_blocks

    for name in ("_read_ids", "_read_weights", "_read_values", "_next_block"):
        relies(callable(getattr(W3LeafMatcher, name, None)), f"W3LeafMatcher.{name}", "segments.py")
    reader = SegmentReader(tiny.storage, tiny.schema, index_segments_of(tiny))
    try:
        fmt = tiny.schema["t"].format
        m = reader._terms.matcher("t", b"patrol", fmt)
        relies(
            isinstance(m, W3LeafMatcher)
            and all(hasattr(m, a) for a in ("_ids", "_weights", "_values", "_blocklength")),
            "W3LeafMatcher's block attributes (_ids, _weights, _values, _blocklength)",
            "segments.py",
        )
        blocks = list(posting_blocks(reader, "t", b"patrol", fmt))
        relies(
            [list(ids) for ids, _w, _v in blocks] == [[0, 1]] and len(blocks[0][2]) == 2,
            "reading a term's postings block by block",
            "segments.py",
        )
    finally:
        reader.close()


def index_segments_of(ix):
    return ix._segments()[0]


def test_a_single_posting_is_a_block_too(tiny):
    """whoosh3 3.54.0 never inlines postings in the term dictionary (inlinelimit=1 means
    fewer than one; a larger one fails, W3TermInfo has no set_inline): a one-posting term
    is read as a block of one, like any other."""
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.reading import SegmentReader

    from indexer.whoosh_internals.segments import posting_blocks

    reader = SegmentReader(tiny.storage, tiny.schema, index_segments_of(tiny))
    try:
        fmt = tiny.schema["t"].format
        relies(
            isinstance(reader._terms.matcher("t", b"labuan", fmt), W3LeafMatcher),
            "the matcher of a one-posting term",
            "segments.py",
        )
        blocks = list(posting_blocks(reader, "t", b"labuan", fmt))
        relies(
            [list(ids) for ids, _w, _v in blocks] == [[0]]
            and fmt.decode_positions(blocks[0][2][0]) == [3],
            "reading a one-posting term",
            "segments.py",
        )
    finally:
        reader.close()


def test_decoder_paths_name_whoosh_files_that_exist():
    import os

    from indexer.whoosh_internals.segments import decoder_paths

    for path in decoder_paths():
        relies(os.path.exists(path), f"its layout ({path})", "segments.py (decoder_paths)")
