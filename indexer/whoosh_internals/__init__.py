"""The one place mlsearch touches Whoosh's private API.

Whoosh (the pinned fork ``whoosh3``) offers no public way to read a term's postings a block
at a time, a column whole, or to hand its collectors a match that is already scored; the
speed of search depends on all three. Everything that reads a private attribute or
overrides a private method of Whoosh is in this package, behind small functions and
classes, so that an upgrade of the pin has one place to look and
``tests/test_whoosh_internals_read.py`` to run: each private thing relied on has a test
there that fails, naming the module that relies on it, when Whoosh changes it.

Read side (search): ``postings`` (posting blocks), ``columns`` (column values, field
lengths), ``collector`` (a collector base that takes scored matches).
"""
