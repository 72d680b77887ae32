"""Quoted phrases match as written, not by their stems (issue 14, ``search.exact``)."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.analyse.latin import PART_RE
from indexer.analyse.normalize import HAN_CLASS, HAS_HAN, normalize
from indexer.write.build import build_index
from search import Searcher
from search.exact import ExactText
from search.relevance import ALL, Features

OLD = Features(exact_phrases=False)

ARTICLES = {
    # Malay: the ministry, never the minister
    "kementerian.txt": "Kementerian Pertahanan umum bajet\n\n"
    "KUALA LUMPUR: Kementerian Pertahanan mengumumkan bajet baharu untuk tentera.",
    # the minister, in the body only; the title has the ministry
    "menteri.txt": "Kementerian Pertahanan sambut tetamu\n\n"
    "Menteri Pertahanan hadir di majlis itu bersama pegawai tentera.",
    # full width and upper case
    "lebar.txt": "Lawatan rasmi\n\nＭＥＮＴＥＲＩ　ＰＥＲＴＡＨＡＮＡＮ tiba di Sabah.",
    # a reduplicated word's parts are words: menteri-menteri pertahanan
    "reduplikasi.txt": "Mesyuarat serantau\n\nMenteri-menteri pertahanan ASEAN bermesyuarat.",
    # one word: permainan as written, pemain only shares its stem (main)
    "permainan.txt": "Permainan tradisional\n\nPermainan tradisional perlu dipelihara oleh belia.",
    "pemain.txt": "Pemain bola sepak\n\nSeorang pemain bola sepak cedera semasa latihan.",
    # Chinese: the characters together, and the same characters split by punctuation
    "buzhang.txt": "国防部长访问马来西亚\n\n国防部长今天抵达吉隆坡。",
    "traditional.txt": "國防部長訪問\n\n國防部長今天抵達。",
    "buzhang_split.txt": "会议消息\n\n国防部。部长级会议明天举行。",
    # English: stop words are written words; apostrophes belong to their word
    "minister_of.txt": "Visit\n\nThe Minister of Defence arrived in Sabah on Monday.",
    "minister_for.txt": "Talks\n\nThe Minister for Defence held talks on Monday.",
    "possessive.txt": "Reserves\n\nMalaysia’s reserves rose in March, the bank said.",
    "jets.txt": "Jets\n\nThe air force flew its F16 jets over the capital.",
    # mixed scripts: together, and apart
    "mixed.txt": "ASEAN 东盟 meeting\n\nLeaders met for the ASEAN 东盟 summit.",
    "mixed_apart.txt": "东盟 summit\n\nASEAN leaders met. 会议在东盟总部举行。",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("exact")
    docs = root / "docs"
    docs.mkdir()
    for name, text in ARTICLES.items():
        (docs / name).write_text(text + "\n", "utf-8")
    build_index([docs], root / "ix")
    return root / "ix"


def found(index, query, features=ALL, block_scoring=True, **kw) -> set[str]:
    with Searcher(index, features=features, block_scoring=block_scoring) as s:
        res = s.search(query, limit=100, suggest=False, **kw)
    return {h.id.removeprefix("docs/").removesuffix(".txt") for h in res.hits}


# the articles that say "menteri pertahanan" as written
MINISTER = {"menteri", "lebar", "reduplikasi"}


@pytest.mark.parametrize(
    "query, now, before",
    [
        # the minister, not the ministry (whose Malay stems are the same)
        ('"menteri pertahanan"', MINISTER, MINISTER | {"kementerian"}),
        ('"Kementerian Pertahanan"', {"kementerian", "menteri"}, MINISTER | {"kementerian"}),
        # title: the title as written, not the body
        ('title:"menteri pertahanan"', set(), {"kementerian", "menteri"}),
        ('body:"menteri pertahanan"', MINISTER, MINISTER | {"kementerian"}),
        # one quoted word: that word as written, not its stem
        ('"permainan"', {"permainan"}, {"permainan", "pemain"}),
        ('"Malaysia"', set(), {"possessive"}),
        # Chinese: the characters together (Traditional too), spaces typed between ignored
        ('"国防部长"', {"buzhang", "traditional"}, {"buzhang", "traditional", "buzhang_split"}),
        ('"国防 部长"', {"buzhang", "traditional"}, {"buzhang", "traditional", "buzhang_split"}),
        ('"minister of defence"', {"minister_of"}, {"minister_of", "minister_for"}),
        ('"Malaysia\'s reserves"', {"possessive"}, {"possessive"}),
        ('"F-16 jets"', {"jets"}, {"jets"}),
        ('"F 16"', {"jets"}, {"jets"}),
        # (by stems it was either word: each language field holds one of them)
        ('"ASEAN 东盟"', {"mixed"}, {"mixed", "mixed_apart", "reduplikasi"}),
        # a phrase inside NOT excludes only where it is written
        ('pertahanan NOT "menteri pertahanan"', {"kementerian"}, set()),
        ('"menteri pertahanan" OR permainan', MINISTER | {"permainan", "pemain"}, None),
    ],
)
def test_quoted_phrases_match_as_written(index, query, now, before):
    for block_scoring in (True, False):
        assert found(index, query, block_scoring=block_scoring) == now, block_scoring
    if before is not None:
        assert found(index, query, OLD) == before


def test_quoted_is_as_written_and_unquoted_by_stem(index):
    assert found(index, '"menteri pertahanan"') == MINISTER
    assert found(index, "menteri pertahanan") == MINISTER | {"kementerian"}
    assert found(index, '"permainan"') == {"permainan"}
    assert found(index, "permainan") == {"permainan", "pemain"}


@pytest.mark.parametrize(
    "query, expected",
    [
        ('"menteri pertahanan" tentera', {"menteri"}),  # kementerian has tentera too
        ('"permainan"', {"permainan"}),
        ('"国防部长" OR "ASEAN 东盟"', {"buzhang", "traditional", "mixed"}),
        (
            'title:"Kementerian Pertahanan" OR "minister of defence"',
            {"kementerian", "menteri", "minister_of"},
        ),
    ],
)
def test_both_scorers_find_and_score_exact_phrases_alike(index, query, expected):
    for match in ("all", "ranked"):
        results = []
        for block_scoring in (True, False):
            with Searcher(index, block_scoring=block_scoring) as s:
                res = s.search(query, limit=100, suggest=False, match=match)
            results.append(
                {h.id.removeprefix("docs/").removesuffix(".txt"): h.score for h in res.hits}
            )
        if match == "all":  # ranked: articles with tentera alone come too
            assert results[0].keys() == expected
        assert results[1].keys() == results[0].keys() >= expected
        for doc_id, score in results[1].items():
            assert results[0][doc_id] == pytest.approx(score, rel=1e-9)


def test_snippets_highlight_the_phrase_as_written(index):
    text = "Kementerian Pertahanan berkata Menteri Pertahanan akan hadir."
    with Searcher(index) as s:
        from search.query import positive_terms
        from search.snippets import find_spans, needles_from

        needles = needles_from(positive_terms(s.parse('"menteri pertahanan"')))
        spans = find_spans(text, needles)
        assert [text[a:b] for a, b in spans] == ["Menteri Pertahanan"]
        hit = next(h for h in s.search('"menteri pertahanan"').hits if h.id == "docs/menteri.txt")
        assert [hit.snippet[a:b] for a, b in hit.highlights] == ["Menteri Pertahanan"]
        assert hit.title_highlights == []  # the title has the ministry


def test_explain_says_a_phrase_is_matched_as_written(index):
    with Searcher(index) as s:
        info = s.explain('"国防 部长" "Menteri  Pertahanan" tentera')
        crossed = s.explain('"ASEAN 东盟"', cross=True)
    assert info["exact"] == [
        {"phrase": "国防 部长", "as_written": "国防部长"},
        {"phrase": "Menteri  Pertahanan", "as_written": "menteri pertahanan"},
    ]
    assert crossed["exact"] == [{"phrase": "ASEAN 东盟", "as_written": "asean 东盟"}]
    with Searcher(index, features=OLD) as s:
        assert "exact" not in s.explain('"国防 部长"')


# --- the pattern against the indexer's own reading of text, token by token -------------

_TOKEN = re.compile(f"[{HAN_CLASS}]|{PART_RE.pattern}")


def exact_spans_token_by_token(phrase: str, text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds ``phrase`` as written, read token by token: the phrase's
    tokens (Han characters, the indexer's word parts, ’ as ') consecutive among the
    text's; two Han characters that stand together in the phrase (or with only spaces
    between) stand together in the text, or with only whitespace between. Spans are of
    ``text``."""

    def tokens(norm):
        return [(m.group().replace("’", "'"), m.start(), m.end()) for m in _TOKEN.finditer(norm)]

    pnorm, tnorm = normalize(phrase).text, normalize(text)
    want, have = tokens(pnorm), tokens(tnorm.text)
    strict = [
        bool(HAS_HAN.match(a[0]) and HAS_HAN.match(b[0]) and not pnorm[a[2] : b[1]].strip())
        for a, b in zip(want, want[1:], strict=False)
    ]
    spans = []
    i = 0
    while want and i <= len(have) - len(want):
        run = have[i : i + len(want)]
        if [t for t, *_ in run] == [t for t, *_ in want] and all(
            not s or not tnorm.text[a[2] : b[1]].strip()
            for s, a, b in zip(strict, run, run[1:], strict=False)
        ):
            spans.append(tnorm.span(run[0][1], run[-1][2]))
            i += len(want)
        else:
            i += 1
    return spans


