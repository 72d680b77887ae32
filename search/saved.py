"""Saved queries: follow a topic and see what is new since the last run.

Two files live in the index folder, beside the index they query:

``saved.toml``
    The queries, one table each, for people to read and edit by hand::

        [queries.sea]
        query = "South China Sea"
        limit = 10
        sort = "date"
        lang = "en"                  # optional: zh, ms or en
        date = "[2025-09-01 TO]"     # optional: anything date: accepts

    A mistake in it is reported with its line number, never a traceback. mlsearch edits
    it in place (adding or removing one table), so comments elsewhere survive.

``saved-state.json``
    What each query has returned so far (article ids), when it last ran and how many
    hits it had. Machine-written; delete it and every hit is new once more.

Both are written atomically (a temporary file, fsync, rename) under an exclusive lock
(``saved.lock``): an interrupted write leaves the previous file whole, and two processes
never write at once.

"New" means an article the query matches now and no earlier run of it matched. Article ids
do not change when an article is re-indexed, so an update is never new again; an added
article is, unless it is a near-duplicate copy of an article an earlier run matched.

One module of some 700 lines: reading and editing saved.toml, the state file and the runs
share the lock, the atomic write and the error reporting by line, and are read together.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path

from indexer.analyse.languages import LANGS
from indexer.config import DEFAULT_LIMIT, default_index_dir
from indexer.errors import IndexLockedError, MlsearchError, QuerySyntaxError
from indexer.files import atomic_write
from indexer.write.locking import IndexLock

from .options import (
    MATCH_MODES,
    MAX_LIMIT,
    SORTS,
    check_date_spec,
    check_lang,
    check_limit,
    check_sort,
    is_date_spec,
)
from .searcher import Hit, Searcher

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

SAVED_FILE = "saved.toml"
SAVED_STATE_FILE = "saved-state.json"
SAVED_LOCK_FILE = "saved.lock"
LOCK_TIMEOUT = 10.0

_NAME_RE = re.compile(r"[\w.-]{1,64}")
_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_SINCE_RE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")

_HEADER = """\
# mlsearch saved queries. Edit by hand if you like: one [queries.NAME] table per query.
#   query = "…"      the query, in mlsearch search syntax (required)
#   limit = 10       hits shown by a plain run
#   sort  = "relevance" or "date"
#   lang  = "zh", "ms" or "en"   (optional)
#   date  = "2025", "2025-10" or "[2025-09-01 TO]"   (optional, as date: in a query)
#   cross = true     also in the other two languages, through the glossary (--cross)
#   match = "all"    every word required (the default for saved queries), "ranked" or "any"
"""


class SavedQueryError(MlsearchError):
    """A saved query that does not exist, cannot be saved, or a saved file that is wrong."""


@dataclass
class SavedQuery:
    """One saved query and the search options it runs with."""

    name: str
    query: str
    limit: int = DEFAULT_LIMIT
    sort: str = "relevance"
    lang: str | None = None
    date: str | None = None
    cross: bool = False
    # How the words combine (search.matching): every word by default, so that what a run
    # calls new is about the query, not an article naming one of its words in passing.
    match: str = "all"

    def full_query(self, since: str | None = None) -> str:
        """The query as run: with its date filter, and ``since`` as ``date:[SINCE TO]``."""
        parts = [f"({self.query})" if self.date or since else self.query]
        if self.date:
            parts.append(f"date:{self.date}")
        if since:
            parts.append(f"date:[{since} TO]")
        return " ".join(parts)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SavedStatus:
    """A saved query with what its runs have recorded (``saved list``, ``saved show``)."""

    saved: SavedQuery
    last_run: str | None = None  # ISO 8601 local time, seconds
    hits: int | None = None  # articles it matched on its last run
    new: int | None = None  # of which new
    seen: int = 0  # articles it has ever matched

    def as_dict(self) -> dict:
        return {
            **self.saved.as_dict(),
            "last_run": self.last_run,
            "hits": self.hits,
            "new": self.new,
            "seen": self.seen,
        }


@dataclass
class SavedHit(Hit):
    """A Hit from a saved query's run: which query, and whether no earlier run had it."""

    saved: str = ""
    new: bool = False

    def as_json(self) -> dict:
        return {**super().as_json(), "saved": self.saved, "new": self.new}


