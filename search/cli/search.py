"""``mlsearch search`` (also ``--batch`` and ``--explain``), ``show``, ``similar`` and ``stats``."""

from __future__ import annotations

import json
import sys

import click

from indexer.errors import MlsearchError

from .group import (
    EXIT_ERROR,
    EXIT_HITS,
    EXIT_NO_HITS,
    all_copies_option,
    colour_option,
    cross_options,
    handle_errors,
    index_option,
    lang_option,
    limit_option,
    match_options,
    open_searcher,
    page_option,
    safe,
    sort_option,
)
from .output import echo_json, plural, print_hits


@click.command()
@click.argument("query", nargs=-1)
@index_option
@limit_option
@page_option
@sort_option
@lang_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit per line.")
@click.option("--explain", is_flag=True, help="Show how the query was normalised and tokenised.")
@colour_option
@match_options("ranked")
@all_copies_option
@click.option(
    "--batch",
    type=click.Path(dir_okay=False, allow_dash=True),
    metavar="FILE",
    help="One query per line of FILE (- for stdin); JSON Lines out, each with query and line.",
)
@cross_options
@handle_errors
def search(
    query,
    index_dir,
    limit,
    page,
    sort,
    lang,
    as_json,
    explain,
    colour,
    batch,
    match,
    cross,
    glossary,
    all_copies,
):
    """Ranked search. Articles with all the words come first, then those with some (and
    the rarer words), each hit naming the words it lacks; --all-words requires them all,
    +word one. OR, NOT, "exact phrases", title:, lang:zh|ms|en, source:, date:2025,
    date:[2025-09-01 TO 2025-10-31], wild* and fuzzy~ work too."""
    options = {
        "limit": limit,
        "page": page,
        "sort": sort,
        "lang": lang,
        "match": match,
        "cross": cross,
        "collapse": not all_copies,
    }
    if batch is not None:
        if query or explain:
            raise click.UsageError(
                "--batch FILE takes its queries from FILE: no QUERY, no --explain"
            )
        sys.exit(_search_batch(batch, index_dir, glossary, **options))
    if not query:
        raise click.UsageError("missing QUERY (or --batch FILE)")

    text = " ".join(query)
    with open_searcher(index_dir, glossary) as searcher:
        if explain:
            _print_explain(searcher.explain(text, cross=cross, match=match), as_json)
        results = searcher.search(text, **options)
    print_hits(results, page, as_json, colour, limit)


def _search_batch(path: str, index_dir, glossary=(), **options) -> int:
    """Answer each query line of ``path`` with JSON Lines; one Searcher for them all.

    Exit status: 2 if any line failed (its record says why), else 0 if any line had hits,
    else 1.
    """
    from search.searcher import JSON_SCHEMA_VERSION, Searcher

    failed = answered = found = 0
    with (
        Searcher(index_dir, glossary=glossary) as searcher,
        click.open_file(path, "rb") as stream,
    ):
        for line_no, raw in enumerate(stream, 1):
            head = {"schema_version": JSON_SCHEMA_VERSION, "query": "", "line": line_no}
            try:
                text = raw.decode("utf-8").removeprefix("\ufeff").strip()
            except UnicodeDecodeError:
                answered += 1
                failed += 1
                echo_json({**head, "error": "the line is not UTF-8 text"})
                continue
            if not text or text.startswith("#"):
                continue
            head["query"] = text
            answered += 1
            try:
                results = searcher.search(text, suggest=False, **options)
            except MlsearchError as exc:
                failed += 1
                echo_json({**head, "error": exc.message})
                continue
            found += bool(results.hits)
            for hit in results.hits:
                echo_json({**head, **hit.as_json()})
            if not results.hits:
                # Say so: a script feeding `--batch -` would otherwise wait for an answer.
                echo_json({**head, "hits": 0})
    if failed:
        click.echo(
            f"mlsearch: {failed} of {plural(answered, 'query', 'queries')} failed"
            " (see their records)",
            err=True,
        )
        return EXIT_ERROR
    return EXIT_HITS if found else EXIT_NO_HITS


