"""One writer at a time: an advisory lock file in the index folder.

The lock is an ``flock`` on ``mlsearch.lock``, so the kernel releases it when its process
dies, however it dies: a lock left by a killed run is never in force, only its record of
who held it (pid, command, start time) remains, and the next run says it cleared it. A
second writer waits up to a timeout, then fails naming the process that holds the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from pathlib import Path

from ..config import lock_timeout
from ..errors import IndexLockedError

LOCK_FILE = "mlsearch.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _describe(holder: dict) -> str:
    parts = [f"pid {holder.get('pid', '?')}"]
    if holder.get("command"):
        parts.append(holder["command"])
    if holder.get("started"):
        parts.append("since " + time.strftime("%H:%M:%S", time.localtime(holder["started"])))
    return ", ".join(parts)


class IndexLock:
    """``with IndexLock(index_dir):`` — exclusive right to write the index."""

    def __init__(
        self,
        index_dir: Path,
        timeout: float | None = None,
        poll: float = 0.2,
        name: str = LOCK_FILE,
        doing: str = "writing to",
    ):
        self.path = Path(index_dir) / name
        self.timeout = lock_timeout() if timeout is None else timeout
        self.poll = poll
        self.doing = doing
        self.fd: int | None = None
        self.stale: dict | None = None  # the record of a dead holder we replaced

    def _read(self) -> dict:
        try:
            with open(self.path, encoding="utf-8") as f:
                return json.loads(f.read() or "{}")
        except (OSError, ValueError):
            return {}

    def acquire(self) -> IndexLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    holder = self._read()
                    raise IndexLockedError(
                        f"another mlsearch process ({_describe(holder)}) is {self.doing} "
                        f"{self.path.parent}; waited {self.timeout:g} s",
                        hint="wait for it to finish, or set MLSEARCH_LOCK_TIMEOUT to wait longer",
                    ) from None
                time.sleep(self.poll)
        previous = self._read()
        pid = previous.get("pid")
        if isinstance(pid, int) and pid != os.getpid() and not _alive(pid):
            self.stale = previous
        argv = [os.path.basename(sys.argv[0]), *sys.argv[1:]] if sys.argv else []
        record = {"pid": os.getpid(), "command": " ".join(argv)[:200], "started": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> IndexLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
