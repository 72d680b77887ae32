"""Watching a folder: index --watch keeps the index and saved queries' "new" up to date."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from indexer.write.watch import WatchEvent, watch
from search import Searcher
from tests.conftest import invoke

ROOT = Path(__file__).parent.parent
DEBOUNCE = 0.1
# Deadlines, not speeds: reached at once when all is well, they only bound a hang. The full
# suite on a machine loaded 10-25 (other jobs) once took more than 10 s between Ctrl-C and
# the watcher's exit (observer thread join, interpreter exit), so they are generous.
TIMEOUT = 60.0


run = invoke  # mlsearch ARGS; fails the test on an internal error or a traceback


def wait_for(condition, what: str):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ids(index: Path, query: str) -> list[str]:
    with Searcher(index) as s:
        return [h.id for h in s.search(query, limit=100, suggest=False).hits]


class Watcher:
    """watch() in a thread, its events collected, stopped at the end of the test."""

    def __init__(self, docs: Path, index: Path, debounce: float = DEBOUNCE):
        self.events: list[WatchEvent] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=watch,
            args=([docs], index),
            kwargs={"on_event": self.events.append, "stop_event": self.stop, "debounce": debounce},
            daemon=True,
        )

    def changes(self) -> list[tuple[str, str]]:
        return [(e.kind, e.path) for e in self.events if e.kind in ("added", "updated", "removed")]

    def __enter__(self):
        self.thread.start()
        wait_for(lambda: any(e.kind == "watching" for e in self.events), "the watcher to start")
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive()


@pytest.fixture
def docs(tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "old.txt").write_text("Navy exercise\n\nThe navy held an exercise.\n", "utf-8")
    monkeypatch.setenv("MLSEARCH_INDEX", str(tmp_path / "ix"))
    return folder


def test_added_edited_and_removed_articles_are_reflected_and_new_once(docs, tmp_path):
    index = tmp_path / "ix"
    with Watcher(docs, index) as w:
        assert w.events[0].kind == "indexed" and w.events[0].report.added == 1
        assert run("saved", "add", "navy", "navy").exit_code == 0
        assert run("saved", "run", "--new", "navy").exit_code == 0  # first run: old.txt
        assert run("saved", "run", "--new", "navy").exit_code == 1

        (docs / "sub").mkdir()
        (docs / "sub" / "patrol.txt").write_text(
            "Navy patrol\n\nA navy patrol near the reef.\n", "utf-8"
        )
        wait_for(lambda: "docs/sub/patrol.txt" in ids(index, "reef"), "the new article")
        res = run("saved", "run", "--new", "--json", "navy")
        assert res.exit_code == 0
        assert [json.loads(x)["id"] for x in res.stdout.splitlines()] == ["docs/sub/patrol.txt"]
        assert run("saved", "run", "--new", "navy").exit_code == 1  # exactly once

        (docs / "sub" / "patrol.txt").write_text(
            "Navy patrol\n\nA navy patrol near the atoll.\n", "utf-8"
        )
        wait_for(lambda: "docs/sub/patrol.txt" in ids(index, "atoll"), "the edit")
        assert ids(index, "reef") == []
        assert run("saved", "run", "--new", "navy").exit_code == 1  # updated is not new

        (docs / "sub" / "patrol.txt").unlink()
        wait_for(lambda: ids(index, "navy") == ["docs/old.txt"], "the removal")
    assert w.changes() == [
        ("added", "sub/patrol.txt"),
        ("updated", "sub/patrol.txt"),
        ("removed", "sub/patrol.txt"),
    ]
    assert w.events[-1].kind == "stopped"


def test_a_half_written_file_is_indexed_once_complete(docs, tmp_path):
    index = tmp_path / "ix"
    debounce = 0.5
    with Watcher(docs, index, debounce=debounce) as w:
        # The case under test: a writer that keeps writing for several debounce periods,
        # pausing far less than one each time (0.02 s against 0.5 s: a loaded machine
        # does not stretch a pause past it).
        with open(docs / "slow.txt", "w", encoding="utf-8") as f:
            f.write("Banjir\n\n")
            writing_until = time.monotonic() + 2.5 * debounce
            while time.monotonic() < writing_until:
                f.write("Banjir lagi. ")
                f.flush()
                time.sleep(0.02)
            f.write("Banjir terakhir. ")
        wait_for(lambda: ids(index, "terakhir") == ["docs/slow.txt"], "the whole file")
        # A later change, indexed after anything still due for slow.txt: once it is in,
        # no "updated slow.txt" can follow.
        (docs / "later.txt").write_text("Later\n\nBanjir reda.\n", "utf-8")
        wait_for(lambda: ("added", "later.txt") in w.changes(), "later.txt")
    assert w.changes() == [("added", "slow.txt"), ("added", "later.txt")]  # not updated


def test_unsupported_hidden_and_touched_files_change_nothing(docs, tmp_path, monkeypatch):
    import indexer.write.watch

    index = tmp_path / "ix"
    runs = []  # build_index runs the watcher finished, watched, not replaced
    real = indexer.write.watch.build_index
    monkeypatch.setattr(
        indexer.write.watch, "build_index", lambda *a, **kw: runs.append(real(*a, **kw)) or runs[-1]
    )
    with Watcher(docs, index) as w:
        (docs / "notes.docx").write_bytes(b"binary")
        (docs / ".draft.txt").write_text("Draft\n\nnot yet.\n", "utf-8")
        os.utime(docs / "old.txt")  # touched, content unchanged
        # the touch is looked at (a run that finds nothing changed): then, and not before
        wait_for(lambda: len(runs) == 2, "the run after the touch")
        assert not runs[1].changed
        assert w.changes() == []
        assert [e.kind for e in w.events].count("indexed") == 1  # the first run only
        (docs / "new.md").write_text("# Kapal\n\nKapal baharu.\n", "utf-8")
        wait_for(lambda: ids(index, "kapal") == ["docs/new.md"], "new.md")
    assert w.changes() == [("added", "new.md")]


def test_watch_stops_at_once_when_asked(docs, tmp_path):
    """Even while settling with an hour's debounce: stopping does not wait for the timer
    (Watcher's exit asserts the thread ended within TIMEOUT, a hang guard)."""
    with Watcher(docs, tmp_path / "ix", debounce=3600) as w:
        (docs / "new.txt").write_text("New\n\nA new article.\n", "utf-8")
    assert not w.thread.is_alive() and w.events[-1].kind == "stopped"


def _ctrl_c_as_at_a_terminal() -> None:
    """In the child, before it starts Python: SIGINT back to its default. A test run started
    in the background (``pytest &`` in a script, ``nohup``) ignores SIGINT, the child would
    inherit that, and Python then installs no KeyboardInterrupt handler: the Ctrl-C the
    test sends would do nothing (the watcher ran on until the 60 s timeout)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_index_watch_command_prints_changes_and_stops_cleanly_on_ctrl_c(docs, tmp_path):
    index = tmp_path / "ix"
    env = {**os.environ, "MLSEARCH_WATCH_DEBOUNCE": str(DEBOUNCE)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "search.cli", "index", "--index", index, "--watch", docs],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_as_at_a_terminal,
    )
    err_lines: list[str] = []
    out_lines: list[str] = []
    reader = threading.Thread(target=lambda: err_lines.extend(proc.stderr), daemon=True)
    out_reader = threading.Thread(target=lambda: out_lines.extend(proc.stdout), daemon=True)
    reader.start()
    out_reader.start()
    try:
        # "watching" is printed once the observer runs, after the first run
        wait_for(lambda: any(ln.startswith("watching") for ln in err_lines), "the observer")
        (docs / "b.txt").write_text("Banjir\n\nBanjir melanda kampung.\n", "utf-8")
        wait_for(lambda: ids(index, "banjir") == ["docs/b.txt"], "b.txt")
        (docs / "old.txt").unlink()
        wait_for(lambda: ids(index, "navy") == [], "the removal")
        # The run that committed the removal reports it once it has finished (state saved):
        # Ctrl-C before that line would interrupt that run, not the idle watcher.
        wait_for(lambda: "removed old.txt\n" in out_lines, "the removal reported")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=TIMEOUT)
        reader.join(TIMEOUT)
        out_reader.join(TIMEOUT)
    out, err = "".join(out_lines), "".join(err_lines)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("index updated: 1 added")
    assert lines[1:] == ["added b.txt", "removed old.txt"]
    assert "watching" in err and "stopped" in err and "Traceback" not in err
    assert ids(index, "banjir") == ["docs/b.txt"]  # and the index opens: consistent


def test_ctrl_c_while_a_change_is_printed_still_reports_the_run(docs, tmp_path):
    """Ctrl-C lands as the first change line of a run is printed: the run has committed, so
    the lines after it, the run's "indexed" report above all, are still told."""
    events: list[WatchEvent] = []
    interrupted = []

    def on_event(event: WatchEvent) -> None:
        if event.kind == "watching":
            (docs / "new.txt").write_text("Frigate\n\nA new frigate sailed.\n", "utf-8")
        if event.kind == "added" and not interrupted:
            interrupted.append(event)
            raise KeyboardInterrupt  # as Python raises it from its SIGINT handler
        events.append(event)

    done = threading.Event()
    thread = threading.Thread(
        target=lambda: (watch([docs], tmp_path / "ix", on_event, debounce=DEBOUNCE), done.set()),
        daemon=True,
    )
    thread.start()
    thread.join(TIMEOUT)
    assert done.is_set(), "watch did not return after the interrupt"
    assert [e.kind for e in interrupted] == ["added"]
    kinds = [e.kind for e in events]
    assert kinds == ["indexed", "watching", "indexed", "stopped"]
    assert events[2].report.added == 1  # the second run's report: new.txt
    assert ids(tmp_path / "ix", "frigate")
