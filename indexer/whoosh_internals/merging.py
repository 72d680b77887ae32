"""Whoosh's merge policy, saying when it merges: ``merge_small``.

A commit first lets the merge policy (``MERGE_SMALL``, whoosh's default) pick small segments
and add them to the new one (``writer.add_reader``); their postings are written with the
new segment's. ``merge_small(say)`` is that policy, calling ``say("merging")`` before the
first segment it adds and ``say("writing")`` when it is done (the phase names of
``indexer.write.progress``). Kept apart from ``mpwriter`` so that a single-process run
doesn't import ``whoosh.multiproc`` (and ``multiprocessing``: 25 ms) for it.
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh.writing import MERGE_SMALL


class _SaysMerging:
    """The writer as whoosh's merge policy sees it: ``say("merging")`` before the first
    segment it adds; everything else is the writer's."""

    def __init__(self, writer, say: Callable[[str], None]):
        self._writer = writer
        self._say = say
        self.merged = False

    def add_reader(self, reader):
        if not self.merged:
            self.merged = True
            self._say("merging")
        return self._writer.add_reader(reader)

    def __getattr__(self, name):
        return getattr(self._writer, name)


def merge_small(say: Callable[[str], None]):
    """Whoosh's default merge policy (``MERGE_SMALL``), for ``writer.commit(mergetype=...)``,
    saying "merging" when it merges small segments into the new one, and "writing" once
    done (the new segment, merged postings included, is written after)."""

    def policy(writer, segments):
        seen = _SaysMerging(writer, say)
        kept = MERGE_SMALL(seen, segments)
        if seen.merged:
            say("writing")
        return kept

    return policy
