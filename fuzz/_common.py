"""Shared by the fuzz targets: what a reader may return, files on disk, the atheris driver.

A target module defines ``check(data: bytes) -> None``, which feeds ``data`` to the code
under test the way the indexer does and raises (an ``AssertionError`` or whatever escaped)
on a finding.  "Returns a result, or skips the input with :class:`~indexer.article.Skipped`
/ :class:`~indexer.errors.UnreadableFileError`" is fine; any other exception, a broken
invariant, a hang (libFuzzer ``-timeout``) or a memory blow-up (``-rss_limit_mb``) is not.

``check`` imports the project lazily (:func:`load`), so that under atheris the imports
happen inside ``atheris.instrument_imports()`` and the project's code is coverage-guided,
while the regression tests (tests/test_fuzz.py) call the same ``check`` without atheris.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
# the project's code, plus the pure-Python HTML library the HTML reader drives
INSTRUMENTED = ["indexer", "bs4", "soupsieve"]

_tmpdir: Path | None = None


def scratch_file(name: str, data: bytes):
    """``data`` written to ``name`` in a private scratch folder, as a ``SourceFile``."""
    global _tmpdir
    from indexer.read import SourceFile

    if _tmpdir is None:
        base = os.environ.get("MLSEARCH_FUZZ_TMP")  # run.py: WORK/TARGET (libFuzzer may
        if base is None and os.access("/dev/shm", os.W_OK):  # _exit before atexit runs)
            base = "/dev/shm"
        _tmpdir = Path(tempfile.mkdtemp(prefix="mlsearch-fuzz-", dir=base))
        atexit.register(shutil.rmtree, _tmpdir, ignore_errors=True)
    path = _tmpdir / name
    path.write_bytes(data)
    st = path.stat()
    return SourceFile(path=path, rel=name, size=st.st_size, mtime_ns=st.st_mtime_ns)


def check_article(article, rel: str) -> None:
    """An Article as the indexer expects it: text fields are str, the date in range."""
    from indexer.article import Article
    from indexer.read.dates import MAX_YEAR, MIN_YEAR

    assert isinstance(article, Article), type(article)
    assert isinstance(article.id, str) and article.id, article.id
    assert isinstance(article.title, str) and isinstance(article.body, str)
    assert article.title or article.body, "an Article without text"
    assert article.path == rel, (article.path, rel)
    for value in (article.source, article.url, article.lang_hint):
        assert value is None or isinstance(value, str), value
    d = article.date
    assert d is None or (type(d) is date and MIN_YEAR <= d.year <= MAX_YEAR), d


def check_skipped(skipped, rel: str) -> None:
    """A Skipped as the CLI shows it: a one-line reason, the file it came from."""
    assert skipped.path == rel, (skipped.path, rel)
    assert isinstance(skipped.reason, str) and skipped.reason.strip(), skipped.reason
    assert "\n" not in skipped.reason and "\r" not in skipped.reason, skipped.reason
    assert skipped.line is None or (isinstance(skipped.line, int) and skipped.line >= 1)


def read_all(name: str, data: bytes) -> list:
    """``read_file`` on ``data`` saved as ``name``, every item checked; the items."""
    from indexer.article import Skipped
    from indexer.read import read_file

    sf = scratch_file(name, data)
    items = list(read_file(sf))
    assert items, "read_file yielded nothing"
    for item in items:
        if isinstance(item, Skipped):
            check_skipped(item, name)
        else:
            check_article(item, name)
    return items


def main(check: Callable[[bytes], None], load: Callable[[], None]) -> None:
    """Run ``check`` under atheris (libFuzzer flags and corpus folders from argv)."""
    import atheris

    with atheris.instrument_imports(include=INSTRUMENTED):
        import bs4  # noqa: F401 - imported here so that it is instrumented too

        load()

    def one_input(data: bytes) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # as in the test suite: a warning is a finding
            check(data)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
