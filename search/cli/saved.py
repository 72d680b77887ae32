"""``mlsearch saved``: save queries, list them, run them, see what is new.

A thin layer over ``search.saved``; added to the main group by the package's ``__init__``.
"""

from __future__ import annotations

import sys

import click

from .group import (
    EXIT_HITS,
    EXIT_NO_HITS,
    colour_option,
    handle_errors,
    index_option,
    lang_option,
    limit_option,
    match_options,
    safe,
    sort_option,
)
from .output import echo_json, new_mark, plural, print_hit, use_colour


def _complete_names(ctx, param, incomplete):
    """Shell completion of saved query names (quietly none when anything is wrong)."""
    try:
        from ..saved import load_saved

        names = load_saved(ctx.params.get("index_dir"))
    except Exception:
        return []
    return [name for name in names if name.startswith(incomplete)]


@click.group()
def saved():
    """Saved queries: follow topics, see what is new since the last run.

    \b
    mlsearch saved add sea "South China Sea" --sort date
    mlsearch saved run sea --new     only what the last run had not found
    mlsearch saved run --all --new   one report over every saved query
    mlsearch saved list

    Kept in saved.toml in the index folder: edit it by hand if you like.
    """


@saved.command("add")
@click.argument("name")
@click.argument("query", nargs=-1, required=True)
@index_option
@limit_option
@sort_option
@lang_option
@click.option(
    "--date",
    "date_spec",
    metavar="SPEC",
    help="Only articles of these dates, as date: in a query: 2025, 2025-10, [2025-09-01 TO].",
)
@click.option(
    "--cross",
    is_flag=True,
    help="Also find the words in the other two languages, through the glossary.",
)
@match_options("all")
@click.option("--replace", is_flag=True, help="Replace a saved query of the same name.")
@handle_errors
def add(name, query, index_dir, limit, sort, lang, date_spec, cross, match, replace):
    """Save QUERY (words as for search) under NAME, with its search options."""
    from ..saved import SavedQuery, add_saved, saved_path

    sq = SavedQuery(
        name=name,
        query=" ".join(query),
        limit=limit,
        sort=sort,
        lang=lang,
        date=date_spec,
        cross=cross,
        match=match,
    )
    add_saved(sq, index_dir, replace=replace)
    click.echo(f"saved {safe(name)}: {safe(sq.query)} -> {safe(str(saved_path(index_dir)))}")


@saved.command("list")
@index_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per saved query.")
@handle_errors
def list_(index_dir, as_json):
    """Saved queries: name, query, last run and its hit count."""
    from ..saved import list_saved, saved_path

    statuses = list_saved(index_dir)
    if as_json:
        for st in statuses:
            echo_json(st.as_dict())
        return
    if not statuses:
        click.echo(f"no saved queries in {safe(str(saved_path(index_dir)))}", err=True)
        return
    rows = [("NAME", "QUERY", "LAST RUN", "HITS")]
    for st in statuses:
        hits = "-" if st.hits is None else str(st.hits)
        rows.append(
            (safe(st.saved.name), _clip(_one_line(st.saved.query), 48), _when(st.last_run), hits)
        )
    widths = [max(_width(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [_pad(cell, w) for cell, w in zip(row, widths, strict=False)]
        click.echo(f"{cells[0]}  {cells[1]}  {cells[2]}  {row[3]:>4}")


def _one_line(text: str) -> str:
    return safe(" ".join(text.split()))


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _clip(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    while _width(text) > width - 1:
        text = text[:-1]
    return text + "…"


def _when(iso: str | None) -> str:
    return iso.replace("T", " ")[:16] if iso else "never"


@saved.command("show")
@click.argument("name", shell_complete=_complete_names)
@index_option
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def show(name, index_dir, as_json):
    """One saved query: its options and its last run."""
    from ..saved import saved_status

    st = saved_status(name, index_dir)
    if as_json:
        echo_json(st.as_dict())
        return
    sq = st.saved
    rows = [
        ("name", sq.name),
        ("query", _one_line(sq.query)),
        ("limit", str(sq.limit)),
        ("sort", sq.sort),
        ("lang", sq.lang or "any"),
        ("date", sq.date or "any"),
        ("cross", "yes: also in the other languages, through the glossary" if sq.cross else "no"),
        ("runs as", _one_line(sq.full_query())),
        ("last run", st.last_run or "never"),
    ]
    if st.last_run:
        rows.append(("hits", f"{st.hits} ({st.new} new)"))
        rows.append(("seen", f"{plural(st.seen, 'article')} so far"))
    for key, value in rows:
        click.echo(f"{key + ':':<10}{safe(value)}")


@saved.command("rm")
@click.argument("names", nargs=-1, required=True, metavar="NAME…", shell_complete=_complete_names)
@index_option
@handle_errors
def rm(names, index_dir):
    """Remove saved queries (and what their runs have seen)."""
    from ..saved import remove_saved

    remove_saved(names, index_dir)
    for name in dict.fromkeys(names):
        click.echo(f"removed {safe(name)}")


@saved.command("run")
@click.argument("names", nargs=-1, metavar="NAME…", shell_complete=_complete_names)
@index_option
@click.option("--all", "run_all", is_flag=True, help="Run every saved query.")
@click.option("--new", "only_new", is_flag=True, help="Only hits no earlier run had found.")
@click.option(
    "--since", metavar="DATE", help="Only articles dated DATE or later (2025-10-29, 2025-10)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit per line.")
@colour_option
@handle_errors
def run(names, index_dir, run_all, only_new, since, as_json, colour):
    """Run saved queries and record what they found.

    Exit status 0 when something was listed (with --new: something new), 1 when nothing
    was, 2 on error.
    """
    from ..saved import run_saved

    if run_all and names:
        raise click.UsageError("give NAMEs or --all, not both")
    if not run_all and not names:
        raise click.UsageError("give the NAME of a saved query, or --all")
    runs = run_saved(None if run_all else names, index_dir, new=only_new, since=since)
    if not runs:
        click.echo("no saved queries: add one with mlsearch saved add NAME QUERY", err=True)
        sys.exit(EXIT_NO_HITS)
    listed = 0
    colour = use_colour(colour) and not as_json
    for n, r in enumerate(runs):
        listed += len(r.hits)
        if as_json:
            for hit in r.hits:
                echo_json(hit.as_json())
            continue
        if n:
            click.echo()
        click.echo(_run_header(r, colour), color=colour)
        for hit in r.hits:
            print_hit(hit, colour, tag=new_mark(hit, colour))
    sys.exit(EXIT_HITS if listed else EXIT_NO_HITS)


def _run_header(r, colour: bool) -> str:
    name = click.style(r.saved.name, bold=True) if colour else r.saved.name
    head = f"== {name}: {_one_line(r.saved.query)} — "
    if r.first_run:
        head += f"{plural(r.total, 'hit')}, first run: every hit is new"
        if len(r.hits) < r.total:
            head += f" (showing the top {len(r.hits)})"
    elif r.only_new:
        head += f"{r.new} new" if r.new else "nothing new"
        head += f" of {plural(r.total, 'hit')} since the last run ({_when(r.previous_run)})"
    else:
        head += (
            f"{plural(r.total, 'hit')}, {r.new} new since the last run ({_when(r.previous_run)})"
        )
    if r.since:
        head += f", dated {r.since} or later"
    return head
