"""The reading side of mlsearch's codec as the block scorer uses it: a block's ids and
weights are decoded without its values (positions), which are decoded when asked for and
read back as whoosh's own matcher gives them."""

from __future__ import annotations

import random

import pytest
from whoosh import fields, index

from indexer.whoosh_internals.codec import CompactPositions, MLCodec
from indexer.whoosh_internals.postings import posting_blocks, term_matcher


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    body = fields.TEXT(phrase=True)
    body.format = CompactPositions(field_boost=body.format.field_boost)
    schema = fields.Schema(id=fields.ID(stored=True), body=body, freq=fields.TEXT(phrase=False))
    ix = index.create_in(tmp_path_factory.mktemp("reading"), schema)
    rnd = random.Random(3)
    with ix.writer(codec=MLCodec()) as w:
        for i in range(600):
            words = [f"w{min(int(rnd.paretovariate(0.8)), 30)}" for _ in range(rnd.randint(1, 80))]
            w.add_document(id=f"d{i}", body=" ".join(words), freq=" ".join(words[:10]))
    yield ix
    ix.close()


@pytest.mark.parametrize("fieldname", ["body", "freq"])
def test_values_are_decoded_when_asked_for(ix, fieldname):
    with ix.reader() as r:
        text = b"w1"
        assert r.doc_frequency(fieldname, text) > 128  # several blocks
        expected = []
        m = r.postings(fieldname, text)
        while m.is_active():
            expected.append((m.id(), m.weight(), m.value()))
            m.next()
        blocks = posting_blocks(term_matcher(r, fieldname, text))
        got = []
        decoded = n = 0
        while blocks.active():
            n += 1
            ids, weights = blocks.ids(), blocks.weights()
            assert blocks._m._data[2] is None  # values left encoded
            if n % 2:  # every other block: its values too
                values = blocks.values()
                decoded += 1
                got.extend(zip(ids, weights, values, strict=True))
            else:
                got.extend((d, w, None) for d, w in zip(ids, weights, strict=True))
            blocks.next()
        assert 1 <= decoded < n
        for (d, w, v), (ed, ew, ev) in zip(got, expected, strict=True):
            assert (d, w) == (ed, ew)
            assert v is None or v == ev


@pytest.mark.parametrize("fieldname", ["body", "freq"])
def test_some_values_cut_from_a_block_are_whoosh_values(ix, fieldname):
    """``values_at``: a few postings' values (positions) cut from a block, and every
    one's when many are asked, are those whoosh's matcher gives; the block's other
    values stay encoded when few are asked."""
    rnd = random.Random(7)
    with ix.reader() as r:
        text = b"w1"
        m = r.postings(fieldname, text)
        expected = {}
        while m.is_active():
            expected[m.id()] = m.value()
            m.next()
        blocks = posting_blocks(term_matcher(r, fieldname, text))
        while blocks.active():
            ids = blocks.ids()
            for many in (1, 3, len(ids)):
                ks = sorted(rnd.sample(range(len(ids)), min(many, len(ids))))
                got = blocks.values_at(ks)
                assert got == [expected[ids[k]] for k in ks]
                if fieldname == "body" and many < len(ids) // 4:  # positions
                    assert blocks._m._data[2] is None
            blocks.next()


def test_values_alone_decode_the_block(ix):
    with ix.reader() as r:
        blocks = posting_blocks(term_matcher(r, "body", b"w2"))
        values = blocks.values()  # before ids or weights
        m = r.postings("body", b"w2")
        assert values[0] == m.value()
        assert blocks.ids()[0] == m.id()


def test_term_entries_kept_by_key_read_as_the_dictionary_has_them(ix, monkeypatch):
    with ix.reader() as r:
        table = r._terms._tindex
        table._keys.clear()
        monkeypatch.setattr(table, "_KEYS", 5)  # cleared when full: kept and re-read alike
        terms = [(f, t) for f, t in r.all_terms() if f in ("body", "freq")][:12]
        for _ in range(3):
            for fieldname, text in terms + [("body", b"nothere")]:
                key = r._terms._keycoder(fieldname, text)
                assert table.get(key) == table._lookup(key)
                assert len(table._keys) <= 5
        for fieldname, text in terms:
            assert r.doc_frequency(fieldname, text) == sum(
                1 for _ in r.postings(fieldname, text).all_ids()
            )
        assert r.doc_frequency("body", "nothere") == 0


def test_positioned_reads_give_whoosh_reads(ix):
    """``fast_get`` (one ``os.pread``) reads what whoosh's ``StructFile.get`` reads, at
    any position of a compound segment's sub-file, clamped at its end alike."""
    from whoosh.filedb.filestore import FileStorage

    from indexer.whoosh_internals.codec import fast_get

    with ix.reader() as r:  # whoosh's own storage maps the file: its reads are kept
        assert fast_get(r._terms._postfile) == r._terms._postfile.get
    rnd = random.Random(5)
    plain = FileStorage(ix.storage.folder, supports_mmap=False).open_index()  # mlsearch's
    with plain.reader() as r:
        for f in (r._terms._postfile, r._terms._dbfile):
            get = fast_get(f)
            assert get is not f.get and get.__name__ == "got"  # the pread path
            assert fast_get(f) is get  # made once per file
            size = f.file._length
            for _ in range(500):
                at, n = rnd.randrange(size), rnd.randrange(300)
                assert get(at, n) == f.get(at, n)
            assert get(size - 3, 50) == f.get(size - 3, 50)
            assert len(get(size - 3, 50)) == 3
            assert get(size, 10) == f.get(size, 10) == b""


def test_stored_records_read_as_whoosh_reads_them(ix):
    """``stored_record`` reads a segment's per-document reader directly: the records
    whoosh's ``stored_fields`` gives, for mlsearch's readers and whoosh's own."""
    from indexer.whoosh_internals.codec import MLPerDocReader, stored_record

    with ix.reader() as r:
        assert type(r._perdoc) is MLPerDocReader
        for d in (0, 1, 299, 599):
            assert stored_record(r, d) == r.stored_fields(d) == {"id": f"d{d}"}

    class Other:  # any other reader: its own stored_fields
        def stored_fields(self, docnum):
            return {"id": f"other{docnum}"}

    assert stored_record(Other(), 3) == {"id": "other3"}
