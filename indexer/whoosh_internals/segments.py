"""Reading an index below whoosh's public API, for ``mlsearch check`` (``write/check.py``).

Whoosh's readers answer queries; ``check`` must instead read everything, block by block,
and tell where reading fails: the segments listed in the table of contents, every entry of
a segment's term dictionary, every block of a term's postings decoded whole, and where
whoosh's decoding code lives (an error raised there means damaged files, not a bug).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator


def index_segments(ix) -> list:
    """The segments the index's latest table of contents lists (``Index._segments``)."""
    return ix._segments()


def term_entries(reader) -> Iterator[tuple[tuple[str, bytes], object]]:
    """``((fieldname, term bytes), TermInfo)`` of every term of a segment's dictionary,
    in order, read as the iteration goes (``SegmentReader._terms.items``)."""
    return reader._terms.items()


def posting_blocks(
    reader, fieldname: str, tbytes: bytes, fmt, info=None
) -> Iterator[tuple[list, list, list]]:
    """Each block of a term's postings, decoded whole: ``(doc numbers, weights, values)``.

    A term with one posting keeps it inlined in the dictionary: one block of one. Raises
    ValueError when a block's doc numbers, weights and values disagree in number. ``info``:
    the term's TermInfo when the caller has it (``term_entries``), saving a lookup.
    """
    from whoosh.codec.whoosh3 import W3LeafMatcher

    terms = reader._terms
    if info is None:
        m = terms.matcher(fieldname, tbytes, fmt)
    else:
        m = terms._codec.postings_reader(terms._postfile, info, fmt, term=(fieldname, tbytes))
    if isinstance(m, W3LeafMatcher):
        while m.is_active():
            m._read_ids()
            m._read_weights()
            m._read_values()
            n = m._blocklength
            if not (len(m._ids) == len(m._weights) == len(m._values) == n):
                raise ValueError("a block's ids, weights and values disagree in number")
            yield m._ids, m._weights, m._values
            m._next_block()
    else:  # a term's only posting, inlined in the dictionary
        while m.is_active():
            yield [m.id()], [m.weight()], [m.value()]
            m.next()


def decoder_paths() -> tuple[str, ...]:
    """Whoosh's modules that read and decode index files (not its query or writing code),
    and pickle: folders end with a separator."""
    import whoosh

    top = os.path.dirname(os.path.abspath(whoosh.__file__))
    dirs = ("codec", "filedb", "util")
    files = ("columns.py", "formats.py", "index.py", "reading.py", "system.py")
    return (
        *(os.path.join(top, d) + os.sep for d in dirs),
        *(os.path.join(top, f) for f in files),
        os.path.abspath(pickle.__file__),
    )
