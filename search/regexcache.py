"""Compiled regular expressions kept between runs of ``mlsearch``.

Python compiles every regular expression of every module a command imports, at every
start: 111 of them for a cold ``mlsearch search`` (ours, whoosh's, click's), about a
tenth of its time; the classes of Han characters (27,000 code points) are the dearest.
The compiler's output is a list of integers that depends only on the pattern, its flags
and the Python build, so it is kept in ``MLSEARCH_CACHE_DIR`` (``regex.pickle``, keyed by
``sys.version`` and the regex engine's magic number) and handed straight to the engine
(``_sre.compile``, as ``re._compiler.compile`` itself does) on the next run.

``install()`` wraps ``re._compiler.compile`` for this process only; a pattern not yet kept
is compiled as before and the new ones are written when the process ends. Anything
unexpected (another Python, an unreadable file) means patterns are compiled as usual.
``tests/test_regexcache.py`` checks that a kept pattern equals a freshly compiled one
(``Pattern.__eq__`` compares the compiled code).
"""

from __future__ import annotations

import sys

_FORMAT = 1
NAME = "regex.pickle"
_installed = False
original = None  # re._compiler.compile as it was (tests compare with it)
stats = {"kept": 0, "compiled": 0}  # this process's patterns: from the table, compiled


def install() -> None:
    """Serve this process's regex compilations from the kept table (once per process)."""
    global _installed, original
    if _installed:
        return
    _installed = True
    try:
        import _sre
        import re._compiler as compiler

        from indexer.config import cache_dir

        folder = cache_dir()
        if folder is None:
            return
        path = folder / NAME
        key = (_FORMAT, sys.version, _sre.MAGIC)
        table = _load(path, key)
        original = plain = compiler.compile
        parse, code_of, debug = compiler._parser.parse, compiler._code, compiler.SRE_FLAG_DEBUG
    except Exception:  # another Python's internals: compile as usual
        return
    added: list = []

    def compile(p, flags=0):
        if type(p) not in (str, bytes) or flags & debug:
            return plain(p, flags)
        k = (type(p).__name__, p, flags)
        entry = table.get(k)
        if entry is None:
            parsed = parse(p, flags)
            groupindex = parsed.state.groupdict
            indexgroup = [None] * parsed.state.groups
            for name, i in groupindex.items():
                indexgroup[i] = name
            entry = (
                flags | parsed.state.flags,
                [int(c) for c in code_of(parsed, flags)],  # opcodes are int subclasses
                parsed.state.groups - 1,
                dict(groupindex),
                tuple(indexgroup),
            )
            table[k] = entry
            added.append(k)
            stats["compiled"] += 1
        else:
            stats["kept"] += 1
        return _sre.compile(p, *entry)

    compiler.compile = compile

    def save():
        if added:
            _save(path, key, table)

    import atexit

    atexit.register(save)


def _load(path, key) -> dict:
    import pickle

    try:
        with open(path, "rb") as f:
            stored_key, table = pickle.load(f)
        if stored_key == key and isinstance(table, dict):
            return table
    except Exception:  # missing, damaged, from another version: compiled afresh
        pass
    return {}


def _save(path, key, table: dict) -> None:
    import os
    import pickle
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".regex.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((key, table), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)  # readers see the old table or the new one, never half
        except BaseException:
            os.unlink(tmp)
            raise
    except Exception:  # a read-only or full disk: compiled again next time
        pass
