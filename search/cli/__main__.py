"""``python -m search.cli``: the ``mlsearch`` command."""

from search.cli.entry import run_module

run_module()
