"""mlsearch's Whoosh codec: Whoosh's ``W3Codec`` with compact posting blocks and term
entries, through Whoosh's published ``Codec`` seam (issue 15).

The codec object is pickled into each segment of the table of contents, so Whoosh's own
``whoosh.index.open_dir(...).searcher()`` opens an index written with it (this module must
stay importable at this path: moving it needs a ``SCHEMA_VERSION`` bump). Only the term
dictionary (``.trm``) and the postings (``.pst``) change; the per-document files (stored
fields, field lengths, columns) are whoosh3's.

What ``W3Codec`` spends, and what this codec writes instead (a 3,000-article sample of the
shared corpus, one segment: postings 36.9 -> 3.9 MB, dictionary 19.9 -> 7.6 MB, the
whole index 64.1 -> 18.7 MB, 10.0x -> 2.9x its raw text):

* A posting block: whoosh3 pickles ``(ids, weights, values)`` (a float pickled in 9 bytes,
  every position list pickled again inside its value), plus a 4-byte tag and a pickled
  header per term. Here: a varint header, the doc-number deltas as a byte, short or int
  array (whichever holds the largest), the weights as small integers when they are
  whole (term frequencies always are here), and values either left out (Frequency's
  value is its weight: rebuilt on reading) or as one array of their lengths and their
  bytes; the whole block deflated when that pays.
* A term entry: whoosh3 packs 23 bytes of statistics and 12 of extent; here varints.
  A term with one posting keeps just that posting in its entry (doc number, weight,
  field length, value; its statistics follow from it), with no block in the postings
  file: most terms of an index (near-duplicate band terms, rare words and bigrams) have
  one.
* The term dictionary: whoosh3's ordered hash file spends 32 bytes a term on lengths,
  hash slots and its order array; ``TermTableWriter`` writes sorted entries in blocks of
  16, each key sharing its prefix with the one before, and a block index (each block's
  first key) that readers bisect.
* Positions (``CompactPositions``, the format of the language fields): whoosh's
  ``Positions`` stores a 4-byte count and a pickled list of deltas per posting; here one
  type byte and the deltas as a byte, short or int array.

Reading: ``MLLeafMatcher`` is a ``W3LeafMatcher`` (the block scorer reads its ``_ids``,
``_weights``, ``_values`` through ``postings.PostingBlocks`` as before), for inlined
postings too. ``tests/test_codec.py`` checks that whoosh's reader, searcher and
``mlsearch check`` read every posting back.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import sys
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import accumulate
from operator import sub
from struct import Struct

from whoosh import columns, formats
from whoosh.codec import base
from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import (
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    W3TermInfo,
    W3TermsReader,
)
from whoosh.filedb.compound import SubFile
from whoosh.reading import CorruptIndexError, TermNotFound
from whoosh.system import emptybytes, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

BLOCK_LIMIT = 128  # postings per block, as whoosh3's
DEFLATE_MIN = 64  # blocks of fewer data bytes are never deflated
DEFLATE_LEVEL = 3  # whoosh3's

_SWAP = sys.byteorder != "little"  # arrays are stored little-endian
_TYPECODES = ("B", "H", "I", "Q")
_F32 = Struct("<f")

# Header flags of a block (a varint)
_LAST = 1  # the term's last block
_DEFLATED = 2
# bits 2-3: doc-number delta typecode; 4-5: weights kind; 6-7: weights typecode;
# 8-9: values kind; 10-11: value lengths typecode
_W_ONES, _W_INTS, _W_FLOATS = 0, 1, 2
_V_NONE, _V_FROM_WEIGHTS, _V_FIXED, _V_VARIABLE = 0, 1, 2, 3

# Term entry flags (one byte)
_T_SINGLE = 1  # the term's one posting is in the entry
_T_FLOAT_WEIGHTS = 2
_T_VALUE_IS_WEIGHT = 4  # that posting's value is its weight packed (Frequency)


# --- small encoders ------------------------------------------------------------------------


def _varint(n: int, out: bytearray) -> None:
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _read_varint(b, i: int) -> tuple[int, int]:
    n = b[i]
    i += 1
    if n < 0x80:
        return n, i
    n &= 0x7F
    shift = 7
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        if c < 0x80:
            return n, i
        shift += 7


def _typecode(largest: int) -> int:
    if largest < 0x100:
        return 0
    if largest < 0x10000:
        return 1
    if largest < 0x100000000:
        return 2
    return 3


def _array_bytes(tc: int, values) -> bytes:
    a = array(_TYPECODES[tc], values)
    if _SWAP:
        a.byteswap()
    return a.tobytes()


def _read_array(tc: int, b, start: int, count: int) -> tuple[array, int]:
    a = array(_TYPECODES[tc])
    end = start + count * a.itemsize
    a.frombytes(b[start:end])
    if _SWAP:
        a.byteswap()
    return a, end


def _whole(x: float) -> bool:
    return x >= 0 and x == int(x) and x < 1 << 53


# --- positions ---------------------------------------------------------------------------


def _direct_tokens(value, analyzer, kwargs):
    """The ``(term, position, start, end)`` tuples of ``analyzer`` (one of mlsearch's own,
    which have ``tokens_of``: ``analyse/fields.py``) over ``value`` when indexing, without
    whoosh's Token objects; None when whoosh's own path applies (another analyzer, a
    sequence value, other options). The same terms and positions as the Token path: its
    tokens are never stopped, their boost is 1, positions start at 0."""
    tokens_of = getattr(analyzer, "tokens_of", None)
    if (
        tokens_of is None
        or not isinstance(value, str)
        or kwargs.get("mode", "index") != "index"
        or kwargs.keys() - {"mode"}
    ):
        return None
    return tokens_of(value, "index", True)


def _direct_terms(value, analyzer, kwargs, positions: bool):
    """The terms ``_direct_tokens`` would give, in order, through the analyzer's
    ``index_terms`` (no spans, no tuples: ``analyse/fields.py``); None when it has none,
    or, for ``positions``, when a token's position is not its index in that list."""
    index_terms = getattr(analyzer, "index_terms", None)
    if (
        index_terms is None
        or (positions and not getattr(analyzer, "consecutive_positions", False))
        or not isinstance(value, str)
        or kwargs.get("mode", "index") != "index"
        or kwargs.keys() - {"mode"}
    ):
        return None
    return index_terms(value)


_SINGLE_POSITION = [bytes((0, p)) for p in range(256)]  # CompactPositions.encode([p])


class CompactPositions(formats.Positions):
    """Whoosh's ``Positions`` (frequency, weight, positions), each posting's positions
    stored as one type byte (0: bytes, 1: shorts, 2: ints) and the deltas between them
    as an array of that type, little-endian."""

    def word_values(self, value, analyzer, **kwargs):
        # The writer's hot loop: one dict of position lists, no Token per word.
        terms = _direct_terms(value, analyzer, kwargs, positions=True)
        poses: dict[str, list[int]] = {}
        if terms is not None:
            for pos, term in enumerate(terms):
                got = poses.get(term)
                if got is None:
                    poses[term] = [pos]
                else:
                    got.append(pos)
        else:
            toks = _direct_tokens(value, analyzer, kwargs)
            if toks is None:
                return super().word_values(value, analyzer, **kwargs)
            for term, pos, _a, _b in toks:
                got = poses.get(term)
                if got is None:
                    poses[term] = [pos]
                else:
                    got.append(pos)
        fb = self.field_boost
        encode = self.encode
        return [(w, len(p), float(len(p)) * fb, encode(p)) for w, p in poses.items()]

    def encode(self, poslist) -> bytes:
        if len(poslist) == 1 and 0 <= poslist[0] < 256:
            return _SINGLE_POSITION[poslist[0]]  # most terms of an article: once
        deltas = list(map(sub, poslist, [0, *poslist[:-1]]))
        tc = _typecode(max(deltas)) if deltas else 0
        return bytes((tc,)) + _array_bytes(tc, deltas)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        try:
            a = array(_TYPECODES[valuestring[0]])
            a.frombytes(valuestring[1:])
        except (IndexError, ValueError):
            raise CorruptIndexError(f"damaged positions {valuestring[:16]!r}") from None
        if _SWAP:
            a.byteswap()
        return list(accumulate(a))

    def decode_frequency(self, valuestring: bytes) -> int:
        try:
            return (len(valuestring) - 1) // array(_TYPECODES[valuestring[0]]).itemsize
        except IndexError:
            raise CorruptIndexError(f"damaged positions {valuestring[:16]!r}") from None

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost

    def combine(self, vs) -> bytes:
        s = set()
        for v in vs:
            s.update(self.decode_positions(v))
        return self.encode(sorted(s))


