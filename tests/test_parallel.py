"""Indexing on several processes gives the index one process gives, and fails safely."""

from __future__ import annotations

import multiprocessing

import pytest

import indexer.analyse.fields as analysis
import indexer.write.build as build
from indexer.errors import MlsearchError
from indexer.write.build import build_index
from search import Searcher

from .conftest import CORPUS, FIXTURES, NEWS, fixture_copy, interrupt_after

ROOTS = [NEWS, FIXTURES / "dups", FIXTURES / "suggest", CORPUS]
QUERIES = [
    "东盟 防长",
    "南海",
    "menteri pertahanan",
    "latihan",
    "navy exercise",
    '"South China Sea"',
]


@pytest.fixture
def parallel(monkeypatch):
    """Every run uses two processes, however little it has to read."""
    monkeypatch.setattr(build, "PARALLEL_BYTES", 0)
    monkeypatch.setenv("MLSEARCH_PROCS", "2")


def copy_roots(dest):
    return [fixture_copy(root, dest) for root in ROOTS]


def snapshot(index_dir):
    with Searcher(index_dir) as s:
        ids = sorted(f["id"] for f in s._searcher.reader().all_stored_fields())
        hits = {}
        for q in QUERIES:
            res = s.search(q, limit=50)
            hits[q] = sorted((h.id, round(h.score, 6)) for h in res.hits)
    return ids, hits


def segments(index_dir) -> int:
    with Searcher(index_dir) as s:
        return len(s._searcher.reader().leaf_readers())


@pytest.mark.parametrize("reverse", [False, True], ids=["as-committed", "segments-reversed"])
def test_two_processes_index_what_one_does(tmp_path, monkeypatch, reverse):
    """Which sub-process takes which batch, and whose segment is listed first, depend on
    timing; the results must not. Reversing the segments' order stands for the other
    timings (exact copies tie, and a tie must not go to whichever copy came first)."""
    from indexer.write.parallel import ParallelWriter

    one = build_index(ROOTS, tmp_path / "one")
    monkeypatch.setattr(build, "PARALLEL_BYTES", 0)
    monkeypatch.setenv("MLSEARCH_PROCS", "2")
    if reverse:
        commit_toc = ParallelWriter._commit_toc
        monkeypatch.setattr(
            ParallelWriter, "_commit_toc", lambda self, segs: commit_toc(self, segs[::-1])
        )
    two = build_index(ROOTS, tmp_path / "two")
    assert segments(tmp_path / "two") == 2
    assert (two.added, len(two.skipped)) == (one.added, len(one.skipped))
    ids, hits = snapshot(tmp_path / "two")
    assert (ids, hits) == snapshot(tmp_path / "one")
    assert all(hits[q] for q in QUERIES)  # the queries do find something
    assert not multiprocessing.active_children()


def test_incremental_runs_after_a_parallel_build(tmp_path, parallel):
    roots = copy_roots(tmp_path / "docs")
    index = tmp_path / "ix"
    first = build_index(roots, index)
    (roots[-1] / "new.txt").write_text("Patrol boats\n\nA new patrol off Labuan.\n", "utf-8")
    gone = next(roots[0].glob("**/*.txt"))
    gone.unlink()
    r = build_index(roots, index)
    assert (r.added, r.removed, r.unchanged) == (1, 1, first.added - 1)
    with Searcher(index) as s:
        assert s.count("Labuan") == 1
    again = build_index(roots, index)
    assert not again.changed


def test_a_failing_sub_process_commits_nothing_and_leaves_no_files(tmp_path, parallel, monkeypatch):
    roots = copy_roots(tmp_path / "docs")
    index = tmp_path / "ix"
    build_index(roots[:1], index)
    before = snapshot(index)
    real = analysis.surface_terms  # the spell field's words as indexing takes them

    def boom(text):
        if "Labuan" in str(text):
            raise RuntimeError("analysis bug")
        return real(text)

    (roots[1] / "bad.txt").write_text("Labuan\n\nPatrol boats off Labuan.\n", "utf-8")
    monkeypatch.setattr(analysis, "surface_terms", boom)  # inherited by the forked writers
    with pytest.raises(MlsearchError, match="sub-process failed"):
        build_index(roots, index)
    monkeypatch.setattr(analysis, "surface_terms", real)
    assert snapshot(index) == before
    assert not list(index.glob("*.tmp")) and not list(index.glob("*.doclist"))
    assert not multiprocessing.active_children()
    r = build_index(roots, index)
    assert r.added > 0 and not r.skipped
    with Searcher(index) as s:
        assert s.count("Labuan") == 1


