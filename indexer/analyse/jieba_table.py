"""jieba's precise mode for short texts (a query's Han runs) without loading rjieba.

Loading rjieba builds jieba's whole dictionary (349,000 words) in memory: about 0.13 s of
CPU, the largest part of a cold Chinese query. A query's Han run is a few characters, and
segmenting it needs only the frequencies of its own substrings. This module keeps jieba's
dictionary, with the user dictionaries applied as rjieba applies them, as one sorted file
in ``MLSEARCH_CACHE_DIR`` (``jieba-dict.bin``, about 6 MB), opened with mmap and searched
by bisection, and runs jieba's algorithm on it: the word graph of the run, the route of
highest log-frequency (ties to the longer word), consecutive single characters joined
back when the dictionary knows them together, and jieba's HMM (its own model, read from
the ``jieba`` package) for those it does not (new names and terms).

It answers only where that is the whole of jieba's answer, and says ``None`` otherwise,
so the caller asks rjieba: characters outside U+4E00–U+9FFF (U+9FD5 for the HMM), runs
longer than ``MAX_RUN``, a user dictionary entry without a frequency (rjieba computes one
from its own state), no table yet or one built from other files.

On the 163,377 distinct Han runs of the 15k shared corpus it gave rjieba's words for
every one (2026-12-03); ``tests/test_jieba_table.py`` compares the two on the bundled
corpus and on generated text.

The table is built from the ``jieba`` package's ``dict.txt``, the dictionary rjieba
embeds; building takes about 0.6 s, once, by the first process that segments a short run
before rjieba is loaded (a Chinese query, or an indexing process's first title).
"""

from __future__ import annotations

import contextlib
import json
import math
import mmap
import os
import struct
from pathlib import Path

from .chinese import parse_userdict, userdict_fingerprint, userdict_paths

FORMAT = 1
NAME = "jieba-dict.bin"
MAGIC = b"MLJD"
MAX_RUN = 40  # longer runs (pasted sentences) go to rjieba, which is loaded for them anyway

_HEADER = struct.Struct("<4sII")  # magic, JSON length, entry count


def _dict_txt() -> Path | None:
    """jieba's dictionary file, found without importing jieba."""
    from importlib.util import find_spec

    try:
        spec = find_spec("jieba")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "dict.txt"
    return path if path.is_file() else None


def _key(dict_txt: Path) -> dict:
    st = dict_txt.stat()
    return {
        "format": FORMAT,
        "dict": [str(dict_txt), st.st_size, st.st_mtime_ns],
        "userdict": userdict_fingerprint(),
    }


def _user_entries() -> list[tuple[str, int]] | None:
    """(word, freq) of every user dictionary, in rjieba's loading order; None when an
    entry has no frequency (rjieba would suggest one from its own state) or a file cannot
    be read (rjieba's loader reports that)."""
    out = []
    for path in userdict_paths():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None
        for word, freq, _tag in parse_userdict(text):
            if freq is None:
                return None
            out.append((word, freq))
    return out


