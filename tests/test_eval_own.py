"""Our own judged topics (eval/own.py): graded metrics computed by hand, the topic files,
the ladder's rows (cross topics with --cross, rows the code cannot run skipped with a note),
and one run of ``python -m eval.run --only own`` over a tiny corpus written here."""

from __future__ import annotations

import gzip
import json
import math

import pytest

from eval import metrics, own
from eval.own import Row, Topic, read_own, score, unsupported

L2, L3, L4 = 1.0, math.log2(3), 2.0  # discounts at ranks 1..3: log2(rank + 1)


def test_graded_ndcg_has_linear_gains_over_the_ideal_ranking():
    # hits graded 1, 0, 2; judged relevant: 2, 1, 1 (and a 0)
    dcg = 1 / L2 + 0 / L3 + 2 / L4
    ideal = 2 / L2 + 1 / L3 + 1 / L4
    assert metrics.graded_ndcg_at([1, 0, 2], [2, 1, 1, 0]) == pytest.approx(dcg / ideal)
    assert metrics.graded_ndcg_at([2, 1, 1], [1, 2, 1]) == pytest.approx(1.0)
    assert metrics.graded_ndcg_at([1], [0, 0]) == 0.0
    # only the top k count, in the hits and in the ideal
    assert metrics.graded_ndcg_at([0, 2], [2, 2], k=1) == 0.0
    assert metrics.precision_at([True, False, True], k=10) == pytest.approx(0.2)


def test_one_topic_scored_by_hand():
    t = Topic("zh01", "mono", "zh", "q", grades={"zh-a": 2, "zh-b": 1, "zh-c": 1, "zh-d": 0})
    t.grades["ms-x"] = 2  # another language's article: a mono topic does not count it
    hits = [("zh-z", []), ("zh-b", []), ("ms-x", []), ("zh-y", ["zh-a"]), ("zh-d", [])]
    s = score(t, hits)
    # grades: unjudged, 1, 0 (other language), 2 (through its copy zh-a), 0
    dcg = 1 / L3 + 2 / math.log2(5)
    ideal = 2 / L2 + 1 / L3 + 1 / L4
    assert s["ndcg10"] == pytest.approx(dcg / ideal)
    assert s["p10"] == pytest.approx(0.2)
    assert s["recall100"] == pytest.approx(2 / 3)  # zh-a (a copy) and zh-b; not zh-c
    assert s["unjudged10"] == 1 and s["unjudged_ids"] == ["zh-z"]
    assert [g for _, g in s["top10"]] == [None, 1, 0, 2, 0]
    # a cross topic counts every language
    x = Topic("x1", "cross", "en", "q", grades={"ms-x": 2, "zh-a": 1})
    assert score(x, [("ms-x", [])])["recall100"] == 0.5
    assert set(x.relevant()) == {"ms-x", "zh-a"} and set(t.relevant()) == {"zh-a", "zh-b", "zh-c"}


def test_summaries_leave_out_topics_without_a_relevant_article():
    per_topic = [
        {"relevant": 2, "hits": 3, "ndcg10": 0.5, "p10": 0.2, "recall100": 1.0, "unjudged10": 1},
        {"relevant": 0, "hits": 0, "ndcg10": 0.0, "p10": 0.0, "recall100": 0.0, "unjudged10": 4},
        {"relevant": 1, "hits": 1, "ndcg10": 1.0, "p10": 0.1, "recall100": 0.0, "unjudged10": 0},
    ]
    s = own.summarise(per_topic)
    assert s["topics"] == 2
    assert (s["ndcg10"], s["p10"], s["recall100"]) == pytest.approx((0.75, 0.15, 0.5))
    assert s["unjudged10"] == 5 and s["no_hits"] == 1


def write_own(folder, topics: dict[str, str], qrels: dict[str, str]):
    folder.mkdir(parents=True, exist_ok=True)
    for x, text in topics.items():
        (folder / f"topics-{x}.tsv").write_text(text, encoding="utf-8")
    for x, text in qrels.items():
        (folder / f"qrels-{x}.txt").write_text(text, encoding="utf-8")
    return folder