class SurfaceFrequency(formats.Frequency):
    """Whoosh's ``Frequency`` (the ``spell`` field's format), indexing mlsearch's own
    analyzers' tokens without whoosh's Token objects (``_direct_tokens``); stored alike."""

    def word_values(self, value, analyzer, **kwargs):
        terms = _direct_terms(value, analyzer, kwargs, positions=False)
        if terms is None:
            return super().word_values(value, analyzer, **kwargs)
        freqs = Counter(terms)  # counted in C, in order of first occurrence
        fb = self.field_boost
        return [(w, n, float(n) * fb, pack_uint(n)) for w, n in freqs.items()]


# --- writing -------------------------------------------------------------------------------


def _deflated(data, flags: int) -> tuple:
    """``data`` deflated, with ``_DEFLATED`` in ``flags``, when that makes it smaller."""
    if len(data) >= DEFLATE_MIN:
        packed = zlib.compress(data, DEFLATE_LEVEL)
        if len(packed) < len(data):
            return packed, flags | _DEFLATED
    return data, flags


def _encode_block(ids, weights, values, fmt, base: int, last: bool, minlength, maxlength) -> bytes:
    """A block of postings (doc numbers ascending, above ``base``): header + data."""
    n = len(ids)
    data = bytearray()
    # doc numbers as deltas from the previous block's last one
    idlist = ids.tolist() if isinstance(ids, array) else list(ids)
    deltas = list(map(sub, idlist, [base, *idlist[:-1]]))
    idtc = _typecode(max(deltas))
    data += _array_bytes(idtc, deltas)
    # weights: ones, whole numbers (term frequencies) or floats
    maxweight = max(weights)
    wlist = weights.tolist() if isinstance(weights, array) else list(weights)
    try:
        ints = list(map(int, wlist))
    except (OverflowError, ValueError):  # inf, nan
        ints = None
    if ints is not None and ints == wlist and min(ints) >= 0 and maxweight < 1 << 53:
        if ints.count(1) == n:
            wkind, wtc = _W_ONES, 0
        else:
            wkind = _W_INTS
            wtc = _typecode(int(maxweight))
            data += _array_bytes(wtc, ints)
    else:
        ints = None
        wkind, wtc = _W_FLOATS, 0
        f = array("f", weights)
        if _SWAP:
            f.byteswap()
        data += f.tobytes()
    # values
    fixed = fmt.fixed_value_size()
    ltc = 0
    if fixed == 0 or not values:
        vkind = _V_NONE
    elif fixed == 4 and ints is not None and _packed_uints(values, ints):
        vkind = _V_FROM_WEIGHTS  # Frequency: the value is the weight, packed
    elif fixed is not None and fixed > 0:
        vkind = _V_FIXED
        data += b"".join(values)
    else:
        vkind = _V_VARIABLE
        lengths = [len(v) for v in values]
        ltc = _typecode(max(lengths))
        data += _array_bytes(ltc, lengths)
        data += b"".join(values)
    flags = (_LAST if last else 0) | idtc << 2 | wkind << 4 | wtc << 6 | vkind << 8 | ltc << 10
    data, flags = _deflated(data, flags)
    head = bytearray()
    _varint(flags, head)
    _varint(n, head)
    _varint(ids[-1] - base, head)
    _varint(len(data), head)
    if wkind == _W_FLOATS:
        head += _F32.pack(maxweight)
    else:
        _varint(int(maxweight), head)
    head.append(0 if minlength is None else length_to_byte(minlength))
    head.append(length_to_byte(maxlength))
    return bytes(head) + data


def _packed_uints(values, ints) -> bool:
    """Whether ``values`` are ``ints`` each packed by whoosh's ``pack_uint`` (4 bytes,
    big-endian), compared all at once."""
    if len(values) != len(ints) or max(ints) > 0xFFFFFFFF or set(map(len, values)) != {4}:
        return False
    a = array("I", ints)
    if a.itemsize != 4:
        return all(v == pack_uint(i) for v, i in zip(values, ints, strict=True))
    if sys.byteorder == "little":
        a.byteswap()
    return b"".join(values) == a.tobytes()


def _decode_block(flags: int, n: int, data, base: int, fixedsize):
    """``(ids, weights, values)`` of a block's data (already inflated)."""
    ids, weights, i = _decode_ids_weights(flags, n, data, base)
    return ids, weights, _decode_values(flags, n, data, i, weights, fixedsize)


def _decode_ids_weights(flags: int, n: int, data, base: int):
    """``(ids, weights, i)`` of a block's data, ``i`` where its values start: what ranking
    reads of most blocks (their values, positions, are decoded only when asked for)."""
    deltas, i = _read_array(flags >> 2 & 3, data, 0, n)
    ids = tuple(accumulate(deltas, initial=base))[1:]
    wkind = flags >> 4 & 3
    if wkind == _W_ONES:
        weights = array("f", [1.0]) * n
    elif wkind == _W_INTS:
        ints, i = _read_array(flags >> 6 & 3, data, i, n)
        weights = array("f", ints)
    else:
        weights = array("f")
        end = i + 4 * n
        weights.frombytes(data[i:end])
        if _SWAP:
            weights.byteswap()
        i = end
    return ids, weights, i


def _decode_values(flags: int, n: int, data, i: int, weights, fixedsize):
    """The values of a block's data, from ``i`` (``_decode_ids_weights``)."""
    vkind = flags >> 8 & 3
    if vkind == _V_NONE:
        return (None,) * n if fixedsize == 0 else (b"",) * n
    if vkind == _V_FROM_WEIGHTS:
        return tuple(pack_uint(int(w)) for w in weights)
    if vkind == _V_FIXED:
        return tuple(bytes(data[j : j + fixedsize]) for j in range(i, i + n * fixedsize, fixedsize))
    lengths, i = _read_array(flags >> 10 & 3, data, i, n)
    data = bytes(data)
    out = []
    for ln in lengths:
        out.append(data[i : i + ln])
        i += ln
    return tuple(out)


