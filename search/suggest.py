"""Did you mean: a corrected query for one that finds nothing, or too little.

Two kinds of query word are looked at:

* **Latin words** (Malay, English) whose analysed forms are missing from every language
  field, or rare while a word one edit away (a letter dropped, added, swapped, or a
  neighbouring key) is common. Candidates are real words as written in the articles (the
  ``spell`` field), one edit away, or two when nothing is one away; they rank by edit
  distance, then by document frequency in the query's language: the ``--lang`` filter, or
  else the language the query's other words are more common in.
* **Han runs** whose character bigrams (the ``*_zh2`` fields) show a character that fits
  none of its neighbours: 国防布长 has neither 防布 nor 布长. Each character next to the
  weakest bigram is replaced by one that forms indexed bigrams with both neighbours
  (found by prefix in the sorted bigram lexicon), ranked by the rarer of the two new
  bigrams; dropping the character is the last resort.

A suggestion is a query, not a word: every candidate query is counted with the same
language filter (a few counts at most) and only one that finds something, and on weak
results clearly more, is returned. A word that is rare but real must not be "corrected" to a
common one: rare words are only suspected when the common neighbour is a typing slip away
(never a substitution across the keyboard), when they are not Malay dictionary words, and
the correction then has to find many times more. Names and terms the dictionaries know
(``search.known``: the glossary, the user dictionaries, jieba's names and common words) are
never suspects, however rare: 巫统 (UMNO) is not a typo of 总统 (president).

One module of some 490 lines: the Latin and the Han corrections share the suspects, the
trial counting and the thresholds, and are read together.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from indexer.analyse.latin import PART_RE, latin_tokens, stemmer_for
from indexer.analyse.normalize import HAN_RUN, HAS_HAN, normalize
from indexer.errors import MlsearchError
from indexer.schema import TEXT_PARTS, lang_field, unpack_body
from indexer.whoosh_internals.postings import live_doc_frequency as _df
from indexer.whoosh_internals.postings import terms_present

from .known import KnownNames

# Results this few are "weak": worth a second look for a likely typo.
WEAK_HITS = 5
# A suggestion for weak results must find at least this many times as many articles.
WEAK_RATIO = 10
# A word found in at most this many articles may be a typo of a neighbour that is found in
# COMMON_RATIO times as many, and at least MIN_COMMON.
RARE_WORD_DF = 5
COMMON_RATIO = 20
MIN_COMMON = 20
# Candidate queries counted at most, per suggestion; alternatives per suspect word.
MAX_TRIALS = 8
PER_WORD = 3
MAX_SUSPECTS = 4
# A pasted paragraph is not a typo: working out fixes for every Han run of 1,200 pasted
# characters took 14 s. Longer queries get no suggestion.
MAX_QUERY_CHARS = 80

_OPERATORS = frozenset({"AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE"})
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_POS = {
    ch: (col + (0.0, 0.25, 0.75)[row], row)
    for row, keys in enumerate(_KEY_ROWS)
    for col, ch in enumerate(keys)
}


def _neighbouring_keys(a: str, b: str) -> bool:
    pa, pb = _KEY_POS.get(a), _KEY_POS.get(b)
    if pa is None or pb is None:
        return False
    return math.dist(pa, pb) <= 1.25


@dataclass(frozen=True)
class _Fix:
    """Replace query[start:end] by text; cost counts edits."""

    start: int
    end: int
    text: str
    cost: int
    # a Latin correction: the ``spell`` term, whose written case is looked up only for
    # the suggestion chosen (``_as_written``)
    term: str | None = None


@dataclass
class _Suspect:
    fixes: list[_Fix]
    must_change: bool  # the word finds nothing: no query keeping it can find anything


@dataclass
class _Context:
    reader: object
    count: Callable[[str], int]
    lang: str | None
    weak: bool  # results exist but are few: only likely typos are suspects
    known: KnownNames | None = None  # names and terms never corrected
    notes: dict = field(default_factory=dict)


def worth_suggesting(hits: int) -> bool:
    """Whether results of ``hits`` articles are few enough to look for a likely typo."""
    return hits <= WEAK_HITS


def suggest(
    reader,
    count: Callable[[str], int],
    query: str,
    lang=None,
    hits=0,
    known: KnownNames | None = None,
) -> str | None:
    """A corrected ``query`` that finds something (``count(text)`` > 0, with whatever
    language filter ``count`` applies: ``search.plan.MatchCounter``), or None.

    ``hits``: what ``query`` itself finds; above 0 the results are weak and a suggestion
    must find WEAK_RATIO times as many. ``known``: names and terms left as they are
    (``search.known.known_names``); None: none.
    """
    if not worth_suggesting(hits) or len(query) > MAX_QUERY_CHARS:
        return None
    ctx = _Context(reader, count, lang, weak=hits > 0, known=known)
    suspects = _latin_suspects(ctx, query) + _han_suspects(ctx, query)
    if not suspects:
        return None
    suspects.sort(key=lambda s: not s.must_change)
    suspects = suspects[:MAX_SUSPECTS]
    need = max(1, hits * WEAK_RATIO)
    return _best_trial(ctx, query, suspects, need)


def _best_trial(ctx: _Context, query: str, suspects: list[_Suspect], need: int) -> str | None:
    """Count the combinations of fixes, fewest edits and best-ranked first, until one finds
    enough; MAX_TRIALS counts at most."""
    choices = []
    for s in suspects:
        options: list[_Fix | None] = list(s.fixes[:PER_WORD])
        if not s.must_change:
            options.append(None)  # keeping the word is an option, after its best fixes
        choices.append(list(enumerate(options)))
    combos = []
    for combo in itertools.product(*choices):
        fixes = [f for _i, f in combo if f is not None]
        if fixes:
            combos.append((sum(f.cost for f in fixes), sum(i for i, _f in combo), fixes))
    combos.sort(key=lambda c: (c[0], c[1]))
    for _cost, _rank, fixes in combos[:MAX_TRIALS]:
        text = query
        for f in sorted(fixes, key=lambda f: -f.start):
            text = text[: f.start] + f.text + text[f.end :]
        if text == query:
            continue
        try:
            if ctx.count(text) >= need:
                return _applied(ctx.reader, query, fixes)
        except MlsearchError:
            continue
    return None


def _applied(reader, query: str, fixes: list[_Fix]) -> str:
    """``query`` with ``fixes`` made, each Latin correction written as the articles write
    it when they write it in capitals (``_as_written``: read from stored bodies, so only
    for the suggestion chosen; case does not change what a query finds)."""
    for f in sorted(fixes, key=lambda f: -f.start):
        text = f.text if f.term is None else _as_written(reader, query[f.start : f.end], f.term)
        query = query[: f.start] + text + query[f.end :]
    return query


# --- Latin words ---------------------------------------------------------------------------


def _latin_words(query: str):
    """Words of the query that are search words: not operators, field names or values,
    wildcards, fuzzy terms or negated words."""
    previous = ""
    for m in PART_RE.finditer(query):
        word, a, b = m.group(), m.start(), m.end()
        after = query[b : b + 1]
        before = query[a - 1 : a]
        skip = (
            not word.isalpha()
            or word in _OPERATORS
            or previous == "NOT"
            or before in (":", "*", "?", "~", "-", "'", "’")
            or after in (":", "*", "?", "~", "'", "’", "-")
        )
        previous = word
        if not skip and len(word) >= 3:
            yield m


def _word_df(reader, word: str) -> dict[str, int] | None:
    """Articles each Latin analysis of ``word`` is found in (title or body); None for a stop
    word, which analysis drops."""
    out = {}
    for lang in ("en", "ms"):
        terms = [t for t, *_ in latin_tokens(word, lang, "query")]
        if not terms:
            return None
        out[lang] = max(
            _df(reader, lang_field(part, lang), t) for part in TEXT_PARTS for t in terms
        )
    return out


def _stems(word: str) -> set[tuple[str, str]]:
    return {(lang, t) for lang in ("en", "ms") for t, *_ in latin_tokens(word, lang, "query")}


def _edits1(word: str):
    """(candidate, typing slip?) one edit from ``word``, keeping its first letter."""
    letters = _LETTERS + "".join(sorted(set(word) - set(_LETTERS)))
    n = len(word)
    for i in range(1, n + 1):
        head, tail = word[:i], word[i:]
        if tail:
            yield head + tail[1:], True  # a letter typed by mistake
        if len(tail) > 1:
            yield head + tail[1] + tail[0] + tail[2:], True
        for c in letters:
            if tail and c != tail[0]:
                yield head + c + tail[1:], _neighbouring_keys(c, tail[0])
            yield head + c + tail, True  # a letter left out
    if n > 1:
        yield word[1] + word[0] + word[2:], True


def _malay_word(word: str) -> bool:
    """In the Malay stemmer's dictionary, or an affixed form of a word in it."""
    stemmer = stemmer_for("ms")
    try:
        if stemmer._stemmer.dictionary.contains(word):
            return True
    except AttributeError:  # a Sastrawi without that attribute: rely on the stem alone
        pass
    return stemmer(word) != word


