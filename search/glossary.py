"""The trilingual glossary behind ``--cross``: one concept per line, with its English,
Malay and Chinese forms, used to look for a query's words in the other two languages.

File format (``indexer/data/glossary.tsv``, and any user file in the same shape)::

    # comments and blank lines are ignored
    # en<TAB>ms<TAB>zh<TAB>kind
    South China Sea | SCS<TAB>Laut China Selatan | LCS<TAB>南海 | 南中国海<TAB>place

Variants in a cell are separated by ``|``; the first is the main form. A user file may leave
a language's cell empty (at least two languages are needed) and may omit ``kind``.

Matching is on normalised text (NFKC, case folding, traditional to simplified Chinese):
Latin forms match whole words of the query (English forms also by stem, so ``submarines``
finds the ``submarine`` entry); Chinese forms match inside a run of Han characters,
leftmost and longest first.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from indexer.analyse.latin import DATA_DIR, stop_words
from indexer.analyse.normalize import HAN_RUN, normalize_text
from indexer.errors import MlsearchError

GLOSSARY_FILE = DATA_DIR / "glossary.tsv"
GLOSSARY_ENV = "MLSEARCH_GLOSSARY"
COLUMNS = ("en", "ms", "zh")
KINDS = ("country", "place", "org", "title", "defence", "news", "person")


class GlossaryError(MlsearchError):
    pass


@dataclass(frozen=True)
class Entry:
    """One concept: its forms per language (main form first), kind, and where it is defined."""

    forms: dict[str, tuple[str, ...]] = field(hash=False, compare=False)
    kind: str
    source: str  # "glossary.tsv:12"

    @property
    def label(self) -> str:
        return " / ".join(self.forms[lang][0] for lang in COLUMNS if self.forms.get(lang))

    def as_json(self) -> dict:
        return {
            "forms": {lang: list(self.forms.get(lang, ())) for lang in COLUMNS},
            "kind": self.kind,
            "source": self.source,
        }


_LATIN_WORD = re.compile(r"[^\W_]+(?:[-‐‑'’./][^\W_]+)*")


def latin_words(text: str) -> tuple[str, ...]:
    """Normalised words of a Latin form or query span: ``F-16`` stays one word."""
    return tuple(m.group() for m in _LATIN_WORD.finditer(normalize_text(text)))


def is_acronym(form: str) -> bool:
    """AS, US, PM, KL, PAS: matched only when typed in capitals (as, us, pas are words)."""
    letters = form.replace(".", "")
    return letters.isupper() and len(letters) <= 4 and " " not in form


def _en_stems(words: tuple[str, ...]) -> tuple[str, ...]:
    from indexer.analyse.latin import stemmer_for

    stem = stemmer_for("en")
    return tuple(stem(w) for w in words)


class Glossary:
    """Entries from the shipped file and any user files, indexed for matching."""

    def __init__(self, entries: list[Entry], files: list[str]):
        self.entries = entries
        self.files = files
        # the user files' (path, mtime, size) it was loaded from (``load_glossary``);
        # None when made from entries directly
        self.stamps: tuple | None = None
        # words -> (entry, language of the form, an acronym matched only in capitals)
        self._latin: dict[tuple[str, ...], list[tuple[Entry, str, bool]]] = {}
        self._stems: dict[tuple[str, ...], list[tuple[Entry, str, bool]]] = {}
        self._han: dict[str, list[Entry]] = {}
        self.max_han = 1
        self.max_words = 1
        for entry in entries:
            for lang in ("en", "ms"):
                for form in entry.forms.get(lang, ()):
                    words = latin_words(form)
                    if not words or HAN_RUN.search(form):
                        continue
                    acronym = is_acronym(form)
                    self._latin.setdefault(words, []).append((entry, lang, acronym))
                    self.max_words = max(self.max_words, len(words))
                    if lang == "en" and not acronym:
                        self._stems.setdefault(_en_stems(words), []).append((entry, lang, False))
            for form in entry.forms.get("zh", ()):
                key = normalize_text(form).replace(" ", "")
                if key and HAN_RUN.fullmatch(key):
                    self._han.setdefault(key, []).append(entry)
                    self.max_han = max(self.max_han, len(key))

    def __len__(self) -> int:
        return len(self.entries)

    def match_latin(self, words: tuple[str, ...], typed: str = "") -> list[tuple[Entry, str]]:
        """Entries (and the language of the form) whose form is exactly ``words``, or for
        English forms the same stems. Words that are all stop words match nothing, and an
        acronym form only when ``typed`` (the words as written) is in capitals."""
        capitals = typed.isupper()
        if capitals:  # AS, typed so, is Amerika Syarikat even though "as" is a stop word
            acronyms = [(e, lang) for e, lang, acr in self._latin.get(words, ()) if acr]
            if acronyms:
                return _unique(acronyms)
        if all(w in stop_words() for w in words):
            return []
        found = [(e, lang) for e, lang, acr in self._latin.get(words, ()) if capitals or not acr]
        if found:
            return _unique(found)
        return _unique([(e, lang) for e, lang, _a in self._stems.get(_en_stems(words), ())])

    def match_han(self, run: str, start: int = 0) -> tuple[int, list[Entry]]:
        """The longest Chinese form starting at ``run[start]``: (its length, its entries)."""
        for length in range(min(self.max_han, len(run) - start), 0, -1):
            found = self._han.get(run[start : start + length])
            if found:
                return length, _unique_entries(found)
        return 0, []

    def find_in_text(self, text: str) -> list[tuple[Entry, str, int]]:
        """Entries whose forms occur in ``text``: (entry, language of the form, times),
        most frequent first. Latin words and Han runs are matched as in a query."""
        counts: dict[int, list] = {}

        def found(entry, lang):
            slot = counts.setdefault(id(entry), [entry, lang, 0])
            slot[2] += 1

        norm = normalize_text(text)
        for run in HAN_RUN.findall(norm):
            i = 0
            while i < len(run):
                length, entries = self.match_han(run, i)
                for entry in entries:
                    found(entry, "zh")
                i += length or 1
        words = latin_words(HAN_RUN.sub(" ", norm))
        # The words as written, for acronyms (AS is Amerika Syarikat, as is a word).
        raw = _LATIN_WORD.findall(HAN_RUN.sub(" ", unicodedata.normalize("NFKC", text)))
        if len(raw) != len(words):
            raw = [""] * len(words)
        stops = stop_words()
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + self.max_words), i, -1):
                matches = self._latin.get(words[i:j])
                if matches:
                    capitals = " ".join(raw[i:j]).isupper()
                    stop = all(w in stops for w in words[i:j])
                    hits = [
                        (e, lang)
                        for e, lang, acr in matches
                        if (acr and capitals) or (not acr and not stop)
                    ]
                    if hits:
                        for entry, lang in _unique(hits):
                            found(entry, lang)
                        i = j
                        break
            else:
                i += 1
        return sorted(((e, lang, n) for e, lang, n in counts.values()), key=lambda x: -x[2])


def _unique(pairs: list[tuple[Entry, str]]) -> list[tuple[Entry, str]]:
    seen, out = set(), []
    for entry, lang in pairs:
        if id(entry) not in seen:
            seen.add(id(entry))
            out.append((entry, lang))
    return out


def _unique_entries(entries: list[Entry]) -> list[Entry]:
    return [e for e, _lang in _unique([(e, "zh") for e in entries])]


def _split_cell(cell: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in cell.split("|") if v.strip())


def parse_glossary(text: str, name: str, strict: bool = False) -> list[Entry]:
    """Entries of one TSV file; ``strict`` (the shipped file) wants all three languages and a
    known kind. Any mistake raises GlossaryError naming the file and line."""
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = line.rstrip("\r\n").split("\t")
        where = f"{name}:{lineno}"
        if len(cells) not in (3, 4):
            raise GlossaryError(
                f"{where}: expected 3 or 4 tab-separated columns (en, ms, zh, kind), "
                f"found {len(cells)}",
                hint="separate the columns with tabs; variants inside a column with |",
            )
        forms = {lang: _split_cell(cell) for lang, cell in zip(COLUMNS, cells[:3], strict=True)}
        forms = {lang: variants for lang, variants in forms.items() if variants}
        kind = cells[3].strip() if len(cells) == 4 else ""
        if len(forms) < (3 if strict else 2):
            raise GlossaryError(
                f"{where}: an entry needs forms in at least {3 if strict else 2} languages"
            )
        if strict and kind not in KINDS:
            raise GlossaryError(f"{where}: unknown kind {kind!r} (use {', '.join(KINDS)})")
        for lang in ("en", "ms"):
            for form in forms.get(lang, ()):
                if not latin_words(form):
                    raise GlossaryError(f"{where}: {lang} form {form!r} has no words")
        for form in forms.get("zh", ()):
            if not HAN_RUN.fullmatch(normalize_text(form).replace(" ", "")):
                raise GlossaryError(f"{where}: zh form {form!r} must be Chinese characters only")
        entries.append(Entry(forms=forms, kind=kind, source=where))
    return entries


def user_glossary_files(extra: tuple[str, ...] | list[str] = ()) -> list[Path]:
    """User files: ``MLSEARCH_GLOSSARY`` (paths separated by the OS path separator), then
    ``extra`` (the --glossary option)."""
    env = os.environ.get(GLOSSARY_ENV, "")
    paths = [p for p in env.split(os.pathsep) if p.strip()]
    return [Path(p).expanduser() for p in [*paths, *extra]]


def load_glossary(extra: tuple[str, ...] | list[str] = ()) -> Glossary:
    """The shipped glossary plus the user's files."""
    stamps = file_stamps(
        user_glossary_files(extra), "glossary", f"check --glossary and {GLOSSARY_ENV}"
    )
    return _load(stamps)


