"""Searching while indexing, under load: several processes search without pause while an
``mlsearch index`` run commits every few hundred articles and another process runs saved
queries. No answer is an error, and every answer is that of some commit: a searcher's
article count never goes down (nothing is removed) and is always a count some commit left.

Marked ``faults``; the budget is small by default. For the full run:
``MLSEARCH_LOAD_SECONDS=60 MLSEARCH_LOAD_SEARCHERS=4 pytest -s tests/test_load.py`` (the
latency each client saw, p50/p95, is printed; ``MLSEARCH_LOAD_REPORT=FILE`` also writes it
as JSON). The articles are invented here, in tmp_path.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest

from indexer.write.build import build_index

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
MARK = "beritaload"  # in every article: its count is the number of articles indexed
SEED = 150  # articles indexed before the load starts
TOPICS = ["navy", "latihan", "东盟", "pertahanan", "exercise", "南海"]
SAVED = {"navy": "navy", "latihan": "latihan maritim", "asean": "东盟"}

EN = "navy army exercise maritime patrol defence minister meeting security cooperation ship"
MS = "latihan tentera laut pertahanan mesyuarat menteri keselamatan kerjasama serantau kapal"
ZH = ["东盟", "防长", "会议", "南海", "局势", "海军", "演习", "合作", "安全", "国防部长"]


def budget() -> float:
    return float(os.environ.get("MLSEARCH_LOAD_SECONDS", "12"))


def plan() -> tuple[int, int]:
    """(articles between commits, articles an index run adds): three commits a run, every
    200 articles for a long run, every 100 in the small budget (on 2 shared cores, 6 busy
    processes leave an index run a fraction of one)."""
    return (200, 600) if budget() >= 60 else (100, 300)


def article(rng: random.Random, n: int) -> tuple[str, str]:
    """An invented article numbered n: (title, body), English, Malay or Chinese."""
    kind = n % 3
    if kind == 2:
        title = "".join(rng.choice(ZH) for _ in range(4)) + f" {MARK}"
        body = "，".join("".join(rng.choice(ZH) for _ in range(3)) for _ in range(25)) + "。"
        return title, f"{body} {MARK} no{n}"
    words = (EN if kind == 0 else MS).split()
    title = " ".join(rng.choice(words) for _ in range(6)).capitalize()
    body = " ".join(rng.choice(words) for _ in range(80))
    return title, f"{body} {MARK} no{n}."


def write_articles(folder: Path, first: int, count: int, seed: int) -> None:
    """Articles first .. first+count-1 under folder: .txt and .md files and a JSON Lines feed."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for n in range(first, first + count):
        title, body = article(rng, n)
        if n % 4 == 3:
            records.append({"id": f"rec-{n}", "title": title, "body": body, "date": "2025-11-01"})
        else:
            name = f"a{n:06d}.txt" if n % 2 else f"b{n:06d}.md"
            (folder / name).write_text(f"{title}\n2025-10-{1 + n % 28:02d}\n\n{body}\n", "utf-8")
    with open(folder / "feed.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- the clients, each its own process -----------------------------------------------------


def searcher_client(index: str, out: str, go, stop, seed: int) -> None:
    """Search without pause, a fresh Searcher for each round (as each mlsearch command has),
    until ``stop``; write what was seen."""
    from search import Searcher

    rng = random.Random(seed)
    seen, latencies, errors = [], [], []
    go.wait()
    while not stop.is_set():
        topic = rng.choice(TOPICS)
        started = time.perf_counter()
        try:
            with Searcher(index) as s:
                total = s.count(MARK)
                res = s.search(topic, limit=10, suggest=False)
            if res.total > total:
                errors.append(f"{topic!r}: {res.total} hits of {total} articles")
            seen.append(total)
        except Exception:
            errors.append(traceback.format_exc(limit=3))
        latencies.append(time.perf_counter() - started)
    Path(out).write_text(json.dumps({"seen": seen, "latencies": latencies, "errors": errors}))


def saved_client(index: str, out: str, go, stop) -> None:
    """Run every saved query, only what is new, without pause until ``stop``."""
    from click.testing import CliRunner

    from search.cli import main

    latencies, errors, new_ids, runs = [], [], {name: [] for name in SAVED}, 0
    args = ["saved", "run", "--all", "--new", "--json", "--index", index]
    go.wait()
    while not stop.is_set():
        started = time.perf_counter()
        res = CliRunner().invoke(main, args)
        latencies.append(time.perf_counter() - started)
        runs += 1
        if (
            res.exit_code not in (0, 1)
            or res.exception
            and not isinstance(res.exception, SystemExit)
        ):
            errors.append(f"exit {res.exit_code}: {res.stderr.strip()} {res.exception!r}")
            continue
        if "internal error" in res.output or "Traceback" in res.output:
            errors.append(res.output)
        for line in res.stdout.splitlines():
            hit = json.loads(line)
            new_ids[hit["saved"]].append(hit["id"])
    Path(out).write_text(
        json.dumps({"latencies": latencies, "errors": errors, "new": new_ids, "runs": runs})
    )


def feeder(docs: str, index: str, out: str, go, stop) -> None:
    """Add a round of invented articles and run ``mlsearch index`` (committing every few
    hundred), round after round until ``stop``; record every count a commit can have left."""
    commit_every, size = plan()
    env = {**os.environ, "MLSEARCH_COMMIT_EVERY": str(commit_every)}
    env.pop("MLSEARCH_INDEX", None)
    total, commits, errors, rounds = SEED, [SEED], [], []
    go.wait()
    while not stop.is_set():
        r = len(rounds)
        write_articles(Path(docs) / f"round{r:03d}", SEED + r * size, size, seed=1000 + r)
        started = time.perf_counter()
        cmd = [sys.executable, "-m", "search.cli", "index", "-q", "--index", index, docs]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        rounds.append(time.perf_counter() - started)
        if proc.returncode != 0:
            errors.append(f"index exit {proc.returncode}: {proc.stderr[-2000:]}")
            break
        commits += [total + k for k in range(commit_every, size, commit_every)]
        total += size
        commits.append(total)
    Path(out).write_text(
        json.dumps({"commits": commits, "errors": errors, "rounds": rounds, "total": total})
    )


# --- the test --------------------------------------------------------------------------------


def test_searching_while_indexing_under_load(tmp_path):
    from click.testing import CliRunner

    from search import Searcher
    from search.cli import main

    searchers = int(os.environ.get("MLSEARCH_LOAD_SEARCHERS", "4"))
    docs, index = tmp_path / "docs", tmp_path / "ix"
    write_articles(docs / "seed", 0, SEED, seed=1)
    assert build_index([docs], index).added == SEED
    with Searcher(index) as s:
        assert s.count(MARK) == SEED  # the marker finds every article, in all three languages
    for name, query in SAVED.items():
        res = CliRunner().invoke(main, ["saved", "add", "--index", str(index), name, query])
        assert res.exit_code == 0, res.output

    ctx = multiprocessing.get_context("spawn")  # clean processes, as separate commands are
    go, stop_feeding, stop = ctx.Event(), ctx.Event(), ctx.Event()
    out = {f"searcher{i}": tmp_path / f"searcher{i}.json" for i in range(searchers)}
    out["saved"], out["feeder"] = tmp_path / "saved.json", tmp_path / "feeder.json"
    procs = {
        f"searcher{i}": ctx.Process(
            target=searcher_client, args=(str(index), str(out[f"searcher{i}"]), go, stop, i)
        )
        for i in range(searchers)
    }
    procs["saved"] = ctx.Process(
        target=saved_client, args=(str(index), str(out["saved"]), go, stop)
    )
    procs["feeder"] = ctx.Process(
        target=feeder, args=(str(docs), str(index), str(out["feeder"]), go, stop_feeding)
    )
    for p in procs.values():
        p.start()
    try:
        go.set()
        # The load lasts the budget and at least one whole index run; the deadline only
        # guards against a hang.
        started = time.monotonic()
        hang = started + budget() + 600
        while time.monotonic() - started < budget() or not out["feeder"].exists():
            if time.monotonic() - started >= budget():
                stop_feeding.set()
            assert time.monotonic() < hang, "the load never finished"
            assert procs["feeder"].exitcode in (None, 0)
            time.sleep(0.2)
        stop_feeding.set()
        procs["feeder"].join(600)
        stop.set()
        for p in procs.values():
            p.join(120)
    finally:
        stop_feeding.set()
        stop.set()
        for p in procs.values():
            if p.is_alive():
                p.kill()
                p.join()
    assert all(p.exitcode == 0 for p in procs.values()), {n: p.exitcode for n, p in procs.items()}
    results = {name: json.loads(path.read_text()) for name, path in out.items()}

    feed = results["feeder"]
    assert not feed["errors"], feed["errors"]
    commits = set(feed["commits"])
    summary = {
        "seconds": round(time.monotonic() - started, 1),
        "index_runs": len(feed["rounds"]),
        "index_run_seconds": [round(x, 1) for x in feed["rounds"]],
        "articles": feed["total"],
        "clients": {},
    }
    with Searcher(index) as s:
        assert s.count(MARK) == feed["total"]  # every round's articles, once
    for name, res in results.items():
        if name == "feeder":
            continue
        assert not res["errors"], (name, res["errors"][:3])
        lat = [x * 1000 for x in res["latencies"]]
        summary["clients"][name] = {
            "requests": len(lat),
            "errors": len(res["errors"]),
            "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1),
        }
        if name == "saved":
            assert res["runs"] > 0
            for query, ids in res["new"].items():
                assert len(ids) == len(set(ids)), f"{query}: an article reported new twice"
            continue
        seen = res["seen"]
        assert seen, f"{name} answered nothing"
        assert seen == sorted(seen), f"{name}: a count went down"
        assert set(seen) <= commits, f"{name}: counts no commit left: {set(seen) - commits}"
        # and it searched while the run was at work: states between the first and the last
        assert len(set(seen)) >= 3, f"{name} saw only {sorted(set(seen))}"
        summary["clients"][name]["counts_seen"] = len(set(seen))
    print("\nload:", json.dumps(summary, indent=1))
    if os.environ.get("MLSEARCH_LOAD_REPORT"):
        Path(os.environ["MLSEARCH_LOAD_REPORT"]).write_text(json.dumps(summary, indent=1))
