"""Wide bilingual dictionaries below the curated glossary, for ``--cross``
(``Features.dictionaries``).

Two shipped files, converted from their sources by ``tools/build_dictionaries.py`` (credits
and licences in ``search/data/DICTIONARIES.md`` and in each file's header):

- ``cedict_zh_en.tsv.gz``: Chinese-English, from CC-CEDICT (CC BY-SA 4.0);
- ``freedict_en_ms.tsv.gz``: English-Malay, from FreeDict's English-Indonesian dictionary
  (CC BY-SA 3.0), respelled the Malaysian way (``malaysian``).

Chinese-Malay goes through English (``pivot``). The dictionaries are noisy (many senses;
训练 is "to train", and "train" is also *kereta api*), so a translation is only offered
when it is among a word's first senses, short, not a stop word, and a word of the index
in its language (``IndexWords``); at most ``CAP`` per language, and a pivot keeps
the part of speech (a verb's English stays a verb). The query plugin weighs them below the
glossary's forms (``DICT_BOOST``, ``PIVOT_BOOST``).
"""

from __future__ import annotations

import bisect
import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
CEDICT_FILE = DATA_DIR / "cedict_zh_en.tsv.gz"
CEDICT_REVERSE_FILE = DATA_DIR / "cedict_en_zh.tsv.gz"  # the same, English first
FREEDICT_FILE = DATA_DIR / "freedict_en_ms.tsv.gz"

CEDICT = "cc-cedict"
FREEDICT = "freedict"
PIVOT = "pivot"

CAP = 3  # translations per word and language
MAX_WORDS = 4  # a dictionary phrase looked up in a Latin query has at most this many words
CEDICT_SENSES = 2  # senses of a Chinese word whose translations are searched
REVERSE_SENSES = 3  # an English word finds the Chinese words it is one of the senses of


# Indonesian spellings and words where Malaysian Malay differs (FreeDict's dictionary is
# Indonesian). On the 15k corpus: of FreeDict's 10,079 Indonesian forms 6,056 are words of
# the Malay fields as they are; these rules change 205 forms, of which 57 were in the index
# before and 135 after (6,121 in all).
_WORDS = {
    "uang": "wang",
    "praktek": "praktik",
    "sistim": "sistem",
    "kantor": "pejabat",
    "karena": "kerana",
    "mobil": "kereta",
    "polisi": "polis",
    "pemerintah": "kerajaan",
    "rumah sakit": "hospital",
    "sepak bola": "bola sepak",
    "olahraga": "sukan",
    "bisa": "boleh",
    "kapal laut": "kapal",
    "pertandingan": "perlawanan",
    "anggaran": "bajet",
    "apotek": "farmasi",
    "handuk": "tuala",
    "jeruk": "limau",
    "pabrik": "kilang",
    "bioskop": "pawagam",
    "sekolah dasar": "sekolah rendah",
    "gedung": "bangunan",
    "kulkas": "peti sejuk",
    "telepon": "telefon",
    "televisi": "televisyen",
    "bensin": "petrol",
    "ekspor": "eksport",
    "impor": "import",
    "kualitas": "kualiti",
    "prioritas": "keutamaan",
    "risiko": "risiko",
    "resiko": "risiko",
    "bea": "cukai",
    "pajak": "cukai",
    "nasional": "nasional",
    "narkoba": "dadah",
    "narkotika": "dadah",
    "gempa": "gempa",
    "dokter": "doktor",
    "sepeda": "basikal",
    "kartu": "kad",
    "konsumen": "pengguna",
    "musik": "muzik",
    "karcis": "tiket",
    "fisika": "fizik",
    "nol": "sifar",
    "jepang": "jepun",
    "inggris": "inggeris",
    "prancis": "perancis",
    "tiongkok": "china",
    "belanja": "belanja",
    "rusia": "rusia",
    "selandia baru": "new zealand",
    "kamboja": "kemboja",
    "filipina": "filipina",
}
_SUFFIXES = (
    ("itas", "iti"),  # kualitas, universitas, aktivitas -> kualiti, universiti, aktiviti
    ("ika", "ik"),  # matematika, politika -> matematik, politik
    ("isasi", "isasi"),
    ("si", "si"),
)


