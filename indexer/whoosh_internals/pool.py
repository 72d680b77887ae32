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
import pickle
from itertools import repeat

from whoosh import writing

# Postings a chunk: merging runs holds one chunk of each open run (whoosh opens up to 128).
CHUNK = 4096


def _columns(flat: list, unordered: bool) -> tuple[list, list, list]:
    """A term's postings, kept flat (doc number, weight, value, doc number, ...), as doc
    numbers, weights and values; sorted by doc number (then weight, value: whoosh's
    order) when ``unordered``."""
    if len(flat) == 3:
        return [flat[0]], [flat[1]], [flat[2]]
    if unordered:
        trip = sorted(zip(flat[0::3], flat[1::3], flat[2::3], strict=True))
        return [t[0] for t in trip], [t[1] for t in trip], [t[2] for t in trip]
    return flat[0::3], flat[1::3], flat[2::3]


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


# The pool's estimate of the memory its postings take (``currentsize``, against ``limit``,
# as whoosh's ``PostingPool.add`` estimates its tuples): a posting is three slots of its
# term's flat list and, mostly, a float of its own; a term its dict entry, key and list.
# tracemalloc on 1,000 articles of the news corpus: 321k postings of 40.8k terms held
# 38.2 MB (whoosh's tuples: about 59 MB, and its estimate of them 58), so that the pool
# writes a run at the same memory as before, with 1.5x the postings in it.
POSTING_BYTES = 88
TERM_BYTES = 200


