"""Smoke tests of the benchmark harness (bench/): it runs end to end on a tiny corpus and
writes the JSON and the table. No timing assertions: the numbers are the harness's output."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from bench.naive import iter_records
from bench.run import LANGS, make_queries, prepare_corpus, strip_filters, write_new_articles

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


def test_harness_end_to_end(tmp_path):
    corpus = tiny_corpus(tmp_path / "tiny.jsonl.gz")
    out = tmp_path / "results"
    args = ["--corpus", corpus, "--runs", "1", "--out", out, "--workdir", tmp_path / "work"]
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
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
        assert s["reindex_add_1pct"]["seconds"] > 0
        assert s["warm"]["p50_ms"] > 0 and s["warm"]["p95_ms"] >= s["warm"]["p50_ms"]
        assert len(s["warm"]["per_query_ms"]) == len(data["queries"])
        assert set(s["cold"]["median_s"]) == set(LANGS)
    assert systems["mlsearch"]["reindex_no_change"]["seconds"] > 0
    assert systems["mlsearch"]["add_report"]["added"] == data["corpus"]["new_articles_1pct"]
    # ripgrep is measured when installed, and reported as n/a otherwise
    assert "cold" in systems["ripgrep"] or "n/a" in systems["ripgrep"]["note"]


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
