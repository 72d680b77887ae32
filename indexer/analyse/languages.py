"""Which language each passage of an article is, and each language's text by field.

Han characters go to Chinese analysis; the Latin words of each line go to English or Malay
as lingua decides for that line (lines too short to judge take the language of the rest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..schema import lang_field
from .latin import WORD_CHAR
from .normalize import HAN_RUN

LANGS = ("zh", "ms", "en")

_detector = None
# Shorter lines are guessed badly (lingua calls the English headlines "SABAH PORT STRIKE
# ENDS" and "MALAYSIA, SINGAPORE INITIAL WATER PACT" Malay): they take the language of the
# rest.
_MIN_WORDS_TO_DETECT = 8
_WORD_COUNT_RE = re.compile(f"{WORD_CHAR}{{2,}}")


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


def language_texts(
    title_text: str, body_text: str, lang_hint: str | None = None
) -> tuple[dict[str, str], list[str]]:
    """Each language's text of a title and body, by field (``title_en``, ``body_zh2``, …),
    and the languages present, most content first."""
    hint = lang_hint if lang_hint in ("en", "ms") else None
    body = split_languages(body_text, default_latin=hint)
    body_latin = next((lang for lang in body.langs if lang != "zh"), hint)
    title = split_languages(title_text, default_latin=body_latin)
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
