"""Quoted phrases matched as written (issue 14, ``Features.exact_phrases``).

A quoted phrase is still looked up in the language fields, stems and all: the index finds
the candidates and scores them as before. Each field's match is then kept only where the
article's stored title or body (the part that field indexes) holds the phrase as written:
``"menteri pertahanan"`` no longer finds an article that only says *Kementerian
Pertahanan*, whose Malay stems are the same. Nothing is added to the index.

"As written" is the indexer's own reading of text: normalised (``normalize``: case, width,
Traditional to Simplified), Latin words as the indexer splits them (``PART_RE``: ``F-16``
is the words f and 16, as is ``F16``; an apostrophe belongs to its word, ``’`` and ``'``
alike), stop words included, punctuation and spaces between Latin words ignored; Chinese
characters one by one, contiguous (only whitespace may stand between two of them, where the
phrase has none or only a space there).
"""

from __future__ import annotations

import re
import unicodedata
from functools import partial

from whoosh import query as wq
from whoosh.matching.wrappers import WrappingMatcher

from indexer.analyse.latin import LETTER, PART_RE, stop_words, surface_words
from indexer.analyse.normalize import _FOLD, HAN_CLASS, HAS_HAN, non_ascii_chars, normalize
from indexer.schema import split_field, unpack_body
from indexer.whoosh_internals.codec import stored_record

from .regexcache import memoize_charsets

memoize_charsets()  # a phrase names the letter class four times a word (_token_pattern)

# A token of a phrase as written: one Han character, or one part of a Latin word.
_TOKEN_RE = re.compile(f"[{HAN_CLASS}]|{PART_RE.pattern}")
_APOSTROPHE = "['’]"
# Between two Latin words, or a Latin word and a Han character: anything but a word.
_LOOSE_GAP = r"[\W_]*"
_HAN_GAP = r"\s*"


def _token_pattern(token: str) -> str:
    """A token as a whole part of a word: the word first and its boundaries checked after
    it, so that the regex engine can look for the word's letters (3x faster on bodies)."""
    if HAS_HAN.match(token):
        return re.escape(token)
    if token.isdigit():
        return f"{token}(?<!\\d{token})(?!\\d)"
    word = _APOSTROPHE.join(re.escape(p) for p in re.split(_APOSTROPHE, token))
    # no letter (or letter and apostrophe) either side
    return (
        f"{word}(?<!{LETTER}{word})(?<!{LETTER}{_APOSTROPHE}{word})"
        f"(?!{LETTER})(?!{_APOSTROPHE}{LETTER})"
    )


def _folds_as_lower(text: str) -> bool:
    """Whether ``normalize(text)`` is ``text.lower()`` but for Han characters: no combining
    mark, and every other non-ASCII character folds (NFKC, case folding) as it lower-cases
    (not so: full-width letters, ß, ligatures). The non-ASCII characters are found in C
    (``bytes.translate``), each judged once for the process (``_FOLDS``): a Malay body
    without the phrase was ~90 µs of a Python loop over its characters."""
    known = _FOLDS
    for c in non_ascii_chars(text):
        got = known.get(c)
        if got is None:
            got = known[c] = _char_folds_as_lower(c)
        if not got:
            return False
    return True


_FOLDS: dict[str, bool] = {}  # character -> _char_folds_as_lower


def _char_folds_as_lower(c: str) -> bool:
    """One non-ASCII character of ``_folds_as_lower``."""
    return not ((_FOLD[ord(c)] != c.lower() or unicodedata.combining(c)) and not HAS_HAN.match(c))


def _normalized(text: str) -> str:
    """``normalize(text).text`` without the offset map it builds when folding changes
    the text's length (a body with one ß or ligature: 7 ms of a query)."""
    if text.isascii() or any(map(unicodedata.combining, text)):
        return normalize(text).text
    folded = text.translate(_FOLD)
    if HAS_HAN.search(folded):
        return normalize(text).text  # Traditional to Simplified, as normalize converts
    return folded


