"""Whoosh's posting pool, keeping postings grouped by term and handing the segment writer
whole terms instead of one posting at a time.

While indexing, whoosh keeps postings in memory up to ``limitmb``, then sorts them and
writes them to a temporary "run" file, to be merged at commit, a posting at a time: each
pickled with its own ``pickle.dump`` call, read back one by one and merged through a heap
of single postings, then handed to the field writer one call each. Here the pool keeps
each term's postings together as they come (a writer adds documents in doc-number order,
so each term's list is sorted already), a run is the terms in order, each term's
doc numbers, weights and values as three lists (``marshal``, a chunk of terms a call,
each chunk read whole), and
runs are merged a term at a time: a term's postings in a later run all come after those in
an earlier one (later documents), so merging runs is concatenating each term's lists in
run order. ``iter_postings`` returns a ``TermGroups``: whoosh's sorted postings when
iterated, and whole terms (``groups()``) for a field writer that takes them
(``codec.MLFieldWriter.add_postings``). Runs are temporary files that only this pool
writes and reads.

Whoosh's seam for a pool of one's own is ``SegmentWriter(ix, poolclass=…)`` (so also
``ix.writer(poolclass=…)``, and MpWriter hands its keyword arguments to its sub-writers),
but whoosh3 3.54.0 accepts ``poolclass`` and ignores it: ``SegmentWriter.__init__`` always
builds ``whoosh.writing.PostingPool``. So mlsearch passes ``poolclass`` and honours it
itself: ``set_pool`` gives a writer that has added nothing yet a pool of that class (the
one-process writer; a parallel run's parent). A parallel run's sub-processes build their
writers inside whoosh's ``SubWriterTask.run``, with no way in, so each sub-process sets
``whoosh.writing.PostingPool`` for itself (``use_in_this_process``) before it starts: it
exists to run that one writer, and the parent process is never patched.
"""

from __future__ import annotations

import heapq
import marshal
from operator import itemgetter
from struct import Struct

from whoosh import writing

# Postings a chunk of a run (a chunk is whole terms, so a common term's may be more):
# merging runs holds one chunk of each open run.
CHUNK = 4096

_KEY = itemgetter(0, 1)
_SIZE = Struct("<I")


def _columns(got: list, unordered: bool) -> tuple[list, list, list]:
    """A term's postings (whoosh's tuples) as doc numbers, weights and values."""
    if len(got) == 1:
        p = got[0]
        return [p[2]], [p[3]], [p[4]]
    if unordered:
        got.sort()
    return [p[2] for p in got], [p[3] for p in got], [p[4] for p in got]


class TermGroups:
    """The pool's postings at commit: iterating gives whoosh's sorted ``(fieldname,
    btext, docnum, weight, value)`` tuples (``FieldWriter.add_postings``' input);
    ``groups()`` (once, instead) gives each term once, in the same order, as
    ``(fieldname, btext, docnums, weights, values)``, its postings in doc-number order."""

    def __init__(self, groups):
        self._groups = groups

    def groups(self):
        return self._groups

    def __iter__(self):
        for fieldname, tbytes, ids, weights, values in self._groups:
            for i, d in enumerate(ids):
                yield fieldname, tbytes, d, weights[i], values[i]


