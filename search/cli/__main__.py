"""``python -m search.cli``: the ``mlsearch`` command."""

from search.cli import main

main()
