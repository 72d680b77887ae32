"""Write: bringing the index up to date with the articles, and keeping it sound.

``build`` (``build_index``: one incremental pass), ``state`` (``state.json``), ``changes``
(which files changed since last time), ``parallel`` (several processes), ``locking`` (one
writer at a time), ``watch`` (``index --watch``) and ``check`` (``mlsearch check``).
"""
