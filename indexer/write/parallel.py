"""Indexing on several cores: whoosh's multiprocess writer, made safe to interrupt.

Each sub-process analyses its share of the articles and writes its own segment (whoosh's
``multisegment`` mode); the parent reads files, detects languages, finds near-duplicates
and hands documents over in batches. Whoosh's own ``MpWriter`` loses work quietly when a
sub-process dies (its results are simply missing at commit), leaves its sub-processes
blocked on their queue when cancelled, and lets Ctrl-C print a traceback from each of
them. This subclass fails loudly instead, stops its sub-processes on cancel, and leaves
interrupts to the parent, which cancels the writer: the index stays at its last commit.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import queue
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from ..errors import MlsearchError

# Documents per job file handed to a sub-process.
BATCH = 64


# A sub-process that fails writing exits with ERRNO_EXIT + errno for these, so that the
# parent can say "no space left" rather than "failed".
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS)
ERRNO_EXIT = 64


def _die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies (Linux's
    PR_SET_PDEATHSIG); elsewhere the watch thread of ``_subwriter`` does it, a second
    later."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_PR_SET_PDEATHSIG = 1


def _subwriter(parent, storage, indexname, jobqueue, resultqueue, kwargs, multisegment):
    # Ctrl-C reaches the whole process group; the parent handles it by cancelling. A
    # SIGTERM handler of the parent's (index --watch has one) must not outlive the fork:
    # cancel() terminates sub-processes with SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A parent killed outright (SIGKILL) can't stop us, and the job queue never closes
    # (we hold its pipe too). ``parent`` is the pid the parent had before the fork: had
    # we read os.getppid() here, a parent that died in between would leave us recording
    # pid 1 (or a subreaper) as "the parent" and never noticing that it had gone.
    _die_with_parent()

    def orphaned():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != parent:  # died before the death signal was armed
        os._exit(1)
    threading.Thread(target=orphaned, daemon=True).start()
    try:
        SubWriterTask(storage, indexname, jobqueue, resultqueue, kwargs, multisegment).run()
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
            os._exit(ERRNO_EXIT + exc.errno)  # the parent reports it as a write error
        # The parent reports the failure and cancels the run; say here what it was.
        print(f"mlsearch: indexing sub-process failed: {exc!r}", file=sys.stderr, flush=True)
        os._exit(1)


class ParallelWriter(MpWriter):
    """``procs`` sub-processes, each writing one segment per commit."""

    def __init__(self, ix, index_dir: Path, procs: int, **kwargs):
        # fork: the sub-processes must inherit the patched posting pool (indexer/runs.py)
        # and watch this process, not a fork server (Python 3.14's default on Linux).
        super().__init__(
            ix, procs=procs, batchsize=BATCH, multisegment=True, start_method="fork", **kwargs
        )
        self.index_dir = index_dir

    def _new_task(self):
        args = (
            os.getpid(),  # taken before the fork: see _subwriter
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        task = self._mpctx.Process(target=_subwriter, args=args, daemon=True)
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
            for t in dead:
                code = (t.exitcode or 0) - ERRNO_EXIT
                if code in _WRITE_ERRNOS:
                    raise OSError(code, os.strerror(code))  # build_index explains it
            codes = ", ".join(str(t.exitcode) for t in dead)
            raise MlsearchError(
                f"an indexing sub-process failed (exit code {codes}); "
                "nothing from this run was committed",
                hint="run mlsearch index again; MLSEARCH_PROCS=1 indexes in one process",
            )

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _task in self.tasks:
            self._put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
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
        finalsegments += [segment for _run, _names, segment in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

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
