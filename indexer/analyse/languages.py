"""Which language each passage of an article is, and each language's text by field.

Han characters go to Chinese analysis; the Latin words of each line go to English or Malay
as lingua decides for that line (lines too short to judge take the language of the rest). A
line lingua gives the other Latin language than the rest of the text keeps that verdict only
when its own function words agree (``_FUNCTION_RE``): lingua calls telegraphic headlines and
figure lines Malay ("CHEUNG KONG CHAIRMAN SEES STRONG RESULTS IN 1987", "Oper net loss
1,324,000 vs profit 4,067,000"), which then missed every English stem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..schema import lang_field
from .latin import WORD_CHAR, _read_list
from .normalize import HAN_RUN

LANGS = ("zh", "ms", "en")
_OTHER = {"en": "ms", "ms": "en"}

_detector = None
# Shorter lines are guessed badly (lingua calls the English headlines "SABAH PORT STRIKE
# ENDS" and "MALAYSIA, SINGAPORE INITIAL WATER PACT" Malay): they take the language of the
# rest.
_MIN_WORDS_TO_DETECT = 8
_WORD_COUNT_RE = re.compile(f"{WORD_CHAR}{{2,}}")
_FUNCTION_RE = re.compile(r"[^\W\d_]+")
_function_words: dict[str, frozenset[str]] = {}


def _function_support(line: str, lang: str) -> int:
    """How many of ``line``'s words are ``lang``'s stop words (its function words)."""
    if not _function_words:
        for code in ("en", "ms"):
            _function_words[code] = frozenset(_read_list(f"stopwords_{code}.txt"))
    words = _function_words[lang]
    return sum(1 for w in _FUNCTION_RE.findall(line.lower()) if w in words)


def _other_has_more(line: str, main: str) -> bool:
    """``_function_support(line, other) > _function_support(line, main)``, the line's
    words found once for both."""
    if not _function_words:
        _function_support("", main)
    found = _FUNCTION_RE.findall(line.lower())
    mine = _function_words[main]
    theirs = _function_words[_OTHER[main]]
    return sum(1 for w in found if w in theirs) > sum(1 for w in found if w in mine)


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


def _fallback(counts: dict[str, int]) -> str | None:
    """The language undecided lines take when lines of either Latin language were judged."""
    if counts["en"] or counts["ms"]:
        return "ms" if counts["ms"] > counts["en"] else "en"
    return None


def _settle_assumed(
    assumed: list[list], counts: dict[str, int], main: str, default_latin: str | None
) -> None:
    """Lines taken as ``main`` without asking the detector (``assumed``, counted as main)
    end up main whatever it answers, except that a line it has no answer for is left
    undecided, and undecided lines take the language most words were judged to be. Ask
    it about them, shortest first, until that language is ``main`` even if none of the
    lines not asked had an answer (an answered line ends up main); then the split is the
    one asking every line gives. Usually no line is asked, or one."""
    worst = dict(counts)  # what was judged, leaving out every line not asked
    worst[main] -= sum(item[1] for item in assumed)
    if _fallback(worst) is None and default_latin == main:
        # No other line was judged: undecided lines would take the language of the lines
        # answered (main, as every answered line ends up), or ``default_latin`` when none
        # answered, which is main too. Asking could change nothing (it was one detector
        # call an article, about 0.2 ms, most of lingua's time while indexing).
        return
    # shortest first: the detector's time grows with the text, and one answered line
    # settles an article all of one language
    for item in sorted(assumed, key=lambda item: len(item[0])):
        if _fallback(worst) == main:
            return
        line, words, _ = item
        counts[main] -= words
        item[2] = _detect_latin(line)
        if item[2] is not None:
            counts[item[2]] += words
            worst[main] += words


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


def split_languages(
    text: str, default_latin: str | None = None, prefer: str | None = None
) -> LangSplit:
    """Route each line of ``text`` to the languages it contains.

    Han characters go to Chinese analysis; the Latin words of a line go to English or Malay
    as a detector decides for that line. Lines too short to judge take the language of the
    whole text (or ``default_latin`` when the whole text is too short as well). A line the
    detector gives the other language than the main one (``prefer``, else the one with most
    words) keeps it only when it has more of that language's function words.
    """
    lines = [ln for ln in text.split("\n") if ln.strip()]
    han_lines = []
    counts = {"zh": 0, "en": 0, "ms": 0}
    # Each line with Latin words: [line, words, language or None while undecided].
    routed: list[list] = []
    main = prefer if prefer in ("en", "ms") else None
    # With the main language known before any line is judged, a line with no more of the
    # other language's function words than of the main one's ends up main whatever the
    # detector says (below), so it is not asked (lingua was 3.3 ms an article, most of
    # the parent's work while indexing): main, unless the detector would have no answer
    # for it, which only matters when undecided lines could then take the other language
    # (checked after the loop; ``_detect_latin`` is asked then).
    assumed: list[list] = []
    for line in lines:
        han = sum(len(m) for m in HAN_RUN.findall(line))
        if han:
            han_lines.append(line)
            counts["zh"] += han
        words = len(_WORD_COUNT_RE.findall(HAN_RUN.sub(" ", line) if han else line))
        if not words:
            continue
        item = [line, words, None]
        if words < _MIN_WORDS_TO_DETECT:
            pass
        elif main is not None and not _other_has_more(line, main):
            item[2] = main
            assumed.append(item)
        else:
            item[2] = _detect_latin(line)
        routed.append(item)
        if item[2] is not None:
            counts[item[2]] += words
    if assumed:
        _settle_assumed(assumed, counts, main, default_latin)
    if main is None and (counts["en"] or counts["ms"]):
        main = "ms" if counts["ms"] > counts["en"] else "en"
    if main is not None:
        other = "ms" if main == "en" else "en"
        for item in routed:
            line, words, lang = item
            if lang == other and not _other_has_more(line, main):
                item[2] = main
                counts[other] -= words
                counts[main] += words
    undecided = [item for item in routed if item[2] is None]
    if undecided:
        if counts["en"] or counts["ms"]:
            fallback = "ms" if counts["ms"] > counts["en"] else "en"
        else:
            joined = " ".join(line for line, _, _ in undecided)
            fallback = default_latin or (
                _detect_latin(joined) if len(_WORD_COUNT_RE.findall(joined)) >= 3 else None
            )
            fallback = fallback or "en"
        for item in undecided:
            item[2] = fallback
            counts[fallback] += item[1]
    latin = {lang: [line for line, _, got in routed if got == lang] for lang in ("en", "ms")}
    values = {
        "zh": "\n".join(han_lines),
        "en": "\n".join(latin["en"]),
        "ms": "\n".join(latin["ms"]),
    }
    return LangSplit({k: v for k, v in values.items() if v}, counts)


def language_texts(
    title_text: str, body_text: str, lang_hint: str | None = None
) -> tuple[dict[str, str], list[str]]:
    """Each language's text of a title and body, by field (``title_en``, ``body_zh2``, …),
    and the languages present, most content first."""
    hint = lang_hint if lang_hint in ("en", "ms") else None
    body = split_languages(body_text, default_latin=hint, prefer=hint)
    body_latin = next((lang for lang in body.langs if lang != "zh"), hint)
    title = split_languages(title_text, default_latin=body_latin, prefer=body_latin)
    langs = []
    for lang in body.langs + title.langs:
        if lang not in langs:
            langs.append(lang)
    texts = {}
    for part, split in (("title", title), ("body", body)):
        for lang in ("en", "ms"):
            if lang in split.values:
                texts[lang_field(part, lang)] = split.values[lang]
        if "zh" in split.values:
            texts[lang_field(part, "zh")] = split.values["zh"]
            texts[lang_field(part, "zh2")] = split.values["zh"]
    return texts, langs
