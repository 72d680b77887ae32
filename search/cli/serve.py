"""``mlsearch serve``: the index over HTTP, for the browser page and the JSON API."""

from __future__ import annotations

import click

from .group import handle_errors, index_option, safe


@click.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0: any free port.",
)
@click.option(
    "--token",
    envvar="MLSEARCH_TOKEN",
    metavar="TOKEN",
    help="Every API request must send Authorization: Bearer TOKEN "
    "(needed off 127.0.0.1) [env MLSEARCH_TOKEN].",
)
@click.option(
    "--allow-origin",
    "allow_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let pages from ORIGIN (http://host:port, or *) call the API (repeatable).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes answering side by side, each with the index open (one per core).",
)
@handle_errors
def serve(index_dir, host, port, token, allow_origins, workers):
    """Serve the index over HTTP: a page to search in a browser at / and a JSON API
    at /api/ (see README, "HTTP API"). Runs until Ctrl-C or SIGTERM; sees new commits of
    the index (an index --watch beside it) without a restart."""
    from indexer.config import default_index_dir

    from ..serve.server import serve as run_server

    def announce(url):
        click.echo(
            f"serving {safe(str(index_dir or default_index_dir()))} at {url} (Ctrl-C to stop)",
            err=True,
        )

    run_server(
        index_dir or default_index_dir(),
        host=host,
        port=port,
        token=token or None,
        allow_origins=allow_origins,
        announce=announce,
        workers=workers,
    )
