"""What ``mlsearch index`` shows while it works: the Progress events of build_index, the
plain lines when stderr is not a terminal, the live line when it is, and plurals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import indexer.write.build as build
from indexer.write.build import build_index
from indexer.write.progress import Progress
from search.cli.output import plural
from search.cli.progress import ProgressDisplay, describe, duration

from .conftest import invoke, run_in_terminal

RECORDS = 450


def write_docs(folder: Path, records: int = RECORDS, blank_lines: int = 0) -> Path:
    """A JSON Lines file of ``records`` articles (and blank lines) and two text files."""
    folder.mkdir(parents=True)
    with open(folder / "feed.jsonl", "w", encoding="utf-8") as f:
        for i in range(records):
            body = f"The navy held exercise number {i} off the coast of Sabah."
            f.write(json.dumps({"id": f"r{i}", "title": f"Exercise {i}", "body": body}) + "\n")
        f.write("\n" * blank_lines)
    (folder / "a.txt").write_text("Banjir\n\nBanjir melanda kampung itu.\n", encoding="utf-8")
    (folder / "b.txt").write_text("Patrol\n\nA patrol off Labuan.\n", encoding="utf-8")
    return folder


def events_of(*args, **kwargs) -> list[Progress]:
    events: list[Progress] = []
    build_index(*args, progress=events.append, **kwargs)
    return events


def phases(events) -> list[str]:
    """The phases in order, repeats collapsed."""
    out: list[str] = []
    for e in events:
        if not out or out[-1] != e.phase:
            out.append(e.phase)
    return out


# -- the events -------------------------------------------------------------------------


def test_a_json_lines_file_gives_the_total_and_the_phases_come_in_order(tmp_path):
    docs = write_docs(tmp_path / "docs", blank_lines=3)
    events = events_of([docs], tmp_path / "ix")
    total = RECORDS + 3 + 2  # its lines (blank ones too: a cheap count) and the two files
    reading = [e for e in events if e.phase == "reading"]
    assert {e.total for e in reading} == {total}
    assert all(e.files_total == 3 for e in events[1:])
    # counted as they come, never past the total, and all of it at the end
    assert [e.articles for e in reading] == sorted(e.articles for e in reading)
    assert any(0 < e.articles < RECORDS for e in reading)
    assert (reading[-1].articles, reading[-1].files, reading[-1].fraction) == (total, 3, 1.0)
    assert phases(events) == ["counting", "reading", "writing", "committing"]


def test_unchanged_files_count_as_done_but_not_as_read(tmp_path):
    docs = write_docs(tmp_path / "docs")
    build_index([docs], tmp_path / "ix")
    (docs / "c.txt").write_text("Drill\n\nA drill.\n", encoding="utf-8")
    events = events_of([docs], tmp_path / "ix")
    last = [e for e in events if e.phase == "reading"][-1]
    assert (last.articles, last.total, last.read) == (RECORDS + 3, RECORDS + 3, 1)
    assert last.fraction == 1.0
    # nothing to read: nothing written, no total to guess
    events = events_of([docs], tmp_path / "ix")
    assert "writing" not in phases(events)
    assert [e for e in events if e.phase == "reading"][-1].fraction is None


def test_a_json_document_has_no_total_and_goes_by_bytes(tmp_path):
    docs = write_docs(tmp_path / "docs", records=10)
    records = [{"title": f"Banjir {i}", "body": "Banjir melanda kampung."} for i in range(5)]
    (docs / "list.json").write_text(json.dumps(records), encoding="utf-8")
    events = events_of([docs], tmp_path / "ix")
    reading = [e for e in events if e.phase == "reading"]
    assert {e.total for e in reading} == {None}
    size = sum(p.stat().st_size for p in docs.iterdir())
    assert reading[-1].bytes_total == size and reading[-1].fraction == 1.0
    assert 0 < reading[1].fraction < 1


def test_merging_small_segments_is_a_phase(tmp_path, monkeypatch):
    """One commit per article leaves segments enough for whoosh's policy to merge them."""
    monkeypatch.setenv("MLSEARCH_COMMIT_EVERY", "1")
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(8):
        (docs / f"{i}.txt").write_text(f"Title {i}\n\nBody {i}.\n", encoding="utf-8")
    seen = phases(events_of([docs], tmp_path / "ix"))
    assert "merging" in seen
    at = seen.index("merging")
    assert seen[at - 1 : at + 3] == ["writing", "merging", "writing", "committing"]


def test_the_parallel_writer_says_committing_before_it_writes_the_table_of_contents(
    tmp_path, monkeypatch
):
    from indexer.write.parallel import ParallelWriter

    monkeypatch.setattr(build, "PARALLEL_BYTES", 0)
    monkeypatch.setenv("MLSEARCH_PROCS", "2")
    said: list[str] = []
    commit_toc = ParallelWriter._commit_toc

    def toc(self, segments):
        said.append("table of contents")
        return commit_toc(self, segments)

    monkeypatch.setattr(ParallelWriter, "_commit_toc", toc)
    build_index(
        [write_docs(tmp_path / "docs")], tmp_path / "ix", progress=lambda e: said.append(e.phase)
    )
    assert said[said.index("table of contents") - 1] == "committing"
    assert said[-1] == "committing"  # then build_index's: the state saved


# -- the words ------------------------------------------------------------------------


def test_plurals_and_durations():
    assert [plural(n, "file", grouped=True) for n in (0, 1, 2, 15321)] == [
        "0 files",
        "1 file",
        "2 files",
        "15,321 files",
    ]
    assert plural(15321, "file") == "15321 files"
    assert [duration(s) for s in (0.2, 8, 200, 4000, 6000)] == [
        "under a second",
        "8 s",
        "3 min",
        "67 min",
        "1 h 40 min",
    ]


