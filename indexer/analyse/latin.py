"""English and Malay words: what the non-Han text of an article or a query becomes.

Latin runs are split into words; a compound such as ``F-16``, ``COVID-19``, ``5PC`` or
``Timor-Leste`` becomes its parts at consecutive positions (letters and digits split
apart), and a query for the compound is a phrase of the same parts, so it is findable whole
(``F16`` and ``F-16`` alike) and by any part. English words get British/American spelling
folded, then the Snowball English stemmer; Malay words get hyphenated reduplication
(``menteri-menteri``) collapsed, then the Sastrawi stemmer with a Malay root list. Stop
words of both languages are dropped at index and query time alike, so a word is never
required in one language field and ignored in the other.

Text is normalised first (``indexer.analyse.normalize``); every token carries exact
character offsets into the original text.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

from .normalize import HAN_CLASS, Normalized, TokenTuple, normalize

DATA_DIR = Path(__file__).parent.parent / "data"

# A word: letters and digits of any script but Han, with inner apostrophes (asean's, qur'an).
WORD_CHAR = f"[^\\W_{HAN_CLASS}]"
WORD = f"{WORD_CHAR}+(?:['’]{WORD_CHAR}+)*"
COMPOUND_RE = re.compile(f"{WORD}(?:[-‐‑./]{WORD})*")
# A letter of a Latin-script word (any script but Han; not a digit).
LETTER = f"[^\\W\\d_{HAN_CLASS}]"
# Parts of a compound: runs of digits, or runs of letters (with inner apostrophes).
PART_RE = re.compile(f"\\d+|{LETTER}+(?:['’]{LETTER}+)*")


def _read_list(name: str) -> list[str]:
    path = DATA_DIR / name
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """English and Malay stop words together: see the module docstring for why both."""
    return frozenset(_read_list("stopwords_en.txt") + _read_list("stopwords_ms.txt"))


@lru_cache(maxsize=1)
def spelling_map() -> dict[str, str]:
    pairs = {}
    for line in _read_list("spelling_en.tsv"):
        cols = line.split("\t")
        if len(cols) == 2:
            pairs[cols[0].strip()] = cols[1].strip()
    return pairs


# Words whose stems are remembered, per language: bounds memory on any corpus size.
_CACHE_WORDS = 200_000


class EnglishStemmer:
    """British/American folding, then Snowball English, cached per word."""

    def __init__(self):
        import Stemmer

        self._stemmer = Stemmer.Stemmer("english")
        self._spelling = spelling_map()
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            folded = self._spelling.get(word, word)
            stem = self._stemmer.stemWord(folded)
            if len(self._cache) < _CACHE_WORDS:
                self._cache[word] = stem
        return stem


class MalayStemmer:
    """Sastrawi's affix-stripping stemmer with Malay roots added to its Indonesian dictionary.

    Words in ``ms_protected.txt`` are left as they are (stemming would merge meanings:
    kerajaan "government" is not raja "king").
    """

    def __init__(self):
        from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
        from Sastrawi.Stemmer.Stemmer import Stemmer
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        protected = _read_list("ms_protected.txt")
        # Protected words join the dictionary too, so their inflections stop at them
        # (kerajaannya -> kerajaan, not raja).
        words = StemmerFactory().get_words() + _read_list("ms_roots.txt") + protected
        self._stemmer = Stemmer(ArrayDictionary([w for w in words if w]))
        self._protected = frozenset(protected)
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            if word in self._protected or len(word) < 4:
                stem = word
            else:
                stem = self._stemmer.stem_word(word) or word
            if len(self._cache) < _CACHE_WORDS:
                self._cache[word] = stem
        return stem


@cache
def stemmer_for(lang: str):
    return MalayStemmer() if lang == "ms" else EnglishStemmer()


def _is_reduplication(a: str, b: str) -> bool:
    """menteri-menteri, kedua-dua, sayur-sayuran, bersama-sama."""
    return a.isalpha() and b.isalpha() and (a == b or a.endswith(b) or b.startswith(a))


class _LazyStem:
    __slots__ = ("lang", "fn")

    def __init__(self, lang: str):
        self.lang = lang
        self.fn = None

    def __call__(self, word: str) -> str:
        if self.fn is None:
            self.fn = stemmer_for(self.lang)
        return self.fn(word)


def _word_term(part: str, stem) -> str:
    if part.isdigit():
        return part
    part = part.replace("’", "'")
    if part.endswith("'s"):
        part = part[:-2]
    part = part.replace("'", "")
    return stem(part) if part else part


# A token: (term, position, start, end); start and end index the original text.
def latin_tokens(
    text: str | Normalized, lang: str, mode: str = "index", removestops: bool = True
) -> list[TokenTuple]:
    """Analyse the non-Han words of ``text`` as ``lang`` ("en" or "ms").

    Words are analysed alike at index and query time: ``mode`` changes nothing here (every
    token function takes it; only Han bigrams differ by mode)."""
    norm = text if isinstance(text, Normalized) else normalize(text)
    s = norm.text
    # Built on first use: a query with no Latin words never loads Sastrawi (~40 ms).
    stem = _LazyStem(lang)
    stops = stop_words() if removestops else frozenset()
    out: list[TokenTuple] = []
    pos = 0
    for m in COMPOUND_RE.finditer(s):
        parts = [(p.group(), p.start(), p.end()) for p in PART_RE.finditer(s, m.start(), m.end())]
        if not parts:
            continue
        if lang == "ms" and len(parts) == 2 and _is_reduplication(parts[0][0], parts[1][0]):
            shorter = min(parts[0][0], parts[1][0], key=len)
            a, b = norm.span(m.start(), m.end())
            out.append((_word_term(shorter, stem), pos, a, b))
            pos += 1
            continue
        if len(parts) == 1 and parts[0][0].replace("’", "'").split("'")[0] in stops:
            continue
        for word, ps, pe in parts:
            term = _word_term(word, stem)
            if not term:
                continue
            a, b = norm.span(ps, pe)
            out.append((term, pos, a, b))
            pos += 1
    return out


def surface_words(text: str | Normalized) -> list[TokenTuple]:
    """Unstemmed lower-case words (letters only, 3+ characters): the did-you-mean vocabulary."""
    norm = text if isinstance(text, Normalized) else normalize(text)
    out: list[TokenTuple] = []
    for pos, m in enumerate(PART_RE.finditer(norm.text)):
        w = m.group()
        if len(w) >= 3 and not w.isdigit() and "'" not in w and "’" not in w:
            a, b = norm.span(m.start(), m.end())
            out.append((w, pos, a, b))
    return out
