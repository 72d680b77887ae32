"""mlsearch's Whoosh codec (indexer/whoosh_internals/codec.py): every posting, term and
statistic reads back as whoosh3's own codec gives it, Whoosh's own reader and searcher
open an mlsearch index, damage is reported as damage, and the index is smaller."""

from __future__ import annotations

import io
import random

import pytest
from whoosh import fields, index
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec
from whoosh.qparser import QueryParser
from whoosh.reading import CorruptIndexError

from indexer.whoosh_internals import codec as mlcodec
from indexer.whoosh_internals.codec import CompactPositions, MLCodec

WORDS = [f"w{i}" for i in range(400)]


def _schema(compact: bool) -> fields.Schema:
    body = fields.TEXT(phrase=True)
    title = fields.TEXT(phrase=True, field_boost=1.5)  # weights that are not whole
    if compact:
        body.format = CompactPositions(field_boost=body.format.field_boost)
        title.format = CompactPositions(field_boost=title.format.field_boost)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        body=body,
        title=title,
        freq=fields.TEXT(phrase=False),  # Frequency
        tags=fields.KEYWORD(scorable=False),  # Existence
        band=fields.KEYWORD(scorable=False),  # one unique term an article
        blob=fields.STORED(),  # bytes, as the compressed bodies are
    )


def _docs(n: int = 700):
    rnd = random.Random(15)
    for i in range(n):
        # a Zipf-ish draw: a few words in most articles (several blocks), most rare
        body = [
            WORDS[min(int(rnd.paretovariate(0.7)) - 1, 399)] for _ in range(rnd.randint(1, 300))
        ]
        if i % 50 == 0:
            body += ["far"] + ["xx"] * 70000 + ["far"]  # positions past a short's range
        yield {
            "id": f"d{i}",
            "body": " ".join(body),
            "title": " ".join(rnd.sample(WORDS[:40], 3)),
            "freq": " ".join(body[:20]),
            "tags": " ".join(rnd.sample(["a", "b", "c", "d"], 2)),
            "band": f"band{i}",
            "blob": rnd.randbytes(rnd.randint(0, 600)),
        }


def _build(folder, compact: bool):
    ix = index.create_in(folder, _schema(compact))
    codec = MLCodec() if compact else W3Codec()
    for part in (_docs(400), list(_docs(700))[400:]):  # two segments, then merged
        with ix.writer(codec=codec) as w:
            for doc in part:
                w.add_document(**doc)
    with ix.writer(codec=codec) as w:
        w.delete_by_term("id", "d7")
    return ix


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    w3 = _build(tmp_path_factory.mktemp("w3"), compact=False)
    ml = _build(tmp_path_factory.mktemp("ml"), compact=True)
    yield w3, ml
    w3.close()
    ml.close()


def _all_postings(reader, fieldname, text):
    m = reader.postings(fieldname, text)
    out = []
    fmt = reader.schema[fieldname].format
    while m.is_active():
        value = m.value_as("positions") if fmt.supports("positions") else None
        out.append((m.id(), m.weight(), value))
        m.next()
    return out


def test_every_term_and_posting_reads_back_as_whoosh3s(pair):
    w3, ml = pair
    assert [type(s.codec()) for s in ml._segments()] == [MLCodec] * len(ml._segments())
    with w3.reader() as a, ml.reader() as b:
        terms = list(a.all_terms())
        assert terms == list(b.all_terms())
        assert len(terms) > 1000
        for fieldname, text in terms:
            assert a.doc_frequency(fieldname, text) == b.doc_frequency(fieldname, text)
            assert a.frequency(fieldname, text) == pytest.approx(b.frequency(fieldname, text))
            ia, ib = a.term_info(fieldname, text), b.term_info(fieldname, text)
            assert (ia.min_id(), ia.max_id(), ia.max_weight()) == (
                ib.min_id(),
                ib.max_id(),
                pytest.approx(ib.max_weight()),
            )
            assert _all_postings(a, fieldname, text) == _all_postings(b, fieldname, text)
        assert b.doc_frequency("body", "nothere") == 0 and ("body", b"nothere") not in b
        assert a.doc_count_all() == b.doc_count_all()
        for d in range(a.doc_count_all()):
            assert a.stored_fields(d) == b.stored_fields(d)


