"""Reading articles and building the index.

Importable without Click. Heavy modules load on first use::

    from indexer import build_index
    report = build_index(["corpus"], "index")
"""

__version__ = "0.1.0"

__all__ = ["Article", "IndexReport", "build_index", "default_index_dir", "__version__"]


def __getattr__(name):
    if name in ("build_index", "IndexReport"):
        from .write import build

        return getattr(build, name)
    if name == "Article":
        from .article import Article

        return Article
    if name == "default_index_dir":
        from .config import default_index_dir

        return default_index_dir
    raise AttributeError(name)
