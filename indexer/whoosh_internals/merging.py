"""Merging segments: which ones a commit merges (the merge policy), and how.

A commit first lets the merge policy pick old segments and add them to the new one
(``writer.add_reader``); their postings are written with the new segment's.

*How.* When the new segment holds nothing but merged segments (a parallel run's parent,
whose documents went to its sub-processes; ``mlsearch index --optimize``), ``RawMerge``
writes it: the merged segments' term dictionaries are read in order side by side and each
term's posting blocks copied as written, only the first block of each segment's part
re-based by that segment's doc number offset (``codec.rebased_block``); a posting kept
in its dictionary entry, and a segment with deleted documents, are decoded and encoded
again. ``copy_per_doc`` copies the stored fields as stored (not unpickled, pickled and
deflated again) and each field's length column. The postings, term statistics and
documents are those of the pool's way (``tests/test_raw_merge.py``); only block
boundaries differ where segments meet. Merging 3 segments of 6,000 articles in all
(``--optimize``): 11.1 -> 3.9 s of CPU for the whole run (about 1.9 -> 0.65 ms an
article; same run, alternated, load 3.5).

Otherwise (a writer with documents of its own: a one-process run's commit) whoosh's
``add_reader`` would feed every posting of the old segment through the posting pool: one
Python tuple and size check each, sorted again with the new ones and written to sorting
runs, although each segment's postings are sorted already. ``StreamingMerge`` stands in
for the writer as the policy sees it: its ``add_reader`` copies the stored fields as
whoosh does (``write_per_doc``) and hands the pool (``pool.ChunkedPostingPool``) the
segment's postings as one sorted stream, read a posting block at a time; the pool merges
the streams with its own postings when the new segment is written. The segment's reader
stays open until then (the policy closes the one it passed). ``MLSEARCH_RAW_MERGE=0``
makes every merge go this way (for measuring one against the other).

*Which.* ``merge_policy(say)``: whoosh's ``MERGE_SMALL`` (by a Fibonacci rule, which in
practice merges only segments of a few dozen documents), plus small ones: whoosh leaves
any number of segments of a few hundred documents unmerged, one per incremental run.
Segments under ``SMALL_FRACTION`` of the largest are merged once there are ``SMALL_COUNT``
of them, so incremental runs leave few. Then a big run's own: a run's last commit that
would leave more than ``MAX_SEGMENTS`` (each process of a parallel run adds one) merges the
smallest old segments into one, as long as they hold at most ``MERGE_RATIO`` times the
articles the run wrote; its earlier commits do the same above ``MAX_SEGMENTS_BEFORE_LAST``.
With the run's commits spaced geometrically (``indexer.config.commit_growth``) a full
build ends with 3 segments and merges a third to all of its articles once, at the end (a
150k build: the 60k of its first two commits; merging 3,000 articles through the pool
cost 9.3 s of CPU against 31 s to index them); a small run never re-merges a big index.
``optimize(say)`` merges every segment into one when asked (``mlsearch index --optimize``).
Both call ``say("merging")`` before the first segment they add and ``say("writing")``
when done (the phase names of ``indexer.write.progress``). Kept apart from ``mpwriter`` so
that a single-process run doesn't import ``whoosh.multiproc``.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator

from whoosh.writing import MERGE_SMALL

from .codec import (
    _T_SINGLE,
    MLTermInfo,
    block_spans,
    encoded_postings,
    rebased_block,
    rebased_entry,
)
from .segments import posting_blocks

# Segments smaller than this fraction of the largest are "small"; SMALL_COUNT of them merge.
SMALL_FRACTION = 1 / 8
SMALL_COUNT = 2
# At most this many segments after a big run (a parallel one adds one per process), and
# before its last commit: old segments holding up to MERGE_RATIO times the articles the
# run wrote are merged into one.
MAX_SEGMENTS = 3
MAX_SEGMENTS_BEFORE_LAST = 8
MERGE_RATIO = 2
# Segments merged into a new one of their own are copied block by block (``RawMerge``);
# False: through the posting pool, as before (kept for measuring one against the other).
READ_AHEAD = 1 << 20  # bytes of a merged segment's postings read at once
RAW_MERGE = os.environ.get("MLSEARCH_RAW_MERGE", "1") != "0"


def segment_postings(storage, schema, segment, base: int, docmap) -> Iterator[tuple]:
    """The postings of ``segment`` as ``(field, term bytes, new docnum, weight, value)``,
    sorted as the pool sorts them: docnums offset by ``base``, or mapped through ``docmap``
    (deleted documents dropped) when the segment has deletions."""
    from whoosh.reading import SegmentReader

    from .segments import posting_blocks, term_entries

    reader = SegmentReader(storage, schema, segment)
    try:
        for (fieldname, tbytes), info in term_entries(reader):
            if fieldname not in schema:
                continue
            fmt = schema[fieldname].format
            for ids, weights, values in posting_blocks(reader, fieldname, tbytes, fmt, info):
                if docmap is None:
                    for i, docnum in enumerate(ids):
                        yield fieldname, tbytes, base + docnum, weights[i], values[i]
                else:
                    for i, docnum in enumerate(ids):
                        new = docmap.get(docnum)
                        if new is not None:
                            yield fieldname, tbytes, new, weights[i], values[i]
    finally:
        reader.close()


def merge_beside() -> bool:
    """Whether a parallel run's parent merges old segments block by block while its
    sub-processes write theirs (``mpwriter.SafeMpWriter._commit``), rather than after they
    exit: on unless ``MLSEARCH_MERGE_BESIDE=0``. After the writers exit, the parent merged
    alone, one core idle: at 10x the last commit's merge of 80k articles took 65 s after
    the writers' 63 s (a traced build, 490 s in all); beside them the commit took 115 s on
    a machine 15% slower (533 s), and a whole 10x bench built at 0.82 of its own 1x builds'
    rate with a peak of 565 MB for all processes (0.76 and 566 MB after the writers, the
    day before). A merge through the pool (not ``RawMerge``) still waits for the writers:
    its memory beside theirs made a 10x build's peak 728 MB, over issue 15's 700."""
    return os.environ.get("MLSEARCH_MERGE_BESIDE", "1") != "0"


def raw_merge_applies(writer) -> bool:
    """Whether old segments merged by ``writer`` would be merged by ``RawMerge``."""
    return RAW_MERGE and _raw_sources_ok(writer)


def _raw_sources_ok(writer) -> bool:
    """Whether ``writer``'s new segment can be written by ``RawMerge``: mlsearch's codec,
    no documents of its own and nothing in its pool (a parallel run's parent, or
    ``--optimize``): the new segment is then the merged segments alone."""
    from .codec import MLCodec, MLFieldWriter

    pool = writer.pool
    return (
        isinstance(writer.codec, MLCodec)
        and type(getattr(writer, "fieldwriter", None)) is MLFieldWriter
        and writer.docnum == writer.docbase
        and not getattr(pool, "_terms", True)
        and not pool.runs
        and not getattr(pool, "streams", True)
    )


def copy_per_doc(writer, reader, fieldnames: set):
    """Whoosh's ``write_per_doc`` (each document's stored fields, field lengths and column
    values into the new segment; the docmap of a segment with deletions, else None), the
    stored fields copied as stored (``codec.stored_bytes_reader``) rather than unpickled,
    pickled and deflated again, and each field's length column opened once rather than
    looked for a document at a time. Whoosh's own when the codec or schema is not the one
    this knows (term vectors, another per-document reader)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.columns import TranslatingColumnReader
    from whoosh.util.numeric import byte_to_length

    from .codec import MLPerDocReader, MLPerDocWriter, add_stored_bytes, stored_bytes_reader

    schema = writer.schema
    pdw = writer.perdocwriter
    pdr = getattr(reader, "_perdoc", None)
    if (
        type(pdw) is not MLPerDocWriter
        or not isinstance(pdr, MLPerDocReader)
        or any(schema[name].vector for name in fieldnames)
    ):
        return writer.write_per_doc(fieldnames, reader)
    lengths = []
    cols = []
    for name in sorted(fieldnames):
        lenfield = _lenfield(name)
        col = pdr._cached_reader(lenfield, LENGTHS_COLUMN)
        if col is not None:
            lengths.append((name, lenfield, col))
        coltype = schema[name].column_type
        if coltype and pdr.has_column(name):
            creader = pdr.column_reader(name, coltype)
            if isinstance(creader, TranslatingColumnReader):
                creader = creader.raw_column()
            cols.append((name, coltype, creader))
    stored = stored_bytes_reader(pdr)
    totals = pdw._fieldlengths
    docmap = {} if pdr.has_deletions() else None
    for docnum in pdr.all_doc_ids():
        new = writer.docnum
        if docmap is not None:
            docmap[docnum] = new
        pdw.start_doc(new)
        for name, lenfield, col in lengths:
            lb = col[docnum]
            if lb:
                pdw.add_column_value(lenfield, LENGTHS_COLUMN, lb)
                totals[name] += byte_to_length(lb)
        for name, coltype, creader in cols:
            pdw.add_column_value(name, coltype, creader[docnum])
        if stored is not None:
            add_stored_bytes(pdw, new, stored[docnum])
        pdw.finish_doc()
        writer.docnum += 1
    return docmap


