"""Phrase highlighting reads the term stream only where a phrase can start
(``search.snippets._phrase_spans``): the same spans as reading the whole text's stream
(``_term_stream``) and comparing every window, on texts made of words, stop words,
Malay reduplications, compounds, apostrophes and joiners."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.analyse.latin import PART_RE, stemmer_for
from indexer.analyse.normalize import normalize
from search.snippets import Needles, _phrase_spans, _term_stream, find_spans

ROOT = Path(__file__).resolve().parent.parent

PIECES = [
    "minister",
    "Ministers'",
    "minister's",
    "o'minister",
    "defence",
    "DEFENSE",
    "of",
    "the",
    "menteri",
    "menteri-menteri",
    "pertahanan",
    "mempertahankan",
    "sama",
    "bersama-sama",
    "F-16",
    "16",
    "x16",
    "ASEAN",
    "asean's",
    "东盟",
    "www.asean.org/defence",
    "-",
    ".",
    "/",
    "'",
    "’",
    " ",
    " ",
    ", ",
    "\n",
    "é",
]

PHRASES = {
    "en": [
        ("minist", "defens"),
        ("defens", "minist"),
        ("asean", "defens", "minist"),
        ("16", "defens"),
        ("f", "16"),
        ("minist", "minist"),
    ],
    "ms": [
        ("menteri", "pertahanan"),
        ("tahan", "menteri"),
        ("sama", "menteri"),
        ("menteri", "menteri"),
        ("asean", "menteri"),
        ("f", "16"),
    ],
}


def whole_stream_spans(text: str, lang: str, phrases) -> list[tuple[int, int]]:
    """Every window of the whole text's term stream: what find_spans did before."""
    needles = Needles(phrases={lang: set(phrases)})
    norm = normalize(text)
    stream = _term_stream(norm.text, lang, needles, stemmer_for(lang))
    spans = set()
    for words in phrases:
        n = len(words)
        for i in range(len(stream) - n + 1):
            if all(stream[i + k][0] == words[k] for k in range(n)):
                spans.add(norm.span(stream[i][1], stream[i + n - 1][2]))
    return sorted(spans)


def read_where_needed(text: str, lang: str, phrases) -> list[tuple[int, int]]:
    needles = Needles(phrases={lang: set(phrases)})
    norm = normalize(text)
    present = set(PART_RE.findall(norm.text))
    got = _phrase_spans(norm.text, norm, lang, set(phrases), needles, stemmer_for(lang), present)
    return sorted(set(got))


@settings(max_examples=400, deadline=None)
@example(pieces=["menteri-menteri", " ", "pertahanan"], lang="ms", picks=[0])
@example(pieces=["bersama-sama", " ", "menteri"], lang="ms", picks=[1])
@example(pieces=["ASEAN", " ", "of", " ", "defence", " ", "Ministers'"], lang="en", picks=[2])
@example(pieces=["F-16", " ", "defence"], lang="en", picks=[3, 4])
@given(
    pieces=st.lists(st.sampled_from(PIECES), max_size=40),
    lang=st.sampled_from(["en", "ms"]),
    picks=st.lists(st.integers(0, 5), min_size=1, max_size=3),
)
def test_phrases_found_where_needed_are_those_of_the_whole_stream(pieces, lang, picks):
    phrases = {PHRASES[lang][i % len(PHRASES[lang])] for i in picks}
    text = "".join(pieces)
    assert read_where_needed(text, lang, phrases) == whole_stream_spans(text, lang, phrases)


def test_a_phrase_is_found_at_each_place_and_only_whole():
    text = (
        "Menteri pertahanan, menteri-menteri pertahanan; pertahanan menteri. menteri x pertahanan"
    )
    spans = read_where_needed(text, "ms", {("menteri", "pertahanan")})
    assert [text[a:b] for a, b in spans] == [
        "Menteri pertahanan",
        "menteri-menteri pertahanan",
    ]
    assert spans == whole_stream_spans(text, "ms", {("menteri", "pertahanan")})


def test_the_stream_is_read_only_where_a_phrase_can_start(monkeypatch):
    import search.snippets as snippets

    reads = []
    whole = snippets._stream

    def counted(s, pos, lang, term):
        reads.append(pos)
        return whole(s, pos, lang, term)

    monkeypatch.setattr(snippets, "_stream", counted)
    needles = Needles(phrases={"en": {("south", "china", "sea")}})
    text = "south china " * 1000  # no "sea": nothing can match, nothing is read
    assert find_spans(text, needles) == []
    assert reads == []
    text = "north china " * 1000 + "South China Sea"
    assert [text[a:b] for a, b in find_spans(text, needles)] == ["South China Sea"]
    assert reads == [len(text) - len("South China Sea")]