def malaysian(form: str) -> str:
    """An Indonesian form spelled (or worded) as in Malaysia: ``uang`` -> ``wang``,
    ``aktivitas`` -> ``aktiviti``, ``rumah sakit`` -> ``hospital``."""
    form = form.strip().lower()
    if form in _WORDS:
        return _WORDS[form]
    words = []
    for word in form.split():
        word = _WORDS.get(word, word)
        if word.endswith("ketika") or word == "etika":  # Malay words as they are
            words.append(word)
            continue
        for old, new in _SUFFIXES:
            if word.endswith(old) and len(word) > len(old) + 3:
                word = word[: -len(old)] + new
                break
        words.append(word)
    return " ".join(words)


@dataclass(frozen=True)
class Translation:
    """One dictionary translation: the form searched, its language, the dictionary it
    came from (``cc-cedict``, ``freedict``, or ``pivot`` through English ``via``)."""

    form: str
    lang: str
    source: str
    via: str = ""
    rank: int = 0  # sense number * 100 + place in the sense: lower is a closer translation


def _read(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]


class SortedTable:
    """``key<TAB>value<TAB>...`` lines sorted by key (as the build writes them), looked up
    by bisection: loading is reading the file, nothing is parsed until asked (a dict of
    the 84k Chinese words took 0.3 s, and the English-first one 1.3 s more)."""

    def __init__(self, text: str):
        lines = text.split("\n")
        start = 0
        while start < len(lines) and lines[start].startswith("#"):
            start += 1
        self.lines = [ln for ln in lines[start:] if ln]

    @classmethod
    def read(cls, path: Path) -> SortedTable:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return cls(f.read())

    def get(self, key: str) -> list[str] | None:
        """The fields after ``key`` on its line, or None."""
        prefix = key + "\t"
        i = bisect.bisect_left(self.lines, prefix)
        if i < len(self.lines) and self.lines[i].startswith(prefix):
            return self.lines[i][len(prefix) :].split("\t")
        return None

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return len(self.lines)


def _verb(english: str) -> tuple[str, bool]:
    if english.lower().startswith("to ") and len(english) > 3:
        return english[3:], True
    return english, False


def _key(text: str) -> str:
    return text.lower().replace("’", "'")


@lru_cache(maxsize=1)
def _spellings() -> tuple[dict[str, str], dict[str, str]]:
    from indexer.analyse.latin import spelling_map

    fold = spelling_map()
    return fold, {american: british for british, american in fold.items()}


def _keys(text: str) -> list[str]:
    """Lookup keys of a typed English or Malay word or phrase: as typed (lower case), and
    in British and American spelling (the dictionaries have either)."""
    words = _key(" ".join(text.split())).split(" ")
    keys = [" ".join(words)]
    for table in _spellings():
        key = " ".join(table.get(w, w) for w in words)
        if key not in keys:
            keys.append(key)
    # An English plural finds its singular too (results -> result), after the plural.
    for key in list(keys):
        *head, last = key.split(" ")
        for ending, instead in (("ies", "y"), ("es", ""), ("s", "")):
            if last.endswith(ending) and not last.endswith("ss") and len(last) > len(ending) + 2:
                single = " ".join([*head, last[: -len(ending)] + instead])
                if single not in keys:
                    keys.append(single)
    return keys


def _get(table: dict, text: str) -> list:
    return [x for key in _keys(text) for x in table.get(key, ())]