def _query_lang(ctx: _Context, query: str, skip: set[str]) -> str | None:
    """The Latin language the rest of the query is written in, when it is clear."""
    if ctx.lang in ("en", "ms"):
        return ctx.lang
    totals = {"en": 0, "ms": 0}
    for m in _latin_words(query):
        word = normalize(m.group()).text
        if word in skip:
            continue
        df = _word_df(ctx.reader, word)
        if df:
            for lang in totals:
                totals[lang] += df[lang]
    if totals["ms"] > 2 * totals["en"]:
        return "ms"
    if totals["en"] > 2 * totals["ms"]:
        return "en"
    return None


def _latin_suspects(ctx: _Context, query: str) -> list[_Suspect]:
    reader = ctx.reader
    words = []
    for m in _latin_words(query):
        word = normalize(m.group()).text
        if ctx.known is not None and ctx.known.latin(word, m.group()):
            continue  # a name or term the glossary knows: not a typo
        df = _word_df(reader, word)
        if df is None:
            continue
        found = max(df.values())
        if found > RARE_WORD_DF:
            continue
        words.append((m, word, found))
    if not words:
        return []
    prefer = _query_lang(ctx, query, {w for _m, w, _f in words})
    suspects = []
    for m, word, found in words:
        fixes = _latin_fixes(ctx, word, found, prefer)
        if not fixes:
            continue
        original = m.group()
        suspects.append(
            _Suspect(
                [
                    _Fix(m.start(), m.end(), _same_case(original, cand), dist, cand)
                    for cand, dist in fixes
                ],
                must_change=found == 0,
            )
        )
    return suspects


