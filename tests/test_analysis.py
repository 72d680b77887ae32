"""Language analysis: table-driven per language, and properties of offsets and positions."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analyse.chinese import han_bigram_tokens, han_word_tokens
from indexer.analyse.languages import language_texts, split_languages
from indexer.analyse.latin import latin_tokens
from indexer.analyse.normalize import normalize
from indexer.schema import make_schema


def terms(tokens):
    return [t[0] for t in tokens]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("defence", ["defens"]),
        ("defense", ["defens"]),
        ("programme programmes", ["program", "program"]),
        ("organisation organization", ["organiz", "organiz"]),
        ("Ministers meetings", ["minist", "meet"]),
        ("ASEAN’s ASEAN's", ["asean", "asean"]),
        ("F-16", ["f", "16"]),
        ("F16", ["f", "16"]),
        ("COVID-19", ["covid", "19"]),
        ("5PC", ["5", "pc"]),
        ("Timor-Leste", ["timor", "lest"]),
        ("Ｆ－１６ ＫＤ", ["f", "16", "kd"]),  # full width: nothing dropped
        ("the US and the UK", ["us", "uk"]),  # stop words go, US stays
        ("Plan A", ["plan", "a"]),  # single letters stay
    ],
)
def test_english(text, expected):
    assert terms(latin_tokens(text, "en")) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("menteri-menteri", ["menteri"]),
        ("Menteri-Menteri", ["menteri"]),
        ("kedua-dua", ["dua"]),
        ("bersama-sama", ["sama"]),
        ("keselamatan", ["keselamatan"]),  # protected: selamat is "safe", "welcome"
        ("pertahanan", ["pertahanan"]),  # protected: tahan is "hold", ditahan "arrested"
        ("pertahanannya", ["pertahanan"]),
        ("kerajaannya", ["kerajaan"]),  # not raja, "king"
        ("dipengerusikan", ["pengerusi"]),
        ("kementerian", ["menteri"]),
        ("kerjasama", ["kerjasama"]),
        ("mesyuarat", ["mesyuarat"]),
        ("kestabilan", ["stabil"]),
        ("bas jenis kelas", ["bas", "jenis", "kelas"]),  # Porter would give ba, jeni, kela
        ("ketenteraan", ["tentera"]),
        ("Timor-Leste", ["timor", "leste"]),
        ("ke-19", ["ke", "19"]),
        ("dan yang di", []),
    ],
)
def test_malay(text, expected):
    assert terms(latin_tokens(text, "ms")) == expected


def test_malay_is_never_porter_stemmed():
    # The same words analysed as English would lose letters; as Malay they must not.
    assert terms(latin_tokens("kelas", "ms")) == ["kelas"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("东盟防长会议", ["东盟", "防长", "会议"]),
        ("東盟防長會議", ["东盟", "防长", "会议"]),  # Traditional folded to Simplified
        ("南海局势", ["南海", "局势"]),
        ("中国农业发展银行", ["中国", "农业发展银行"]),
    ],
)
def test_chinese_words(text, expected):
    assert terms(han_word_tokens(text)) == expected


def test_chinese_bigrams_cover_every_substring():
    toks = terms(han_bigram_tokens("待处理"))
    assert toks == ["待处", "处理"]
    assert terms(han_bigram_tokens("华")) == ["华"]


def test_query_bigrams_join_runs_split_by_spaces():
    assert terms(han_bigram_tokens("东盟 防长", "query")) == ["东盟", "盟防", "防长"]
    assert terms(han_bigram_tokens("东盟 防长", "index")) == ["东盟", "防长"]


def test_chinese_positions_count_words_without_overlap():
    toks = han_word_tokens("东盟防长会议在吉隆坡举行")
    positions = [t[1] for t in toks]
    assert positions == list(range(len(toks)))


def test_latin_text_does_not_reach_chinese_fields_and_vice_versa():
    text = "东盟 ASEAN 防长"
    assert terms(han_word_tokens(text)) == ["东盟", "防长"]
    assert terms(latin_tokens(text, "en")) == ["asean"]


def test_han_runs_split_by_punctuation_or_digits_stay_adjacent():
    # a pasted headline must match itself as a phrase (Whoosh phrases need consecutive
    # positions): measured, full-title known-item search in Chinese went 0.64 -> see eval
    toks = han_word_tokens("东盟防长会议将从明日起至11月2日举行。中方：愿合作")
    assert [t[1] for t in toks] == list(range(len(toks)))
    toks = han_bigram_tokens("至11月2日")
    assert [t[1] for t in toks] == list(range(len(toks)))


@pytest.mark.parametrize(
    "text, langs",
    [
        ("Menteri Pertahanan Malaysia telah menghadiri mesyuarat itu semalam.", ["ms"]),
        ("The defence minister attended the meeting in Kuala Lumpur yesterday.", ["en"]),
        (
            "东盟防长会议将从明日起举行。\n"
            "The ASEAN Defence Ministers' Meeting begins tomorrow in Kuala Lumpur.",
            ["en", "zh"],
        ),
    ],
)
def test_languages_detected_per_line(text, langs):
    assert sorted(split_languages(text).langs) == sorted(langs)


def test_short_lines_take_the_language_of_the_rest():
    text = (
        "SABAH PORT STRIKE ENDS\n"
        "KOTA KINABALU, March 3 - Dock workers at the main port returned to work today after "
        "the operator agreed to review their pay, ending a strike that lasted nine days."
    )
    assert split_languages(text).langs == ["en"]
    title = split_languages("MALAYSIA, SINGAPORE INITIAL WATER PACT", default_latin="en")
    assert title.langs == ["en"]


ENGLISH_BODY = (
    "HONG KONG, March 3 - The chairman of the property group told reporters today that he\n"
    "expected profits to rise this year as rents in the territory keep climbing.\n"
    "Oper net loss 1,324,000 vs profit 4,067,000 a year ago, the company said in its statement"
)


def test_a_line_leaves_the_article_language_only_with_its_function_words():
    # lingua calls the headline and the figures line Malay; neither has a Malay function word.
    texts, langs = language_texts("CHEUNG KONG CHAIRMAN SEES STRONG RESULTS IN 1987", ENGLISH_BODY)
    assert langs == ["en"]
    assert "CHAIRMAN" in texts["title_en"] and "title_ms" not in texts
    assert "Oper net loss" in texts["body_en"] and "body_ms" not in texts
    # A Malay line with Malay function words keeps its own language.
    malay = "Hi, ada isu dengan sistem yang disebabkan oleh trafik tinggi di kawasan tengah"
    texts, _ = language_texts("CHEUNG KONG SEES STRONG RESULTS", ENGLISH_BODY + "\n" + malay)
    assert "trafik" in texts["body_ms"] and "trafik" not in texts["body_en"]
    assert "CHEUNG" in texts["title_en"]


def test_mixed_document_routes_each_line_to_its_language():
    text = (
        "Mesyuarat itu dipengerusikan oleh Menteri Pertahanan Malaysia semalam.\n"
        "The meeting was chaired by the Malaysian defence minister yesterday."
    )
    split = split_languages(text)
    assert "dipengerusikan" in split.values["ms"]
    assert "chaired" in split.values["en"]
    assert "chaired" not in split.values["ms"]


def test_analyzers_pickle_with_the_schema():
    schema = make_schema()
    again = pickle.loads(pickle.dumps(schema))
    assert again.names() == schema.names()
    analyzer = again["body_ms"].analyzer
    assert [t.text for t in analyzer("menteri-menteri", mode="query")] == ["menteri"]


def test_wildcard_text_is_normalised_not_stemmed():
    analyzer = make_schema()["body_en"].analyzer
    assert [t.text for t in analyzer("Defen*", tokenize=False)] == ["defen*"]


# --- properties ------------------------------------------------------------------------------

TEXT = st.text(
    alphabet=st.sampled_from(
        list("abcdefghijklmnopqrstuvwxyzABCDEFZ0123456789 -'’.,/\n")
        + list("东盟防长会议南海局势处理農業國長ＡＢＣ１２３－，。")
        + ["é", "ß", "İ"]
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_han_offsets_slice_to_the_token(text):
    for term, _pos, a, b in han_word_tokens(text) + han_bigram_tokens(text):
        assert normalize(text[a:b]).text.replace(" ", "") == term


@settings(max_examples=300, deadline=None)
@given(TEXT, st.sampled_from(["en", "ms"]))
def test_latin_offsets_slice_to_the_token(text, lang):
    for term, _pos, a, b in latin_tokens(text, lang):
        assert terms(latin_tokens(text[a:b], lang, removestops=False)) == [term]


@settings(max_examples=300, deadline=None)
@given(TEXT, st.sampled_from(["en", "ms", "zh", "zh2"]))
def test_positions_increase(text, lang):
    toks = (
        latin_tokens(text, lang)
        if lang in ("en", "ms")
        else han_word_tokens(text)
        if lang == "zh"
        else han_bigram_tokens(text)
    )
    positions = [t[1] for t in toks]
    assert positions == sorted(set(positions))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_analysis_never_raises_on_any_text(text):
    for lang in ("en", "ms"):
        latin_tokens(text, lang, mode="query")
    han_word_tokens(text, mode="query")
    han_bigram_tokens(text, mode="query")


def test_lines_whose_function_words_favour_the_main_language_are_not_detected(monkeypatch):
    """With the main language given, a line with no more of the other language's function
    words ends up main whatever the detector says: it is not asked (the parent's lingua
    time while indexing); a line with more of them is."""
    from indexer.analyse import languages

    asked = []

    def detect(line):
        asked.append(line)
        return "en" if line.startswith("The") else "ms"

    monkeypatch.setattr(languages, "_detect_latin", detect)
    malay = "Menteri pertahanan berkata kerjasama serantau akan diteruskan dengan negara jiran"
    malay2 = "Kenyataan itu dibuat selepas mesyuarat yang diadakan di ibu negara pada hari ini"
    english = "The minister said that the regional cooperation will continue with the neighbours"
    split = split_languages(f"{malay}\n{english}\n{malay2}", prefer="ms")
    # the English line, and the shortest Malay one (its answer settles the rest)
    assert asked == [english, malay2]
    assert split.values == {"ms": f"{malay}\n{malay2}", "en": english}


def test_undetected_lines_are_asked_after_all_when_an_unanswered_line_could_go_elsewhere(
    monkeypatch,
):
    """A detector with no answer leaves a line undecided, and undecided lines take the
    language most words were judged to be: when lines taken as main unasked could then go
    to the other language, they are asked, and the split is the one every line asked gives."""
    from indexer.analyse import languages

    asked = []

    def detect(line):
        asked.append(line)
        return None

    monkeypatch.setattr(languages, "_detect_latin", detect)
    malay = "Menteri pertahanan berkata kerjasama serantau akan diteruskan dengan negara jiran"
    split = split_languages(malay, prefer="ms")
    assert asked and asked[0] == malay  # asked after all
    assert split.values == {"en": malay}  # undecided, nothing judged: English, as before


def _settle_by_asking(assumed, counts, main, default_latin):
    """``languages._settle_assumed`` as it was before it skipped asking when nothing else
    was judged: the reference the shortcut must agree with."""
    from indexer.analyse import languages

    worst = dict(counts)
    worst[main] -= sum(item[1] for item in assumed)
    for item in sorted(assumed, key=lambda item: len(item[0])):
        if languages._fallback(worst) == main:
            return
        line, words, _ = item
        counts[main] -= words
        item[2] = languages._detect_latin(line)
        if item[2] is not None:
            counts[item[2]] += words
            worst[main] += words


_SPLIT_LINES = [
    "Menteri pertahanan berkata kerjasama serantau akan diteruskan dengan negara jiran",
    "Kenyataan itu dibuat selepas mesyuarat yang diadakan di ibu negara pada hari ini",
    "The minister said that the regional cooperation will continue with the neighbours",
    "Oper net loss 1,324,000 vs profit 4,067,000 in the year to June",
    "CHEUNG KONG CHAIRMAN SEES STRONG RESULTS IN 1987 AND BEYOND THAT",
    "Short line here",
    "东盟防长会议 ASEAN defence ministers meeting in Kuala Lumpur this week with partners",
]


@given(
    st.lists(st.sampled_from(_SPLIT_LINES), min_size=1, max_size=6),
    st.dictionaries(st.sampled_from(_SPLIT_LINES), st.sampled_from(["en", "ms", None])),
    st.sampled_from(["en", "ms"]),
)
@settings(max_examples=300, deadline=None)
def test_lines_taken_as_main_are_split_as_asking_every_line_would(lines, answers, main):
    """Indexing passes the declared language as both ``prefer`` and ``default_latin``;
    lines taken as main then need no detector call when no other line was judged (each
    article of one language, most of the corpus). Whatever the detector answers (None
    included), the split is the one the version that asked gives."""
    from indexer.analyse import languages

    asked = []

    def detect(line):
        asked.append(line)
        return answers.get(line, "en" if line.startswith(("The", "Oper")) else "ms")

    text = "\n".join(lines)
    old = languages._settle_assumed
    languages._detect_latin, saved = detect, languages._detect_latin
    try:
        fast = split_languages(text, default_latin=main, prefer=main)
        languages._settle_assumed = _settle_by_asking
        slow = split_languages(text, default_latin=main, prefer=main)
    finally:
        languages._detect_latin, languages._settle_assumed = saved, old
    assert (fast.values, fast.counts) == (slow.values, slow.counts)


def test_an_article_of_its_declared_language_asks_the_detector_nothing(monkeypatch):
    """One language throughout, declared by the source: no line is asked (it was one
    detector call an article, to learn what could not change the split)."""
    from indexer.analyse import languages

    asked = []
    monkeypatch.setattr(languages, "_detect_latin", lambda line: asked.append(line) or "en")
    malay = (
        "Menteri pertahanan berkata kerjasama serantau akan diteruskan dengan negara jiran\n"
        "Kenyataan itu dibuat selepas mesyuarat yang diadakan di ibu negara pada hari ini"
    )
    texts, langs = language_texts("Mesyuarat menteri pertahanan ASEAN", malay, "ms")
    assert asked == []
    assert langs == ["ms"] and texts["body_ms"] == malay


_INDEX_TERM_TEXTS = [
    "ASEAN Defence Ministers' Meeting: the F-16 and U.S.-made jets, 2025/26",
    "Menteri-menteri pertahanan ASEAN bermesyuarat di Kuala Lumpur; kerja-kerja diteruskan",
    "东盟防长会议将从明日起至11月2日举行。東盟國防部長會議 南海 局势",
    "Café naïve résumé — ＫＤ Ｆ１６ 東盟 x",
    "don't it’s O'Brien’s rock'n'roll 'quoted' ’",
    "中 a 国\n\nB\t東",
    "",
]


@given(st.text(alphabet="aé東盟国 -'’.\n1KD", max_size=40))
@settings(max_examples=200, deadline=None)
def test_index_terms_are_the_tokens_terms_at_consecutive_positions(text):
    """Indexing takes each analyzer's ``index_terms`` (no spans) and a term's index in it
    as its position (whoosh_internals/codec.py): the terms ``tokens_of`` gives, and, where
    the analyzer says so, positions counting 0, 1, 2, …"""
    from indexer.analyse.fields import ANALYZERS, SurfaceAnalyzer

    for t in [text, *_INDEX_TERM_TEXTS]:
        for analyzer in [*ANALYZERS.values(), SurfaceAnalyzer()]:
            tokens = analyzer.tokens_of(t, "index", True)
            assert analyzer.index_terms(t) == terms(tokens)
            if analyzer.consecutive_positions:
                assert [tok[1] for tok in tokens] == list(range(len(tokens)))
    assert not SurfaceAnalyzer.consecutive_positions  # its positions skip short words