def build(path: Path) -> bool:
    """Write the table for the dictionaries in force to ``path``; False when it cannot be
    built (no jieba package, a user entry without frequency) or written."""
    dict_txt = _dict_txt()
    if dict_txt is None:
        return False
    users = _user_entries()
    if users is None:
        return False
    freq: dict[str, int] = {}
    with open(dict_txt, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if parts:
                # rjieba's loader: a repeated word keeps its last frequency
                freq[parts[0]] = int(parts[1]) if len(parts) > 1 else 0
    for word, n in users:
        freq[word] = n  # rjieba's add_word: replaces the frequency (total adjusted)
    words = sorted(freq)
    blob = bytearray()
    offsets = [0]
    for w in words:
        blob += w.encode("utf-8")
        offsets.append(len(blob))
    meta = json.dumps(
        {
            **_key(dict_txt),
            "total": sum(freq.values()),
            "longest": max(len(w) for w in words),
        }
    ).encode()
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jieba-dict.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(_HEADER.pack(MAGIC, len(meta), len(words)))
                out.write(meta)
                out.write(struct.pack(f"<{len(offsets)}I", *offsets))
                out.write(struct.pack(f"<{len(words)}I", *(freq[w] for w in words)))
                out.write(blob)
            os.replace(tmp, path)  # readers see the old table or the new one, never half
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return False
    return True


class Table:
    """jieba's dictionary as written by ``build``, read through mmap."""

    def __init__(self, path: Path):
        with open(path, "rb") as f:
            self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        magic, meta_len, n = _HEADER.unpack_from(self._mm, 0)
        if magic != MAGIC:
            raise ValueError("not a jieba table")
        at = _HEADER.size
        self.meta = json.loads(self._mm[at : at + meta_len])
        at += meta_len
        view = memoryview(self._mm)
        self._offsets = view[at : at + 4 * (n + 1)].cast("I")
        at += 4 * (n + 1)
        self._freqs = view[at : at + 4 * n].cast("I")
        at += 4 * n
        self._blob = view[at:]
        self._n = n
        self.logtotal = math.log(self.meta["total"])
        self.longest = self.meta["longest"]

    def _word(self, i: int) -> bytes:
        return bytes(self._blob[self._offsets[i] : self._offsets[i + 1]])

    def _find(self, key: bytes) -> int:
        """Index of the first word >= ``key``."""
        lo, hi = 0, self._n
        while lo < hi:
            mid = (lo + hi) // 2
            if self._word(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def lookup(self, key: bytes) -> tuple[int | None, bool]:
        """(frequency of ``key`` or None, whether some longer word starts with it)."""
        i = self._find(key)
        freq = None
        if i < self._n and self._word(i) == key:
            freq = self._freqs[i]
            i += 1
        return freq, i < self._n and self._word(i).startswith(key)

    def freq(self, word: str) -> int | None:
        return self.lookup(word.encode("utf-8"))[0]

    def segment(self, run: str) -> list[tuple[str, int, int]] | None:
        """jieba's precise-mode words of ``run`` as (word, start, end); None where only
        rjieba can answer (see the module's docstring)."""
        n = len(run)
        if n == 0:
            return []
        if n > MAX_RUN or any(not "\u4e00" <= c <= "\u9fff" for c in run):
            return None
        # The word graph: edges[i] = ends j of the dictionary words run[i:j].
        edges: list[list[tuple[int, int]]] = []
        for i in range(n):
            out = []
            for j in range(i + 1, min(n, i + self.longest) + 1):
                freq, longer = self.lookup(run[i:j].encode("utf-8"))
                if freq is not None:
                    out.append((j, freq))
                if not longer:
                    break
            edges.append(out)
        # The best route from the end, as jieba-rs's calc: ties go to the later end.
        logtotal = self.logtotal
        route: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
        for i in range(n - 1, -1, -1):
            if edges[i]:
                route[i] = max(
                    ((math.log(f) if f else -math.inf) - logtotal + route[j][0], j)
                    for j, f in edges[i]
                )
            else:
                route[i] = (0.0 - logtotal + route[i + 1][0], i + 1)
        words: list[tuple[str, int, int]] = []
        left = None  # start of pending single characters
        x = 0

        def flush(end: int) -> bool:
            buf = run[left:end]
            if len(buf) > 1 and self.freq(buf) is None:
                # Unknown together: jieba's HMM cuts them (new names and terms).
                cut = hmm_cut(buf)
                if cut is None:
                    return False
                at = left
                for w in cut:
                    words.append((w, at, at + len(w)))
                    at += len(w)
                return True
            words.extend((c, left + k, left + k + 1) for k, c in enumerate(buf))
            return True

        while x < n:
            y = route[x][1]
            if y - x == 1:
                if left is None:
                    left = x
            else:
                if left is not None:
                    if not flush(x):
                        return None
                    left = None
                words.append((run[x:y], x, y))
            x = y
        if left is not None and not flush(n):
            return None
        return words


_MIN_FLOAT = -3.14e100
_PREV = {"B": "ES", "M": "MB", "S": "SE", "E": "BM"}
_hmm_model = None


def _hmm() -> tuple[dict, dict, dict] | None:
    """jieba's HMM (start, transition and emission log-probabilities), from its package."""
    global _hmm_model
    if _hmm_model is None:
        import pickle

        dict_txt = _dict_txt()
        if dict_txt is None:
            return None
        folder = dict_txt.parent / "finalseg"
        try:
            _hmm_model = tuple(
                pickle.loads((folder / f"prob_{name}.p").read_bytes())
                for name in ("start", "trans", "emit")
            )
        except (OSError, pickle.UnpicklingError, EOFError):
            return None
    return _hmm_model


def hmm_cut(text: str) -> list[str] | None:
    """jieba's HMM cut of ``text`` (Viterbi over B/M/E/S, ties as jieba-rs breaks them);
    None outside U+4E00-U+9FD5, its HMM's range."""
    model = _hmm()
    if model is None or any(not "\u4e00" <= c <= "\u9fd5" for c in text):
        return None
    start, trans, emit = model
    v = {y: start[y] + emit[y].get(text[0], _MIN_FLOAT) for y in "BMES"}
    path = {y: y for y in "BMES"}
    for c in text[1:]:
        nv, npath = {}, {}
        for y in "BMES":
            em = emit[y].get(c, _MIN_FLOAT)
            prob, state = max((v[y0] + trans[y0].get(y, _MIN_FLOAT) + em, y0) for y0 in _PREV[y])
            nv[y], npath[y] = prob, path[state] + y
        v, path = nv, npath
    _prob, state = max((v[y], y) for y in "ES")
    words, begin, nexti = [], 0, 0
    for i, pos in enumerate(path[state]):
        if pos == "B":
            begin = i
        elif pos == "E":
            words.append(text[begin : i + 1])
            nexti = i + 1
        elif pos == "S":
            words.append(text[i])
            nexti = i + 1
    if nexti < len(text):
        words.append(text[nexti:])
    return words


_table: Table | None = None
_tried = False


def table_path() -> Path | None:
    from ..config import cache_dir

    folder = cache_dir()
    return folder / NAME if folder is not None else None


def table(build_missing: bool = True) -> Table | None:
    """The table for the dictionaries in force (built when missing or stale and
    ``build_missing``); None when there is none to be had: rjieba then answers."""
    global _table, _tried
    if _tried:
        return _table
    _tried = True
    path = table_path()
    dict_txt = _dict_txt()
    if path is None or dict_txt is None:
        return None
    for attempt in range(2):
        with contextlib.suppress(OSError, ValueError, struct.error):
            t = Table(path)
            meta = t.meta
            if {k: meta.get(k) for k in ("format", "dict", "userdict")} == _key(dict_txt):
                _table = t
                return t
        if attempt or not build_missing or not build(path):
            return None
    return None


def reset() -> None:
    """Forget the opened table (tests; after the user dictionaries change)."""
    global _table, _tried
    _table, _tried = None, False
