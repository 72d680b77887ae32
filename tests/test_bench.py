"""Smoke tests of the benchmark harness (bench/): it runs end to end on a tiny corpus and
writes the JSON and the table. No timing assertions: the numbers are the harness's output."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bench.naive import iter_records
from bench.run import (
    LANGS,
    Shuffler,
    make_queries,
    prepare_corpus,
    prewarm_queries,
    strip_filters,
    targets,
    targets_table,
    write_new_articles,
)

REPO = Path(__file__).resolve().parents[1]
NEWS = Path(__file__).parent / "fixtures" / "news"


def _fixture_records() -> list[dict]:
    """The fixture articles as records: .txt files (title, "date …" line, body) and feed.jsonl."""
    records = []
    for lang in LANGS:
        for path in sorted((NEWS / lang).glob("*.txt")):
            lines = [x for x in path.read_text("utf-8").splitlines() if x.strip()]
            date = lines[1][5:].strip() if lines[1].startswith("date ") else None
            body = "\n".join(lines[2:] if date else lines[1:])
            rec = {"id": path.stem, "lang": lang, "title": lines[0], "date": date, "body": body}
            records.append(rec)
    records += list(iter_records(NEWS / "feed.jsonl"))
    return records


def tiny_corpus(path: Path, n: int = 30) -> Path:
    base = _fixture_records()
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for i in range(n):
            rec = dict(base[i % len(base)], id=f"tiny-{i:03d}")
            if i >= len(base):  # vary the text a little so copies are not identical
                rec["body"] = f"{rec['body']} ({i})"
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def _bench(args: list, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    # A loaded test machine may answer /api/health slower than the client's default wait:
    # the server path must not depend on how busy the machine is (as in test_serve_client).
    env = {**os.environ, "MLSEARCH_SERVER_TIMEOUT": "10", **env}
    return subprocess.run(
        [sys.executable, "-m", "bench.run", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def _status(row: dict) -> str:
    """met/missed/n/a recomputed from a targets row's own numbers."""
    if row["note"]:
        return "n/a"
    x = row["ratio"] if row["on_ratio"] else row["value"]
    if x is None:
        return "n/a"
    at_least = "≥ 3×" in row["target"] or "within 20%" in row["target"]
    return "met" if (x >= row["limit"] if at_least else x <= row["limit"]) else "missed"


