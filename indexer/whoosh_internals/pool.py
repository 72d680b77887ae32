"""Whoosh's posting pool, writing its sorted runs in chunks instead of a posting at a time,
and handing the segment writer whole terms when it wrote none.

While indexing, whoosh keeps postings in memory up to ``limitmb``, then sorts them and
writes them to a temporary "run" file, to be merged at commit. It pickles each posting
with its own ``pickle.dump`` call into a Python file wrapper, so writing runs took 40% of
an indexing process's time on the 153k-article build (py-spy). Here a run is a sequence
of pickled lists of up to ``CHUNK`` postings: the same postings in the same order, a
fraction of the calls. Runs are temporary files that only this pool writes and reads.
Postings are kept grouped by term as they come (a writer adds documents in doc-number
order, so each term's list is sorted already); when no run was written, ``iter_postings``
gives them as a ``TermGroups``, whole terms, which the segment writer takes as they are
(``codec.MLFieldWriter.add_postings``).

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
import itertools
import pickle

from whoosh import writing

# Postings a chunk: merging runs holds one chunk of each open run (whoosh opens up to 128).
CHUNK = 4096


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
        # (whoosh's tuples), in the order added. A writer adds documents in doc-number
        # order, so each term's list is sorted already and a run is the terms in order,
        # without sorting every posting (that sort was 11% of an indexing process).
        self._terms: dict[str, dict[bytes, list]] = {}
        self._unordered = False  # postings came out of doc-number order
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
        # before's; a lower doc number than the last (another caller) sorts every term.
        # Checked here rather than against the term's last posting: reading that back
        # was 4% of an indexing process (py-spy).
        if docnum < self._lastdoc:
            self._unordered = True
        self._lastdoc = docnum
        # whoosh's estimate of a posting's memory (PostingPool.add)
        self.currentsize += 154 + len(fieldname) + 2 * len(tbytes) + len(vbytes or b"")
        if self.currentsize > self.limit:
            self.save()

    def _sorted_postings(self) -> list:
        """The postings in memory in whoosh's order (field, term, doc number, ...)."""
        out: list = []
        extend = out.extend
        unordered = self._unordered
        for fieldname in sorted(self._terms):
            terms = self._terms[fieldname]
            for tbytes in sorted(terms):
                got = terms[tbytes]
                if unordered and len(got) > 1:
                    got.sort()
                extend(got)
        return out

    def _take_sorted(self) -> list:
        out = self._sorted_postings()
        self._terms = {}
        self._unordered = False
        return out

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
        # SortingPool.save without its sort: the run is written in order already.
        current = self._take_sorted()
        if current:
            path, f = self._new_run()
            self._write_run(f, current)
            self._add_run(path)
        self.current = []
        self.currentsize = 0

    def items(self, maxfiles=128):
        if not self.runs:
            return self._take_sorted()
        return super().items(maxfiles)  # saves what is in memory, merges the runs

    def add_stream(self, postings) -> None:
        """``postings``, sorted as this pool sorts, join the segment being written without
        passing through ``add``: merged with the pool's own when it is read."""
        self.streams.append(postings)

    def iter_postings(self):
        if not self.streams:
            if not self.runs:
                return TermGroups(self._memory_groups())
            return super().iter_postings()
        streams, self.streams = self.streams, []
        return heapq.merge(super().iter_postings(), *streams)

    def _write_run(self, f, items):
        # a sorted list, or (reduce_to) the merge of other runs: any iterable
        items = iter(items)
        while chunk := list(itertools.islice(items, CHUNK)):
            f.write(pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL))
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = pickle.load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)


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
