"""Hits as the commands print them: colour or plain markers, highlighted words, JSON Lines."""

from __future__ import annotations

import json
import os
import sys

import click

from .group import EXIT_NO_HITS, safe


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


def print_hits(results, page: int, as_json: bool, colour: str) -> None:
    """Hits as search shows them (or JSON Lines); exit 1 when there are none."""
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
        click.echo(f"no hits on page {page} (of {results.total} hits)", err=True)
        sys.exit(EXIT_NO_HITS)


def print_results(results, colour: bool) -> None:
    if results.total == 0:
        click.echo("no hits", err=True)
        return
    first = results.hits[0].rank if results.hits else 0
    last = results.hits[-1].rank if results.hits else 0
    click.echo(f"{results.total} hits, showing {first}–{last}", err=True)
    for hit in results.hits:
        print_hit(hit, colour)
        click.echo()


def print_hit(hit, colour: bool, tag: str = "") -> None:
    """One hit in three lines: rank, title, ``tag`` and +N similar; date · languages ·
    source · id; the snippet with the matched words highlighted."""
    meta = " · ".join(
        x for x in (hit.date or "no date", ",".join(hit.langs), hit.source or "", hit.id) if x
    )
    title = mark(hit.title or "(untitled)", hit.title_highlights, colour)
    head = click.style(f"{hit.rank:>3}.", bold=True) if colour else f"{hit.rank:>3}."
    click.echo(f"{head} {title}{tag}{similar_mark(hit, colour)}", color=colour)
    click.echo(f"     {click.style(safe(meta), dim=True) if colour else safe(meta)}", color=colour)
    click.echo(f"     {mark(hit.snippet, hit.highlights, colour)}", color=colour)


def echo_json(record: dict) -> None:
    """One JSON Lines record on stdout, UTF-8 as is."""
    click.echo(json.dumps(record, ensure_ascii=False))
