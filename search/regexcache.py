"""Compiled regular expressions kept between runs of ``mlsearch``.

Python compiles every regular expression of every module a command imports, at every
start: 111 of them for a cold ``mlsearch search`` (ours, whoosh's, click's), about a
tenth of its time; the classes of Han characters (27,000 code points) are the dearest.
The compiler's output is a list of integers that depends only on the pattern, its flags
and the Python build, so it is kept in ``MLSEARCH_CACHE_DIR`` (``regex.pickle``, keyed by
``sys.version`` and the regex engine's magic number) and handed straight to the engine
(``_sre.compile``, as ``re._compiler.compile`` itself does) on the next run.

``install()`` wraps ``re._compiler.compile`` for this process only; a pattern not yet kept
is compiled as before, and the new ones written in the code (module and class bodies,
literals of the functions that compile them) are written when the process ends; those
built at run time from a query's words are not. Anything
unexpected (another Python, an unreadable file) means patterns are compiled as usual.
``tests/test_regexcache.py`` checks that a kept pattern equals a freshly compiled one
(``Pattern.__eq__`` compares the compiled code).
"""

from __future__ import annotations

import sys

# 2: tables written before patterns made at run time were left out (up to 7,000 of a
# Malay stemmer's words, 0.8 MB, 25-45 ms to load at every start) are dropped.
_FORMAT = 2
NAME = "regex.pickle"
MAX_KEPT = 2000  # patterns: a command compiles about 110
_installed = False
original = None  # re._compiler.compile as it was (tests compare with it)
stats = {"kept": 0, "compiled": 0}  # this process's patterns: from the table, compiled


def install() -> None:
    """Serve this process's regex compilations from the kept table (once per process)."""
    global _installed, original
    if _installed:
        return
    _installed = True
    memoize_charsets()
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
            stats["compiled"] += 1
            if _written_in_code(p) and len(table) < MAX_KEPT:
                table[k] = entry
                added.append(k)
        else:
            stats["kept"] += 1
        return _sre.compile(p, *entry)

    compiler.compile = compile

    def save():
        if added:
            _save(path, key, table)

    import atexit

    atexit.register(save)


_charsets_memoized = False
CHARSETS_KEPT = 256


def memoize_charsets() -> None:
    """Compile each character class once per process (in memory, for this process).

    Python's compiler lays every class out afresh, character by character over its
    ranges: a class holding the Han ranges (27,000 code points) costs 1.5-7 ms each time.
    A phrase's pattern names such a class four times a word (a letter, not Han, on either
    side: ``exact._token_pattern``), so a three-word phrase took 20-40 ms to compile,
    every time a process first met it. The classes are few; their layout depends only on
    the class, so it is kept by the class (case-insensitive classes, whose layout depends
    on the compiler's case tables too, are compiled as before)."""
    global _charsets_memoized
    if _charsets_memoized:
        return
    _charsets_memoized = True
    try:
        import re._compiler as compiler

        plain = compiler._optimize_charset
        code = plain.__code__
        if code.co_varnames[: code.co_argcount] != ("charset", "iscased", "fixup", "fixes"):
            return  # another Python's internals: compile as usual
    except Exception:
        return
    kept: dict = {}

    def optimize(charset, iscased=None, fixup=None, fixes=None):
        if fixup is not None or fixes is not None:
            return plain(charset, iscased, fixup, fixes)
        try:
            key = (tuple(charset), iscased)
            got = kept.get(key)
        except TypeError:  # an unhashable item: compiled as usual
            return plain(charset, iscased, fixup, fixes)
        if got is None:
            got = plain(charset, iscased, fixup, fixes)
            if len(kept) >= CHARSETS_KEPT:
                kept.clear()
            kept[key] = got
        out, hascased = got
        return list(out), hascased

    compiler._optimize_charset = optimize


def _written_in_code(pattern) -> bool:
    """Whether ``pattern`` is written in the code that compiles it: compiled by a module or
    class body as it is imported, or a literal of one of the two functions nearest to
    ``re`` (Sastrawi's rules, whoosh's helpers). Patterns made at run time, from a query's
    words, are neither kept on disk nor allowed to grow the table."""
    frame = sys._getframe(2)  # the caller of the hook: re's _compile
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "re":
        frame = frame.f_back  # re.compile / re.match ... / re._compile
    for _ in range(2):
        if frame is None:
            return False
        code = frame.f_code
        if not code.co_flags & 1 or pattern in code.co_consts:  # 1: CO_OPTIMIZED (functions)
            return True
        frame = frame.f_back
    return False


def _load(path, key) -> dict:
    import pickle

    try:
        with open(path, "rb") as f:
            stored_key, table = pickle.load(f)
        if stored_key == key and isinstance(table, dict) and len(table) <= MAX_KEPT:
            return table  # larger: not written by this code; read afresh and replaced
    except Exception:  # missing, damaged, from another version: compiled afresh
        pass
    return {}


def _save(path, key, table: dict) -> None:
    from .tablecache import write_pickle

    write_pickle(path, (key, table))  # a read-only or full disk: compiled again next time
