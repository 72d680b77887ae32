"""Snippets with exactly the matched words highlighted.

Instead of re-running the full analysis over every hit's body (where a naive Whoosh set-up
spends 94% of a warm query), the body is normalised once and scanned: Han query words are
found as substrings of the normalised text (which is also what the bigram field matches),
Latin words are compared by their cached English and Malay stems. Offsets map back through
the normalisation, so highlights cover the original characters.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache

from whoosh import query as wq

from indexer.analyse.latin import (
    COMPOUND_RE,
    LETTER,
    PART_RE,
    WORD_CHAR,
    _is_reduplication,
    _word_term,
    stemmer_for,
    stop_words,
)
from indexer.analyse.normalize import HAS_HAN, non_ascii_chars, normalize
from indexer.schema import split_field

from .textwidth import advance, column_width

SCAN_LIMIT = 60_000  # characters of a body scanned for matches
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_IS_DIGIT = re.compile(r"\d").match
_IS_LETTER = re.compile(LETTER).match
# PART_RE on ASCII text: its classes as ASCII ranges, which the re module tests by a
# bitmap rather than by Unicode category (half the time over an English body)
ASCII_PART_RE = re.compile(r"[0-9]+|[A-Za-z]+(?:'[A-Za-z]+)*")
# every ASCII character ASCII_PART_RE cannot take, as a space (``_ascii_words``)
_ASCII_GAPS = str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c == "'")})


def _ascii_words(s: str) -> set[str]:
    """``set(ASCII_PART_RE.findall(s))`` for an ASCII ``s``: its characters outside the
    regex's classes turned to spaces by ``str.translate`` (a table of 128 in C) and the
    text split at them; only a piece mixing digits and letters or holding an apostrophe
    is cut by the regex (it cannot match across a space). 35 against 61 µs over an ASCII
    body of the shared corpus (285 of them, ~1,700 characters on average)."""
    words = set(s.translate(_ASCII_GAPS).split())
    odd = [w for w in words if not (w.isalpha() or w.isdigit())]
    if odd:
        words.difference_update(odd)
        for w in odd:
            words.update(ASCII_PART_RE.findall(w))
    return words


@dataclass
class Needles:
    """What a query asks for, per analysis; each is highlighted only as the unit it matched.

    A phrase (``"kuala lumpur"``, ``1MDB`` as the parts 1 and mdb, 升旗山 as 升旗 and 山)
    is highlighted where its words are consecutive, never one part alone elsewhere; a
    wildcard highlights whole words as written that the pattern matches (``a*``: akan,
    not mengambil, whose stem ambil the Malay field matched).
    """

    en: set[str] = field(default_factory=set)
    ms: set[str] = field(default_factory=set)
    han: set[str] = field(default_factory=set)
    surface: set[str] = field(default_factory=set)  # words as written (fuzzy)
    # language ("en" or "ms") -> phrases of two or more of its terms
    phrases: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)
    # wildcards and prefixes, as regular expressions over whole words as written
    patterns: set[str] = field(default_factory=set)
    # quoted phrases as written (``search.exact``): pattern over normalised text -> phrase
    exact: dict[str, str] = field(default_factory=dict)
    # word as found in a normalised body -> whether it matches: the hits of one query
    # repeat their words, and each costs a few string operations and two stem lookups
    seen: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)
    terms: dict[tuple[str, str], str | None] = field(
        default_factory=dict, repr=False, compare=False
    )
    hits: set[str] = field(default_factory=set, repr=False, compare=False)  # seen, matching
    compiled: re.Pattern | None = field(default=None, repr=False, compare=False)
    # ``_judge``'s patterns of the keys of ``ms`` (``_keys``): with an apostrophe, and alone
    ms_keys: tuple | None = field(default=None, repr=False, compare=False)
    # what a word that can match must contain (``_latin_keys``): () when it cannot be said
    latin_keys: tuple | None = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(
            self.en
            or self.ms
            or self.han
            or self.surface
            or self.phrases
            or self.patterns
            or self.exact
        )

    def pattern_re(self) -> re.Pattern | None:
        if self.compiled is None and self.patterns:
            self.compiled = re.compile("|".join(sorted(self.patterns)))
        return self.compiled


def _bigrams_to_text(words: list[str]) -> str:
    if not words:
        return ""
    return "".join(w[0] for w in words[:-1]) + words[-1]


def wildcard_regex(node) -> str:
    """A Prefix or Wildcard query as a regular expression for one whole word."""
    if isinstance(node, wq.Prefix):
        return re.escape(node.text) + ".*"
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in node.text)


def needles_from(leaves, reader=None) -> Needles:
    needles = Needles()
    for fieldname, node in leaves:
        if fieldname == "exact":
            if node.exact.regex is not None:
                needles.exact[node.exact.pattern] = node.exact.text
            continue
        if fieldname == "spell":
            lang = "surface"
        elif fieldname and (split := split_field(fieldname)) is not None:
            lang = split[1]
        else:
            continue
        expanded = False
        if isinstance(node, wq.Phrase):
            words = list(node.words)
        elif isinstance(node, wq.Term):
            words = [node.text]
        elif isinstance(node, (wq.Prefix, wq.Wildcard)) and lang != "zh" and lang != "zh2":
            # Latin words: the pattern over words as written, not the stems it expanded to
            if not HAS_HAN.search(node.text):
                needles.patterns.add(wildcard_regex(node))
            continue
        elif isinstance(node, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)) and reader is not None:
            try:
                words = [t for _f, t in node.expanded_terms(reader)][:200]
            except Exception:
                words = []
            words = [w.decode("utf-8") if isinstance(w, bytes) else w for w in words]
            expanded = True
        else:
            continue
        if lang == "zh2" and not expanded:
            needles.han.add(_bigrams_to_text(words))
        elif lang in ("zh", "zh2"):
            # a phrase of jieba words is one unit (升旗 山: 升旗山), expansions each one
            needles.han.update(words if expanded else ["".join(words)])
        elif lang in ("en", "ms") and len(words) > 1 and not expanded:
            needles.phrases.setdefault(lang, set()).add(tuple(words))
        elif lang in ("en", "ms", "surface") and (len(words) == 1 or expanded):
            getattr(needles, lang).update(words)
    needles.han.discard("")
    return needles


def find_spans(text: str, needles: Needles, limit: int = SCAN_LIMIT) -> list[tuple[int, int]]:
    """Sorted, merged spans of ``text`` (original offsets) that the needles match."""
    if not needles or not text:
        return []
    norm = normalize(text[:limit])
    s = norm.text
    spans = []
    for pattern in needles.exact:
        spans.extend(norm.span(m.start(), m.end()) for m in _exact_re(pattern).finditer(s))
    for needle in needles.han:
        start = s.find(needle)
        while start != -1:
            spans.append(norm.span(start, start + len(needle)))
            start = s.find(needle, start + len(needle))
    en_stem = stemmer_for("en") if needles.en or "en" in needles.phrases else None
    ms_stem = stemmer_for("ms") if needles.ms or "ms" in needles.phrases else None
    present = None  # the distinct words of the text, as PART_RE cuts them
    if needles.en or needles.ms or needles.surface or needles.patterns:
        # Each distinct word of the body is judged once per query (``seen``), listed by
        # the regex engine rather than a Python loop over every word; the words that match
        # are then found with str.find (``_word_starts``), where PART_RE would cut them.
        # Sastrawi costs ~1 ms a new word: only words sharing a piece of a query stem can
        # stem to it (affixes and sound changes touch the edges: menyampaikan -> sampai).
        seen = needles.seen
        present = _words_of(s, needles)
        new = present.difference(seen)
        if new:
            needles.hits.update(_judge(new, needles, en_stem, ms_stem))
        for word in present.intersection(needles.hits):
            spans.extend(norm.span(a, a + len(word)) for a in _word_starts(s, word))
    for lang, phrases in needles.phrases.items():
        stem = en_stem if lang == "en" else ms_stem
        if present is None:
            present = _words_of(s, needles)
        spans.extend(_phrase_spans(s, norm, lang, phrases, needles, stem, present))
    return _merge(spans)


def _words_of(s: str, needles: Needles) -> set[str]:
    """The words of ``s`` (as ``PART_RE`` cuts them) that the Latin needles can match: those
    around the places ``s`` holds a key of them (``_candidates``), or, where the needles
    have no keys or ``s`` holds them too often, every word of ``s``."""
    keys = needles.latin_keys
    if keys is None:
        keys = needles.latin_keys = _latin_keys(needles)
    got = _candidates(s, keys) if keys else None
    if got is None:
        got = _ascii_words(s) if s.isascii() else set(PART_RE.findall(s))
    return got


# keys past which a text is cut into all its words instead (each key is one ``str.find``
# over the text, each place it stands a word cut out)
_MAX_KEYS = 48
_MAX_PLACES = 160


def _latin_keys(needles: Needles) -> tuple[str, ...]:
    """What each word the Latin needles (``en``, ``ms``, ``surface`` and the phrases'
    terms) can match contains, with the apostrophes (a word holding one can become a term
    that it does not contain: o'neil -> oneil); () for needles with wildcard patterns,
    which any word may match, or with too many keys to look for.

    - a word as written (``surface``): itself;
    - a digit term: itself;
    - a Malay term: ``_keys``;
    - an English term: ``_english_keys``.
    """
    if needles.patterns:
        return ()
    ms = set(needles.ms)
    en = set(needles.en)
    for lang, phrases in needles.phrases.items():
        (en if lang == "en" else ms).update(w for p in phrases for w in p)
    keys = set(needles.surface) | _keys(ms) | {"'", "’"}
    if en:
        keys |= _english_keys(en)
    keys.discard("")
    return tuple(sorted(keys)) if len(keys) <= _MAX_KEYS else ()


def _english_keys(terms) -> set[str]:
    """What a word contains when its English term (``_EnglishTerms.of``: Snowball after
    the spelling folds) is one of ``terms``, unless it has an apostrophe: a digit term
    itself; else the term without its last two letters (at least its first two), the
    term's y-form for an -ie term (dying -> die), and the words the spelling folds that
    become it (leukaemia -> leukemia). Snowball rewrites the last letter or two of a stem
    at most (happy -> happi, sensibility -> sensibl): over the 81,924 words of the shared
    corpus (2026-12-04), every one outside the spelling map and without an apostrophe
    contains its term less its last letter, but for dying, lying, tying and vying;
    ``tests/test_snippet_phrases.py`` checks this on the stemmer's own exceptions and
    the words of the bundled corpus and the fixtures."""
    sources = _spelling_sources()
    out = set()
    for t in terms:
        if t.isdigit():
            out.add(t)
            continue
        out.add(t[: max(2, len(t) - 2)])
        if t.endswith("ie"):
            out.add(t[:-2] + "y")
        out.update(sources.get(t, ()))
    return out


@lru_cache(maxsize=1)
def _spelling_sources() -> dict[str, frozenset[str]]:
    """English term -> the words of the spelling map (British forms) that become it."""
    got: dict[str, set[str]] = {}
    for word, term in stemmer_for("en").spelling_stems().items():
        got.setdefault(term, set()).add(word)
    return {t: frozenset(ws) for t, ws in got.items()}


# a character no word of PART_RE holds is outside this class: a run of them holds whole words
_WORDISH_RUN = re.compile(r"[\w'’]*").match
_IS_WORDISH = re.compile(r"[\w'’]").match


def _candidates(s: str, keys) -> set[str] | None:
    """The words (``PART_RE``'s) of the runs of word characters and apostrophes of ``s``
    that hold one of ``keys``; None where the keys stand in more than ``_MAX_PLACES``
    places. A run is bounded by characters no word holds, so the regex cuts it as it cuts
    the whole text. Cutting every word of a body (60-190 µs) took most of a Latin
    snippet's time, and judging its new words most of a query's first run."""
    places = []
    for key in keys:
        a = s.find(key)
        while a != -1:
            places.append((a, a + len(key)))
            if len(places) > _MAX_PLACES:
                return None
            a = s.find(key, a + 1)
    words: set[str] = set()
    done = -1
    for a, b in sorted(places):
        if a < done:
            continue  # inside the run just cut
        while a > 0 and _IS_WORDISH(s, a - 1):
            a -= 1
        b = _WORDISH_RUN(s, b).end()
        words.update(PART_RE.findall(s, a, b))
        done = b
    return words


def _word_starts(s: str, word: str) -> list[int]:
    """Where ``PART_RE.finditer(s)`` cuts ``word`` (one of its words) from ``s``: each
    place ``word`` stands not inside a longer word, that is a run of digits with no digit
    on either side, or a word of letters with no letter, and no letter and apostrophe
    (``o'neil``), on either side."""
    out = []
    n, size = len(s), len(word)
    if _DIGITS.fullmatch(word):
        inner = _IS_DIGIT
        joined = None
    else:
        inner = _IS_LETTER
        joined = "'’"
    a = s.find(word)
    while a != -1:
        b = a + size
        if not (
            (a and inner(s[a - 1]))
            or (b < n and inner(s[b]))
            or (joined and a > 1 and s[a - 1] in joined and inner(s[a - 2]))
            or (joined and b + 1 < n and s[b] in joined and inner(s[b + 1]))
        ):
            out.append(a)
        a = s.find(word, a + 1)
    return out


@lru_cache(maxsize=64)
def _exact_re(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _keys(words) -> set[str]:
    """What a word must contain to stem to one of the Malay terms ``words``: a term of four
    letters or more without its first (Sastrawi strips affixes and may recode the first
    letter of a root: menulis -> tulis), a shorter one whole. Each of the 78,566 words of
    the shared corpus whose stem has four letters or more contains that stem without its
    first letter (checked 2026-12-04; ``tests/test_malay_stemmer.py`` checks it on the
    stemmer's affixed words, ``tests/test_search.py`` compares the spans found with every
    word stemmed). Three letters of the term let through words that Sastrawi then stemmed
    for nothing (~0.1 ms each not seen before): the snippets of the 85 bench queries'
    first runs stemmed 1,193 words, 458 now."""
    return {n[1:] if len(n) >= 4 else n for n in words}


def _term_maker(lang: str, needles: Needles, stem):
    """``term(part)``: the term a word of the text becomes in ``lang``'s analysis, as
    latin_tokens makes it, or None when no phrase of ``lang`` can have it (memoised in
    ``needles.terms`` across the hits of a query)."""
    keys = _keys(w for p in needles.phrases[lang] for w in p) if lang == "ms" else None
    memo = needles.terms

    def term(part: str) -> str | None:
        got = memo.get((lang, part), "")
        if got == "":
            if keys is not None and not part.isdigit() and not any(k in part for k in keys):
                got = None
            else:
                got = _word_term(part, stem) or None
            memo[(lang, part)] = got
        return got

    return term


def _stream(s: str, pos: int, lang: str, term):
    """The Latin terms of ``s`` from ``pos`` on at their index positions, as latin_tokens
    makes them, as ``(term, start, end)``. ``pos`` must not cut a compound: 0, or just
    after a character no compound holds (``_run_start``)."""
    stops = stop_words()
    for m in COMPOUND_RE.finditer(s, pos):
        parts = list(PART_RE.finditer(s, m.start(), m.end()))
        if not parts:
            continue
        words = [p.group() for p in parts]
        if lang == "ms" and len(parts) == 2 and _is_reduplication(words[0], words[1]):
            yield (term(min(words, key=len)), m.start(), m.end())
            continue
        if len(parts) == 1 and words[0].replace("’", "'").split("'")[0] in stops:
            continue
        for p in parts:
            yield (term(p.group()), p.start(), p.end())


def _term_stream(s: str, lang: str, needles: Needles, stem) -> list[tuple[str | None, int, int]]:
    """The Latin terms of ``s`` at their index positions, as latin_tokens makes them: a
    term no phrase of ``lang`` has may be None (it still takes its position)."""
    return list(_stream(s, 0, lang, _term_maker(lang, needles, stem)))


# A character a compound (COMPOUND_RE) can hold: a word character, an inner apostrophe or
# a joiner. Just after any other character no compound goes on.
_IN_RUN = re.compile(f"{WORD_CHAR}|[-‐‑./'’]").match


def _run_start(s: str, a: int) -> int:
    """The start of the run of compound characters ``s[a]`` is in: no compound of
    ``COMPOUND_RE.finditer(s)`` spans it, so the scan from there finds the same ones."""
    while a > 0 and _IN_RUN(s, a - 1):
        a -= 1
    return a


def _phrase_spans(s, norm, lang, phrases, needles, stem, present) -> list[tuple[int, int]]:
    """Where the phrases of ``lang`` stand in ``s`` (original offsets): their terms at
    consecutive positions of the term stream, as ``_term_stream`` lists them.

    Only the stretches that can hold a phrase are analysed: a phrase needs its first term
    where a word of the text (``present``) that becomes that term stands, and the stream
    is read from the start of that word's run for as many terms as the phrase has; a text
    lacking a term of a phrase is not read at all. Re-analysing the whole text took 1-3 ms
    a hit on long bodies, for each language of a ranked query's word pairs."""
    term = _term_maker(lang, needles, stem)
    need = {w for words in phrases for w in words}
    surfaces: dict[str, list[str]] = {}  # a phrase term -> the words of s that become it
    for part in present:
        got = term(part)
        if got is not None and got in need:
            surfaces.setdefault(got, []).append(part)
    possible = [words for words in phrases if all(w in surfaces for w in words)]
    if not possible:
        return []
    longest = max(len(words) for words in possible)
    firsts = {words[0] for words in possible}
    starts = sorted({a for w in firsts for p in surfaces[w] for a in _word_starts(s, p)})
    found: set[tuple[int, int]] = set()
    covered = -1  # the stream was read up to here (the start of its last term)
    for a in starts:
        if a <= covered:
            continue
        entries: list[tuple[str | None, int, int]] = []
        last = -1  # index of the last term starting at or before a
        for entry in _stream(s, _run_start(s, a), lang, term):
            entries.append(entry)
            if entry[1] <= a:
                last = len(entries) - 1
            elif len(entries) - 1 >= last + longest - 1:
                break
        for i in range(last + 1):
            for words in possible:
                n = len(words)
                window = entries[i : i + n]
                if len(window) == n and all(window[k][0] == words[k] for k in range(n)):
                    found.add((window[0][1], window[-1][2]))
        if last >= 0:
            covered = entries[last][1]
    return [norm.span(x, y) for x, y in found]


# words whose English term is remembered: ~290 bytes each with the reverse map (the 85
# bench queries in both matchings learn 19k words, 5.5 MB); past it, words are judged afresh
_CACHE_WORDS = 50_000


def _without_apostrophes(word: str) -> str:
    """A word as the Latin analysis takes it before stemming: ’ as ', a final 's dropped,
    the other apostrophes removed (``latin._word_term``)."""
    if "'" in word or "’" in word:
        word = word.replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        word = word.replace("'", "")
    return word


class _EnglishTerms:
    """Each word (as PART_RE cuts it from a normalised text) and the term the English side
    of ``_matches`` compares, remembered across queries with the reverse map: the words of
    a query's hits that become one of its English terms are then set intersections, not a
    Python test per word."""

    def __init__(self, stem):
        self.stem = stem
        self.term: dict[str, str] = {}
        self.words: dict[str, set[str]] = {}  # term -> its words
        # Snowball's English stem of a word begins with the word's first letter (it cuts
        # and rewrites endings only; a leading apostrophe is gone before it): the words
        # the spelling folds give another first letter (enquiry -> inquiri) are the
        # others. None: a stemmer other than ``latin.EnglishStemmer``, every word stemmed.
        spelling = getattr(stem, "spelling", None)
        self.refolded = (
            None
            if spelling is None
            else frozenset(w for w, f in spelling.items() if w[:1] != f[:1])
        )

    def of(self, word: str) -> str:
        w = _without_apostrophes(word)
        return w if w.isdigit() else self.stem(w)

    def matching(self, words: set[str], en: set[str]) -> set[str]:
        """The ``words`` whose English term is in ``en``."""
        term, by_term = self.term, self.words
        out: set[str] = set()
        # Only a word beginning as a term of ``en`` does, or with an apostrophe, or one the
        # spelling folds begin otherwise, can have its term in ``en``: the others need no
        # stem now (a hit's body has hundreds of new words, a query's terms 2 or 3 letters).
        unknown = words.difference(term)
        refolded = self.refolded
        if refolded is not None:
            firsts = {t[:1] for t in en}
            firsts.update("'’")
            unknown = [w for w in unknown if w[:1] in firsts or w in refolded]
        else:
            unknown = list(unknown)
        many = getattr(self.stem, "many", None)
        if many is None or len(unknown) < 2:
            terms = [self.of(word) for word in unknown]
        else:  # one call of the Snowball stemmer for the words not known
            bare = [_without_apostrophes(w) for w in unknown]
            stems = iter(many([w for w in bare if not w.isdigit()]))
            terms = [w if w.isdigit() else next(stems) for w in bare]
        for word, t in zip(unknown, terms, strict=True):
            if t in en:
                out.add(word)
            if len(term) < _CACHE_WORDS:
                term[word] = t
                by_term.setdefault(t, set()).add(word)
        for t in en:
            have = by_term.get(t)
            if have:
                out.update(have.intersection(words))
        return out


_english: _EnglishTerms | None = None


def _line_end(s: str, i: int) -> int:
    end = s.find("\n", i)
    return len(s) if end == -1 else end


def _english_terms(stem) -> _EnglishTerms:
    global _english
    if _english is None or _english.stem is not stem:
        _english = _EnglishTerms(stem)
    return _english


def _judge(words: set[str], needles: Needles, en_stem, ms_stem) -> set[str]:
    """The ``words`` (not judged before) that the needles match, each judged as
    ``_matches`` judges it, all remembered in ``needles.seen``. Set operations in C where a
    test per word cost ~1 µs over some 750 new words a query: the surface forms by
    intersection, the English side through ``_EnglishTerms``, the Malay side tested only
    on the words that can pass it (with an apostrophe, a key of a Malay term, or a
    Malay term themselves), found by one regular expression over the words joined."""
    seen = needles.seen
    surface, en, ms = needles.surface, needles.en, needles.ms
    pattern = needles.pattern_re()
    out = words.intersection(surface)
    if pattern is not None:
        stops = stop_words()
        out.update(w for w in words if pattern.fullmatch(w) and w not in stops)
    if en_stem is not None and en:
        out |= _english_terms(en_stem).matching(words, en)
    if ms_stem is not None and ms:
        if needles.ms_keys is None:
            keys = "|".join(re.escape(k) for k in sorted(_keys(ms)))
            needles.ms_keys = (re.compile(f"['’]|{keys}").finditer, re.compile(keys).search)
        either, has_key = needles.ms_keys
        joined = "\n".join(words)
        maybe = {
            joined[joined.rfind("\n", 0, m.start()) + 1 : _line_end(joined, m.end())]
            for m in either(joined)
        }
        maybe.update(words.intersection(ms))
        for word in maybe.difference(out):
            w = _without_apostrophes(word)
            if w in ms if w.isdigit() else has_key(w) is not None and ms_stem(w) in ms:
                out.add(word)
    out = {w for w in out if w[0] <= "\u2fff"}  # Han and other CJK are found as substrings
    seen.update(dict.fromkeys(words, False))
    seen.update(dict.fromkeys(out, True))
    return out


def _matches(word: str, needles: Needles, en_stem, ms_stem, ms_keys) -> bool:
    if word[0] > "\u2fff":  # Han and other CJK are found as substrings
        return False
    if word in needles.surface:
        return True
    pattern = needles.pattern_re()
    if pattern is not None and pattern.fullmatch(word) and word not in stop_words():
        return True
    w = word.replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if w.isdigit():
        return w in needles.en or w in needles.ms
    return (en_stem is not None and bool(needles.en) and en_stem(w) in needles.en) or (
        ms_stem is not None and any(k in w for k in ms_keys) and ms_stem(w) in needles.ms
    )


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _best_window(text: str, spans, width: int) -> tuple[int, int]:
    """The window of about ``width`` display columns holding the most (and most varied)
    matches: Han characters take two columns, so a Chinese snippet takes the room of a
    Latin one."""
    if not spans:
        return 0, advance(text, 0, width)
    if text.isascii() or _one_column_each(text):
        back, ahead = _ascii_back, _ascii_advance
    else:
        back, ahead = _columns_of(text, spans, width) or (_back, advance)
    best, best_score = spans[0][0], -1.0
    # find_spans' spans are sorted and disjoint: once one ends past the window, every
    # later one does too
    ordered = all(spans[k][1] <= spans[k + 1][1] for k in range(len(spans) - 1))
    for i, (a, _b) in enumerate(spans):
        start = back(text, a, width // 5)
        end = ahead(text, start, width)
        inside = []
        for x, y in itertools.islice(spans, i, None):
            if y <= end:
                inside.append(text[x:y].lower())
            elif ordered:
                break
        score = len(set(inside)) * 10 + len(inside)
        if score > best_score:
            best, best_score = start, score
    start = best
    end = ahead(text, start, width)
    stop = ahead(text, start, width + 20)
    # Widen to word boundaries (Latin text); Han text can be cut anywhere.
    while start > 0 and start > best - 20 and text[start - 1].isalnum() and text[start].isascii():
        start -= 1
    while end < len(text) and end < stop and text[end].isalnum() and text[end].isascii():
        end += 1
    return start, end


_PROBE = 64  # characters looked at for Han first: a Chinese text has too many to list


def _one_column_each(text: str) -> bool:
    """Whether every character of ``text`` takes one column, as every ASCII one does: its
    distinct non-ASCII characters (``non_ascii_chars``, listed in C) are all
    narrow, neither wide nor zero-width (the curly quotes and dashes of a Malay or English
    body). The windows are then counted by arithmetic, as over ASCII text: summing each
    character's width over the stretch the windows reach took most of such a snippet's
    time (~40 µs). A text with Han in its first ``_PROBE`` characters is not listed."""
    if HAS_HAN.search(text, 0, _PROBE) is not None:
        return False
    return all(column_width(c) == 1 for c in non_ascii_chars(text))


def _ascii_back(text: str, end: int, columns: int) -> int:
    """``_back`` of an ASCII text: every character takes one column."""
    return max(end - max(columns, 0), 0)


def _ascii_advance(text: str, start: int, columns: int) -> int:
    """``advance`` of an ASCII text."""
    return min(start + max(columns, 0), len(text))


def _columns_of(text: str, spans, width: int) -> tuple | None:
    """``_back`` and ``advance`` over ``text`` as bisections of a running column count,
    summed once over the stretch the windows at ``spans`` can reach (two walks over the
    widths per span before). Where an answer reaches the stretch's edge (zero-width
    characters can lengthen a walk) the walk is taken as before."""
    n = len(text)
    lo = max(spans[0][0] - width, 0)
    hi = min(max(a for a, _b in spans) + 2 * width + 40, n)
    if hi - lo > len(spans) * width:
        return None  # spans far apart: the walks cover less than the stretch
    cum = list(itertools.accumulate(map(column_width, text[lo:hi]), initial=0))
    size = hi - lo

    def back(text: str, end: int, columns: int) -> int:
        k = end - lo
        if columns <= 0 or not 0 <= k <= size:
            return _back(text, end, columns)
        i = bisect.bisect_left(cum, cum[k] - columns, 0, k)
        return i + lo if i or not lo else _back(text, end, columns)

    def ahead(text: str, start: int, columns: int) -> int:
        k = start - lo
        if not 0 <= k <= size:
            return advance(text, start, columns)
        j = bisect.bisect_right(cum, cum[k] + columns, k) - 1
        return j + lo if j < size or hi == n else advance(text, start, columns)

    return back, ahead


def _back(text: str, end: int, columns: int) -> int:
    """The start of the longest run of ``text`` ending at ``end`` that fits ``columns``."""
    used, i = 0, end
    behind = text[max(end - columns, 0) : end] if columns > 0 else ""
    if behind.isascii():  # every ASCII character takes one column: skip them at once
        used, i = len(behind), end - len(behind)
    while i > 0:
        # as ``advance`` does forwards: the widths of the characters before i summed in C
        chunk = text[max(i - (columns - used + 1), 0) : i][::-1]
        sums = list(itertools.accumulate(map(column_width, chunk), initial=used))
        fit = bisect.bisect_right(sums, columns) - 1  # characters of the chunk that fit
        i -= fit
        if fit < len(chunk):
            break
        used = sums[-1]
    return i


def make_snippet(
    text: str, spans: list[tuple[int, int]], width: int = 220
) -> tuple[str, list[list[int]]]:
    """Cut a snippet of about ``width`` display columns around the best matches; return it
    and its highlight offsets."""
    start, end = _best_window(text, spans, width)
    pieces: list[str] = []
    highlights: list[list[int]] = []
    out_len = 0
    if start > 0:
        pieces.append("… ")
        out_len += 2
    cursor = start
    for a, b in spans:
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        plain = _SPACE.sub(" ", text[cursor:a])
        pieces.append(plain)
        out_len += len(plain)
        word = _SPACE.sub(" ", text[a:b])
        highlights.append([out_len, out_len + len(word)])
        pieces.append(word)
        out_len += len(word)
        cursor = b
    tail = _SPACE.sub(" ", text[cursor:end])
    pieces.append(tail)
    snippet = "".join(pieces)
    if end < len(text):
        snippet = snippet.rstrip() + " …"
    # Leading whitespace shifts offsets: strip it and move the highlights.
    stripped = snippet.lstrip()
    shift = len(snippet) - len(stripped)
    if shift:
        highlights = [[a - shift, b - shift] for a, b in highlights if a >= shift]
    return stripped, highlights
