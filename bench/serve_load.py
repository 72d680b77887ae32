"""``mlsearch serve`` under load: concurrent clients on loopback, alone and while
``index --watch`` commits new articles beside the server (bench/README.md, "Serving").

    .venv/bin/python -m bench.serve_load --index /tmp/bench-w/mlsearch-index

The index is copied to a temporary folder first (the watch phase adds articles to it).
Each client is a thread with its own keep-alive connection asking ``/api/search`` (facets
included, as the browser page asks) for queries from a fixed list, round after round, for
``--seconds``. Reported: requests, errors (any answer but 200, or no answer), requests a
second, latency p50/p95/p99/max; the server's start-up (spawn to ``/api/health``
answering); a cold ``mlsearch search`` through the server beside one opening the index
(medians of ``--cold-runs``); in the watch phase, how long after a file lands its article is found.
Raw figures go to ``--out`` as JSON.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX = Path("/tmp/bench-w/mlsearch-index")
DEFAULT_NEW = Path("/tmp/bench-w/new-1pct.jsonl.gz")

QUERIES = [
    "malaysia",
    "东盟",
    "banjir",
    "south china sea",
    "menteri pertahanan",
    "election",
    "经济 增长",
    "najib",
    "flood victims",
    "ASEAN summit",
    "harga minyak",
    "马来西亚 首相",
    "covid vaccine",
    "kerajaan negeri",
    "trade war",
    "教育部",
    '"prime minister"',
    "date:2025 anwar",
    "palm oil",
    "polis",
]


def percentile(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def start_server(index: Path, workers: int = 1) -> tuple[subprocess.Popen, str, float]:
    serve_json = index / "serve.json"
    if serve_json.exists():
        serve_json.unlink()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "search.cli", "serve", "--index", str(index)),
            *("--port", "0", "--workers", str(workers)),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped: {proc.stderr.read()}")
        try:
            url = json.loads(serve_json.read_text())["url"]
            if get(url, "/api/health")[0] == 200:
                return proc, url, time.perf_counter() - t0
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    proc.kill()
    raise SystemExit("the server did not come up in 120 s")


def get(url: str, path: str) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def load(url: str, clients: int, seconds: float) -> dict:
    """``clients`` threads asking for ``seconds``: the figures."""
    parts = urlsplit(url)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        start.wait()
        i = n
        while time.monotonic() < stop_at[0]:
            q = QUERIES[i % len(QUERIES)]
            i += 1
            path = f"/api/search?q={quote(q)}&limit=10"
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    errors[n].append(f"{resp.status} {body[:200]!r}")
            except (OSError, http.client.HTTPException) as exc:
                errors[n].append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                continue
            latencies[n].append(time.perf_counter() - t0)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    lat = [x for xs in latencies for x in xs]
    errs = [e for es in errors for e in es]
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(lat) + len(errs),
        "errors": len(errs),
        "error_samples": errs[:5],
        "rps": round(len(lat) / elapsed, 1),
        "p50_ms": round(1000 * percentile(lat, 0.50), 1) if lat else None,
        "p95_ms": round(1000 * percentile(lat, 0.95), 1) if lat else None,
        "p99_ms": round(1000 * percentile(lat, 0.99), 1) if lat else None,
        "max_ms": round(1000 * max(lat), 1) if lat else None,
    }


class Feeder(threading.Thread):
    """Drops a JSON Lines file of new articles into the watched folder every ``every``
    seconds, each holding a word of its own; records how long until a search finds it."""

    def __init__(self, url: str, folder: Path, articles: list[dict], every: float, per_file: int):
        super().__init__(daemon=True)
        self.url, self.folder, self.articles = url, folder, articles
        self.every, self.per_file = every, per_file
        self.stopping = threading.Event()
        self.delays: list[float] = []
        self.files = 0

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set() and n + self.per_file <= len(self.articles):
            marker = f"zqxmarker{self.files:04d}"
            batch = []
            for rec in self.articles[n : n + self.per_file]:
                rec = {**rec, "id": f"{rec['id']}-load{self.files}"}
                rec["body"] = f"{rec.get('body', '')} {marker}"
                batch.append(rec)
            n += self.per_file
            tmp = self.folder / f".batch-{self.files:04d}.tmp"
            tmp.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in batch) + "\n")
            landed = time.perf_counter()
            tmp.rename(self.folder / f"batch-{self.files:04d}.jsonl")
            self.files += 1
            while not self.stopping.is_set():
                try:
                    status, body = get(self.url, f"/api/search?q={marker}&facets=false")
                    if status == 200 and json.loads(body)["total"] > 0:
                        self.delays.append(time.perf_counter() - landed)
                        break
                except (OSError, ValueError):
                    pass
                time.sleep(0.1)
            self.stopping.wait(self.every)


COLD_QUERIES = ["东盟 防长", "menteri pertahanan", "south china sea"]


def cold_runs(index: Path, runs: int) -> dict:
    """Median wall time of a fresh ``mlsearch search QUERY`` process through the running
    server and opening the index itself (``MLSEARCH_NO_SERVER=1``), and of ``python -c
    pass`` for scale; the same queries, interleaved."""
    script = Path(sys.executable).with_name("mlsearch")  # the console script users run
    mlsearch = [str(script)] if script.exists() else [sys.executable, "-m", "search.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSEARCH_")}
    times: dict[str, list[float]] = {"server": [], "direct": [], "python": []}
    for i in range(runs):
        q = COLD_QUERIES[i % len(COLD_QUERIES)]
        for path, extra in (("server", {}), ("direct", {"MLSEARCH_NO_SERVER": "1"})):
            t0 = time.perf_counter()
            subprocess.run(
                [*mlsearch, "search", q, "--index", str(index)],
                env={**env, **extra},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            times[path].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times["python"].append(time.perf_counter() - t0)
    return {f"{k}_median_s": round(percentile(v, 0.5), 3) for k, v in times.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    ap.add_argument("--new", type=Path, default=DEFAULT_NEW, help="JSON Lines of new articles")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--every", type=float, default=3.0, help="seconds between new files")
    ap.add_argument("--per-file", type=int, default=5, help="articles in each new file")
    ap.add_argument("--skip-watch", action="store_true")
    ap.add_argument("--workers", type=int, default=1, help="mlsearch serve --workers N")
    ap.add_argument("--cold-runs", type=int, default=15, help="cold mlsearch search runs")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args(argv)
    if not (args.index / "mlsearch.json").exists():
        raise SystemExit(
            f"no mlsearch index in {args.index}: build one with "
            "python -m bench.run --skip-baselines --workdir DIR"
        )
    report: dict = {
        "index": str(args.index),
        "queries": QUERIES,
        "cpus": os.cpu_count(),
        "workers": args.workers,
    }
    with tempfile.TemporaryDirectory(prefix="mlsearch-load-") as tmp:
        work = Path(tmp)
        index = work / "index"
        shutil.copytree(args.index, index, ignore=shutil.ignore_patterns("serve.json"))
        proc, url, startup = start_server(index, args.workers)
        report["startup_s"] = round(startup, 2)
        print(f"server up in {startup:.2f} s at {url}", flush=True)
        watcher = None
        try:
            for q in QUERIES:  # one warm-up round: the first use of each column
                get(url, f"/api/search?q={quote(q)}")
            if args.cold_runs:
                report["cold_search"] = cold_runs(index, args.cold_runs)
                print(json.dumps(report["cold_search"]), flush=True)
            print(f"{args.clients} clients, {args.seconds:.0f} s …", flush=True)
            report["alone"] = load(url, args.clients, args.seconds)
            print(json.dumps(report["alone"]), flush=True)
            if not args.skip_watch:
                folder = work / "incoming"
                folder.mkdir()
                with gzip.open(args.new, "rt", encoding="utf-8") as f:
                    articles = [json.loads(line) for line in f if line.strip()]
                watcher = subprocess.Popen(
                    [sys.executable, "-m", "search.cli", "index", "--watch", "-q"]
                    + ["--index", str(index), str(folder)],
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                time.sleep(5)  # the watcher's first pass over the index's folders
                feeder = Feeder(url, folder, articles, args.every, args.per_file)
                feeder.start()
                print(f"{args.clients} clients, {args.seconds:.0f} s, index --watch …", flush=True)
                report["with_watch"] = load(url, args.clients, args.seconds)
                feeder.stopping.set()
                feeder.join()
                report["with_watch"]["files_added"] = feeder.files
                report["with_watch"]["found_after_s"] = {
                    "n": len(feeder.delays),
                    "median": round(percentile(feeder.delays, 0.5), 2) if feeder.delays else None,
                    "max": round(max(feeder.delays), 2) if feeder.delays else None,
                }
                print(json.dumps(report["with_watch"]), flush=True)
        finally:
            if watcher is not None:
                watcher.send_signal(signal.SIGINT)
                try:
                    watcher.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    watcher.kill()
            report["server_exit"] = stop(proc)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"serve-load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"-> {out}")
    failed = report["alone"]["errors"] + report.get("with_watch", {}).get("errors", 0)
    return 1 if failed or report["server_exit"] != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