def _latin_fixes(ctx: _Context, word: str, found: int, prefer: str | None) -> list:
    """(candidate, edit distance), best first."""
    reader = ctx.reader
    rare = found > 0 or ctx.weak
    if rare and _malay_word(word):
        return []
    own = _stems(word)
    scored = []
    edits = [cand for cand, slip in _edits1(word) if slip or not rare]
    # the few hundred variants looked up together (most are in no article): one term
    # dictionary lookup each cost a typo's first search 2-4 ms at 15k (3 segments)
    present = terms_present(reader, "spell", edits)
    seen = set()
    for cand in edits:
        if cand in seen:
            continue
        seen.add(cand)
        if cand not in present or _df(reader, "spell", cand) == 0:
            continue
        scored.append((cand, 1))
    if not scored and not rare and len(word) >= 5:
        try:
            near = reader.terms_within("spell", word, 2, prefix=2)
            scored = [(w, 2) for w in (x.decode() if isinstance(x, bytes) else x for x in near)]
        except Exception:  # an index without the automaton: one edit is all we try
            scored = []
    out = []
    for cand, dist in scored:
        if cand == word or _stems(cand) & own:
            continue  # finds nothing the word does not (submarin = submarine stemmed)
        df = _word_df(reader, cand)
        if not df:
            continue
        key_df = df[prefer] if prefer else max(df.values())
        if key_df == 0:
            continue
        if rare and key_df < max(COMMON_RATIO * found, MIN_COMMON):
            continue
        # Ties (governent and government stem alike) go to the form written most often.
        out.append((dist, -key_df, -_df(reader, "spell", cand), cand))
    out.sort()
    return [(cand, dist) for dist, _df, _written, cand in out[:PER_WORD]]


