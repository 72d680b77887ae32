"""The progress ``mlsearch index`` shows on stderr while it works.

On a terminal: one line, redrawn in place (carriage returns), and erased at the end. Not on
a terminal (a log, a pipe): a plain line at each tenth of the reading done or every
``PLAIN_EVERY`` seconds, and one as each later phase begins. The events are
``indexer.write.progress.Progress``; this module only words and prints them (a few lines of
our own: a progress library costs 50-60 ms to import, more than all of this).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import click

from indexer.write.progress import (
    COMMITTING,
    COUNTING,
    MERGING,
    READING,
    REMOVING,
    WRITING,
    Progress,
)

from .output import plural

PHASES = {
    COUNTING: "counting the articles to read…",
    WRITING: "writing the index…",
    MERGING: "merging segments…",
    COMMITTING: "committing…",
    REMOVING: "removing the articles whose files are gone…",
}

# Seconds between two plain lines while reading (a tenth of the reading also makes one).
PLAIN_EVERY = 10.0
# Seconds between two redraws of the live line while reading.
LIVE_EVERY = 0.1


def duration(seconds: float) -> str:
    """A rough duration: ``under a second``, ``8 s``, ``3 min``, ``1 h 5 min``."""
    s = round(seconds)
    if s < 1:
        return "under a second"
    if s < 90:
        return f"{s} s"
    m = round(seconds / 60)
    if m < 90:
        return f"{m} min"
    return f"{m // 60} h {m % 60} min"


def describe(p: Progress, elapsed: float | None) -> str:
    """What the event ``p`` says, ``elapsed`` seconds after the reading began (None: not
    begun)."""
    if p.phase == MERGING and p.segments:
        docs = plural(p.docs, "document", grouped=True)
        return f"merging {p.segments} segments ({docs}) into one…"
    if p.phase != READING:
        text = PHASES.get(p.phase, f"{p.phase}…")
        if p.phase == WRITING and p.read and elapsed is not None:
            text += f" ({plural(p.read, 'article', grouped=True)} read in {duration(elapsed)})"
        return text
    if p.total is not None:
        done = f"{p.articles:,} of {plural(p.total, 'article', grouped=True)}"
        if p.total:
            done += f" ({100 * p.articles // p.total}%)"
    else:
        articles = plural(p.articles, "article", grouped=True)
        done = f"{articles}, {p.files:,} of {plural(p.files_total, 'file', grouped=True)}"
        if p.fraction is not None:
            done += f" ({int(100 * p.fraction)}%)"
    text = f"reading: {done}"
    fraction = p.fraction
    if elapsed is not None and elapsed >= 1 and p.read:
        text += f", {p.read / elapsed:,.0f} a second"
        left = elapsed * (1 - fraction) / fraction if fraction else 0
        if left >= 1:
            text += f", about {duration(left)} left"
    return text


class ProgressDisplay:
    """A ``progress`` function for ``build_index`` printing to ``stream`` (stderr): live on
    a terminal, plain lines otherwise. ``close()`` erases the live line."""

    def __init__(self, live: bool, clock: Callable[[], float] = time.monotonic, width=None):
        self.live = live
        self.clock = clock
        self.width = width
        self.started: float | None = None  # when the reading began
        self.phase: str | None = None
        self.shown = 0  # characters of the live line on screen
        self.last = 0.0  # when the last line was drawn or printed
        self.tenth = 0  # plain: the tenth of the reading last printed

    def __call__(self, p: Progress) -> None:
        now = self.clock()
        if p.phase == READING and self.started is None:
            self.started = now
        elapsed = None if self.started is None else now - self.started
        changed = p.phase != self.phase
        self.phase = p.phase
        if self.live:
            if changed or now - self.last >= LIVE_EVERY:
                self._draw(describe(p, elapsed), now)
            return
        if p.phase == COUNTING:
            return
        if p.phase != READING:
            if changed and (p.read or p.phase == REMOVING or p.segments):
                self._print(describe(p, elapsed), now)
            return
        fraction = p.fraction
        tenth = int(10 * fraction) if fraction is not None else 0
        if tenth > self.tenth or (p.read and now - self.last >= PLAIN_EVERY):
            self.tenth = max(tenth, self.tenth)
            self._print(describe(p, elapsed), now)

    def _print(self, text: str, now: float) -> None:
        click.echo(text, err=True)
        self.last = now

    def _columns(self) -> int:
        if self.width is not None:
            return self.width
        try:
            return os.get_terminal_size(sys.stderr.fileno()).columns or 80
        except (OSError, ValueError):
            return 80

    def _draw(self, text: str, now: float) -> None:
        text = text[: max(10, self._columns() - 1)]  # a wrapped line can't be redrawn
        pad = " " * max(0, self.shown - len(text))
        click.echo("\r" + text + pad, nl=False, err=True)
        self.shown = len(text)
        self.last = now

    def close(self) -> None:
        """Erase the live line, leaving the cursor at the start of the empty line."""
        if self.live and self.shown:
            # and the "^C" a terminal echoes after it
            width = min(self.shown + 2, max(self.shown, self._columns() - 1))
            click.echo("\r" + " " * width + "\r", nl=False, err=True)
            self.shown = 0