class Dictionaries:
    """The shipped dictionaries, both ways, indexed for lookup."""

    def __init__(self, zh_en: SortedTable, en_zh: SortedTable, freedict: list[list[str]]):
        # zh -> its senses, translations of a sense separated by "; "
        self.zh_en = zh_en
        # english -> "zh|rank|verb" items: rank 0 for the word's first translation, 1 for
        # the rest of its first sense, 100 for its second sense... (reverse_cedict)
        self._en_zh = en_zh
        # english -> [(is a verb, senses)], each sense a list of Malay forms
        self.en_ms: dict[str, list[tuple[bool, list[list[str]]]]] = {}
        # malay -> [(english, sense number, is a verb)]
        self.ms_en: dict[str, list[tuple[str, int, bool]]] = {}
        for en, pos, *senses in freedict:
            parsed_ms = [s.split("; ") for s in senses]
            verb = pos == "v"
            self.en_ms.setdefault(_key(en), []).append((verb, parsed_ms))
            for n, sense in enumerate(parsed_ms):
                for ms in sense:
                    self.ms_en.setdefault(_key(ms), []).append((en, n, verb))
        self.max_words = MAX_WORDS

    # -- one direction each -------------------------------------------------------------

    def zh_to_en(self, zh: str) -> list[tuple[str, bool, int]]:
        """(english, is a verb, rank)"""
        out: list[tuple[str, bool, int]] = []
        for n, sense in enumerate((self.zh_en.get(zh) or [])[:CEDICT_SENSES]):
            parsed = [_verb(t) for t in sense.split("; ")]
            out.extend((en, v, n * 100 + i) for i, (en, v) in enumerate(parsed))
        return out

    def en_to_zh(
        self, en: str, best_only: bool = False, verb: bool | None = None
    ) -> list[tuple[str, int]]:
        """Chinese words ``en`` translates, closest first (``best_only``: only those it is
        the first translation of); ``verb`` keeps that part of speech."""
        found = []
        for key in _keys(en):
            for item in self._en_zh.get(key) or ():
                zh, rank, pos = item.split("|")
                found.append((zh, int(rank), pos == "v"))
        found.sort(key=lambda x: x[1])
        return [
            (zh, r)
            for zh, r, v in found
            if (not best_only or r == 0) and (verb is None or v == verb)
        ]

    def en_to_ms(self, en: str, verb: bool | None = None) -> list[tuple[str, int]]:
        """First-sense Malay forms and their rank; ``verb`` (from a pivot) keeps that part
        of speech when the dictionary has it."""
        entries = _get(self.en_ms, en)
        if verb is not None and any(v == verb for v, _s in entries):
            entries = [e for e in entries if e[0] == verb]
        out: dict[str, int] = {}
        for _v, senses in entries:
            for i, form in enumerate(senses[0] if senses else ()):
                out.setdefault(form, i)
        return sorted(out.items(), key=lambda x: x[1])

    def ms_to_en(self, ms: str) -> list[tuple[str, bool, int]]:
        """(english, is a verb, rank): the English headwords that have ``ms`` among the
        Malay forms of one of their first senses."""
        found = sorted(_get(self.ms_en, ms), key=lambda x: x[1])
        out: dict[tuple[str, bool], int] = {}
        for en, n, verb in found:
            out.setdefault((en, verb), n * 100)
        return [(en, verb, r) for (en, verb), r in out.items()]

    def knows(self, text: str, lang: str) -> bool:
        if lang == "zh":
            return text in self.zh_en
        if lang == "en":
            return any(k in self._en_zh for k in _keys(text)) or bool(_get(self.en_ms, text))
        return bool(_get(self.ms_en, text))

    # -- what the query plugin asks ------------------------------------------------------

    def translate(self, text: str, lang: str) -> list[Translation]:
        """Candidate translations of ``text`` (a language-``lang`` word or phrase) into
        the other two languages, best first, before pruning."""
        out: list[Translation] = []
        if lang == "zh":
            english = self.zh_to_en(text)
            out += [Translation(en, "en", CEDICT, rank=r) for en, _v, r in english]
            # Through English: only a first translation, with its part of speech.
            for en, verb, r in english:
                if r == 0:
                    out += [
                        Translation(ms, "ms", PIVOT, en, r2) for ms, r2 in self.en_to_ms(en, verb)
                    ]
        elif lang == "en":
            out += [Translation(zh, "zh", CEDICT, rank=r) for zh, r in self.en_to_zh(text)]
            out += [Translation(ms, "ms", FREEDICT, rank=r) for ms, r in self.en_to_ms(text)]
        elif lang == "ms":
            english = self.ms_to_en(text)
            out += [Translation(en, "en", FREEDICT, rank=r) for en, _v, r in english]
            for en, verb, r in english:
                if r == 0:
                    out += [
                        Translation(zh, "zh", PIVOT, en, r2)
                        for zh, r2 in self.en_to_zh(en, best_only=True, verb=verb)
                    ]
        return out


@lru_cache(maxsize=1)
def shipped() -> Dictionaries:
    return Dictionaries(
        SortedTable.read(CEDICT_FILE), SortedTable.read(CEDICT_REVERSE_FILE), _read(FREEDICT_FILE)
    )