class MLPostingsWriter(W3PostingsWriter):
    """Whoosh3's postings writer (blocks of ``BLOCK_LIMIT``, the term's statistics kept in
    its ``MLTermInfo``), writing the blocks above; a term's only posting goes into its
    dictionary entry instead."""

    def start_postings(self, format_, terminfo):
        # whoosh3's, with the postings file's position counted here: its ``tell()`` is
        # a system call a term (5% of an indexing process), and most terms write nothing.
        if self._terminfo:
            raise Exception("Called start in a term")
        self._format = format_
        self._blockcount = 0
        self._new_block()
        self._terminfo = terminfo
        if getattr(self, "_pos", None) is None:
            self._pos = self._postfile.tell()
        self._startoffset = self._pos
        self._base = 0

    def add_posting(self, id_, weight, vbytes, length=None):
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            minlength = self._minlength
            if minlength is None or length < minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def finish_postings(self):
        terminfo = self._terminfo
        if not self._blockcount and len(self._ids) == 1:
            terminfo.add_block(self)
            terminfo.set_single(self._values[0] if self._values else b"")
        else:
            if self._ids:
                self._write_block(last=True)
            startoffset = self._startoffset
            terminfo.set_extent(startoffset, self._pos - startoffset)
        self._terminfo = None
        return terminfo

    def add_term(self, format_, terminfo, ids, weights, values, lengths):
        """A whole term's postings (``ids`` ascending; ``lengths``: each document's field
        length), as ``start_postings``, ``add_posting`` for each and ``finish_postings``
        would write them, a block at a time; returns the term's ``terminfo``."""
        self.start_postings(format_, terminfo)
        n = len(ids)
        limit = self._blocklimit
        for s in range(0, n, limit):
            if s:
                self._write_block()
            e = s + limit
            ws = weights[s:e]
            self._ids = array("I", ids[s:e])
            self._weights = array("f", ws)
            self._maxweight = max(0, max(ws))
            self._values = [v for v in values[s:e] if v]
            ls = [ln for ln in lengths[s:e] if ln]
            if ls:
                self._minlength = min(ls)
                self._maxlength = max(ls)
        return self.finish_postings()

    def _encoded(self, base: int, last: bool) -> bytes:
        return _encode_block(
            self._ids,
            self._weights,
            self._values,
            self._format,
            base,
            last,
            self._minlength,
            self._maxlength,
        )

    def _write_block(self, last=False):
        self._terminfo.add_block(self)
        block = self._encoded(self._base, last)
        self._postfile.write(block)
        self._pos += len(block)
        self._base = self._ids[-1]
        self._blockcount += 1
        self._new_block()


# --- term entries ----------------------------------------------------------------------------


