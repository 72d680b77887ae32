"""Merging segments: which ones a commit merges (the merge policy), and how.

A commit first lets the merge policy pick old segments and add them to the new one
(``writer.add_reader``); their postings are written with the new segment's.

*How.* Whoosh's ``add_reader`` feeds every posting of the old segment through the posting
pool: one Python tuple and size check each, sorted again with the new ones and written to
sorting runs, although each segment's postings are sorted already. ``StreamingMerge``
stands in for the writer as the policy sees it: its ``add_reader`` copies the stored fields
as whoosh does (``write_per_doc``) and hands the pool (``pool.ChunkedPostingPool``) the
segment's postings as one sorted stream, read a posting block at a time; the pool merges
the streams with its own postings when the new segment is written. The segment's reader
stays open until then (the policy closes the one it passed).

*Which.* ``merge_policy(say)``: whoosh's ``MERGE_SMALL`` (by a Fibonacci rule, which in
practice merges only segments of a few dozen documents), plus small ones: whoosh leaves
any number of segments of a few hundred documents unmerged, one per incremental run.
Segments under ``SMALL_FRACTION`` of the largest are merged once there are ``SMALL_COUNT``
of them, so incremental runs leave few. Then a big run's own: a run's last commit that
would leave more than ``MAX_SEGMENTS`` (each process of a parallel run adds one) merges the
smallest old segments into one, as long as they hold at most ``MERGE_RATIO`` times the
articles the run wrote; its earlier commits do the same above ``MAX_SEGMENTS_BEFORE_LAST``.
With the run's commits spaced geometrically (``indexer.config.commit_growth``) a full
build ends with 3 segments and merges about half of its articles once, at the end (a
150k build: the 80k of its first three commits; merging 3,000 articles cost 9.3 s of CPU
against 31 s to index them); a small run never re-merges a big index. ``optimize(say)``
merges every segment into one when asked (``mlsearch index --optimize``). Both call
``say("merging")`` before the first segment they add and ``say("writing")`` when done
(the phase names of ``indexer.write.progress``). Kept apart from ``mpwriter`` so that a
single-process run doesn't import ``whoosh.multiproc``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from whoosh.writing import MERGE_SMALL

# Segments smaller than this fraction of the largest are "small"; SMALL_COUNT of them merge.
SMALL_FRACTION = 1 / 8
SMALL_COUNT = 2
# At most this many segments after a big run (a parallel one adds one per process), and
# before its last commit: old segments holding up to MERGE_RATIO times the articles the
# run wrote are merged into one.
MAX_SEGMENTS = 3
MAX_SEGMENTS_BEFORE_LAST = 8
MERGE_RATIO = 2


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
        add_stream = getattr(w.pool, "add_stream", None)
        if add_stream is None:  # a pool of whoosh's own: whoosh's way
            return w.add_reader(reader)
        w._check_state()
        base = w.docnum
        names = {n for n in reader.indexed_field_names() if n in w.schema}
        docmap = w.write_per_doc(set(w.schema.names()) | names, reader)
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
