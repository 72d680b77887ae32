"""Is the index sound? ``mlsearch check``, and where reading a damaged index becomes one error.

``check_index`` is to mlsearch what CheckIndex is to Lucene and ``PRAGMA integrity_check``
to SQLite: it reads every segment whole (every term's postings, block by block, with their
positions; every stored field, bodies decompressed; every column), checks document counts,
that ids are unique and agree with the ``id`` terms, that the metadata file can be read
and has this version's schema, and that the incremental state (``state.json``) agrees with
the index when it claims to describe it. Damage it finds is listed, with the fix.

Commands that only search read a fraction of an index, so flipped bytes in a posting block
may not show until a query reads that block: ``reading(index_dir)`` marks the code that
reads an index, and turns what whoosh raises on damaged files (struct.error, EOFError,
zlib.error, pickle errors, ValueError, KeyError, …) into one IndexDamagedError that points
at ``mlsearch check`` and ``mlsearch index --rebuild``. Errors raised by mlsearch's own code
outside whoosh pass through unchanged, so a bug is still reported as a bug.

About 450 lines, one check a function; what it reads below whoosh's API is in
``whoosh_internals/segments.py``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pickle
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import IndexDamagedError, IndexMissingError, MlsearchError
from ..schema import unpack_body
from ..whoosh_internals.segments import (
    decoder_paths,
    index_segments,
    posting_blocks,
    term_entries,
)
from .hints import index_command, quote
from .state import STATE_FILE

_SHOWN = 3  # examples named per kind of problem

# Raised by decoding bytes, whoever called the decoder.
_DECODE_ERRORS = (
    struct.error,
    zlib.error,
    EOFError,
    pickle.UnpicklingError,
    UnicodeDecodeError,
    OverflowError,
)


def check_hint(index_dir: str | os.PathLike, roots: list[str] | None = None) -> str:
    """Check it, or rebuild it from ``roots`` (default: the folders the index knows)."""
    return (
        f"`mlsearch check --index {quote(index_dir)}` says what is wrong; "
        f"`{index_command(index_dir, roots, rebuild=True)}` builds it anew"
    )


def _brief(exc: BaseException) -> str:
    """``Type: message``, on one line and not too long (whoosh's can be paragraphs)."""
    text = " ".join(str(exc).split())
    if len(text) > 120:
        text = text[:117] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def damaged(index_dir, exc: BaseException, doing: str = "read") -> IndexDamagedError:
    return IndexDamagedError(
        f"the index in {index_dir} is damaged: cannot {doing} it ({_brief(exc)})",
        hint=check_hint(index_dir),
    )


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc``, raised while reading an index, says its files are damaged: a
    decoding error, whoosh's CorruptIndexError, or any error raised inside the whoosh code
    that reads and decodes index files. OS errors (a missing file, a full disk), errors
    raised by mlsearch's own code and by whoosh's query code are not."""
    if not isinstance(exc, Exception) or isinstance(exc, MlsearchError):
        return False
    # A damaged offset makes whoosh seek before the start of a file (EINVAL); other OS
    # errors are the disk's or the folder's, reported as they are.
    if isinstance(exc, OSError) and exc.errno != errno.EINVAL:
        return False
    from whoosh.reading import CorruptIndexError

    if isinstance(exc, (*_DECODE_ERRORS, CorruptIndexError)):
        return True
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = os.path.abspath(tb.tb_frame.f_code.co_filename)
    return where.startswith(decoder_paths())


@contextlib.contextmanager
def reading(index_dir, doing: str = "read") -> Iterator[None]:
    """Code that reads the index in ``index_dir``: damage becomes an IndexDamagedError.

    With ``MLSEARCH_DEBUG`` set, the original exception passes through for its traceback.
    """
    try:
        yield
    except Exception as exc:
        if is_damage(exc) and not os.environ.get("MLSEARCH_DEBUG"):
            raise damaged(index_dir, exc, doing) from exc
        raise


@dataclass
class SegmentCheck:
    name: str
    documents: int = 0
    deleted: int = 0
    terms: int = 0
    postings: int = 0
    problems: int = 0


@dataclass
class CheckReport:
    """What ``check_index`` found. ``sound`` when there are no ``problems``; ``fix`` is
    then None, else the command that repairs the index."""

    index_dir: str
    generation: int | None = None
    articles: int = 0
    segments: list[SegmentCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    needs_rebuild: bool = False

    @property
    def sound(self) -> bool:
        return not self.problems

    @property
    def fix(self) -> str | None:
        if self.sound:
            return None
        return index_command(self.index_dir, self.roots, rebuild=self.needs_rebuild)

    def problem(self, text: str, rebuild: bool = True) -> None:
        self.problems.append(text)
        self.needs_rebuild = self.needs_rebuild or rebuild

    def as_dict(self) -> dict:
        return {
            "index_dir": self.index_dir,
            "sound": self.sound,
            "generation": self.generation,
            "articles": self.articles,
            "segments": [vars(s) for s in self.segments],
            "problems": self.problems,
            "notes": self.notes,
            "fix": self.fix,
        }


class _Tally:
    """Failures of one kind in one segment: counted, the first few named."""

    def __init__(self):
        self.count = 0
        self.examples: list[str] = []

    def add(self, example: str) -> None:
        self.count += 1
        if len(self.examples) < _SHOWN:
            self.examples.append(example)

    def report(self, report: CheckReport, what: str, of: int) -> None:
        if self.count:
            report.problem(f"{what}: {self.count} of {of} ({'; '.join(self.examples)})")


def check_index(index_dir: str | os.PathLike) -> CheckReport:
    """Read the whole index in ``index_dir`` and say whether it is sound (see the module)."""
    index_dir = Path(index_dir)
    report = CheckReport(index_dir=str(index_dir))
    from ..schema import META_FILE

    names = {p.name for p in index_dir.iterdir()} if index_dir.is_dir() else set()
    tocs = sorted(n for n in names if n.startswith("_MAIN_") and n.endswith(".toc"))
    segs = sorted(n for n in names if n.startswith("MAIN_") and n.endswith(".seg"))
    if not tocs and not segs and META_FILE not in names:
        raise IndexMissingError(
            f"no index at {index_dir}",
            hint=f"build it first: {index_command(index_dir, [])}",
        )
    _check_meta(index_dir, report)
    state = _read_state(index_dir, report)
    if not tocs:
        report.problem(
            f"no table of contents (_MAIN_N.toc): the {len(segs)} segment file(s) "
            "cannot be read without it"
        )
        return report
    from whoosh.filedb.filestore import FileStorage

    storage = FileStorage(str(index_dir), supports_mmap=False, readonly=True)
    try:
        ix = storage.open_index()
        segments = index_segments(ix)
        report.generation = ix.latest_generation()
        schema = ix.schema
    except Exception as exc:
        report.problem(f"cannot read the table of contents {tocs[-1]} ({_brief(exc)})")
        return report
    ids: dict[str, list] = {}  # id -> [copies, stored hash, root, rel, path]
    listed = set()
    for seg in segments:
        listed.add(f"{seg.segment_id()}.seg")
        report.segments.append(_check_segment(storage, schema, seg, report, ids))
    for name in sorted(set(segs) - listed):
        report.notes.append(f"{name} is not in the table of contents (left by an interrupted run)")
    report.articles = sum(s.documents - s.deleted for s in report.segments)
    doubled = [i for i, v in ids.items() if v[0] > 1]
    if doubled:
        shown = ", ".join(repr(i) for i in doubled[:_SHOWN])
        report.problem(f"{len(doubled)} ids are held by more than one article ({shown})")
    roots = {v[2] for v in ids.values() if isinstance(v[2], str)}
    if any(s.problems for s in report.segments):
        report.notes.append(f"{STATE_FILE} not compared with the index: segments are damaged")
    else:
        _check_state(state, report, ids)
    if not report.roots:
        report.roots = sorted(roots)
    return report


def _check_meta(index_dir: Path, report: CheckReport) -> None:
    from ..schema import META_FILE, SCHEMA_VERSION

    path = index_dir / META_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        report.problem(f"{META_FILE} is missing: the schema version is unknown")
        return
    except (OSError, ValueError) as exc:
        report.problem(f"{META_FILE} cannot be read ({_brief(exc)})")
        return
    version = meta.get("schema_version") if isinstance(meta, dict) else None
    if version != SCHEMA_VERSION:
        report.problem(
            f"{META_FILE} gives schema version {version!r}; this mlsearch reads version "
            f"{SCHEMA_VERSION}"
        )


def _read_state(index_dir: Path, report: CheckReport) -> dict | None:
    path = index_dir / STATE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        report.notes.append(f"no {STATE_FILE}: the next `mlsearch index` re-reads every file")
        return None
    except (OSError, ValueError) as exc:
        report.problem(
            f"{STATE_FILE} cannot be read ({_brief(exc)}); `mlsearch index` rewrites it",
            rebuild=False,
        )
        return None
    valid = (
        isinstance(raw, dict)
        and isinstance(raw.get("docs"), dict)
        and isinstance(raw.get("files"), dict)
        and all(isinstance(v, list) and len(v) == 4 for v in raw["docs"].values())
    )
    if not valid:
        report.problem(
            f"{STATE_FILE} is not a state file; `mlsearch index` rewrites it", rebuild=False
        )
        return None
    report.roots = sorted({v[1] for v in raw["docs"].values() if isinstance(v[1], str)})
    return raw


def _check_state(state: dict | None, report: CheckReport, ids: dict[str, list]) -> None:
    """The state describes a commit by generation and article count; when it claims this
    one, indexing trusts it, so it must agree with the index article by article."""
    if state is None:
        return
    if state.get("generation") != report.generation or state.get("doc_count") != report.articles:
        report.notes.append(
            f"{STATE_FILE} describes another commit (generation {state.get('generation')!r}): "
            "the next `mlsearch index` re-reads every file and rewrites it"
        )
        return
    docs = state["docs"]
    missing = [i for i in ids if i not in docs]
    extra = [i for i in docs if i not in ids]
    differ = [i for i, v in ids.items() if i in docs and docs[i] != v[1:]]
    for found, what in (
        (missing, f"articles in the index are missing from {STATE_FILE}"),
        (extra, f"articles in {STATE_FILE} are not in the index"),
        (differ, f"articles differ (hash or file) between the index and {STATE_FILE}"),
    ):
        if found:
            shown = ", ".join(repr(i) for i in found[:_SHOWN])
            report.problem(f"{len(found)} {what} ({shown})")


def _check_segment(storage, schema, seg, report: CheckReport, ids: dict[str, list]):
    from whoosh.reading import SegmentReader

    result = SegmentCheck(name=seg.segment_id())
    before = len(report.problems)
    name = f"segment {seg.segment_id()}"
    try:
        reader = SegmentReader(storage, schema, seg)
    except Exception as exc:
        report.problem(f"{name}: cannot open it ({_brief(exc)})")
        result.problems = 1
        return result
    try:
        total = result.documents = reader.doc_count_all()
        deleted = set(seg.deleted_docs() or ())
        result.deleted = len(deleted)
        if any(not 0 <= d < total for d in deleted) or reader.doc_count() != total - len(deleted):
            report.problem(f"{name}: its deleted documents do not fit its {total} documents")
        id_terms = _check_postings(reader, schema, name, total, report, result)
        _check_stored(reader, name, total, deleted, id_terms, ids, report)
        _check_columns(reader, schema, name, total, report)
    except Exception as exc:  # anything the checks themselves did not expect
        report.problem(f"{name}: cannot be read ({_brief(exc)})")
    finally:
        with contextlib.suppress(Exception):
            reader.close()
    result.problems = len(report.problems) - before
    return result


def _check_postings(reader, schema, name, total, report, result) -> dict[int, list[str]]:
    """Every posting of every term: document numbers in order and in range, as many as
    the term dictionary says, weights and positions decodable. Returns the ``id`` terms
    of each document number."""
    from whoosh.formats import Positions

    bad = _Tally()
    id_terms: dict[int, list[str]] = {}
    items = term_entries(reader)
    while True:
        try:
            (fieldname, tbytes), info = next(items)
        except StopIteration:
            break
        except Exception as exc:
            report.problem(
                f"{name}: the term dictionary cannot be read after {result.terms} terms "
                f"({_brief(exc)})"
            )
            break
        result.terms += 1
        label = f"{fieldname}:{tbytes[:40]!r}"
        try:
            if fieldname not in schema:
                raise ValueError("a field the schema does not have")
            fmt = schema[fieldname].format
            decode = fmt.decode_positions if isinstance(fmt, Positions) else None
            found, last = 0, -1
            for docs, _weights, values in posting_blocks(reader, fieldname, tbytes, fmt):
                found, last = _check_ids(docs, last, total, found)
                if decode is not None:
                    for v in values:
                        decode(v)
                if fieldname == "id":
                    for d in docs:
                        id_terms.setdefault(d, []).append(tbytes.decode("utf-8"))
            if found != info.doc_frequency():
                raise ValueError(f"{found} postings, the dictionary says {info.doc_frequency()}")
            result.postings += found
        except Exception as exc:
            bad.add(f"{label}: {_brief(exc)}")
    bad.report(report, f"{name}: terms whose postings cannot be read", result.terms)
    return id_terms


def _check_ids(docs, last: int, total: int, found: int) -> tuple[int, int]:
    for d in docs:
        if not last < d < total:
            raise ValueError(f"document {d} out of order or range (after {last}, of {total})")
        last = d
    return found + len(docs), last


def _check_stored(reader, name, total, deleted, id_terms, ids, report) -> None:
    """Every live document's stored fields decode, its body too, and its id is the one
    its ``id`` term gives."""
    bad, disagree = _Tally(), _Tally()
    live = 0
    for docnum in range(total):
        if docnum in deleted:
            continue
        live += 1
        try:
            stored = reader.stored_fields(docnum)
            doc_id = stored.get("id")
            if not isinstance(doc_id, str) or not doc_id:
                raise ValueError("no id")
            unpack_body(stored["body"])
            for key in ("title", "hash", "root", "rel", "path", "lang", "dup"):
                if stored.get(key) is not None and not isinstance(stored[key], str):
                    raise ValueError(f"{key} is a {type(stored[key]).__name__}")
        except Exception as exc:
            bad.add(f"document {docnum}: {_brief(exc)}")
            continue
        if id_terms.get(docnum) != [doc_id]:
            disagree.add(f"document {docnum}: stored {doc_id!r}, indexed {id_terms.get(docnum)}")
        entry = ids.setdefault(doc_id, [0, None, None, None, None])
        entry[0] += 1
        entry[1:] = [stored.get(k) for k in ("hash", "root", "rel", "path")]  # as state.json
    bad.report(report, f"{name}: articles whose stored fields cannot be read", live)
    disagree.report(report, f"{name}: articles whose stored id is not their indexed id", live)


def _check_columns(reader, schema, name, total, report) -> None:
    """Every value of every column (dates, near-duplicate groups) and every field length."""
    bad = _Tally()
    for fieldname in schema.names():
        fieldobj = schema[fieldname]
        try:
            if fieldobj.column_type is not None and reader.has_column(fieldname):
                column = reader.column_reader(fieldname, translate=False)
                for docnum in range(total):
                    column[docnum]
            if fieldobj.scorable:
                for docnum in range(total):
                    reader.doc_field_length(docnum, fieldname)
        except Exception as exc:
            bad.add(f"{fieldname}: {_brief(exc)}")
    bad.report(report, f"{name}: columns that cannot be read", len(schema.names()))