class ChunkedPostingPool(writing.PostingPool):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Postings of merged segments, each a sorted iterator (merging.StreamingMerge).
        self.streams: list = []
        # The postings in memory, grouped as they come: field -> term -> its postings,
        # flat (doc number, weight, value, doc number, weight, value, ...), in the order
        # added: no tuple per posting. A writer adds documents in doc-number order, so
        # each term's list is sorted already and a run is the terms in order, without
        # sorting every posting (that sort was 11% of an indexing process).
        self._terms: dict[str, dict[bytes, list]] = {}
        self._unordered = False  # postings came out of doc-number order
        self._lastdoc = -1

    def add(self, item):
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self._terms.get(fieldname)
        if terms is None:
            terms = self._terms[fieldname] = {}
            self.fieldnames.add(fieldname)
        got = terms.get(tbytes)
        if got is None:
            terms[tbytes] = [docnum, weight, vbytes]
            self.currentsize += TERM_BYTES + len(tbytes)
        else:
            got += (docnum, weight, vbytes)
        # A writer adds a document's postings (one per term and field) after the one
        # before's; a lower doc number than the last (another caller) sorts every term.
        # Checked here rather than against the term's last posting: reading that back
        # was 4% of an indexing process (py-spy).
        if docnum < self._lastdoc:
            self._unordered = True
        self._lastdoc = docnum
        self.currentsize += POSTING_BYTES + len(vbytes or b"")
        if self.currentsize > self.limit:
            self.save()

    def add_terms(self, fieldname: str, docnum: int, items, boost: float, encode: bool) -> int:
        """One document's postings in one field: ``items`` are its format's ``(term,
        frequency, weight, value)`` (``word_values``; terms as str when ``encode``, UTF-8
        bytes otherwise: ``FieldType.index``), each weight times ``boost``, as whoosh's
        ``SegmentWriter.add_document`` adds them a posting at a time. Returns the sum of
        the frequencies (the field's length in the document)."""
        terms = self._terms.get(fieldname)
        if terms is None:
            terms = self._terms[fieldname] = {}
            self.fieldnames.add(fieldname)
        if docnum < self._lastdoc:
            self._unordered = True
        self._lastdoc = docnum
        get = terms.get
        length = 0
        size = 0
        for term, freq, weight, vbytes in items:
            tbytes = term.encode("utf-8") if encode else term
            length += freq
            got = get(tbytes)
            if got is None:
                terms[tbytes] = [docnum, weight * boost, vbytes]
                size += TERM_BYTES + len(tbytes)
            else:
                got += (docnum, weight * boost, vbytes)
            size += POSTING_BYTES + len(vbytes or b"")
        self.currentsize += size
        if self.currentsize > self.limit:
            self.save()
        return length

    def _memory_groups(self):
        """The terms in memory, sorted, as ``(fieldname, btext, flat)`` (``_columns``);
        the pool is empty after."""
        terms_of = self._terms
        self._terms = {}
        for fieldname in sorted(terms_of):
            terms = terms_of.pop(fieldname)
            for tbytes in sorted(terms):
                yield fieldname, tbytes, terms[tbytes]

    def _sorted_postings(self) -> list:
        """The postings in memory in whoosh's order (field, term, doc number, ...)."""
        out: list = []
        extend = out.extend
        unordered = self._unordered
        for fieldname, tbytes, flat in self._memory_groups():
            ids, weights, values = _columns(flat, unordered)
            extend(zip(repeat(fieldname), repeat(tbytes), ids, weights, values))
        self._unordered = False
        return out

    def _take_sorted(self) -> list:
        return self._sorted_postings()

    def save(self):
        # SortingPool.save without its sort: the terms are written in order, whole.
        if self._terms:
            unordered = self._unordered
            groups = self._memory_groups()
            if unordered:
                groups = ((f, t, _sorted_flat(flat)) for f, t, flat in groups)
            path, f = self._new_run()
            self._write_groups(f, groups)
            self._add_run(path)
        self._unordered = False
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
                unordered = self._unordered
                self._unordered = False
                return TermGroups(
                    (f, t, *_columns(flat, unordered)) for f, t, flat in self._memory_groups()
                )
            return TermGroups(self._merged_groups())
        streams, self.streams = self.streams, []
        return heapq.merge(super().iter_postings(), *streams)

    def _merged_groups(self, maxfiles=128):
        """Whole terms from the runs (what is in memory written as one more), sorted:
        ``(fieldname, btext, docnums, weights, values)``."""
        self.save()
        if maxfiles < len(self.runs):
            self.reduce_to(maxfiles, maxfiles)
        runs, self.runs = self.runs, []
        merged = heapq.merge(*[self._read_groups(path) for path in runs], key=_group_key)
        key = field = None
        flat: list = []
        unordered = False
        for fieldname, tbytes, more in merged:
            if tbytes != key or fieldname != field:
                if key is not None:
                    yield field, key, *_columns(flat, unordered)
                key, field, flat, unordered = tbytes, fieldname, more, False
            else:
                # each run's terms are in doc order (save); runs that overlap (reduce_to
                # merges the last ones first) are sorted again
                if more[0] < flat[-3]:
                    unordered = True
                flat = flat + more
        if key is not None:
            yield field, key, *_columns(flat, unordered)

    def _write_groups(self, f, groups):
        """Sorted ``(fieldname, btext, flat)`` terms into a run, in pickled chunks of about
        ``CHUNK`` postings."""
        chunk: list = []
        n = 0
        for g in groups:
            chunk.append(g)
            n += len(g[2])
            if n >= 3 * CHUNK:
                f.write(pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL))
                chunk = []
                n = 0
        if chunk:
            f.write(pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL))
        f.close()

    def _write_run(self, f, items):
        # whoosh's reduce_to: the merge of other runs, sorted postings, as terms
        self._write_groups(f, _flat_groups(items))

    def _read_groups(self, path):
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

    def _read_run(self, path):
        # whoosh's postings, one tuple each (items, reduce_to)
        for fieldname, tbytes, flat in self._read_groups(path):
            yield from zip(repeat(fieldname), repeat(tbytes), flat[0::3], flat[1::3], flat[2::3])


def _group_key(group):
    return group[0], group[1], group[2][0]


def _sorted_flat(flat: list) -> list:
    if len(flat) == 3:
        return flat
    out: list = []
    for t in sorted(zip(flat[0::3], flat[1::3], flat[2::3], strict=True)):
        out += t
    return out


def _flat_groups(items):
    """Sorted ``(fieldname, btext, docnum, weight, value)`` postings as ``(fieldname,
    btext, flat)`` terms."""
    key = field = None
    flat: list = []
    for fieldname, tbytes, docnum, weight, value in items:
        if tbytes != key or fieldname != field:
            if key is not None:
                yield field, key, flat
            key, field, flat = tbytes, fieldname, []
        flat += (docnum, weight, value)
    if key is not None:
        yield field, key, flat


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