def reverse_cedict(rows: list[list[str]]) -> list[str]:
    """The English-first lines of CC-CEDICT's rows (``zh, sense, sense...``):
    ``english<TAB>zh|rank|v-or-n...``, closest first (the build writes them)."""
    en_zh: dict[str, list[tuple[int, str]]] = {}
    for zh, *senses in rows:
        for n, sense in enumerate(senses[:REVERSE_SENSES]):
            for i, en in enumerate(sense.split("; ")):
                english, verb = _verb(en)
                rank = n * 100 + min(i, 1)
                item = f"{zh}|{rank}|{'v' if verb else 'n'}"
                en_zh.setdefault(english.lower(), []).append((rank, item))
    return [
        "\t".join([en, *(item for _r, item in sorted(items, key=lambda x: x[0]))])
        for en, items in sorted(en_zh.items())
        if "\t" not in en
    ]


def prune(
    candidates: list[Translation],
    frequency: Callable[[str, str], int],
    typed: str,
    cap: int = CAP,
) -> list[Translation]:
    """The candidates a query searches: not the typed text again, not only stop words,
    in the index (``frequency(form, lang)`` above 0: the articles with its words), at
    most ``cap`` per language; the closest sense first, then the more common form."""
    from indexer.analyse.latin import stop_words
    from indexer.analyse.normalize import normalize_text

    stops = stop_words()
    typed_norm = normalize_text(typed)
    scored = []
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate(candidates):
        norm = normalize_text(t.form)
        if norm == typed_norm or (t.lang, norm) in seen:
            continue
        seen.add((t.lang, norm))
        if t.lang != "zh" and all(w in stops for w in re.findall(r"\w+", norm)):
            continue
        df = frequency(t.form, t.lang)
        if df > 0:
            scored.append(((t.rank, -df, i), t))
    kept: list[Translation] = []
    per_lang: dict[str, int] = {}
    for _key, t in sorted(scored, key=lambda x: x[0]):
        if per_lang.get(t.lang, 0) < cap:
            per_lang[t.lang] = per_lang.get(t.lang, 0) + 1
            kept.append(t)
    return kept


class IndexWords:
    """``frequency(form, lang)``: how many articles have the rarest word of ``form``
    (analysed for ``lang``) in that language's title or body field; 0 when the index
    does not have every word."""

    def __init__(self, reader):
        self.reader = reader
        self._cache: dict[tuple[str, str], int] = {}

    def __call__(self, form: str, lang: str) -> int:
        key = (form, lang)
        if key not in self._cache:
            self._cache[key] = self._frequency(form, lang)
        return self._cache[key]

    def _frequency(self, form: str, lang: str) -> int:
        from indexer.analyse.fields import analyze
        from indexer.schema import lang_field

        terms = [t for t, *_ in analyze(form, lang, "query")]
        if not terms:
            return 0
        fields = [lang_field(part, lang) for part in ("title", "body")]
        return min(max(self.reader.doc_frequency(f, term) for f in fields) for term in terms)


@dataclass(frozen=True)
class DictionaryEntry:
    """What ``--explain`` shows for a dictionary expansion, shaped like a glossary entry:
    the forms per language (the typed word first), and where they came from."""

    forms: dict[str, tuple[str, ...]]
    kind: str
    source: str  # "cc-cedict", "freedict", "pivot via rubber (cc-cedict, freedict)"

    @classmethod
    def of(cls, typed: str, lang: str, source: str, found: list[Translation]) -> DictionaryEntry:
        forms: dict[str, tuple[str, ...]] = {lang: (typed,)}
        for t in found:
            forms[t.lang] = (*forms.get(t.lang, ()), t.form)
        where = source
        if source == PIVOT:
            via = ", ".join(dict.fromkeys(t.via for t in found))
            where = f"{PIVOT} via {via} ({CEDICT}, {FREEDICT})"
        return cls(forms=forms, kind="", source=where)

    @property
    def label(self) -> str:
        return " / ".join(v[0] for v in self.forms.values())

    def added(self) -> dict[str, list[str]]:
        first = next(iter(self.forms))
        return {lang: list(v) for lang, v in self.forms.items() if lang != first}

    def as_json(self) -> dict:
        return {
            "forms": {lang: list(self.forms.get(lang, ())) for lang in ("en", "ms", "zh")},
            "kind": self.kind,
            "source": self.source,
        }
