"""Indexing on several cores: mlsearch's policy for whoosh's multiprocess writer.

Each sub-process analyses its share of the articles and writes its own segment (whoosh's
``multisegment`` mode); the parent reads files, detects languages, finds near-duplicates
and hands documents over in batches of ``BATCH``. The writer itself, made to fail loudly
and stop its sub-processes on cancel, is ``whoosh_internals.mpwriter.SafeMpWriter``; here
is what mlsearch decides: how a sub-process behaves (interrupts are left to the parent,
which cancels the writer, so the index stays at its last commit; it dies with its parent;
a full disk is its exit status), and what a failure tells the user.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
import time
from pathlib import Path

from ..errors import MlsearchError
from ..whoosh_internals.mpwriter import SafeMpWriter, run_subwriter

# Documents per job file handed to a sub-process.
BATCH = 64


# A sub-process that fails writing exits with ERRNO_EXIT + errno for these, so that the
# parent can say "no space left" rather than "failed".
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS)
ERRNO_EXIT = 64


def die_with_parent() -> None:
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
    die_with_parent()

    def orphaned():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != parent:  # died before the death signal was armed
        os._exit(1)
    threading.Thread(target=orphaned, daemon=True).start()
    try:
        run_subwriter(storage, indexname, jobqueue, resultqueue, kwargs, multisegment)
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
            os._exit(ERRNO_EXIT + exc.errno)  # the parent reports it as a write error
        # The parent reports the failure and cancels the run; say here what it was.
        print(f"mlsearch: indexing sub-process failed: {exc!r}", file=sys.stderr, flush=True)
        os._exit(1)


class ParallelWriter(SafeMpWriter):
    """``procs`` sub-processes, each writing one segment per commit."""

    task_main = staticmethod(_subwriter)

    def __init__(self, ix, index_dir: Path, procs: int, **kwargs):
        # fork: the sub-processes watch this process, not a fork server (Python 3.14's
        # default on Linux).
        super().__init__(
            ix,
            index_dir,
            procs=procs,
            batchsize=BATCH,
            multisegment=True,
            start_method="fork",
            **kwargs,
        )

    def tasks_failed(self, dead: list) -> None:
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