class RawMerge:
    """The new segment's field writer when it holds only merged segments: instead of
    whoosh's postings (one tuple a posting through the pool, every block encoded again),
    the segments' term dictionaries are merged in order and each term's posting blocks
    copied as they are, only the first block of each segment's part re-based by its doc
    number offset (``codec.rebased_block``). A term's only posting (kept in its
    dictionary entry), and the postings of a segment with deleted documents, are decoded
    and written as ``MLPostingsWriter`` writes them. The same postings and term
    statistics as the pool's way (``tests/test_merging.py``); blocks may be shorter than
    ``BLOCK_LIMIT`` where segments meet. Everything else is the wrapped writer's."""

    def __init__(self, fieldwriter):
        self._fw = fieldwriter
        self.sources: list = []  # (SegmentReader, doc number base, docmap or None)

    def add_segment(self, storage, schema, segment, base: int, docmap) -> None:
        from whoosh.reading import SegmentReader

        from .codec import MLTermsReader

        reader = SegmentReader(storage, schema, segment)
        self.sources.append((reader, base, docmap))
        if not isinstance(reader._terms, MLTermsReader):
            raise TypeError("not a segment of mlsearch's codec")

    def __getattr__(self, name):
        return getattr(self._fw, name)

    def close(self) -> None:
        try:
            self._fw.close()
        finally:
            self._close_sources()

    def _close_sources(self) -> None:
        sources, self.sources = self.sources, []
        for reader, _base, _docmap in sources:
            reader.close()

    def add_postings(self, schema, lengths, items) -> None:
        for _item in items:
            raise RuntimeError("a raw merge's segment has postings of its own")
        try:
            self._merge(schema, lengths)
        finally:
            self._close_sources()

    def _terms(self, k: int):
        """Source ``k``'s dictionary as ``(fieldname, term bytes, k, entry bytes)``, sorted
        (field numbers follow field names: ``add_postings`` starts fields in order)."""
        from whoosh.system import unpack_ushort

        terms = self.sources[k][0]._terms
        fieldmap = terms._fieldmap
        if sorted(fieldmap, key=fieldmap.get) != sorted(fieldmap):
            raise ValueError("a segment's field numbers are out of name order")
        unmap = terms._fieldunmap
        for key, value in terms._tindex.items():
            yield unmap[unpack_ushort(key[:2])[0]], key[2:], k, value

    def _merge(self, schema, lengths) -> None:
        import heapq
        from itertools import groupby

        from whoosh.system import pack_ushort

        from .codec import MLTermInfo

        fw = self._fw
        tindex = fw._tindex
        out = _PostingsOut(fw._postfile, lengths, self.sources)
        merged = heapq.merge(*(self._terms(k) for k in range(len(self.sources))))
        field = None
        writing = False  # in a field of the schema (one it dropped is skipped)
        prefix = b""
        for (fieldname, tbytes), group in groupby(merged, key=lambda t: (t[0], t[1])):
            if fieldname != field:
                if writing:
                    fw.finish_field()
                field = fieldname
                writing = fieldname in schema
                if writing:
                    fw.start_field(fieldname, schema[fieldname])
                    out.start_field(fieldname, schema[fieldname].format)
                    prefix = pack_ushort(fw._fieldid)
            if not writing:
                continue
            parts = list(group)
            if len(parts) == 1 and self.sources[parts[0][2]][2] is None:
                # in one segment without deletions (most terms): copied, renumbered
                tindex.add(prefix + tbytes, out.one(parts[0][2], parts[0][3]))
                continue
            info = out.term([(k, MLTermInfo.from_bytes(value)) for _f, _t, k, value in parts])
            if info is not None:
                tindex.add(prefix + tbytes, info.to_bytes())
        if writing:
            fw.finish_field()


