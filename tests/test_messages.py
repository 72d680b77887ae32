"""Messages a new user meets: an id whose file was skipped says so and why, and every hint
is a command for the user's own index and folders, never the bundled corpus/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.schema import META_FILE
from indexer.write.build import build_index
from indexer.write.state import SKIPPED_FILE, read_skipped
from tests.conftest import invoke as run

RUBBER = "Rubber prices rise\n\nRubber prices rose sharply as tyre makers bought more.\n"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


@pytest.fixture
def docs(tmp_path):
    docs = tmp_path / "docs"
    write(docs / "a.txt", RUBBER)
    write(docs / "empty.txt", "")
    write(docs / "sub" / "bin.md", b"\x00\x01\x02\x03 binary")
    return docs


def test_show_an_id_whose_file_was_skipped_says_why(tmp_path, docs):
    index = tmp_path / "ix"
    run("index", "--index", index, docs)
    res = run("show", "--index", index, "docs/empty.txt")
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [
        "mlsearch: error: docs/empty.txt was skipped when indexed: empty file",
        f"hint: fix the file, then index it again: mlsearch index --index {index} {docs}",
    ]
    res = run("similar", "--index", index, "docs/sub/bin.md")
    assert res.exit_code == 2
    assert "docs/sub/bin.md was skipped when indexed: binary file" in res.stderr
    # without its label: the existing hint, naming the full id and why it is not there
    res = run("show", "--index", index, "empty.txt")
    assert res.exit_code == 2
    assert "no article with id 'empty.txt'" in res.stderr
    hint = "hint: ids start with their folder's label: docs/empty.txt (skipped when indexed: "
    assert hint + "empty file)" in res.stderr
    # an id nothing knows: the plain message
    res = run("show", "--index", index, "docs/nothing.txt")
    assert res.exit_code == 2 and "no article with id 'docs/nothing.txt'" in res.stderr


def test_skipped_files_are_remembered_from_run_to_run_until_fixed_or_gone(tmp_path, docs):
    index = tmp_path / "ix"
    other = write(tmp_path / "other" / "blank.md", "  \n")
    build_index([docs, other.parent], index)

    def skipped():
        return sorted(doc_id for doc_id, _ in read_skipped(index).values())

    assert skipped() == ["docs/empty.txt", "docs/sub/bin.md", "other/blank.md"]
    written = (index / SKIPPED_FILE).stat().st_ino
    build_index([docs], index)  # nothing changed; other/ not given: its skip kept
    assert skipped() == ["docs/empty.txt", "docs/sub/bin.md", "other/blank.md"]
    assert (index / SKIPPED_FILE).stat().st_ino == written  # not written again
    write(docs / "empty.txt", RUBBER.replace("Rubber", "Palm oil"))
    (docs / "sub" / "bin.md").unlink()
    report = build_index([docs], index)
    assert report.added == 1 and skipped() == ["other/blank.md"]
    assert run("show", "--index", index, "docs/empty.txt").exit_code == 0
    res = run("show", "--index", index, "docs/sub/bin.md")
    assert "no article with id 'docs/sub/bin.md'" in res.stderr
    # a rebuild starts its list anew from the folders it is given
    build_index([docs], index, rebuild=True)
    assert skipped() == []


def test_only_files_that_gave_no_article_are_remembered(tmp_path):
    feeds = tmp_path / "feeds"
    good = json.dumps({"id": "1", "title": "Banjir", "body": "Banjir di Kelantan."})
    write(feeds / "mixed.jsonl", good + "\n{not json\n")
    write(feeds / "bad.jsonl", "{not json\n")
    index = tmp_path / "ix"
    build_index([feeds], index)
    remembered = read_skipped(index).values()
    assert [doc_id for doc_id, _ in remembered] == ["feeds/bad.jsonl"]
    assert "invalid JSON at line 1" in next(iter(remembered))[1]


def test_a_missing_index_hint_names_the_index_given_and_not_corpus(tmp_path):
    missing = tmp_path / "no index"
    for args in (["search", "x"], ["show", "a/b.txt"], ["stats"], ["check"]):
        res = run(args[0], "--index", missing, *args[1:])
        assert res.exit_code == 2
        assert f"hint: build it first: mlsearch index --index '{missing}' PATH…" in res.stderr
        assert "corpus" not in res.stderr


def test_a_damaged_or_old_index_hint_names_the_folders_it_was_built_from(tmp_path, docs):
    index = tmp_path / "ix"
    run("index", "--index", index, docs)
    meta = json.loads((index / META_FILE).read_text(encoding="utf-8"))
    (index / META_FILE).write_text(json.dumps({**meta, "schema_version": 3}), encoding="utf-8")
    res = run("search", "--index", index, "rubber")
    assert f"hint: rebuild it: mlsearch index --rebuild --index {index} {docs}" in res.stderr
    (index / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    for toc in index.glob("_MAIN_*.toc"):
        toc.unlink()
    res = run("search", "--index", index, "rubber")
    assert res.exit_code == 2 and "is damaged" in res.stderr
    assert f"`mlsearch index --rebuild --index {index} {docs}` builds it anew" in res.stderr


def test_index_without_paths_and_no_corpus_here_says_what_to_give(tmp_path, docs, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run("index", "--index", tmp_path / "new")
    assert res.exit_code == 2
    assert "no folder to index" in res.stderr
    assert f"hint: mlsearch index --index {tmp_path / 'new'} PATH…" in res.stderr
    assert not (tmp_path / "new").exists()
    run("index", "--index", tmp_path / "ix", docs)
    res = run("index", "--index", tmp_path / "ix")
    assert res.exit_code == 2
    assert f"hint: mlsearch index --index {tmp_path / 'ix'} {docs}" in res.stderr


def test_help_shows_indexing_your_own_folder():
    res = run("--help")
    assert "mlsearch index FOLDER…" in res.stdout
    assert "mlsearch index corpus/" not in res.stdout
