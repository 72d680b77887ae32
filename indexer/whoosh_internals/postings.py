"""A term's postings in one segment read a posting block at a time (Whoosh's private API).

Whoosh's public matcher steps one posting a call; the block scorer (``search.blockscore``)
and ``live_doc_frequency`` read each block's arrays at once: the ids, the weights (term
frequencies) and the encoded values (positions), each decoded only when asked for.
"""

from __future__ import annotations

from whoosh.codec.whoosh3 import W3LeafMatcher


class PostingBlocks:
    """The posting blocks of one term in one segment, from the first: ``active()`` while a
    block is current; ``max_id()`` of the current block is known before it is decoded;
    ``ids()``, ``weights()``, ``values()`` decode the current block's arrays (once);
    ``next()`` moves to the next block."""

    __slots__ = ("_m",)

    def __init__(self, matcher):
        self._m = matcher

    def active(self) -> bool:
        return self._m.is_active()

    def max_id(self) -> int:
        return self._m._maxid

    def ids(self):
        m = self._m
        if m._ids is None:
            m._read_ids()
        return m._ids

    def weights(self):
        m = self._m
        if m._weights is None:
            m._read_weights()
        return m._weights

    def values(self):
        m = self._m
        if m._values is None:
            m._read_values()
        return m._values

    def values_at(self, ks: list[int]) -> list:
        """The values of the current block's postings ``ks`` (indexes into ``ids()``):
        mlsearch's codec cuts out only theirs (``MLLeafMatcher.values_at``) where
        ``values()`` cuts all of a block's, and proximity wants one or two of them."""
        m = self._m
        if m._values is None:
            pick = getattr(m, "values_at", None)
            if pick is not None:
                return pick(ks)
            m._read_values()
        values = m._values
        return [values[k] for k in ks]

    def next(self) -> None:
        self._m._next_block()


def term_matcher(reader, fieldname: str, btext: bytes, scorer=None):
    """Whoosh's matcher for term ``btext`` (bytes, as the field encodes it) of
    ``fieldname`` in segment ``reader``, deleted documents included (``reader.postings``
    leaves them out). The term must be in the segment. ``scorer``: as ``postings`` takes."""
    fmt = reader.schema[fieldname].format
    return reader._terms.matcher(fieldname, btext, fmt, scorer=scorer)


def posting_blocks(matcher) -> PostingBlocks | None:
    """The blocks of a ``term_matcher``, from its current block; None when the segment's
    codec does not store postings in whoosh3 blocks (only the matcher can read them).
    mlsearch's codec (``codec.MLLeafMatcher``, inlined postings too) is a W3LeafMatcher."""
    if not isinstance(matcher, W3LeafMatcher):
        return None
    return PostingBlocks(matcher)


def term_blocks(reader, fieldname: str, text, schema=None):
    """``(btext, blocks)`` of term ``text`` of ``fieldname`` in segment ``reader``: the
    term as the field encodes it and the ``posting_blocks`` of its ``term_matcher`` (None
    where only the matcher can read them), deleted documents included; None when the
    segment lacks the term or the field cannot encode ``text``. ``schema``: the one that
    encodes it (default the reader's)."""
    try:
        btext = (schema or reader.schema)[fieldname].to_bytes(text)
    except (KeyError, ValueError):
        return None
    if (fieldname, btext) not in reader:
        return None
    return btext, posting_blocks(term_matcher(reader, fieldname, btext))


def term_bytes(reader, fieldname: str, text) -> bytes:
    """``text`` (str or bytes) as ``fieldname`` encodes its terms."""
    return reader._text_to_bytes(fieldname, text)


def live_doc_frequency(reader, fieldname: str, text) -> int:
    """The articles with ``text`` in ``fieldname``, deleted ones left out: whoosh's
    ``doc_frequency`` still counts an article that was updated or removed until a merge
    drops it from its segment. Costs nothing more on segments without deletions."""
    df = reader.doc_frequency(fieldname, text)
    if not df or not reader.has_deletions():
        return df
    total = 0
    for leaf, _offset in reader.leaf_readers():
        n = leaf.doc_frequency(fieldname, text)
        if n and leaf.has_deletions():
            n -= _deleted_with(leaf, fieldname, text)
        total += n
    return total


def terms_present(reader, fieldname: str, texts) -> set:
    """The ``texts`` that ``fieldname`` has in some segment of ``reader``, deleted
    documents counted (``live_doc_frequency`` tells whether a live one has it): a segment
    of mlsearch's codec looks them up together (``MLTermsReader.doc_frequencies``),
    another one by one."""
    texts = list(dict.fromkeys(texts))
    found: set = set()
    leaves = [reader] if reader.is_atomic() else [r for r, _offset in reader.leaf_readers()]
    for leaf in leaves:
        rest = [t for t in texts if t not in found]
        if not rest:
            break
        terms = getattr(leaf, "_terms", None)
        many = getattr(terms, "doc_frequencies", None)
        if many is None or fieldname not in leaf.schema:
            found.update(t for t in rest if leaf.doc_frequency(fieldname, t))
            continue
        encoded = [term_bytes(leaf, fieldname, t) for t in rest]
        found.update(t for t, n in zip(rest, many(fieldname, encoded), strict=True) if n)
    return found


def _deleted_with(leaf, fieldname: str, text) -> int:
    """Deleted documents of segment ``leaf`` that have the term, a posting block at a time."""
    deleted = leaf.deleted_docs_set
    btext = term_bytes(leaf, fieldname, text)
    m = term_matcher(leaf, fieldname, btext)
    blocks = posting_blocks(m)
    if blocks is None:
        return sum(1 for d in m.all_ids() if d in deleted)
    n = 0
    while blocks.active():
        n += len(deleted.intersection(blocks.ids()))
        blocks.next()
    return n


def matches_at(m, docs):
    """The documents of ``docs`` (ascending) that matcher ``m`` (any whoosh matcher)
    matches, each yielded while ``m`` stands on it (read ``m.score()`` or its value then)."""
    for d in docs:
        if not m.is_active():
            return
        if m.id() < d:
            m.skip_to(d)
            if not m.is_active():
                return
        if m.id() == d:
            yield d


def all_scores(m) -> dict:
    """Every document matcher ``m`` matches, with its score."""
    out = {}
    while m.is_active():
        out[m.id()] = m.score()
        m.next()
    return out
