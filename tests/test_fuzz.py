"""The fuzz targets in fuzz/: their findings stay fixed, and each target still runs.

Every input a fuzz run found (tests/fixtures/fuzz/TARGET/*) is fed again to that target's
``check``, which raises on a finding; the tests below them say what each one broke.  The
smoke tests (marker ``fuzz``) run each target under atheris for a few seconds in a
subprocess, so the targets keep working; they are skipped where atheris has no wheel.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.article import Article, Skipped
from indexer.read import SourceFile, read_file
from indexer.read.dates import parse_date_value

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
FOUND = Path(__file__).parent / "fixtures" / "fuzz"
TARGETS = ("html", "json", "text", "decode", "dates")


def load_target(name: str):
    """fuzz/fuzz_NAME.py as a module (its ``check`` runs without atheris)."""
    if str(FUZZ) not in sys.path:
        sys.path.insert(0, str(FUZZ))
    spec = importlib.util.spec_from_file_location(f"fuzz_{name}", FUZZ / f"fuzz_{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def found_inputs() -> list[tuple[str, Path]]:
    return sorted(
        (folder.name, path)
        for folder in FOUND.iterdir()
        if folder.is_dir()
        for path in folder.iterdir()
        if path.is_file()
    )


@pytest.mark.parametrize(("target", "path"), found_inputs(), ids=lambda v: getattr(v, "name", v))
def test_fuzz_findings_stay_fixed(target, path):
    load_target(target).check(path.read_bytes())


def test_every_target_has_seeds_from_the_fixtures():
    if str(FUZZ) not in sys.path:
        sys.path.insert(0, str(FUZZ))
    import run

    for target in TARGETS:
        assert len(run.seeds(target)) >= 2, target


def _read(tmp_path: Path, name: str, data: bytes) -> list[Article | Skipped]:
    path = tmp_path / name
    path.write_bytes(data)
    st = path.stat()
    return list(read_file(SourceFile(path, name, st.st_size, st.st_mtime_ns)))


# --- findings -----------------------------------------------------------------------------


def test_rfc2822_date_with_an_overflowing_field_is_read(tmp_path):
    """fuzz_dates: parsedate_to_datetime raised OverflowError on "2:06:0777…" seconds."""
    bad = "Wed, 29 Oct 4213 2:06:" + "07" * 40 + " +0800"
    assert parse_date_value(bad) is None
    # a JSON record (or an HTML meta tag) with such a date stopped the whole indexing run
    record = {"title": "t", "body": "b", "date": bad.replace("4213", "2025")}
    (article,) = _read(tmp_path, "feed.jsonl", json.dumps(record).encode() + b"\n")
    assert isinstance(article, Article)
    assert str(article.date) == "2025-10-29"  # the date at its start is still taken


def test_html_meta_charset_that_cannot_decode_falls_back(tmp_path):
    """fuzz_decode: ``<meta charset=undefined>`` raised UnicodeError (not a decode error)."""
    page = '<meta charset="undefined"><title>Berita</title><p>Isi berita.</p>'
    (article,) = _read(tmp_path, "page.html", page.encode())
    assert isinstance(article, Article)
    assert (article.title, article.body) == ("Berita", "Isi berita.")


@pytest.mark.parametrize("name", ["feed.jsonl", "feed.json", "feed.json.gz"])
def test_json_number_too_long_for_python_is_a_skipped_record(tmp_path, name):
    """Found by reading the code, not by a fuzz run (inputs over 4300 bytes): json raised a
    plain ValueError (Python's int digit limit), which stopped the whole indexing run."""
    big = "1" * 5000
    lines = ['{"title": "a"}', '{"title": "b", "n": ' + big + "}", '{"title": "c"}']
    data = "\n".join(lines) + "\n"
    if not name.endswith("l"):
        data = "[" + ",\n".join(lines) + "]" if name == "feed.json" else data
    raw = data.encode()
    items = _read(tmp_path, name, gzip.compress(raw) if name.endswith(".gz") else raw)
    titles = [i.title for i in items if isinstance(i, Article)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert titles == (["a", "c"] if name == "feed.jsonl" else ["a"])
    assert [(s.reason, s.line) for s in skipped] == [
        ("invalid JSON: a number too long to read at line 2", 2)
    ]


HANG_SCRIPT = """
import sys
from indexer.read import read_text_article
line = sys.argv[1]
n = 200_000
text = {"atx": "# a" + " " * n + "b", "bold": "**a " * (n // 4), "link": "[a" * (n // 2)}[line]
article = read_text_article("Tajuk\\n\\n" + text, "x.md", markdown=True)
print("ok" if article.title else "no title")
"""


@pytest.mark.parametrize("line", ["atx", "bold", "link"])
def test_markdown_long_line_is_read_in_linear_time(line):
    """Found by reading the code: the heading and inline-markup regexes were quadratic in
    the length of a line (16 kB: 9-14 s, 64 kB: 84 s; these 200 kB lines: many minutes).
    A hang guard, not a speed test: fixed, each takes a few seconds at most; the 120 s
    bound only stops a hang."""
    proc = subprocess.run(
        [sys.executable, "-c", HANG_SCRIPT, line],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"


def test_markdown_heading_closing_hashes():
    from indexer.read import read_text_article

    for source, title in [
        ("# Tajuk ##", "Tajuk"),
        ("# Tajuk#", "Tajuk#"),
        ("# #", "#"),
        ("#  Tajuk \t#  ", "Tajuk"),
        ("# C# dan F# #", "C# dan F#"),
    ]:
        assert read_text_article(source + "\n\nisi", "x.md", markdown=True).title == title


# --- smoke runs ---------------------------------------------------------------------------


@pytest.mark.fuzz
@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_smoke_run(target, tmp_path):
    """Each target under atheris for a few seconds: it starts, fuzzes, finds nothing."""
    pytest.importorskip("atheris")
    proc = subprocess.run(
        [sys.executable, str(FUZZ / "run.py"), target, "--time", "3", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "stat::number_of_executed_units" in out, out[-3000:]
    assert not list((tmp_path / target).glob("crash-*")), out[-3000:]
