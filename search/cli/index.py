"""``mlsearch index`` (once, or ``--watch``) and ``mlsearch check``."""

from __future__ import annotations

import sys

import click

from indexer.config import DEFAULT_CORPUS, default_index_dir

from .group import EXIT_ERROR, handle_errors, index_option, safe
from .output import echo_json


@click.command()
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
@click.option(
    "--optimize",
    is_flag=True,
    help="Then merge the index into one segment (faster searches, a smaller index; "
    "takes about half as long as building it).",
)
@handle_errors
def index(paths, index_dir, rebuild, as_json, quiet, wait, watch, optimize):
    """Add new articles under PATHS (default: corpus/), re-index changed ones, remove deleted ones.

    Reads .txt, .md, .html, .json, .jsonl and .jsonl.gz files, in UTF-8, GB18030/GBK or Big5.
    """
    from indexer.write.build import build_index

    index_dir = index_dir or default_index_dir()
    paths = paths or _default_paths(index_dir)
    if watch:
        if optimize:
            raise click.UsageError("--optimize merges once: it does not go with --watch")
        _index_watch(paths, index_dir, rebuild, as_json, quiet, wait)
        return
    progress = None
    if not quiet and not as_json:
        from .progress import ProgressDisplay

        progress = ProgressDisplay(live=sys.stderr.isatty())
    try:
        report = build_index(
            paths,
            index_dir,
            rebuild=rebuild,
            progress=progress,
            lock_timeout=wait,
            optimize=optimize,
        )
    finally:
        if progress is not None:
            progress.close()
    if as_json:
        echo_json(report.as_dict())
        return
    click.echo(_summary(report, index_dir))
    if report.optimized:
        click.echo(f"merged {report.optimized} segments into one")
    for note in report.notes:
        click.echo(f"note: {safe(note)}", err=True)
    if not quiet:
        for s in report.skipped:
            where = f"{s.path}:{s.line}" if s.line else s.path
            click.echo(f"  skipped {safe(where)}: {safe(s.reason)}", err=True)


def _default_paths(index_dir) -> tuple[str, ...]:
    """No PATHS: ``corpus/`` when there is one here, else an error whose hint names the
    folders the index was built from (when it knows them)."""
    from pathlib import Path

    from indexer.errors import MlsearchError
    from indexer.write.hints import index_command

    if Path(DEFAULT_CORPUS).exists():
        return (DEFAULT_CORPUS,)
    raise MlsearchError(
        f"no folder to index: give the folders of articles (there is no {DEFAULT_CORPUS}/ here)",
        hint=index_command(index_dir),
    )


def _summary(report, index_dir) -> str:
    from .output import plural

    verb = "rebuilt" if report.rebuilt else "updated"
    return (
        f"index {verb}: {report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped "
        f"({plural(report.files, 'file')}, {report.seconds:.1f} s) "
        f"-> {safe(str(index_dir))}"
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
            echo_json(event.as_dict())
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


@click.command()
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
        echo_json(report.as_dict())
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
