"""Compiled regular expressions kept between runs (search.regexcache): a kept pattern must
be the very pattern Python would compile."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent

# Ours (Han classes, named groups, flags), a bytes pattern, and the library modules a
# command imports.
PROGRAM = r"""
import json, re, sys
import search.regexcache as rc
rc.install()
if len(sys.argv) > 1:  # the compiler's own steps refused: every pattern must be kept
    import re._compiler as c
    def refuse(*a, **k):
        raise AssertionError("compiled although kept")
    c._code = refuse
from indexer.analyse import latin, normalize
import whoosh.query, click
patterns = [
    (normalize.HAN_RUN.pattern, 0),
    (latin.PART_RE.pattern, latin.PART_RE.flags & ~re.UNICODE),
    ("(?P<year>\\d{4})-(?P<month>\\d\\d)", re.IGNORECASE),
    ("  a b # comment\n c", re.VERBOSE),
    (b"[\\x00-\\x1f]+", 0),
]
same = []
for p, flags in patterns:
    re.purge()
    kept = re.compile(p, flags)
    fresh = None if len(sys.argv) > 1 else rc.original(p, flags)
    same.append(fresh is None or (kept == fresh and kept.groupindex == fresh.groupindex))
    if fresh is not None and isinstance(p, str):
        text = "东盟防长 menteri-menteri 2025-10 a b c"
        same[-1] = same[-1] and [m.span() for m in kept.finditer(text)] == [
            m.span() for m in fresh.finditer(text)
        ]
print(json.dumps({"same": same, **rc.stats}))
"""


def _run(cache: Path, *args) -> dict:
    import json

    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLSEARCH_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_patterns_are_kept_and_equal_to_fresh_ones(tmp_path):
    first = _run(tmp_path)
    assert all(first["same"]) and first["compiled"] > 20
    assert (tmp_path / "regex.pickle").is_file()
    second = _run(tmp_path)
    assert all(second["same"])
    assert second["compiled"] == 0 and second["kept"] >= first["compiled"]
    # Nothing new: nothing written; and the kept code is used without the compiler.
    stamp = (tmp_path / "regex.pickle").stat().st_mtime_ns
    third = _run(tmp_path, "refuse")
    assert third["compiled"] == 0
    assert (tmp_path / "regex.pickle").stat().st_mtime_ns == stamp


def test_a_damaged_or_foreign_table_is_ignored(tmp_path):
    import pickle

    (tmp_path / "regex.pickle").write_bytes(b"not a pickle")
    first = _run(tmp_path)
    first_compiled = first["compiled"]
    assert all(first["same"]) and first_compiled > 20
    with open(tmp_path / "regex.pickle", "rb") as f:
        key, table = pickle.load(f)  # written anew
    with open(tmp_path / "regex.pickle", "wb") as f:
        pickle.dump(((key[0], "another Python", key[2]), table), f)
    again = _run(tmp_path)
    assert all(again["same"]) and again["compiled"] == first_compiled


def test_an_overgrown_table_is_replaced(tmp_path):
    """A table larger than ``MAX_KEPT`` (an earlier version kept patterns made at run time,
    thousands of them, slow to load at every start) is not used, and is written anew."""
    import pickle

    from search.regexcache import MAX_KEPT

    first = _run(tmp_path)
    with open(tmp_path / "regex.pickle", "rb") as f:
        key, table = pickle.load(f)
    kept = len(table)
    entry = next(iter(table.values()))
    table.update({("str", f"word{i}", 0): entry for i in range(MAX_KEPT)})
    with open(tmp_path / "regex.pickle", "wb") as f:
        pickle.dump((key, table), f)
    again = _run(tmp_path)
    assert all(again["same"]) and again["compiled"] == first["compiled"]
    with open(tmp_path / "regex.pickle", "rb") as f:
        assert len(pickle.load(f)[1]) == kept


def test_no_cache_folder_leaves_re_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("MLSEARCH_CACHE_DIR", "")
    code = "import re._compiler as c, search.regexcache as r; f = c.compile; r.install(); "
    code += "print(c.compile is f)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr


def test_patterns_made_at_run_time_are_not_kept(tmp_path):
    """A pattern built in a function (from a query's words) is compiled, not written."""
    code = (
        "import re, search.regexcache as rc\n"
        "rc.install()\n"
        "MODULE = re.compile('module level (kept)')\n"
        "def at_run_time(words):\n"
        "    return re.compile('|'.join(words))\n"
        "def main():\n"
        "    assert at_run_time(['secret', 'query']).search('a query')\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLSEARCH_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    import pickle

    with open(tmp_path / "regex.pickle", "rb") as f:
        _key, table = pickle.load(f)
    patterns = {p for _type, p, _flags in table}
    assert "module level (kept)" in patterns
    assert "secret|query" not in patterns


CHARSETS = r"""
import re, sys
import re._compiler as c
original = c._optimize_charset
laid_out = []
def counting(charset, iscased=None, fixup=None, fixes=None):
    laid_out.append(tuple(charset))
    return original(charset, iscased, fixup, fixes)
c._optimize_charset = counting
from search.exact import _token_pattern
from indexer.analyse.latin import LETTER
from indexer.analyse.normalize import HAN_CLASS
assert c._optimize_charset is not counting  # importing exact.py installed the memo
patterns = [
    (_token_pattern("laut") + r"[\W_]*" + _token_pattern("selatan"), 0),
    (f"x(?<!{LETTER}x)[^{HAN_CLASS}a-z]+", 0),
    (f"[{HAN_CLASS}]+|[^\\W\\d_]+", 0),
    ("[a-zé]+[^0-9]", re.IGNORECASE),  # case tables: laid out as before
    (b"[\\x00-\\x1f\\x7f]+", 0),
    ("[ab][ab]", 0),
]
memo = c._optimize_charset
for p, flags in patterns:
    for _ in range(2):
        c._optimize_charset = memo
        got = c.compile(p, flags)
        c._optimize_charset = original
        fresh = c.compile(p, flags)
        assert got == fresh and got.flags == fresh.flags, p
c._optimize_charset = memo
text = "Laut China Selatan, laut-selatan 东盟x防长 Ékonomi xyz"
for p, flags in patterns[:4]:
    assert c.compile(p, flags).findall(text) == re.compile(p, flags).findall(text)
# A phrase met for the first time: its letter class (eight times in two words) is not
# laid out again.
del laid_out[:]
c.compile(_token_pattern("perlu") + r"[\W_]*" + _token_pattern("perlindungan"), 0)
assert len(laid_out) <= 1, len(laid_out)
print("ok")
"""


def test_character_classes_are_laid_out_once_and_compile_as_before():
    """search.regexcache.memoize_charsets: patterns compile to the very code Python's own
    compiler gives (Pattern.__eq__ compares it), and a class is laid out once per process:
    a new phrase does not lay out the letter class again for each of its words."""
    out = subprocess.run(
        [sys.executable, "-c", CHARSETS], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
