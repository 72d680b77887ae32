"""What queries read of each segment, read once for the open index (``IndexCache``).

A date, a group label or a field length is looked up for every match; whoosh's column
readers read the file at every lookup (date order on 15k articles was the slowest kind of
warm query, p50 34 ms), so each column is read whole the first time a query needs it and
kept until the Searcher reopens the index. The collector (``search.collect``) and the
block scorer (``search.blockscore``) share one cache: the date column is read once.
"""

from __future__ import annotations

from indexer.whoosh_internals.columns import (
    LENGTH_OF_BYTE,
    column_default,
    column_values,
    field_lengths,
    var_bytes,
)

_UNREAD = object()


class SegmentData:
    """One segment's columns, each read on first use: ``dates()``, ``groups()``,
    ``lengths(fieldname)``; and how many documents each query clause seen so far can
    match (``clause_counts``)."""

    def __init__(self, reader):
        self.reader = reader
        self._dates = _UNREAD
        self._groups = _UNREAD
        self._labels = _UNREAD
        self._lengths: dict[str, bytes] = {}
        # (type, clause) -> the documents it can match here (``search.matching``'s weights)
        self.clause_counts: dict[tuple, int] = {}

    def _raw_column(self, name: str):
        reader = self.reader
        return reader.column_reader(name, translate=False) if reader.has_column(name) else None

    def dates(self):
        """``(values, undated)``: the date column's raw values (the order whoosh sorts
        by) and the value an undated article has; None when the segment has no dates."""
        if self._dates is _UNREAD:
            column = self._raw_column("date")
            if column is None:
                self._dates = None
            else:
                self._dates = (column_values(column), column_default(column))
        return self._dates

    def groups(self):
        """The near-duplicate group labels (the ``dup`` column) as ``(data, starts,
        lengths)`` (``indexer.whoosh_internals.columns.var_bytes``); None without the column."""
        if self._groups is _UNREAD:
            column = self._raw_column("dup")
            self._groups = None if column is None else var_bytes(column)
        return self._groups

    def group_labels(self) -> list[bytes | None] | None:
        """Each document's group label (``groups()`` sliced), None for a document in no
        group; None without the column."""
        if self._labels is _UNREAD:
            groups = self.groups()
            if groups is None:
                self._labels = None
            else:
                data, starts, lengths = groups
                self._labels = [
                    data[a : a + n] if n else None for a, n in zip(starts, lengths, strict=True)
                ]
        return self._labels

    def lengths(self, fieldname: str) -> bytes:
        """The length byte of ``fieldname`` for every document (``LENGTH_OF_BYTE``)."""
        data = self._lengths.get(fieldname)
        if data is None:
            data = self._lengths[fieldname] = field_lengths(self.reader, fieldname)
        return data


class IndexCache:
    """Per open index: each segment reader's ``SegmentData``, and BM25F's length
    normalisation per field (``length_parts``)."""

    def __init__(self):
        self._segments: dict[int, SegmentData] = {}
        self._parts: dict[tuple, list[float]] = {}

    def segment(self, reader) -> SegmentData:
        data = self._segments.get(id(reader))
        if data is None or data.reader is not reader:
            data = self._segments[id(reader)] = SegmentData(reader)
        return data

    def length_parts(self, fieldname: str, scorer) -> list[float]:
        """``K1 * ((1 - B) + B * fl / avgfl)`` (whoosh.scoring.bm25) for each length byte."""
        key = (fieldname, scorer.avgfl, scorer.B, scorer.K1)
        parts = self._parts.get(key)
        if parts is None:
            k1, b, avgfl = scorer.K1, scorer.B, scorer.avgfl
            parts = self._parts[key] = [k1 * ((1 - b) + b * fl / avgfl) for fl in LENGTH_OF_BYTE]
        return parts