def _same_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    if original[:1].isupper():
        return word.capitalize()
    return word


def _as_written(reader, original: str, word: str) -> str:
    """``word`` (a ``spell`` term, lower-cased) in the case of ``original``, the word it
    corrects; but in capitals when the articles write it so, an acronym (``unclosed`` ->
    ``UNCLOS``, not ``unclos``), unless ``original`` was typed in capitals already."""
    if not (original.isupper() and len(original) > 1):
        written = _written_in_capitals(reader, word)
        if written is not None:
            return written
    return _same_case(original, word)


_WRITTEN_LOOKED_AT = 5  # articles whose bodies say how a suggested word is written


def _written_in_capitals(reader, word: str) -> str | None:
    """``word`` as the bodies of the first few articles with it write it, when most of
    its occurrences there are in capitals (an acronym: UNCLOS, ASEAN); None otherwise,
    or when it cannot be told. Bodies, not titles: headlines are often all capitals."""
    if len(word) < 2 or not word.isascii() or not word.isalpha():
        return None
    try:
        docs = []
        postings = reader.postings("spell", word)
        while postings.is_active() and len(docs) < _WRITTEN_LOOKED_AT:
            docs.append(postings.id())
            postings.next()
    except Exception:  # no such term, or a reader without the field: as typed
        return None
    capitals = others = 0
    for d in docs:
        try:
            body = reader.stored_fields(d).get("body")
        except Exception:
            continue
        for found in _ASCII_WORD.findall(unpack_body(body) if body else ""):
            if len(found) == len(word) and found.lower() == word:
                if found.isupper():
                    capitals += 1
                else:
                    others += 1
    return word.upper() if capitals > others else None


# ASCII words as written; one pattern for every word looked up (a pattern of each word
# with Unicode letter classes around it took 9-10 ms to compile)
_ASCII_WORD = re.compile(r"[A-Za-z]+")


# --- Han runs ------------------------------------------------------------------------------


def _bigram_df(reader, bigram: str) -> int:
    """Articles with ``bigram`` in the body, or else in the title (one lookup mostly)."""
    return _df(reader, "body_zh2", bigram) or _df(reader, "title_zh2", bigram)


def _han_suspects(ctx: _Context, query: str) -> list[_Suspect]:
    if not HAS_HAN.search(query):
        return []
    norm = normalize(query)
    suspects = []
    for m in HAN_RUN.finditer(norm.text):
        run = m.group()
        a, _b = norm.span(m.start(), m.end())
        if len(run) < 2 or query[a - 1 : a] == ":":
            continue
        dfs = [_bigram_df(ctx.reader, run[i : i + 2]) for i in range(len(run) - 1)]
        if min(dfs) > RARE_WORD_DF:
            continue  # no character out of place (before asking the dictionaries)
        known = ctx.known.han_positions(run) if ctx.known is not None else set()
        fixes = _han_fixes(ctx, run, dfs, known)
        if not fixes:
            continue
        suspect_fixes = []
        for j, replacement, cost in fixes:
            start, end = norm.span(m.start() + j, m.start() + j + 1)
            suspect_fixes.append(_Fix(start, end, replacement, cost))
        suspects.append(_Suspect(suspect_fixes, must_change=min(dfs) == 0))
    return suspects