class ExactText:
    """One quoted phrase as written: its tokens, the pattern that finds it in normalised
    text, and which stored parts of which articles hold it (remembered for the query's
    lifetime: the phrase's title fields share one look at each title, its body fields one
    at each body)."""

    def __init__(self, text: str, whole_article: bool = True):
        self.text = text
        norm = normalize(text).text
        self.words: list[str] = []
        pieces: list[str] = []
        prev = None
        for m in _TOKEN_RE.finditer(norm):
            token = m.group()
            if prev is not None:
                both_han = HAS_HAN.match(token) and HAS_HAN.match(prev.group())
                strict = both_han and not norm[prev.end() : m.start()].strip()
                pieces.append(_HAN_GAP if strict else _LOOSE_GAP)
            pieces.append(_token_pattern(token))
            self.words.append(token)
            prev = m
        # For --explain: the tokens, Chinese characters that must stand together joined.
        self.shown = "".join(
            w if i == 0 or pieces[2 * i - 1] == _HAN_GAP else " " + w
            for i, w in enumerate(self.words)
        )
        self.pattern = "".join(pieces)
        self.regex = re.compile(self.pattern) if pieces else None
        # Every token ASCII: Chinese conversion cannot change where it matches.
        self.ascii = all(w.isascii() for w in self.words)
        han = "".join(norm.split())
        # A jieba word or a bigram equal to this is the phrase as written, wherever it is.
        self.han_run = han if han and all(HAS_HAN.match(c) for c in han) else None
        # Words the ``spell`` field holds as written: an article without them all cannot
        # hold the phrase (stop words left out: they are in nearly every article).
        stops = stop_words()
        self.surface = sorted({w for w, *_ in surface_words(norm) if w not in stops})
        # One word the ``spell`` field holds, quoted anywhere in an article (not title: or
        # body:): the articles with that word as written are the answer, read from the
        # index; no stored text is read (``"Malaysia"``: 1.3 s that way, on 15k articles).
        self.by_spell = whole_article and self.words == self.surface and len(self.words) == 1
        self._held: dict = {}  # reader -> {(docnum, part): bool}

    def __repr__(self) -> str:
        return f"ExactText({self.text!r})"

    def __deepcopy__(self, memo) -> ExactText:
        return self  # immutable but for its memo of readers, which must not be copied

    def found_in(self, text: str) -> bool:
        """Whether ``text`` (as stored) holds the phrase as written."""
        regex = self.regex
        if regex is None:
            return False
        if not text.isascii():
            # Normalising a whole body costs ~0.4 ms when it has any non-ASCII character
            # (curly quotes will do): first try it lower-cased, which is its normalised
            # form wherever the match and two characters either side are ASCII.
            if self.han_run is not None and self.han_run in text:
                return True
            low = text.lower()
            m = regex.search(low)
            while m is not None:
                if low[max(0, m.start() - 2) : m.end() + 2].isascii():
                    return True
                m = regex.search(low, m.start() + 1)
            if self.ascii and _folds_as_lower(text):
                # normalising would give ``low`` (Han characters aside, which an ASCII
                # phrase cannot match): no need to (a Malay body: ~0.7 ms)
                return regex.search(low) is not None
        return regex.search(_normalized(text)) is not None

    def held(self, reader, part: str, docnum: int) -> bool:
        """Whether the ``part`` ("title" or "body") of document ``docnum`` of ``reader``
        holds the phrase as written."""
        memo = self._held.setdefault(reader, {})
        key = (docnum, part)
        got = memo.get(key)
        if got is None:
            # the other part's field asks next: read the stored fields once
            stored = memo.pop(docnum, None) or stored_record(reader, docnum)
            if (docnum, "body" if part == "title" else "title") not in memo:
                memo[docnum] = stored
            if part == "title":
                text = stored.get("title") or ""
            else:
                body = stored.get("body")
                text = unpack_body(body) if body else ""
            got = memo[key] = self.found_in(text)
        return got

    def known_held(self, reader, part: str, docnums) -> None:
        """These documents' ``part`` holds the phrase (a trusted field matched them):
        another field of the phrase need not read them."""
        memo = self._held.setdefault(reader, {})
        for d in docnums:
            memo[(d, part)] = True

    def spell_docs(self, reader) -> set[int] | None:
        """The documents of ``reader`` whose ``spell`` field has every word of
        ``surface``: only they can hold the phrase (None: no such word to look up).
        With ``by_spell`` they are the answer."""
        if not self.surface:
            return None
        memo = self._held.setdefault(reader, {})
        docs = memo.get("spell")
        if docs is None:
            docs = None
            # rarest first: each later word is looked up only in what is left
            for word in sorted(self.surface, key=lambda w: reader.doc_frequency("spell", w)):
                found = (
                    set(reader.postings("spell", word).all_ids())
                    if ("spell", word) in reader
                    else set()
                )
                docs = found if docs is None else docs & found
                if not docs:
                    break
            memo["spell"] = docs
        return docs

    def keep(self, reader, part: str):
        """``keep(docnum)``: whether that document's ``part`` holds the phrase."""
        docs = self.spell_docs(reader)
        if self.by_spell:
            return docs.__contains__
        held = partial(self.held, reader, part)
        if docs is None:
            return held
        return lambda docnum: docnum in docs and held(docnum)


