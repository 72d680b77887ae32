"""The matching model (search.matching): ranked partial matches, what a hit lacks,
--all-words and +word, proximity, Chinese runs as words, saved queries' default."""

from __future__ import annotations

import json

import pytest

from search import Searcher
from search.relevance import NONE, Features
from tests.conftest import invoke

ARTICLES = {
    # every word, scattered
    "all_scattered.txt": (
        "Harga getah di pasaran",
        "Laporan ini menyebut latihan tahunan. Di bahagian lain, pasukan maritim negara "
        "bersiap. Harga barang juga naik.",
    ),
    # every word, side by side
    "all_close.txt": (
        "Latihan maritim bermula",
        "Latihan maritim tentera laut bermula di Lumut minggu ini.",
    ),
    # only the rare word
    "rare_only.txt": ("Keselamatan maritim dibincang", "Isu keselamatan maritim di Selat Melaka."),
    # only the common word, many times
    "common_only.txt": (
        "Latihan bola sepak",
        "Latihan pasukan bola sepak negeri. Latihan diadakan setiap pagi. Latihan lagi.",
    ),
    "filler1.txt": ("Latihan kecergasan", "Latihan kecergasan untuk warga emas."),
    "filler2.txt": ("Latihan guru", "Latihan guru baharu di maktab."),
    "filler3.txt": ("Latihan polis", "Latihan polis di pusat latihan."),
    "sea_whole.txt": (
        "Tensions in the South China Sea",
        "Ships sailed through the South China Sea on Monday.",
    ),
    "sea_apart.txt": (
        "Sea trade in South Asia",
        "China said trade by sea with the south of Asia grew this year.",
    ),
    "zh_whole.txt": ("南海军事演习举行", "中国海军在南海举行军事演习。"),
    "zh_apart.txt": ("南海天气", "南海今日天气晴朗。另据报道，某国下月将举行军事演习。"),
    "zh_one.txt": ("南海渔业", "南海渔业资源丰富。"),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from indexer.write.build import build_index

    root = tmp_path_factory.mktemp("matching")
    docs = root / "docs"
    docs.mkdir()
    for name, (title, body) in ARTICLES.items():
        (docs / name).write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    index_dir = root / "index"
    build_index([docs], index_dir)
    return index_dir


def names(results) -> list[str]:
    return [h.id.rsplit("/", 1)[-1].removesuffix(".txt") for h in results.hits]


def test_every_word_first_then_partial_matches_ranked_with_what_they_lack(index):
    with Searcher(index) as s:
        res = s.search("latihan maritim", limit=20)
    got = names(res)
    assert set(got[:2]) == {"all_close", "all_scattered"}
    # lacking the common word (latihan) costs less than lacking the rare one (maritim)
    assert got.index("rare_only") < got.index("common_only")
    hits = {n: h for n, h in zip(got, res.hits, strict=True)}
    assert hits["all_close"].matched == ["latihan", "maritim"] and hits["all_close"].missing == []
    assert hits["rare_only"].missing == ["latihan"]
    assert hits["common_only"].missing == ["maritim"]
    assert res.notes == []  # some articles have all the words


def test_all_words_requires_every_word_and_plus_requires_one(index):
    with Searcher(index) as s:
        strict = s.search("latihan maritim", match="all", limit=20)
        plus = s.search("+maritim latihan", limit=20)
        anyw = s.search("latihan maritim", match="any", limit=20)
    assert set(names(strict)) == {"all_close", "all_scattered"}
    assert set(names(plus)) == {"all_close", "all_scattered", "rare_only"}
    assert names(plus)[-1] == "rare_only"
    assert len(anyw.hits) == 7


def test_no_article_with_every_word_is_said(index):
    with Searcher(index) as s:
        res = s.search("maritim bola")
        assert res.hits and all(h.missing for h in res.hits)
        assert res.notes == ["no article has all the words: showing those with some of them"]
        assert s.search("maritim bola", match="all").total == 0


def test_words_side_by_side_and_a_name_found_whole_rank_higher(index):
    with Searcher(index) as s:
        near = s.search("latihan maritim", limit=2)
        sea = s.search("South China Sea", limit=2)
    with Searcher(index, features=Features(proximity=False)) as s:
        far = s.search("latihan maritim", limit=2)
    assert names(near)[0] == "all_close"
    prox = {h.id: h.score for h in near.hits}
    flat = {h.id: h.score for h in far.hits}
    close = next(i for i in prox if i.endswith("all_close.txt"))
    scattered = next(i for i in prox if i.endswith("all_scattered.txt"))
    # proximity scales the close article up more than the scattered one
    assert prox[close] / flat[close] > prox[scattered] / flat[scattered] >= 1.0
    assert names(sea)[0] == "sea_whole"


def test_a_chinese_run_is_its_words_found_together_first(index):
    with Searcher(index) as s:
        res = s.search("南海军事演习", limit=10)
        strict = s.search("南海军事演习", match="all", limit=10)
    got = names(res)
    assert got[0] == "zh_whole" and "zh_apart" in got and "zh_one" in got
    assert got.index("zh_apart") < got.index("zh_one")
    assert res.hits[0].matched == ["南海", "军事演习"]
    assert res.hits[got.index("zh_one")].missing == ["军事演习"]
    # --all-words: the run as typed, a phrase
    assert names(strict) == ["zh_whole"]


def test_a_lone_character_stays_with_its_neighbour():
    from whoosh.qparser import syntax

    from search.query import _han_words

    def split(text):
        node = syntax.WordNode(text)
        node.startchar, node.endchar = 0, len(text)
        return [w.text for w in _han_words(node)]

    assert split("南海军事演习") == ["南海", "军事演习"]
    assert split("升旗山") == ["升旗山"]  # 升旗 山: 山 alone is no word of the query
    assert split("碳达峰碳中和") == ["碳达峰", "碳中和"]  # 碳 中 和 together


QUERIES = ["latihan maritim", "South China Sea", "南海军事演习", "+maritim latihan bola"]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("match", ["ranked", "all", "any", "coord", "coord2", "tiered"])
def test_both_scorers_agree(index, query, match):
    found = []
    for block_scoring in (True, False):
        with Searcher(index, block_scoring=block_scoring) as s:
            res = s.search(query, match=match, limit=50, suggest=False)
        found.append({h.id: h.score for h in res.hits})
    assert found[0].keys() == found[1].keys()
    for doc_id, score in found[0].items():
        assert found[1][doc_id] == pytest.approx(score, rel=1e-9)


def test_explain_names_the_mode_the_words_and_proximity(index):
    with Searcher(index) as s:
        info = s.explain("+South China Sea")
    assert info["matching"]["mode"] == "ranked"
    assert info["matching"]["words"] == [
        {"word": "South", "required": True},
        {"word": "China", "required": False},
        {"word": "Sea", "required": False},
    ]
    assert info["matching"]["proximity"] == ["South China", "China Sea", "South China Sea (whole)"]
    res = invoke("search", "--index", index, "--explain", "latihan maritim")
    assert "matching:   ranked: latihan | maritim" in res.stderr
    assert "proximity:  latihan maritim" in res.stderr


def test_the_command_line_shows_what_a_hit_lacks(index):
    res = invoke("search", "--index", index, "maritim", "bola")
    assert res.exit_code == 0
    assert "missing: bola" in res.stdout and "missing: maritim" in res.stdout
    res = invoke("search", "--index", index, "--json", "latihan", "maritim", "-n", "20")
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert records[0]["matched"] == ["latihan", "maritim"] and records[0]["missing"] == []
    assert any(r["missing"] == ["maritim"] for r in records)
    res = invoke("search", "--index", index, "--all-words", "maritim", "bola")
    assert res.exit_code == 1
    res = invoke("search", "--index", index, "--all-words", "--any", "maritim")
    assert res.exit_code == 2 and "cannot be used together" in res.stderr


def test_saved_queries_require_every_word_unless_saved_ranked(index, tmp_path):
    import shutil

    idx = tmp_path / "idx"
    shutil.copytree(index, idx)
    assert invoke("saved", "add", "--index", idx, "sea", "latihan", "maritim").exit_code == 0
    res = invoke("saved", "run", "--index", idx, "sea", "--json")
    assert {json.loads(x)["id"].rsplit("/", 1)[-1] for x in res.stdout.splitlines()} == {
        "all_close.txt",
        "all_scattered.txt",
    }
    args = ["--index", idx, "--match", "ranked", "-n", "20", "wide", "latihan", "maritim"]
    res = invoke("saved", "add", *args)
    assert res.exit_code == 0
    assert 'match = "ranked"' in (idx / "saved.toml").read_text(encoding="utf-8")
    res = invoke("saved", "run", "--index", idx, "wide", "--json")
    assert len(res.stdout.splitlines()) > 2


def test_features_off_keep_the_model(index):
    with Searcher(index, features=NONE) as s:
        assert names(s.search("latihan maritim", limit=2))[0] in {"all_close", "all_scattered"}


def test_clause_weights_are_counted_once_per_segment_and_match_a_fresh_count(index, monkeypatch):
    """Ranked.weights keeps each segment's count of a clause in the open index's cache:
    the same weights as counted afresh, and a second query with the clause reads no
    postings for it."""
    import search.matching as matching
    from search.matching import find_ranked

    with Searcher(index) as s:
        snap = s._snapshot()
        plan_q = s.parse("latihan maritim")
        ranked = find_ranked(matching.shape(plan_q, "latihan maritim"))
        fresh = ranked.weights(snap.searcher)
        calls = []
        real = matching._clause_docs
        monkeypatch.setattr(
            matching, "_clause_docs", lambda r, q, keep=None: calls.append(q) or real(r, q, keep)
        )
        again = find_ranked(matching.shape(s.parse("latihan maritim"), "latihan maritim"))
        assert again.weights(snap.searcher, snap.cache) == pytest.approx(fresh, rel=1e-12)
        counted = len(calls)
        assert counted > 0
        third = find_ranked(matching.shape(s.parse("latihan maritim"), "latihan maritim"))
        assert third.weights(snap.searcher, snap.cache) == pytest.approx(fresh, rel=1e-12)
        assert len(calls) == counted  # kept: no postings read again
        # the rarer word weighs more
        assert fresh[1] > fresh[0]


@pytest.mark.parametrize("query", [*QUERIES, "latihan maritim lang:ms", "maritim +latihan"])
def test_what_a_hit_lacks_is_read_from_the_scoring_as_the_matchers_say(index, query, monkeypatch):
    """The block scorer remembers which clause matched which document; the words a hit
    has and lacks read from that are those whoosh's matchers give (block_scoring=False),
    and no matcher is walked for them."""
    import search.matching as matching

    with Searcher(index, block_scoring=False) as s:
        expected = [(h.id, h.matched, h.missing) for h in s.search(query, limit=50).hits]
    walked = []
    real = matching.matches_at
    monkeypatch.setattr(matching, "matches_at", lambda m, d: walked.append(d) or real(m, d))
    with Searcher(index) as s:
        got = [(h.id, h.matched, h.missing) for h in s.search(query, limit=50).hits]
    assert sorted(got) == sorted(expected)
    assert any(missing for _i, _m, missing in got) or query.startswith("South")
    assert not walked


@pytest.mark.parametrize(
    "query",
    [
        *QUERIES,
        "latihan maritim bola",
        "latihan maritim NOT bola",
        "latihan maritim lang:ms",
        '"latihan maritim" harga',
        "south china trade",
        "南海 军事演习",
        "maritim zzzzqqq",
    ],
)
def test_articles_with_every_word_are_counted_from_the_ranking(index, query, monkeypatch):
    """The count of articles with every word (shown when some hits lack one) is read from
    what the block scorer found while ranking; it is the count of the query with every
    word required, and needs no second scoring when the ranking scored every article."""
    from search.collect import Snapshot
    from search.plan import QueryPlan

    with Searcher(index) as s:
        snap = s._snapshot()
        plan = QueryPlan.build(snap, s._parsers, query)
        if plan.ranked() is None:
            pytest.skip("one word")
        plan.page(1, 10, "relevance", True)
        expected = plan.strict().count()
        assert isinstance(snap, Snapshot)
        counted = []
        real = QueryPlan.strict
        monkeypatch.setattr(QueryPlan, "strict", lambda self: counted.append(1) or real(self))
        assert plan.complete_count() == expected
        if "lang:" not in query:
            assert not counted  # read from the ranking, not scored again


@pytest.mark.parametrize(
    "query", [*QUERIES, "latihan", "latihan maritim lang:ms", "maritim NOT bola"]
)
@pytest.mark.parametrize("collapse", [True, False])
def test_a_plan_counted_without_ranking_has_the_total_of_its_page(index, query, collapse):
    """``QueryPlan.total`` (the cross hint's and did-you-mean's counts) is the total a
    page of the same query reports, groups of copies once when collapsed."""
    from search.plan import QueryPlan

    with Searcher(index) as s:
        snap = s._snapshot()
        for mode in ("all", "ranked"):
            ranked = QueryPlan.build(snap, s._parsers, query, mode=mode)
            counted = QueryPlan.build(snap, s._parsers, query, mode=mode, ranking=False)
            expected = ranked.page(1, 1, "relevance", collapse)[1]
            assert counted.total(collapse) == expected
            assert counted.count() == len(s.ids(query, match=mode))


def test_blocks_decoded_to_count_are_handed_to_the_scorer_once(index):
    """The posting blocks ``Ranked.weights`` decodes to count a clause's articles (the
    first time it is counted in a segment) are handed over once per segment, each term's
    blocks holding its postings as the scorer would read them."""
    import search.matching as matching
    from indexer.whoosh_internals.postings import posting_blocks, term_matcher
    from search.cache import IndexCache
    from search.matching import find_ranked

    with Searcher(index) as s:
        snap = s._snapshot()
        ranked = find_ranked(matching.shape(s.parse("latihan maritim"), "latihan maritim"))
        ranked.weights(snap.searcher, IndexCache())  # a fresh cache: every clause counted
        leaves = [r for r, _o in snap.searcher.reader().leaf_readers()]
        handed = 0
        for leaf in leaves:
            blocks = ranked.blocks_decoded(leaf)
            for (field, btext), kept in blocks.items():
                handed += 1
                m = posting_blocks(term_matcher(leaf, field, btext))
                expected = []
                while m.active():
                    expected.append((m.max_id(), tuple(m.ids()), list(m.weights())))
                    m.next()
                assert [(t, tuple(i), list(w)) for t, i, w in kept] == expected
            assert ranked.blocks_decoded(leaf) == {}  # once
        assert handed > 0


def test_clause_documents_as_the_sets_of_each_term_give_them(tmp_path):
    """``_clause_docs``: a phrase's articles from its rarest word's ids narrowed by the
    others' id arrays, an OR's united into its largest part: the same live articles as
    intersecting and uniting each term's set (``_term_docs``), in segments with deleted
    articles (an article changed since the first run), and the same blocks kept."""
    from whoosh import query as wq

    import search.matching as matching
    from indexer.write.build import build_index
    from search.matching import _clause_docs, _term_docs

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, (title, body) in ARTICLES.items():
        (docs / name).write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    build_index([docs], tmp_path / "index")
    (docs / "zh_whole.txt").write_text("南海天气\n\n南海今日晴朗。\n", encoding="utf-8")
    (docs / "all_close.txt").write_text("Latihan laut\n\nLatihan tentera laut.\n", encoding="utf-8")
    (docs / "more.txt").write_text("军事演习\n\n南海军事演习，latihan maritim.\n", encoding="utf-8")
    build_index([docs], tmp_path / "index")

    def reference(reader, q) -> set:
        if isinstance(q, wq.Phrase):
            return set.intersection(*[_term_docs(reader, q.fieldname, w) for w in q.words])
        if isinstance(q, wq.Term):
            return _term_docs(reader, q.fieldname, q.text)
        return set().union(*[reference(reader, sub) for sub in q.subqueries])

    clauses = [
        wq.Phrase("body_zh2", ["南海", "海军"]),
        wq.Phrase("body_zh2", ["军事", "事演", "演习"]),
        wq.Phrase("body_zh2", ["南海", "不在"]),
        wq.Or([wq.Term("body_ms", "latih"), wq.Term("title_ms", "latih"), wq.Term("body_ms", "x")]),
        wq.Or([wq.Phrase("body_zh2", ["南海", "海军"]), wq.Term("body_zh", "南海")]),
    ]
    with Searcher(tmp_path / "index") as s:
        leaves = [r for r, _o in s._snapshot().searcher.reader().leaf_readers()]
        assert len(leaves) > 1 and any(leaf.has_deletions() for leaf in leaves)
        for leaf in leaves:
            for q in clauses:
                keep: dict = {}
                got = _clause_docs(leaf, q, keep)
                assert got == reference(leaf, q), q
                old_keep: dict = {}
                for term_q in q.leaves() if not isinstance(q, wq.Phrase) else [q]:
                    words = term_q.words if isinstance(term_q, wq.Phrase) else [term_q.text]
                    for w in words:
                        matching._term_docs(leaf, term_q.fieldname, w, keep=old_keep)
                assert keep.keys() == old_keep.keys()
        assert any(_clause_docs(leaf, clauses[1]) for leaf in leaves)
