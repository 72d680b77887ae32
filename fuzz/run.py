#!/usr/bin/env python3
"""Run one fuzz target: build its seed corpus from tests/fixtures, then run it under atheris.

    python fuzz/run.py TARGET [--time SECONDS] [--work DIR] [-- LIBFUZZER_FLAG ...]

TARGET is html, json, text, decode or dates.  New corpus entries go to
``WORK/TARGET/corpus`` (kept between runs), crash/timeout inputs to ``WORK/TARGET/``
(``crash-…``, ``timeout-…``, ``oom-…``); WORK defaults to ``fuzz/work`` (git-ignored).
The exit status is the fuzzer's: 0 when the time ran out with nothing found.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "tests" / "fixtures"
TARGETS = ("html", "json", "text", "decode", "dates")
# one input taking longer than this is a finding (a hang); so is more memory than this
TIMEOUT_S = 5
RSS_LIMIT_MB = 2048
# the largest input tried: room for long lines, numbers of thousands of digits, deep nesting
MAX_LEN = {"html": 32768, "json": 16384, "text": 16384, "decode": 16384, "dates": 4096}


def _fixtures(*suffixes: str) -> list[Path]:
    """Fixture files with these suffixes; the fuzz regression inputs are not seeds."""
    return sorted(
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.name.endswith(suffixes) and "fuzz" not in p.parts
    )


def _texts() -> list[bytes]:
    return [p.read_bytes() for p in _fixtures(".txt", ".md")]


def _json_lines(limit: int = 6) -> list[bytes]:
    """Each JSON Lines fixture, cut to its first ``limit`` lines (seeds stay small)."""
    return [
        b"".join(p.read_bytes().splitlines(keepends=True)[:limit])
        for p in _fixtures(".jsonl", ".ndjson")
    ]


def seeds(target: str) -> list[bytes]:
    """The seed inputs of a target, built from tests/fixtures."""
    if target == "html":
        return [p.read_bytes() for p in _fixtures(".html", ".htm")]
    if target == "json":
        out = []
        for lines in _json_lines():
            records = [json.loads(line) for line in lines.splitlines() if line.strip()]
            array = json.dumps(records, ensure_ascii=False, indent=1).encode()
            out += [b"\x01" + lines, b"\x03" + lines, b"\x00" + array, b"\x02" + array]
            out += [b"\x00" + json.dumps({"articles": records}).encode(), b"\x05" + array]
        return out
    if target == "text":
        out = []
        for p in _fixtures(".txt", ".md"):
            md = p.suffix == ".md"
            out += [(b"\x02" if md else b"\x00") + p.read_bytes()]
            out += [(b"\x03" if md else b"\x01") + p.read_bytes()]
        return out
    if target == "decode":
        out = []
        for data in _texts()[:12]:
            text = data.decode("utf-8")
            out += [data, codecs.BOM_UTF8 + data, text.encode("utf-16")]
            for codec in ("gb18030", "big5", "cp1252"):
                with contextlib.suppress(UnicodeEncodeError):
                    out.append(text.encode(codec))
        out += [p.read_bytes() for p in _fixtures(".html")]
        return out
    if target == "dates":
        out = []
        for data in _texts():
            lines = data.splitlines()
            out += [line for line in lines[:4] + lines[-3:] if line.strip()]
            out.append(b"\n".join(lines[:12]))
        return out
    raise ValueError(f"unknown target {target!r}")


def write_seeds(target: str, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    found = set()
    for data in seeds(target):
        name = hashlib.sha1(data).hexdigest()
        found.add(name)
        (folder / name).write_bytes(data)
    return len(found)


def command(target: str, work: Path, seconds: int, extra: list[str]) -> list[str]:
    base = work / target
    corpus, seed_dir = base / "corpus", base / "seeds"
    corpus.mkdir(parents=True, exist_ok=True)
    write_seeds(target, seed_dir)
    cmd = [
        sys.executable,
        str(HERE / f"fuzz_{target}.py"),
        f"-max_total_time={seconds}",
        f"-timeout={TIMEOUT_S}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-max_len={MAX_LEN[target]}",
        f"-artifact_prefix={base}/",
        "-print_final_stats=1",
    ]
    dictionary = HERE / "dicts" / f"{target}.dict"
    if dictionary.exists():
        cmd.append(f"-dict={dictionary}")
    return [*cmd, *extra, str(corpus), str(seed_dir)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", choices=TARGETS)
    parser.add_argument("--time", type=int, default=600, help="seconds (default 600)")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []  # libFuzzer flags
    args = parser.parse_args(argv[: len(argv) - len(extra) - bool(extra)])
    cmd = command(args.target, args.work.resolve(), args.time, extra)
    print("+ " + " ".join(cmd), flush=True)
    # the scratch files the target reads go under WORK/TARGET too
    env = {**os.environ, "MLSEARCH_FUZZ_TMP": str(args.work.resolve() / args.target)}
    return subprocess.call(cmd, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