def test_harness_end_to_end(tmp_path):
    corpus = tiny_corpus(tmp_path / "tiny.jsonl.gz")
    out = tmp_path / "results"
    args = ["--corpus", corpus, "--runs", "1", "--out", out, "--workdir", tmp_path / "work"]
    proc = _bench(args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| system | build articles/s |" in proc.stdout
    assert "| ratio mlsearch ÷ naive |" in proc.stdout
    assert "| ratio mlsearch ÷ fts5 |" in proc.stdout

    (result,) = out.glob("bench-*.json")
    data = json.loads(result.read_text("utf-8"))
    expected = {"args", "machine", "corpus", "queries", "systems", "table", "total_seconds"}
    assert expected <= set(data)
    assert data["corpus"]["articles"] == 30
    assert data["machine"]["nproc"] >= 1
    assert {"whoosh3", "rjieba"} <= set(data["machine"]["versions"])
    assert len(data["queries"]) >= 60
    systems = data["systems"]
    assert {"mlsearch", "naive", "fts5", "ripgrep"} <= set(systems)
    for name in ("mlsearch", "naive", "fts5"):
        s = systems[name]
        assert s["build"]["articles"] >= 30
        for key in ("articles_per_s", "mb_per_s", "peak_rss_mb", "index_bytes", "index_x_raw"):
            assert s["build"][key] > 0
        assert s["build"]["cpu_s"] > 0 and s["build"]["cpu_ms_per_article"] > 0
        assert s["reindex_add_1pct"]["seconds"] > 0
        assert s["warm"]["p50_ms"] > 0 and s["warm"]["p95_ms"] >= s["warm"]["p50_ms"]
        assert len(s["warm"]["per_query_ms"]) == len(data["queries"])
        # each query's first run, timed after the eval topics warmed the searcher
        assert len(s["warm"]["first_sight_per_query_ms"]) == len(data["queries"])
        assert s["warm"]["prewarm_queries"] == len(prewarm_queries()) > 0
        assert s["warm"]["first_sight_p95_ms"] >= s["warm"]["first_sight_p50_ms"] > 0
        # its index files read once before the warm queries, as every system's
        assert s["paged_in_bytes"] >= s["build"]["index_bytes"] // 2 > 0
        assert set(s["cold"]["median_s"]) == set(LANGS)
    assert systems["mlsearch"]["reindex_no_change"]["seconds"] > 0
    assert systems["mlsearch"]["add_report"]["added"] == data["corpus"]["new_articles_1pct"]
    # ripgrep is measured when installed, and reported as n/a otherwise
    assert "cold" in systems["ripgrep"] or "n/a" in systems["ripgrep"]["note"]

    # segments counted from the index whoosh opens; the naive pipeline writes one
    mlsearch = systems["mlsearch"]
    assert mlsearch["build"]["segments"] >= 1 and mlsearch["segments_after_add"] >= 1
    assert systems["naive"]["build"]["segments"] == 1
    assert systems["fts5"]["build"]["segments"] is None

    # issue 16's client path: fresh `mlsearch search` processes asking a running server,
    # beside ones opening the index, in the main table and in the JSON
    server = mlsearch["cold_server"]
    assert server["server_probes"] == [True, True, True] and server["server_used"] is True
    assert server["server_exit"] == 0
    for key in ("median_s", "direct_median_s"):
        assert all(server[key][lang] > 0 for lang in LANGS)
    assert len(server["samples_s"]["zh"]) == len(server["direct_samples_s"]["zh"]) == 1
    assert "| mlsearch search through mlsearch serve (cold client, issue 16) |" in proc.stdout
    for label in ("mlsearch", "mlsearch --all-words", "naive"):
        assert f"| {label}: each query's first run, after {len(prewarm_queries())} others |" in (
            proc.stdout
        )
    assert "| ratio through serve ÷ opening the index (same phase) |" in proc.stdout

    # the targets of issue 15, after the main table: every row, each status computed from
    # the row's own value, baseline and ratio
    assert proc.stdout.index("| target of issue 15 |") > proc.stdout.index("| system |")
    rows = {row["target"]: row for row in data["targets"]}
    assert data["targets_table"] in proc.stdout
    for name in rows:
        assert f"| {name} |" in proc.stdout
    names = " / ".join(rows)
    for needle in ("≥ 3× naive", "≤ 4× raw", "p50 ≤ 8 ms", "p95 ≤ 30 ms", "no change < 1 s"):
        assert needle in names
    assert sum("cold CLI query ≤ 0.25 s" in n for n in rows) == 3
    assert not any("10×" in n or "2×" in n for n in rows)  # not a --scale run
    build = rows["full build ≥ 3× naive articles/s"]
    assert build["value"] == mlsearch["build"]["articles_per_s"]
    assert build["baseline"] == systems["naive"]["build"]["articles_per_s"]
    assert build["ratio"] == build["value"] / build["baseline"]
    cold_server = next(r for n, r in rows.items() if "through `mlsearch serve`" in n)
    assert cold_server["value"] == server["median_all_s"]
    assert cold_server["baseline"] == server["direct_median_all_s"]
    for row in data["targets"]:
        assert row["status"] == _status(row), row
        if row["value"] is not None:
            assert row["status"] in ("met", "missed"), row
    assert "This run has 30 articles: the targets are for the 15,321-article" in proc.stdout


def test_scaled_corpus_has_fresh_ids_and_shuffled_words(tmp_path):
    src = tiny_corpus(tmp_path / "tiny.jsonl.gz", n=12)
    info = prepare_corpus(src, tmp_path / "x3.jsonl.gz", limit=10, scale=3)
    records = list(iter_records(tmp_path / "x3.jsonl.gz"))
    assert info.articles == len(records) == 30
    assert len({r["id"] for r in records}) == 30
    first, copy = records[0], records[10]
    assert copy["id"] != first["id"]
    assert sorted(copy["body"].split()) == sorted(first["body"].split()) or first["lang"] == "zh"
    assert info.raw_bytes > 0

    new = tmp_path / "new.jsonl.gz"
    k = write_new_articles(tmp_path / "x3.jsonl.gz", new, info.articles)
    added = list(iter_records(new))
    assert len(added) == k >= 1
    assert not {r["id"] for r in added} & {r["id"] for r in records}


def test_prewarm_queries_are_the_eval_topics_in_their_languages():
    queries = prewarm_queries()
    assert len(queries) >= 30 and {q.lang for q in queries} == set(LANGS)
    texts = {q.text for q in queries}
    assert "jobless rate" in texts and not any(q.text.startswith("#") for q in queries)


def test_scaled_copies_keep_each_line_and_its_words():
    # A copy's words are shuffled within their line: the lines (and each one's language,
    # which the indexer decides line by line) stay as in the original.
    body = "\n".join(
        [
            "东盟防长会议今天在吉隆坡举行",
            "The ASEAN defence ministers met today",
            "",
            "Mesyuarat menteri",
        ]
    )
    copy = Shuffler()(body, random.Random(7))
    lines, copied = body.split("\n"), copy.split("\n")
    assert len(copied) == len(lines) and copied[2] == ""
    assert sorted(copied[1].split()) == sorted(lines[1].split()) != copied[1].split()
    assert sorted(copied[3].split()) == sorted(lines[3].split())
    assert sorted(copied[0].replace(" ", "")) == sorted(lines[0])


def test_query_set_covers_languages_phrases_filters_and_date_sort(tmp_path):
    info = prepare_corpus(tiny_corpus(tmp_path / "t.jsonl.gz"), tmp_path / "c.jsonl.gz", None, 1)
    queries = make_queries(info.titles)
    assert len(queries) >= 60
    for lang in LANGS:
        assert sum(q.lang == lang for q in queries) >= 15
    kinds = {q.kind for q in queries}
    assert {"words", "phrase", "filter-lang", "filter-date", "sort-date", "hand"} <= kinds
    assert any(q.text.startswith('"') for q in queries)
    assert any(q.sort == "date" for q in queries)
    assert strip_filters("lang:ms date:2025 banjir", keep_date=True) == "date:2025 banjir"
    assert strip_filters("lang:ms date:2025 banjir", keep_date=False) == "banjir"


def test_queries_only_measures_the_indexes_a_run_left(tmp_path):
    corpus = tiny_corpus(tmp_path / "tiny.jsonl.gz")
    common = ["--corpus", corpus, "--runs", "1", "--cold-runs", "1", "--skip-baselines"]
    common += ["--workdir", tmp_path / "work"]
    for extra in ([], ["--queries-only"]):
        out = tmp_path / ("again" if extra else "first")
        proc = subprocess.run(
            [sys.executable, "-m", "bench.run", *map(str, common + extra + ["--out", out])],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    (result,) = (tmp_path / "again").glob("bench-*.json")
    mlsearch = json.loads(result.read_text("utf-8"))["systems"]["mlsearch"]
    assert "build" not in mlsearch and mlsearch["reused_index"].endswith("mlsearch-index")
    assert mlsearch["warm"]["queries_with_hits"] > 0
    assert set(mlsearch["cold"]["median_s"]) == set(LANGS)


def test_peak_memory_adds_up_concurrent_sub_processes(tmp_path):
    """Indexing runs in several processes: their memory counts together, not the largest.

    The two children hold 60 MB each until the launcher has sampled the process tree at
    least twice since both stood (it writes its count to BENCH_SAMPLES_FILE): no sleeps."""
    from bench.run import Launcher, child_env, run_measured

    count = tmp_path / "samples"
    hold = (
        "import os, sys, time\n"
        "b = bytearray(60 * 2**20); b[::4096] = b'x' * len(b[::4096])\n"
        "open(sys.argv[1], 'w').close()\n"
        "deadline = time.monotonic() + 120  # a hang guard\n"
        "while not os.path.exists(sys.argv[2]) and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
    )
    parent = (
        "import os, subprocess, sys, time\n"
        "count, tmp = sys.argv[1], sys.argv[2]\n"
        "go = os.path.join(tmp, 'go')\n"
        "ready = [os.path.join(tmp, f'ready{i}') for i in range(2)]\n"
        f"ps = [subprocess.Popen([sys.executable, '-c', {hold!r}, r, go]) for r in ready]\n"
        "def taken():\n"
        "    try:\n"
        "        return int(open(count).read() or 0)\n"
        "    except (OSError, ValueError):\n"
        "        return 0\n"
        "deadline = time.monotonic() + 120  # a hang guard\n"
        "while not all(map(os.path.exists, ready)) and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        "first = taken()\n"
        "while taken() < first + 2 and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        "open(go, 'w').close()\n"
        "[p.wait() for p in ps]\n"
        "sys.exit(0 if time.monotonic() < deadline else 3)\n"
    )
    env = {**child_env(), "BENCH_SAMPLES_FILE": str(count)}
    try:
        proc = run_measured([sys.executable, "-c", parent, str(count), str(tmp_path)], env=env)
    finally:
        Launcher.stop()
    assert proc.rc == 0, proc.stderr
    assert proc.maxrss_mb > 110  # two children of 60 MB each, at once


def _results(scale: int = 1, **mlsearch) -> dict:
    """A run's results with round figures: mlsearch beside the naive pipeline."""
    m = {
        "build": {"articles_per_s": 330.0, "index_x_raw": 3.9, "segments": 3, "peak_rss_mb": 650},
        "warm": {
            "p50_ms": 7.5,
            "p95_ms": 31.0,
            "first_sight_p50_ms": 9.0,
            "first_sight_p95_ms": 29,
        },
        "reindex_no_change": {"seconds": 0.4},
        "cold": {"median_s": {"zh": 0.2, "ms": 0.26, "en": 0.25}},
        "cold_server": {"median_all_s": 0.09, "direct_median_all_s": 0.3, "server_used": True},
    }
    for key, value in mlsearch.items():
        m[key] = {**m.get(key, {}), **value}
    naive = {
        "build": {"articles_per_s": 100.0, "index_x_raw": 2.5},
        "warm": {"p50_ms": 5.0, "p95_ms": 28.0, "first_sight_p50_ms": 6.0},
        "cold": {"median_s": {"zh": 2.5, "ms": 2.6, "en": 2.8}},
    }
    return {"args": {"scale": scale}, "systems": {"mlsearch": m, "naive": naive}}


def test_targets_are_met_or_missed_by_the_numbers():
    rows = {t.name: t for t in targets(_results())}
    build = rows["full build ≥ 3× naive articles/s"]
    assert (build.ratio, build.status) == (3.3, "met")  # 330 ÷ 100
    assert rows["index on disk ≤ 4× raw text"].status == "met"
    assert rows["warm p50 ≤ 8 ms"].status == "met"
    assert rows["warm p95 ≤ 30 ms"].status == "missed"  # 31 ms
    assert rows["warm p95 ≤ 30 ms"].baseline == 28.0
    # each query's first run has targets of its own, beside the repeats' median
    first50 = rows["warm p50 ≤ 8 ms, each query's first run"]
    assert (first50.value, first50.baseline, first50.status) == (9.0, 6.0, "missed")
    assert rows["warm p95 ≤ 30 ms, each query's first run"].status == "met"
    assert rows["reindex, no change < 1 s"].status == "met"
    cold = {lang: t for name, t in rows.items() for lang in LANGS if f", {lang} (" in name}
    assert [cold[lang].status for lang in LANGS] == ["met", "missed", "met"]  # 0.25 is met
    assert cold["zh"].ratio == 0.2 / 2.5
    server = next(t for name, t in rows.items() if "mlsearch serve" in name)
    assert (server.status, server.ratio) == ("missed", 0.09 / 0.3)
    assert not any(name.startswith(("10×", "2×")) for name in rows)

    # the ratio, not the value, decides the build row; missing figures are n/a, not met
    slow = {t.name: t for t in targets(_results(build={"articles_per_s": 290.0}))}
    assert slow["full build ≥ 3× naive articles/s"].status == "missed"
    no_naive = _results()
    del no_naive["systems"]["naive"]
    rows = {t.name: t for t in targets(no_naive)}
    assert rows["full build ≥ 3× naive articles/s"].status == "n/a"
    assert rows["index on disk ≤ 4× raw text"].status == "met"  # a bound on the value
    fallback = _results(cold_server={"server_used": False})
    server = next(t for t in targets(fallback) if "mlsearch serve" in t.name)
    assert server.status == "n/a" and "did not use the server" in server.note

    table = targets_table(targets(_results()))
    assert (
        "| full build ≥ 3× naive articles/s | 330 articles/s | naive: 100 articles/s | 3.3 | met |"
        in table
    )
    assert "| warm p95 ≤ 30 ms | 31.0 ms | naive: 28.0 ms | 1.1 | missed |" in table


def test_scale_targets_compare_with_the_15k_run():
    at_10x = _results(10, build={"articles_per_s": 250.0, "segments": 4}, warm={"p95_ms": 90.0})
    rows = {t.name: t for t in targets(at_10x)}
    rate = rows["10×: build articles/s within 20% of the 15k rate"]
    assert rate.status == "n/a" and rate.baseline_label == "no 15k run given"
    assert rows["10×: warm p95 ≤ 100 ms"].status == "met"
    assert rows["10×: warm p95 ≤ 100 ms, each query's first run"].status == "met"  # 29 ms
    assert rows["10×: segments after the full build ≤ 3"].status == "missed"
    assert rows["10×: peak memory of all processes ≤ 700 MB"].status == "met"
    assert rows["warm p95 ≤ 30 ms"].status == "n/a"  # a 15k target, not a 10× one

    base = _results(build={"articles_per_s": 300.0, "segments": 2}, warm={"p95_ms": 25.0})
    rows = {t.name: t for t in targets(at_10x, base)}
    rate = rows["10×: build articles/s within 20% of the 15k rate"]
    assert (rate.baseline, rate.baseline_label, rate.status) == (300.0, "15k run", "met")
    assert rows["10×: warm p95 ≤ 100 ms"].baseline == 25.0
    assert rows["10×: segments after the full build ≤ 3"].baseline == 2
    # a run's own 1x builds, when it made them, are the build rate's baseline
    own = _results(10, build={"articles_per_s": 250.0})
    own["base_builds"] = [{"articles_per_s": 320.0}, {"articles_per_s": 300.0}]
    rate = {t.name: t for t in targets(own, base)}[
        "10×: build articles/s within 20% of the 15k rate"
    ]
    assert (rate.baseline, rate.status) == (310.0, "met")  # 250 / 310 = 0.81
    assert rate.baseline_label == "1x builds of this run, mean of 320 and 300"
    own["base_builds"] = [{"articles_per_s": 330.0}]
    rate = {t.name: t for t in targets(own)}["10×: build articles/s within 20% of the 15k rate"]
    assert (rate.baseline, rate.status, rate.note) == (330.0, "missed", "")  # 0.76
    slower = _results(10, build={"articles_per_s": 230.0})  # 0.77 of the 15k rate
    rows = {t.name: t for t in targets(slower, base)}
    assert rows["10×: build articles/s within 20% of the 15k rate"].status == "missed"
    heavy = _results(10, build={"peak_rss_mb": 701})
    rows = {t.name: t for t in targets(heavy, base)}
    assert rows["10×: peak memory of all processes ≤ 700 MB"].status == "missed"


def test_scale_run_reads_the_15k_figures_from_base_json(tmp_path):
    corpus = tiny_corpus(tmp_path / "tiny.jsonl.gz", n=10)
    base = tmp_path / "base.json"
    base.write_text(json.dumps(_results()), "utf-8")
    out = tmp_path / "results"
    args = ["--corpus", corpus, "--scale", "2", "--runs", "1", "--cold-runs", "0"]
    args += ["--skip-baselines", "--out", out, "--base-json", base]
    proc = _bench(args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (result,) = out.glob("bench-*.json")
    data = json.loads(result.read_text("utf-8"))
    rows = {row["target"]: row for row in data["targets"]}
    # the build rate compares with this run's own 1x builds, before and after, not base's
    rate = rows["2×: build articles/s within 20% of the 15k rate"]
    before, after = data["base_builds"]
    assert (before["when"], after["when"]) == ("before", "after")
    assert before["articles"] == after["articles"] == 10
    mean = (before["articles_per_s"] + after["articles_per_s"]) / 2
    assert rate["baseline"] == pytest.approx(mean)
    assert rate["baseline_from"].startswith("1x builds of this run, mean of ")
    assert rate["value"] == data["systems"]["mlsearch"]["build"]["articles_per_s"]
    assert rate["status"] == _status(rate)
    segments = rows["2×: segments after the full build ≤ 3"]
    assert segments["value"] == data["systems"]["mlsearch"]["build"]["segments"] >= 1
    assert "| 2×: build articles/s within 20% of the 15k rate |" in proc.stdout
    assert f"15k run (--base-json): {base}" in proc.stdout

    # a base run without a mlsearch build is refused before anything runs
    bad = tmp_path / "bad.json"
    bad.write_text("{}", "utf-8")
    proc = _bench(["--corpus", corpus, "--base-json", bad, "--out", out])
    assert proc.returncode == 2 and "no mlsearch build" in proc.stderr


def test_preanalyzed_json_carries_mlsearch_tokens_in_solr_terms():
    """bench/SCALE.md's Solr example: our tokens, Lucene's increments and UTF-16 offsets."""
    from bench.preanalyzed import preanalyzed
    from indexer.analyse.fields import analyze

    title = "东盟防长会议 Menteri-Menteri Pertahanan ASEAN bersidang di Kuala Lumpur"
    docs = preanalyzed(title)
    assert set(docs) == {"title_ms", "title_zh", "title_zh2"}
    assert [d.get("str") for d in docs.values()].count(title) == 1  # stored once
    assert all(d["v"] == "1" for d in docs.values())
    ms = docs["title_ms"]["tokens"]
    expected = analyze(title, "ms")
    assert [t["t"] for t in ms] == [term for term, *_ in expected]
    assert [(t["s"], t["e"]) for t in ms] == [(a, b) for _, _, a, b in expected]
    assert ms[0]["i"] == expected[0][1] + 1  # Lucene: position = sum of increments - 1
    assert sum(t["i"] for t in ms) - 1 == expected[-1][1]
    assert {"t": "menteri", "s": 7, "e": 22, "i": 1} in ms  # one token for the reduplication
    assert [t["t"] for t in docs["title_zh"]["tokens"]] == ["东盟", "防长", "会议"]

    # a character outside the BMP is one code point but two Java chars
    astral = preanalyzed("𠀀东盟")["title_zh"]["tokens"]
    assert [(t["t"], t["s"], t["e"]) for t in astral] == [("𠀀", 0, 2), ("东盟", 2, 4)]


def test_cpu_seconds_include_the_processes_a_child_waited_for():
    """The build's CPU figure counts mlsearch's indexing processes, not only its own."""
    from bench.run import Launcher, run_measured

    burn = "import time\nwhile time.process_time() < 0.3: pass"
    spawn = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {burn!r}])"
    try:
        p = run_measured([sys.executable, "-c", spawn])
    finally:
        Launcher.stop()
    assert p.rc == 0
    assert p.cpu_s >= 0.3


def test_page_in_reads_every_file_of_an_index(tmp_path):
    from bench.run import page_in

    (tmp_path / "ix" / "sub").mkdir(parents=True)
    (tmp_path / "ix" / "a.seg").write_bytes(b"x" * 3_000_000)
    (tmp_path / "ix" / "sub" / "b").write_bytes(b"y" * 10)
    (tmp_path / "one.db").write_bytes(b"z" * 7)
    assert page_in(tmp_path / "ix") == 3_000_010
    assert page_in(tmp_path / "one.db") == 7
