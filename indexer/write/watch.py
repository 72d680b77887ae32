"""Watching folders: keep the index up to date while articles are added, changed, removed.

``watch(paths, index_dir)`` indexes once, then waits for the file system to report a change
(watchdog: inotify, FSEvents, ReadDirectoryChangesW, or kqueue), lets things settle, and
runs the ordinary incremental ``build_index`` again. Events only say *that* something
changed; *what* changed comes from comparing the size and modification time of every
article file before and after, so a moved folder or a burst of events is handled the same
way as a single new file.

Settling is the debounce: after an event, the folders are compared again every
``debounce`` seconds until two looks in a row agree. A file still being written keeps
changing size or time, so it is indexed once it is complete, not half-way through (a
writer that pauses longer than ``debounce`` between writes can still be caught midway:
write to a name starting with ``.`` and rename when done, which is always safe).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from ..config import debounce_seconds
from ..errors import MlsearchError
from .build import IndexReport, build_index
from .changes import Snapshot, changes, scan

MAX_SETTLE = 30.0  # index anyway after this long, even if files keep changing


@dataclass
class WatchEvent:
    """What ``watch`` reports through ``on_event``.

    kind: ``indexed`` (a run finished: ``report``), ``added`` / ``updated`` / ``removed``
    (``path``, relative to its folder: an article id after the folder's label), ``skipped``
    (``path`` and ``message``: why), ``error`` (``message``: a run failed; watching goes on
    and it is retried), ``watching`` (ready: ``message`` lists the folders), ``stopped``.
    """

    kind: str
    path: str = ""
    message: str = ""
    report: IndexReport | None = None

    def as_dict(self) -> dict:
        d: dict = {"event": self.kind}
        if self.path:
            d["path"] = self.path
        if self.message:
            d["message"] = self.message
        if self.report is not None:
            d["report"] = self.report.as_dict()
        return d


class _Handler(FileSystemEventHandler):
    """Any event that could concern an article sets ``dirty``."""

    def __init__(self, dirty: threading.Event, index_dir: Path, only: Path | None = None):
        super().__init__()
        self.dirty = dirty
        self.index_dir = str(index_dir.resolve()) + os.sep
        self.only = str(only) if only else None

    def _relevant(self, path: str) -> bool:
        from ..read import SUPPORTED_SUFFIXES

        path = os.path.abspath(path)
        if (path + os.sep).startswith(self.index_dir):
            return False  # our own writes
        if self.only is not None:
            return path == self.only
        name = os.path.basename(path)
        return not name.startswith(".") and name.lower().endswith(SUPPORTED_SUFFIXES)

    def dispatch(self, event) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [os.fsdecode(event.src_path)]
        if getattr(event, "dest_path", None):
            paths.append(os.fsdecode(event.dest_path))
        # A folder moved or removed says nothing about its files one by one: look again.
        if (event.is_directory and event.event_type != "modified") or any(
            self._relevant(p) for p in paths
        ):
            self.dirty.set()


def watch(
    paths: Iterable[str | os.PathLike],
    index_dir: str | os.PathLike,
    on_event: Callable[[WatchEvent], None] | None = None,
    stop_event: threading.Event | None = None,
    debounce: float | None = None,
    rebuild: bool = False,
    lock_timeout: float | None = None,
) -> None:
    """Index ``paths`` into ``index_dir``, then keep doing so as files change, until
    ``stop_event`` is set or Ctrl-C (KeyboardInterrupt), and return.

    Each run is an ordinary incremental ``build_index``: an interrupted one leaves the index
    at its last commit. Errors of a run are reported as ``error`` events and the run is
    retried; only an error of the first run (no such folder, not an index) is raised.
    """
    roots = [Path(p) for p in paths]
    index_dir = Path(index_dir)
    stop = stop_event or threading.Event()
    debounce = debounce_seconds() if debounce is None else debounce
    emit = on_event or (lambda event: None)
    # A run's events, told one by one: a Ctrl-C while one is printed still tells the rest
    # (the run has committed; its "indexed" line must not be lost).
    unsaid: list[WatchEvent] = []

    def tell(events: list[WatchEvent]) -> None:
        unsaid.extend(events)
        while unsaid:
            emit(unsaid.pop(0))

    observer = Observer()
    try:
        known = scan(roots, index_dir)
        report = build_index(roots, index_dir, rebuild=rebuild, lock_timeout=lock_timeout)
        skipped = [WatchEvent("skipped", path=s.path, message=s.reason) for s in report.skipped]
        tell([WatchEvent("indexed", report=report), *skipped])
        dirty = threading.Event()
        for root in roots:
            resolved = root.resolve()
            if resolved.is_dir():
                observer.schedule(_Handler(dirty, index_dir), str(resolved), recursive=True)
            else:
                handler = _Handler(dirty, index_dir, only=resolved)
                observer.schedule(handler, str(resolved.parent), recursive=False)
        observer.start()
        emit(WatchEvent("watching", message=", ".join(str(r) for r in roots)))
        _loop(roots, index_dir, known, dirty, stop, debounce, emit, tell, lock_timeout)
    except KeyboardInterrupt:
        # build_index has cancelled its writer: the index is at its last commit. What a
        # finished run had left to say is said.
        for event in unsaid:
            emit(event)
    finally:
        if observer.is_alive():
            observer.stop()
            observer.join(timeout=5)
    emit(WatchEvent("stopped"))


def _loop(roots, index_dir, known, dirty, stop, debounce, emit, tell, lock_timeout) -> None:
    # Changes made between the first scan and the observer starting are caught here.
    dirty.set()
    while not stop.is_set():
        if not dirty.wait(timeout=0.1):
            continue
        now = _settle(roots, index_dir, dirty, stop, debounce)
        if now is None:
            break  # stopped while settling
        changed = changes(known, now)
        if not changed:
            continue
        try:
            report = build_index(roots, index_dir, lock_timeout=lock_timeout)
        except (MlsearchError, OSError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            emit(WatchEvent("error", message=f"{message}; will retry"))
            if stop.wait(max(1.0, 4 * debounce)):
                break
            dirty.set()
            continue
        known = now
        if not report.changed and not report.skipped:
            continue  # touched, not changed
        tell(
            [WatchEvent(kind, path=rel) for kind, rel in changed]
            + [WatchEvent("skipped", path=s.path, message=s.reason) for s in report.skipped]
            + [WatchEvent("indexed", report=report)]
        )


def _settle(roots, index_dir, dirty, stop, debounce) -> Snapshot | None:
    """Look until two looks ``debounce`` apart agree and no event came in between."""
    started = time.monotonic()
    dirty.clear()
    snap = scan(roots, index_dir)
    while True:
        if stop.wait(debounce):
            return None
        again = scan(roots, index_dir)
        quiet = not dirty.is_set()
        dirty.clear()
        if (again == snap and quiet) or time.monotonic() - started > MAX_SETTLE:
            return again
        snap = again
