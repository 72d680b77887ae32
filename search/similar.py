"""More like this: the query for articles like one article of the index (``similar_query``),
from its key terms in each of its languages and, for ``--cross``, the other languages'
forms of the glossary entries it mentions most."""

from __future__ import annotations

from indexer.analyse.fields import analyze
from indexer.analyse.languages import LANGS
from indexer.analyse.latin import stop_words
from indexer.schema import TEXT_PARTS, lang_field, unpack_body

from .query import Expansion

KEY_TERMS = 15  # per language, for similar()
KEY_ENTRIES = 8  # glossary entries of the article whose translations similar(cross) adds
# Search ranks title words 3x; for likeness the body says more (a copy under a rewritten
# headline must still rank above another story with similar headline words).
SIMILAR_TITLE_BOOST = 1.0


def similar_query(searcher, docnum: int, glossary=None) -> tuple[list, str, list[Expansion]]:
    """The leaves of the query for articles like article ``docnum`` (to be ORed; none when
    the article has no key terms), the words searched for as shown (most important
    first), and with a ``glossary`` (``cross``) what its translations added."""
    from whoosh import query as wq

    terms_by_lang = key_terms(searcher, docnum)
    leaves = [
        wq.Term(lang_field(part, tlang), term, boost=weight * boost)
        for tlang, terms in terms_by_lang.items()
        for term, weight in terms
        for part, boost in (("title", SIMILAR_TITLE_BOOST), ("body", 1.0))
    ]
    words = sorted(
        ((w, t) for terms in terms_by_lang.values() for t, w in terms), key=lambda x: -x[0]
    )
    shown = " ".join(t for _w, t in words)
    expansions: list[Expansion] = []
    if glossary is not None:
        translated, expansions = _translated_key_terms(searcher, glossary, docnum)
        leaves.extend(translated)
    return leaves, shown, expansions


def _translated_key_terms(searcher, glossary, docnum: int) -> tuple[list, list[Expansion]]:
    """Queries for the other-language forms of the glossary entries article ``docnum``
    mentions most (up to KEY_ENTRIES): each form in its own language's title and body
    fields, as the key terms are, weighted CROSS_BOOST times how often the article
    mentions the entry relative to the entry it mentions most."""
    from whoosh import query as wq

    from .query import CROSS_BOOST

    stored = searcher.stored_fields(docnum)
    body = unpack_body(stored["body"])
    found = glossary.find_in_text(stored.get("title", "") + "\n" + body)
    found = found[:KEY_ENTRIES]
    queries, expansions = [], []
    for entry, form_lang, times in found:
        weight = CROSS_BOOST * times / found[0][2]
        added: dict[str, list[str]] = {}
        for lang in LANGS:
            if lang == form_lang:
                continue
            for form in entry.forms.get(lang, ())[:2]:
                terms = [t for t, *_ in analyze(form, lang, "query")]
                if not terms:
                    continue
                for part, boost in (("title", SIMILAR_TITLE_BOOST), ("body", 1.0)):
                    field = lang_field(part, lang)
                    if len(terms) == 1:
                        queries.append(wq.Term(field, terms[0], boost=weight * boost))
                    else:
                        queries.append(wq.Phrase(field, terms, boost=weight * boost))
                added.setdefault(lang, []).append(form)
        if added:
            expansions.append(Expansion(entry.forms[form_lang][0], form_lang, entry, added))
    return queries, expansions


def key_terms(searcher, docnum: int) -> dict[str, list[tuple[str, float]]]:
    """The terms that best tell an article apart, per language it contains:
    ``{"en": [(term, weight), …], "zh": …}``, weights in (0, 1], heaviest first.

    Terms are as indexed (stems for en and ms, jieba words for zh) and chosen by
    Whoosh's Bo1 model over the article's title and body text in that language:
    frequent in the article, rare in the index.
    """
    from indexer.analyse.languages import language_texts

    stored = searcher.stored_fields(docnum)
    body = unpack_body(stored["body"])
    texts, _langs = language_texts(stored.get("title", ""), body)
    stop = stop_words()
    out: dict[str, list[tuple[str, float]]] = {}
    for lang in LANGS:
        text = "\n".join(t for t in (texts.get(lang_field(p, lang)) for p in TEXT_PARTS) if t)
        if not text.strip():
            continue
        terms = searcher.key_terms_from_text(
            lang_field("body", lang), text, numterms=3 * KEY_TERMS, normalize=True
        )
        # Indexing keeps stop words (for phrases); numbers, single letters and single
        # Han characters (在, 月) say little about what a story is about.
        terms = [
            (t, float(w))
            for t, w in terms
            if w > 0 and len(t) > 1 and t not in stop and not t.isdigit()
        ][:KEY_TERMS]
        if terms:
            top = terms[0][1]
            out[lang] = [(t, w / top) for t, w in terms]
    return out
