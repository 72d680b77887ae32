"""Segmentation accuracy on the SIGHAN 2005 bakeoff test sets (pku, msr).

Each raw test line is segmented whole (the bakeoff's way; mlsearch itself segments Han runs
only) by jieba's precise mode, run four ways:

* ``mlsearch``: rjieba with the project's user dictionaries added as ``indexer.analyse.chinese``
  adds them (jieba's suggest_freq when an entry has no frequency);
* ``rjieba_stock``: a fresh ``rjieba.Jieba()``, the stock dictionary;
* ``naive``: jieba 0.42.1 itself with its stock dictionary (what the naive pipeline runs),
  also checked line by line against ``rjieba_stock``.

Scores are word-level precision, recall and F1, a word counting as correct when its
character span matches a gold word's span (the same counts as the bakeoff's ``score``
script). Whitespace is not part of any word.
"""

from __future__ import annotations

import logging
import warnings

from .data import SIGHAN_REL
from .metrics import prf, spans

SETS = ("pku", "msr")
# "No harm": the user dictionary may not cost more than this much F1.
MAX_F1_LOSS = 0.001


def read_set(base, name: str) -> tuple[list[str], list[list[str]]]:
    raw = (base / "testing" / f"{name}_test.utf8").read_text(encoding="utf-8-sig").splitlines()
    gold = (base / "gold" / f"{name}_test_gold.utf8").read_text(encoding="utf-8-sig").splitlines()
    if len(raw) != len(gold):
        raise ValueError(f"{name}: {len(raw)} test lines but {len(gold)} gold lines")
    return raw, [line.split() for line in gold]


def project_jieba():
    """A fresh rjieba with the project's user dictionaries, loaded as indexer.analyse.chinese
    does."""
    import rjieba

    from indexer.analyse.chinese import parse_userdict, userdict_paths

    jieba = rjieba.Jieba()
    for path in userdict_paths():
        for word, freq, tag in parse_userdict(path.read_text(encoding="utf-8-sig")):
            if freq is None:
                freq = max(jieba.suggest_freq(word), 1)
            jieba.add_word(word, freq, tag)
    return jieba


def stock_python_jieba():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


def score(segmented: list[list[str]], gold: list[list[str]]) -> dict:
    """P/R/F1 over the whole file as one stream of words.

    Spans run across lines, so a gold file whose line breaks fall elsewhere than the raw
    file's (msr moves 16 opening quotes to the previous line) still lines up word by word.
    """
    test_words = [w for line in segmented for w in (t.strip() for t in line) if w]
    gold_words = [w for line in gold for w in line]
    if "".join(test_words) != "".join(gold_words):
        raise ValueError("the segmented text differs from the gold text")
    g, t = spans(gold_words), spans(test_words)
    return {**prf(len(g), len(t), len(g & t)), "gold_words": len(g), "test_words": len(t)}


def run(data_dir) -> dict:
    base = data_dir / SIGHAN_REL
    import rjieba

    segmenters = {
        "mlsearch": project_jieba(),
        "rjieba_stock": rjieba.Jieba(),
        "naive": stock_python_jieba(),
    }
    out = {}
    for name in SETS:
        raw, gold = read_set(base, name)
        seg = {key: [list(s.cut(line)) for line in raw] for key, s in segmenters.items()}
        out[name] = {key: score(words, gold) for key, words in seg.items()}
        same = sum(
            1
            for a, b in zip(seg["rjieba_stock"], seg["naive"], strict=True)
            if [w for w in a if w.strip()] == [w for w in b if w.strip()]
        )
        out[name]["lines"] = len(raw)
        out[name]["rjieba_equals_jieba_lines"] = same
        out[name]["userdict_changed_lines"] = sum(
            1 for a, b in zip(seg["mlsearch"], seg["rjieba_stock"], strict=True) if a != b
        )
    return out