def test_an_interrupted_parallel_run_stops_its_processes(tmp_path, parallel, monkeypatch):
    roots = copy_roots(tmp_path / "docs")
    index = tmp_path / "ix"
    build_index(roots[:1], index)
    before = snapshot(index)
    real = build.article_document
    interrupt_after(monkeypatch, 80)  # after the first batches went to the writers
    with pytest.raises(KeyboardInterrupt):
        build_index(roots, index)
    monkeypatch.setattr(build, "article_document", real)
    assert not multiprocessing.active_children()
    assert snapshot(index) == before
    assert not list(index.glob("*.tmp"))
    r = build_index(roots, index)
    assert r.added > 0
    assert segments(index) <= 3


@pytest.mark.parametrize("batch, at_commit", [(2, False), (11, True)])
def test_sub_processes_dying_on_a_full_disk_give_the_disk_full_message(
    tmp_path, parallel, monkeypatch, batch, at_commit
):
    """Every sub-process fails while the parent still has jobs queued (while reading, or
    at commit with a full queue): no hang, and the message says what happened."""
    import errno

    from whoosh.multiproc import SubWriterTask

    import indexer.write.parallel as par

    roots = copy_roots(tmp_path / "docs")
    monkeypatch.setattr(par, "BATCH", batch)  # more jobs than the queue holds (8)
    # Forked with the sub-processes: set once the parent has queued every job and commits.
    committing = multiprocessing.get_context("fork").Event()
    real_commit = par.ParallelWriter._commit

    def commit(self, *a, **kw):
        committing.set()
        return real_commit(self, *a, **kw)

    def full_disk(self, filename, doc_count):
        if at_commit:
            assert committing.wait(120)  # a hang guard: the parent gets there
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(par.ParallelWriter, "_commit", commit)
    monkeypatch.setattr(SubWriterTask, "_process_file", full_disk)
    with pytest.raises(MlsearchError, match="no space left"):
        build_index(roots, tmp_path / "ix")
    assert committing.is_set() == at_commit  # the sub-processes failed where intended
    assert not multiprocessing.active_children()
    assert not list((tmp_path / "ix").glob("*.tmp"))


def test_cancel_stops_sub_processes_under_a_sigterm_handler(tmp_path, parallel, monkeypatch):
    """index --watch installs a SIGTERM handler; forked writers must not keep it: cancel's
    SIGTERM ends them, rather than the kill that follows when they outlive join(5)."""
    import signal

    import indexer.write.parallel as par

    roots = copy_roots(tmp_path / "docs")
    interrupt_after(monkeypatch, 80)
    tasks = []
    real_new_task = par.ParallelWriter._new_task

    def new_task(self):
        tasks.append(real_new_task(self))
        return tasks[-1]

    monkeypatch.setattr(par.ParallelWriter, "_new_task", new_task)
    old = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        with pytest.raises(KeyboardInterrupt):
            build_index(roots, tmp_path / "ix")
    finally:
        signal.signal(signal.SIGTERM, old)
    assert tasks and [t.exitcode for t in tasks] == [-signal.SIGTERM] * len(tasks)
    assert not multiprocessing.active_children()


def _gone_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_writer_whose_parent_died_before_it_started_exits(tmp_path):
    """The parent's pid is taken before the fork. A parent that dies between the fork and
    the sub-process's first line must not leave it waiting on its job queue for ever (it
    would have recorded pid 1 as its parent and never seen it go)."""
    import indexer.write.parallel as par

    build_index([NEWS], tmp_path / "ix")
    storage = build._storage(tmp_path / "ix")
    ctx = multiprocessing.get_context("fork")
    jobs, results = ctx.Queue(), ctx.Queue()  # no job ever comes: it would wait for ever
    args = (_gone_pid(), storage, "MAIN", jobs, results, {}, True)
    task = ctx.Process(target=par._subwriter, args=args, daemon=True)
    task.start()
    task.join(60)  # a hang guard: it exits at once, or never
    alive = task.is_alive()
    if alive:
        task.kill()
        task.join()
    assert not alive and task.exitcode == 1
