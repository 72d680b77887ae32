"""Ranked search over the fixture corpus through the Python API."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from indexer.errors import MlsearchError, QuerySyntaxError

from .test_exact_phrases import exact_spans_token_by_token

ZH_ASEAN = "news/zh/asean_defence.txt"
ZH_SEA = "news/zh/south_china_sea.txt"
ZH_BANK = "news/zh/bank.txt"
ZH_TRAD = "news/zh/traditional.txt"
MS_LATIHAN = "news/ms/latihan_maritim.txt"
MS_MESYUARAT = "news/ms/mesyuarat_menteri.txt"
EN_F16 = "news/en/f16_jets.txt"
EN_UK = "news/en/defence_british.txt"
EN_US = "news/en/defense_american.txt"
MIXED = "news/mixed_headline.txt"
HTML = "news/page.html"
FEED_1 = "news/feed-001"  # JSON records: their own ids
FEED_2 = "news/feed-002"


def ids(searcher, query, **kw):
    return [h.id for h in searcher.search(query, **kw).hits]


def marked(hit):
    return [hit.snippet[a:b] for a, b in hit.highlights]


@pytest.mark.parametrize(
    "query, first",
    [
        ("东盟 防长", ZH_ASEAN),
        ("南海局势", ZH_SEA),
        ("latihan maritim", MS_LATIHAN),
        ("mesyuarat menteri pertahanan", MS_MESYUARAT),
        ("F-16", EN_F16),
        ("patrol boats Sabah", HTML),
        ("palm oil", FEED_2),
        ("banjir", FEED_1),
    ],
)
def test_best_hit_first(searcher, query, first):
    assert ids(searcher, query)[0] == first


def test_chinese_phrase_queries(searcher):
    assert ids(searcher, '"东盟 防长"')[0] == ZH_ASEAN
    assert ZH_SEA in ids(searcher, '"南海 局势"')
    # the words exist in the corpus, but never in this order
    assert ids(searcher, '"局势 南海"') == []


def test_english_phrase_queries(searcher):
    assert ids(searcher, '"defence modernisation programme"') == [EN_UK]
    assert ids(searcher, '"programme modernisation"') == []


def test_chinese_substring_recall_ranks_below_whole_words(searcher):
    assert ZH_BANK in ids(searcher, "农业")  # inside 中国农业发展银行
    # 处理 is a whole word in the South China Sea article, only inside 待处理 in the bank one
    hits = ids(searcher, "处理")
    assert hits.index(ZH_SEA) < hits.index(ZH_BANK)


def test_traditional_and_simplified_find_each_other(searcher):
    assert set(ids(searcher, "國防部長")) >= {ZH_TRAD}
    assert set(ids(searcher, "国防部长")) >= {ZH_TRAD}
    assert ZH_ASEAN in ids(searcher, "東盟防長")


def test_british_and_american_spelling_are_one(searcher):
    # the mixed article has "defence ministers" and "observer programme": rightly a hit too
    assert set(ids(searcher, "defence programme")) == {EN_UK, EN_US, MIXED}
    assert set(ids(searcher, "defense program")) == {EN_UK, EN_US, MIXED}
    assert set(ids(searcher, "organization")) == {EN_UK, EN_US}


def test_compounds_whole_and_by_parts(searcher):
    assert ids(searcher, "F16") == [EN_F16]
    assert ids(searcher, "COVID-19") == [EN_F16]
    assert ids(searcher, "5PC") == [EN_F16]
    assert MS_MESYUARAT in ids(searcher, "Timor-Leste")
    assert MS_MESYUARAT in ids(searcher, "Timor")


def test_malay_stems_and_reduplication(searcher):
    assert MS_MESYUARAT in ids(searcher, "menteri")
    assert MS_MESYUARAT in ids(searcher, "menteri-menteri")
    assert MS_MESYUARAT in ids(searcher, "pengerusi")  # dipengerusikan


def test_mixed_article_found_in_both_languages(searcher):
    assert MIXED in ids(searcher, "马来西亚")
    assert MIXED in ids(searcher, "attendance")
    hit = next(h for h in searcher.search("马来西亚").hits if h.id == MIXED)
    assert set(hit.langs) == {"zh", "en"}


def test_title_weighs_more_than_body(searcher):
    # "programme" is in the British article's title; the mixed article has it in its body
    hits = ids(searcher, "programme")
    assert hits.index(EN_UK) < hits.index(MIXED)


def test_boolean_operators(searcher):
    both = set(ids(searcher, "defence OR banjir"))
    assert {EN_UK, FEED_1} <= both
    assert EN_UK not in ids(searcher, "defence NOT modernisation")
    assert EN_US not in ids(searcher, "defence NOT modernisation")  # modernize is the same word
    assert ids(searcher, "defence NOT pentagon NOT ministers") == [EN_UK]


def test_fields_and_filters(searcher):
    assert set(ids(searcher, "lang:ms", limit=50)) == {MS_LATIHAN, MS_MESYUARAT, FEED_1}
    assert set(ids(searcher, "ASEAN", lang="ms")) == {MS_LATIHAN, MS_MESYUARAT}
    assert ids(searcher, "title:banjir") == [FEED_1]
    assert ids(searcher, "title:pasukan") == []  # only in the body
    assert ids(searcher, "source:berita") == [FEED_1]


def test_dates(searcher):
    assert set(ids(searcher, "date:2025-07", limit=50)) == {EN_UK, EN_US}
    assert set(ids(searcher, "date:[2025-07-02 TO 2025-09-01]", limit=50)) == {EN_US, MS_LATIHAN}
    newest = searcher.search("ASEAN", sort="date").hits
    dates = [h.date for h in newest if h.date]
    assert dates == sorted(dates, reverse=True)


def test_wildcard_and_fuzzy(searcher):
    assert EN_UK in ids(searcher, "modernis*")  # a prefix of the word, not of its stem
    assert set(ids(searcher, "moderni*")) == {EN_UK, EN_US}
    assert HTML in ids(searcher, "patrl~")
    assert HTML in ids(searcher, "patorl~2")  # a transposition is two edits
    assert ids(searcher, "patorl") == []


def test_highlights_mark_exactly_the_matched_words(searcher):
    hit = searcher.search("東盟 防長").hits[0]
    assert set(marked(hit)) <= {"东盟防长", "东盟", "防长"}
    assert marked(hit)
    hit = searcher.search("defence programme").hits[0]
    assert {m.lower() for m in marked(hit)} <= {"defence", "programme", "defense", "program"}
    hit = next(h for h in searcher.search("國防部長").hits if h.id == ZH_TRAD)
    assert "國防部長" in marked(hit)  # the original characters, not their simplified form


def test_negated_words_are_not_highlighted(searcher):
    hit = searcher.search("defence NOT ministers").hits[0]
    assert all(m.lower() != "ministers" for m in marked(hit))


def test_pages_and_limits(searcher):
    all_ids = ids(searcher, "date:2025", limit=20)
    assert len(all_ids) >= 10
    assert ids(searcher, "date:2025", limit=3, page=2) == all_ids[3:6]
    assert searcher.search("date:2025", limit=3, page=2).hits[0].rank == 4


def test_no_hits_suggests_a_word_that_finds_something(searcher):
    res = searcher.search("maritme")
    assert res.total == 0
    assert res.suggestion == "maritime"  # one edit away; maritim is two
    assert searcher.search(res.suggestion).total > 0
    assert searcher.search("qqqqzzzz").suggestion is None


def test_results_are_dataclasses_not_whoosh_objects(searcher):
    res = searcher.search("ASEAN")
    assert dataclasses.is_dataclass(res)
    assert all(dataclasses.is_dataclass(h) for h in res.hits)
    assert isinstance(res.hits[0].snippet, str)


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "date:yesterday", "lang:fr", "x" * 5000, "(( ))", "the and of"],
)
def test_bad_queries_raise_a_clear_error(searcher, bad):
    with pytest.raises(QuerySyntaxError):
        searcher.search(bad)


def test_get_and_stats(searcher):
    art = searcher.get(ZH_BANK)
    assert art.title == "中国农业发展银行发布年度报告"
    assert "待处理" in art.body
    with pytest.raises(MlsearchError):
        searcher.get("no/such/id")
    st_ = searcher.stats()
    assert st_.articles == 13
    assert st_.by_lang["zh"] >= 5
    assert st_.date_min <= st_.date_max
    assert st_.index_bytes > 0


QUERY_PIECES = [*'"()[]{}:*?~^+-!&|\\/ ', " AND ", " OR ", " NOT ", " TO ", "date:", "lang:"]
QUERY_PIECES += ["title:", "东盟", "defence", "x" * 300]
QUERY_TEXT = st.lists(
    st.one_of(st.sampled_from(QUERY_PIECES), st.text(max_size=4)), max_size=12
).map("".join)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(QUERY_TEXT)
def test_no_query_string_makes_the_parser_raise(searcher, text):
    with contextlib.suppress(QuerySyntaxError):
        searcher.search(text, limit=3)


@pytest.fixture(scope="module")
def wide_index(tmp_path_factory):
    """Both fixture corpora: enough matches for a top-N collector to fill its heap."""
    from tests.conftest import FIXTURES, build_fixture_index

    return build_fixture_index(tmp_path_factory, "wide", FIXTURES / "news", FIXTURES / "suggest")


@pytest.mark.parametrize(
    "query", ["malaysia OR asean OR kerajaan OR 东盟 OR menteri", "said OR kata OR 表示"]
)
@pytest.mark.parametrize("limit", [1, 3])
def test_totals_are_exact_whatever_the_page_size(wide_index, query, limit):
    """Whoosh's top-N collector prunes unions once its heap is full and undercounted."""
    from search import Searcher

    with Searcher(wide_index) as s:
        every = set(s.ids(query))
        assert len(every) > 12
        for collapse in (False, True):
            res = s.search(query, limit=limit, collapse=collapse, suggest=False)
            groups = set(s.ids_with_groups(query).values())
            assert res.total == (len(groups) if collapse else len(every))
        assert s.count(query) == len(every)
        ranked = s.search(query, limit=len(every), collapse=False, suggest=False)
        assert [h.id for h in s.search(query, limit=limit, collapse=False).hits] == [
            h.id for h in ranked.hits[:limit]
        ]


