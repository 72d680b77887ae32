"""Counts leave out deleted articles (issue #11, part 3).

Whoosh keeps an updated or removed article in its segment, marked deleted, until a merge
drops it, and a term's document frequency still counts it. What ``stats`` and did-you-mean
report must not.
"""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from indexer.whoosh_internals.postings import live_doc_frequency
from indexer.write.build import build_index
from search import Searcher
from search.cli import main
from tests.conftest import CORPUS


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def stats(index) -> dict:
    res = run("stats", "--index", index, "--json")
    assert res.exit_code == 0
    return json.loads(res.stdout)


def has_deletions(index) -> bool:
    with Searcher(index) as s:
        return s._latest_searcher().reader().has_deletions()


def test_stats_after_adding_editing_and_deleting_a_malay_file(tmp_path):
    """The issue's scenario on corpus/: one Malay file added, edited, deleted."""
    docs, index = tmp_path / "corpus", tmp_path / "ix"
    shutil.copytree(CORPUS, docs)
    assert run("index", "--index", index, "-q", docs).exit_code == 0
    before = stats(index)
    banjir = docs / "ms_banjir.txt"
    banjir.write_text(
        "Banjir di Kelantan\n\nBanjir kilat melanda beberapa kampung di Kelantan semalam.\n",
        encoding="utf-8",
    )
    run("index", "--index", index, "-q", docs)
    assert stats(index)["by_lang"]["ms"] == before["by_lang"]["ms"] + 1
    banjir.write_text(
        "Banjir di Kelantan\n\nBanjir kilat melanda kampung di Kelantan dan Terengganu.\n",
        encoding="utf-8",
    )
    res = run("index", "--index", index, "-q", docs)
    assert "1 updated" in res.stdout
    assert stats(index)["by_lang"]["ms"] == before["by_lang"]["ms"] + 1
    banjir.unlink()
    res = run("index", "--index", index, "-q", docs)
    assert "1 removed" in res.stdout
    assert has_deletions(index)  # the two versions are still in the index, deleted
    after = stats(index)
    assert after["articles"] == before["articles"] == 5
    assert after["by_lang"] == before["by_lang"]
    assert after["by_source"] == before["by_source"]
    res = run("stats", "--index", index)
    langs = ", ".join(f"{k} {v}" for k, v in before["by_lang"].items())
    assert f"languages: {langs}\n" in res.stdout
    # what a rebuild says
    run("index", "--index", index, "-q", "--rebuild", docs)
    assert not has_deletions(index)
    assert stats(index)["by_lang"] == after["by_lang"]


def test_did_you_mean_ranks_by_the_articles_that_are_left(tmp_path):
    """30 articles said "navel" until 28 were edited; 10 say "naval". For "navol" (one edit
    from both) the correction is the word more articles have now."""
    docs, index = tmp_path / "docs", tmp_path / "ix"
    docs.mkdir()
    for i in range(30):
        (docs / f"n{i:02d}.txt").write_text(
            f"Story {i}\n\nThe navel orange harvest number {i} was good.\n", encoding="utf-8"
        )
    for i in range(10):
        (docs / f"v{i:02d}.txt").write_text(
            f"Fleet {i}\n\nThe naval fleet number {i} sailed at dawn.\n", encoding="utf-8"
        )
    build_index([docs], index)
    for i in range(2, 30):
        (docs / f"n{i:02d}.txt").write_text(
            f"Story {i}\n\nThe apple harvest number {i} was good.\n", encoding="utf-8"
        )
    assert build_index([docs], index).updated == 28
    with Searcher(index) as s:
        reader = s._latest_searcher().reader()
        assert reader.doc_frequency("spell", "navel") == 30  # whoosh's count, deleted too
        assert live_doc_frequency(reader, "spell", "navel") == 2
        assert live_doc_frequency(reader, "spell", "naval") == 10
    res = run("search", "--index", index, "navol")
    assert res.exit_code == 1
    assert "did you mean: naval" in res.stderr


WORDS = ["navy", "laut", "kapal", "banjir", "oil"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["add", "add", "delete"]),  # adding an id again updates it
            st.integers(0, 5),
            st.sets(st.sampled_from(WORDS), min_size=1),
            st.sampled_from([False, False, True]),
        ),
        min_size=2,
        max_size=16,
    )
)
def test_live_doc_frequency_counts_what_the_live_documents_hold(tmp_path_factory, steps):
    """Against a model of the documents, over segments with and without deletions."""
    from whoosh import fields
    from whoosh.filedb.filestore import FileStorage

    folder = tmp_path_factory.mktemp("live")
    schema = fields.Schema(id=fields.ID(stored=True, unique=True), text=fields.KEYWORD)
    ix = FileStorage(str(folder)).create_index(schema)
    model: dict[str, set[str]] = {}
    for op, n, words, merge in steps:
        with ix.writer() as w:
            w.merge = merge  # no merge keeps the deletions in the older segments
            doc = f"d{n}"
            if op == "add":
                w.update_document(id=doc, text=" ".join(sorted(words)))
                model[doc] = set(words)
            else:
                w.delete_by_term("id", doc)
                model.pop(doc, None)
    with ix.reader() as reader:
        event(f"deletions: {reader.has_deletions()}, segments: {len(reader.leaf_readers())}")
        for word in WORDS:
            want = sum(word in held for held in model.values())
            assert live_doc_frequency(reader, "text", word) == want
    ix.close()