def file_stamps(paths, what: str, hint: str) -> tuple:
    """``(path, mtime_ns, size)`` of each of the user's ``what`` files (the key their
    parsed form is cached under); a file that cannot be read is a GlossaryError."""
    stamps = []
    for path in paths:
        try:
            st = path.stat()
        except OSError as exc:
            raise GlossaryError(
                f"cannot read {what} file {path}: {exc.strerror or exc}", hint=hint
            ) from exc
        stamps.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(stamps)


@lru_cache(maxsize=4)
def _shipped() -> tuple[Entry, ...]:
    text = GLOSSARY_FILE.read_text(encoding="utf-8")
    return tuple(parse_glossary(text, GLOSSARY_FILE.name, strict=True))


@lru_cache(maxsize=8)
def _load(stamps: tuple[tuple[str, int, int], ...]) -> Glossary:
    """The glossary of the shipped file and the user's files ``stamps``, kept parsed
    between runs (``search.tablecache``)."""
    from .tablecache import cached_table

    glossary = cached_table("glossary", stamps, lambda: _build(stamps))
    glossary.stamps = stamps
    return glossary


def _build(stamps: tuple[tuple[str, int, int], ...]) -> Glossary:
    entries = list(_shipped())
    for path, _mtime, _size in stamps:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GlossaryError(f"glossary file {path} is not UTF-8 text") from exc
        except OSError as exc:
            raise GlossaryError(f"cannot read glossary file {path}: {exc}") from exc
        entries.extend(parse_glossary(text, path))
    return Glossary(entries, [str(GLOSSARY_FILE), *(p for p, *_ in stamps)])
