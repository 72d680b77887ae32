"""Article ids (issue #11, part 2): articles from different folders never replace each other.

An id is the label of the folder the article was indexed from, then its path in that folder
(README, "Article ids"). Only the same file, edited, updates an article.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from indexer.schema import META_FILE
from indexer.write.build import build_index
from search import Searcher
from search.cli import main

RUBBER_A = "Rubber prices rise\n\nRubber prices rose sharply as tyre makers bought more.\n"
RUBBER_B = "Palm oil exports fall\n\nPalm oil exports fell; rubber was weaker too.\n"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def hit_ids(index: Path, *query: str) -> list[str]:
    res = run("search", "--index", index, "--json", "--all", "-n", "50", *query)
    return sorted(json.loads(line)["id"] for line in res.stdout.splitlines())


def test_same_file_name_in_two_folders_indexed_one_after_the_other(tmp_path):
    """The issue's scenario: folderA then folderB, each with its own en_rubber.txt."""
    a = write(tmp_path / "folderA" / "en_rubber.txt", RUBBER_A)
    b = write(tmp_path / "folderB" / "en_rubber.txt", RUBBER_B)
    index = tmp_path / "ix"
    res = run("index", "--index", index, a.parent)
    assert "1 added, 0 updated, 0 removed" in res.stdout
    res = run("index", "--index", index, b.parent)
    assert res.exit_code == 0
    assert "1 added, 0 updated, 0 removed, 0 unchanged, 0 skipped" in res.stdout
    assert hit_ids(index, "rubber") == ["folderA/en_rubber.txt", "folderB/en_rubber.txt"]
    assert run("search", "--index", index, "tyre").exit_code == 0  # the first one is there
    # show --json says where each file is
    for doc_id, path in (("folderA/en_rubber.txt", a), ("folderB/en_rubber.txt", b)):
        res = run("show", "--index", index, "--json", doc_id)
        assert res.exit_code == 0
        assert json.loads(res.stdout)["path"] == str(path.resolve())
    # and running both again changes nothing
    res = run("index", "--index", index, a.parent, b.parent)
    assert "0 added, 0 updated, 0 removed, 2 unchanged, 0 skipped" in res.stdout


def test_same_file_name_in_two_folders_in_one_run_is_not_a_duplicate(tmp_path):
    write(tmp_path / "folderA" / "en_rubber.txt", RUBBER_A)
    write(tmp_path / "folderB" / "en_rubber.txt", RUBBER_B)
    index = tmp_path / "ix"
    res = run("index", "--index", index, "-q", tmp_path / "folderA", tmp_path / "folderB")
    assert "2 added, 0 updated, 0 removed, 0 unchanged, 0 skipped" in res.stdout
    assert hit_ids(index, "rubber") == ["folderA/en_rubber.txt", "folderB/en_rubber.txt"]


def test_folders_of_the_same_name_get_their_own_labels_for_good(tmp_path):
    """~/a/news and ~/b/news: news and news-2, whatever order later runs name them in."""
    a = write(tmp_path / "a" / "news" / "zh" / "x.txt", RUBBER_A).parents[1]
    b = write(tmp_path / "b" / "news" / "zh" / "x.txt", RUBBER_B).parents[1]
    index = tmp_path / "ix"
    run("index", "--index", index, a)
    res = run("index", "--index", index, b)
    assert "1 added, 0 updated" in res.stdout
    want = ["news-2/zh/x.txt", "news/zh/x.txt"]
    assert hit_ids(index, "rubber") == want
    res = run("index", "--index", index, b, a)  # the other order: the same ids
    assert "0 added, 0 updated, 0 removed, 2 unchanged" in res.stdout
    assert hit_ids(index, "rubber") == want
    folders = json.loads((index / META_FILE).read_text(encoding="utf-8"))["folders"]
    assert folders == {"news": str(a.resolve()), "news-2": str(b.resolve())}
    # a folder that is itself named news-2 does not take b's label
    c = write(tmp_path / "c" / "news-2" / "y.txt", "Kapal\n\nKapal baharu.\n").parent
    run("index", "--index", index, c)
    assert hit_ids(index, "kapal") == ["news-2-2/y.txt"]


def test_a_file_given_alone_belongs_to_its_folder(tmp_path):
    feeds = tmp_path / "feeds"
    write(feeds / "a.txt", RUBBER_A)
    write(feeds / "b.txt", RUBBER_B)
    index = tmp_path / "ix"
    run("index", "--index", index, feeds / "a.txt")
    assert hit_ids(index, "rubber") == ["feeds/a.txt"]
    res = run("index", "--index", index, feeds)  # the same file, the same article
    assert "1 added, 0 updated, 0 removed, 1 unchanged" in res.stdout
    assert hit_ids(index, "rubber") == ["feeds/a.txt", "feeds/b.txt"]


