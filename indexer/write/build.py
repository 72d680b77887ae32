"""Incremental index building.

``build_index`` adds new articles, re-indexes changed ones, removes those whose files are
gone and leaves unchanged ones alone without re-analysing them. Unchanged files are
recognised by size and modification time from a state file kept beside the index
(``state.json``), so a run with nothing to do only stats the files; when that file is
missing or belongs to another commit of the index, the state is read back from the index
itself and files are re-read and compared by content hash: slower, never wrong.

Whoosh commits atomically: a run that is interrupted leaves the index as it was at its last
commit, and the next run finishes the work. ``--rebuild`` builds a new index beside the old
one and swaps it in only when complete.

About 430 lines: most of it is one pass over the files (``_IndexingPass.apply``), which
reads best whole; the folder, the state, labels and documents are modules of their own.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..analyse.dedup import DupFinder
from ..article import Article, Skipped
from ..config import commit_every, commit_growth, index_procs
from ..errors import IndexLockedError, MlsearchError
from ..schema import META_FILE, make_codec, make_schema, write_meta
from .changes import stamp, unchanged
from .document import article_document, content_hash
from .folder import (
    check_userdict,
    check_version,
    damaged_folder,
    index_exists,
    looks_damaged,
    swap_names,
)
from .labels import FolderLabels, IndexedRoot
from .locking import LOCK_FILE, IndexLock
from .progress import (
    COMMITTING,
    COUNTING,
    MERGING,
    READING,
    REMOVING,
    WRITING,
    ProgressFn,
    Tally,
)
from .state import SKIPPED_FILE, STATE_FILE, IndexState, doc_count

# A run that reads at least this many bytes of new or changed files uses several processes;
# below it, starting them costs more than it saves.
PARALLEL_BYTES = 2_000_000


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    notes: list[str] = field(default_factory=list)
    optimized: int = 0  # segments merged into one by --optimize (0: not merged)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
            "skipped_files": [
                {"path": s.path, "line": s.line, "reason": s.reason} for s in self.skipped
            ],
            "files": self.files,
            "seconds": round(self.seconds, 3),
            "optimized": self.optimized,
            "notes": self.notes,
        }


def _storage(index_dir: Path):
    """The writer's storage. No mmap, as for searching: whoosh3 copies each mmapped
    sub-file of a segment into memory, so every commit's merge and every near-duplicate
    lookup held whole segments in RAM (the 150k build peaked at 2.9 GB)."""
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(index_dir), supports_mmap=False)


def _create(index_dir: Path):
    from ..analyse.chinese import userdict_fingerprint

    index_dir.mkdir(parents=True, exist_ok=True)
    ix = _storage(index_dir).create_index(make_schema())
    write_meta(index_dir, userdict=userdict_fingerprint())
    return ix


def _created_without_meta(index_dir: Path) -> bool:
    """A run killed between creating the index and writing its metadata file (written
    with fsyncs, so not instantly) left an empty, never committed index without
    ``mlsearch.json``: nothing is lost by creating it again."""
    names = [p.name for p in index_dir.iterdir()]
    return (
        META_FILE not in names
        and [n for n in names if n.endswith(".toc")] == ["_MAIN_0.toc"]
        and not any(n.endswith(".seg") for n in names)
    )


def _writer(ix, index_dir: Path, procs: int = 1, on_phase=None):
    from whoosh.index import LockError

    from ..whoosh_internals.mpwriter import TermSegmentWriter
    from ..whoosh_internals.pool import ChunkedPostingPool, set_pool

    # Runs of postings written in chunks, each field's postings of a document added at
    # once (whoosh_internals/pool.py, mpwriter.py).
    options = {"limitmb": 64, "timeout": 30.0, "delay": 0.25, "poolclass": ChunkedPostingPool}
    options["codec"] = make_codec()  # compact postings and term entries (schema.py)
    try:
        if procs > 1:
            from .parallel import ParallelWriter

            writer = ParallelWriter(ix, index_dir, procs, **options)
            writer.on_phase = on_phase  # what its commit is doing
            return writer
        return set_pool(TermSegmentWriter(ix, **options), ChunkedPostingPool)
    except LockError as exc:
        raise IndexLockedError(
            f"another mlsearch process is writing to {index_dir}",
            hint="wait for it to finish, then run this again",
        ) from exc


def build_index(
    paths: Iterable[str | Path],
    index_dir: str | Path,
    rebuild: bool = False,
    progress: ProgressFn | None = None,
    lock_timeout: float | None = None,
    optimize: bool = False,
) -> IndexReport:
    """Bring the index in ``index_dir`` up to date with the articles under ``paths``.

    Only one process writes an index at a time: a second one waits up to ``lock_timeout``
    seconds (default 30, or ``MLSEARCH_LOCK_TIMEOUT``), then raises IndexLockedError.
    ``optimize``: then merge the index into one segment (``mlsearch index --optimize``).
    """
    index_dir = Path(index_dir)
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise MlsearchError(f"no such file or folder: {root}")
    _recover_swap(index_dir)
    # ours, and the saved queries `mlsearch saved` keeps beside the index
    ours = {LOCK_FILE, META_FILE, STATE_FILE, SKIPPED_FILE}
    ours |= {"saved.toml", "saved-state.json", "saved.lock"}
    if (
        index_dir.is_dir()
        and not index_exists(index_dir)
        and not looks_damaged(index_dir)
        and any(p.name not in ours for p in index_dir.iterdir())
    ):
        raise MlsearchError(
            f"{index_dir} exists and is not an mlsearch index",
            hint="choose another folder with --index",
        )
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        with IndexLock(index_dir, lock_timeout) as lock:
            if rebuild and (index_exists(index_dir) or looks_damaged(index_dir)):
                report = _rebuild(roots, index_dir, progress, optimize)
            else:
                report = _build(roots, index_dir, progress, optimize)
    except OSError as exc:
        raise _write_error(exc, index_dir) from exc
    if lock.stale:
        report.notes.append(
            f"cleared a stale lock left by pid {lock.stale.get('pid')}, which is no longer running"
        )
    return report


def _build(roots: list[Path], index_dir: Path, progress, optimize: bool) -> IndexReport:
    from .check import reading

    if looks_damaged(index_dir):
        raise damaged_folder(index_dir, "its table of contents (_MAIN_N.toc) is missing")
    with reading(index_dir, "update"):
        if index_exists(index_dir) and not _created_without_meta(index_dir):
            check_version(index_dir)
            check_userdict(index_dir)
            ix = _storage(index_dir).open_index()
        else:
            ix = _create(index_dir)
        try:
            return _update(ix, index_dir, roots, progress, optimize)
        finally:
            ix.close()


def _write_error(exc: OSError, index_dir: Path) -> Exception:
    """Say what went wrong writing the index; the last commit is untouched either way."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return MlsearchError(
            f"no space left on the device while writing the index in {index_dir}; "
            "nothing was committed, the index is as it was before this run",
            hint="free some space, then run mlsearch index again",
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return MlsearchError(
            f"cannot write to the index in {index_dir}: {exc.strerror}; "
            "the index is as it was before this run (searching it still works)",
            hint="index into a folder you can write to with --index",
        )
    return exc


