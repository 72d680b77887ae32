"""The Whoosh analyzers of the language fields (``title_en`` … ``body_zh2``) and ``spell``.

Each runs one token function of ``latin`` or ``chinese`` and hands Whoosh its tokens. The
classes are pickled into the index schema by their module path: moving or renaming them
needs a ``SCHEMA_VERSION`` bump (``indexer/schema.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import Analyzer, Token

from .chinese import han_bigram_terms, han_bigram_tokens, han_word_terms, han_word_tokens
from .latin import latin_tokens, surface_terms, surface_words
from .normalize import TokenTuple, normalize


class _TupleAnalyzer(Analyzer):
    """Runs one of the token functions above and hands Whoosh its tokens."""

    # Whether a token's position is its index in ``tokens_of``'s list (at index time):
    # then ``index_terms`` alone gives the positions (whoosh_internals/codec.py).
    consecutive_positions = True

    def tokens_of(self, text: str, mode: str, removestops: bool) -> list[TokenTuple]:
        raise NotImplementedError

    def index_terms(self, text: str) -> list[str]:
        """The terms of ``tokens_of(text, "index", True)``, in order, without their
        spans: what indexing needs (each analyzer below has a faster way)."""
        return [t[0] for t in self.tokens_of(text, "index", True)]

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

    def index_terms(self, text):
        return latin_tokens(text, self.lang, "index", True, terms_only=True)


class HanWordAnalyzer(_TupleAnalyzer):
    def tokens_of(self, text, mode, removestops):
        return han_word_tokens(text, mode)

    def index_terms(self, text):
        return han_word_terms(text)


class HanBigramAnalyzer(_TupleAnalyzer):
    def tokens_of(self, text, mode, removestops):
        return han_bigram_tokens(text, mode)

    def index_terms(self, text):
        return han_bigram_terms(text)


class SurfaceAnalyzer(_TupleAnalyzer):
    consecutive_positions = False  # a position counts the words left out too

    def tokens_of(self, text, mode, removestops):
        return surface_words(text)

    def index_terms(self, text):
        return surface_terms(text)


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
