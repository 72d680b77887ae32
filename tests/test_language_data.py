"""Checks of the curated language resources in ``indexer/data/``.

Every file parses, has a header comment, and has no blank-only lines or duplicates; the
spelling map has no chains; the stop word lists keep the words news search needs; and the
Malay root and protected lists give the stems tabled below when applied the way the Malay
stemmer filter applies them: Sastrawi's dictionary extended by both files, protected words
returned as they are.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "indexer" / "data"

STOPWORDS_EN = DATA / "stopwords_en.txt"
STOPWORDS_MS = DATA / "stopwords_ms.txt"
SPELLING_EN = DATA / "spelling_en.tsv"
MS_ROOTS = DATA / "ms_roots.txt"
MS_PROTECTED = DATA / "ms_protected.txt"
USERDICT_ZH = DATA / "userdict_zh.txt"

ALL_FILES = [STOPWORDS_EN, STOPWORDS_MS, SPELLING_EN, MS_ROOTS, MS_PROTECTED, USERDICT_ZH]

HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
LOWER_WORD = re.compile(r"^[a-z]+(?:-[a-z]+)*$")


def entries(path: Path) -> list[str]:
    """The entry lines of a data file: comments and empty lines skipped."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        out.append(line)
    return out


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_file_has_header_and_clean_lines(path):
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines and lines[0].startswith("# "), "a header comment must open the file"
    assert text.endswith("\n")
    assert "\r" not in text
    for n, line in enumerate(lines, 1):
        assert line == line.strip() or line.startswith("#"), f"{path.name}:{n}: stray blanks"
    assert entries(path), "no entries"


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_no_duplicate_entries(path):
    keys = [line.split("\t")[0].split()[0] for line in entries(path)]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    assert not dupes


# --- stop words --------------------------------------------------------------------------

# Acronyms and content words that collide with function words.
MUST_KEEP_EN = {"us", "may", "will", "can", "who", "it", "is", "am", "might", "mine", "up"}
MUST_KEEP_MS = {"negara", "kerajaan", "menteri", "tahun", "rakyat", "isu", "sementara"}


@pytest.mark.parametrize(
    ("path", "keep", "size"),
    [(STOPWORDS_EN, MUST_KEEP_EN, (100, 160)), (STOPWORDS_MS, MUST_KEEP_MS, (100, 160))],
    ids=["en", "ms"],
)
def test_stopwords(path, keep, size):
    words = entries(path)
    assert size[0] <= len(words) <= size[1]
    for w in words:
        assert LOWER_WORD.match(w), w
        assert len(w) > 1, f"single letters are not stop words: {w}"
    assert not keep & set(words)


def test_malay_stopwords_include_the_basics():
    words = set(entries(STOPWORDS_MS))
    basics = "dan yang di ke dari daripada untuk dengan pada ini itu dalam akan telah oleh"
    assert set(basics.split()) <= words


# --- British to American spelling ------------------------------------------------------


@cache
def spelling() -> dict[str, str]:
    out = {}
    for line in entries(SPELLING_EN):
        cols = line.split("\t")
        assert len(cols) == 2, f"two TAB-separated columns expected: {line!r}"
        out[cols[0]] = cols[1]
    return out


def test_spelling_pairs_are_real():
    pairs = spelling()
    assert len(pairs) >= 300
    for british, american in pairs.items():
        assert LOWER_WORD.match(british), british
        assert LOWER_WORD.match(american), american
        assert british != american


def test_spelling_has_no_chains_or_cycles():
    pairs = spelling()
    assert not set(pairs.values()) & set(pairs), "an American form is also a British form"


def test_spelling_covers_the_defence_vocabulary():
    pairs = spelling()
    for british, american in [
        ("defence", "defense"),
        ("programme", "program"),
        ("organisation", "organization"),
        ("manoeuvres", "maneuvers"),
        ("armoured", "armored"),
        ("neighbouring", "neighboring"),
        ("centre", "center"),
        ("modernisation", "modernization"),
        ("criticised", "criticized"),
        ("travelled", "traveled"),
    ]:
        assert pairs[british] == american
    for ambiguous in ("tyre", "kerb", "cheque", "draught", "storey", "analyses"):
        assert ambiguous not in pairs


# --- Malay stemming --------------------------------------------------------------------


@cache
def malay_stem():
    from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
    from Sastrawi.Stemmer.Stemmer import Stemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    protected = frozenset(entries(MS_PROTECTED))
    words = StemmerFactory().get_words() + entries(MS_ROOTS) + sorted(protected)
    stemmer = Stemmer(ArrayDictionary(words))

    def stem(word: str) -> str:
        return word if word in protected else stemmer.stem(word)

    return stem


