"""Language analysis for Chinese, Malay and English, shared by indexing and querying.

Text is normalised once (``indexer.analyse.normalize``: NFKC, case folding, Traditional to
Simplified), then split into script runs:

* Han runs are segmented with jieba (``indexer.analyse.chinese``). The ``zh`` fields hold
  precise-mode words with word-counting, never-overlapping positions, so phrase queries
  work; the ``zh2`` fields hold character bigrams, which find any word inside a longer
  jieba word (处理 in 待处理) and rank below whole-word matches.
* Latin runs are split into words; a compound such as ``F-16``, ``COVID-19``, ``5PC`` or
  ``Timor-Leste`` becomes its parts at consecutive positions (letters and digits split
  apart), and a query for the compound is a phrase of the same parts, so it is findable
  whole (``F16`` and ``F-16`` alike) and by any part. English words get British/American
  spelling folded, then the Snowball English stemmer; Malay words get hyphenated
  reduplication (``menteri-menteri``) collapsed, then the Sastrawi stemmer with a Malay root
  list. Stop words of both languages are dropped at index and query time alike, so a word
  is never required in one language field and ignored in the other.

Every token carries exact character offsets into the original text. The Whoosh analyzer
classes at the bottom are pickled into the index schema: keep their import path stable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from whoosh.analysis import Analyzer, Token

from .normalize import HAN_CLASS, HAN_RUN, Normalized, normalize

DATA_DIR = Path(__file__).parent.parent / "data"
LANGS = ("zh", "ms", "en")

# A word: letters and digits of any script but Han, with inner apostrophes (asean's, qur'an).
_W = f"[^\\W_{HAN_CLASS}]"
WORD = f"{_W}+(?:['’]{_W}+)*"
COMPOUND_RE = re.compile(f"{WORD}(?:[-‐‑./]{WORD})*")
# Parts of a compound: runs of digits, or runs of letters (with inner apostrophes).
PART_RE = re.compile(f"\\d+|[^\\W\\d_{HAN_CLASS}]+(?:['’][^\\W\\d_{HAN_CLASS}]+)*")


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
TokenTuple = tuple[str, int, int, int]


def latin_tokens(
    text: str | Normalized, lang: str, mode: str = "index", removestops: bool = True
) -> list[TokenTuple]:
    """Analyse the non-Han words of ``text`` as ``lang`` ("en" or "ms")."""
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


def _han_runs(norm: Normalized, join_spaced: bool = False) -> list[tuple[int, int]]:
    """(start, end) of each Han run; ``join_spaced`` merges runs split only by spaces."""
    s = norm.text
    runs: list[list[int]] = []
    for m in HAN_RUN.finditer(s):
        if runs and join_spaced and s[runs[-1][1] : m.start()].strip() == "":
            runs[-1][1] = m.end()
        else:
            runs.append([m.start(), m.end()])
    return [(a, b) for a, b in runs]


def han_word_tokens(text: str | Normalized, mode: str = "index") -> list[TokenTuple]:
    """Precise-mode jieba words of the Han runs of ``text``; positions count words."""
    from .chinese import segment_han

    norm = text if isinstance(text, Normalized) else normalize(text)
    out: list[TokenTuple] = []
    pos = 0
    # Runs split by punctuation, digits or Latin words stay adjacent: Whoosh phrases
    # need consecutive positions whatever the query's own positions, and a pasted
    # headline (东盟防长会议将从明日起至11月2日举行) must match itself.
    for start, end in _han_runs(norm):
        for word, ws, we in segment_han(norm.text[start:end]):
            a, b = norm.span(start + ws, start + we)
            out.append((word, pos, a, b))
            pos += 1
    return out


def han_bigram_tokens(text: str | Normalized, mode: str = "index") -> list[TokenTuple]:
    """Overlapping character bigrams of each Han run (a lone character as itself).

    At query time runs separated only by spaces are joined, so the phrase "东盟 防长" reads
    as 东盟防长 here: the bigram field is the fallback when jieba segmented a query
    differently from the same characters in context.
    """
    norm = text if isinstance(text, Normalized) else normalize(text)
    s = norm.text
    out: list[TokenTuple] = []
    pos = 0
    for start, end in _han_runs(norm, join_spaced=(mode == "query")):
        idx = [i for i in range(start, end) if not s[i].isspace()]
        if len(idx) == 1:
            a, b = norm.span(idx[0], idx[0] + 1)
            out.append((s[idx[0]], pos, a, b))
            pos += 1
            continue
        for i, j in zip(idx, idx[1:], strict=False):
            a, b = norm.span(i, j + 1)
            out.append((s[i] + s[j], pos, a, b))
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


# --- language of each passage ------------------------------------------------------------

_detector = None
# Shorter lines are guessed badly (lingua calls the English headlines "SABAH PORT STRIKE
# ENDS" and "MALAYSIA, SINGAPORE INITIAL WATER PACT" Malay): they take the language of the
# rest.
_MIN_WORDS_TO_DETECT = 8
_WORD_COUNT_RE = re.compile(f"{_W}{{2,}}")


def _detect_latin(text: str) -> str | None:
    global _detector
    if _detector is None:
        from lingua import Language, LanguageDetectorBuilder

        _detector = (
            LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.MALAY)
            .with_low_accuracy_mode()
            .build()
        )
    found = _detector.detect_language_of(text)
    if found is None:
        return None
    return "ms" if found.name == "MALAY" else "en"


@dataclass
class LangSplit:
    """The text of a title or body routed to each language's analysis."""

    values: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # Han characters / Latin words

    @property
    def langs(self) -> list[str]:
        """Languages with real content, most content first."""
        present = []
        for lang in LANGS:
            n = self.counts.get(lang, 0)
            if (lang == "zh" and n >= 4) or (lang != "zh" and n >= 5):
                present.append(lang)
        if not present:
            present = [lang for lang in LANGS if self.counts.get(lang, 0) > 0][:1]
        return sorted(present, key=lambda lang: -self.counts.get(lang, 0))


