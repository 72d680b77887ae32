"""The ``mlsearch`` group and what its commands share.

Exit statuses (as grep and ripgrep: 0 hits, 1 no hits, 2 error), ``safe`` for text from
articles, the options several commands take, and ``handle_errors``: library errors become
one ``Failure`` line on stderr (and a hint), never a traceback. The commands themselves live
in ``index``, ``search`` and ``saved`` beside this module and are added to ``main`` by the
package's ``__init__``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from contextvars import ContextVar
from dataclasses import dataclass

import click
from click.core import ParameterSource

from indexer.config import DEFAULT_LIMIT
from indexer.errors import MlsearchError

from ..options import MATCH_MODES, MAX_LIMIT, SORTS

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


def match_options(default: str):
    """--match MODE with its two shortcuts, --all-words and --any; the chosen mode arrives
    as ``match`` (``search.matching``)."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, match=None, all_words=False, any_words=False, **kwargs):
            given = [
                n
                for n, v in (("--match", match), ("--all-words", all_words), ("--any", any_words))
                if v
            ]
            if len(given) > 1:
                raise click.UsageError(f"{' and '.join(given)} cannot be used together")
            mode = match or ("all" if all_words else "any" if any_words else default)
            return fn(*args, match=mode, **kwargs)

        wrapper = click.option(
            "--any",
            "any_words",
            is_flag=True,
            help="Articles with any of the words, ranked by plain BM25F (same as --match any).",
        )(wrapper)
        wrapper = click.option(
            "--all-words",
            is_flag=True,
            help="Only articles with every word (same as --match all); +word requires one word.",
        )(wrapper)
        return click.option(
            "--match",
            type=click.Choice(MATCH_MODES),
            default=None,
            help=f"How the words combine: ranked, all or any (default: {default}).",
        )(wrapper)

    return decorate


# The languages of indexer.analyse.languages.LANGS, written out so that starting the command
# does not load the analysis (Whoosh, the normalisers); tests/test_cli_layout.py checks they agree.
LANG_CHOICES = ("zh", "ms", "en")

limit_option = click.option(
    "-n", "--limit", default=DEFAULT_LIMIT, show_default=True, type=click.IntRange(1, MAX_LIMIT)
)
page_option = click.option("--page", default=1, show_default=True, type=click.IntRange(1))
sort_option = click.option(
    "--sort", type=click.Choice(SORTS), default="relevance", show_default=True
)
lang_option = click.option(
    "--lang", type=click.Choice(LANG_CHOICES), help="Only articles in this language."
)
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


# Set by ``mlsearch serve`` while it runs a client's command (``search.serve.commands``):
# ``provide(index_dir, glossary)``, a context manager giving the server's open Searcher.
_SHARED_SEARCHER: ContextVar = ContextVar("mlsearch_shared_searcher", default=None)


@contextlib.contextmanager
def shared_searcher(provide):
    """Within the block, ``open_searcher`` asks ``provide`` instead of opening the index."""
    token = _SHARED_SEARCHER.set(provide)
    try:
        yield
    finally:
        _SHARED_SEARCHER.reset(token)


@contextlib.contextmanager
def open_searcher(index_dir, glossary=()):
    """The Searcher of a command: the index opened for it, or the running server's."""
    provide = _SHARED_SEARCHER.get()
    if provide is not None:
        with provide(index_dir, glossary) as searcher:
            yield searcher
        return
    from search.searcher import Searcher

    with Searcher(index_dir, glossary=glossary) as searcher:
        yield searcher


@dataclass
class GroupOptions:
    """What ``mlsearch`` itself was given, before the command: its ``ctx.obj``."""

    index_dir: str | None = None


def _index_dir(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A command's --index: its own, else ``mlsearch --index``, else MLSEARCH_INDEX."""
    if ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE:
        return value
    given = ctx.find_object(GroupOptions)
    if given is not None and given.index_dir:
        return given.index_dir
    return value


def index_option(fn):
    return click.option(
        "--index",
        "index_dir",
        envvar="MLSEARCH_INDEX",
        type=click.Path(file_okay=False),
        default=None,
        callback=_index_dir,
        help="Index folder [env MLSEARCH_INDEX; default: ./index].",
    )(fn)


class LazyGroup(click.Group):
    """A group whose commands' modules are imported when a command is asked for: a
    ``mlsearch search`` does not import the index, saved and serve commands (Click's
    "lazily loading subcommands"). ``lazy`` maps a command's name to
    ``module.attribute``; ``--help`` and shell completion list them all."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx, name: str):
        if name not in self.commands and name in self.lazy:
            import importlib

            module, _, attribute = self.lazy[name].rpartition(".")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


COMMANDS = {
    "index": "search.cli.index.index",
    "check": "search.cli.index.check",
    "search": "search.cli.search.search",
    "show": "search.cli.search.show",
    "similar": "search.cli.search.similar",
    "stats": "search.cli.search.stats",
    "saved": "search.cli.saved.saved",
    "serve": "search.cli.serve.serve",
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mlsearch", prog_name="mlsearch")
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Index folder for every command [env MLSEARCH_INDEX; default: ./index].",
)
@click.pass_context
def main(ctx, index_dir):
    """Search news in Chinese, Malay and English.

    \b
    mlsearch index FOLDER…          build or update the index
    mlsearch search "东盟 防长"      ranked results with highlighted snippets
    mlsearch show ID                one whole article
    mlsearch similar ID             articles like it
    mlsearch stats                  what the index holds
    mlsearch check                  is the index sound?
    """
    # Each command's own --index option falls back to it (``_index_dir``).
    ctx.ensure_object(GroupOptions).index_dir = index_dir


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
