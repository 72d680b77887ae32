"""Whoosh columns read whole (Whoosh's private API): numeric columns, variable-length bytes
columns and the per-field length columns BM25F normalises by.

Whoosh's column readers read the file at every lookup (2.6 µs a value); search looks up a
date, a group label or a field length for every match, so each column is read at once
into an array here and cached by the caller for the open index.
"""

from __future__ import annotations

import sys
from array import array

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

# The field length each byte of a length column stands for (whoosh stores lengths lossily
# in one byte).
LENGTH_OF_BYTE = [byte_to_length(b) for b in range(256)]


def column_values(column):
    """Every value of a whoosh numeric column, read at once (its reader reads one value a
    call: 2.6 µs each). Bytes for a one-byte column (field lengths), else an array."""
    count, fixed = column._count, column._fixedlen
    raw = column._dbfile.get(column._basepos, count * fixed)
    if column._typecode == "B":
        values = raw
        pad = bytes([column._default]) * (column._doccount - count)
        return values + pad if pad else values
    values = array(column._typecode, raw)
    if sys.byteorder == "little":
        values.byteswap()  # whoosh writes columns in network order
    values.extend([column._default] * (column._doccount - count))
    return values


def column_default(column):
    """The raw value a numeric column holds for a document that has none (an undated
    article's date)."""
    return column._default


def var_bytes(column):
    """A whoosh variable-length bytes column as ``(data, starts, lengths)``: value ``i`` is
    ``data[starts[i]:starts[i] + lengths[i]]``, empty when ``lengths[i]`` is 0."""
    if type(column).__name__ != "Reader" or not hasattr(column, "_offsets"):
        values = [column[i] or b"" for i in range(len(column))]
        starts, at = [], 0
        for v in values:
            starts.append(at)
            at += len(v)
        return b"".join(values), starts, [len(v) for v in values]
    lengths, starts = column._lengths, column._offsets
    end = starts[-1] + lengths[-1] if len(starts) else 0  # values are stored in doc order
    return column._dbfile.get(column._basepos, end), starts, lengths


def field_lengths(reader, fieldname: str) -> bytes:
    """The length byte of ``fieldname`` for every document of segment ``reader`` (all 0
    when no document has the field); ``LENGTH_OF_BYTE`` reads a byte."""
    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    return bytes(reader.doc_count_all()) if column is None else column_values(column)