class MLTermInfo(W3TermInfo):
    """A term's statistics and where its postings are, as varints; a term with one
    posting holds just that posting (doc number, weight, field length, value)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._value = None  # the one posting's value (bytes) when it is inlined

    def set_single(self, value: bytes) -> None:
        self._value = value

    def is_inlined(self):
        return self._value is not None

    def inlined_postings(self):
        return (self._minid,), (self._weight,), (self._value,)

    def inlined_matcher(self, fmt, term=None, scorer=None):
        return OnePosting(self, fmt, term, scorer)

    def to_bytes(self):
        weight, maxweight = self._weight, self._maxweight
        floats = not (_whole(weight) and _whole(maxweight))
        out = bytearray(1)
        if self._value is not None:
            flags = _T_SINGLE
            _varint(self._minid, out)
            if floats:
                out += _F32.pack(weight)
            else:
                _varint(int(weight), out)
            out.append(0 if self._minlength is None else length_to_byte(self._minlength))
            if not floats and self._value == pack_uint(int(weight)):
                flags |= _T_VALUE_IS_WEIGHT
            else:
                out += self._value
        else:
            flags = 0
            _varint(self._df, out)
            if floats:
                out += _F32.pack(weight) + _F32.pack(maxweight)
            else:
                _varint(int(weight), out)
                _varint(int(maxweight), out)
            out.append(0 if self._minlength is None else length_to_byte(self._minlength))
            out.append(length_to_byte(self._maxlength))
            _varint(self._minid, out)
            _varint(self._maxid - self._minid, out)
            _varint(self._offset, out)
            _varint(self._length, out)
        out[0] = flags | (_T_FLOAT_WEIGHTS if floats else 0)
        return bytes(out)

    @classmethod
    def from_bytes(cls, s):
        ti = cls()
        flags = s[0]
        floats = flags & _T_FLOAT_WEIGHTS
        try:
            if flags & _T_SINGLE:
                ti._df = 1
                ti._minid, i = _read_varint(s, 1)
                ti._maxid = ti._minid
                if floats:
                    ti._weight = _F32.unpack_from(s, i)[0]
                    i += 4
                else:
                    w, i = _read_varint(s, i)
                    ti._weight = float(w)
                ti._maxweight = ti._weight
                ti._minlength = ti._maxlength = byte_to_length(s[i])
                if flags & _T_VALUE_IS_WEIGHT:
                    ti._value = pack_uint(int(ti._weight))
                else:
                    ti._value = bytes(s[i + 1 :])
                return ti
            ti._df, i = _read_varint(s, 1)
            if floats:
                ti._weight = _F32.unpack_from(s, i)[0]
                ti._maxweight = _F32.unpack_from(s, i + 4)[0]
                i += 8
            else:
                w, i = _read_varint(s, i)
                mw, i = _read_varint(s, i)
                ti._weight, ti._maxweight = float(w), float(mw)
            ti._minlength = byte_to_length(s[i])
            ti._maxlength = byte_to_length(s[i + 1])
            ti._minid, i = _read_varint(s, i + 2)
            span, i = _read_varint(s, i)
            ti._maxid = ti._minid + span
            ti._offset, i = _read_varint(s, i)
            ti._length, i = _read_varint(s, i)
        except (IndexError, ValueError) as exc:
            raise CorruptIndexError(f"damaged term entry: {exc!r}") from None
        return ti

    @classmethod
    def doc_frequency_of(cls, s) -> int:
        if s[0] & _T_SINGLE:
            return 1
        return _read_varint(s, 1)[0]

    @classmethod
    def weight_of(cls, s) -> float:
        _, i = _read_varint(s, 1)
        if s[0] & _T_FLOAT_WEIGHTS:
            return _F32.unpack_from(s, i)[0]
        return float(_read_varint(s, i)[0])


class MLFieldWriter(W3FieldWriter):
    """Whoosh3's field writer, its terms in a ``TermTableWriter`` as ``MLTermInfo``."""

    def __init__(self, codec, storage, segment):
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname = None
        self._fieldid = None
        self._btext = None
        self._fieldobj = None
        self._format = None
        self._tindex = TermTableWriter(self._create_file(W3Codec.TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"] = {}
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def start_term(self, btext):
        if self._postwriter is None:
            raise Exception("Called start_term before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, MLTermInfo())

    def add_postings(self, schema, lengths, items):
        """Whoosh's ``FieldWriter.add_postings`` (sorted ``(fieldname, btext, docnum,
        weight, value)`` postings into fields, terms and postings): the same entries
        and blocks, written a term at a time (``_add_term_groups``), with each field's
        document lengths read once into a list rather than from the length column a
        posting at a time (17% of writing a segment). Postings already grouped by term
        (``pool.TermGroups``) are taken as they are."""
        reader = getattr(lengths, "doc_field_length_reader", None) if lengths else None
        if reader is None:
            return super().add_postings(schema, lengths, items)
        doccount = lengths.doc_count_all()
        groups = getattr(items, "groups", None)
        if groups is not None:
            return self._add_term_groups(schema, reader, doccount, groups())
        return self._add_term_groups(schema, reader, doccount, _terms_of(items))

    def _add_term_groups(self, schema, reader, doccount, groups):
        """``add_postings`` for postings grouped by term (``pool.TermGroups.groups``:
        ``(fieldname, btext, docnums, weights, values)``, sorted): the same entries and
        blocks, a term at a time; a term's only posting goes straight into its entry."""
        lastfn = None
        tindex_add = self._tindex.add
        table: list = []
        for fieldname, btext, ids, weights, values in groups:
            if fieldname != lastfn:
                if lastfn is not None:
                    if fieldname < lastfn:
                        raise OutOfOrderError(f"Field {lastfn!r} .. {fieldname!r}")
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                postwriter = self._postwriter
                fmt = self._fieldobj.format
                prefix = pack_ushort(self._fieldid)
                lastfn = fieldname
                get = reader(fieldname)
                table = [get(d) for d in range(doccount)]
            if ids[0] < 0:  # whoosh's spelling entries: none here, skipped as whoosh does
                keep = [i for i, d in enumerate(ids) if d >= 0]
                if not keep:
                    continue
                ids = [ids[i] for i in keep]
                weights = [weights[i] for i in keep]
                values = [values[i] for i in keep]
            self._btext = btext
            if len(ids) == 1:
                d = ids[0]
                entry = _single_entry(
                    d, weights[0], values[0], table[d] if d < doccount else get(d)
                )
            else:
                lengths = [table[d] if d < doccount else get(d) for d in ids]
                entry = postwriter.add_term(
                    fmt, MLTermInfo(), ids, weights, values, lengths
                ).to_bytes()
            tindex_add(prefix + btext, entry)
        if lastfn is not None:
            self.finish_field()


def _terms_of(items):
    """Sorted ``(fieldname, btext, docnum, weight, value)`` postings as ``(fieldname,
    btext, docnums, weights, values)``, a term at a time (values None as b"")."""
    key = field = None
    ids: list = []
    weights: list = []
    values: list = []
    for fieldname, btext, docnum, weight, value in items:
        if btext != key or fieldname != field:
            if key is not None:
                if ids:
                    yield field, key, ids, weights, values
                if fieldname == field and btext < key:
                    raise OutOfOrderError(f"Term {field}:{key!r} .. {fieldname}:{btext!r}")
            key, field = btext, fieldname
            ids, weights, values = [], [], []
        ids.append(docnum)
        weights.append(weight)
        values.append(emptybytes if value is None else value)
    if ids:
        yield field, key, ids, weights, values


_F32_LIMIT = float(1 << 24)  # whole numbers below it are the same as 32-bit floats


def _single_entry(docnum: int, weight, value, length) -> bytes:
    """``MLTermInfo.to_bytes`` of a term whose only posting is ``(docnum, weight, value)``
    in a document whose field length is ``length``, as ``MLPostingsWriter`` would make it
    (the weight through its 32-bit float array, the largest weight as given)."""
    if 0 <= weight < _F32_LIMIT and weight == int(weight):
        w32 = float(weight)
    else:
        w32 = _F32.unpack(_F32.pack(weight))[0]
    maxweight = weight if weight > 0 else 0
    floats = not (_whole(w32) and _whole(maxweight))
    out = bytearray(1)
    _varint(docnum, out)
    if floats:
        out += _F32.pack(w32)
    else:
        _varint(int(w32), out)
    out.append(length_to_byte(length) if length else 0)
    value = value or b""
    flags = _T_SINGLE
    if floats:
        flags |= _T_FLOAT_WEIGHTS
        out += value
    elif value == pack_uint(int(w32)):
        flags |= _T_VALUE_IS_WEIGHT
    else:
        out += value
    out[0] = flags
    return bytes(out)


# --- reading ---------------------------------------------------------------------------------


_HEAD_MAX = 5 * 10 + 2  # five varints (or four and a float) and two length bytes


def fast_get(dbfile):
    """``dbfile.get(position, length)`` as one ``os.pread`` of the file underneath, for the
    term dictionary's blocks and the posting blocks: whoosh's ``StructFile.get`` over a
    compound segment's ``SubFile`` is a seek and a read through four Python calls (about
    270 of them a query on its first run at 15k, each term's entry and blocks). The same
    bytes (a segment's files never change once written), clamped to the sub-file as its
    ``read`` clamps; a file that is not a plain one, or one closed since, goes the slow
    way (whoosh's error). Made once per file and kept on it. A positioned read also does
    not move a file position shared by threads."""
    got = getattr(dbfile, "_ml_get", None)
    if got is not None:
        return got
    slow = got = dbfile.get
    raw = getattr(dbfile, "file", None)
    base, end = 0, None
    if isinstance(raw, SubFile):
        base, end, raw = raw._offset, raw._length, raw._file
    if isinstance(raw, io.BufferedReader):
        try:
            fd = raw.fileno()
        except (OSError, ValueError):
            fd = None
        if fd is not None:
            pread = os.pread

            def got(position: int, length: int) -> bytes:
                if raw.closed or position < 0 or length < 0:
                    return slow(position, length)
                if end is not None and position + length > end:
                    length = max(0, end - position)
                return pread(fd, length, base + position)

    with contextlib.suppress(AttributeError):
        dbfile._ml_get = got
    return got


class MLLeafMatcher(W3LeafMatcher):
    """Whoosh3's leaf matcher (its block walk, ``skip_to``, block qualities) over the
    blocks above: the same ``_ids``, ``_weights``, ``_values`` per block."""

    def __init__(
        self, postfile, startoffset, length, format_, term=None, byteids=None, scorer=None
    ):
        self._postfile = postfile
        self._get = fast_get(postfile)
        self._startoffset = startoffset
        self._length = length
        self.format = format_
        self._term = term
        self._byteids = False
        self.scorer = scorer
        self._fixedsize = format_.fixed_value_size() if format_ is not None else None
        self._baseoffset = startoffset
        self.reset()

    def reset(self):
        self._blocklength = None
        self._maxid = None
        self._maxweight = None
        self._compression = None
        self._minlength = None
        self._maxlength = None
        self._lastblock = False
        self._atend = False
        self._base = 0
        self._goto(self._baseoffset)

    def _goto(self, position):
        self._data = self._pending = None
        self._ids = None
        self._weights = None
        self._values = None
        self._i = 0
        if self._maxid is not None:
            self._base = self._maxid  # the previous block's last doc number
        try:
            self._read_head(position)
        except (IndexError, ValueError, OverflowError) as exc:
            raise CorruptIndexError(f"damaged posting block at {position}: {exc!r}") from None

    def _read_head(self, position):
        head = self._get(position, _HEAD_MAX)
        flags, i = _read_varint(head, 0)
        self._blocklength, i = _read_varint(head, i)
        span, i = _read_varint(head, i)
        datalen, i = _read_varint(head, i)
        if flags >> 12 or not 0 < self._blocklength <= BLOCK_LIMIT:
            raise ValueError("flags or posting count out of range")
        self._flags = flags
        self._lastblock = bool(flags & _LAST)
        self._compression = bool(flags & _DEFLATED)
        if flags >> 4 & 3 == _W_FLOATS:
            self._maxweight = _F32.unpack_from(head, i)[0]
            i += 4
        else:
            mw, i = _read_varint(head, i)
            self._maxweight = float(mw)
        self._minlength = byte_to_length(head[i])
        self._maxlength = byte_to_length(head[i + 1])
        self._maxid = self._base + span
        self._dataoffset = position + i + 2
        self._nextoffset = self._dataoffset + datalen
        if self._nextoffset > self._startoffset + self._length:
            raise ValueError("block past the end of its term's postings")

    def _read_data(self):
        """The block's ids and weights; its values are decoded when asked for
        (``_read_values``): ranking reads the positions of few blocks."""
        b = self._get(self._dataoffset, self._nextoffset - self._dataoffset)
        try:
            if self._compression:
                b = zlib.decompress(b)
            ids, weights, i = _decode_ids_weights(self._flags, self._blocklength, b, self._base)
            if len(ids) != self._blocklength or ids[-1] != self._maxid:
                raise ValueError("doc numbers disagree with the block's header")
        except (IndexError, ValueError, OverflowError, zlib.error) as exc:
            raise CorruptIndexError(f"damaged posting block: {exc!r}") from None
        self._data = (ids, weights, None)
        self._pending = (b, i)

    def _read_ids(self):
        if self._data is None:
            self._read_data()
        self._ids = self._data[0]

    def _read_weights(self):
        if self._data is None:
            self._read_data()
        self._weights = self._data[1]

    def _read_values(self):
        if self._data is None:
            self._read_data()
        if self._pending is not None:
            b, i = self._pending
            ids, weights, _ = self._data
            try:
                values = _decode_values(
                    self._flags, self._blocklength, b, i, weights, self._fixedsize
                )
            except (IndexError, ValueError, OverflowError) as exc:
                raise CorruptIndexError(f"damaged posting block: {exc!r}") from None
            self._data = (ids, weights, values)
            self._pending = None
        self._values = self._data[2]

    def values_at(self, ks: list[int]) -> list:
        """The values of this block's postings ``ks`` (indexes into its ids), without
        cutting the others' out of the block: for a few of a block of variable-length
        values (positions), each one's start is the sum of the lengths before it."""
        if self._data is None:
            self._read_data()
        if (
            self._pending is None
            or self._flags >> 8 & 3 != _V_VARIABLE
            or 4 * len(ks) > len(self._data[0])
        ):
            self._read_values()
            values = self._values
            return [values[k] for k in ks]
        b, i = self._pending
        try:
            lengths, start = _read_array(self._flags >> 10 & 3, b, i, self._blocklength)
            out = []
            for k in ks:
                at = start + sum(lengths[:k])
                out.append(bytes(b[at : at + lengths[k]]))
        except (IndexError, ValueError, OverflowError) as exc:
            raise CorruptIndexError(f"damaged posting block: {exc!r}") from None
        return out


# --- the term dictionary -----------------------------------------------------------------------

TABLE_MAGIC = b"MLT1"
TABLE_BLOCK = 16  # entries a block; each block's first key is held in memory by readers
_TRAILER = Struct("<QQQQQB4s")  # index, first keys, extras, blocks, entries, offset tc, magic


def _shared_prefix(a: bytes, b: bytes) -> int:
    """How many leading bytes ``a`` and ``b`` share (compared as two integers, not a byte
    at a time)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    x = int.from_bytes(a[:n], "big") ^ int.from_bytes(b[:n], "big")
    return n - 1 - (x.bit_length() - 1) // 8


class TermTableWriter:
    """A sorted term dictionary in place of whoosh3's ordered hash file (which spends 32
    bytes of lengths and hash slots on every term): entries in blocks of ``TABLE_BLOCK``,
    each key stored as the length it shares with the one before, its new bytes and its
    value; then each block's offset and first key, and the pickled ``extras``."""

    def __init__(self, dbfile):
        self.dbfile = dbfile
        self.extras: dict = {}
        dbfile.write(TABLE_MAGIC)
        self._buf = bytearray()
        self._in_block = 0
        self._offsets: list[int] = []
        self._firsts: list[bytes] = []
        self._prev = None
        self._count = 0

    def add(self, key: bytes, value: bytes) -> None:
        prev = self._prev
        if prev is not None and key <= prev:
            raise ValueError(f"Keys must increase: {prev!r}..{key!r}")
        buf = self._buf
        if self._in_block == 0:
            self._firsts.append(key)
            shared = 0
        else:
            shared = _shared_prefix(prev, key)
        rest = len(key) - shared
        size = len(value)
        if shared < 0x80 and rest < 0x80 and size < 0x80:
            buf += bytes((shared, rest))
            buf += key[shared:]
            buf.append(size)
        else:
            _varint(shared, buf)
            _varint(rest, buf)
            buf += key[shared:]
            _varint(size, buf)
        buf += value
        self._prev = key
        self._count += 1
        self._in_block += 1
        if self._in_block == TABLE_BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self._in_block:
            self._offsets.append(self.dbfile.tell())
            self.dbfile.write(bytes(self._buf))
            self._buf.clear()
            self._in_block = 0

    def close(self) -> None:
        self._flush()
        dbfile = self.dbfile
        index_at = dbfile.tell()
        tc = _typecode(max(self._offsets, default=0))
        dbfile.write(_array_bytes(tc, self._offsets))
        keys_at = dbfile.tell()
        dbfile.write(_array_bytes(_typecode(0xFFFF), [len(k) for k in self._firsts]))
        dbfile.write(b"".join(self._firsts))
        extras_at = dbfile.tell()
        dbfile.write(pickle.dumps(self.extras, 4))
        dbfile.write(
            _TRAILER.pack(
                index_at, keys_at, extras_at, len(self._offsets), self._count, tc, TABLE_MAGIC
            )
        )
        dbfile.close()


# lookups in one chunk of a TermTable's block first keys, after which the chunk is listed
_LISTED_AFTER = 16


class _FirstKeys:
    """A term table's block first keys, searched by ``block_of``. ``lengths``: each key's
    length; ``start``: where the first begins in ``head``.

    The keys are taken in chunks of ``_CHUNK``. The first key of each chunk is listed when
    the table opens (``_tops``: 122 keys for 124,476 blocks at 10x), and a lookup bisects
    that list in C for its chunk. Within a chunk, the keys are sliced from ``head`` as the
    bisect asks for them (where each begins is summed for the chunk when a lookup first
    reaches it: summing them all when the table opened cost a cold query 8 ms per 150,000
    blocks), until the chunk has had ``_LISTED_AFTER`` lookups; then the chunk's keys are
    listed once (~0.14 ms for 1,024) and bisected in C (~4 us a lookup less). Listing all
    the keys at once, after 1,024 lookups of the table, cost the query that reached it 3.6
    ms a table at 15k (3 tables) and 12-17 ms at 10x (4 tables)."""

    __slots__ = ("_head", "_lengths", "_bases", "_chunks", "_tops", "_lists", "_asked")

    _CHUNK = 1024

    def __init__(self, head: bytes, lengths: array, start: int):
        self._head, self._lengths = head, lengths
        c = self._CHUNK
        sums = (sum(lengths[a : a + c]) for a in range(0, len(lengths), c))
        self._bases = list(accumulate(sums, initial=start))  # where each chunk begins
        self._tops = [head[b : b + lengths[k * c]] for k, b in enumerate(self._bases[:-1])]
        self._chunks: dict[int, array] = {}  # chunk -> where its keys begin
        self._lists: dict[int, list[bytes]] = {}  # chunk -> its keys, once listed
        self._asked = [0] * len(self._tops)  # lookups of each chunk not yet listed

    def __len__(self) -> int:
        return len(self._lengths)

    def _starts(self, chunk: int) -> array:
        """Where each key of ``chunk`` begins, and where its last one ends."""
        got = self._chunks.get(chunk)
        if got is None:
            a = chunk * self._CHUNK
            part = self._lengths[a : a + self._CHUNK]
            got = self._chunks[chunk] = array("Q", accumulate(part, initial=self._bases[chunk]))
        return got

    def __getitem__(self, b: int) -> bytes:
        if not 0 <= b < len(self._lengths):
            raise IndexError(b)
        chunk, i = divmod(b, self._CHUNK)
        starts = self._starts(chunk)
        return self._head[starts[i] : starts[i + 1]]

    def block_of(self, key: bytes) -> int:
        """The block whose first key is the last one at or before ``key`` (-1: none)."""
        chunk = bisect_right(self._tops, key) - 1
        if chunk < 0:
            return -1
        c = self._CHUNK
        listed = self._lists.get(chunk)
        if listed is None:
            asked = self._asked[chunk] + 1
            if asked < _LISTED_AFTER:
                self._asked[chunk] = asked
                lo = chunk * c  # its first key is at or before ``key``
                return bisect_right(self, key, lo + 1, min(lo + c, len(self._lengths))) - 1
            starts = self._starts(chunk)
            del self._chunks[chunk]  # not needed once listed
            head = self._head
            listed = self._lists[chunk] = [
                head[a:b] for a, b in zip(starts, starts[1:], strict=False)
            ]
        return chunk * c + bisect_right(listed, key) - 1


class TermTable:
    """Reads a ``TermTableWriter``'s file: lookups bisect the blocks' first keys, then
    the block (decoded once, a few hundred kept). An entry's position is its ordinal."""

    _CACHE = 512  # decoded blocks kept
    _KEYS = 16384  # entries kept by key (``get``), absent ones too

    def __init__(self, dbfile, length: int):
        self.dbfile = dbfile
        if length < _TRAILER.size + len(TABLE_MAGIC):
            raise CorruptIndexError("term dictionary too short")
        trailer = dbfile.get(length - _TRAILER.size, _TRAILER.size)
        index_at, keys_at, extras_at, nblocks, count, tc, magic = _TRAILER.unpack(trailer)
        if magic != TABLE_MAGIC or not index_at <= keys_at <= extras_at < length or tc > 3:
            raise CorruptIndexError("damaged term dictionary trailer")
        self._nblocks, self.count = nblocks, count
        try:
            offsets, _ = _read_array(tc, dbfile.get(index_at, keys_at - index_at), 0, nblocks)
            head = dbfile.get(keys_at, extras_at - keys_at)
            lengths, i = _read_array(1, head, 0, nblocks)
        except ValueError:
            raise CorruptIndexError("damaged term dictionary index") from None
        if len(offsets) != nblocks or len(lengths) != nblocks:
            raise CorruptIndexError("damaged term dictionary index")
        try:
            offsets.append(index_at)
        except OverflowError:  # the end is past the largest a block's offset needed
            offsets = array("Q", offsets)
            offsets.append(index_at)
        self._offsets = offsets
        # Each block's first key is sliced from ``head`` when a lookup bisects to it: a
        # list of them all cost a cold query 28 ms at 15k (3 segments, 57,572 blocks).
        # The keys of a part of the table that lookups keep reaching (a server's) are
        # listed, for lookups at C speed (``_FirstKeys``).
        self._firsts = _FirstKeys(head, lengths, i)
        self.extras = pickle.loads(dbfile.get(extras_at, length - _TRAILER.size - extras_at))
        self._blocks: dict = {}
        self._keys: dict = {}
        self._get = fast_get(dbfile)

    def _block(self, b: int) -> tuple[list, list]:
        got = self._blocks.get(b)
        if got is not None:
            return got
        start = self._offsets[b]
        data = self._get(start, self._offsets[b + 1] - start)
        keys, values = [], []
        prev = b""
        i, n = 0, len(data)
        try:
            while i < n:
                shared = data[i]  # three varints an entry, nearly always one byte each
                i += 1
                if shared >= 0x80:
                    shared, i = _read_varint(data, i - 1)
                size = data[i]
                i += 1
                if size >= 0x80:
                    size, i = _read_varint(data, i - 1)
                prev = prev[:shared] + data[i : i + size]
                keys.append(prev)
                i += size
                size = data[i]
                i += 1
                if size >= 0x80:
                    size, i = _read_varint(data, i - 1)
                values.append(data[i : i + size])
                i += size
        except IndexError:
            raise CorruptIndexError(f"damaged term dictionary block {b}") from None
        if i != n or len(keys) != (TABLE_BLOCK if b + 1 < self._nblocks else len(keys)):
            raise CorruptIndexError(f"damaged term dictionary block {b}")
        if len(self._blocks) >= self._CACHE:
            self._blocks.clear()
        self._blocks[b] = got = (keys, values)
        return got

    def _block_of(self, key: bytes) -> int:
        """The block whose first key is the last one at or before ``key`` (-1: none)."""
        return self._firsts.block_of(key)

    def get(self, key: bytes):
        """The entry of ``key``, None without one. Entries are kept by key once asked: a
        query asks for its terms several times per segment (their statistics, matchers,
        sizes), and warm queries again."""
        keys = self._keys
        got = keys.get(key, keys)
        if got is not keys:
            return got
        got = self._lookup(key)
        if len(keys) >= self._KEYS:
            keys.clear()
        keys[key] = got
        return got

    def get_many(self, keys) -> list:
        """``[self.get(k) for k in keys]``, the keys not asked before found a block at a
        time: the keys that fall in one block decode it once (kept, as ``_block`` keeps
        it) and are bisected there; a key alone in its block is looked up as ``get``
        does. Did-you-mean asks for a word's few hundred one-edit variants, which share
        blocks: one ``_lookup`` each read and scanned a block each (8 µs)."""
        known = self._keys
        out = [known.get(k, known) for k in keys]
        todo: dict[int, list[int]] = {}  # block -> indexes into keys
        for i, got in enumerate(out):
            if got is known:
                todo.setdefault(self._block_of(keys[i]), []).append(i)
        for b, where in todo.items():
            if b < 0 or len(where) == 1 and b not in self._blocks:
                for i in where:
                    out[i] = self.get(keys[i])
                continue
            bkeys, values = self._block(b)
            n = len(bkeys)
            for i in where:
                key = keys[i]
                j = bisect_left(bkeys, key)
                got = values[j] if j < n and bkeys[j] == key else None
                if len(known) >= self._KEYS:
                    known.clear()
                known[key] = out[i] = got
        return out

    def _lookup(self, key: bytes):
        """The value of ``key`` in its block, None without one. A block decoded already is
        bisected; else its entries are read in order up to ``key`` or past it, keys only,
        without keeping the block (a query's terms rarely share one)."""
        b = self._block_of(key)
        if b < 0:
            return None
        got = self._blocks.get(b)
        if got is not None:
            keys, values = got
            i = bisect_left(keys, key)
            return values[i] if i < len(keys) and keys[i] == key else None
        start = self._offsets[b]
        data = self._get(start, self._offsets[b + 1] - start)
        prev = b""
        i, n = 0, len(data)
        try:
            while i < n:
                shared = data[i]  # three varints an entry, nearly always one byte each
                i += 1
                if shared >= 0x80:
                    shared, i = _read_varint(data, i - 1)
                size = data[i]
                i += 1
                if size >= 0x80:
                    size, i = _read_varint(data, i - 1)
                prev = prev[:shared] + data[i : i + size]
                i += size
                size = data[i]
                i += 1
                if size >= 0x80:
                    size, i = _read_varint(data, i - 1)
                if prev >= key:
                    return data[i : i + size] if prev == key else None
                i += size
        except IndexError:
            raise CorruptIndexError(f"damaged term dictionary block {b}") from None
        return None

    def __contains__(self, key: bytes) -> bool:
        return self.get(key) is not None

    def __getitem__(self, key: bytes) -> bytes:
        v = self.get(key)
        if v is None:
            raise KeyError(key)
        return v

    def closest_key_pos(self, key: bytes):
        """The position of the first key at or after ``key`` (None: there is none)."""
        b = max(self._block_of(key), 0)
        if b >= self._nblocks:
            return None
        keys, _ = self._block(b)
        i = bisect_left(keys, key)
        if i == len(keys):
            b, i = b + 1, 0
            if b >= self._nblocks:
                return None
        return b * TABLE_BLOCK + i

    def entry_at(self, pos: int):
        """``(key, value)`` at position ``pos``, None past the end."""
        b, i = divmod(pos, TABLE_BLOCK)
        if b >= self._nblocks:
            return None
        keys, values = self._block(b)
        if i >= len(keys):
            return None
        return keys[i], values[i]

    def items_from(self, key: bytes):
        pos = self.closest_key_pos(key)
        if pos is None:
            return
        b, i = divmod(pos, TABLE_BLOCK)
        while b < self._nblocks:
            keys, values = self._block(b)
            yield from zip(keys[i:], values[i:], strict=True)
            b, i = b + 1, 0

    def items(self):
        return self.items_from(b"")

    def keys_from(self, key: bytes):
        return (k for k, _v in self.items_from(key))

    def keys(self):
        return self.keys_from(b"")

    def close(self) -> None:
        self.dbfile.close()


class MLFieldCursor(base.FieldCursor):
    """Whoosh3's field cursor (the terms of one field, in order) over a ``TermTable``."""

    def __init__(self, table, fieldname, keycoder, keydecoder, fieldobj):
        self._table = table
        self._fieldname = fieldname
        self._keycoder = keycoder
        self._keydecoder = keydecoder
        self._fieldobj = fieldobj
        self._startpos = table.closest_key_pos(keycoder(fieldname, b""))
        self._pos = self._startpos
        self._text = self._value = None
        self.next()

    def first(self):
        self._pos = self._startpos
        return self.next()

    def find(self, term):
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        self._pos = self._table.closest_key_pos(self._keycoder(self._fieldname, term))
        return self.next()

    def next(self):
        if self._pos is not None:
            entry = self._table.entry_at(self._pos)
            if entry is not None:
                fname, text = self._keydecoder(entry[0])
                if fname == self._fieldname:
                    self._pos += 1
                    self._text = self._fieldobj.from_bytes(text)
                    self._value = entry[1]
                    return self._text
        self._text = self._pos = self._value = None
        return None

    def text(self):
        return self._text

    def term_info(self):
        if self._value is None:
            return None
        return MLTermInfo.from_bytes(self._value)

    def is_valid(self):
        return self._pos is not None


class MLTermsReader(W3TermsReader):
    """Whoosh3's terms reader over a ``TermTable`` of ``MLTermInfo`` entries."""

    def __init__(self, codec, dbfile, length, postfile):
        self._codec = codec
        self._dbfile = dbfile
        self._tindex = TermTable(dbfile, length)
        self._fieldmap = self._tindex.extras["fieldmap"]
        self._postfile = postfile
        self._fieldunmap = [None] * len(self._fieldmap)
        for fieldname, num in self._fieldmap.items():
            self._fieldunmap[num] = fieldname

    def cursor(self, fieldname, fieldobj):
        return MLFieldCursor(self._tindex, fieldname, self._keycoder, self._keydecoder, fieldobj)

    def items(self):
        decode, keydecoder = MLTermInfo.from_bytes, self._keydecoder
        return ((keydecoder(k), decode(v)) for k, v in self._tindex.items())

    def items_from(self, fieldname, prefix):
        decode, keydecoder = MLTermInfo.from_bytes, self._keydecoder
        start = self._keycoder(fieldname, prefix)
        return ((keydecoder(k), decode(v)) for k, v in self._tindex.items_from(start))

    def term_info(self, fieldname, tbytes):
        v = self._tindex.get(self._keycoder(fieldname, tbytes))
        if v is None:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return MLTermInfo.from_bytes(v)

    # a missing term: KeyError, as whoosh3's (its reader answers 0)
    def frequency(self, fieldname, tbytes):
        return MLTermInfo.weight_of(self._tindex[self._keycoder(fieldname, tbytes)])

    def doc_frequency(self, fieldname, tbytes):
        return MLTermInfo.doc_frequency_of(self._tindex[self._keycoder(fieldname, tbytes)])

    def doc_frequencies(self, fieldname, tbytes_list) -> list[int]:
        """``doc_frequency`` of each term (0 for a missing one), looked up together
        (``TermTable.get_many``)."""
        keycoder, of = self._keycoder, MLTermInfo.doc_frequency_of
        values = self._tindex.get_many([keycoder(fieldname, t) for t in tbytes_list])
        return [0 if v is None else of(v) for v in values]


# --- stored fields -------------------------------------------------------------------------


def _mostly_packed(fields, size: int) -> bool:
    """Whether bytes values (a compressed body, a near-duplicate signature: nothing that
    deflates) make up at least half of ``fields`` pickled in ``size`` bytes."""
    if not isinstance(fields, dict):
        return False
    packed = 0
    for v in fields.values():
        if isinstance(v, bytes):
            packed += len(v)
    return packed * 2 >= size


class CompactStoredColumn(columns.Column):
    """Each document's stored fields pickled with protocol 5 (whoosh3 uses protocol 2,
    which pickles bytes, such as the compressed bodies and near-duplicate signatures, as
    a latin-1 string: half again as long), then deflated when that shrinks them; a
    first byte says which.

    A record at least half of whose bytes are bytes values is kept as it is: an
    article's is mostly its compressed body and signature, and deflating the 15k bench
    corpus's records again saved 1.2% of them (30.62 -> 30.25 MB) for 95 us a record to
    write and 13 us to read back."""

    def __init__(self, level: int = 6):
        self._level = level
        self._child = columns.VarBytesColumn()

    def default_value(self, reverse=False):
        return None

    def writer(self, dbfile):
        return self.Writer(self._child.writer(dbfile), self._level)

    def reader(self, dbfile, basepos, length, doccount):
        return self.Reader(self._child.reader(dbfile, basepos, length, doccount))

    class Writer(columns.ColumnWriter):
        def __init__(self, child, level):
            self._child = child
            self._level = level

        def fill(self, docnum):
            self._child.fill(docnum)

        def add(self, docnum, v):
            if v is None:
                self._child.add(docnum, b"")
                return
            raw = pickle.dumps(v, 5)
            if _mostly_packed(v, len(raw)):
                self._child.add(docnum, b"p" + raw)
                return
            packed = zlib.compress(raw, self._level)
            self._child.add(docnum, b"z" + packed if len(packed) < len(raw) else b"p" + raw)

        def finish(self, doccount):
            self._child.finish(doccount)

    class Reader(columns.ColumnReader):
        def __init__(self, child):
            self._child = child

        def __len__(self):
            return len(self._child)

        def __getitem__(self, docnum):
            v = self._child[docnum]
            if not v:
                return None
            kind, body = v[:1], v[1:]
            if kind == b"z":
                body = zlib.decompress(body)
            elif kind != b"p":
                raise CorruptIndexError(f"damaged stored fields of document {docnum}")
            return pickle.loads(body)

        def __iter__(self):
            for i in range(len(self._child)):
                yield self[i]


STORED_COLUMN = CompactStoredColumn()


class MLPerDocWriter(W3PerDocWriter):
    """Whoosh3's per-document writer, its stored fields in a ``CompactStoredColumn``."""

    def _create_column(self, fieldname, column):
        if fieldname == "_stored":
            column = STORED_COLUMN
        super()._create_column(fieldname, column)


class MLPerDocReader(W3PerDocReader):
    def stored_fields(self, docnum):
        reader = self._cached_reader("_stored", STORED_COLUMN)
        v = reader[docnum] if reader is not None else None
        return {} if v is None else v


def stored_record(reader, docnum: int) -> dict:
    """Document ``docnum``'s stored fields, read straight from mlsearch's per-document
    reader of segment ``reader`` (``MLPerDocReader``): whoosh's ``stored_fields`` copies
    every record to drop fields its schema lost, which mlsearch's never does (a schema
    change bumps ``SCHEMA_VERSION`` and rebuilds), about 13 µs a record, and a quoted
    phrase reads thousands at 10x. Any other reader: whoosh's."""
    perdoc = getattr(reader, "_perdoc", None)
    if type(perdoc) is MLPerDocReader and not reader.is_closed:
        return perdoc.stored_fields(docnum)
    return reader.stored_fields(docnum)


class MLCodec(W3Codec):
    """``W3Codec`` with the posting blocks and term entries above (see the module)."""

    def __init__(self):
        super().__init__(blocklimit=BLOCK_LIMIT, compression=DEFLATE_LEVEL, inlinelimit=1)

    def field_writer(self, storage, segment):
        return MLFieldWriter(self, storage, segment)

    def per_document_writer(self, storage, segment):
        return MLPerDocWriter(self, storage, segment)

    def per_document_reader(self, storage, segment):
        return MLPerDocReader(storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors (none in mlsearch's schema): whoosh3's own
            return super().postings_writer(dbfile, byteids=True)
        return MLPostingsWriter(dbfile, blocklimit=self._blocklimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return terminfo.inlined_matcher(format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return MLLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def terms_reader(self, storage, segment):
        tiname = segment.make_filename(self.TERMS_EXT)
        tilen = storage.file_length(tiname)
        tifile = storage.open_file(tiname)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        return MLTermsReader(self, tifile, tilen, postfile)


class OnePosting(MLLeafMatcher):
    """The matcher of a term's only posting, kept in its dictionary entry: one block of
    one, already decoded."""

    def __init__(self, terminfo, format_, term=None, scorer=None):
        self._terminfo = terminfo
        self._postfile = None
        self.format = format_
        self._term = term
        self._byteids = False
        self.scorer = scorer
        self._fixedsize = format_.fixed_value_size() if format_ is not None else None
        self.reset()

    def reset(self):
        ti = self._terminfo
        value = ti._value
        if not value and self._fixedsize == 0:
            value = None
        self._ids = self._weights = self._values = None
        self._data = ((ti._minid,), array("f", [ti._weight]), (value,))
        self._pending = None
        self._i = 0
        self._blocklength = 1
        self._maxid = ti._minid
        self._maxweight = ti._weight
        self._minlength = self._maxlength = ti._minlength
        self._compression = False
        self._lastblock = True
        self._atend = False

    def _goto(self, position):
        raise CorruptIndexError("a term's only posting has no next block")

    def _read_data(self):
        pass  # decoded when made


# --- copying posting blocks raw (merging segments: ``merging.RawMerge``) -------------------


def block_spans(buf) -> list[tuple[int, int, int, int, int, int]]:
    """The blocks of one term's postings read whole into ``buf`` (its extent): for each,
    ``(start, flags, count, span, rest, data)``: where the block starts, its header's
    flags, posting count and doc-number span, where the header's varints end (its max
    weight and length bytes follow) and where its data starts; the next block starts at
    the following block's ``start`` (the last ends at ``len(buf)``)."""
    out = []
    i, end = 0, len(buf)
    try:
        while i < end:
            start = i
            flags, i = _read_varint(buf, i)
            n, i = _read_varint(buf, i)
            span, i = _read_varint(buf, i)
            datalen, i = _read_varint(buf, i)
            rest = i
            if flags >> 4 & 3 == _W_FLOATS:
                i += 4
            else:
                _, i = _read_varint(buf, i)
            i += 2
            out.append((start, flags, n, span, rest, i))
            i += datalen
            if flags & _LAST:
                break
    except IndexError:
        raise CorruptIndexError("damaged posting block header") from None
    if i != end or not out or not out[-1][1] & _LAST:
        raise CorruptIndexError("a term's posting blocks disagree with its extent")
    return out


def rebased_block(buf, block, stop: int, add: int, last: bool) -> bytes:
    """One block of ``buf`` (``block``: an entry of ``block_spans``, ``stop``: where the
    block ends) with ``add`` added to its doc numbers and its last-block flag set to
    ``last``. Doc numbers are deltas from the block before (the term's first block: from
    0), so only the first block of a segment's postings in the merged term changes by more
    than its flag: its first delta and span grow by ``add`` (its delta array widened when
    the new delta needs it, the data deflated again as ``_encode_block`` does)."""
    start, flags, n, span, rest, data_at = block
    flags = flags & ~_LAST | (_LAST if last else 0)
    data = buf[data_at:stop]
    if add:
        if flags & _DEFLATED:
            data = zlib.decompress(data)
        tc = flags >> 2 & 3
        size = 1 << tc
        first = int.from_bytes(data[:size], "little") + add
        if first < 1 << 8 * size:
            data = first.to_bytes(size, "little") + data[size:]
        else:
            deltas, _ = _read_array(tc, data, 0, n)
            deltas = [first, *deltas[1:]]
            ntc = _typecode(max(deltas))
            data = _array_bytes(ntc, deltas) + data[n * size :]
            flags = flags & ~(3 << 2) | ntc << 2
        data, flags = _deflated(data, flags & ~_DEFLATED)
    head = bytearray()
    _varint(flags, head)
    _varint(n, head)
    _varint(span + add, head)
    _varint(len(data), head)
    return bytes(head) + buf[rest:data_at] + bytes(data)


def encoded_postings(ids, weights, values, lengths, fmt, base: int, last: bool) -> list[bytes]:
    """Postings (doc numbers ascending, above ``base``) as blocks of up to ``BLOCK_LIMIT``,
    as ``MLPostingsWriter`` writes them (a length of 0 or None is not counted, as there);
    the final block flagged last when ``last``."""
    out = []
    total = len(ids)
    for a in range(0, total, BLOCK_LIMIT):
        b = min(a + BLOCK_LIMIT, total)
        lens = [ln for ln in lengths[a:b] if ln]
        out.append(
            _encode_block(
                ids[a:b],
                weights[a:b],
                [v for v in values[a:b] if v],  # as ``add_posting`` keeps them
                fmt,
                base,
                last and b == total,
                min(lens) if lens else None,
                max(lens, default=0),
            )
        )
        base = ids[b - 1]
    return out


def rebased_entry(value: bytes, add: int, offset: int | None = None, length: int = 0) -> bytes:
    """A term entry (``MLTermInfo.to_bytes``) with ``add`` added to its doc numbers and,
    for a term with posting blocks, its postings now at ``offset`` for ``length`` bytes:
    what a segment's term becomes when its postings are copied into a merged one."""
    flags = value[0]
    out = bytearray(value[:1])
    if flags & _T_SINGLE:
        minid, i = _read_varint(value, 1)
        _varint(minid + add, out)
        return bytes(out) + value[i:]
    _, i = _read_varint(value, 1)  # doc frequency
    if flags & _T_FLOAT_WEIGHTS:
        i += 8
    else:
        _, i = _read_varint(value, i)
        _, i = _read_varint(value, i)
    i += 2  # min and max length bytes
    out += value[1:i]
    minid, i = _read_varint(value, i)
    span, i = _read_varint(value, i)
    _varint(minid + add, out)
    _varint(span, out)
    _varint(offset, out)
    _varint(length, out)
    return bytes(out)


def stored_bytes_reader(perdoc_reader):
    """A segment's stored fields per document as ``CompactStoredColumn`` wrote them (its
    marker byte and pickle, deflated or not), not unpickled: None when it has none."""
    reader = perdoc_reader._cached_reader("_stored", STORED_COLUMN)
    return None if reader is None else reader._child


def add_stored_bytes(perdoc_writer, docnum: int, raw: bytes) -> None:
    """A document's stored fields, as ``stored_bytes_reader`` read them, written as they
    are (``MLPerDocWriter``), not pickled and deflated again."""
    if raw:
        perdoc_writer._get_column("_stored")._child.add(docnum, raw)