MALAY_STEMS = [
    # the words of the stemmer comparison in NOTES-deps.md
    ("pertahanan", "pertahanan"),  # protected: Sastrawi says tahan (hold; ditahan = arrested)
    ("keselamatan", "keselamatan"),  # protected: Sastrawi says selamat (safe, rescue)
    ("kerjasama", "kerjasama"),
    ("bekerjasama", "kerjasama"),
    ("mesyuarat", "mesyuarat"),
    ("bermesyuarat", "mesyuarat"),
    ("dipengerusikan", "pengerusi"),
    ("pengerusinya", "pengerusi"),
    ("kerusi", "kerusi"),  # a (parliamentary) seat stays apart from the chairman
    ("perpaduan", "padu"),
    ("serantau", "rantau"),
    ("kestabilan", "stabil"),
    ("pertemuan", "temu"),
    ("bersama", "sama"),
    ("kementerian", "menteri"),
    ("menteri-menteri", "menteri"),
    ("ketenteraan", "tentera"),
    ("persidangan", "sidang"),
    # words Porter would have mangled
    ("bas", "bas"),
    ("jenis", "jenis"),
    ("kelas", "kelas"),
    # protected words and their inflections
    ("kerajaan", "kerajaan"),
    ("kerajaannya", "kerajaan"),
    ("angkatan", "angkatan"),
    ("pasukannya", "pasukan"),
    ("perisikan", "perisikan"),
    ("perairan", "perairan"),
    ("mengawal", "mengawal"),
    ("pendapatan", "pendapatan"),
    ("berpendapat", "pendapat"),
    # Malay roots missing from the Indonesian dictionary
    ("kesihatan", "sihat"),
    ("bersetuju", "setuju"),
    ("persetujuan", "setuju"),
    ("kesedaran", "sedar"),
    ("berbeza", "beza"),
    ("perbezaan", "beza"),
    ("perkahwinan", "kahwin"),
    ("memberitahu", "beritahu"),
    ("difahamkan", "faham"),
    ("merasmikan", "rasmi"),
    ("penguatkuasaan", "kuatkuasa"),
    ("menandatangani", "tandatangan"),
    ("peratusan", "peratus"),
    ("rakannya", "rakan"),
    ("partinya", "parti"),
    # names and loanwords Sastrawi would cut
    ("kelantan", "kelantan"),
    ("hadi", "hadi"),
    ("disember", "disember"),
    ("kualiti", "kualiti"),
    # unchanged or already right
    ("kesiapsiagaan", "kesiapsiagaan"),
    ("syarikat", "syarikat"),
    ("menteri", "menteri"),
    ("tentera", "tentera"),
    ("pelaburan", "pelabur"),
    ("keganasan", "ganas"),
    ("pencerobohan", "ceroboh"),
    ("kedaulatan", "daulat"),
    ("berkata", "kata"),
    ("katanya", "kata"),
]


@pytest.mark.parametrize(("word", "expected"), MALAY_STEMS)
def test_malay_stem(word, expected):
    assert malay_stem()(word) == expected


def test_malay_roots_and_protected_words():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    sastrawi = set(StemmerFactory().get_words())
    roots = entries(MS_ROOTS)
    protected = entries(MS_PROTECTED)
    assert len(roots) >= 250
    assert len(protected) >= 30
    for w in roots + protected:
        assert LOWER_WORD.match(w), w
    assert not set(roots) & sastrawi, "roots already in Sastrawi's dictionary add nothing"
    assert not set(roots) & set(protected)
    assert {"kerajaan", "pertahanan", "keselamatan"} <= set(protected)


def test_sastrawi_root_list_is_sorted_lines():
    """``latin._Roots`` bisects Sastrawi's list in its text until it makes a set: that
    needs the pinned file sorted, one root a line, no blank line."""
    from indexer.analyse.latin import _sastrawi_roots_text

    lines = _sastrawi_roots_text().strip("\n").split("\n")
    assert len(lines) > 29_000
    assert lines == sorted(set(lines))
    assert all(line and not line.isspace() and line == line.strip() for line in lines)


def _reference_roots() -> set[str]:
    """The roots as Sastrawi's ``ArrayDictionary`` held them before ``_Roots``."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    words = StemmerFactory().get_words() + entries(MS_ROOTS) + entries(MS_PROTECTED)
    return {w for w in words if w and not w.isspace()}


@cache
def _roots_probe() -> list[str]:
    roots = sorted(_reference_roots())
    near = [w[:-1] for w in roots[::7]] + [w + "a" for w in roots[::11]] + roots[::3]
    odd = ["", " ", "\n", "a\nb", "makan\n", " makan", "zzzz", "aaaa", "\x00", "\uffff"]
    return near + odd


@pytest.mark.parametrize("set_after", [0, 10**9])
def test_malay_roots_answer_as_a_set_would(monkeypatch, set_after):
    """Bisecting the sorted text (few lookups) and the set (many) give the same answers."""
    from indexer.analyse import latin

    monkeypatch.setattr(latin, "_ROOTS_SET_AFTER", set_after)
    reference = _reference_roots()
    roots = latin.MalayStemmer()._stemmer.dictionary
    for word in _roots_probe():
        assert roots.contains(word) == (word in reference), repr(word)
    assert roots.as_set() == reference


# --- Chinese user dictionary -----------------------------------------------------------


def test_userdict_format():
    entries_ = entries(USERDICT_ZH)
    assert len(entries_) >= 150
    for line in entries_:
        fields = line.split()
        assert 1 <= len(fields) <= 3, line
        assert HAN.match(fields[0]), line
        if len(fields) >= 2:
            assert fields[1].isdigit() and int(fields[1]) >= 1, line
        if len(fields) == 3:
            assert fields[2].isalpha() and fields[2].islower(), line


def test_userdict_fixes_segmentation():
    rjieba = pytest.importorskip("rjieba")
    before = rjieba.Jieba()
    after = rjieba.Jieba()
    for line in entries(USERDICT_ZH):
        word, freq, tag = line.split()
        after.add_word(word, int(freq), tag)
    for text, words in [
        ("首相拿督斯里安华今天在布城表示", ["拿督斯里", "安华"]),
        ("总理安瓦尔今天会见来访的外国代表团", ["安瓦尔"]),
        ("菲律宾总统小马科斯出席", ["小马科斯"]),
        ("越南总理范明政发表视频致辞", ["范明政"]),
        ("柔佛州苏丹依布拉欣陛下", ["依布拉欣"]),
    ]:
        assert not set(words) <= set(before.cut(text))
        assert set(words) <= set(after.cut(text))
    # compounds are left to jieba's split into words
    assert after.cut("东盟防长扩大会议") == ["东盟", "防长", "扩大", "会议"]
    # a place name must not swallow a neighbouring word
    assert "山火" in after.cut("燃起一场新山火")
