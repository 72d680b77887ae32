"""Write: bringing the index up to date with the articles, and keeping it sound.

``build`` (``build_index``: one incremental pass), ``state`` (``state.json``), ``changes``
(which files changed since last time), ``parallel`` (several processes), ``locking`` (one
writer at a time), ``progress`` (what a run tells its caller as it goes), ``watch``
(``index --watch``) and ``check`` (``mlsearch check``).
"""
