"""Block-at-a-time scoring (search.blockscore) ranks and counts exactly as whoosh's matchers."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.errors import QuerySyntaxError
from indexer.write.build import build_index
from search import Searcher

from .conftest import CORPUS, FIXTURES, NEWS, build_in_two_processes, index_of_texts

WORDS = [
    "latihan",
    "maritim",
    "tentera",
    "laut",
    "menteri",
    "pertahanan",
    "ASEAN",
    "navy",
    "defence",
    "exercise",
    "hotline",
    "cyber",
    "Malaysia",
    "palm",
    "东盟",
    "防长",
    "南海",
    "热线",
    "国防",
    "合作",
    "马来西亚",
    "国防部长",
    "吉隆坡联合宣言",
    '"tentera laut"',
    '"South China Sea"',
    '"menteri pertahanan"',
    '"latihan"',
    '"国防部长"',
    '"ASEAN 东盟"',
    "F-16",
    "moderni*",
    "patrl~",
    "missingword",
]
JOINS = [" ", " AND ", " OR ", " NOT ", " -", " +"]
PREFIXES = [
    "",
    "title:",
    "body:",
    "lang:ms ",
    "lang:zh ",
    "date:2025 ",
    "date:[2025-08-01 TO] ",
    "date:[TO 2025-09-01] ",
    "NOT date:2025-10 ",
    "date:{2025-07-01 TO 2025-12-02} ",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """Two segments (two writer processes) and deleted documents (an article changed)."""
    root = tmp_path_factory.mktemp("blockscore")
    docs = root / "docs"
    for src in (NEWS, FIXTURES / "dups", CORPUS):
        shutil.copytree(src, docs / src.name)
    build_in_two_processes([docs], root / "ix")
    (docs / "undated.txt").write_text(
        "Latihan navy hotline\n\nLatihan maritim, navy exercise, ASEAN hotline: 东盟 南海.\n",
        "utf-8",
    )  # no date: matches no date range
    changed = docs / "news" / "ms" / "latihan_maritim.txt"
    changed.write_text(changed.read_text("utf-8") + "\nLatihan tambahan.\n", "utf-8")
    assert build_index([docs], root / "ix").updated == 1
    with Searcher(root / "ix") as s:
        reader = s._searcher.reader()
        assert reader.has_deletions() and len(list(reader.leaf_readers())) >= 2
    return root / "ix"


def both(monkeypatch, index, query: str, **kw):
    out = []
    for fast in (True, False):
        with Searcher(index, block_scoring=fast) as s:
            res = s.search(query, limit=200, suggest=False, **kw)
            # count() finds every copy, uncollapsed, as search with collapse=False does
            res.notes.append(("count", s.count(query, cross=kw.get("cross", False))))
            out.append(res)
    assert out[0].notes == out[1].notes
    return out


def assert_same(fast, slow):
    assert fast.total == slow.total
    got = {h.id: h.score for h in fast.hits}
    want = {h.id: h.score for h in slow.hits}
    assert got.keys() == want.keys()
    for doc_id, score in want.items():
        assert got[doc_id] == pytest.approx(score, rel=1e-9, abs=1e-9)
    # the same order, up to documents whose scores differ only by rounding
    key = [(-round(h.score, 6), h.id) for h in fast.hits]
    assert [(-round(h.score, 6), h.id) for h in slow.hits] == key or sorted(key) == key
    assert [h.similar for h in fast.hits] == [h.similar for h in slow.hits]


@pytest.mark.parametrize(
    "query",
    [
        "latihan maritim",
        "东盟 防长",
        '"Laut China Selatan"',
        "navy NOT exercise",
        "(hotline OR 热线) AND NOT cyber",
        "lang:ms tentera",
        "date:2025-08 latihan",
        "moderni* OR patrl~",
        "title:hotline",
        "马来西亚 国防部长",
        '"maritim bersama"',
        "NOT latihan",
        # quoted phrases match as written (search.exact): one word, Malay, Chinese, NOT
        '"latihan" tentera',
        '"Pertahanan ASEAN" OR "defence ministers"',
        '"东盟 防长"',
        'ASEAN NOT "menteri pertahanan"',
    ],
)
@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_known_queries_rank_and_count_alike(monkeypatch, index, query, sort):
    fast, slow = both(monkeypatch, index, query, sort=sort)
    assert fast.total > 0
    assert_same(fast, slow)


@pytest.mark.parametrize(
    "query",
    ['"menteri pertahanan"', '"Pertahanan ASEAN" tentera', '"东盟 防长" OR "latihan"', '-"ADMM"'],
)
def test_exact_phrases_rank_and_count_alike(monkeypatch, index, query):
    from search.exact import exact_phrases

    with Searcher(index) as s:
        assert exact_phrases(s.parse(query))  # matched as written (search.exact)
    fast, slow = both(monkeypatch, index, query)
    assert fast.total > 0
    assert_same(fast, slow)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from(PREFIXES),
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
    joins=st.lists(st.sampled_from(JOINS), min_size=3, max_size=3),
    collapse=st.booleans(),
    cross=st.booleans(),
)
def test_any_query_ranks_and_counts_alike(
    monkeypatch, index, prefix, words, joins, collapse, cross
):
    query = prefix + words[0] + "".join(j + w for j, w in zip(joins, words[1:], strict=False))
    try:
        fast, slow = both(monkeypatch, index, query, collapse=collapse, cross=cross)
    except QuerySyntaxError:
        return
    assert_same(fast, slow)


# Chinese words of three or more characters are also phrases of bigrams (title_zh2,
# body_zh2). The block scorer takes the articles whose word field has the word as holding
# that phrase without reading positions; the others' positions are read.
CHINESE_PHRASES = {
    "word.txt": "马来西亚国防部长会议\n\n马来西亚与东盟国防部长会议在吉隆坡举行。",
    # no term 马来西亚 or 国防部长 (jieba: 马来西亚人, 国防部 长期), the bigrams in a row
    "longer.txt": "马来西亚人的看法\n\n许多马来西亚人认为国防部长期以来重视合作。",
    # the bigrams of both words, never in a row
    "apart.txt": "马来西和西亚\n\n马来西和西亚，国防部和部长，防部不同。",
}


@pytest.fixture(scope="module")
def chinese_index(tmp_path_factory):
    return index_of_texts(tmp_path_factory, "zh2", CHINESE_PHRASES)


@pytest.mark.parametrize(
    "query",
    ["马来西亚", "国防部长", "title:马来西亚", "body:国防部长", "马来西亚 国防部长", '"马来西亚"'],
)
def test_bigram_phrases_of_chinese_words_rank_and_count_alike(monkeypatch, chinese_index, query):
    fast, slow = both(monkeypatch, chinese_index, query)
    assert_same(fast, slow)
    found = {h.id.rpartition("/")[2] for h in fast.hits}
    assert "apart.txt" not in found
    assert {"word.txt", "longer.txt"} <= found  # longer.txt by its bigrams alone