PIECES = [
    "menteri",
    "Menteri",
    "ＭＥＮＴＥＲＩ",
    "kementerian",
    "pertahanan",
    "PERTAHANAN",
    "minister",
    "minister's",
    "minister’s",
    "o'",
    "F",
    "16",
    "F-16",
    "2016",
    "国防",
    "部长",
    "國防",
    "部長",
    "东盟",
    "ASEAN",
    "İ",
    "K",  # Kelvin sign: lower-cases to ASCII k
    "é",
    "e\u0301",
    "ß",
    "Σ",
    "\ufb01",  # the fi ligature: NFKC makes it two ASCII letters, lower() does not
    "\u00a0",
    " ",
    "  ",
    "\n",
    "，",
    "。",
    "-",
    ".",
    "’",
    "'",
    "“",
    "x",
]
PHRASES = [
    "menteri pertahanan",
    "Minister's",
    "minister",
    "F-16",
    "f 16",
    "16",
    "国防部长",
    "国防 部长",
    "国防，部长",
    "ASEAN 东盟",
    "k",
    "é minister",
    "fi menteri",
]


@settings(max_examples=300, deadline=None)
@example(phrase="minister", pieces=["o'", "minister"])
@example(phrase="国防部长", pieces=["國防", "\n", "部長"])
@example(phrase="k", pieces=["K", "'", "x"])
@given(
    phrase=st.sampled_from(PHRASES),
    pieces=st.lists(st.sampled_from(PIECES), max_size=12),
)
def test_found_in_is_the_token_by_token_reading(phrase, pieces):
    text = "".join(pieces)
    assert ExactText(phrase).found_in(text) == bool(exact_spans_token_by_token(phrase, text))


