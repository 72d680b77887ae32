"""Whoosh's private API as the read side relies on it (indexer/whoosh_internals/).

Each test checks one private thing of the pinned Whoosh that postings.py, columns.py or
collector.py reads or overrides, against Whoosh's public answer for the same data, and
fails with a message naming the module to fix when an upgrade changes it.
"""

from __future__ import annotations

import datetime as dt
from importlib.metadata import version

import pytest
from whoosh import fields, index
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher

from indexer.whoosh_internals import collector, columns, postings
from indexer.whoosh_internals.codec import CompactPositions, MLCodec

WHOOSH = f"whoosh3 {version('whoosh3')}"
DOCS = 300  # more than one posting block (whoosh3 writes 128 postings a block)


def changed(what: str, module: str) -> str:
    return f"{WHOOSH} changed {what}: indexer/whoosh_internals/{module} relies on it"


@pytest.fixture(scope="module", params=["whoosh3", "mlsearch"])
def ix(tmp_path_factory, request):
    """One segment: every document has ``common``, every third ``rare``; dates on all but
    every fifth, group labels on every seventh; one document deleted. Written with
    whoosh3's codec and with mlsearch's (``codec.py``, whose matchers are W3LeafMatchers)."""
    body = fields.TEXT(phrase=True)
    codec = None
    if request.param == "mlsearch":
        body.format = CompactPositions(field_boost=body.format.field_boost)
        codec = MLCodec()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        body=body,
        date=fields.DATETIME(stored=True, sortable=True),
        dup=fields.ID(stored=True, sortable=True),
        lang=fields.KEYWORD(scorable=False),
    )
    folder = tmp_path_factory.mktemp("internals")
    ix = index.create_in(folder, schema)
    with ix.writer(codec=codec) as w:
        for i in range(DOCS):
            doc = {"id": f"d{i}", "body": "common " * (1 + i % 4) + ("rare" if i % 3 == 0 else "")}
            if i % 5:
                doc["date"] = dt.datetime(2025, 1, 1) + dt.timedelta(days=i)
            if i % 7 == 0:
                doc["dup"] = f"group{i % 2}"
            doc["lang"] = "en"
            w.add_document(**doc)
    with ix.writer(codec=codec) as w:
        w.delete_by_term("id", "d3")
    yield ix
    ix.close()


@pytest.fixture()
def leaf(ix):
    with ix.reader() as reader:
        (only, _offset), *more = list(reader.leaf_readers())
        assert not more
        yield only


def public_postings(leaf, fieldname: str, text: str):
    """(id, weight, value) of every posting, deleted documents included, the public way."""
    m = postings.term_matcher(leaf, fieldname, postings.term_bytes(leaf, fieldname, text))
    out = []
    while m.is_active():
        out.append((m.id(), m.weight(), m.value()))
        m.next()
    return out


def test_segment_term_matcher(leaf):
    assert hasattr(leaf, "_terms"), changed("SegmentReader._terms", "postings.py")
    assert hasattr(leaf, "_text_to_bytes"), changed("IndexReader._text_to_bytes", "postings.py")
    btext = postings.term_bytes(leaf, "body", "common")
    assert btext == leaf.schema["body"].to_bytes("common"), changed(
        "IndexReader._text_to_bytes", "postings.py"
    )
    m = postings.term_matcher(leaf, "body", btext)
    assert isinstance(m, W3LeafMatcher), changed(
        "the matcher of SegmentReader._terms.matcher (not W3LeafMatcher)", "postings.py"
    )
    assert len(list(m.all_ids())) == DOCS, changed(
        "SegmentReader._terms.matcher (deleted documents left out?)", "postings.py"
    )


@pytest.mark.parametrize(
    "attr", ["_ids", "_weights", "_values", "_maxid", "_read_ids", "_read_weights"]
)
def test_leaf_matcher_block_attributes(leaf, attr):
    m = postings.term_matcher(leaf, "body", postings.term_bytes(leaf, "body", "common"))
    assert hasattr(m, attr), changed(f"W3LeafMatcher.{attr}", "postings.py")
    for name in ("_read_values", "_next_block"):
        assert callable(getattr(m, name, None)), changed(f"W3LeafMatcher.{name}", "postings.py")


@pytest.mark.parametrize("text", ["common", "rare"])
def test_posting_blocks_read_what_the_matcher_steps_through(leaf, text):
    want = public_postings(leaf, "body", text)
    m = postings.term_matcher(leaf, "body", postings.term_bytes(leaf, "body", text))
    blocks = postings.posting_blocks(m)
    assert blocks is not None, changed("W3LeafMatcher", "postings.py")
    got, n_blocks = [], 0
    while blocks.active():
        ids = list(blocks.ids())
        assert blocks.max_id() == max(ids), changed("W3LeafMatcher._maxid", "postings.py")
        got.extend(zip(ids, blocks.weights(), blocks.values(), strict=True))
        n_blocks += 1
        blocks.next()
    assert got == want, changed(
        "W3LeafMatcher's block arrays (_ids, _weights, _values, _next_block)", "postings.py"
    )
    if text == "common":
        assert n_blocks > 1, "the fixture must have more than one posting block"