DATE_WORDS = ["", "navy", "defence OR latihan", "东盟", "lang:ms", "NOT banjir", "palm oil"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    words=st.sampled_from(DATE_WORDS),
    low=st.dates(min_value=datetime.date(2024, 12, 1), max_value=datetime.date(2026, 2, 1)),
    days=st.integers(0, 400),
    exclusive=st.booleans(),
    open_end=st.sampled_from([None, "low", "high"]),
)
def test_date_filters_match_what_whoosh_matches(searcher, words, low, days, exclusive, open_end):
    """Dates beside words are checked on the date column, not matched as a range: the
    articles found are those whoosh's own range matching finds, counted alike."""
    high = low + datetime.timedelta(days=days)
    a = "" if open_end == "low" else low.isoformat()
    b = "" if open_end == "high" else high.isoformat()
    brackets = "{}" if exclusive and open_end is None else "[]"
    query = f"date:{brackets[0]}{a} TO {b}{brackets[1]} {words}".strip()
    try:
        q = searcher.parse(query)
    except QuerySyntaxError:
        return
    whoosh = searcher._searcher
    expected = {whoosh.stored_fields(d)["id"] for d in whoosh.docs_for_query(q)}
    found = searcher.search(query, limit=100, collapse=False)
    assert {h.id for h in found.hits} == expected
    assert found.total == len(expected) == searcher.count(query)