class _PostingsOut:
    """Writes merged terms' postings (``RawMerge``) to the new segment's postings file."""

    def __init__(self, postfile, lengths, sources):
        self._postfile = postfile
        self._pos = postfile.tell()
        self._lengths = lengths
        self._sources = sources
        self._field = None
        self._fmt = None
        self._get_length = None
        self._windows: dict = {}  # source -> (offset, bytes read ahead there)

    def one(self, k: int, value: bytes) -> bytes:
        """The entry of a term found in source ``k`` alone (no deletions there), its
        postings copied, the first block re-based (``term``'s common case)."""
        base = self._sources[k][1]
        if value[0] & _T_SINGLE:
            return rebased_entry(value, base) if base else value
        offset, length = MLTermInfo.from_bytes(value).extent()
        buf = self._read(k, offset, length)
        if base:
            spans = block_spans(buf)
            nxt = spans[1][0] if len(spans) > 1 else len(buf)
            data = rebased_block(buf, spans[0], nxt, base, len(spans) == 1) + buf[nxt:]
        else:
            data = buf
        self._postfile.write(data)
        pos = self._pos
        self._pos += len(data)
        return rebased_entry(value, base, pos, len(data))

    def _read(self, k: int, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset`` of source ``k``'s postings: read ahead in large
        pieces, since terms are merged in the order their postings were written."""
        got = self._windows.get(k)
        if got is not None:
            start, window = got
            if start <= offset and offset + length <= start + len(window):
                return window[offset - start : offset + length - start]
        postfile = self._sources[k][0]._terms._postfile
        window = postfile.get(offset, max(length, READ_AHEAD))
        if len(window) < length:
            window = postfile.get(offset, length)
        self._windows[k] = (offset, window)
        return window[:length]

    def start_field(self, fieldname: str, fmt) -> None:
        self._field = fieldname
        self._fmt = fmt
        self._get_length = None

    def _length(self, docnum: int):
        if self._get_length is None:
            lengths = self._lengths
            if lengths is None:
                self._get_length = lambda _d: 0
            else:
                self._get_length = lengths.doc_field_length_reader(self._field)
        return self._get_length(docnum)

    def _decoded(self, k: int, info) -> tuple[list, list, list]:
        """The postings of source ``k``'s part, renumbered: (ids, weights, values)."""
        reader, base, docmap = self._sources[k]
        ids: list = []
        weights: list = []
        values: list = []
        fmt = self._fmt
        if info.is_inlined():
            blocks = [([info._minid], [info._weight], [info._value])]
        else:
            blocks = posting_blocks(reader, self._field, None, fmt, info)
        for bids, bweights, bvalues in blocks:
            for i, d in enumerate(bids):
                new = base + d if docmap is None else docmap.get(d)
                if new is not None:
                    ids.append(new)
                    weights.append(bweights[i])
                    values.append(bvalues[i])
        return ids, weights, values

    def term(self, parts):
        """The merged term of ``parts`` (``(source, MLTermInfo)``, in source order): its
        postings written, its ``MLTermInfo`` returned (None: all its documents deleted)."""
        sources = self._sources
        # Each part either raw (its blocks copied) or decoded into postings.
        plan = []
        for k, info in parts:
            if not info.is_inlined() and sources[k][2] is None:
                plan.append((k, info, None))
            else:
                ids, weights, values = self._decoded(k, info)
                if ids:
                    plan.append((k, info, (ids, weights, values)))
        if not plan:
            return None
        out = MLTermInfo()
        df = sum(info._df if got is None else len(got[0]) for _k, info, got in plan)
        if df == 1:  # one posting in all: kept in the dictionary entry
            k, info, got = plan[0]
            ids, weights, values = got if got is not None else self._decoded(k, info)
            out._df = 1
            out._minid = out._maxid = ids[0]
            out._weight = out._maxweight = float(array("f", weights)[0])
            length = self._length(ids[0]) or None
            out._minlength, out._maxlength = length, length or 0
            out.set_single(values[0] if values[0] is not None else b"")
            return out
        chunks: list[bytes] = []
        prev = 0  # the last doc number written
        minlength = None
        maxlength = 0
        weight = 0.0
        maxweight = 0.0
        first = None
        # pending decoded postings, written as blocks before the next raw part or at the end
        pids: list = []
        pweights = array("f")
        pvalues: list = []
        plengths: list = []

        def flush(last: bool) -> None:
            nonlocal prev
            if pids:
                chunks.extend(
                    encoded_postings(pids, pweights, pvalues, plengths, self._fmt, prev, last)
                )
                prev = pids[-1]
                pids.clear()
                del pweights[:]
                pvalues.clear()
                plengths.clear()

        for j, (k, info, got) in enumerate(plan):
            final = j == len(plan) - 1
            if got is None:
                flush(False)
                base = sources[k][1]
                offset, length = info.extent()
                buf = self._read(k, offset, length)
                spans = block_spans(buf)
                add = base - prev
                if first is None:
                    first = info._minid + base
                if add == 0 and final:
                    chunks.append(bytes(buf))
                else:
                    nxt = spans[1][0] if len(spans) > 1 else len(buf)
                    one = len(spans) == 1
                    chunks.append(rebased_block(buf, spans[0], nxt, add, final and one))
                    if len(spans) > 1:
                        lastb = spans[-1]
                        if final:
                            chunks.append(bytes(buf[spans[1][0] :]))
                        else:
                            chunks.append(bytes(buf[spans[1][0] : lastb[0]]))
                            chunks.append(rebased_block(buf, lastb, len(buf), 0, False))
                prev = info._maxid + base
                weight += info._weight
                maxweight = max(maxweight, info._maxweight)
                if info._minlength:  # 0: none of its postings had a length
                    ml = info._minlength
                    minlength = ml if minlength is None else min(minlength, ml)
                maxlength = max(maxlength, info._maxlength)
            else:
                ids, weights, values = got
                if first is None:
                    first = ids[0]
                for i, d in enumerate(ids):
                    ln = self._length(d)
                    pids.append(d)
                    pweights.append(weights[i])
                    pvalues.append(values[i])
                    plengths.append(ln)
                    if ln:
                        minlength = ln if minlength is None else min(minlength, ln)
                        maxlength = max(maxlength, ln)
                got_w = array("f", weights)
                weight += sum(got_w)
                maxweight = max(maxweight, max(got_w))
                if final:
                    flush(True)
        data = b"".join(chunks)
        self._postfile.write(data)
        out._df = df
        out._weight = weight
        out._maxweight = maxweight
        out._minlength = minlength
        out._maxlength = maxlength
        out._minid = first
        out._maxid = prev
        out.set_extent(self._pos, len(data))
        self._pos += len(data)
        return out


class StreamingMerge:
    """The writer as a merge policy sees it: ``add_reader`` streams the segment's postings
    into the pool (module docstring), ``say("merging")`` before the first; everything else
    is the writer's."""

    def __init__(self, writer, say: Callable[[str], None]):
        self._writer = writer
        self._say = say
        self.merged = False

    def add_reader(self, reader):
        w = self._writer
        if not self.merged:
            self.merged = True
            self._say("merging")
            if RAW_MERGE and _raw_sources_ok(w):
                w.fieldwriter = RawMerge(w.fieldwriter)
        add_stream = getattr(w.pool, "add_stream", None)
        if add_stream is None:  # a pool of whoosh's own: whoosh's way
            return w.add_reader(reader)
        w._check_state()
        base = w.docnum
        names = {n for n in reader.indexed_field_names() if n in w.schema}
        if isinstance(w.fieldwriter, RawMerge):
            docmap = copy_per_doc(w, reader, set(w.schema.names()) | names)
        else:
            docmap = w.write_per_doc(set(w.schema.names()) | names, reader)
        if isinstance(w.fieldwriter, RawMerge):
            w.fieldwriter.add_segment(w.storage, w.schema, reader.segment(), base, docmap)
        else:
            add_stream(segment_postings(w.storage, w.schema, reader.segment(), base, docmap))
        w._added = True
        return None

    def __getattr__(self, name):
        return getattr(self._writer, name)


def _merging(say: Callable[[str], None], choose):
    def policy(writer, segments):
        seen = StreamingMerge(writer, say)
        kept = choose(seen, segments)
        if seen.merged:
            say("writing")
        return kept

    return policy


def _merge_small_ones(writer, segments):
    from whoosh.reading import SegmentReader

    kept = MERGE_SMALL(writer, segments)
    if len(kept) < SMALL_COUNT + 1:
        return kept
    largest = max(s.doc_count_all() for s in kept)
    small = [s for s in kept if s.doc_count_all() < largest * SMALL_FRACTION]
    if len(small) < SMALL_COUNT:
        return kept
    for seg in small:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [s for s in kept if s not in small]


def new_segments(writer) -> int:
    """Segments a commit of ``writer`` adds besides the one old segments merge into: one
    per sub-process of a parallel writer, none for a single writer (its new documents and
    merged segments are one segment)."""
    return len(getattr(writer, "tasks", ()) or ())


def _merge_to_few(adding: int, final: bool = True):
    """Small ones first (``_merge_small_ones``); then, when the commit would leave more
    than ``MAX_SEGMENTS`` (``MAX_SEGMENTS_BEFORE_LAST`` unless it is the run's ``final``
    one), the smallest old segments into one, as long as they hold at most ``MERGE_RATIO``
    times the ``adding`` articles the run wrote (module docstring)."""

    def choose(writer, segments):
        from whoosh.reading import SegmentReader

        kept = _merge_small_ones(writer, segments)
        extra = new_segments(writer)
        most = MAX_SEGMENTS if final else MAX_SEGMENTS_BEFORE_LAST
        if len(kept) + max(extra, 1) <= most:
            return kept
        # As few as leave ``most``: the merged ones become one segment (the writer's own),
        # beside the sub-processes' ``extra``; in a parallel run, merging one old segment
        # into a new one of its own gains nothing.
        needed = max(len(kept) + 1 + extra - most, 2 if extra else 1)
        take = sorted(kept, key=lambda s: s.doc_count_all())[:needed]
        if len(take) < needed or sum(s.doc_count_all() for s in take) > adding * MERGE_RATIO:
            return kept
        # In index order, so that documents keep their order (the newest last: what the
        # near-duplicate finder takes as newest).
        for seg in [s for s in kept if s in take]:
            reader = SegmentReader(writer.storage, writer.schema, seg)
            writer.add_reader(reader)
            reader.close()
        return [s for s in kept if s not in take]

    return choose


def merge_policy(say: Callable[[str], None], adding: int = 0, final: bool = True):
    """The merge policy of every commit (module docstring), for
    ``writer.commit(mergetype=...)``; ``adding``: the documents the run writes."""
    return _merging(say, _merge_to_few(adding, final))


def merge_small(say: Callable[[str], None]):
    """Whoosh's default merge policy (``MERGE_SMALL``) alone, merging by streams."""
    return _merging(say, MERGE_SMALL)


def optimize(say: Callable[[str], None]):
    """Every segment into one, for ``writer.commit(mergetype=...)``."""
    from whoosh.writing import OPTIMIZE

    return _merging(say, OPTIMIZE)
