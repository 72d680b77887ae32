"""Incremental indexing: what changes is re-indexed, what doesn't is left alone."""

from __future__ import annotations

import json

import pytest

import indexer.read as readers
import indexer.write.build as build
from indexer.errors import IndexMissingError, MlsearchError, SchemaVersionError
from indexer.schema import META_FILE
from indexer.write.build import STATE_FILE, build_index
from search import Searcher

from .conftest import interrupt_after


def write(path, title, body):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")


def all_ids(index_dir):
    with Searcher(index_dir) as s:
        reader = s._searcher.reader()
        return sorted(f["id"] for f in reader.all_stored_fields())


def test_add_update_remove_unchanged(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    write(docs / "a.txt", "Navy exercise", "The navy held an exercise off Sabah.")
    write(docs / "sub/b.txt", "Banjir kilat", "Banjir kilat melanda Shah Alam.")
    r = build_index([docs], index)
    assert (r.added, r.updated, r.removed, r.unchanged) == (2, 0, 0, 0)
    # ids: the folder's label, then the path relative to the folder, POSIX
    assert all_ids(index) == ["docs/a.txt", "docs/sub/b.txt"]

    r = build_index([docs], index)
    assert (r.added, r.updated, r.removed, r.unchanged) == (0, 0, 0, 2)

    write(docs / "a.txt", "Navy drill", "The navy held a drill off Sabah.")
    write(docs / "c.txt", "Palm oil", "Palm oil prices rose.")
    (docs / "sub/b.txt").unlink()
    r = build_index([docs], index)
    assert (r.added, r.updated, r.removed, r.unchanged) == (1, 1, 1, 0)
    assert all_ids(index) == ["docs/a.txt", "docs/c.txt"]
    with Searcher(index) as s:
        assert s.search("drill").total == 1
        assert s.search("exercise").total == 0
        assert s.search("banjir").total == 0


def test_unchanged_files_are_not_read_again(tmp_path, monkeypatch):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    for i in range(5):
        write(docs / f"{i}.txt", f"Title {i}", f"Body number {i} about the navy.")
    build_index([docs], index)
    calls = []
    real = readers.read_file
    monkeypatch.setattr(readers, "read_file", lambda sf: calls.append(sf.rel) or real(sf))
    r = build_index([docs], index)
    assert r.unchanged == 5
    assert calls == []


def test_touched_but_identical_file_is_unchanged(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    write(docs / "a.txt", "Navy exercise", "The navy held an exercise.")
    build_index([docs], index)
    write(docs / "a.txt", "Navy exercise", "The navy held an exercise.")  # new mtime
    r = build_index([docs], index)
    assert (r.added, r.updated, r.unchanged) == (0, 0, 1)


def test_a_run_that_changes_nothing_leaves_the_state_file_alone(tmp_path, monkeypatch):
    """state.json is written only when the run changed something (over 20 MB at 153k
    articles)."""
    import indexer.write.state as state

    docs, index = tmp_path / "docs", tmp_path / "ix"
    write(docs / "a.txt", "Navy exercise", "The navy held an exercise.")
    build_index([docs], index)
    written = []
    real = state.atomic_write
    monkeypatch.setattr(state, "atomic_write", lambda p, t: written.append(p.name) or real(p, t))
    build_index([docs], index)
    assert STATE_FILE not in written
    write(docs / "a.txt", "Navy exercise", "The navy held an exercise.")  # new mtime
    build_index([docs], index)
    assert written.count(STATE_FILE) == 1
    assert json.loads((index / STATE_FILE).read_text("utf-8"))["files"]
    write(docs / "b.txt", "Palm oil", "Palm oil prices rose.")
    build_index([docs], index)
    assert written.count(STATE_FILE) == 2
    assert build_index([docs], index).unchanged == 2


def test_lost_state_file_is_rebuilt_from_the_index(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    write(docs / "a.txt", "Navy exercise", "The navy held an exercise.")
    build_index([docs], index)
    (index / STATE_FILE).unlink()
    r = build_index([docs], index)
    assert (r.added, r.updated, r.unchanged) == (0, 0, 1)


def test_json_records_use_their_own_ids_and_track_removals(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    docs.mkdir()
    feed = docs / "feed.jsonl"
    recs = [
        {"id": f"r{i}", "title": f"Story {i}", "body": f"Navy story number {i}."} for i in range(3)
    ]
    feed.write_text("\n".join(json.dumps(x) for x in recs) + "\n", encoding="utf-8")
    build_index([docs], index)
    assert all_ids(index) == ["docs/r0", "docs/r1", "docs/r2"]
    recs[1]["body"] = "A changed story about submarines."
    feed.write_text("\n".join(json.dumps(x) for x in recs[:2]) + "\n", encoding="utf-8")
    r = build_index([docs], index)
    assert (r.added, r.updated, r.removed, r.unchanged) == (0, 1, 1, 1)
    assert all_ids(index) == ["docs/r0", "docs/r1"]


def test_skipped_files_are_counted_with_a_reason(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    write(docs / "good.txt", "Navy", "The navy sailed.")
    (docs / "empty.txt").write_text("", encoding="utf-8")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 10)
    r = build_index([docs], index)
    assert r.added == 1
    assert sorted(s.path for s in r.skipped) == ["binary.txt", "empty.txt"]
    assert all(s.reason for s in r.skipped)


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(MlsearchError, match="no such file or folder"):
        build_index([tmp_path / "nope"], tmp_path / "ix")


def test_missing_index_says_how_to_build_it(tmp_path):
    with pytest.raises(IndexMissingError) as exc:
        Searcher(tmp_path / "nothing")
    assert "mlsearch index" in exc.value.hint


def test_other_schema_version_is_detected(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    write(docs / "a.txt", "Navy", "The navy sailed.")
    build_index([docs], index)
    meta = json.loads((index / META_FILE).read_text())
    meta["schema_version"] = 0
    (index / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(SchemaVersionError) as exc:
        Searcher(index)
    assert "--rebuild" in exc.value.hint
    with pytest.raises(SchemaVersionError):
        build_index([docs], index)
    r = build_index([docs], index, rebuild=True)
    assert r.rebuilt and r.added == 1
    with Searcher(index) as s:
        assert s.search("navy").total == 1


def test_interrupted_run_leaves_the_last_commit_and_the_next_run_finishes(tmp_path, monkeypatch):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    for i in range(6):
        write(docs / f"{i}.txt", f"Title {i}", f"Navy story {i}.")
    build_index([docs], index)
    for i in range(6, 12):
        write(docs / f"{i}.txt", f"Title {i}", f"Navy story {i}.")

    real = build.article_document
    interrupt_after(monkeypatch, 4)
    with pytest.raises(KeyboardInterrupt):
        build_index([docs], index)
    monkeypatch.setattr(build, "article_document", real)
    assert len(all_ids(index)) == 6  # the last committed state, readable
    r = build_index([docs], index)
    assert r.added == 6 and r.unchanged == 6
    assert len(all_ids(index)) == 12


def test_folder_with_only_saved_queries_gets_an_index(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    write(docs / "a.txt", "Navy", "The navy sailed.")
    index.mkdir()
    (index / "saved.toml").write_text('[queries.navy]\nquery = "navy"\n', encoding="utf-8")
    assert build_index([docs], index).added == 1
    assert (index / "saved.toml").exists()


def test_not_an_index_folder_is_refused(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    write(docs / "a.txt", "Navy", "The navy sailed.")
    index.mkdir()
    (index / "precious.txt").write_text("keep me")
    with pytest.raises(MlsearchError, match="not an mlsearch index"):
        build_index([docs], index)
    assert (index / "precious.txt").read_text() == "keep me"


def test_a_changed_user_dictionary_means_a_rebuild(tmp_path, monkeypatch):
    """The index records the user dictionaries it was segmented with; indexing with other
    ones is refused (its words and the new ones would not match) until --rebuild."""
    docs, index = tmp_path / "docs", tmp_path / "ix"
    write(docs / "a.txt", "Navy", "The navy sailed.")
    build_index([docs], index)
    mine = tmp_path / "mine.txt"
    mine.write_text("拿督斯里阿末扎希 100 nr\n", encoding="utf-8")
    monkeypatch.setenv("MLSEARCH_USERDICT", str(mine))
    with pytest.raises(SchemaVersionError, match="user dictionaries") as exc:
        build_index([docs], index)
    assert "--rebuild" in exc.value.hint
    with Searcher(index) as s:  # searching it still works
        assert s.search("navy").total == 1
    r = build_index([docs], index, rebuild=True)
    assert r.rebuilt and r.added == 1
    assert not build_index([docs], index).changed  # built with these: no complaint
    mine.write_text("拿督斯里阿末扎希 200 nr\n", encoding="utf-8")  # its contents count
    with pytest.raises(SchemaVersionError, match="user dictionaries"):
        build_index([docs], index)


def test_an_index_created_but_killed_before_its_metadata_is_created_again(tmp_path):
    """Killed between whoosh creating the index and mlsearch.json being written: an empty
    index without metadata, which the next run creates again rather than call damaged."""
    docs, index = tmp_path / "docs", tmp_path / "ix"
    write(docs / "a.txt", "Navy", "The navy sailed.")
    build._create(index).close()
    (index / META_FILE).unlink()
    r = build_index([docs], index)
    assert r.added == 1
    with Searcher(index) as s:
        assert s.search("navy").total == 1


def test_a_run_with_nothing_to_do_opens_no_segment(tmp_path, monkeypatch):
    """The article count that tells the state file is current comes from the table of
    contents: a no-change run reads no segment's term dictionary (whoosh's
    ``ix.doc_count()`` opens them all, at 10x the larger part of the run)."""
    from whoosh.reading import SegmentReader

    from indexer.write.state import doc_count

    docs = tmp_path / "docs"
    for i in range(6):
        write(docs / f"{i}.txt", f"Title {i}", f"Body number {i} of the corpus.")
    index = tmp_path / "ix"
    monkeypatch.setenv("MLSEARCH_COMMIT_EVERY", "2")  # three segments
    build_index([docs], index)
    (docs / "5.txt").unlink()
    build_index([docs], index)  # one deleted
    opened = []
    real = SegmentReader.__init__
    monkeypatch.setattr(
        SegmentReader, "__init__", lambda self, *a, **k: opened.append(1) or real(self, *a, **k)
    )
    report = build_index([docs], index)
    assert (report.unchanged, report.added, report.removed) == (5, 0, 0)
    assert opened == []
    monkeypatch.setattr(SegmentReader, "__init__", real)
    ix = build._storage(index).open_index()
    try:
        assert doc_count(ix) == ix.doc_count() == 5
    finally:
        ix.close()
