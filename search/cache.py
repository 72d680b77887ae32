"""What queries read of each segment, read once for the open index (``IndexCache``).

A date, a group label or a field length is looked up for every match; whoosh's column
readers read the file at every lookup (date order on 15k articles was the slowest kind of
warm query, p50 34 ms), so each column is read whole the first time a query needs it and
kept until the Searcher reopens the index. The collector (``search.collect``) and the
block scorer (``search.blockscore``) share one cache: the date column is read once.
"""

from __future__ import annotations

import copy

from indexer.whoosh_internals.columns import (
    LENGTH_OF_BYTE,
    column_default,
    column_values,
    field_lengths,
    var_bytes,
)

_UNREAD = object()


class GroupLabels(dict):
    """A segment's group labels by docnum (``SegmentData.group_labels``), each sliced from
    the column's bytes the first time it is looked up (``fill`` slices many at once): a
    list of them all cost a cold query 17-28 ms at 10x (153,000 articles) when it
    needed those of its 31,000 matches."""

    __slots__ = ("_data", "_starts", "_lengths", "filled")

    def __init__(self, data: bytes, starts, lengths):
        super().__init__()
        self._data, self._starts, self._lengths = data, starts, lengths
        self.filled = False  # whether ``fill`` was called

    def __missing__(self, d: int) -> bytes | None:
        if not 0 <= d < len(self._lengths):
            raise IndexError(d)
        a, n = self._starts[d], self._lengths[d]
        label = self[d] = self._data[a : a + n] if n else None
        return label

    def fill(self, docs) -> None:
        """Slice the labels of ``docs`` (a set or dict keys of docnums) not sliced yet."""
        data, starts, lengths = self._data, self._starts, self._lengths
        missing = docs - self.keys() if self else docs
        self.update({d: data[starts[d] : starts[d] + lengths[d]] or None for d in missing})
        self.filled = True

    def as_list(self) -> list[bytes | None]:
        """Every document's label, in docnum order."""
        data = self._data
        return [
            data[a : a + n] if n else None for a, n in zip(self._starts, self._lengths, strict=True)
        ]


def nth_group_score(best, labels, n: int) -> float | None:
    """The score of the ``n``-th best group among ``best`` ((docnum, score) pairs, best
    first): a group counts once, at its best copy, and an article without one (label
    None, or no ``labels``) on its own; None when ``best`` holds fewer groups."""
    named: set = set()
    for d, score in best:
        label = labels[d] if labels is not None else None
        if label is None or label not in named:
            named.add(label)
            n -= 1
            if n <= 0:
                return score
    return None


class SegmentData:
    """One segment's columns, each read on first use: ``dates()``, ``groups()``,
    ``lengths(fieldname)``; and how many documents each query clause seen so far can
    match (``clause_counts``)."""

    def __init__(self, reader):
        self.reader = reader
        self._dates = _UNREAD
        self._date_keys = _UNREAD
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

    def date_keys(self):
        """Each document's date as date order ranks it, an undated article's 0 (its raw
        value reads as the largest): ``dates()`` with the undated replaced, once for the
        open index. None when the segment has no dates."""
        if self._date_keys is _UNREAD:
            loaded = self.dates()
            if loaded is None:
                self._date_keys = None
            else:
                values, undated = loaded
                keys = bytearray(values) if isinstance(values, bytes) else copy.copy(values)
                if undated in values:
                    for d, v in enumerate(values):
                        if v == undated:
                            keys[d] = 0
                self._date_keys = keys
        return self._date_keys

    def groups(self):
        """The near-duplicate group labels (the ``dup`` column) as ``(data, starts,
        lengths)`` (``indexer.whoosh_internals.columns.var_bytes``); None without the column."""
        if self._groups is _UNREAD:
            column = self._raw_column("dup")
            self._groups = None if column is None else var_bytes(column)
        return self._groups

    def group_labels(self) -> GroupLabels | list[bytes | None] | None:
        """Each document's group label (``groups()`` sliced), None for a document in no
        group; None without the column. The first query to ask gets a ``GroupLabels``,
        which slices those it looks up; once a query has given it its matches
        (``GroupLabels.fill``), the next gets a list of them all, read at C speed (a
        server's, the bench's warm queries)."""
        labels = self._labels
        if labels is _UNREAD:
            groups = self.groups()
            labels = self._labels = None if groups is None else GroupLabels(*groups)
        elif type(labels) is GroupLabels and labels.filled:
            labels = self._labels = labels.as_list()
        return labels

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
