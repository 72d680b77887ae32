"""The ``mlsearch`` command: a thin layer over ``indexer`` and ``search``.

Exit status, as grep and ripgrep: 0 hits, 1 no hits, 2 error. Library errors become one
line on stderr (and a hint), never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sys

import click

from indexer.config import DEFAULT_CORPUS, DEFAULT_LIMIT, default_index_dir
from indexer.errors import MlsearchError

EXIT_HITS, EXIT_NO_HITS, EXIT_ERROR = 0, 1, 2

# C0 and C1 controls (but tab and newline), DEL, and bidirectional overrides: text from the
# web must not be able to retitle, clear or reorder a terminal.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(text: str | None) -> str:
    """Text fit to print: control characters shown as escapes instead of obeyed."""
    if not text:
        return ""
    return _UNSAFE.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


class Failure(click.ClickException):
    """A user-facing error: one line, exit status 2."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def show(self, file=None) -> None:
        click.echo(f"mlsearch: error: {safe(self.message)}", err=True)
        if self.hint:
            click.echo(f"hint: {safe(self.hint)}", err=True)


def cross_options(fn):
    """--cross and --glossary, for every command that runs queries."""
    fn = click.option(
        "--glossary",
        multiple=True,
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="Your own glossary TSV for --cross (repeatable; also env MLSEARCH_GLOSSARY).",
    )(fn)
    return click.option(
        "--cross",
        is_flag=True,
        help="Also find the words in the other two languages, through the glossary.",
    )(fn)


colour_option = click.option(
    "--color", "--colour", "colour", type=click.Choice(["auto", "always", "never"]), default="auto"
)
all_copies_option = click.option(
    "--all",
    "all_copies",
    is_flag=True,
    help="Every copy of a near-duplicate article, not one hit marked +N similar.",
)