@dataclass
class SavedRun:
    """One run of a saved query: ``hits`` are what to show (only new ones with new=True)."""

    saved: SavedQuery
    total: int  # stories matched now (copies of one article count once, as in search)
    new: int  # of which no earlier run had matched any copy
    hits: list[SavedHit] = field(default_factory=list)
    first_run: bool = False  # no earlier run recorded: everything is new
    previous_run: str | None = None
    only_new: bool = False
    since: str | None = None


# ----------------------------------------------------------------------------------------
# files
# ----------------------------------------------------------------------------------------


def _dir(index_dir: str | os.PathLike | None) -> Path:
    return Path(index_dir) if index_dir is not None else default_index_dir()


def saved_path(index_dir: str | os.PathLike | None = None) -> Path:
    return _dir(index_dir) / SAVED_FILE


@contextlib.contextmanager
def _locked(index_dir: Path) -> Iterator[None]:
    """Exclusive right to write the saved files; released by the kernel if we die."""
    lock = IndexLock(
        index_dir,
        timeout=LOCK_TIMEOUT,
        poll=0.05,
        name=SAVED_LOCK_FILE,
        doing="changing the saved queries in",
    )
    try:
        lock.acquire()
    except IndexLockedError as exc:
        raise SavedQueryError(
            exc.message, hint="wait for it to finish, then run this again"
        ) from None
    try:
        yield
    finally:
        lock.release()


# ----------------------------------------------------------------------------------------
# reading saved.toml
# ----------------------------------------------------------------------------------------

# The table spans below (and _without_table) are hand-written rather than tomlkit, which was
# measured for this: its import adds 5 ms at best, 23 ms median under load, to a `saved`
# command; but its items carry no line numbers (a hand-edit mistake is reported by line),
# and it files the comment lines above a table under the table before it, so removing a
# query would keep that query's comment and drop the next one's (see _without_table).


def _toml_key_path(fragment: str) -> list[str] | None:
    """The dotted key a header (``[queries."东盟"]``) or ``key =`` line names, or None."""
    try:
        data = tomllib.loads(fragment)
    except tomllib.TOMLDecodeError:
        return None
    path = []
    while isinstance(data, dict) and len(data) == 1:
        key, data = next(iter(data.items()))
        path.append(key)
    return path


def _table_spans(text: str) -> list[tuple[list[str] | None, int, int]]:
    """(key path, first line, last line) of each table, 1-based; the top level is []."""
    lines = text.splitlines()
    spans: list[tuple[list[str] | None, int, int]] = []
    current: list[str] | None = []
    start = 1
    for n, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            spans.append((current, start, n - 1))
            header = stripped.split("#", 1)[0].strip() if "]" in stripped else stripped
            current = _toml_key_path(header)
            start = n
    spans.append((current, start, len(lines)))
    return spans


def _line_of(text: str, name: str | None, key: str | None = None) -> int | None:
    """Where the table of query ``name`` (or its ``key``) is in ``text``, if found."""
    lines = text.splitlines()
    for path, first, last in _table_spans(text):
        if name is None and path == [] and key is not None:
            wanted = [key]
        elif path == ["queries", name]:
            if key is None:
                return first
            wanted = [key]
        elif path == ["queries"] and name is not None:
            wanted = [name] if key is None else [name, key]
        else:
            continue
        for n in range(first, last + 1):
            line = lines[n - 1]
            if "=" in line and not line.lstrip().startswith("#"):
                got = _toml_key_path(line.split("=", 1)[0] + "= 0")
                if got and got[: len(wanted)] == wanted:
                    return n
    return None