WORDS = [
    "minister",
    "ministers",
    "minister's",
    "minister’s",
    "o'minister",
    "defence",
    "defense",
    "defended",
    "mempertahankan",
    "pertahanan",
    "kementerian",
    "menteri",
    "menterinya",
    "akan",
    "ambil",
    "mengambil",
    "16",
    "2016",
    "x16",
    "东盟",
    "ひらがな",
    "é",
    "s",
    "asean's",
    "ta'han",  # a Malay key (aha) only once the apostrophe is gone
    "menteri’s",
    "enquiry",  # folded to inquiry before stemming: another first letter
    "enquiries",
    "inquiries",
    "gaol",
    "jails",
    "'tis",
    "’defence",
]


@settings(max_examples=200, deadline=None)
@given(
    en=st.sets(st.sampled_from(["minist", "defens", "16", "asean", "inquiri", "jail", "tis"])),
    ms=st.sets(st.sampled_from(["menteri", "tahan", "ambil", "2016"])),
    surface=st.sets(st.sampled_from(["defended", "akan"])),
    patterns=st.sets(st.sampled_from([r"a.*", r"min.*", r"\d.*"])),
)
def test_judging_new_words_at_once_agrees_with_one_word_at_a_time(en, ms, surface, patterns):
    from search.snippets import _judge, _keys, _matches

    needles = Needles(en=set(en), ms=set(ms), surface=set(surface), patterns=set(patterns))
    en_stem = stemmer_for("en") if en else None
    ms_stem = stemmer_for("ms") if ms else None
    expected = [w for w in WORDS if _matches(w, needles, en_stem, ms_stem, _keys(needles.ms))]
    # a set: the English side is looked up through a memo of every word judged before
    # (_EnglishTerms), across the examples, so the later ones read it warm
    assert _judge(set(WORDS), needles, en_stem, ms_stem) == set(expected)
    assert needles.seen == {w: w in expected for w in WORDS}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_ascii_words_cut_as_part_re_cuts_them(text):
    from indexer.analyse.latin import PART_RE
    from search.snippets import ASCII_PART_RE

    assert ASCII_PART_RE.findall(text) == PART_RE.findall(text)
    assert ASCII_PART_RE.findall(text.lower() + " o'neil 1mdb x_1 ") == PART_RE.findall(
        text.lower() + " o'neil 1mdb x_1 "
    )


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.characters(max_codepoint=127), max_size=80)
    | st.lists(st.sampled_from(["o'neil", "1mdb", "x_1", "'s", "a'", "''", "2'3", "ab", " "])).map(
        "".join
    )
)
def test_ascii_words_listed_as_the_regex_lists_them(text):
    """``_ascii_words`` (translate and split) gives the words ``ASCII_PART_RE`` finds."""
    from search.snippets import ASCII_PART_RE, _ascii_words

    for t in (text, text.lower()):
        assert _ascii_words(t) == set(ASCII_PART_RE.findall(t))


def test_english_stems_keep_the_first_letter_but_for_spelling_folds():
    """``_EnglishTerms.matching`` stems only the words beginning as a query term does (or
    with an apostrophe, or folded to another first letter): Snowball's English stem of
    every word of the bundled corpus, of the test fixtures and of the stemmer's exceptions
    begins as the word."""
    import re

    from indexer.analyse.latin import EnglishStemmer
    from search.snippets import _EnglishTerms, _without_apostrophes

    stem = EnglishStemmer()
    words = {"skis", "dying", "lying", "tying", "idly", "gently", "ugly", "early", "only"}
    words |= {"singly", "sky", "news", "howe", "atlas", "cosmos", "bias", "andes", "yelling"}
    texts = [*(ROOT / "corpus").iterdir(), *(ROOT / "tests" / "fixtures").rglob("*")]
    for path in texts:
        if path.is_file() and path.suffix in {".txt", ".md", ".html", ".json", ".jsonl"}:
            text = path.read_text("utf-8", errors="replace").lower()
            words |= set(re.findall(r"[a-z][a-z'’]*", text))
    bare = sorted({_without_apostrophes(w) for w in words} - {""})
    assert len(bare) > 500
    spelling = stem.spelling
    for word, got in zip(bare, stem.many(bare), strict=True):
        assert got[:1] == spelling.get(word, word)[:1], word
    assert {"enquiry", "gaol"} <= _EnglishTerms(stem).refolded
    assert _EnglishTerms(lambda w: w).refolded is None  # another stemmer: every word stemmed


def test_judging_past_the_memo_of_english_terms(monkeypatch):
    """Once the memo of words' English terms is full, new words are judged afresh: the
    same verdicts, nothing more remembered."""
    import search.snippets as snippets

    monkeypatch.setattr(snippets, "_english", None)
    monkeypatch.setattr(snippets, "_CACHE_WORDS", 3)
    needles = Needles(en={"minist", "16"}, ms={"tahan"})
    en_stem, ms_stem = stemmer_for("en"), stemmer_for("ms")
    expected = {
        w
        for w in WORDS
        if snippets._matches(w, needles, en_stem, ms_stem, snippets._keys({"tahan"}))
    }
    assert expected and snippets._judge(set(WORDS), needles, en_stem, ms_stem) == expected
    assert len(snippets._english.term) == 3
    again = Needles(en={"minist", "16"}, ms={"tahan"})
    assert snippets._judge(set(WORDS), again, en_stem, ms_stem) == expected