def test_undated_articles_match_no_date_range_and_sort_last(tmp_path):
    from indexer.write.build import build_index
    from search import Searcher

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "dated.txt").write_text("Navy drill\n\ndate 2025-03-01\n\nA navy drill.\n", "utf-8")
    (docs / "undated.txt").write_text("Navy parade\n\nA navy parade, no date given.\n", "utf-8")
    build_index([docs], tmp_path / "ix")
    with Searcher(tmp_path / "ix") as s:
        for query in ("date:[2025-01-01 TO] navy", "date:[TO 2030-01-01] navy", "date:2025 navy"):
            assert [h.id for h in s.search(query).hits] == ["docs/dated.txt"], query
            assert s.count(query) == 1
        assert [h.id for h in s.search("navy NOT date:2025").hits] == ["docs/undated.txt"]
        assert [h.id for h in s.search("navy", sort="date").hits] == [
            "docs/dated.txt",
            "docs/undated.txt",
        ]


def _spans_word_by_word(text, needles):
    """find_spans without the memo a query's hits share: every word judged afresh."""
    from indexer.analyse.latin import PART_RE, latin_tokens, stemmer_for
    from indexer.analyse.normalize import normalize
    from search.snippets import _matches, _merge

    norm = normalize(text)
    spans = []
    for needle in needles.han:
        start = norm.text.find(needle)
        while start != -1:
            spans.append(norm.span(start, start + len(needle)))
            start = norm.text.find(needle, start + len(needle))
    en = stemmer_for("en") if needles.en else None
    ms = stemmer_for("ms") if needles.ms else None
    keys = {""}  # every word stemmed: find_spans' keys (snippets._keys) must lose nothing
    for m in PART_RE.finditer(norm.text):
        if _matches(m.group(), needles, en, ms, keys):
            spans.append(norm.span(m.start(), m.end()))
    # A quoted phrase as written (search.exact), read token by token.
    for phrase in needles.exact.values():
        spans.extend(exact_spans_token_by_token(phrase, text))
    # A phrase: its terms at consecutive positions of the field's own analysis.
    for lang, phrases in needles.phrases.items():
        tokens = latin_tokens(text, lang)
        for words in phrases:
            for i in range(len(tokens) - len(words) + 1):
                run = tokens[i : i + len(words)]
                if [t[0] for t in run] == list(words):
                    assert run[-1][1] - run[0][1] == len(words) - 1
                    spans.append((run[0][2], run[-1][3]))
    return _merge(spans)


