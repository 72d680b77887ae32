"""Whoosh's posting pool, writing its sorted runs in chunks instead of a posting at a time.

While indexing, whoosh keeps postings in memory up to ``limitmb``, then sorts them and
writes them to a temporary "run" file, to be merged at commit. It pickles each posting
with its own ``pickle.dump`` call into a Python file wrapper, so writing runs took 40% of
an indexing process's time on the 153k-article build (py-spy). Here a run is a sequence
of pickled lists of up to ``CHUNK`` postings: the same postings in the same order, a
fraction of the calls. Runs are temporary files that only this pool writes and reads.

``install()`` puts this pool in place of whoosh's for every writer created afterwards
(the sub-processes of a parallel run inherit it); whoosh3 is pinned to an exact version.
``uninstall()`` puts whoosh's back, and ``installed()`` does both around a block (tests).
"""

from __future__ import annotations

import contextlib
import itertools
import pickle
from collections.abc import Iterator

from whoosh import writing

# Postings a chunk: merging runs holds one chunk of each open run (whoosh opens up to 128).
CHUNK = 4096

_original = writing.PostingPool


class ChunkedPostingPool(_original):
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


def install() -> None:
    writing.PostingPool = ChunkedPostingPool


def uninstall() -> None:
    """Whoosh's own posting pool again, for writers created afterwards."""
    writing.PostingPool = _original


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """This pool for the writers created in the block; whatever was in place before after it."""
    before = writing.PostingPool
    install()
    try:
        yield
    finally:
        writing.PostingPool = before