def handle_errors(fn):
    """Turn library exceptions into a Failure; nothing else reaches the user as a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MlsearchError as exc:
            raise Failure(exc.message, exc.hint) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("mlsearch: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # `mlsearch search ... | head`: the reader has gone, which is not an error.
            # Point stdout at nothing so the interpreter's final flush cannot fail again.
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_HITS)
        except OSError as exc:
            raise Failure(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None
        except Exception as exc:
            if os.environ.get("MLSEARCH_DEBUG"):
                raise
            raise Failure(
                f"internal error: {type(exc).__name__}: {exc}",
                hint="set MLSEARCH_DEBUG=1 to see the traceback, and please report it",
            ) from None

    return wrapper


def index_option(fn):
    return click.option(
        "--index",
        "index_dir",
        envvar="MLSEARCH_INDEX",
        type=click.Path(file_okay=False),
        default=None,
        help="Index folder [env MLSEARCH_INDEX; default: ./index].",
    )(fn)


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mlsearch", prog_name="mlsearch")
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Index folder for every command [env MLSEARCH_INDEX; default: ./index].",
)
def main(index_dir):
    """Search news in Chinese, Malay and English.

    \b
    mlsearch index corpus/          build or update the index
    mlsearch search "东盟 防长"      ranked results with highlighted snippets
    mlsearch show ID                one whole article
    mlsearch similar ID             articles like it
    mlsearch stats                  what the index holds
    mlsearch check                  is the index sound?
    """
    if index_dir:
        # Read by each command's own --index option through its envvar.
        os.environ["MLSEARCH_INDEX"] = index_dir


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@index_option
@click.option("--rebuild", is_flag=True, help="Start over: build a new index and swap it in.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress, no list of skipped files.")
@click.option(
    "--wait",
    type=click.FloatRange(0),
    default=None,
    envvar="MLSEARCH_LOCK_TIMEOUT",
    help="Seconds to wait for another indexing run to finish [default: 30].",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Keep running: index again whenever files are added, changed or removed (Ctrl-C stops).",
)
@handle_errors
def index(paths, index_dir, rebuild, as_json, quiet, wait, watch):
    """Add new articles under PATHS (default: corpus/), re-index changed ones, remove deleted ones.

    Reads .txt, .md, .html, .json, .jsonl and .jsonl.gz files, in UTF-8, GB18030/GBK or Big5.
    """
    from indexer.write.build import build_index

    index_dir = index_dir or default_index_dir()
    paths = paths or (DEFAULT_CORPUS,)
    if watch:
        _index_watch(paths, index_dir, rebuild, as_json, quiet, wait)
        return
    progress = None
    show_progress = not quiet and not as_json and sys.stderr.isatty()
    if show_progress:

        def progress(articles, files_done, files_total):
            click.echo(
                f"\r  {articles} articles, {files_done}/{files_total} files", nl=False, err=True
            )

    report = build_index(paths, index_dir, rebuild=rebuild, progress=progress, lock_timeout=wait)
    if show_progress:
        click.echo("\r" + " " * 60 + "\r", nl=False, err=True)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    click.echo(_summary(report, index_dir))
    for note in report.notes:
        click.echo(f"note: {safe(note)}", err=True)
    if not quiet:
        for s in report.skipped:
            where = f"{s.path}:{s.line}" if s.line else s.path
            click.echo(f"  skipped {safe(where)}: {safe(s.reason)}", err=True)


def _summary(report, index_dir) -> str:
    verb = "rebuilt" if report.rebuilt else "updated"
    return (
        f"index {verb}: {report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped "
        f"({report.files} files, {report.seconds:.1f} s) -> {safe(str(index_dir))}"
    )


def _index_watch(paths, index_dir, rebuild, as_json, quiet, wait) -> None:
    """index --watch: one line per change on stdout (JSON with --json) until Ctrl-C."""
    import signal
    import threading

    from indexer.write.watch import watch

    stop = threading.Event()
    runs = 0

    def on_event(event) -> None:
        nonlocal runs
        if as_json:
            click.echo(json.dumps(event.as_dict(), ensure_ascii=False))
        elif event.kind == "indexed":
            runs += 1
            if runs == 1:
                click.echo(_summary(event.report, index_dir))
            for note in event.report.notes:
                click.echo(f"note: {safe(note)}", err=True)
        elif event.kind in ("added", "updated", "removed"):
            click.echo(f"{event.kind} {safe(event.path)}")
        elif event.kind == "skipped" and not quiet:
            click.echo(f"  skipped {safe(event.path)}: {safe(event.message)}", err=True)
        elif event.kind == "error":
            click.echo(f"mlsearch: error: {safe(event.message)}", err=True)
        elif event.kind == "watching" and not quiet:
            click.echo(f"watching {safe(event.message)} (Ctrl-C to stop)", err=True)
        elif event.kind == "stopped" and not quiet:
            click.echo("stopped", err=True)

    # A service manager's SIGTERM stops as cleanly as Ctrl-C: after the run in progress.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if main_thread else None
    try:
        watch(paths, index_dir, on_event, stop, rebuild=rebuild, lock_timeout=wait)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


@main.command()
@click.argument("query", nargs=-1)
@index_option
@click.option(
    "-n", "--limit", default=DEFAULT_LIMIT, show_default=True, type=click.IntRange(1, 10000)
)
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option(
    "--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True
)
@click.option(
    "--lang", type=click.Choice(["zh", "ms", "en"]), help="Only articles in this language."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit per line.")
@click.option("--explain", is_flag=True, help="Show how the query was normalised and tokenised.")
@colour_option
@click.option(
    "--any",
    "any_words",
    is_flag=True,
    help="Articles with any of the words, ranked (OR instead of AND).",
)
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
    any_words,
    cross,
    glossary,
    all_copies,
):
    """Ranked search. Words are ANDed; OR, NOT, "phrases", title:, lang:zh|ms|en, source:,
    date:2025, date:[2025-09-01 TO 2025-10-31], wild* and fuzzy~ work too."""
    from search.searcher import Searcher

    options = {
        "limit": limit,
        "page": page,
        "sort": sort,
        "lang": lang,
        "any_words": any_words,
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
    with Searcher(index_dir, glossary=glossary) as searcher:
        if explain:
            _print_explain(searcher.explain(text, cross=cross), as_json)
        results = searcher.search(text, fallback=True, **options)
    _print_hits(results, page, as_json, colour)


def _print_hits(results, page: int, as_json: bool, colour: str) -> None:
    """Hits as search shows them (or JSON Lines); exit 1 when there are none."""
    for note in results.notes:
        click.echo(f"note: {safe(note)}", err=True)
    if as_json:
        for hit in results.hits:
            click.echo(json.dumps(hit.as_json(), ensure_ascii=False))
    else:
        _print_results(results, use_colour(colour))
    if results.suggestion:
        click.echo(f"did you mean: {safe(results.suggestion)}", err=True)
    if results.total == 0:
        sys.exit(EXIT_NO_HITS)
    if not results.hits:
        click.echo(f"no hits on page {page} (of {results.total} hits)", err=True)
        sys.exit(EXIT_NO_HITS)


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
                click.echo(json.dumps({**head, "error": "the line is not UTF-8 text"}))
                continue
            if not text or text.startswith("#"):
                continue
            head["query"] = text
            answered += 1
            try:
                results = searcher.search(text, suggest=False, **options)
            except MlsearchError as exc:
                failed += 1
                click.echo(json.dumps({**head, "error": exc.message}, ensure_ascii=False))
                continue
            found += bool(results.hits)
            for hit in results.hits:
                click.echo(json.dumps({**head, **hit.as_json()}, ensure_ascii=False))
            if not results.hits:
                # Say so: a script feeding `--batch -` would otherwise wait for an answer.
                click.echo(json.dumps({**head, "hits": 0}, ensure_ascii=False))
    if failed:
        click.echo(f"mlsearch: {failed} of {answered} queries failed (see their records)", err=True)
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
    if "cross" in info:
        if not info["cross"]:
            click.echo("cross:      no glossary entry matches the query's words", err=True)
        for exp in info["cross"]:
            added = "; ".join(
                f"{lang}: {' | '.join(forms)}" for lang, forms in exp["added"].items()
            )
            entry = exp["entry"]
            kind = f", {entry['kind']}" if entry["kind"] else ""
            shown = safe(added) or "(nothing new)"
            where = f"[{safe(entry['source'])}{kind}]"
            click.echo(
                f"cross:      {safe(exp['matched'])} ({exp['lang']}) -> {shown}  {where}", err=True
            )
    click.echo("", err=True)


def _print_results(results, colour: bool) -> None:
    if results.total == 0:
        click.echo("no hits", err=True)
        return
    first = results.hits[0].rank if results.hits else 0
    last = results.hits[-1].rank if results.hits else 0
    click.echo(f"{results.total} hits, showing {first}–{last}", err=True)
    for hit in results.hits:
        meta = " · ".join(
            x for x in (hit.date or "no date", ",".join(hit.langs), hit.source or "", hit.id) if x
        )
        title = mark(hit.title or "(untitled)", hit.title_highlights, colour)
        head = click.style(f"{hit.rank:>3}.", bold=True) if colour else f"{hit.rank:>3}."
        click.echo(f"{head} {title}{similar_mark(hit, colour)}", color=colour)
        click.echo(
            f"     {click.style(safe(meta), dim=True) if colour else safe(meta)}", color=colour
        )
        click.echo(f"     {mark(hit.snippet, hit.highlights, colour)}", color=colour)
        click.echo()


@main.command()
@click.argument("doc_id", metavar="ID")
@index_option
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def show(doc_id, index_dir, as_json):
    """Print one whole article."""
    from dataclasses import asdict

    from search.searcher import Searcher

    with Searcher(index_dir) as searcher:
        art = searcher.get(doc_id)
    if as_json:
        click.echo(json.dumps(asdict(art), ensure_ascii=False))
        return
    click.echo(safe(art.title))
    meta = [f"id: {art.id}", f"date: {art.date or '-'}", f"languages: {','.join(art.langs) or '-'}"]
    if art.source:
        meta.append(f"source: {art.source}")
    if art.url:
        meta.append(f"url: {art.url}")
    click.echo(safe("  ".join(meta)))
    click.echo()
    click.echo(safe(art.body))


@main.command()
@click.argument("doc_id", metavar="ID")
@index_option
@click.option(
    "-n", "--limit", default=DEFAULT_LIMIT, show_default=True, type=click.IntRange(1, 10000)
)
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option(
    "--lang", type=click.Choice(["zh", "ms", "en"]), help="Only articles in this language."
)
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
    from search.searcher import Searcher

    with Searcher(index_dir, glossary=glossary) as searcher:
        results = searcher.similar(
            doc_id, limit=limit, page=page, lang=lang, collapse=not all_copies, cross=cross
        )
    if not as_json:
        click.echo(f"like {safe(doc_id)}: {safe(results.query)}", err=True)
        for exp in results.expansions:
            added = "; ".join(f"{lang}: {' | '.join(forms)}" for lang, forms in exp.added.items())
            click.echo(f"  and {safe(exp.matched)} ({exp.lang}) as {safe(added)}", err=True)
    _print_hits(results, page, as_json, colour)


@main.command()
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
        click.echo(json.dumps(asdict(st), ensure_ascii=False))
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


@main.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handle_errors
def check(index_dir, as_json):
    """Read the whole index and say whether it is sound.

    Reads every segment (every posting, stored field and column), checks document counts,
    unique ids and agreement with the incremental state. Exit status 0 when sound, 2 when
    not (with the command that repairs it).
    """
    from indexer.write.check import check_index

    index_dir = index_dir or default_index_dir()
    report = check_index(index_dir)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        click.echo(f"index:    {safe(report.index_dir)} (generation {report.generation})")
        for seg in report.segments:
            status = "ok" if not seg.problems else f"{seg.problems} problem(s)"
            click.echo(
                f"segment:  {safe(seg.name)}: {seg.documents} documents ({seg.deleted} deleted), "
                f"{seg.terms} terms, {seg.postings} postings: {status}"
            )
        click.echo(f"articles: {report.articles}")
        for note in report.notes:
            click.echo(f"note: {safe(note)}")
        for problem in report.problems:
            click.echo(f"problem: {safe(problem)}")
        if report.sound:
            click.echo("sound: every posting, stored field and column read; ids unique")
        else:
            click.echo(f"damaged: {len(report.problems)} problem(s)")
            click.echo(f"fix: {safe(report.fix)}")
    if not report.sound:
        sys.exit(EXIT_ERROR)


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell):
    """Print the completion script for SHELL.

    \b
    bash:  eval "$(mlsearch completion bash)"     in ~/.bashrc
    zsh:   eval "$(mlsearch completion zsh)"      in ~/.zshrc
    fish:  mlsearch completion fish > ~/.config/fish/completions/mlsearch.fish
    """
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    click.echo(cls(main, {}, "mlsearch", "_MLSEARCH_COMPLETE").source())


if __name__ == "__main__":
    # python -m search.cli: run the importable module, where the saved group is registered.
    from search.cli import main

    main()
else:
    from search.cli_saved import saved  # it imports from this module: keep it last

    main.add_command(saved)
