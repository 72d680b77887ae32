"""jieba's precise mode from the dictionary on disk (indexer.analyse.jieba_table) must give
rjieba's words exactly wherever it answers, and say None wherever it cannot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analyse import chinese, jieba_table
from indexer.analyse.normalize import HAN_RUN
from tests.test_segment import chinese_paragraphs

ROOT = Path(__file__).parent.parent


@pytest.fixture
def table(tmp_path):
    jieba_table.reset()
    t = jieba_table.table()
    assert t is not None, "the conftest links a table into every test's cache folder"
    yield t
    jieba_table.reset()


def runs() -> list[str]:
    out = set()
    for para in chinese_paragraphs():
        for run in HAN_RUN.findall(para):
            out.update(run[i : i + 12] for i in range(0, len(run), 5))  # query-sized pieces
            if len(run) <= jieba_table.MAX_RUN:
                out.add(run)
    return sorted(out)


def test_the_same_words_as_rjieba_on_the_corpus(table):
    engine = chinese.engine()  # rjieba with the user dictionary, as the index uses it
    answered = 0
    pieces = runs()
    for run in pieces:
        words = table.segment(run)
        if words is not None:
            answered += 1
            assert words == [tuple(t) for t in engine.tokenize(run)], run
    # Only characters outside U+4E00-U+9FFF leave a run to rjieba.
    assert answered > 0.95 * len(pieces), (answered, len(pieces))


_CHARS = "".join(sorted({c for run in runs() for c in run}))[:600]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_CHARS, min_size=1, max_size=10))
def test_the_same_words_as_rjieba_on_any_run(run):
    t = jieba_table.table()
    if t is None:  # an earlier test looked for one without a cache folder
        jieba_table.reset()
        t = jieba_table.table()
    words = t.segment(run)
    if words is not None:
        assert words == [tuple(x) for x in chinese.engine().tokenize(run)]


def test_runs_for_the_hmm(table):
    # Characters that are single words in the route and unknown together go to jieba's
    # HMM, as in rjieba: 碳达峰 (peak carbon) is not in jieba's dictionary.
    engine = chinese.engine()
    for run in ("碳达峰碳中和", "上合组织", "霸凌", "鲁汛"):
        words = table.segment(run)
        assert words == [tuple(t) for t in engine.tokenize(run)], run
    assert table.freq("碳达峰") is None
    assert jieba_table.hmm_cut("小明硕士毕业于中国科学院计算所") == [
        "小明",
        "硕士",
        "毕业于",
        "中国",
        "科学院",
        "计算",
        "所",
    ]  # jieba-rs's own test of its HMM
    assert jieba_table.hmm_cut("鿖鿗") is None  # past U+9FD5: the HMM's regex splits them
    assert table.segment("东盟合作") == [("东盟", 0, 2), ("合作", 2, 4)]
    assert table.segment("") == []
    assert table.segment("abc") is None  # not Han: the caller's business
    assert table.segment("東" * (jieba_table.MAX_RUN + 1)) is None


def test_user_dictionary_words_and_a_changed_dictionary(tmp_path, monkeypatch, table):
    assert table.segment("拿督斯里阿末扎希") != [("拿督斯里阿末扎希", 0, 8)]
    mine = tmp_path / "mine.txt"
    mine.write_text("拿督斯里阿末扎希 100 nr\n", encoding="utf-8")
    monkeypatch.setenv("MLSEARCH_USERDICT", str(mine))
    jieba_table.reset()
    t = jieba_table.table()  # the stored table is for other dictionaries: built again
    assert t is not None and t is not table
    assert t.segment("拿督斯里阿末扎希") == [("拿督斯里阿末扎希", 0, 8)]
    # An entry without a frequency: rjieba computes one from its own state, so the
    # table is not used at all.
    mine.write_text("拿督斯里阿末扎希 nr\n", encoding="utf-8")
    jieba_table.reset()
    assert jieba_table.table() is None


def test_no_cache_folder_means_rjieba(monkeypatch):
    monkeypatch.setenv("MLSEARCH_CACHE_DIR", "")
    jieba_table.reset()
    try:
        assert jieba_table.table() is None
    finally:
        jieba_table.reset()


def test_a_damaged_table_is_built_again(tmp_path, monkeypatch):
    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / jieba_table.NAME).write_bytes(b"MLJD garbage")
    monkeypatch.setenv("MLSEARCH_CACHE_DIR", str(folder))
    jieba_table.reset()
    try:
        t = jieba_table.table()
        assert t is not None and t.segment("东盟合作") == [("东盟", 0, 2), ("合作", 2, 4)]
    finally:
        jieba_table.reset()


def test_a_chinese_query_does_not_load_rjieba(tmp_path):
    """A fresh process analysing a short Chinese query reads the table, not rjieba."""
    code = (
        "import sys\n"
        "from indexer.analyse.chinese import han_word_tokens\n"
        "print([w for w, *_ in han_word_tokens('东盟 合作')])\n"
        "print('rjieba' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["['东盟', '合作']", "False"]
