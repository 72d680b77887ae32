"""What an indexing run tells its caller about its progress: :class:`Progress` events.

``build_index(progress=fn)`` calls ``fn(Progress(...))`` as it goes: while it reads
articles (every ``EVERY`` records and at the end of each file), and once at the start of
each later phase. Nothing here prints; ``mlsearch index`` (``search/cli/index.py``) shows
the events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# The phases of a run, in the order they usually come (a run commits every
# MLSEARCH_COMMIT_EVERY articles, so reading and writing can alternate).
COUNTING = "counting"  # counting the records of the files to read, for a total
READING = "reading"  # reading and analysing articles
REMOVING = "removing"  # removing the articles whose files are gone
WRITING = "writing"  # writing the index: the segment's postings (sub-processes: theirs)
MERGING = "merging"  # merging small segments into one
COMMITTING = "committing"  # the new table of contents, then state.json

# Records between two reading events.
EVERY = 200


@dataclass(frozen=True)
class Progress:
    phase: str
    articles: int = 0  # records done: read (indexed, or skipped) or unchanged
    total: int | None = None  # records in all: known when every file to read could be counted
    read: int = 0  # records read this run (not the unchanged ones)
    files: int = 0  # files done
    files_total: int = 0
    bytes_done: int = 0  # of the files to read (new or changed), those done
    bytes_total: int = 0
    segments: int = 0  # merging with --optimize: the segments merged into one
    docs: int = 0  # and the documents they hold

    @property
    def fraction(self) -> float | None:
        """Of the reading to do, the part done: by records when their total is known, else
        by bytes of the files done; None when there is nothing to read."""
        if self.total is not None:
            to_read = self.total - (self.articles - self.read)
            return min(1.0, self.read / to_read) if to_read > 0 else None
        return self.bytes_done / self.bytes_total if self.bytes_total else None


ProgressFn = Callable[[Progress], None]


class Tally:
    """The counts of one reading pass, sent as Progress events to ``fn``."""

    def __init__(self, fn: ProgressFn | None, files_total: int):
        self.fn = fn
        self.files_total = files_total
        self.total: int | None = 0
        self.articles = self.read = self.files = 0
        self.bytes_done = self.bytes_total = 0
        self._file_start = 0  # self.articles when the file being read began
        self._file_count: int | None = None

    def expect(self, count: int | None, size: int) -> None:
        """One more file to read, of about ``count`` records (None: not known) and ``size``
        bytes."""
        self.bytes_total += size
        self.total = None if count is None or self.total is None else self.total + count

    def unchanged(self, records: int) -> None:
        """A file left alone, its records counted in the total (not expected)."""
        self.articles += records
        if self.total is not None:
            self.total += records
        self.files += 1
        self.send(READING)

    def start_file(self, count: int | None) -> None:
        self._file_start = self.articles
        self._file_count = count

    def record(self) -> None:
        """One record of the file being read: indexed, skipped or set aside."""
        self.articles += 1
        self.read += 1
        if self.read % EVERY == 0:
            self.send(READING)

    def end_file(self, size: int) -> None:
        # A count was a line count: blank lines gave no records, so catch up with it.
        if self._file_count is not None:
            short = self._file_start + self._file_count - self.articles
            if short > 0:
                self.articles += short
                self.read += short
        self.files += 1
        self.bytes_done += size
        self.send(READING)

    def send(self, phase: str, segments: int = 0, docs: int = 0) -> None:
        if self.fn is None:
            return
        total = self.total
        if total is not None and self.articles > total:  # more records than lines: a guess
            total = None
        self.fn(
            Progress(
                phase,
                self.articles,
                total,
                self.read,
                self.files,
                self.files_total,
                self.bytes_done,
                self.bytes_total,
                segments,
                docs,
            )
        )
