"""The one place mlsearch touches Whoosh's private API (whoosh3 pinned to 3.54.0)."""
