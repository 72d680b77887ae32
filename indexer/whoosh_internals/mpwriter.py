"""Whoosh's multiprocess writer (``MpWriter``), made to fail loudly and stop cleanly.

Whoosh's own ``MpWriter`` loses work quietly when a sub-process dies (its results are simply
missing at commit), leaves its sub-processes blocked on their queue when cancelled, and
waits for ever on a full job queue whose readers are gone. ``SafeMpWriter`` overrides its
private ``_new_task``, ``_enqueue``, ``_commit`` and ``cancel`` (whoosh3 3.54.0) so that it
checks on its sub-processes while it waits, stops them on cancel and drops their files.
What a failure means to the user, and how a sub-process behaves, is the subclass's:
``task_main`` (the sub-process's function, given the parent's pid first) and
``tasks_failed``; ``run_subwriter`` runs whoosh's sub-writer inside it.

What its commit is doing can be followed: ``SafeMpWriter.on_phase`` (when set) hears
"writing", "merging" and "committing" as the commit gets to them, the phase names of
``indexer.write.progress`` (``merging.merge_small`` says when old segments are merged).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import shutil
from collections.abc import Callable
from pathlib import Path

from whoosh import multiproc
from whoosh.fields import FieldType
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from .merging import merge_beside, raw_merge_applies
from .pool import set_pool, use_in_this_process


class TermSegmentWriter(SegmentWriter):
    """Whoosh's ``SegmentWriter`` whose ``add_document`` hands its pool each field's
    postings at once (``pool.ChunkedPostingPool.add_terms``) instead of a tuple per
    posting through ``pool.add``: the same postings, lengths, stored fields and columns.
    Documents with boosts (``_boost``, ``_<field>_boost``) or custom stored values
    (``_stored_<field>``), fields with spelling words or term vectors, and a pool without
    ``add_terms`` go through whoosh's own ``add_document``."""

    def add_document(self, **fields):
        add_terms = getattr(self.pool, "add_terms", None)
        plan = self._plan()
        if add_terms is None or plan is None or any(name[0] == "_" for name in fields):
            return super().add_document(**fields)
        self._check_state()
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        fieldnames = sorted(fields)
        self._check_fields(self.schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field, direct = plan.get(fieldname) or (self.schema[fieldname], False)
                length = 0
                if field.indexed:
                    if direct and isinstance(value, str):
                        items = field.format.word_values(value, field.analyzer, mode="index")
                        length = add_terms(fieldname, docnum, items, 1.0, True)
                    else:
                        length = add_terms(fieldname, docnum, field.index(value), 1.0, False)
                    if not field.scorable:
                        length = 0
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        except ValueError:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    _fieldplan: dict | None = None
    _planned = False

    def _plan(self) -> dict | None:
        """Each field and whether its format's ``word_values`` can be called directly (what
        ``FieldType.index`` does for a str, without encoding each term in a generator);
        None when a field has spelling words or vectors (whoosh's own path)."""
        if not self._planned:
            self._planned = True
            plan = {}
            for name, field in self.schema.items():
                if field.separate_spelling() or field.vector:
                    return None
                direct = type(field).index is FieldType.index and field.format is not None
                plan[name] = (field, direct)
            self._fieldplan = plan
        return self._fieldplan


def run_subwriter(storage, indexname, jobqueue, resultqueue, kwargs, multisegment) -> None:
    """Whoosh's sub-writer, in this (forked) process: takes jobs until told to finish, then
    puts its segment on ``resultqueue``. ``kwargs["poolclass"]`` is honoured (pool.py), and
    the writer is a ``TermSegmentWriter`` (``SubWriterTask.run`` builds whoosh's
    ``SegmentWriter``, named in ``whoosh.multiproc``: this process exists to run it)."""
    if kwargs.get("poolclass") is not None:
        use_in_this_process(kwargs["poolclass"])
    multiproc.SegmentWriter = TermSegmentWriter
    SubWriterTask(storage, indexname, jobqueue, resultqueue, kwargs, multisegment).run()


class SafeMpWriter(MpWriter):
    """``MpWriter`` that notices dead sub-processes and cleans up after itself."""

    @staticmethod
    def task_main(parent, storage, indexname, jobqueue, resultqueue, kwargs, multisegment):
        run_subwriter(storage, indexname, jobqueue, resultqueue, kwargs, multisegment)

    def tasks_failed(self, dead: list) -> None:
        """Raise the error for the sub-processes ``dead`` (exited, or exited non-zero)."""
        codes = ", ".join(str(t.exitcode) for t in dead)
        raise RuntimeError(f"a whoosh sub-writer failed (exit code {codes})")

    on_phase: Callable[[str], None] | None = None

    def __init__(self, ix, index_dir: Path, **kwargs):
        super().__init__(ix, **kwargs)
        self.index_dir = index_dir
        if self.subargs.get("poolclass") is not None:
            set_pool(self, self.subargs["poolclass"])

    def _new_task(self):
        args = (
            os.getpid(),  # taken before the fork: see parallel._subwriter
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        task = self._mpctx.Process(target=self.task_main, args=args, daemon=True)
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self):
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, pickle.HIGHEST_PROTOCOL)
        if len(self.tasks) < self.procs:
            self._new_task()
        job = (filename, len(self.docbuffer))
        self.docbuffer = []
        self._put(job)

    def _put(self, job) -> None:
        # A sub-process that died stops taking jobs: don't wait on a full queue forever.
        while True:
            try:
                self.jobqueue.put(job, timeout=0.5)
                return
            except queue.Full:
                self._check_tasks()

    def _check_tasks(self, finished: bool = False) -> None:
        dead = [t for t in self.tasks if t.exitcode not in (None, 0)]
        if finished and not dead:
            dead = [t for t in self.tasks if t.exitcode is not None]
        if dead:
            self.tasks_failed(dead)

    def _say(self, phase: str) -> None:
        if self.on_phase is not None:
            self.on_phase(phase)

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _task in self.tasks:
            self._put(None)
        self._say("writing")
        # Old segments merged by blocks (merging.RawMerge: no pool) are merged while the
        # sub-processes write, on the core the parent leaves idle (merging.merge_beside;
        # MLSEARCH_MERGE_BESIDE=0: after them). A merge through the pool waits until they
        # have exited: at 10x (153k articles) its memory in the parent (127 -> 254 MB)
        # beside the two writers (249 MB each) made the build's peak 728 MB, over 700.
        beside = merge_beside() and raw_merge_applies(self)
        if beside:
            finalsegments, merged = self._merge_old(mergetype, optimize, merge)
        results = []
        # A sub-process puts its segment on the queue before it exits; read while waiting,
        # since a full queue pipe would keep it from exiting.
        while len(results) < len(self.tasks):
            # One that had exited cleanly before this wait had put its segment on the queue.
            exited = all(t.exitcode is not None for t in self.tasks)
            try:
                results.append(self.resultqueue.get(timeout=0.5))
            except queue.Empty:
                self._check_tasks(finished=exited)
        for task in self.tasks:
            task.join()
        if not beside:
            finalsegments, merged = self._merge_old(mergetype, optimize, merge)
        if merged is not None:
            # before the new segments: the index keeps its documents in the order they
            # were added (the near-duplicate finder takes the last as the newest)
            finalsegments.append(merged)
        finalsegments += [segment for _run, _names, segment in results]
        if not self._added:
            self._close_segment()
        self._say("committing")
        self._commit_toc(finalsegments)
        self._finish()

    def _merge_old(self, mergetype, optimize, merge):
        """The merge policy's segments kept, and the one it merged old ones into (None:
        it merged none)."""
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        if not self._added:  # old segments merged into this one (documents go to sub-processes)
            return finalsegments, None
        self._say("merging")
        return finalsegments, self._finalize_segment()

    def cancel(self):
        """Stop the sub-processes, drop their files, release the lock."""
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
            for task in self.tasks:
                task.join(5)
                if task.is_alive():
                    task.kill()
                    task.join(5)
        finally:
            with contextlib.suppress(Exception):
                SegmentWriter.cancel(self)
            # Each sub-writer kept its sorting runs in a temporary folder in the index
            # folder; its unfinished segment files go at the next commit (whoosh deletes
            # what the table of contents does not name).
            for tmp in self.index_dir.glob("*.tmp"):
                if tmp.is_dir():
                    shutil.rmtree(tmp, ignore_errors=True)
