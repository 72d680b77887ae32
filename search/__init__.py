"""The query side: ``from search import Searcher``.

with Searcher("index") as s:
    for hit in s.search("东盟 防长", limit=5).hits:
        print(hit.rank, hit.title, hit.snippet)
"""

__version__ = "0.1.0"  # setup.cfg reads it (version = attr: search.__version__)

__all__ = ["ArticleRecord", "Hit", "IndexStats", "SearchResults", "Searcher"]


def __getattr__(name):
    if name in __all__:
        from . import searcher

        return getattr(searcher, name)
    raise AttributeError(name)
