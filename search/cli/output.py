"""Hits as the commands print them: colour or plain markers, highlighted words, JSON Lines."""

from __future__ import annotations

import json
import os
import shutil
import sys

import click

from ..textwidth import char_width, wrap
from .group import EXIT_NO_HITS, safe

INDENT = "     "  # the meta and snippet lines, under the title after "  1. "
MIN_WRAP = 20  # columns: a narrower window gets snippets unwrapped


def use_colour(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def similar_mark(hit, colour: bool) -> str:
    """`` (+N similar)`` after a hit that stands for N other copies of itself."""
    if not hit.similar:
        return ""
    text = f"(+{hit.similar} similar)"
    return "  " + (click.style(text, fg="cyan") if colour else text)


def new_mark(hit, colour: bool) -> str:
    """`` [new]`` after a saved query's hit that no earlier run of the query had found."""
    if not hit.new:
        return ""
    return click.style(" [new]", fg="green", bold=True) if colour else " [new]"


def mark(text: str, spans, colour: bool) -> str:
    """Highlight spans of ``text``: bold red on a terminal, **markers** when piped."""
    out, cursor = [], 0
    for a, b in spans:
        out.append(safe(text[cursor:a]))
        word = safe(text[a:b])
        out.append(click.style(word, fg="red", bold=True) if colour else f"**{word}**")
        cursor = b
    out.append(safe(text[cursor:]))
    return "".join(out)


def plural(n: int, word: str, words: str | None = None, grouped: bool = False) -> str:
    """``1 hit``, ``2 hits``, ``0 hits``; ``grouped``: ``15,321 articles``."""
    number = f"{n:,}" if grouped else str(n)
    return f"{number} {word if n == 1 else words or word + 's'}"


def print_hits(results, page: int, as_json: bool, colour: str, limit: int = 10) -> None:
    """Hits as search shows them (or JSON Lines); exit 1 when there are none (also when
    ``page`` of ``limit`` hits a page is past the last)."""
    for note in results.notes:
        click.echo(f"note: {safe(note)}", err=True)
    if as_json:
        for hit in results.hits:
            echo_json(hit.as_json())
    else:
        print_results(results, use_colour(colour))
    if results.suggestion:
        click.echo(f"did you mean: {safe(results.suggestion)}", err=True)
    if results.cross_hint:
        click.echo(safe(results.cross_hint.message()), err=True)
    if results.total == 0:
        sys.exit(EXIT_NO_HITS)
    if not results.hits:
        pages = -(-results.total // limit)
        click.echo(
            f"page {page} is past the end: the last page is {pages} "
            f"({plural(results.total, 'hit')}, {limit} a page)",
            err=True,
        )
        sys.exit(EXIT_NO_HITS)


def print_results(results, colour: bool) -> None:
    if results.total == 0:
        click.echo("no hits", err=True)
        return
    if not results.hits:
        return  # a page past the end: print_hits says so
    first, last = results.hits[0].rank, results.hits[-1].rank
    click.echo(f"{plural(results.total, 'hit')}, showing {first}–{last}", err=True)
    for hit in results.hits:
        print_hit(hit, colour)
        click.echo()


def snippet_width() -> int | None:
    """Columns a snippet line may take: on a terminal its width less the indent (COLUMNS
    or the window's size); None when stdout is not a terminal, where each snippet stays one
    line for scripts (grep, cut) to read."""
    if not sys.stdout.isatty():
        return None
    width = shutil.get_terminal_size().columns - len(INDENT)
    return width if width >= MIN_WRAP else None


def _printed_width(c: str) -> int:
    """Columns of one character as printed: a control character as its escape."""
    shown = safe(c)
    return char_width(c) if shown == c else len(shown)


def snippet_lines(text: str, spans, colour: bool, width: int | None) -> list[str]:
    """``text`` with its highlight ``spans`` marked, as printed lines of at most ``width``
    columns (None: one line). Plain **markers** are wrapped as the characters they are."""
    if width is None:
        return [mark(text, spans, colour)]
    if not colour:
        marked = mark(text, spans, False)
        return [marked[a:b] for a, b in wrap(marked, width)]
    out = []
    for a, b in wrap(text, width, _printed_width):
        line_spans = [(max(x, a) - a, min(y, b) - a) for x, y in spans if x < b and y > a]
        out.append(mark(text[a:b], line_spans, True))
    return out


def print_hit(hit, colour: bool, tag: str = "") -> None:
    """One hit: rank, title, ``tag`` and +N similar; date · languages · source · id; the
    snippet with the matched words highlighted (wrapped to a terminal's width, indented);
    the query's words it lacks, if any ("missing: 防御")."""
    meta = " · ".join(
        x for x in (hit.date or "no date", ",".join(hit.langs), hit.source or "", hit.id) if x
    )
    title = mark(hit.title or "(untitled)", hit.title_highlights, colour)
    head = click.style(f"{hit.rank:>3}.", bold=True) if colour else f"{hit.rank:>3}."
    click.echo(f"{head} {title}{tag}{similar_mark(hit, colour)}", color=colour)
    click.echo(
        f"{INDENT}{click.style(safe(meta), dim=True) if colour else safe(meta)}", color=colour
    )
    for line in snippet_lines(hit.snippet, hit.highlights, colour, snippet_width()):
        click.echo(f"{INDENT}{line}", color=colour)
    missing = getattr(hit, "missing", None)
    if missing:
        # A partial match of the ranked model: the words it lacks, as search engines say.
        lacks = "missing: " + " ".join(safe(w) for w in missing)
        click.echo(f"{INDENT}{click.style(lacks, dim=True) if colour else lacks}", color=colour)


def echo_json(record: dict) -> None:
    """One JSON Lines record on stdout, UTF-8 as is."""
    click.echo(json.dumps(record, ensure_ascii=False))
