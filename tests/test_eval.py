"""The evaluation harness (eval/): metric formulas on hand-computed cases, and one smoke run
of ``python -m eval.run`` over a tiny corpus, topics and SIGHAN pair written here."""

from __future__ import annotations

import gzip
import json
import math

import pytest

from eval import metrics
from eval.known import clean_query, latin_candidates, short_query
from eval.sighan import score
from eval.topics import strip_isu


def test_average_precision_divides_by_all_relevant():
    # Relevant at ranks 1 and 3; c is never retrieved: (1/1 + 2/3) / 3.
    ap = metrics.average_precision(["a", "x", "b", "y"], {"a", "b", "c"})
    assert ap == pytest.approx((1 + 2 / 3) / 3)
    assert metrics.average_precision([], {"a"}) == 0.0
    assert metrics.average_precision(["a"], set()) == 0.0
    # Only the top k count.
    assert metrics.average_precision(["x", "a"], {"a"}, k=1) == 0.0


def test_recall_and_ndcg():
    assert metrics.recall_at(["a", "x", "b"], {"a", "b", "c"}, k=2) == pytest.approx(1 / 3)
    # DCG = 1/log2(3) + 1/log2(4); ideal (2 relevant) = 1 + 1/log2(3).
    expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert metrics.ndcg_at(["x", "a", "b"], {"a", "b"}) == pytest.approx(expected)
    assert metrics.ndcg_at(["a", "b"], {"a", "b"}) == pytest.approx(1.0)
    assert metrics.ndcg_at(["x"], {"a"}) == 0.0


def test_reciprocal_rank_and_success():
    ranked = ["w", "x", "y", "t"]
    assert metrics.reciprocal_rank(ranked, "t") == 0.25
    assert metrics.reciprocal_rank(ranked, "t", k=3) == 0.0
    assert metrics.success_at(ranked, "t", k=4) == 1.0
    assert metrics.success_at(ranked, "z") == 0.0
    assert metrics.rank_of(ranked, "y") == 3
    assert metrics.rank_of(ranked, "z") is None


def test_segmentation_prf_by_spans():
    # gold 我|爱|北京, test 我爱|北京: one word of two right, one of three found.
    s = score([["我爱", "北京"]], [["我", "爱", "北京"]])
    assert (s["p"], s["r"]) == (0.5, pytest.approx(1 / 3))
    assert s["f1"] == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    # Line breaks may differ from gold's: the file is scored as one stream.
    assert score([["你好", "。"], ["“", "好"]], [["你好", "。", "“"], ["好"]])["f1"] == 1.0
    assert metrics.prf(0, 0, 0) == {"p": 0.0, "r": 0.0, "f1": 0.0}


def test_query_cleaning_and_short_queries():
    assert clean_query('"Bird flu" fears: (AND) NOT what? [x]~2 a^3*') == (
        "Bird flu fears what x 2 a 3"
    )
    assert clean_query("Malaysia's 'big' day") == "Malaysia's big day"
    cands = latin_candidates("Banjir: mangsa di Kelantan meningkat (terkini)", frozenset({"di"}))
    assert cands == ["Banjir", "mangsa", "Kelantan", "meningkat", "terkini"]
    q = short_query("ms-1", cands)
    assert q == short_query("ms-1", cands)  # deterministic per article
    words = q.split()
    assert 2 <= len(words) <= 3 and words == [w for w in cands if w in words]
    assert strip_isu("isu air") == "air"
    assert strip_isu("perkahwinan") == "perkahwinan"
    assert strip_isu("isu") == "isu"


# --- smoke run ----------------------------------------------------------------------------

ARTICLES = [
    (
        "zh-1",
        "zh",
        "东盟防长会议在吉隆坡举行",
        "第十九届东盟防长会议在马来西亚首都吉隆坡举行。待处理的事项很多。",
    ),
    ("zh-2", "zh", "国务院部署农业发展工作", "中国农业发展银行支持春耕生产，安装简单的设备。"),
    ("zh-3", "zh", "南海局势总体稳定", "各方同意继续处理分歧，维护南海和平稳定。"),
    ("zh-4", "zh", "新春愉快 万家团圆", "新春愉快！各地群众欢度春节，处理年货订单。"),
    (
        "ms-malaya-00001",
        "ms",
        "Banjir di Kelantan semakin buruk",
        "Mangsa banjir di Kelantan meningkat kepada 5,000 orang.",
    ),
    (
        "ms-malaya-00002",
        "ms",
        "Isu harga minyak naik lagi",
        "Harga minyak petrol naik sepuluh sen mulai esok, kata menteri.",
    ),
    (
        "ms-malaya-00003",
        "ms",
        "Pelajar universiti terima bantuan",
        "Kerajaan memberi bantuan kepada pelajar universiti awam.",
    ),
    (
        "ms-malaya-00004",
        "ms",
        "Harga barang dapur meningkat",
        "Pengguna merungut harga barang dapur seperti minyak masak naik.",
    ),
    (
        "en-1",
        "en",
        "ASEAN defence ministers meet in Kuala Lumpur",
        "Defence ministers of ASEAN met to discuss maritime security.",
    ),
    (
        "en-2",
        "en",
        "Oil prices climb on supply fears",
        "Crude oil prices rose on Monday amid fears of tight supply.",
    ),
    (
        "en-3",
        "en",
        "Bird flu spreads to new farms",
        "Officials confirmed bird flu at three more poultry farms.",
    ),
    (
        "en-4",
        "en",
        "Football: Malaysia beat Thailand",
        "Malaysia beat Thailand two goals to one in the final.",
    ),
]