def test_positions_of_every_size(pair):
    _w3, ml = pair
    with ml.reader() as r:
        (doc, value), *_ = r.postings("body", "far").items_as("positions")
        assert value[-1] - value[0] > 70000
    fmt = CompactPositions()
    for poses in ([0], [3, 4, 300], [5, 70000, 70001], [1, 2**33]):
        assert fmt.decode_positions(fmt.encode(poses)) == poses
        assert fmt.decode_frequency(fmt.encode(poses)) == len(poses)


def test_term_cursors_prefixes_and_fuzzy_terms_agree(pair):
    w3, ml = pair
    with w3.reader() as a, ml.reader() as b:
        assert list(a.expand_prefix("body", "w1")) == list(b.expand_prefix("body", "w1"))
        assert list(a.terms_within("body", "w12", 1)) == list(b.terms_within("body", "w12", 1))
        assert list(a.lexicon("tags")) == list(b.lexicon("tags"))
        assert [t for t, _i in a.iter_from("body", "w3")] == [
            t for t, _i in b.iter_from("body", "w3")
        ]


@pytest.mark.parametrize(
    "query",
    ["w1", "w2 w3", '"w1 w2"', "w1*", "w12~", "tags:a", "title:w3", "freq:w1", "band:band42"],
)
def test_whooshs_own_searcher_gives_the_same_hits(pair, query):
    w3, ml = pair
    with w3.searcher() as a, ml.searcher() as b:
        q = QueryParser("body", w3.schema).parse(query)
        ra, rb = a.search(q, limit=None), b.search(q, limit=None)
        assert [(h["id"], round(h.score, 4)) for h in ra] == [
            (h["id"], round(h.score, 4)) for h in rb
        ]
        assert len(rb) > 0


def test_the_compact_index_is_smaller(pair):
    w3, ml = pair
    size = {
        name: sum(ix.storage.file_length(f) for f in ix.storage.list())
        for name, ix in (("w3", w3), ("ml", ml))
    }
    assert size["ml"] * 2 < size["w3"], size


def test_a_mlsearch_index_opens_with_whooshs_own_reader(news_index):
    ix = index.open_dir(str(news_index))
    try:
        assert {type(s.codec()) for s in ix._segments()} == {MLCodec}
        with ix.searcher() as s:
            hits = s.search(wq.Term("body_ms", "asean"), limit=None)
            assert len(hits) > 0 and all(h["id"] for h in hits)
            phrase = QueryParser("body_en", ix.schema).parse('"defence ministers"')
            assert s.search(phrase).scored_length() >= 0
    finally:
        ix.close()


def test_damaged_block_headers_are_reported_as_damage(tmp_path):
    ix = index.create_in(tmp_path, _schema(True))
    with ix.writer(codec=MLCodec()) as w:
        for doc in _docs(200):
            w.add_document(**doc)
    with ix.reader() as r:
        info = r.term_info("body", "w1")
        assert not info.is_inlined()
        offset, _length = info.extent()
        postfile = r._terms._postfile
        good = postfile.get(offset, 4)
        bad = bytes(b ^ 0xFF for b in good)

        class Flipped:
            def get(self, position, length):
                data = postfile.get(position, length)
                if position <= offset < position + length:
                    at = offset - position
                    data = data[:at] + bad[: len(data) - at] + data[at + 4 :]
                return data

        with pytest.raises(CorruptIndexError):
            m = mlcodec.MLLeafMatcher(Flipped(), offset, _length, r.schema["body"].format)
            list(m.all_ids())
    ix.close()


def test_damaged_term_dictionary_is_reported_as_damage(tmp_path):
    class Data:
        def __init__(self, b):
            self.b = b

        def get(self, position, length):
            return self.b[position : position + length]

    with pytest.raises(CorruptIndexError):
        mlcodec.TermTable(Data(b"\0" * 100), 100)


@pytest.mark.parametrize("value", [b"", b"\x07\x01", b"\x01\x01\x02\x03"])
def test_damaged_positions_are_reported_as_damage(value):
    with pytest.raises(CorruptIndexError):
        CompactPositions().decode_positions(value)


