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

    @property
    def spelling(self) -> dict[str, str]:
        """The British -> American folds applied before stemming."""
        return self._spelling

    def __call__(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            folded = self._spelling.get(word, word)
            stem = self._stemmer.stemWord(folded)
            if len(self._cache) < _CACHE_WORDS:
                self._cache[word] = stem
        return stem

    def spelling_stems(self) -> dict[str, str]:
        """Each word of the spelling map with its stem, in one call of the Snowball
        stemmer and not remembered word by word (~2 ms, where stemming them one at a
        time through the cache took 4-5)."""
        words = list(self._spelling)
        stems = self._stemmer.stemWords([self._spelling[w] for w in words])
        return dict(zip(words, stems, strict=True))

    def many(self, words: list[str]) -> list[str]:
        """``[self(w) for w in words]``, the words not cached stemmed in one call of the
        Snowball stemmer (a snippet's body has hundreds of words not seen before)."""
        cache = self._cache
        missing = [w for w in dict.fromkeys(words) if w not in cache]
        if missing:
            spelling = self._spelling
            stems = self._stemmer.stemWords([spelling.get(w, w) for w in missing])
            found = dict(zip(missing, stems, strict=True))
            room = _CACHE_WORDS - len(cache)
            if room > 0:
                cache.update(found if len(found) <= room else dict(list(found.items())[:room]))
            return [found[w] if w in found else cache[w] for w in words]
        return [cache[w] for w in words]


# What each of Sastrawi's prefix rules (``DisambiguatorPrefixRule<N>``) needs a word to begin
# with for its ``disambiguate`` to return anything: the literal start of its pattern
# (``^ber([aiueo].*)$``: "ber"), and the words it names (rule 4: belajar). "" for rules
# that can match any word. ``tests/test_language_data.py`` derives it again from
# Sastrawi's source and compares.
RULE_PREFIXES: dict[str, tuple[str, ...]] = {
    "1a": ("ber",),
    "1b": ("ber",),
    "2": ("ber",),
    "3": ("ber",),
    "4": ("belajar",),
    "5": ("be",),
    "6a": ("ter",),
    "6b": ("ter",),
    "7": ("ter",),
    "8": ("ter",),
    "9": ("te",),
    "10": ("me",),
    "11": ("mem",),
    "12": ("mempe",),
    "13a": ("mem",),
    "13b": ("mem",),
    "14": ("men",),
    "15a": ("men",),
    "15b": ("men",),
    "16": ("meng",),
    "17a": ("meng",),
    "17b": ("meng",),
    "17c": ("menge",),
    "17d": ("meng",),
    "18a": ("meny",),
    "18b": ("meny",),
    "19": ("memp",),
    "20": ("pe",),
    "21a": ("per",),
    "21b": ("pe",),
    "23": ("per",),
    "24": ("per",),
    "25": ("pem",),
    "26a": ("pem",),
    "26b": ("pem",),
    "27": ("pen",),
    "28a": ("pen",),
    "28b": ("pen",),
    "29": ("peng",),
    "30a": ("peng",),
    "30b": ("peng",),
    "30c": ("penge",),
    "31a": ("peny",),
    "31b": ("peny",),
    "32": ("pe", "pelajar"),
    "34": ("pe",),
    "35": ("ter",),
    "36": ("pe",),
    "37a": ("",),
    "37b": ("",),
    "38a": ("",),
    "38b": ("",),
    "39a": ("",),
    "39b": ("",),
    "40a": ("",),
    "40b": ("",),
    "41": ("ku",),
    "42": ("kau",),
}


class _GatedRule:
    """One of Sastrawi's prefix visitors with the prefixes its rules need
    (``RULE_PREFIXES``): a word that begins with none of them makes each rule return None,
    and the visit change nothing."""

    __slots__ = ("visitor", "prefixes")

    def __init__(self, visitor, prefixes: tuple[str, ...]):
        self.visitor = visitor
        self.prefixes = prefixes

    def visit(self, context):
        if context.current_word.startswith(self.prefixes):
            self.visitor.visit(context)


def gate_prefix_rules(visitors: list) -> int:
    """Wrap each prefix visitor whose rules all need a known prefix in a ``_GatedRule``, in
    place; visitors with an unknown rule are left as they are. Returns how many were."""
    wrapped = 0
    for i, visitor in enumerate(visitors):
        rules = getattr(visitor, "disambiguators", None)
        if not rules or isinstance(visitor, _GatedRule):
            continue
        prefixes: set[str] = set()
        for rule in rules:
            name = type(rule).__name__
            known = RULE_PREFIXES.get(name.removeprefix("DisambiguatorPrefixRule"))
            if not name.startswith("DisambiguatorPrefixRule") or known is None:
                prefixes = {""}
                break
            prefixes.update(known)
        if "" in prefixes:
            continue
        visitors[i] = _GatedRule(visitor, tuple(sorted(prefixes)))
        wrapped += 1
    return wrapped


# Sastrawi's visitors that note what they removed as ``re.sub(stem, "", word, count=1)``:
# the stem used as a pattern, a new one for about every word, so compiled again and again
# (Python keeps 512; 6-7% of an indexing process under py-spy, in ``re._compile``).
_STEM_AS_PATTERN = (
    "AbstractDisambiguatePrefixRule",
    "RemoveDerivationalSuffix",
    "RemoveInflectionalParticle",
    "RemoveInflectionalPossessivePronoun",
    "RemovePlainPrefix",
)


class _LiteralStemRe:
    """``re`` for those modules: ``sub`` of a pattern made only of letters, digits and
    hyphens (none of them special in a pattern: it matches itself) by nothing, once, is
    ``str.replace(pattern, "", 1)``; anything else is ``re``'s own."""

    def __getattr__(self, name):
        return getattr(re, name)

    @staticmethod
    def sub(pattern, repl, string, count=0, flags=0):
        if (
            type(pattern) is str
            and repl == ""
            and count == 1
            and not flags
            and pattern.replace("-", "").isalnum()
        ):
            return string.replace(pattern, "", 1)
        return re.sub(pattern, repl, string, count=count, flags=flags)


def _literal_stem_patterns() -> None:
    import importlib

    for name in _STEM_AS_PATTERN:
        module = importlib.import_module(f"Sastrawi.Stemmer.Context.Visitor.{name}")
        if module.re is re:
            module.re = _LiteralStemRe()


@cache
def _sastrawi_stemmer_class():
    """Sastrawi's ``Stemmer``, stemming alike, faster: its ~40 prefix visitors run up to
    three times a word, each matching its rules' patterns, and most words begin with none
    of their prefixes (``_GatedRule``). A visitor that cannot apply is skipped together
    with the checks after it, which would find what the previous ones found (nothing
    changed since): the checks still follow the first visitor, as Sastrawi's loop has
    them. Stems on a corpus's whole vocabulary are compared in
    ``tests/test_language_data.py``; 2-3x faster on words not seen before."""
    from Sastrawi.Stemmer.Context.Context import Context
    from Sastrawi.Stemmer.Stemmer import Stemmer

    class GatedContext(Context):
        def accept_prefix_visitors(self, visitors):
            removal_count = len(self.removals)
            contains = self.dictionary.contains
            checked = False
            for visitor in visitors:
                if type(visitor) is _GatedRule:
                    if self.current_word.startswith(visitor.prefixes):
                        visitor.visitor.visit(self)
                    elif checked:
                        continue
                else:
                    visitor.visit(self)
                checked = True
                if contains(self.current_word):
                    return self.current_word
                if self.process_is_stopped:
                    return self.current_word
                if len(self.removals) > removal_count:
                    return None
            return None

    class GatedStemmer(Stemmer):
        def __init__(self, dictionary):
            super().__init__(dictionary)
            _literal_stem_patterns()
            gate_prefix_rules(self.visitor_provider.prefix_visitors)

        def stem_singular_word(self, word):
            context = GatedContext(word, self.dictionary, self.visitor_provider)
            context.execute()
            return context.result

    return GatedStemmer


# Lookups in a root list's sorted text before it becomes a set (see ``_Roots``).
_ROOTS_SET_AFTER = 2000


class _Roots:
    """Sastrawi's dictionary of roots (its stemmer asks only ``contains``): a root is a
    whole line, neither empty nor blank, of Sastrawi's ``kata-dasar.txt`` or of our lists.

    A query stems a handful of words, a few dozen lookups, where reading the 30,000 roots
    into a dict was most of a cold ``mlsearch search``'s Malay analysis (making the stemmer
    and stemming 8 words: 12 ms of CPU, now 5.5, at load 5). So
    the first ``_ROOTS_SET_AFTER`` lookups bisect Sastrawi's list in its text, which is
    sorted, one root a line (``tests/test_language_data.py`` checks the pinned file); our
    few hundred roots are a set from the start. After them (an indexing run) all the roots
    become one set. The answers are the same either way."""

    __slots__ = ("_sorted", "_extra", "_set", "_asked")

    def __init__(self, sorted_text: str, extra: list[str]):
        self._sorted = f"\n{sorted_text.strip(chr(10))}\n"
        self._extra = {w for w in extra if w and not w.isspace()}
        self._set: set[str] | None = None
        self._asked = 0

    def contains(self, word: str) -> bool:
        roots = self._set
        if roots is not None:
            return word in roots
        if word in self._extra:
            return True
        self._asked += 1
        if self._asked > _ROOTS_SET_AFTER:
            self._set = self.as_set()
            self._sorted = ""
            return word in self._set
        if not word or word.isspace() or "\n" in word:
            return False
        return _sorted_lines_contain(self._sorted, word)

    def as_set(self) -> set[str]:
        if self._set is not None:
            return self._set
        roots = set(self._sorted.split("\n"))
        roots.discard("")
        roots.difference_update(_BLANK_LINE.findall(self._sorted))
        return roots | self._extra


_BLANK_LINE = re.compile(r"^[^\S\n]+$", re.MULTILINE)  # str.isspace(), but for newlines


def _sorted_lines_contain(text: str, word: str) -> bool:
    """Whether ``word`` is a line of ``text``: lines in sorted order, between newlines
    (``text`` begins and ends with one)."""
    lo, hi = 0, len(text) - 1  # newlines: the lines between them are the candidates
    while lo < hi:
        start = text.rfind("\n", lo, (lo + hi) // 2 + 1)
        end = text.find("\n", start + 1)
        line = text[start + 1 : end]
        if line == word:
            return True
        if line < word:
            lo = end
        else:
            hi = start
    return False


def _sastrawi_roots_text() -> str:
    """Sastrawi's Indonesian root list (``kata-dasar.txt``), as its ``StemmerFactory``
    reads it: text mode, one root a line."""
    from importlib.util import find_spec

    spec = find_spec("Sastrawi")
    folder = Path(spec.submodule_search_locations[0]) / "Stemmer" / "data"
    with open(folder / "kata-dasar.txt", encoding="utf-8") as f:
        return f.read()


class MalayStemmer:
    """Sastrawi's affix-stripping stemmer with Malay roots added to its Indonesian dictionary.

    Words in ``ms_protected.txt`` are left as they are (stemming would merge meanings:
    kerajaan "government" is not raja "king").
    """

    def __init__(self):
        protected = _read_list("ms_protected.txt")
        # Protected words join the dictionary too, so their inflections stop at them
        # (kerajaannya -> kerajaan, not raja).
        roots = _Roots(_sastrawi_roots_text(), _read_list("ms_roots.txt") + protected)
        self._stemmer = _sastrawi_stemmer_class()(roots)
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


_TERMS: dict[str, dict[str, str]] = {}


def _terms_of(lang: str) -> dict[str, str]:
    """The terms of words of letters only already analysed as ``lang`` (at most
    ``_CACHE_WORDS``): their analysis is their stem."""
    got = _TERMS.get(lang)
    if got is None:
        got = _TERMS[lang] = {}
    return got


# A token: (term, position, start, end); start and end index the original text.
def latin_tokens(
    text: str | Normalized,
    lang: str,
    mode: str = "index",
    removestops: bool = True,
    terms_only: bool = False,
) -> list[TokenTuple]:
    """Analyse the non-Han words of ``text`` as ``lang`` ("en" or "ms").

    Words are analysed alike at index and query time: ``mode`` changes nothing here (every
    token function takes it; only Han bigrams differ by mode). ``terms_only``: just the
    tokens' terms, in order (a token's position is its index), without mapping their
    spans back to the original text: what indexing needs."""
    norm = text if isinstance(text, Normalized) else normalize(text)
    s = norm.text
    # Built on first use: a query with no Latin words never loads Sastrawi (~40 ms).
    stem = _LazyStem(lang)
    stops = stop_words() if removestops else frozenset()
    terms = _terms_of(lang)
    starts, ends = norm._starts, norm._ends
    out: list[TokenTuple] = []
    pos = 0
    for m in COMPOUND_RE.finditer(s):
        word = m.group()
        if word.isalpha():
            # Most words: letters only, so one part, the whole match (the path below
            # gives the same token).
            if word in stops:
                continue
            term = terms.get(word)
            if term is None:
                term = _word_term(word, stem)
                if len(terms) < _CACHE_WORDS:
                    terms[word] = term
            if not term:
                continue
            if terms_only:
                out.append(term)
                continue
            a, b = m.span()
            if starts is not None:
                a, b = starts[a], ends[b - 1]
            out.append((term, pos, a, b))
            pos += 1
            continue
        parts = [(p.group(), p.start(), p.end()) for p in PART_RE.finditer(s, m.start(), m.end())]
        if not parts:
            continue
        if lang == "ms" and len(parts) == 2 and _is_reduplication(parts[0][0], parts[1][0]):
            shorter = min(parts[0][0], parts[1][0], key=len)
            if terms_only:
                out.append(_word_term(shorter, stem))
                continue
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
            if terms_only:
                out.append(term)
                continue
            a, b = norm.span(ps, pe)
            out.append((term, pos, a, b))
            pos += 1
    return out


def surface_words(text: str | Normalized) -> list[TokenTuple]:
    """Unstemmed lower-case words (letters only, 3+ characters): the did-you-mean vocabulary."""
    norm = text if isinstance(text, Normalized) else normalize(text)
    out: list[TokenTuple] = []
    starts, ends = norm._starts, norm._ends
    for pos, m in enumerate(PART_RE.finditer(norm.text)):
        w = m.group()
        if len(w) >= 3 and not w.isdigit() and "'" not in w and "’" not in w:
            a, b = m.span()
            if starts is not None:  # norm.span, inlined
                a, b = starts[a], ends[b - 1]
            out.append((w, pos, a, b))
    return out


def surface_terms(text: str) -> list[str]:
    """The terms of ``surface_words(text)``, in order, without positions or spans: what
    indexing the ``spell`` field needs."""
    return [
        w
        for w in PART_RE.findall(normalize(text).text)
        if len(w) >= 3 and not w.isdigit() and "'" not in w and "’" not in w
    ]