def _han_fixes(
    ctx: _Context, run: str, dfs: list[int], known: set[int]
) -> list[tuple[int, str, int]]:
    """(position, replacement character or "", cost), best first; no character at a
    ``known`` position (inside a known name) is replaced or dropped."""
    reader = ctx.reader
    weakest = min(dfs)
    n = len(run)

    def touching(j):
        return [dfs[i] for i in (j - 1, j) if 0 <= i < n - 1]

    # A wrong character breaks the bigrams on both its sides: those positions first.
    positions = [j for j in range(n) if weakest in touching(j) and j not in known]
    if weakest > RARE_WORD_DF or not positions:
        return []
    if weakest > 0 or ctx.weak:
        # Every bigram is indexed: is the run itself rare?
        try:
            found = ctx.count(run)
        except MlsearchError:
            return []
        if found > RARE_WORD_DF:
            return []
    rare = weakest > 0 or ctx.weak
    positions.sort(key=lambda j: (-touching(j).count(weakest), j == 0))
    # Context from words and articles first; bigrams alone only when that finds nothing.
    subs = []
    for wide in (True, False):
        for order, j in enumerate(positions):
            old = min(touching(j))
            for ch, context, score in _han_substitutes(reader, run, j, wide):
                if rare and score < max(COMMON_RATIO * old, MIN_COMMON):
                    continue
                subs.append((-context, -score, order, j, ch))
        if subs:
            break
    subs.sort()
    out: list[tuple[int, str, int]] = []
    for *_key, j, ch in subs:
        if (j, ch, 1) not in out:
            out.append((j, ch, 1))
        if len(out) == PER_WORD:
            break
    if not rare and n > 2:
        drops = []
        for j in positions:
            if 0 < j < n - 1:
                df = _bigram_df(reader, run[j - 1] + run[j + 1])
            else:
                rest = run[1:] if j == 0 else run[:-1]
                df = min(_bigram_df(reader, rest[i : i + 2]) for i in range(len(rest) - 1))
            if df:
                drops.append((-df, j))
        if drops:
            out.append((min(drops)[1], "", 2))
    return out


_MAX_CONTEXT = 3  # characters of a word's start matched before the replaced one
_MAX_CANDIDATES = 60  # words looked at per context
_MAX_BIGRAMS = 500  # bigrams looked at after one character


def _han_substitutes(reader, run: str, j: int, wide: bool) -> list[tuple[str, int, int]]:
    """Characters that could stand at ``run[j]``: (character, context, score).

    ``wide``: candidates from the characters around, as indexed words start (马来西 then 亚,
    for 马来西亜) or, for a first character, as articles have them (国 before 防部 in
    过防部长); else from one neighbour (a bigram). ``context``: characters of evidence on
    one side; ``score``: the document frequency of the rarer of the candidate's bigrams
    with its neighbours, each of which must be indexed.
    """
    left = run[j - 1] if j > 0 else ""
    right = run[j + 1] if j < len(run) - 1 else ""
    chars: dict[str, int] = {}
    if wide:
        for k in range(min(j, _MAX_CONTEXT), 1, -1):
            head = run[j - k : j]
            for term in itertools.islice(reader.expand_prefix("body_zh", head), _MAX_CANDIDATES):
                word = term.decode("utf-8") if isinstance(term, bytes) else term
                if len(word) > k:
                    chars.setdefault(word[k], k)
            if chars:
                break
        if j == 0 and len(run) > 2:
            chars = dict.fromkeys(_chars_before(reader, run[1:3]), 2)
    elif left:
        terms = itertools.islice(reader.expand_prefix("body_zh2", left), _MAX_BIGRAMS)
        bigrams = (t.decode("utf-8") if isinstance(t, bytes) else t for t in terms)
        chars = {b[1]: 1 for b in bigrams if len(b) == 2}
    elif right and len(run) == 2:
        chars = dict.fromkeys(_preceding_chars(reader).get(right, ()), 1)
    out = []
    for ch, context in chars.items():
        if ch == run[j] or not HAS_HAN.match(ch):
            continue
        sides = [left + ch] if left else []
        if right:
            sides.append(ch + right)
        score = min(_bigram_df(reader, b) for b in sides)
        if score:
            out.append((ch, context, score))
    return out