@pytest.mark.parametrize("lang", ["en", "ms", "zh", "zh2"])
def test_language_fields_index_as_whoosh_token_path_does(lang):
    """CompactPositions indexes mlsearch's analyzers' tokens without whoosh's Token
    objects: the same terms, frequencies, weights and positions as whoosh's own path."""
    from whoosh import formats

    from indexer.schema import make_schema

    text = (
        "Menteri-menteri pertahanan ASEAN bertemu; the F-16 deal's defence ministers met "
        "again and again.\n东盟国防部长会议将从明日起举行，东盟防长会议。"
    )
    field = make_schema()[f"body_{lang}"]
    fmt = field.format
    fast = fmt.word_values(text, field.analyzer, mode="index")
    slow = formats.Positions.word_values(fmt, text, field.analyzer, mode="index")
    assert sorted(fast) == sorted(slow) and fast


def test_spell_field_indexes_as_whoosh_token_path_does():
    from whoosh import formats

    from indexer.schema import make_schema

    text = "Defence ministers met; the ministers' meeting, 2025 MINISTERS é café"
    field = make_schema()["spell"]
    fast = field.format.word_values(text, field.analyzer, mode="index")
    slow = formats.Frequency.word_values(field.format, text, field.analyzer, mode="index")
    assert sorted(fast) == sorted(slow) and fast


class _TableFile(io.BytesIO):
    """An in-memory file with the ``get`` a TermTable reads through."""

    def get(self, position, length):
        return self.getvalue()[position : position + length]

    def close(self):
        pass


def _numbered_table(keys) -> _TableFile:
    """A term table of the sorted ``keys``, each key's value its position (2 bytes)."""
    f = _TableFile()
    w = mlcodec.TermTableWriter(f)
    for i, k in enumerate(keys):
        w.add(k, i.to_bytes(2, "little"))
    w.close()
    return f


