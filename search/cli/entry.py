"""The ``mlsearch`` console script (and ``python -m search.cli``).

A server running for the index runs ``search``, ``show`` and ``similar`` itself
(``search.serve.client.forward``): this module is kept to the standard library so that
such a command starts without importing Click or anything of the index. Everything else,
or with no server, is the Click command ``search.cli.main``.
"""

from __future__ import annotations

import os
import sys


def run(prog: str | None = None) -> None:
    prog = prog or os.path.basename(sys.argv[0])
    from search.serve.client import forward

    status = forward(sys.argv[1:], prog)
    if status is not None:
        sys.exit(status)
    from search.regexcache import install

    install()  # before the imports that compile their patterns
    from search.cli import main

    main(prog_name=prog)


def run_module() -> None:
    """``python -m search.cli``: as Click names the program run that way."""
    run("python -m search.cli")