SNIPPET_PIECES = [
    "Minister",
    "ministers'",
    "minister's",
    "o'minister",
    "ministerial",
    "defence",
    "DEFENSE",
    "pertahanan",
    "mempertahankan",
    "F-16",
    "16",
    "2016",
    "16th",
    "东盟",
    "东盟minister",
    "1MDB",
    "1",
    "mdb",
    "menteri-menteri",
    "menteri",
    " of ",
    "Minister of Defence",
    "menteri pertahanan",
    "’",
    "'",
    " ",
    ", ",
    "\n",
    "-",
    "x",
    "٣",
]


@settings(max_examples=200, deadline=None)
@example(pieces=["Minister of Defence", ", ", "menteri-menteri"], query='"minister of defence"')
@example(pieces=["1MDB", " ", "1", "mdb", "x", "1", " ", "mdb"], query="1MDB")
@given(
    pieces=st.lists(st.sampled_from(SNIPPET_PIECES), max_size=30),
    query=st.sampled_from(
        [
            "minister",
            "defense 16",
            "pertahanan",
            "东盟 minister",
            "minist*",
            "1MDB",
            "F-16 defence",
            '"minister of defence"',
            "menteri-menteri",
            '"menteri pertahanan"',
        ]
    ),
)
def test_spans_are_those_the_word_by_word_scan_finds(searcher, pieces, query):
    from search.query import positive_terms
    from search.snippets import find_spans, needles_from

    reader = searcher._searcher.reader()
    needles = needles_from(positive_terms(searcher.parse(query)), reader)
    text = "".join(pieces)
    for _ in range(2):  # the second time from the memo
        assert find_spans(text, needles) == _spans_word_by_word(text, needles)


def _index_texts(tmp_path, files: dict[str, str]):
    from indexer.write.build import build_index

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in files.items():
        (docs / name).write_text(text, "utf-8")
    build_index([docs], tmp_path / "ix")
    return tmp_path / "ix"


def test_an_all_caps_english_headline_is_searched_as_english(tmp_path):
    # lingua calls the headline Malay: its words then missed their English stems.
    ix = _index_texts(
        tmp_path,
        {
            "ck.txt": "CHEUNG KONG CHAIRMAN SEES STRONG RESULTS IN 1987\n\n"
            "HONG KONG, March 3 - The chairman of the property group told reporters today "
            "that he expected profits to rise this year as rents keep climbing.\n",
            "other.txt": "Port strike ends\n\nDock workers went back to work today after the "
            "operator agreed to review their pay.\n",
        },
    )
    from search import Searcher

    with Searcher(ix) as s:
        assert [h.id for h in s.search("result").hits] == ["docs/ck.txt"]


def test_slashed_words_are_searched_as_separate_words(tmp_path):
    ix = _index_texts(
        tmp_path,
        {
            "jobs.txt": "Jobless claims fall\n\nFewer people filed jobless claims last week, "
            "and the unemployment rate held steady.\n",
            "other.txt": "Port strike ends\n\nDock workers went back to work today.\n",
        },
    )
    from search import Searcher

    with Searcher(ix) as s:
        assert [h.id for h in s.search("jobless/unemployment").hits] == ["docs/jobs.txt"]
        # digits keep their slash: 24/7 is still one compound
        assert s.search("24/7").hits == []