def test_only_the_same_file_edited_updates_an_article(tmp_path):
    a = write(tmp_path / "folderA" / "en_rubber.txt", RUBBER_A)
    write(tmp_path / "folderB" / "en_rubber.txt", RUBBER_B)
    index = tmp_path / "ix"
    run("index", "--index", index, tmp_path / "folderA", tmp_path / "folderB")
    write(a, "Rubber prices fall\n\nRubber prices fell as tyre makers waited.\n")
    res = run("index", "--index", index, tmp_path / "folderA")
    assert "0 added, 1 updated, 0 removed, 0 unchanged" in res.stdout
    res = run("show", "--index", index, "folderA/en_rubber.txt")
    assert "Rubber prices fall" in res.stdout
    res = run("show", "--index", index, "folderB/en_rubber.txt")
    assert "Palm oil exports fall" in res.stdout


def test_a_record_id_held_by_another_file_is_a_duplicate_until_that_file_lets_go(tmp_path):
    """Within one folder JSON records keep their own ids: another file's record of the same
    id is skipped, every run, and takes over only when the first file no longer has it."""
    feeds = tmp_path / "feeds"
    rec = {"id": "42", "title": "Navy patrol", "body": "The navy patrolled the strait."}
    other = {"id": "42", "title": "Submarine deal", "body": "A submarine deal was signed."}
    write(feeds / "b.jsonl", json.dumps(rec) + "\n")
    write(feeds / "a.jsonl", json.dumps({"id": "7", "title": "Palm oil", "body": "Oil."}) + "\n")
    index = tmp_path / "ix"
    build_index([feeds], index)
    # a.jsonl sorts first and is read first: it must not replace b.jsonl's record
    with open(feeds / "a.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(other) + "\n")
    for _ in range(2):
        report = build_index([feeds], index)
        assert (report.added, report.updated, report.removed) == (0, 0, 0)
        assert [(s.path, s.reason) for s in report.skipped] == [
            ("a.jsonl", "duplicate id 'feeds/42' (already indexed from feeds/b.jsonl)")
        ]
        with Searcher(index) as s:
            assert s.get("feeds/42").title == "Navy patrol"
    # b.jsonl drops the record: a.jsonl's takes the id (a.jsonl itself did not change)
    write(feeds / "b.jsonl", json.dumps({"id": "9", "title": "Banjir", "body": "Banjir."}) + "\n")
    report = build_index([feeds], index)
    assert (report.added, report.updated, report.removed, report.skipped) == (1, 1, 0, [])
    with Searcher(index) as s:
        art = s.get("feeds/42")
    assert art.title == "Submarine deal" and art.path == str((feeds / "a.jsonl").resolve())


def test_an_id_without_its_label_says_which_ids_there_are(tmp_path):
    write(tmp_path / "folderA" / "en_rubber.txt", RUBBER_A)
    write(tmp_path / "folderB" / "en_rubber.txt", RUBBER_B)
    index = tmp_path / "ix"
    run("index", "--index", index, tmp_path / "folderA", tmp_path / "folderB")
    res = run("show", "--index", index, "en_rubber.txt")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "no article with id 'en_rubber.txt'" in res.stderr
    assert "folderA/en_rubber.txt or folderB/en_rubber.txt" in res.stderr
    res = run("similar", "--index", index, "nothing/like/it.txt")
    assert res.exit_code == 2 and "hint" not in res.stderr


def test_an_index_with_the_old_ids_must_be_rebuilt(tmp_path):
    """Schema version 3 (ids without labels) is refused with the rebuild message; the
    rebuild gives the new ids."""
    write(tmp_path / "docs" / "a.txt", RUBBER_A)
    index = tmp_path / "ix"
    run("index", "--index", index, tmp_path / "docs")
    meta = json.loads((index / META_FILE).read_text(encoding="utf-8"))
    (index / META_FILE).write_text(json.dumps({**meta, "schema_version": 3}), encoding="utf-8")
    for args in (["search", "rubber"], ["index", tmp_path / "docs"]):
        res = run(args[0], "--index", index, *args[1:])
        assert res.exit_code == 2 and "Traceback" not in res.output
        assert "schema version 3" in res.stderr and "mlsearch index --rebuild" in res.stderr
    res = run("index", "--index", index, "--rebuild", tmp_path / "docs")
    assert res.exit_code == 0
    assert hit_ids(index, "rubber") == ["docs/a.txt"]
