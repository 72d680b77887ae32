"""Names and terms the dictionaries know: did-you-mean (``search.suggest``) never
"corrects" them, however rare they are in the index and however common a neighbour is
(巫统, UMNO, is not a typo of 总统, president; 纳吉, Najib, not one of 纳入, include).

Known are:

* every form of every glossary entry (``--cross``'s: the shipped file and the user's),
  in every language: Chinese forms where ``--cross`` finds them in a Han run (leftmost,
  longest), and each word of a Latin form (an acronym form such as ``PAS`` only when typed
  in capitals, as ``--cross`` matches it);
* the words of the Chinese user dictionaries (``indexer/data/userdict_zh.txt`` and
  ``MLSEARCH_USERDICT``), as jieba segments them; their Latin words too;
* words that jieba's own dictionary tags as a person (nr, nrt, nrfg), place (ns),
  organisation (nt) or other proper name (nz), when it saw them at least DICT_NAME_FREQ
  times. Its rarer "names" (63% of its 111,000) include misspellings: 吉隆波, seen 3 times
  next to 吉隆坡's 85, is a typo to correct;
* any word of two or more characters that jieba's dictionary saw at least DICT_WORD_FREQ
  times, whatever its tag: a word as common as 合作 (cooperation, 13,478) is what the
  user meant even when a small index lacks it, and "correcting" it from the bigrams of
  what the index does hold gave 合日 (from 联合日报).

jieba's dictionary is read through rjieba (``indexer.analyse.chinese.engine``), which the
query's own analysis has loaded already for a Chinese query: no extra start-up.
"""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.analyse.chinese import engine, parse_userdict, userdict_paths
from indexer.analyse.normalize import normalize_text
from indexer.errors import MlsearchError

from .glossary import Glossary

NAME_TAGS = ("nr", "ns", "nt", "nz")  # and nrt, nrfg: jieba's tags that start so
DICT_NAME_FREQ = 5
DICT_WORD_FREQ = 50
_LATIN = re.compile(r"[a-z][a-z0-9'’.-]*")


class KnownNames:
    """The names and terms of one glossary and the user dictionaries."""

    def __init__(self, glossary: Glossary | None):
        self.glossary = glossary
        self.latin_words: set[str] = set()
        self.acronyms: set[str] = set()  # known only as typed in capitals
        # The glossary's own index of its Latin forms (normalised words; acronym or not):
        # reading the forms anew would normalise 4,000 of them again (10-20 ms).
        for words, matches in glossary._latin.items() if glossary else ():
            for _entry, _lang, acronym in matches:
                (self.acronyms if acronym else self.latin_words).update(words)
        words = _userdict_words(tuple(str(p) for p in userdict_paths()))
        self.userdict = words
        self.latin_words.update(w for w in words if _LATIN.fullmatch(w))

    def latin(self, word: str, typed: str) -> bool:
        """Whether ``word`` (normalised; ``typed`` as written) is a known name or term."""
        return word in self.latin_words or (typed.isupper() and word in self.acronyms)

    def han_positions(self, run: str) -> set[int]:
        """Positions of ``run`` (normalised Han characters) inside a known name or term."""
        spans = []
        if self.glossary is not None:
            i = 0
            while i < len(run):
                length, _entries = self.glossary.match_han(run, i)
                if length:
                    spans.append((i, i + length))
                i += length or 1
        jieba = engine()
        start = 0
        # Dictionary words only (no HMM): the HMM calls unknown runs names (新加波, ns).
        for word, tag in jieba.tag(run, hmm=False):
            end = start + len(word)
            if len(word) > 1 and (
                word in self.userdict
                or (freq := jieba.suggest_freq(word)) >= DICT_WORD_FREQ
                or (tag.startswith(NAME_TAGS) and freq >= DICT_NAME_FREQ)
            ):
                spans.append((start, end))
            start = end
        return {j for a, b in spans for j in range(a, b)}


@lru_cache(maxsize=4)
def _userdict_words(paths: tuple[str, ...]) -> frozenset[str]:
    words = set()
    for path in paths:
        try:
            with open(path, encoding="utf-8-sig") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            continue  # the analyser says so when it loads the dictionary
        words.update(normalize_text(w) for w, _freq, _tag in parse_userdict(text))
    return frozenset(words)


@lru_cache(maxsize=4)
def known_names(glossary: Glossary | None) -> KnownNames:
    """The KnownNames of ``glossary`` (one per loaded glossary)."""
    return KnownNames(glossary)


def glossary_or_shipped(load) -> Glossary:
    """``load()``'s glossary (the user's files too), or the shipped one alone when a user
    file cannot be read: a plain search must not fail over a file only ``--cross`` reads."""
    from .glossary import _load

    try:
        return load()
    except MlsearchError:
        return _load(())