@pytest.mark.parametrize("chunk", [1, 3, 1024])
@pytest.mark.parametrize("listed_after", [1, 5, 10**9])
def test_term_table_lookups_before_and_after_listing_first_keys(monkeypatch, listed_after, chunk):
    """A TermTable slices its blocks' first keys from the file's bytes when asked (where
    each begins summed a chunk of keys at a time), and lists a chunk's keys once it has
    had _LISTED_AFTER lookups: every lookup answers the same."""
    import bisect

    monkeypatch.setattr(mlcodec, "_LISTED_AFTER", listed_after)
    monkeypatch.setattr(mlcodec._FirstKeys, "_CHUNK", chunk)
    rng = random.Random(7)
    keys = sorted({bytes(rng.choices(b"abcdez\x00\xff", k=rng.randint(1, 9))) for _ in range(4000)})

    f = _numbered_table(keys)
    t = mlcodec.TermTable(f, len(f.getvalue()))
    assert len(t._firsts) == -(-len(keys) // mlcodec.TABLE_BLOCK)
    probes = keys + [k + b"\x00" for k in keys[::7]] + [b"", b"\xff" * 10]
    where = {k: i for i, k in enumerate(keys)}
    for _ in range(2):  # before and after chunks are listed
        for k in probes:
            got = t.get(k)
            assert (int.from_bytes(got, "little") if got is not None else None) == where.get(k)
            at_or_after = bisect.bisect_left(keys, k)
            assert t.closest_key_pos(k) == (at_or_after if at_or_after < len(keys) else None)
    listed = t._firsts._lists
    assert bool(listed) == (listed_after <= 5)
    if listed_after == 1:  # every chunk a lookup reached
        assert len(listed) == len(t._firsts._tops)
    for k, keys_of_chunk in listed.items():
        assert keys_of_chunk == [
            t._firsts[b] for b in range(k * chunk, k * chunk + len(keys_of_chunk))
        ]


def test_term_table_whose_end_needs_wider_offsets_than_its_blocks():
    """The blocks' offsets are stored in the narrowest type their largest fits; the table's
    end (after the last block), which the reader appends to them, may not fit it."""
    f = _TableFile()
    w = mlcodec.TermTableWriter(f)
    keys = [b"k%02d" % i for i in range(3)]
    for k in keys:
        w.add(k, k * 40)  # one block of about 370 bytes, starting at 0: offsets fit a byte
    w.close()
    t = mlcodec.TermTable(f, len(f.getvalue()))
    assert t._nblocks == 1 and t._offsets[1] > 255
    assert [t.get(k) for k in keys] == [k * 40 for k in keys]
    assert t.get(b"k99") is None


def test_term_table_reads_long_keys_and_values_by_scan_and_by_decoded_block():
    """A lookup in a block not decoded reads its entries in order up to the key; one in a
    decoded block bisects it: the same answers, with keys, shared prefixes and values past
    127 bytes (varints of two bytes) and keys before, between and after the stored ones."""
    rng = random.Random(11)
    stems = [bytes(rng.choices(b"abc", k=rng.choice([1, 5, 130, 300]))) for _ in range(40)]
    keys = sorted(
        {s + bytes(rng.choices(b"xyz\x00\xff", k=rng.randint(0, 140))) for s in stems * 9}
    )
    values = {k: bytes(rng.choices(range(256), k=rng.choice([0, 3, 127, 128, 400]))) for k in keys}

    f = _TableFile()
    w = mlcodec.TermTableWriter(f)
    for k in keys:
        w.add(k, values[k])
    w.close()
    probes = (
        keys + [k + b"\x00" for k in keys[::3]] + [k[:-1] for k in keys if k] + [b"", b"\xff" * 400]
    )
    scanned = mlcodec.TermTable(f, len(f.getvalue()))
    decoded = mlcodec.TermTable(f, len(f.getvalue()))
    assert list(decoded.items()) == [(k, values[k]) for k in keys]  # every block decoded
    assert not scanned._blocks
    for k in probes:
        assert scanned._lookup(k) == decoded._lookup(k) == values.get(k)
    assert not scanned._blocks  # the scans kept no block


@pytest.mark.parametrize("seed", [3, 4])
def test_term_table_get_many_answers_as_get(seed):
    """``get_many`` looks the keys of one block up together (the block decoded once),
    a key alone in its block as ``get`` does, keys asked before from the cache: the same
    answers as ``get`` one by one, in the order asked, repeats and absent keys too."""
    rng = random.Random(seed)
    keys = sorted({bytes(rng.choices(b"abcdez", k=rng.randint(1, 7))) for _ in range(3000)})
    f = _numbered_table(keys)
    many = mlcodec.TermTable(f, len(f.getvalue()))
    one = mlcodec.TermTable(f, len(f.getvalue()))
    for _ in range(4):
        asked = rng.sample(keys, 40) + [k + b"a" for k in rng.sample(keys, 40)]
        asked += [b"", b"\xff", asked[0]] + [asked[3][:1] + c for c in (b"a", b"q", b"z")]
        rng.shuffle(asked)
        assert many.get_many(asked) == [one.get(k) for k in asked]
    assert many._blocks  # blocks holding several of the keys were decoded


def test_terms_present_in_any_segment(tmp_path):
    """``terms_present``: the words a field has in some segment of a multi-segment index,
    as ``doc_frequency`` finds them one by one."""
    from whoosh import index as windex

    from indexer.schema import make_schema
    from indexer.whoosh_internals.postings import terms_present

    ix = windex.create_in(str(tmp_path), make_schema())
    texts = ("defence ministers meet", "menteri pertahanan", "south china sea")
    for i, text in enumerate(texts):  # the last segment in whoosh's own codec
        w = ix.writer(codec=MLCodec() if i < 2 else W3Codec())
        w.add_document(id=text, spell=text)
        w.commit(merge=False)
    assert [type(s.codec()) for s in ix._segments()] == [MLCodec, MLCodec, W3Codec]
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert not reader.is_atomic()
        words = ["defence", "menteri", "sea", "seas", "", "ministers", "pertahanan", "x"]
        expected = {w for w in words if reader.doc_frequency("spell", w)}
        assert terms_present(reader, "spell", words) == expected
        assert expected == {"defence", "menteri", "sea", "ministers", "pertahanan"}
        leaf = reader.leaf_readers()[0][0]
        assert terms_present(leaf, "spell", words) == {"defence", "ministers"}


def _segment_files(folder, pool_limit):
    """The term dictionary and postings (bytes) of one segment written with mlsearch's
    codec from ``_docs``: through whoosh's own pool (``pool_limit`` None) or mlsearch's,
    whose ``pool_limit`` makes it write runs or not."""
    from indexer.whoosh_internals.pool import ChunkedPostingPool, set_pool

    ix = index.create_in(folder, _schema(True))
    w = ix.writer(codec=MLCodec(), compound=False)
    if pool_limit is not None:
        set_pool(w, ChunkedPostingPool).pool.limit = pool_limit
    for doc in _docs(250):
        w.add_document(**doc)
    runs = len(w.pool.runs)
    w.commit()
    ix.close()
    out = {}
    for path in folder.iterdir():
        if path.suffix in (".trm", ".pst"):
            out[path.suffix] = path.read_bytes()
    return out, runs


def test_terms_written_whole_give_the_same_files_as_postings_one_at_a_time(tmp_path, monkeypatch):
    """The segment writer writes a term at a time (``MLFieldWriter._add_term_groups``: a
    term's only posting straight into its entry, blocks from lists), from whoosh's
    sorted postings or the pool's terms: the very bytes whoosh's posting-at-a-time path
    (``FieldWriter.add_postings``: start_term, add, finish_term) writes."""
    from whoosh.codec.base import FieldWriter

    for name in ("one", "whoosh", "whole", "runs"):
        (tmp_path / name).mkdir()
    whoosh_pool, _ = _segment_files(tmp_path / "whoosh", None)
    whole, runs = _segment_files(tmp_path / "whole", 1 << 30)
    assert runs == 0
    merged, runs = _segment_files(tmp_path / "runs", 200_000)
    assert runs > 3
    with monkeypatch.context() as m:
        m.setattr(mlcodec.MLFieldWriter, "add_postings", FieldWriter.add_postings)
        one, _ = _segment_files(tmp_path / "one", None)
    assert set(one) == {".trm", ".pst"}
    assert whoosh_pool == one
    assert whole == one
    assert merged == one


def test_single_posting_entries_match_the_term_info_path():
    """A term's only posting written straight into its entry (``_single_entry``) is the
    entry ``MLPostingsWriter`` + ``MLTermInfo`` make: whole and fractional weights, a
    value that is the weight or not, with and without a field length."""
    import io

    from whoosh.filedb.structfile import StructFile
    from whoosh.system import pack_uint

    cases = [
        (0, 1.0, pack_uint(1), 5),
        (7, 3.0, pack_uint(3), 0),
        (300, 2.5, b"", 12),
        (70000, 1.5, b"\x00\x01\x02", None),
        (2**31, 4.0, b"xyz", 900),
        (12, 1.0, b"", 3),
        (9, 0.1, pack_uint(0), 1),
    ]
    for docnum, weight, value, length in cases:
        pw = mlcodec.MLPostingsWriter(StructFile(io.BytesIO()), blocklimit=128)
        pw.start_postings(formats_frequency(), mlcodec.MLTermInfo())
        pw.add_posting(docnum, weight, value, length)
        expected = pw.finish_postings().to_bytes()
        assert mlcodec._single_entry(docnum, weight, value, length) == expected


def formats_frequency():
    from whoosh.formats import Frequency

    return Frequency()


def test_records_mostly_of_bytes_are_stored_without_deflating_them_again(tmp_path):
    """An article's stored record is mostly its compressed body (and signature): it is
    kept as pickled ("p"), not deflated again; a record of text is deflated ("z") when
    that shrinks it; both read back."""
    schema = fields.Schema(id=fields.ID(stored=True), note=fields.STORED(), blob=fields.STORED())
    ix = index.create_in(tmp_path, schema)
    rnd = random.Random(3)
    docs = [
        {"id": "packed", "note": "a headline, a path " * 10, "blob": rnd.randbytes(900)},
        {"id": "text", "note": "words repeated " * 60, "blob": rnd.randbytes(40)},
        {"id": "empty", "note": "", "blob": b""},
    ]
    with ix.writer(codec=MLCodec()) as w:
        for doc in docs:
            w.add_document(**doc)
    with ix.reader() as r:  # one segment: the reader is the segment's
        raw = mlcodec.stored_bytes_reader(r._perdoc)
        kinds = {r.stored_fields(d)["id"]: raw[d][:1] for d in range(r.doc_count_all())}
        assert kinds["packed"] == b"p" and kinds["text"] == b"z"
        assert [r.stored_fields(d) for d in range(3)] == docs
