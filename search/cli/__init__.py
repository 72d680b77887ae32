"""The ``mlsearch`` command, built with Click; ``search.cli.entry:run`` is the console script.

A thin layer over ``indexer`` and ``search``, one module per concern:

``group``
    the ``main`` group, exit statuses, shared options, error handling, ``safe`` text
``output``
    hits as printed: colour or ``**markers**``, the +N similar and [new] marks, JSON Lines
``index``
    ``index`` (and ``--watch``), ``check``
``search``
    ``search`` (and ``--batch``, ``--explain``), ``show``, ``similar``, ``stats``
``saved``
    ``saved add|list|show|rm|run``
``serve``
    ``serve``: the HTTP server (``search.serve``)

The command modules import ``group`` and ``output`` only, never each other nor this
package, so there is no import cycle; ``main`` imports a command's module when the command
is asked for (``group.LazyGroup``), so a search does not import the others. The console
script is ``entry``: a running server answers ``search``, ``show`` and ``similar`` before
any of this is imported.
"""

from __future__ import annotations

__all__ = ["main"]


def __getattr__(name):
    # Loaded on first use: the console script (``search.cli.entry``) imports this package
    # before it knows whether a running server will answer, and then needs none of it.
    # The commands' modules are imported when a command is asked for (``group.COMMANDS``).
    if name != "main":
        raise AttributeError(name)
    from .group import main

    globals()["main"] = main
    return main