def test_reading_says_done_of_total_rate_and_time_left():
    p = Progress("reading", 9600, 15321, 9600, 0, 1, 0, 10**6)
    assert describe(p, 24.0) == (
        "reading: 9,600 of 15,321 articles (62%), 400 a second, about 14 s left"
    )
    assert describe(p, None) == "reading: 9,600 of 15,321 articles (62%)"
    assert describe(Progress("reading", 1, 1, 1, 1, 1, 5, 5), 0.5) == (
        "reading: 1 of 1 article (100%)"
    )
    # no total: files and the share of bytes
    p = Progress("reading", 300, None, 300, 2, 4, 500, 1000)
    assert describe(p, 10.0) == (
        "reading: 300 articles, 2 of 4 files (50%), 30 a second, about 10 s left"
    )
    assert describe(Progress("writing", 9600, None, 9600), 60.0) == (
        "writing the index… (9,600 articles read in 60 s)"
    )
    assert describe(Progress("merging"), 61.0) == "merging segments…"


def test_the_live_line_is_redrawn_in_place_cut_to_the_width_and_erased(capsys):
    now = [0.0]
    show = ProgressDisplay(live=True, clock=lambda: now[0], width=30)
    show(Progress("reading", 10, 100, 10, 0, 1, 0, 100))
    now[0] += 1
    show(Progress("writing", 100, 100, 100, 1, 1, 100, 100))
    show.close()
    err = capsys.readouterr().err
    parts = err.split("\r")
    assert parts[0] == "" and "\n" not in err
    assert parts[1] == "reading: 10 of 100 articles ("  # 29 characters: no wrapping
    assert parts[2].startswith("writing the index…") and len(parts[2]) == 29
    assert parts[3] == " " * 29 and parts[4] == ""
    # erased two columns further when there is room: a terminal echoes Ctrl-C as "^C" there
    show = ProgressDisplay(live=True, clock=lambda: now[0], width=80)
    show(Progress("committing"))
    show.close()
    assert capsys.readouterr().err == "\rcommitting…\r" + " " * 13 + "\r"


# -- the command ----------------------------------------------------------------------


def test_not_on_a_terminal_plain_lines_at_each_tenth_and_each_phase(tmp_path):
    docs = write_docs(tmp_path / "docs", records=2000)
    res = invoke("index", "--index", tmp_path / "ix", docs)
    assert res.exit_code == 0
    assert "\r" not in res.stderr
    lines = res.stderr.splitlines()
    reading = [ln for ln in lines if ln.startswith("reading: ")]
    # a line per tenth (events come every 200 records, so some tenths share one)
    assert 5 <= len(reading) <= 11, lines
    assert reading[-1].startswith("reading: 2,002 of 2,002 articles (100%)")
    assert lines[len(reading) :][:2][0].startswith("writing the index… (2,002 articles read in")
    assert lines[-1] == "committing…"
    assert res.stdout.startswith("index updated: 2002 added, 0 updated, 0 removed")
    assert "(3 files, " in res.stdout
    # nothing to read: no progress at all
    res = invoke("index", "--index", tmp_path / "ix", docs)
    assert res.stderr == ""


def test_quiet_and_json_show_no_progress(tmp_path):
    docs = write_docs(tmp_path / "docs")
    res = invoke("index", "--index", tmp_path / "ix", "-q", docs)
    assert res.exit_code == 0 and res.stderr == ""
    res = invoke("index", "--index", tmp_path / "ix2", "--json", docs)
    assert res.exit_code == 0 and res.stderr == ""
    assert json.loads(res.stdout)["added"] == RECORDS + 2


def test_one_file_is_one_file(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Banjir\n\nBanjir melanda kampung itu.\n", encoding="utf-8")
    res = invoke("index", "--index", tmp_path / "ix", docs)
    assert "(1 file, " in res.stdout
    assert "reading: 1 of 1 article (100%)" in res.stderr


def test_searching_never_imports_the_progress_code(news_index):
    code = (
        "import sys; from search.cli import main\n"
        "try:\n"
        f"    main(['search', '--index', {str(news_index)!r}, 'navy'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'search.cli.progress' not in sys.modules\n"
        "assert 'indexer.write.progress' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# -- a real terminal ------------------------------------------------------------------


def _mlsearch() -> str:
    return str(Path(sys.executable).parent / "mlsearch")


@pytest.mark.skipif(not Path(_mlsearch()).exists(), reason="mlsearch is not installed here")
def test_on_a_terminal_one_live_line_then_a_clean_summary(tmp_path):
    docs = write_docs(tmp_path / "docs", records=1000)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLSEARCH_", "COLUMNS"))}
    args = [_mlsearch(), "index", "--index", str(tmp_path / "ix"), str(docs)]
    status, out = run_in_terminal(args, 60, env=env)
    assert status == 0, out
    text = out.decode("utf-8")
    live, summary = text.split("index updated: ", 1)
    assert summary.startswith("1002 added") and summary.endswith("\r\n")
    assert "\n" not in live  # the progress never took a line of its own
    drawn = live.split("\r")
    assert drawn[0] == ""
    assert any(d.startswith("reading: ") and " of 1,002 articles" in d for d in drawn)
    assert any(d.startswith("writing the index…") for d in drawn)
    assert any(d.startswith("committing…") for d in drawn)
    assert all(len(d) < 60 for d in drawn)  # never wrapped, so each redraw overwrote the last
    # erased before the summary: the summary's line is clean
    assert drawn[-1] == "" and drawn[-2].strip() == "" and drawn[-2]
