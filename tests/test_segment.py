"""rjieba must segment exactly as jieba, the reference the design names."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from indexer.analyse import chinese as segment
from indexer.analyse.normalize import HAN_RUN
from tests.conftest import CORPUS, NEWS


def chinese_paragraphs() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((NEWS / "zh").glob("*.txt"))]
    texts.append((NEWS / "mixed_headline.txt").read_text(encoding="utf-8"))
    texts += [p.read_text(encoding="utf-8") for p in sorted(Path(CORPUS).glob("*.txt"))]
    texts.append(
        "国务院总理在人民大会堂会见了来访的马来西亚总理。双方就南海问题、经贸合作、"
        "人文交流等议题深入交换意见，一致同意推动中马全面战略伙伴关系迈上新台阶。"
        "会后，两国签署了数字经济、绿色发展、农业合作等领域多项合作文件。"
    )
    # Han runs are what the analysis hands the segmenter; on other text (dates like
    # 2025-10-31) rjieba and jieba do differ, and it never sees that text.
    return [run for t in texts for run in HAN_RUN.findall(t)]


@pytest.fixture(scope="module")
def jieba_ref():
    jieba = pytest.importorskip("jieba")
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


def test_rjieba_matches_jieba_with_stock_dictionaries(jieba_ref):
    import rjieba

    fresh = rjieba.Jieba()  # the stock dictionary, without our user words
    for para in chinese_paragraphs():
        assert fresh.tokenize(para) == list(jieba_ref.tokenize(para)), para
        assert fresh.tokenize(para, mode="search") == list(jieba_ref.tokenize(para, mode="search"))


def test_rjieba_matches_jieba_with_our_user_dictionary(jieba_ref):
    import jieba

    ref = jieba.Tokenizer()
    ref.initialize()
    for path in segment.userdict_paths():
        for word, freq, tag in segment.parse_userdict(path.read_text(encoding="utf-8")):
            ref.add_word(word, freq if freq is not None else max(ref.suggest_freq(word), 1), tag)
    for para in chinese_paragraphs():
        assert segment.segment_han(para) == list(ref.tokenize(para)), para


def test_user_dictionary_from_the_environment(tmp_path, monkeypatch):
    extra = tmp_path / "mine.txt"
    extra.write_text("# my words\n拿督斯里阿末扎希 100 nr\n", encoding="utf-8")
    monkeypatch.setenv("MLSEARCH_USERDICT", str(extra))
    assert extra in segment.userdict_paths()
    before = segment.userdict_fingerprint()
    monkeypatch.delenv("MLSEARCH_USERDICT")
    assert segment.userdict_fingerprint() != before


def test_parse_userdict_formats():
    entries = list(segment.parse_userdict("吉隆坡\n布城 50\n安华 80 nr\n# comment\n\n东帝汶 ns\n"))
    assert entries == [
        ("吉隆坡", None, None),
        ("布城", 50, None),
        ("安华", 80, "nr"),
        ("东帝汶", None, "ns"),
    ]