def split_languages(text: str, default_latin: str | None = None) -> LangSplit:
    """Route each line of ``text`` to the languages it contains.

    Han characters go to Chinese analysis; the Latin words of a line go to English or Malay
    as a detector decides for that line. Lines too short to judge take the language of the
    whole text (or ``default_latin`` when the whole text is too short as well).
    """
    lines = [ln for ln in text.split("\n") if ln.strip()]
    han_lines, latin = [], {"en": [], "ms": []}
    counts = {"zh": 0, "en": 0, "ms": 0}
    undecided: list[tuple[str, int]] = []
    for line in lines:
        han = sum(len(m) for m in HAN_RUN.findall(line))
        if han:
            han_lines.append(line)
            counts["zh"] += han
        words = len(_WORD_COUNT_RE.findall(HAN_RUN.sub(" ", line) if han else line))
        if not words:
            continue
        lang = _detect_latin(line) if words >= _MIN_WORDS_TO_DETECT else None
        if lang is None:
            undecided.append((line, words))
        else:
            latin[lang].append(line)
            counts[lang] += words
    if undecided:
        if counts["en"] or counts["ms"]:
            fallback = "ms" if counts["ms"] > counts["en"] else "en"
        else:
            joined = " ".join(line for line, _ in undecided)
            fallback = default_latin or (
                _detect_latin(joined) if len(_WORD_COUNT_RE.findall(joined)) >= 3 else None
            )
            fallback = fallback or "en"
        for line, words in undecided:
            latin[fallback].append(line)
            counts[fallback] += words
    values = {
        "zh": "\n".join(han_lines),
        "en": "\n".join(latin["en"]),
        "ms": "\n".join(latin["ms"]),
    }
    return LangSplit({k: v for k, v in values.items() if v}, counts)


# --- Whoosh analyzers (pickled into the schema) --------------------------------------------


class _TupleAnalyzer(Analyzer):
    """Runs one of the token functions above and hands Whoosh its tokens."""

    def tokens_of(self, text: str, mode: str, removestops: bool) -> list[TokenTuple]:
        raise NotImplementedError

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # Wildcards, ranges: the whole text as one normalised term, never stemmed.
            t.original = t.text = normalize(value).text
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for term, pos, a, b in self.tokens_of(value, mode or "index", removestops):
            t.text = term
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[a:b]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + a, start_char + b
            yield t


class LatinAnalyzer(_TupleAnalyzer):
    def __init__(self, lang: str):
        self.lang = lang

    def tokens_of(self, text, mode, removestops):
        return latin_tokens(text, self.lang, mode, removestops)


class HanWordAnalyzer(_TupleAnalyzer):
    def tokens_of(self, text, mode, removestops):
        return han_word_tokens(text, mode)


class HanBigramAnalyzer(_TupleAnalyzer):
    def tokens_of(self, text, mode, removestops):
        return han_bigram_tokens(text, mode)


class SurfaceAnalyzer(_TupleAnalyzer):
    def tokens_of(self, text, mode, removestops):
        return surface_words(text)


ANALYZERS = {
    "en": LatinAnalyzer("en"),
    "ms": LatinAnalyzer("ms"),
    "zh": HanWordAnalyzer(),
    "zh2": HanBigramAnalyzer(),
}


def analyze(text: str, lang: str, mode: str = "index") -> list[TokenTuple]:
    """The tokens ``text`` gives in one language field: for tests and ``--explain``."""
    if lang in ("en", "ms"):
        return latin_tokens(text, lang, mode)
    if lang == "zh":
        return han_word_tokens(text, mode)
    if lang == "zh2":
        return han_bigram_tokens(text, mode)
    raise ValueError(f"unknown analysis {lang!r}")