def test_topic_files_are_read_and_checked(tmp_path):
    d = write_own(
        tmp_path / "a",
        {"zh": "# comment\nzh01\tmono\tzh\t东盟\tASEAN\n\nxzh1\tcross\tzh\t东盟\n"},
        {"zh": "zh01 0 zh-1 2\nzh01 0 zh-2 0\nxzh1 0 en-1 1\n"},
    )
    topics, notes = read_own(d)
    assert [(t.tid, t.group, t.query) for t in topics] == [
        ("zh01", "zh", "东盟"),
        ("xzh1", "cross", "东盟"),
    ]
    assert topics[0].grades == {"zh-1": 2, "zh-2": 0} and topics[1].description == ""
    assert notes == []
    bad = write_own(tmp_path / "b", {"en": "en01\tmixed\ten\tq\n"}, {})
    with pytest.raises(own.OwnDataError, match=r"topics-en.tsv:1: kind must be mono or cross"):
        read_own(bad)
    bad = write_own(tmp_path / "c", {"en": "en01\tmono\ten\tq\n"}, {"en": "en02 0 en-1 1\n"})
    with pytest.raises(own.OwnDataError, match=r"qrels-en.txt:1: no topic en02"):
        read_own(bad)
    _, notes = read_own(write_own(tmp_path / "d", {"ms": "ms01\tmono\tms\tq\n"}, {}))
    assert notes == ["topics-ms.tsv: no qrels-ms.txt beside it"]


def test_rows_the_current_code_cannot_run_are_named():
    assert unsupported(Row("ok", {}, dict(any_words=True))) is None
    assert "Searcher.search() takes no no_such_model" in unsupported(
        Row("new", {}, dict(no_such_model="x"))
    )
    assert "Searcher() takes no no_such_switch" in unsupported(Row("new", dict(no_such_switch=1)))
    assert "sets ['cross']" in unsupported(Row("bad", {}, dict(cross=True)))
    assert unsupported(Row("naive OR", dict(any_words=True), system=own.NAIVE)) is None
    assert "naive" in unsupported(Row("naive", {}, dict(fallback=True), system=own.NAIVE))


def test_the_ladder_is_well_formed():
    names = [r.name for r in own.LADDER]
    assert len(names) == len(set(names))
    assert any(r.target for r in own.LADDER)
    assert {own.MLSEARCH, own.NAIVE, own.AND_THEN_OR} <= {r.system for r in own.LADDER}
    assert all(isinstance(r.search, dict) and isinstance(r.searcher, dict) for r in own.LADDER)


# --- a run over a tiny corpus ---------------------------------------------------------------

ARTICLES = [
    ("zh-1", "zh", "东盟防长会议在吉隆坡举行", "第十九届东盟防长会议在马来西亚首都吉隆坡举行。"),
    ("zh-2", "zh", "南海局势总体稳定", "各方同意继续处理分歧，维护南海和平稳定。"),
    ("zh-3", "zh", "东盟经济增长", "东盟国家经济今年增长较快。"),
    ("ms-1", "ms", "Banjir di Kelantan semakin buruk", "Mangsa banjir di Kelantan meningkat."),
    ("ms-2", "ms", "Harga minyak naik lagi", "Harga minyak petrol naik sepuluh sen."),
    ("ms-3", "ms", "Banjir kilat di Sabah", "Banjir kilat melanda dua daerah di Sabah."),
    (
        "en-1",
        "en",
        "ASEAN defence ministers meet",
        "Defence ministers of ASEAN met in Kuala Lumpur.",
    ),
    ("en-2", "en", "Oil prices climb", "Crude oil prices rose on Monday amid supply fears."),
    ("en-3", "en", "Bird flu spreads to new farms", "Officials confirmed bird flu at three farms."),
]