class ExactPhrase(wq.WrappingQuery):
    """A quoted phrase's query in one language field (``child``: a Phrase or Term of that
    field's analysis), matching only where the stored ``part`` holds ``exact`` as written.

    ``trusted``: every match of the child is the phrase as written (a Chinese phrase that
    is one jieba word, or one bigram), so nothing is read. Scores are the child's.
    """

    def __init__(self, child, exact: ExactText, part: str, trusted: bool = False):
        super().__init__(child)
        self.exact = exact
        self.part = part
        self.trusted = trusted

    def __repr__(self) -> str:
        return f"Exact({self.child!r})"

    def __str__(self) -> str:
        return f"exact({self.child})"

    def __eq__(self, other) -> bool:
        return (
            type(other) is ExactPhrase
            and self.child == other.child
            and self.part == other.part
            and self.exact.pattern == other.exact.pattern
        )

    def __hash__(self) -> int:
        return hash((ExactPhrase, self.child, self.part, self.exact.pattern))

    @property
    def boost(self) -> float:
        return self.child.boost  # the child is scored; ``with_boost`` boosts the child

    def _rewrap(self, child) -> ExactPhrase:
        return ExactPhrase(child, self.exact, self.part, self.trusted)

    def normalize(self):
        child = self.child.normalize()
        if child is wq.NullQuery:
            return child
        return self._rewrap(child)

    def matcher(self, searcher, context=None):
        m = self.child.matcher(searcher, context)
        if self.trusted or not m.is_active():
            return m
        return ExactMatcher(m, self.exact.keep(searcher.reader(), self.part))


class ExactMatcher(WrappingMatcher):
    """The child's matches for which ``keep(docnum)`` holds, with the child's scores."""

    def __init__(self, child, keep, boost: float = 1.0):
        super().__init__(child, boost)
        self._keep = keep
        self._find_next()

    def _find_next(self) -> None:
        child, keep = self.child, self._keep
        while child.is_active() and not keep(child.id()):
            child.next()

    def copy(self):
        return ExactMatcher(self.child.copy(), self._keep, self.boost)

    def _replacement(self, newchild):
        return ExactMatcher(newchild, self._keep, self.boost)

    def reset(self):
        self.child.reset()
        self._find_next()

    def next(self):
        self.child.next()
        self._find_next()

    def skip_to(self, id):
        self.child.skip_to(id)
        self._find_next()

    def all_ids(self):
        return (d for d in self.child.all_ids() if self._keep(d))

    def all_items(self):
        return (item for item in self.child.all_items() if self._keep(item[0]))

    def supports_block_quality(self):
        return False  # a block's best score may be of a document the phrase is not in


def exact_query(q, exact: ExactText, fieldname: str):
    """``q`` (a quoted phrase's query in ``fieldname``) matching the phrase as written
    only; ``q`` itself for a field that is not a title or body language field."""
    split = split_field(fieldname or "")
    if split is None or q is wq.NullQuery:
        return q
    part, lang = split
    words = list(getattr(q, "words", None) or [getattr(q, "text", None)])
    trusted = lang in ("zh", "zh2") and len(words) == 1 and words[0] == exact.han_run
    return ExactPhrase(q, exact, part, trusted)


def exact_phrases(q) -> list[ExactPhrase]:
    """The exact phrase queries of ``q``, one per phrase as written."""
    seen: dict[str, ExactPhrase] = {}

    def visit(node):
        if isinstance(node, ExactPhrase):
            seen.setdefault(node.exact.pattern, node)
            return
        if not node.is_leaf():
            for child in node.children():
                visit(child)

    visit(q)
    return list(seen.values())