def _write_data(root):
    news = root / "news"
    news.mkdir(parents=True)
    with gzip.open(news / "articles.jsonl.gz", "wt", encoding="utf-8") as f:
        for doc_id, lang, title, body in ARTICLES:
            rec = {"id": doc_id, "lang": lang, "title": title, "date": "2024-01-02",
                   "source": "test", "url": None, "body": body}  # fmt: skip
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    topics = root / "eval" / "malay-topics"
    topics.mkdir(parents=True)
    (topics / "topics.tsv").write_text("MT01\tisu harga minyak\nMT02\tbanjir\n", encoding="utf-8")
    (topics / "qrels.txt").write_text(
        "MT01 0 ms-malaya-00002 1\nMT01 0 ms-malaya-00004 1\nMT02 0 ms-malaya-00001 1\n",
        encoding="utf-8",
    )
    sighan = root / "eval" / "sighan2005"
    (sighan / "gold").mkdir(parents=True)
    (sighan / "testing").mkdir(parents=True)
    for name in ("pku", "msr"):
        (sighan / "gold" / f"{name}_test_gold.utf8").write_text(
            "我  爱  北京  天安门\r\n今天  天气  很  好\r\n", encoding="utf-8"
        )
        (sighan / "testing" / f"{name}_test.utf8").write_text(
            "我爱北京天安门\r\n今天天气很好\r\n", encoding="utf-8"
        )


@pytest.mark.slow
def test_eval_run_smoke(tmp_path, capsys):
    from eval.run import main

    data = tmp_path / "data"
    _write_data(data)
    common = ["--data", str(data), "--workdir", str(tmp_path / "work")]
    common += ["--results", str(tmp_path / "results")]
    cross_set = tmp_path / "cross.tsv"
    cross_set.write_text(
        "# qid, query language, query, target language, relevant\n"
        "x01\ten\tdefence minister\tzh\tzh-1\n"
        "x02\tzh\t东盟\ten\ten-1\n",
        encoding="utf-8",
    )
    common += ["--cross-set", str(cross_set)]
    assert main([*common, "--per-lang", "3", "--probes", "5"]) == 0
    out = capsys.readouterr().out
    for heading in ("Malay topics (2)", "Known-item zh (3)", "Known-item ms", "Known-item en",
                    "Chinese substrings", "Cross-language (2 queries)", "SIGHAN 2005 pku",
                    "SIGHAN 2005 msr"):  # fmt: skip
        assert heading in out
    (written,) = (tmp_path / "results").glob("eval-*.json")
    payload = json.loads(written.read_text(encoding="utf-8"))
    res = payload["results"]
    assert set(payload["indexes"]) == {"mlsearch", "naive"}
    for variant in ("raw", "no_isu"):
        for system in ("mlsearch", "naive"):
            figures = res["topics"][variant][system]
            assert 0.0 <= figures["map100"] <= 1.0
            assert len(figures["per_topic"]) == 2
    assert res["topics"]["no_isu"]["mlsearch"]["per_topic"][0]["query"] == "harga minyak"
    for lang in ("zh", "ms", "en"):
        summary = res["known"]["summary"][lang]
        assert summary["sampled"] == 3
        assert 0.0 <= summary["mlsearch_full"]["success10"] <= 1.0
    assert all(0.0 <= r["mlsearch"] <= 1.0 for r in payload["report"] if "F1" in r["metric"])
    # defence minister and 东盟 are in the glossary: found only with --cross
    assert res["cross"]["mlsearch"]["recall10_target"] == 0.0
    assert res["cross"]["mlsearch_cross"]["recall10_target"] == 1.0
    assert res["cross"]["naive"]["recall10_all"] == 0.0
    for row in payload["report"]:
        assert row["status"] in ("", "met", "MISSED", "n/a")

    # A second run reuses both indexes.
    assert main([*common, "--only", "topics", "--skip-naive"]) == 0
    err = capsys.readouterr().err
    assert "mlsearch: reusing the index" in err


def test_english_topics_file_keeps_monolingual_topics(tmp_path):
    from eval.english import read_en_topics

    path = tmp_path / "topics-en.tsv"
    path.write_text(
        "# tid<TAB>kind<TAB>query_lang<TAB>query<TAB>description\n"
        "en01\tmono\ten\tcoffee export quotas\tCoffee export quotas: talks.\n"
        "xen1\tcross\ten\thaze\tHaze episodes.\n",
        encoding="utf-8",
    )
    assert read_en_topics(path) == {
        "en01": ("coffee export quotas", "Coffee export quotas: talks.")
    }


@pytest.mark.slow
def test_english_section_compares_three_systems(tmp_path, capsys):
    from eval.run import main

    data = tmp_path / "data"
    _write_data(data)
    args = ["--data", str(data), "--results", str(tmp_path / "results"), "--per-lang", "3"]
    assert main([*args, "--only", "english"]) == 0
    out = capsys.readouterr().out
    assert "English only (" in out
    (written,) = (tmp_path / "results").glob("eval-*.json")
    english = json.loads(written.read_text(encoding="utf-8"))["results"]["english"]
    summary = english["known"]["summary"]
    assert summary["queries"] == 3
    for system in ("mlsearch", "stock", "ours_plain"):
        assert 0.0 <= summary[f"{system}_short"]["mrr10"] <= 1.0
        assert f"  {system} " in out
