"""Benchmark harness (issue 4): mlsearch against the baselines users would pick instead.

``bench.naive``  the naive Whoosh + jieba ``ChineseAnalyzer`` pipeline (also used by eval/)
``bench.fts5``   SQLite FTS5 over jieba-segmented text
``bench.run``    the one command: ``python -m bench.run`` (see bench/README.md)
"""