def _file_error(path: Path, line: int | None, message: str) -> SavedQueryError:
    where = f"{path}, line {line}" if line else str(path)
    return SavedQueryError(
        f"{where}: {message}",
        hint="fix it by hand (see the comments at the top of the file), "
        "or remove the query with mlsearch saved rm NAME",
    )


def _parse_saved(text: str, path: Path) -> dict[str, SavedQuery]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if m:
            line = int(m.group(1))
            message = f"{message[: m.start()]} (column {m.group(2)})"
        else:
            line = len(text.splitlines()) or None
            message = re.sub(r"\s*\(at end of document\)$", "", message)
        raise _file_error(path, line, f"not valid TOML: {message}") from None
    for key in data:
        if key != "queries":
            raise _file_error(
                path,
                _line_of(text, None, key),
                f"unknown setting {key!r} (expected [queries.NAME])",
            )
    queries = data.get("queries", {})
    if not isinstance(queries, dict):
        raise _file_error(path, _line_of(text, None, "queries"), "queries must be tables")
    out = {}
    for name, table in queries.items():
        out[name] = _validate(name, table, text, path)
    return out


def _validate(name: str, table, text: str, path: Path) -> SavedQuery:
    def fail(message: str, key: str | None = None):
        line = _line_of(text, name, key) if key else None
        return _file_error(path, line or _line_of(text, name), f"query {name!r}: {message}")

    if not _NAME_RE.fullmatch(name) or name.startswith("-"):
        raise fail("names are letters, digits, '.', '_' and '-' (up to 64, not starting with -)")
    if not isinstance(table, dict):
        raise fail('expected a table: [queries.NAME] with query = "…"')
    known = {f.name for f in fields(SavedQuery)} - {"name"}
    for key in table:
        if key not in known:
            raise fail(f"unknown key {key!r} (known: {', '.join(sorted(known))})", key)
    if "query" not in table:
        raise fail('missing query = "…"')
    values = dict(table)
    for key, kind in (
        ("query", str),
        ("sort", str),
        ("lang", str),
        ("date", str),
        ("match", str),
    ):
        if key in values and not isinstance(values[key], kind):
            raise fail(f"{key} must be a string in quotes, not {values[key]!r}", key)
    if not values["query"].strip():
        raise fail("query is empty", "query")
    if "limit" in values:
        limit = values["limit"]
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise fail(f"limit must be a whole number, not {limit!r}", "limit")
        if not 1 <= limit <= MAX_LIMIT:
            raise fail(f"limit must be between 1 and {MAX_LIMIT}, not {limit}", "limit")
    if "cross" in values and not isinstance(values["cross"], bool):
        raise fail(f"cross must be true or false, not {values['cross']!r}", "cross")
    if values.get("match", "all") not in MATCH_MODES:
        raise fail(f"match must be {', '.join(MATCH_MODES)}, not {values['match']!r}", "match")
    if values.get("sort", "relevance") not in SORTS:
        raise fail(f"sort must be relevance or date, not {values['sort']!r}", "sort")
    if values.get("lang") is not None and values["lang"] not in LANGS:
        raise fail(f"lang must be zh, ms or en, not {values['lang']!r}", "lang")
    if values.get("date") is not None and not is_date_spec(values["date"]):
        raise fail(f"date must be one date or [range], as in date:, not {values['date']!r}", "date")
    return SavedQuery(name=name, **values)