def _print_explain(info: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"explain": info}, ensure_ascii=False), err=True)
        return
    click.echo(f"query:      {safe(info['query'])}", err=True)
    click.echo(f"normalised: {safe(info['normalized'])}", err=True)
    for lang, terms in info["analysis"].items():
        click.echo(f"  {lang:4} -> {safe(' | '.join(terms)) or '(nothing)'}", err=True)
    click.echo(f"parsed:     {safe(info['parsed'])}", err=True)
    matching = info["matching"]
    words = [w["word"] + (" (required)" if w["required"] else "") for w in matching["words"]]
    shown = f": {safe(' | '.join(words))}" if words else ""
    click.echo(f"matching:   {matching['mode']}{shown}", err=True)
    for near in matching["proximity"]:
        click.echo(f"proximity:  {safe(near)}", err=True)
    for phrase in info.get("exact", ()):
        click.echo(
            f'exact:      "{safe(phrase["phrase"])}" matched as written:'
            f" {safe(phrase['as_written'])}",
            err=True,
        )
    for exp in info.get("synonyms", ()):
        _print_expansion("synonyms:", exp, named=True)
    if "cross" in info:
        if not info["cross"]:
            click.echo("cross:      no glossary entry matches the query's words", err=True)
        for exp in info["cross"]:
            _print_expansion("cross:", exp)
    click.echo("", err=True)


def _print_expansion(label: str, exp: dict, named: bool = False) -> None:
    """One expansion: what matched, what was added, and where from (``[glossary.tsv:412,
    org]``; ``named``: its source first, ``[synonyms: glossary.tsv:233, org]``)."""
    added = "; ".join(f"{lang}: {' | '.join(forms)}" for lang, forms in exp["added"].items())
    entry = exp["entry"]
    kind = f", {entry['kind']}" if entry["kind"] else ""
    origin = f"{exp['source']}: " if named else ""
    shown = safe(added) or "(nothing new)"
    where = f"[{safe(origin + entry['source'])}{kind}]"
    click.echo(f"{label:11} {safe(exp['matched'])} ({exp['lang']}) -> {shown}  {where}", err=True)


@click.command()
@click.argument("doc_id", metavar="ID")
@index_option
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def show(doc_id, index_dir, as_json):
    """Print one whole article."""
    from dataclasses import asdict
    from types import SimpleNamespace

    with open_searcher(index_dir) as searcher:
        record = asdict(searcher.get(doc_id))
    if as_json:
        echo_json(record)
        return
    art = SimpleNamespace(**record)
    click.echo(safe(art.title))
    meta = [f"id: {art.id}", f"date: {art.date or '-'}", f"languages: {','.join(art.langs) or '-'}"]
    if art.source:
        meta.append(f"source: {art.source}")
    if art.url:
        meta.append(f"url: {art.url}")
    click.echo(safe("  ".join(meta)))
    click.echo()
    click.echo(safe(art.body))


@click.command()
@click.argument("doc_id", metavar="ID")
@index_option
@limit_option
@page_option
@lang_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit per line.")
@all_copies_option
@colour_option
@cross_options
@handle_errors
def similar(doc_id, index_dir, limit, page, lang, as_json, all_copies, colour, cross, glossary):
    """Articles like article ID (more-like-this), best first.

    Searches for the article's key terms in each of its languages; with --cross also for
    the other-language forms of the glossary entries it mentions most. Exit status 0
    when something similar was found, 1 when nothing was, 2 for an unknown ID.
    """
    with open_searcher(index_dir, glossary) as searcher:
        results = searcher.similar(
            doc_id, limit=limit, page=page, lang=lang, collapse=not all_copies, cross=cross
        )
    if not as_json:
        click.echo(f"like {safe(doc_id)}: {safe(results.query)}", err=True)
        for exp in results.expansions:
            added = "; ".join(f"{lang}: {' | '.join(forms)}" for lang, forms in exp.added.items())
            click.echo(f"  and {safe(exp.matched)} ({exp.lang}) as {safe(added)}", err=True)
    print_hits(results, page, as_json, colour, limit)


@click.command()
@index_option
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def stats(index_dir, as_json):
    """Articles per language and source, date range, index size."""
    from dataclasses import asdict

    from search.searcher import Searcher

    with Searcher(index_dir) as searcher:
        st = searcher.stats()
    if as_json:
        echo_json(asdict(st))
        return
    click.echo(f"index:    {safe(st.index_dir)} ({st.index_bytes / 1e6:.1f} MB)")
    click.echo(f"articles: {st.articles}")
    click.echo(f"dates:    {st.date_min or '-'} to {st.date_max or '-'}")
    click.echo("languages: " + ", ".join(f"{k} {v}" for k, v in st.by_lang.items()))
    click.echo("sources:")
    for name, n in list(st.by_source.items())[:20]:
        click.echo(f"  {n:>7}  {safe(name)}")
    if len(st.by_source) > 20:
        click.echo(f"  … and {len(st.by_source) - 20} more")