_SAMPLE_ARTICLES = 30


def _chars_before(reader, bigram: str) -> list[str]:
    """Han characters found before ``bigram`` in a sample of the articles that have it,
    most frequent first: the lexicon can be searched by a prefix, not by a suffix."""
    from collections import Counter

    found: Counter[str] = Counter()
    try:
        docs = list(
            itertools.islice(reader.postings("body_zh2", bigram).all_ids(), _SAMPLE_ARTICLES)
        )
    except Exception:  # not indexed: nothing to learn from
        return []
    for doc in docs:
        stored = reader.stored_fields(doc)
        body = unpack_body(stored["body"])
        text = normalize(f"{stored.get('title', '')}\n{body}").text
        start = text.find(bigram, 1)
        while start > 0:
            found[text[start - 1]] += 1
            start = text.find(bigram, start + 1)
    return [ch for ch, _n in found.most_common(_MAX_CANDIDATES)]


# Indexes whose table is kept between runs (one file each, the ones searched last).
_TABLES_KEPT = 4
# Per index reader, for as long as it is open: a cache of one reader was rebuilt (0.3-1 s)
# at every turn when two Searchers took turns (the bench's ranked and --all-words ones).
_PRECEDING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _preceding_chars(reader) -> dict[str, str]:
    """For each character, those before it inside an indexed Chinese word (in code point
    order, one string: a table that is read back fast): for the first
    character of a two-character word, where there is no article context to sample. Built
    once per index reader from the word lexicon (0.3-0.5 s for 47,000 words at 15k) and
    kept between runs (``search.tablecache``) under the index's segments (their ids and
    sizes), a file for each of the ``_TABLES_KEPT`` indexes searched last: a terminal
    user's every ``mlsearch search`` is a fresh process, and a Chinese typo paid the whole
    build in each (and at every switch between two indexes, when one file held them)."""
    try:
        return _PRECEDING[reader]
    except (KeyError, TypeError):
        pass
    key = _segments_key(reader)
    if key is None:
        out = _build_preceding_chars(reader)
    else:
        from .tablecache import cached_table

        out = cached_table(
            "zh-preceding-chars", key, lambda: _build_preceding_chars(reader), keep=_TABLES_KEPT
        )
    with contextlib.suppress(TypeError):  # a reader that cannot be weakly referenced
        _PRECEDING[reader] = out
    return out


def _segments_key(reader) -> tuple | None:
    """What the lexicon of ``reader`` is built from: each segment's id (whoosh makes them
    at random, once) and its document count; None for a reader without segments."""
    try:
        leaves = [reader] if reader.is_atomic() else [r for r, _o in reader.leaf_readers()]
        return tuple((leaf.segment().segment_id(), leaf.doc_count_all()) for leaf in leaves)
    except Exception:  # not a segment reader (a test's stand-in): no key, no cache
        return None


def _build_preceding_chars(reader) -> dict[str, str]:
    out: dict[str, set[str]] = {}
    for field_name in ("body_zh", "title_zh"):
        for term in reader.lexicon(field_name):
            word = term.decode("utf-8") if isinstance(term, bytes) else term
            for a, b in itertools.pairwise(word):
                out.setdefault(b, set()).add(a)
    return {b: "".join(sorted(chars)) for b, chars in out.items()}
