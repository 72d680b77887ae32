"""What decides which articles a query finds and how they rank, beyond BM25F: the
matching model and the features layered on it (issue 14).

``Features`` is what a ``Searcher`` is built with; the evaluation (``eval/``) builds one
per row of its ablation table, so each feature can be switched off on its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Features:
    """``proximity``: words close together rank above scattered ones.
    ``exact_phrases``: a quoted phrase matches its words as written, not their stems.
    ``synonyms``: shipped and user synonyms and abbreviations, weighted below typed words.
    ``dictionaries``: with ``cross``, wide bilingual dictionaries below the glossary."""

    proximity: bool = True
    exact_phrases: bool = True
    synonyms: bool = True
    dictionaries: bool = True


ALL = Features()
NONE = Features(proximity=False, exact_phrases=False, synonyms=False, dictionaries=False)