TOPICS = {
    "zh": "zh01\tmono\tzh\t南海\tSouth China Sea\n",
    "ms": "ms01\tmono\tms\tbanjir Sabah\tfloods in Sabah\n",
    "en": "en01\tmono\ten\toil prices\toil prices\nxen1\tcross\ten\tdefence minister\tany\n",
}
QRELS = {
    "zh": "zh01 0 zh-2 2\nzh01 0 zh-1 0\n",
    "ms": "ms01 0 ms-3 2\nms01 0 ms-1 1\n",
    "en": "en01 0 en-2 1\nen01 0 ms-2 1\nxen1 0 zh-1 2\nxen1 0 en-1 1\n",
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    news = root / "data" / "news"
    news.mkdir(parents=True)
    with gzip.open(news / "articles.jsonl.gz", "wt", encoding="utf-8") as f:
        for doc_id, lang, title, body in ARTICLES:
            rec = {"id": doc_id, "lang": lang, "title": title, "date": "2024-01-02",
                   "source": "test", "url": None, "body": body}  # fmt: skip
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    write_own(root / "own", TOPICS, QRELS)
    return root


@pytest.mark.slow
def test_eval_run_only_own(tiny, tmp_path, capsys, monkeypatch):
    from eval import own_table
    from eval.run import main

    ladder = [
        Row("strict AND", dict(features=own.NONE), dict(match="all")),
        Row("OR", dict(features=own.NONE), dict(match="any")),
        Row("a model to come", dict(features=own.NONE), dict(no_such_model="coord")),
        Row("AND then OR", dict(features=own.NONE), system=own.AND_THEN_OR),
        Row("all, cross as typed", dict(features=own.ALL), cross=False),
        Row("all features", dict(features=own.ALL), target=True),
        Row("naive AND", system=own.NAIVE),
        Row("naive OR", dict(any_words=True), system=own.NAIVE),
    ]
    monkeypatch.setattr(own, "LADDER", ladder)
    results = tmp_path / "results"
    args = ["--data", str(tiny / "data"), "--workdir", str(tiny / "work"), "--only", "own"]
    args += ["--own-dir", str(tiny / "own"), "--results", str(results)]
    assert main(args) == 0
    out = capsys.readouterr().out
    (written,) = results.glob("eval-*.json")
    res = json.loads(written.read_text(encoding="utf-8"))["results"]["own"]
    assert res["by_group"] == {"zh": 1, "ms": 1, "en": 1, "cross": 1, "all": 4}
    rows = {r["name"]: r for r in res["rows"]}
    assert "Searcher.search() takes no no_such_model" in rows["a model to come"]["skipped"]
    assert "skipped: a model to come: Searcher.search() takes no no_such_model" in out

    strict = rows["strict AND"]
    by_tid = {t["tid"]: t for t in strict["per_topic"]}
    # 南海: zh-2 alone, graded 2 -> a perfect ranking
    assert by_tid["zh01"]["ndcg10"] == 1.0 and by_tid["zh01"]["p10"] == pytest.approx(0.1)
    # banjir Sabah: only ms-3 has both words; ms-1 (graded 1) needs OR
    assert by_tid["ms01"]["recall100"] == 0.5
    assert by_tid["ms01"]["ndcg10"] == pytest.approx(2 / (2 + 1 / L3))
    ms_or = {t["tid"]: t for t in rows["OR"]["per_topic"]}["ms01"]
    assert ms_or["recall100"] == 1.0 and ms_or["ndcg10"] == pytest.approx(1.0)
    assert {t["tid"]: t for t in rows["AND then OR"]["per_topic"]}["ms01"]["recall100"] == 1.0
    # oil prices: the Malay article judged relevant does not count for an English mono topic
    assert by_tid["en01"]["relevant"] == 1 and by_tid["en01"]["recall100"] == 1.0
    # the cross topic ran with --cross and found the Chinese article through the glossary
    assert by_tid["xen1"]["cross"] is True and by_tid["xen1"]["recall100"] == 1.0
    # translations rank below the words as typed: en-1 (graded 1) above zh-1 (graded 2)
    assert by_tid["xen1"]["top10"] == [["en-1", 1], ["zh-1", 2]]
    assert strict["groups"]["cross"]["ndcg10"] == pytest.approx((1 + 2 / L3) / (2 + 1 / L3))
    assert strict["groups"]["ms"]["recall100"] == 0.5
    assert strict["groups"]["all"]["topics"] == 4
    assert strict["groups"]["all"]["recall100"] == pytest.approx((1 + 0.5 + 1 + 1) / 4)
    # without --cross only the English article is found; only the cross topics ran
    typed = rows["all, cross as typed"]
    assert [(t["tid"], t["cross"]) for t in typed["per_topic"]] == [("xen1", False)]
    assert typed["per_topic"][0]["recall100"] == 0.5
    assert typed["groups"]["all"] is None and typed["groups"]["zh"] is None
    # the naive pipeline has no --cross
    naive = {t["tid"]: t for t in rows["naive AND"]["per_topic"]}
    assert naive["xen1"]["cross"] is False and naive["xen1"]["recall100"] == 0.5
    assert {t["tid"]: t for t in rows["naive OR"]["per_topic"]}["ms01"]["recall100"] == 1.0

    assert "Own topics (4), all features" in out  # the target row in the main report
    assert "nDCG@10, cross topics (--cross)" in out
    assert own_table.main([str(written)]) == 0
    md = capsys.readouterr().out
    assert "| strict AND | 1.000 | 0." in md and "| --- | ---: |" in md


# --- pooling ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_pool_writes_a_judging_sheet_and_reads_it_back(tiny, tmp_path, capsys):
    from eval import pool
    from eval.systems import MLSEARCH, NAIVE, ensure_indexes

    corpus = tiny / "data" / "news" / "articles.jsonl.gz"
    ensure_indexes(corpus, tiny / "work", [MLSEARCH, NAIVE])
    sheet = tmp_path / "judging" / "xen1.tsv"
    earlier = tmp_path / "earlier.txt"
    earlier.write_text("xen1 0 en-1 1\nen01 0 zh-1 2\n", encoding="utf-8")
    common = ["--workdir", str(tiny / "work"), "--corpus", str(corpus), "--sheet", str(sheet)]
    args = ["pool", "--tid", "xen1", "-q", "defence minister", "-q", "ASEAN meet"]
    args += ["--term", "Sabah", "--qrels", str(earlier), *common]
    assert pool.main(args) == 0
    out = capsys.readouterr().out
    with sheet.open(encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    assert rows[0] == pool.SHEET_HEADER
    by_id = {r[0]: r for r in rows[1:]}
    # en-1: every system; zh-1: only through --cross; ms-3: only the substring scan
    assert set(by_id) == {"en-1", "zh-1", "ms-3"}
    assert by_id["en-1"][3] == "1"  # its earlier grade for this topic, not en01's
    assert by_id["zh-1"][3] == "" and by_id["zh-1"][4] == "mlsearch cross"
    assert by_id["ms-3"][4] == "scan 'Sabah'"
    assert by_id["ms-3"][1:3] == [
        "Banjir kilat di Sabah",
        "Banjir kilat melanda dua daerah di Sabah.",
    ]
    assert rows[1][0] == "en-1"  # found by the most systems first
    assert "3 candidates (1 already judged)" in out
    # --lang keeps a mono topic's language
    assert pool.main(["pool", "-q", "defence minister", "--lang", "zh", *common]) == 0
    with sheet.open(encoding="utf-8") as fh:
        assert [line.split("\t")[0] for line in fh][1:] == ["zh-1"]
    capsys.readouterr()

    # graded, the sheet becomes qrels lines; ungraded lines are left out
    sheet.write_text(
        "corpus_id\ttitle\topening\tgrade\tfound_by\nzh-1\tt\to\t2\tx\nen-1\tt\to\t\tx\n",
        encoding="utf-8",
    )
    assert pool.main(["qrels", str(sheet), "--tid", "xen1"]) == 0
    assert capsys.readouterr().out == "xen1 0 zh-1 2\n"
    sheet.write_text("zh-1\tt\to\t3\tx\n", encoding="utf-8")
    assert pool.main(["qrels", str(sheet), "--tid", "xen1"]) == 2


def test_pool_keeps_article_text_out_of_the_repository(capsys):
    from eval import pool
    from eval.data import REPO_ROOT

    sheet = REPO_ROOT / "eval" / "data" / "own" / "sheet.tsv"
    assert pool.main(["pool", "-q", "x", "--sheet", str(sheet)]) == 2
    assert "inside the repository" in capsys.readouterr().out
    assert not sheet.exists()