def test_posting_values_decode_to_positions(leaf):
    m = postings.term_matcher(leaf, "body", postings.term_bytes(leaf, "body", "common"))
    blocks = postings.posting_blocks(m)
    decode = leaf.schema["body"].format.decode_positions
    public = leaf.postings("body", "common")
    want = public.value_as("positions")
    assert decode(blocks.values()[0]) == want, changed(
        "the encoding of W3LeafMatcher._values (positions)", "postings.py"
    )


def test_live_doc_frequency_leaves_out_deleted_documents(ix):
    with ix.reader() as reader:
        assert reader.has_deletions()
        assert reader.doc_frequency("body", "rare") == DOCS // 3  # whoosh counts d3
        assert postings.live_doc_frequency(reader, "body", "rare") == DOCS // 3 - 1, changed(
            "posting blocks of a segment with deletions", "postings.py"
        )
        assert postings.live_doc_frequency(reader, "body", "common") == DOCS - 1


def test_numeric_column_read_whole(leaf):
    column = leaf.column_reader("date", translate=False)
    for attr in ("_count", "_fixedlen", "_dbfile", "_basepos", "_typecode", "_default"):
        assert hasattr(column, attr), changed(f"the numeric column reader's {attr}", "columns.py")
    assert hasattr(column, "_doccount"), changed("the column reader's _doccount", "columns.py")
    values = columns.column_values(column)
    assert list(values) == [column[i] for i in range(DOCS)], changed(
        "the numeric column file layout", "columns.py"
    )
    undated = columns.column_default(column)
    assert values[0] == undated and values[1] != undated, changed(
        "the numeric column's _default (an undated article's value)", "columns.py"
    )


def test_var_bytes_column_read_whole(leaf):
    column = leaf.column_reader("dup", translate=False)
    assert type(column).__name__ == "Reader" and hasattr(column, "_offsets"), changed(
        "the variable-length bytes column reader (type Reader with _offsets)", "columns.py"
    )
    for attr in ("_lengths", "_dbfile", "_basepos"):
        assert hasattr(column, attr), changed(f"the bytes column reader's {attr}", "columns.py")
    data, starts, lengths = columns.var_bytes(column)
    got = [data[starts[i] : starts[i] + lengths[i]] for i in range(DOCS)]
    assert got == [column[i] or b"" for i in range(DOCS)], changed(
        "the variable-length bytes column file layout", "columns.py"
    )


def test_field_lengths(leaf):
    assert hasattr(leaf, "_perdoc") and hasattr(leaf._perdoc, "_cached_reader"), changed(
        "SegmentReader._perdoc._cached_reader", "columns.py"
    )
    lengths = columns.field_lengths(leaf, "body")
    got = [columns.LENGTH_OF_BYTE[b] for b in lengths]
    assert got == [leaf.doc_field_length(d, "body") for d in range(DOCS)], changed(
        "the field length column (_lenfield, LENGTHS_COLUMN, byte_to_length)", "columns.py"
    )
    assert columns.field_lengths(leaf, "lang") == bytes(DOCS)  # a field without lengths


class _Every(collector.ScoredMatchCollector):
    def __init__(self):
        super().__init__()
        self.got = {}

    def add(self, global_docnum, score):
        self.got[global_docnum] = score
        return 0 - score

    def count(self):
        return len(self.got)

    def results(self):
        items = sorted(((s, d) for d, s in self.got.items()), key=lambda x: (-x[0], x[1]))
        return self.results_of(items)


def test_collector_hooks(ix):
    q = wq.Term("body", "rare")
    with ix.searcher() as searcher:
        top = _Every()
        searcher.search_with_collector(q, top)
        want = searcher.search(q, limit=None)
        want_scores = {want.docnum(i): want.score(i) for i in range(len(want))}
        assert top.got == want_scores, changed(
            "ScoredCollector._collect(global_docnum, score), the hook its collect() calls",
            "collector.py",
        )
        results = top.results()
        assert [results.docnum(i) for i in range(len(results))] == [
            want.docnum(i) for i in range(len(want))
        ], changed("Collector._results(items)", "collector.py")
        assert results.score(0) == want.score(0), changed("Collector._results", "collector.py")
        assert top.top_searcher is searcher, changed(
            "Collector.prepare's top_searcher", "collector.py"
        )
