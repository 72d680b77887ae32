"""The glossary and synonym tables kept parsed between runs (search.tablecache): read back
the same as built, rebuilt when a file they come from changes, ignored when unreadable."""

from __future__ import annotations

import os
import pickle

import pytest

import search.glossary as glossary
import search.synonyms as synonyms
from search.tablecache import cache_dir, cached_table


def _forget() -> None:
    """As a fresh process: nothing loaded in memory."""
    for fn in (
        glossary._load,
        glossary._shipped,
        synonyms._load,
        synonyms._load_with_shipped,
        synonyms._load_of_files,
    ):
        fn.cache_clear()
    synonyms._shipped.cache_clear()


def _tables():
    g = glossary.load_glossary()
    s = synonyms.load_synonyms((), g)
    return g, s


def _same(a, b) -> None:
    assert a.files == b.files
    assert [(e.forms, e.kind, e.source) for e in a.entries] == [
        (e.forms, e.kind, e.source) for e in b.entries
    ]
    assert {k: [(e.source, lang, acr) for e, lang, acr in v] for k, v in a._latin.items()} == {
        k: [(e.source, lang, acr) for e, lang, acr in v] for k, v in b._latin.items()
    }
    assert {k: [e.source for e in v] for k, v in a._han.items()} == {
        k: [e.source for e in v] for k, v in b._han.items()
    }


def test_a_second_run_reads_the_tables_back_without_parsing(monkeypatch, tmp_path):
    _forget()
    built_g, built_s = _tables()
    made = {p.name for p in cache_dir().iterdir()} - {"jieba-dict.bin"}  # conftest's link
    assert made == {"glossary.pickle", "synonyms.pickle"}
    _forget()
    monkeypatch.setattr(glossary, "parse_glossary", _refuse)
    monkeypatch.setattr(synonyms, "parse_synonyms", _refuse)
    read_g, read_s = _tables()
    _same(built_g, read_g)
    _same(built_s, read_s)
    assert read_s.match_latin(("pbb",), "PBB") == built_s.match_latin(("pbb",), "PBB")
    assert [e.source for e in read_g.match_han("南海")[1]] == [
        e.source for e in built_g.match_han("南海")[1]
    ]
    _forget()


def _refuse(*_a, **_k):
    raise AssertionError("parsed again: the cached table was not used")


def test_a_plain_search_reads_the_synonyms_without_the_glossary(monkeypatch):
    """The synonyms of the glossary's files are read back by the files' stamps: the
    glossary's own table is not loaded (a plain search needs only the synonyms)."""
    _forget()
    _built_g, built_s = _tables()
    _forget()
    monkeypatch.setattr(glossary, "_load", _refuse)
    from search.plan import QueryParsers

    read = QueryParsers(None).synonyms()
    _same(built_s, read)
    monkeypatch.undo()
    _forget()


def test_synonyms_of_a_user_glossary_that_cannot_be_used(monkeypatch, tmp_path):
    """A user glossary file that is missing or does not parse leaves its cells out, as
    ``known.glossary_or_shipped`` has it: the synonyms are those of the shipped one."""
    from search.known import glossary_or_shipped

    _forget()
    shipped = synonyms.load_synonyms((), glossary._load(()))
    bad = tmp_path / "bad.tsv"
    bad.write_text("zh\tms\ten\n\tjust\ttoo\tmany\tcells\there\n", encoding="utf-8")
    for files in ([str(tmp_path / "missing.tsv")], [str(bad)]):
        _forget()
        loaded = glossary_or_shipped(lambda files=files: glossary.load_glossary(files))
        before = synonyms.load_synonyms((), loaded)
        _forget()
        now = synonyms.load_synonyms_of_files((), files)
        _same(before, now)
        _same(shipped, now)
    _forget()


def test_a_changed_user_file_is_parsed_again(monkeypatch, tmp_path):
    user = tmp_path / "mine.tsv"
    user.write_text("ms\tZQX | Zebra Quota Xylofon\n", encoding="utf-8")
    monkeypatch.setenv("MLSEARCH_SYNONYMS", str(user))
    _forget()
    first = synonyms.load_synonyms((), glossary.load_glossary())
    assert first.match_latin(("zqx",), "ZQX")
    user.write_text("ms\tQWV | Quasi Wira Vokal\n", encoding="utf-8")
    os.utime(user, ns=(1, 1))  # another stamp even within the clock's resolution
    _forget()
    second = synonyms.load_synonyms((), glossary.load_glossary())
    assert not second.match_latin(("zqx",), "ZQX")
    assert second.match_latin(("qwv",), "QWV")
    _forget()


def test_a_damaged_or_unwritable_cache_is_ignored(monkeypatch, tmp_path):
    folder = tmp_path / "c"
    monkeypatch.setenv("MLSEARCH_CACHE_DIR", str(folder))
    assert cached_table("t", ("k",), lambda: [1]) == [1]
    (folder / "t.pickle").write_bytes(b"not a pickle")
    assert cached_table("t", ("k",), lambda: [2]) == [2]  # rebuilt, and written again
    with open(folder / "t.pickle", "rb") as f:
        assert pickle.load(f)[1] == [2]
    assert cached_table("t", ("k",), lambda: [3]) == [2]  # read back
    assert cached_table("t", ("other",), lambda: [4]) == [4]  # another key
    monkeypatch.setenv("MLSEARCH_CACHE_DIR", str(folder / "t.pickle" / "sub"))  # not a dir
    assert cached_table("t", ("k",), lambda: [5]) == [5]
    monkeypatch.setenv("MLSEARCH_CACHE_DIR", "")
    assert cache_dir() is None
    assert cached_table("t", ("k",), lambda: [6]) == [6]


@pytest.fixture(autouse=True)
def _fresh():
    yield
    _forget()
