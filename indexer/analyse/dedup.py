"""Near-duplicate detection: MinHash signatures, LSH band terms, estimated Jaccard.

A syndicated story reaches the index in several near-identical copies (another source, a
changed headline, a trailing line added). Each article's body is cut into shingles: word
3-grams for Latin text, character 4-grams for Chinese, over the normalised text (the one
normalisation index and query share, so Traditional and Simplified copies are one). A
MinHash signature of ``NUM_HASHES`` values estimates the Jaccard similarity of two
shingle sets; it is computed by one-permutation hashing (Li, Owen and Zhang 2012): each
shingle is hashed once and kept in one of the bins when it is the smallest there, with
empty bins filled from their neighbour (Shrivastava and Li 2014). That costs one hash per
shingle instead of one per shingle and permutation, which is what makes it affordable in
pure Python.

The signature is cut into ``BANDS`` bands of ``ROWS`` values; each band's hash is a term of
the ``dupband`` field, so finding candidates is a posting lookup in the index itself (it
survives incremental runs and needs no file of its own). Two articles become candidates
when any band agrees, which happens with probability 1 - (1 - s**ROWS)**BANDS for
similarity s: 0.95 at s = 0.8, 0.06 at s = 0.5. Candidates are kept when the signatures
agree on at least ``THRESHOLD`` of their values.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from array import array
from datetime import datetime

from .normalize import HAN_CLASS, normalize_text

NUM_HASHES = 128
BANDS = 16
ROWS = 8  # BANDS * ROWS <= NUM_HASHES
THRESHOLD = 0.8  # estimated Jaccard similarity of shingle sets
# Copies of one story are published within days of each other; templated items years
# apart ("… commemorate the 98th/100th anniversary …") share most of their words.
MAX_DAYS_APART = 7

LATIN_SHINGLE = 3  # words
HAN_SHINGLE = 4  # characters
MIN_TOKENS = 20  # shorter bodies are shingled together with their title
MIN_SHINGLES = 8  # fewer: too little text to call anything a copy of it
# Candidates looked at per band: the newest. Boilerplate shared by thousands of articles
# (a paywall notice) would otherwise make each new article compare with all of them.
MAX_PER_BAND = 32

_TOKEN_RE = re.compile(f"[{HAN_CLASS}]|[^\\W_{HAN_CLASS}]+")
_HAN_RE = re.compile(f"[{HAN_CLASS}]")
_BIN_BITS = (NUM_HASHES - 1).bit_length()
_VALUE_BITS = 32
_VALUE_MASK = (1 << _VALUE_BITS) - 1
_EMPTY = _VALUE_MASK + 1
_GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing spreads crc32 over 64 bits
_MASK64 = (1 << 64) - 1

assert NUM_HASHES == 1 << _BIN_BITS and BANDS * ROWS <= NUM_HASHES


def _tokens_and_han(text: str) -> tuple[list[str], int]:
    """The words of Latin text and single characters of Chinese, normalised, no
    punctuation; and how many of them are Chinese characters (each is a token of its own,
    so that is the number of Han characters in the normalised text)."""
    norm = normalize_text(text)
    return _TOKEN_RE.findall(norm), len(_HAN_RE.findall(norm))


def _shingle_tokens(title: str, body: str) -> tuple[list[str], int]:
    """The tokens shingles are cut from, and the shingle length for them."""
    toks, han = _tokens_and_han(body)
    if len(toks) < MIN_TOKENS:
        title_toks, title_han = _tokens_and_han(title)
        toks = title_toks + toks
        han += title_han
    return toks, HAN_SHINGLE if han * 2 > len(toks) else LATIN_SHINGLE


def shingles(title: str, body: str) -> set[str]:
    """The shingles of an article: of its body, and of its title too when the body is short.

    The title is left out otherwise: a copy with a rewritten headline is still a copy.
    """
    toks, n = _shingle_tokens(title, body)
    # each run of n tokens, joined by spaces (zip and map: no slice per shingle); the
    # shorter tails end it
    return set(map(" ".join, zip(*(toks[k:] for k in range(n)), strict=False)))


def signature(shingle_set: set[str]) -> array | None:
    """The MinHash signature (``NUM_HASHES`` 32-bit values), or None for too little text."""
    if len(shingle_set) < MIN_SHINGLES:
        return None
    bins = [_EMPTY] * NUM_HASHES
    shift = 64 - _BIN_BITS
    golden, mask, vmask = _GOLDEN, _MASK64, _VALUE_MASK
    for s in shingle_set:
        h = (zlib.crc32(s.encode("utf-8", "surrogatepass")) * golden) & mask
        b = h >> shift
        v = (h >> 8) & vmask
        if v < bins[b]:
            bins[b] = v
    # Densify: an empty bin takes the value of the next non-empty one, salted with the
    # distance, so that two signatures agree there with the probability they would by luck.
    n = NUM_HASHES
    if _EMPTY in bins:
        filled = list(bins)
        for i in range(n):
            if bins[i] == _EMPTY:
                for d in range(1, n):
                    j = (i + d) % n
                    if bins[j] != _EMPTY:
                        filled[i] = (bins[j] + d * 0x61C88647) & _VALUE_MASK
                        break
        bins = filled
    return array("I", bins)


def band_terms(sig: array) -> list[str]:
    """The LSH band terms of a signature: ``BANDS`` short strings, one per band."""
    raw = sig.tobytes()
    width = ROWS * sig.itemsize
    return [
        f"{b:x}{hashlib.blake2b(raw[b * width : (b + 1) * width], digest_size=5).hexdigest()}"
        for b in range(BANDS)
    ]


def similarity(a: array, b: array) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def sig_from_bytes(raw: bytes | None) -> array | None:
    if not raw:
        return None
    sig = array("I")
    sig.frombytes(raw)
    return sig if len(sig) == NUM_HASHES else None


def article_signature(title: str, body: str) -> array | None:
    return signature(shingles(title, body))


def _days_apart(a: datetime | None, b: datetime | None) -> int:
    if a is None or b is None:
        return 0
    return abs((a - b).days)


class PendingBands:
    """The articles a run has written but not committed yet, found by band term: compact,
    since a run may hold 100,000 of them between commits (``write/build.py``).

    Each article is an entry number; its id, group and date are list items, its signature
    512 bytes of one array. A band term (11 hex digits: 44 bits) is a key of an
    open-addressing hash table of two arrays (key, newest entry with it); each entry keeps,
    per band, the entry before it with the same term (``-1``: none), so that a band's
    entries are a chain, newest first. About 16-24 bytes per band key and 4 per link, against
    about 200 as a dict of lists of tuples (measured in tests/test_dedup.py). The table
    doubles when 3/4 full (it did at 1/2): 73,000 articles (10x's last commit) held
    94 -> 69 MB, 131 -> 75 MB at the peak of doubling (tracemalloc), adding no slower.
    """

    _EMPTY = 0  # keys are stored + 1

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self._ids: list[str] = []
        self._groups: list[str | None] = []  # None: the article's own id
        self._dates: list[datetime | None] = []
        self._sigs = array("I")
        self._prev = array("i")  # BANDS links per entry
        self._size = 1 << 10  # a power of two, at least 4/3 of the keys held
        self._shift = 64 - 10
        self._keys = array("Q", bytes(8 * self._size))
        self._heads = array("i", bytes(4 * self._size))
        self._used = 0

    def __len__(self) -> int:
        return len(self._ids)

    def _slot(self, key: int) -> int:
        keys, mask = self._keys, self._size - 1
        i = (key * _GOLDEN & _MASK64) >> self._shift  # Fibonacci hashing
        while keys[i] != self._EMPTY and keys[i] != key:
            i = (i + 1) & mask
        return i

    def _grow(self) -> None:
        old_keys, old_heads = self._keys, self._heads
        self._size *= 2
        self._shift -= 1
        self._keys = array("Q", bytes(8 * self._size))
        self._heads = array("i", bytes(4 * self._size))
        for key, head in zip(old_keys, old_heads, strict=True):
            if key != self._EMPTY:
                i = self._slot(key)
                self._keys[i] = key
                self._heads[i] = head

    def add(self, doc_id, group, sig: array, when, bands: list[str]) -> None:
        entry = len(self._ids)
        self._ids.append(doc_id)
        self._groups.append(None if group == doc_id else group)
        self._dates.append(when)
        self._sigs.extend(sig)
        keys, heads, prev = self._keys, self._heads, self._prev
        mask, shift, empty = self._size - 1, self._shift, self._EMPTY
        for band in bands:
            key = int(band, 16) + 1
            i = (key * _GOLDEN & _MASK64) >> shift
            while keys[i] != key:
                if keys[i] == empty:
                    keys[i] = key
                    self._used += 1
                    heads[i] = -1
                    break
                i = (i + 1) & mask
            prev.append(heads[i])
            heads[i] = entry
        if 4 * self._used > 3 * self._size:  # a load of 3/4 at most
            self._grow()

    def newest(self, band: str) -> list[int]:
        """The newest ``MAX_PER_BAND`` entries with this band term, oldest first."""
        key = int(band, 16) + 1
        keys, mask = self._keys, self._size - 1
        i = (key * _GOLDEN & _MASK64) >> self._shift
        while keys[i] != key:
            if keys[i] == self._EMPTY:
                return []
            i = (i + 1) & mask
        b = int(band[0], 16)  # the band's number: its term's first digit
        found = []
        entry, prev = self._heads[i], self._prev
        while entry >= 0 and len(found) < MAX_PER_BAND:
            found.append(entry)
            entry = prev[entry * BANDS + b]
        found.reverse()
        return found

    def doc_id(self, entry: int) -> str:
        return self._ids[entry]

    def entry(self, entry: int) -> tuple[str, str, array, datetime | None]:
        """``(id, group, signature, date)`` of an entry."""
        doc_id = self._ids[entry]
        sig = self._sigs[entry * NUM_HASHES : (entry + 1) * NUM_HASHES]
        return doc_id, self._groups[entry] or doc_id, sig, self._dates[entry]


class BandBloom:
    """The band terms a run has added, as a Bloom filter: a term it says no to is in no
    segment the run wrote, so it is not looked up there (``DupFinder._candidates``).

    A key is a band term's 44 bits (an 11-digit hex hash already: no hashing of its own);
    ``PROBES`` bits per key from two halves of it (double hashing). Filters of
    ``BITS_PER_KEY`` bits a key hold ``capacity`` keys each, the next one twice the last,
    so a 153k-article build (2.5 million band terms) holds about 3 MB and no filter is
    sized in advance. A false "yes" (about 1% a filter) only costs a look-up.
    """

    PROBES = 7
    BITS_PER_KEY = 10
    FIRST_CAPACITY = 1 << 17

    def __init__(self):
        self._filters: list[bytearray] = []
        self._masks: list[int] = []
        self._room = 0  # keys the newest filter takes before the next one

    def __len__(self) -> int:
        return len(self._filters)

    def _new_filter(self) -> None:
        capacity = self.FIRST_CAPACITY << len(self._filters)
        bits = 1 << (capacity * self.BITS_PER_KEY - 1).bit_length()
        self._filters.append(bytearray(bits >> 3))
        self._masks.append(bits - 1)
        self._room = capacity

    def add(self, keys) -> None:
        """Add band terms (given as ints)."""
        for key in keys:
            if self._room <= 0:
                self._new_filter()
            self._room -= 1
            bits, mask = self._filters[-1], self._masks[-1]
            h, step = key, (key >> 22) | 1
            for _ in range(self.PROBES):
                pos = h & mask
                bits[pos >> 3] |= 1 << (pos & 7)
                h += step

    def __contains__(self, key: int) -> bool:
        step = (key >> 22) | 1
        for bits, mask in zip(self._filters, self._masks, strict=True):
            h = key
            for _ in range(self.PROBES):
                pos = h & mask
                if not bits[pos >> 3] & (1 << (pos & 7)):
                    break
                h += step
            else:
                return True
        return False


class DupFinder:
    """Assigns each article indexed in a run the group of the copy it duplicates.

    Candidates come from the committed index (a posting lookup on ``dupband``) and from the
    articles this run has written but not yet committed (kept here, by band, until
    ``committed()``). An article joins the group of its most similar copy above
    ``THRESHOLD``, else it starts its own group, labelled with its id. Groups are never
    merged or relabelled afterwards: the label is only a label, and stays valid when the
    article it names is updated or deleted.
    """

    def __init__(self, ix):
        self.ix = ix
        self._reader = None
        # The index had no documents when asked: none appear before this run commits
        # (``committed``), so it is not asked again for each article (reading the table
        # of contents, 0.2 ms an article of a first build).
        self._empty = False
        self._pending = PendingBands()
        self._starts: dict[str, datetime | None] = {}  # group label -> its first copy's date
        # Band terms are looked up in the committed index for each article: 16 random keys,
        # each decoding a block of a dictionary that grows with the run (at 60k articles
        # ~1 ms an article). Almost every band is new, and one this run did not add can only
        # be in the segments that were there when it started: ``_added`` holds what it
        # added, ``_old`` those segments (None: unknown, every segment is asked).
        self._added = BandBloom()
        segments = getattr(ix, "_segments", None)
        self._old = frozenset(seg.segment_id() for seg in segments()) if segments else None
        self._old_readers: list[tuple[object, int]] | None = None  # of the open reader

    def fields(self, doc_id: str, title: str, body: str, when: datetime | None) -> dict:
        """The ``dup``, ``dupband`` and ``dupsig`` fields of an article's document."""
        sig = article_signature(title, body)
        if sig is None:
            return {"dup": doc_id}
        bands = band_terms(sig)
        best: tuple[float, str] | None = None
        for cand_id, group, cand_sig, cand_when in self._candidates(bands):
            # Against the copy and the group's first copy: daily templated items would
            # otherwise chain a year of them into one group, a week at a time.
            if cand_id == doc_id or _days_apart(when, cand_when) > MAX_DAYS_APART:
                continue
            if _days_apart(when, self._group_start(group, cand_id, cand_when)) > MAX_DAYS_APART:
                continue
            sim = similarity(sig, cand_sig)
            if sim >= THRESHOLD and (best is None or sim > best[0]):
                best = (sim, group)
        group = best[1] if best else doc_id
        if group == doc_id:
            self._starts[doc_id] = when
        self._pending.add(doc_id, group, sig, when, bands)
        self._added.add(int(band, 16) for band in bands)
        return {"dup": group, "dupband": " ".join(bands), "dupsig": sig.tobytes()}

    def _candidates(self, bands: list[str]):
        seen: set[str] = set()
        pending = self._pending
        for band in bands:
            for entry in pending.newest(band):
                doc_id = pending.doc_id(entry)
                if doc_id not in seen:
                    seen.add(doc_id)
                    yield pending.entry(entry)
        reader = self._index_reader()
        if reader is None:
            return
        # One posting list per band, read directly: a query ORing the 16 terms costs ~10 ms
        # (whoosh builds a doc-count-sized array for every union), this ~0.1 ms.
        docnums: set[int] = set()
        added, old_readers = self._added, self._old_readers
        for band in bands:
            if old_readers is not None and int(band, 16) not in added:
                # Not written this run: only the segments of before can hold it.
                ids = []
                for sub, offset in old_readers:
                    if ("dupband", band) in sub:
                        ids.extend(offset + d for d in sub.postings("dupband", band).all_ids())
            elif ("dupband", band) in reader:
                ids = list(reader.postings("dupband", band).all_ids())
            else:
                continue
            docnums.update(ids[-MAX_PER_BAND:])  # the newest
        for docnum in sorted(docnums):
            if reader.is_deleted(docnum):
                continue
            stored = reader.stored_fields(docnum)
            cand_sig = sig_from_bytes(stored.get("dupsig"))
            # An article this run has rewritten is among the pending ones, as it is now.
            if cand_sig is None or stored["id"] in seen:
                continue
            yield stored["id"], stored.get("dup") or stored["id"], cand_sig, stored.get("date")

    def _group_start(self, group: str, cand_id: str, cand_when):
        """The date of a group's first copy (its label's article), or the candidate's own
        when that article is gone or undated."""
        if group not in self._starts:
            start = None
            reader = self._index_reader()
            if reader is not None:
                live = (
                    [d for d in reader.postings("id", group).all_ids() if not reader.is_deleted(d)]
                    if ("id", group) in reader
                    else []
                )
                if live:
                    start = reader.stored_fields(live[0]).get("date")
            self._starts[group] = start
        start = self._starts[group]
        return start if start is not None else cand_when

    def _index_reader(self):
        if self._reader is None:
            if self._empty:
                return None
            if self.ix.doc_count() == 0:
                self._empty = True
                return None
            self._reader = self.ix.reader()
            self._old_readers = self._readers_of_before(self._reader)
        return self._reader

    def _readers_of_before(self, reader) -> list[tuple[object, int]] | None:
        """The sub-readers (with their doc number offsets) of the segments that were there
        when the run started, when all of them still are; None when one is gone (merged
        into a segment of this run, whose bands the filter does not hold) or unknown."""
        if self._old is None:
            return None
        found = []
        for sub, offset in reader.leaf_readers():
            segment = sub.segment()
            if segment is None:
                return None
            if segment.segment_id() in self._old:
                found.append((sub, offset))
        return found if len(found) == len(self._old) else None

    def committed(self) -> None:
        """The run committed: what was pending is in the index now, under its new version."""
        self._pending.clear()
        self.close()

    def close(self) -> None:
        self._empty = False
        self._old_readers = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None