class ChunkedPostingPool(writing.PostingPool):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Postings of merged segments, each a sorted iterator (merging.StreamingMerge).
        self.streams: list = []
        # The postings in memory, grouped as they come: field -> term -> its postings
        # (whoosh's tuples), in the order added.
        self._terms: dict[str, dict[bytes, list]] = {}
        self._unordered = False  # a term's postings came out of doc-number order
        self._lastdoc = -1

    def add(self, item):
        fieldname, tbytes, docnum, _weight, vbytes = item
        terms = self._terms.get(fieldname)
        if terms is None:
            terms = self._terms[fieldname] = {}
            self.fieldnames.add(fieldname)
        got = terms.get(tbytes)
        if got is None:
            terms[tbytes] = [item]
        else:
            got.append(item)
        # A writer adds a document's postings (one per term and field) after the one
        # before's; a lower doc number than the last (another caller) sorts every term
        # at commit. Checked here rather than against the term's last posting: reading
        # that back was 4% of an indexing process (py-spy).
        if docnum < self._lastdoc:
            self._unordered = True
        self._lastdoc = docnum
        # whoosh's estimate of a posting's memory (PostingPool.add)
        self.currentsize += 154 + len(fieldname) + 2 * len(tbytes) + len(vbytes or b"")
        if self.currentsize > self.limit:
            self.save()

    def _memory_groups(self):
        """The terms in memory, sorted, as ``(fieldname, btext, ids, weights, values)``;
        the pool is empty after."""
        terms_of, unordered = self._terms, self._unordered
        self._terms = {}
        self._unordered = False
        for fieldname in sorted(terms_of):
            terms = terms_of.pop(fieldname)
            for tbytes in sorted(terms):
                yield (fieldname, tbytes, *_columns(terms[tbytes], unordered))

    def save(self):
        if self._terms:
            path, f = self._new_run()
            self._write_run(f, self._memory_groups())
            self._add_run(path)
        self.current = []
        self.currentsize = 0

    def _write_run(self, f, groups):
        chunk: list = []
        n = 0
        for g in groups:
            chunk.append(g)
            n += len(g[2])
            if n >= CHUNK:
                _write_chunk(f, chunk)
                chunk, n = [], 0
        if chunk:
            _write_chunk(f, chunk)
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while head := f.read(_SIZE.size):
                (n,) = _SIZE.unpack(head)
                data = f.read(n)
                if len(data) != n:
                    raise EOFError(f"posting run {path} cut short")
                yield from marshal.loads(data)
        finally:
            f.close()
            self._remove_run(path)

    def term_groups(self, maxfiles: int = 128):
        """Every term of the pool once, sorted, ``(fieldname, btext, ids, weights,
        values)``: the runs and what is in memory, merged (at most ``maxfiles`` runs open:
        whoosh's ``items``)."""
        if not self.runs:
            return self._memory_groups()
        if len(self.runs) >= maxfiles:
            self.reduce_to(maxfiles - 1, maxfiles)
        runs, self.runs = self.runs, []
        sources = [self._read_run(path) for path in runs]
        sources.append(self._memory_groups())  # the latest documents: last
        return self._merge(sources)

    def _merge(self, sources):
        """``sources`` (runs, oldest first, then memory), each yielding sorted terms, as one:
        a term in several is one, its postings concatenated in source order (sorted
        again if that is not doc-number order: postings added out of order)."""
        # heapq.merge is stable: equal terms come in source order, earlier documents first
        merged = heapq.merge(*sources, key=_KEY)
        cur = next(merged, None)
        if cur is None:
            return
        unsorted = False
        for g in merged:
            if g[1] == cur[1] and g[0] == cur[0]:
                if not isinstance(cur, list):
                    cur = [cur[0], cur[1], list(cur[2]), list(cur[3]), list(cur[4])]
                if cur[2][-1] >= g[2][0]:
                    unsorted = True
                cur[2] += g[2]
                cur[3] += g[3]
                cur[4] += g[4]
                continue
            yield _finish(cur, unsorted)
            cur, unsorted = g, False
        yield _finish(cur, unsorted)

    def _merge_runs(self, paths):
        return self._merge([self._read_run(path) for path in paths])

    def reduce_to(self, target: int, k: int) -> None:
        """Whoosh's (fewer runs, ``k`` at a time), keeping the runs in the order written:
        the oldest ``k`` merged into one, first."""
        if k < 2 or target < 1:
            raise ValueError(f"reduce_to({target}, {k})")
        while len(self.runs) > target:
            take, rest = self.runs[:k], self.runs[k:]
            path, f = self._new_run()
            self._write_run(f, self._merge_runs(take))
            self.runs = [path, *rest]

    def items(self, maxfiles=128):
        return iter(TermGroups(self.term_groups(maxfiles)))

    def add_stream(self, postings) -> None:
        """``postings``, sorted as this pool sorts, join the segment being written without
        passing through ``add``: merged with the pool's own when it is read."""
        self.streams.append(postings)

    def iter_postings(self):
        groups = TermGroups(self.term_groups())
        if not self.streams:
            return groups
        streams, self.streams = self.streams, []
        return heapq.merge(iter(groups), *streams)


def _write_chunk(f, chunk: list) -> None:
    # marshal.load on a file reads it an object at a time: a chunk is read whole, by size
    data = marshal.dumps(chunk)
    f.write(_SIZE.pack(len(data)) + data)


def _finish(g, resort: bool):
    if resort:
        rows = sorted(zip(g[2], g[3], g[4], strict=True))
        return (g[0], g[1], [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    return tuple(g)


def set_pool(writer, poolclass):
    """``writer`` (a SegmentWriter that has added nothing yet) with a ``poolclass`` pool in
    place of whoosh's: the same temporary storage, segment and memory limit."""
    old = writer.pool
    if old.current or old.runs:
        raise ValueError("the writer has added postings already")
    pool = poolclass(writer._tempstorage, writer.newsegment)
    pool.limit = old.limit
    writer.pool = pool
    return writer


def use_in_this_process(poolclass) -> None:
    """Every whoosh writer this process creates from now on gets a ``poolclass`` pool: for a
    sub-process that exists to run one whoosh sub-writer, and only there."""
    writing.PostingPool = poolclass