def _recover_swap(index_dir: Path) -> None:
    """Finish or undo a rebuild that was killed while swapping the new index in."""
    fresh, old = swap_names(index_dir)
    if not index_dir.exists() and index_exists(old):
        os.replace(old, index_dir)
    elif index_dir.exists() and old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _is_index_file(name: str) -> bool:
    """Whoosh's files and ours; anything else in the folder belongs to the user."""
    return (
        name in (META_FILE, STATE_FILE, SKIPPED_FILE, LOCK_FILE)
        or name.endswith((".toc", ".seg", ".tmp", "_WRITELOCK"))
        or name.startswith(("MAIN_", "_MAIN_"))
    )


def _rebuild(roots: list[Path], index_dir: Path, progress, optimize: bool) -> IndexReport:
    """Build a new index beside the old one; swap it in only when complete."""
    fresh, old = swap_names(index_dir)
    shutil.rmtree(fresh, ignore_errors=True)
    ix = _create(fresh)
    try:
        report = _update(ix, fresh, roots, progress, optimize)
    finally:
        ix.close()
    # Files kept beside the index that are not the index (saved queries and their state)
    # move with it.
    for item in index_dir.iterdir():
        if item.is_file() and not _is_index_file(item.name) and not (fresh / item.name).exists():
            shutil.copy2(item, fresh / item.name)
    shutil.rmtree(old, ignore_errors=True)
    os.replace(index_dir, old)
    os.replace(fresh, index_dir)
    shutil.rmtree(old, ignore_errors=True)
    report.rebuilt = True
    return report