@pytest.mark.parametrize(
    ("phrase", "text", "held"),
    [
        # non-ASCII text that folds as it lower-cases: read lower-cased, not normalised
        ("menteri pertahanan", "Kata “Menteri Pertahanan” semalam", True),
        ("menteri pertahanan", "Kata “Menteri” — pertahanan; Σ", True),
        ("menteri pertahanan", "Kata “Menteri pertahananku”", False),
        ("menteri pertahanan", "国防部長 menteri pertahanan", True),
        # folding that lower() does not do: the normalised text decides
        ("menteri pertahanan", "ＭＥＮＴＥＲＩ pertahanan “", True),
        ("fi menteri", "\ufb01 Menteri “", True),
        ("menteri pertahanan", "menteri\u00a0pertahanan “", True),
        ("menteri pertahanan", "mente\u0301ri pertahanan", False),
        ("menteri pertahanan", "Straße \ufb01 MENTERI Pertahanan", True),
        ("menteri pertahanan", "Straße \ufb01 MENTERI Pertahanan 國防", True),
        ("menteri pertahanan", "Straße \ufb01 MENTERI-Pertahananku", False),
    ],
)
def test_found_in_non_ascii_text(phrase, text, held):
    exact = ExactText(phrase)
    assert exact.found_in(text) is held
    assert held == bool(exact.regex.search(normalize(text).text))


def test_explain_on_the_command_line(index):
    from .conftest import invoke

    res = invoke("search", "--index", index, "--explain", '"Menteri Pertahanan"')
    assert res.exit_code == 0
    assert 'exact:      "Menteri Pertahanan" matched as written: menteri pertahanan' in res.stderr


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
@example("Kuala Lumpur – ‘menteri’ ﬁnal Straße ＡＢＣ 国防")
@example("café crème")
def test_folds_as_lower_is_the_character_by_character_reading(text):
    # ``_folds_as_lower`` finds the non-ASCII characters by regex and remembers each
    # one's answer: the same as asking every character of the text in turn.
    import unicodedata

    from indexer.analyse.normalize import _FOLD
    from search.exact import _folds_as_lower

    def by_hand(t: str) -> bool:
        return all(
            not (
                c > "\x7f"
                and (_FOLD[ord(c)] != c.lower() or unicodedata.combining(c))
                and not HAS_HAN.match(c)
            )
            for c in t
        )

    assert _folds_as_lower(text) == by_hand(text)
    assert _folds_as_lower(text) == by_hand(text)  # the remembered answers too