def _every_word(needles: Needles) -> Needles:
    """Needles that cut every word of a text (no keys), as find_spans did before."""
    needles.latin_keys = ()
    return needles


@settings(max_examples=400, deadline=None)
@example(pieces=["o'minister", " ", "dying"], en=["die", "minist"], ms=[], surface=[], picks=[])
@example(pieces=["leukaemia", "’", "s"], en=["leukemia"], ms=[], surface=[], picks=[])
@example(pieces=["ta'han", "东盟", "x16"], en=["16"], ms=["tahan"], surface=[], picks=[])
@given(
    pieces=st.lists(
        st.sampled_from(PIECES + WORDS + ["dying", "leukaemia", "“", "”", "—", "东盟defence"]),
        max_size=40,
    ),
    en=st.lists(st.sampled_from(["minist", "defens", "16", "asean", "inquiri", "die", "leukemia"])),
    ms=st.lists(st.sampled_from(["menteri", "tahan", "ambil", "2016", "sama"])),
    surface=st.lists(st.sampled_from(["defended", "akan", "menteri"])),
    picks=st.lists(st.integers(0, 5), max_size=2),
)
def test_words_found_around_the_keys_give_the_spans_of_every_word(pieces, en, ms, surface, picks):
    """find_spans cuts only the words around the places a text holds a key of the Latin
    needles (``_candidates``): the same spans as cutting and judging every word."""
    text = "".join(pieces)
    phrases = {lang: {PHRASES[lang][i] for i in picks} for lang in ("en", "ms") if picks}

    def needles():
        return Needles(en=set(en), ms=set(ms), surface=set(surface), phrases=dict(phrases))

    assert find_spans(text, needles()) == find_spans(text, _every_word(needles()))


def test_a_text_holding_the_keys_too_often_is_cut_whole(monkeypatch):
    import search.snippets as snippets

    text = "Defence ministers, defended; the minister's defence " * 5
    cut = []
    whole = snippets._ascii_words
    monkeypatch.setattr(snippets, "_ascii_words", lambda s: cut.append(s) or whole(s))
    expected = find_spans(text, _every_word(Needles(en={"defens", "minist"})))
    assert cut
    cut.clear()
    assert find_spans(text, Needles(en={"defens", "minist"})) == expected and not cut
    monkeypatch.setattr(snippets, "_MAX_PLACES", 8)
    assert find_spans(text, Needles(en={"defens", "minist"})) == expected and cut
    # wildcards: any word can match, every word is cut
    assert snippets._latin_keys(Needles(en={"defens"}, patterns={"min.*"})) == ()


def test_a_word_contains_a_key_of_its_english_term():
    """``_english_keys``: every word (without an apostrophe) of the bundled corpus, the
    fixtures, the spelling map and the stemmer's exceptions holds a key of its English
    term, so a word a query's English term matches is among those cut around the keys."""

    from search.snippets import _english_keys, _EnglishTerms

    stem = stemmer_for("en")
    words = {"skis", "skies", "dying", "lying", "tying", "vying", "idly", "gently", "ugly"}
    words |= {"early", "only", "singly", "sky", "news", "howe", "atlas", "cosmos", "bias"}
    words |= {"andes", "yelling", "sensibility", "happiness", "relational", "generously"}
    words |= set(stem.spelling) | set(stem.spelling.values())
    texts = [*(ROOT / "corpus").iterdir(), *(ROOT / "tests" / "fixtures").rglob("*")]
    for path in texts:
        if path.is_file() and path.suffix in {".txt", ".md", ".html", ".json", ".jsonl"}:
            text = normalize(path.read_text("utf-8", errors="replace")).text
            words |= {w for w in PART_RE.findall(text) if w[0] <= "\u2fff"}
    words = {w for w in words if "'" not in w and "’" not in w}
    assert len(words) > 2000
    terms = _EnglishTerms(stem)
    for word in words:
        term = terms.of(word)
        assert any(k in word for k in _english_keys({term})), (word, term)


def test_the_spelling_maps_words_grouped_by_their_english_term():
    """``_spelling_sources`` (the spelling map's words stemmed in one call) groups each
    word under the term the stemmer gives it one word at a time."""
    from search.snippets import _spelling_sources

    stem = stemmer_for("en")
    expected: dict = {}
    for word in stem.spelling:
        expected.setdefault(stem(word), set()).add(word)
    assert _spelling_sources() == {t: frozenset(ws) for t, ws in expected.items()}
    assert "leukaemia" in _spelling_sources()[stem("leukemia")]