def _update(ix, index_dir: Path, roots: list[Path], progress, optimize: bool) -> IndexReport:
    indexing = _IndexingPass(ix, index_dir, progress)
    try:
        indexing.apply(roots)
        if optimize:
            indexing.optimize()
    except BaseException:
        indexing.cancel()
        raise
    return indexing.report


class _IndexingPass:
    """One pass of ``build_index`` over the folders: the open writer, the state it updates,
    the report it fills."""

    def __init__(self, ix, index_dir: Path, progress):
        self.ix = ix
        self.index_dir = index_dir
        self.progress = progress
        self.report = IndexReport()
        self.state = IndexState.load(index_dir, ix)
        if self.state.unreadable:
            self.report.notes.append(
                f"{STATE_FILE} could not be used ({self.state.unreadable}): every file was "
                "re-read and compared, and the state written anew"
            )
        self.labels = FolderLabels(index_dir, self.state)
        self.writer = None
        self.procs = 1
        self.pending = 0
        # commits spaced geometrically (config.commit_growth): few segments after a big run
        self.commit_every = commit_every()
        self.commit_growth = commit_growth()
        self.indexed = doc_count(ix)  # at the last commit
        self.dups = DupFinder(ix)
        # Files skipped this run, remembered with their reasons (``skipped.json``).
        self.skipped_now: set[str] = set()
        self.tally = Tally(progress, 0)

    def _write(self):
        if self.writer is None:
            self.writer = _writer(self.ix, self.index_dir, self.procs, self.tally.send)
        return self.writer

    def commit(self, final: bool = False, changed: bool = True) -> None:
        """Commit what the run wrote (``final``: its last commit, which may merge), then
        save the state; ``changed`` False: the run changed nothing of it (``apply``)."""
        from ..whoosh_internals.merging import MAX_SEGMENTS, merge_policy

        written = self.report.added + self.report.updated
        # The run's last article made a commit of its own: its merge is still due.
        if final and self.writer is None and written and len(self.ix._segments()) > MAX_SEGMENTS:
            self.writer = _writer(self.ix, self.index_dir, 1)
        if self.writer is not None:
            changed = True
            self.tally.send(WRITING)
            policy = merge_policy(self.tally.send, written, final)
            # Nothing is looked up while committing: the table of pending articles goes
            # first, not beside the merge's posting pool (peak memory).
            self.dups.committed()
            self.writer.commit(mergetype=policy)
            self.writer = None
            self.pending = 0
            self.indexed = doc_count(self.ix)
        self.tally.send(COMMITTING)
        self.dups.committed()
        self.state.save(self.index_dir, self.ix, changed)

    def optimize(self) -> None:
        """Merge every segment into one (``--optimize``): one process, after the run's own
        commits; a kill meanwhile leaves the index at the run's last commit."""
        from ..whoosh_internals.merging import optimize

        segments = self.ix._segments()
        if len(segments) < 2:
            self.report.notes.append("the index is one segment already: nothing to merge")
            return
        docs = sum(seg.doc_count() for seg in segments)
        started = time.perf_counter()
        self.tally.send(MERGING, segments=len(segments), docs=docs)
        self.procs = 1
        self.writer = _writer(self.ix, self.index_dir, 1)
        self.writer.commit(mergetype=optimize(lambda _phase: None))
        self.writer = None
        self.tally.send(COMMITTING)
        self.dups.close()
        self.state.save(self.index_dir, self.ix)
        self.report.optimized = len(segments)
        self.report.seconds += time.perf_counter() - started

    def cancel(self) -> None:
        """Interrupted or failed: drop the uncommitted work and the lock with it. The index
        stays at its last commit; the next run finishes the job."""
        self.dups.close()
        if self.writer is not None:
            writer, self.writer = self.writer, None
            # On a full disk cancelling can fail too: the last commit stands regardless.
            with contextlib.suppress(Exception):
                writer.cancel()

    def _root(self, root: Path) -> IndexedRoot:
        resolved = root.resolve()
        is_dir = resolved.is_dir()
        label = self.labels.of(resolved if is_dir else resolved.parent)
        return IndexedRoot(str(resolved), label, is_dir)

    def apply(self, roots: list[Path]) -> None:
        from ..read import count_records, discover, read_file

        started = time.perf_counter()
        report, state = self.report, self.state
        files: list[tuple[IndexedRoot, object]] = []
        root_keys = set()
        for root in roots:
            where = self._root(root)
            root_keys.add(where.key)
            for item in discover([root]):
                if isinstance(item, Skipped):
                    report.skipped.append(item)
                    # not a folder, nor the root itself (a FIFO given to index)
                    if item.path != os.fspath(root) and not item.reason.startswith(
                        "cannot read directory"
                    ):
                        self._remember_skip(where, item)
                else:
                    files.append((where, item))
        report.files = len(files)
        by_file: dict[str, list[str]] = {}
        for doc_id, (_, r, p, _path) in state.docs.items():
            by_file.setdefault(IndexState.key(r, p), []).append(doc_id)

        def left_alone(where: IndexedRoot, sf) -> bool:
            fkey = IndexState.key(where.key, sf.rel)
            return bool(by_file.get(fkey)) and unchanged(state.files.get(fkey), sf)

        to_read = [(where, sf) for where, sf in files if not left_alone(where, sf)]
        if sum(sf.size for _, sf in to_read) >= PARALLEL_BYTES:
            self.procs = index_procs()
        # What there is to read, in records when each file's can be counted cheaply.
        tally = self.tally
        tally.files_total = len(files)
        tally.send(COUNTING)
        counts: dict[int, int | None] = {}
        for _, sf in to_read:
            counts[id(sf)] = count_records(sf)
            tally.expect(counts[id(sf)], sf.size)

        found = {where.path_of(sf.rel) for where, sf in files}
        seen_files: set[str] = set()
        # Each id taken this run, and the file (relative to its folder) it was taken from.
        seen: dict[str, str] = {}
        # Articles whose id another file holds: decided once every file has been read.
        contested: list[tuple[Article, IndexedRoot, str, str]] = []
        tally.send(READING)
        for where, sf in files:
            fkey = IndexState.key(where.key, sf.rel)
            path = where.path_of(sf.rel)
            seen_files.add(fkey)
            if id(sf) not in counts:  # left alone
                known = by_file[fkey]
                seen.update(dict.fromkeys(known, sf.rel))
                report.unchanged += len(known)
                tally.unchanged(len(known))
                continue
            file_ok = True
            state.skipped.pop(fkey, None)
            articles, first_skip = 0, None
            tally.start_file(counts[id(sf)])
            for item in read_file(sf):
                if isinstance(item, Skipped):
                    report.skipped.append(item)
                    file_ok = file_ok and item.line is not None
                    first_skip = first_skip or item
                    if item.line is not None:  # a record; the whole file is caught up below
                        tally.record()
                    continue
                articles += 1
                tally.record()
                item.id = f"{where.label}/{item.id}"
                if item.id in seen:
                    report.skipped.append(_duplicate(sf.rel, item.id, seen[item.id]))
                    file_ok = False  # read it again next time: the other file may let go
                    continue
                old = state.docs.get(item.id)
                if old is not None and old[3] != path:
                    contested.append((item, where, sf.rel, fkey))
                    continue
                seen[item.id] = sf.rel
                self._index_article(item, where.key, sf.rel, path)
                if self.pending >= max(self.commit_every, self.commit_growth * self.indexed):
                    self.commit()
                    tally.send(READING)
            if not articles and first_skip is not None:
                self._remember_skip(where, first_skip, sf.rel)
            if file_ok:
                state.files[fkey] = stamp(sf)
            else:
                state.files.pop(fkey, None)
            tally.end_file(sf.size)

        # An id another file held when the run began: a duplicate while that file still has
        # it (read this run, or outside the folders given and still there); otherwise the
        # article moved here (a JSON record to another file of the folder).
        for item, where, rel, fkey in contested:
            holder = state.docs[item.id]
            if item.id in seen or (holder[3] not in found and os.path.exists(holder[3])):
                report.skipped.append(_duplicate(rel, item.id, seen.get(item.id, holder[2])))
                state.files.pop(fkey, None)
                continue
            seen[item.id] = rel
            self._index_article(item, where.key, rel, where.path_of(rel))

        # Articles whose file is gone, or whose record left a file that changed.
        gone = [i for i, (_, r, *_rest) in state.docs.items() if r in root_keys and i not in seen]
        if gone:
            tally.send(REMOVING)
        for doc_id in gone:
            self._write().delete_by_term("id", doc_id)
            del state.docs[doc_id]
            report.removed += 1
        # Nothing read, moved or removed: state.json stays as it is (only skipped.json
        # may change).
        changed = bool(to_read or contested or gone)
        for fkey in [k for k in state.files if k.split("\x00")[0] in root_keys]:
            if fkey not in seen_files:
                del state.files[fkey]
                changed = True
        for fkey in [k for k in state.skipped if k.split("\x00")[0] in root_keys]:
            if fkey not in seen_files and fkey not in self.skipped_now:
                del state.skipped[fkey]
        self.commit(final=True, changed=changed)
        report.seconds = time.perf_counter() - started

    def _remember_skip(self, where: IndexedRoot, skip: Skipped, rel: str | None = None) -> None:
        """The file ``rel`` (else ``skip.path``) of ``where`` was skipped: remember the id it
        would have had and why, for ``mlsearch show ID`` to say so."""
        rel = rel or skip.path
        reason = skip.reason
        if skip.line is not None and str(skip.line) not in reason:
            reason = f"{reason} (line {skip.line})"
        fkey = IndexState.key(where.key, rel)
        self.state.skipped[fkey] = [f"{where.label}/{rel}", reason]
        self.skipped_now.add(fkey)

    def _index_article(self, item: Article, root_key: str, rel: str, path: str) -> None:
        """Add the article, or replace the one of that id: only ever an article of the same
        file (or one that moved here), as ``apply`` sees to."""
        digest = content_hash(item)
        old = self.state.docs.get(item.id)
        if old is not None and old[0] == digest and old[3] == path:
            self.report.unchanged += 1
            if old[1:3] != [root_key, rel]:
                self.state.docs[item.id] = [digest, root_key, rel, path]
            return
        doc = article_document(item, root_key, digest, path)
        doc.update(self.dups.fields(item.id, item.title, item.body, doc.get("date")))
        if old is None:
            self._write().add_document(**doc)
            self.report.added += 1
        else:
            self._write().update_document(**doc)
            self.report.updated += 1
        self.state.docs[item.id] = [digest, root_key, rel, path]
        self.pending += 1


def _duplicate(rel: str, doc_id: str, holder_rel: str) -> Skipped:
    label = doc_id.split("/", 1)[0]
    return Skipped(rel, f"duplicate id {doc_id!r} (already indexed from {label}/{holder_rel})")