def load_saved(index_dir: str | os.PathLike | None = None) -> dict[str, SavedQuery]:
    """Every saved query, by name, in file order; {} when there is no saved.toml."""
    path = saved_path(index_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise _file_error(path, None, f"not UTF-8 text ({exc.reason})") from None
    return _parse_saved(text, path)


def get_saved(name: str, index_dir: str | os.PathLike | None = None) -> SavedQuery:
    saved = load_saved(index_dir)
    if name not in saved:
        raise _not_found(name, saved, index_dir)
    return saved[name]


def _not_found(name: str, saved: dict, index_dir) -> SavedQueryError:
    known = ", ".join(saved) if saved else "none yet"
    return SavedQueryError(
        f"no saved query named {name!r} in {saved_path(index_dir)} (saved: {known})",
        hint='save one with: mlsearch saved add NAME "QUERY"',
    )


# ----------------------------------------------------------------------------------------
# writing saved.toml
# ----------------------------------------------------------------------------------------


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_key(name: str) -> str:
    return name if _BARE_KEY_RE.fullmatch(name) else toml_string(name)


def toml_table(saved: SavedQuery) -> str:
    lines = [f"[queries.{toml_key(saved.name)}]", f"query = {toml_string(saved.query)}"]
    lines.append(f"limit = {saved.limit}")
    lines.append(f"sort = {toml_string(saved.sort)}")
    if saved.lang:
        lines.append(f"lang = {toml_string(saved.lang)}")
    if saved.date:
        lines.append(f"date = {toml_string(saved.date)}")
    if saved.cross:
        lines.append("cross = true")
    if saved.match != "all":
        lines.append(f"match = {toml_string(saved.match)}")
    return "\n".join(lines) + "\n"


def _render(saved: dict[str, SavedQuery]) -> str:
    return _HEADER + "".join("\n" + toml_table(s) for s in saved.values())


def _without_table(text: str, name: str) -> str | None:
    """``text`` less the table of query ``name``, with the comment lines just above it;
    comment and blank lines just above the next table stay with that one. None if there is
    no such table."""
    lines = text.splitlines(keepends=True)
    spans = _table_spans(text)
    for i, (path, first, last) in enumerate(spans):
        if path != ["queries", name]:
            continue
        start, end = first - 1, last  # 0-based, end exclusive
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        while start > 0 and not lines[start - 1].strip():
            start -= 1
        if i + 1 < len(spans):
            while end > first and (
                not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
            ):
                end -= 1
        return "".join(lines[:start] + lines[end:])
    return None


def _save(index_dir: Path, old_text: str | None, new_text: str | None, want: dict) -> None:
    """Write ``new_text`` (an in-place edit of the file) if it parses to ``want``, else the
    whole file from ``want``: an edit never writes something other than what was meant."""
    path = index_dir / SAVED_FILE
    if new_text is not None:
        try:
            if _parse_saved(new_text, path) == want:
                atomic_write(path, new_text)
                return
        except SavedQueryError:
            pass
    atomic_write(path, _render(want))


def _check(saved: SavedQuery, searcher: Searcher | None, index_dir: Path) -> None:
    if not _NAME_RE.fullmatch(saved.name) or saved.name.startswith("-"):
        raise SavedQueryError(
            f"cannot use {saved.name!r} as a name",
            hint="use letters, digits, '.', '_' and '-' (up to 64, not starting with -)",
        )
    try:
        check_limit(saved.limit, MAX_LIMIT)
        check_sort(saved.sort)
        check_lang(saved.lang)
        check_date_spec(saved.date)
    except QuerySyntaxError as exc:
        raise SavedQueryError(exc.message, exc.hint) from None
    # Parse it now, against the index it will run on: a bad query fails here, not tomorrow.
    if searcher is not None:
        searcher.parse(saved.full_query())
        if saved.cross:
            searcher.parse_cross(saved.full_query())  # the glossary files must load too
    else:
        with Searcher(index_dir) as s:
            s.parse(saved.full_query())
            if saved.cross:
                s.parse_cross(saved.full_query())


def add_saved(
    saved: SavedQuery,
    index_dir: str | os.PathLike | None = None,
    replace: bool = False,
    searcher: Searcher | None = None,
) -> SavedQuery:
    """Save ``saved`` beside the index; its query must parse. An existing query of that
    name is an error unless ``replace`` (which keeps what its runs have seen)."""
    index_dir = _dir(index_dir)
    _check(saved, searcher, index_dir)
    path = index_dir / SAVED_FILE
    with _locked(index_dir):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = None
        current = _parse_saved(text, path) if text is not None else {}
        if saved.name in current and not replace:
            raise SavedQueryError(
                f"there is already a saved query named {saved.name!r}: {current[saved.name].query}",
                hint="choose another name, or use --replace",
            )
        base = _HEADER if text is None else text
        if saved.name in current:
            base = _without_table(base, saved.name)
        new_text = None
        if base is not None:
            new_text = base.rstrip("\n") + "\n\n" + toml_table(saved)
        want = {k: v for k, v in current.items() if k != saved.name}
        want[saved.name] = saved
        _save(index_dir, text, new_text, want)
    return saved


def remove_saved(names: Sequence[str], index_dir: str | os.PathLike | None = None) -> None:
    """Remove saved queries and what their runs recorded; all or nothing."""
    index_dir = _dir(index_dir)
    path = index_dir / SAVED_FILE
    with _locked(index_dir):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        current = _parse_saved(text, path) if text else {}
        for name in names:
            if name not in current:
                raise _not_found(name, current, index_dir)
        new_text: str | None = text
        for name in dict.fromkeys(names):
            new_text = _without_table(new_text, name) if new_text is not None else None
        want = {k: v for k, v in current.items() if k not in names}
        _save(index_dir, text, new_text, want)
        state = _load_state(index_dir)
        if any(name in state for name in names):
            for name in names:
                state.pop(name, None)
            _save_state(index_dir, state)


# ----------------------------------------------------------------------------------------
# saved-state.json
# ----------------------------------------------------------------------------------------


def _load_state(index_dir: Path) -> dict[str, dict]:
    path = index_dir / SAVED_STATE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        queries = raw["queries"]
        if not isinstance(queries, dict):
            raise TypeError
        return queries
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SavedQueryError(
            f"cannot read {path}: {exc}",
            hint="delete it to start over (every hit of every saved query is then new once)",
        ) from None


def _save_state(index_dir: Path, state: dict[str, dict]) -> None:
    text = json.dumps({"version": 1, "queries": state}, ensure_ascii=False, sort_keys=True)
    atomic_write(index_dir / SAVED_STATE_FILE, text + "\n")


def list_saved(index_dir: str | os.PathLike | None = None) -> list[SavedStatus]:
    """Every saved query with its last run, in file order."""
    index_dir = _dir(index_dir)
    saved = load_saved(index_dir)
    state = _load_state(index_dir) if saved else {}
    return [_status(s, state.get(name)) for name, s in saved.items()]


def saved_status(name: str, index_dir: str | os.PathLike | None = None) -> SavedStatus:
    index_dir = _dir(index_dir)
    saved = get_saved(name, index_dir)
    return _status(saved, _load_state(index_dir).get(name))


def _status(saved: SavedQuery, entry: dict | None) -> SavedStatus:
    if not entry:
        return SavedStatus(saved)
    return SavedStatus(
        saved,
        last_run=entry.get("last_run"),
        hits=entry.get("hits"),
        new=entry.get("new"),
        seen=len(entry.get("seen", ())),
    )


# ----------------------------------------------------------------------------------------
# running
# ----------------------------------------------------------------------------------------


def check_since(since: str) -> str:
    if not _SINCE_RE.fullmatch(since):
        raise SavedQueryError(
            f"cannot read the date {since!r}", hint="use 2025, 2025-10 or 2025-10-29"
        )
    return since


def run_saved(
    names: Sequence[str] | None = None,
    index_dir: str | os.PathLike | None = None,
    new: bool = False,
    since: str | None = None,
    searcher: Searcher | None = None,
) -> list[SavedRun]:
    """Run saved queries (``names``, or all of them when None) and record what they matched.

    ``new``: only the hits no earlier run of that query matched (on a first run, that is
    all of them: the top ``limit`` are shown). ``since``: only articles dated on or after
    that date (``2025``, ``2025-10``, ``2025-10-29``), all of them. Otherwise the top
    ``limit`` hits, each marked new or not.
    """
    index_dir = _dir(index_dir)
    if since is not None:
        check_since(since)
    saved = load_saved(index_dir)
    if names is None:
        chosen = list(saved.values())
    else:
        for name in names:
            if name not in saved:
                raise _not_found(name, saved, index_dir)
        chosen = [saved[name] for name in dict.fromkeys(names)]
    if not chosen:
        return []
    own = searcher is None
    s = Searcher(index_dir) if own else searcher
    try:
        state = _load_state(index_dir)
        runs, matched = [], {}
        for sq in chosen:
            run, ids = _run_one(s, sq, state.get(sq.name), new, since)
            runs.append(run)
            matched[sq.name] = (ids, run.total, run.new)
    finally:
        if own:
            s.close()
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    with _locked(index_dir):
        state = _load_state(index_dir)  # again: another run may have recorded since
        for name, (ids, total, n_new) in matched.items():
            entry = state.get(name) or {}
            seen = set(entry.get("seen", ())) | set(ids)
            state[name] = {"seen": sorted(seen), "last_run": now, "hits": total, "new": n_new}
        _save_state(index_dir, state)
    return runs


def _new_ids(groups: dict[str, str], entry: dict | None) -> list[str]:
    """The ids of ``groups`` (id -> near-duplicate group) that no run recorded in
    ``entry`` has seen. A new copy of a story an earlier run found (the same Bernama piece
    from one more source) is not news: an article is new when nothing of its group was
    seen before."""
    seen = set(entry.get("seen", ())) if entry else set()
    seen_groups = {groups[i] for i in groups if i in seen} | (seen & set(groups.values()))
    return [i for i in groups if i not in seen and groups[i] not in seen_groups]


def unseen_counts(
    index_dir: str | os.PathLike | None = None, searcher: Searcher | None = None
) -> dict[str, int | None]:
    """For each saved query, how many stories it matches now that none of its runs has
    seen (every story before its first run), without running it: nothing is recorded.
    None for a query that no longer parses (its run says why)."""
    index_dir = _dir(index_dir)
    saved = load_saved(index_dir)
    state = _load_state(index_dir)
    own = searcher is None
    s = Searcher(index_dir) if own and saved else searcher
    counts: dict[str, int | None] = {}
    try:
        for name, sq in saved.items():
            try:
                groups = s.ids_with_groups(
                    sq.full_query(None), lang=sq.lang, cross=sq.cross, match=sq.match
                )
            except MlsearchError:
                counts[name] = None
                continue
            counts[name] = len({groups[i] for i in _new_ids(groups, state.get(name))})
    finally:
        if own and s is not None:
            s.close()
    return counts


def _run_one(
    s: Searcher, sq: SavedQuery, entry: dict | None, new: bool, since: str | None
) -> tuple[SavedRun, list[str]]:
    text = sq.full_query(since)
    try:
        groups = s.ids_with_groups(text, lang=sq.lang, cross=sq.cross, match=sq.match)
    except MlsearchError as exc:  # a query edited by hand, or an index that changed
        raise SavedQueryError(
            f"saved query {sq.name!r}: {exc.message}",
            hint=f"fix it in {SAVED_FILE}, or: mlsearch saved add --replace {sq.name} QUERY",
        ) from exc
    ids = list(groups)
    first = entry is None
    new_ids = _new_ids(groups, entry)
    if new and not first:
        limit, only = max(1, len(new_ids)), new_ids
    elif since:
        limit, only = max(1, len(ids)), None
    else:
        limit, only = sq.limit, None
    results = s.search(
        text,
        limit=limit,
        sort=sq.sort,
        lang=sq.lang,
        suggest=False,
        ids=only,
        cross=sq.cross,
        match=sq.match,
    )
    fresh = set(new_ids)
    hits = [
        SavedHit(
            **{f.name: getattr(h, f.name) for f in fields(Hit)},
            saved=sq.name,
            new=h.id in fresh,
        )
        for h in results.hits
    ]
    run = SavedRun(
        saved=sq,
        total=len(set(groups.values())),  # stories: copies of one count once, as in search
        new=len({groups[i] for i in new_ids}),
        hits=hits,
        first_run=first,
        previous_run=entry.get("last_run") if entry else None,
        only_new=new,
        since=since,
    )
    return run, ids
