"""The one place mlsearch touches Whoosh's private API.

Whoosh (the pinned fork ``whoosh3``, exactly 3.54.0 in setup.cfg) offers no public way to
write postings in bulk, to fail loudly when a writer sub-process dies, to read a term's
postings a block at a time or a column whole, or to hand its collectors a match that is
already scored; indexing and search speed depend on these. Everything that reads a private
attribute or overrides a private method of Whoosh is in this package, behind small
functions and classes, so that an upgrade of the pin has one place to look and two test
files to run: ``tests/test_whoosh_internals_write.py`` and
``tests/test_whoosh_internals_read.py`` each check every private thing relied on, and fail
naming the module that relies on it when Whoosh changes it.

Write side (indexing):

* ``pool.py``: ``whoosh.writing.PostingPool`` subclassed (``_write_run``, ``_read_run``,
  ``_open_run``, ``_remove_run``; its ``current``, ``runs``, ``limit``), and put on a writer
  through ``SegmentWriter``'s ``pool``, ``_tempstorage`` and ``newsegment``, since
  ``SegmentWriter(poolclass=…)`` is accepted and ignored; in a parallel run's sub-processes,
  ``whoosh.writing.PostingPool`` itself, which ``SubWriterTask.run`` builds its writer's pool
  from.
* ``mpwriter.py``: ``whoosh.multiproc.MpWriter``'s ``_new_task``, ``_enqueue``, ``_commit``
  and ``cancel`` overridden, using its ``tasks``, ``jobqueue``, ``resultqueue``,
  ``subargs``, ``docbuffer``, ``_mpctx``, ``_added``, ``_merge_segments``,
  ``_finalize_segment``, ``_close_segment``, ``_commit_toc`` and ``_finish``; and
  ``SubWriterTask(storage, indexname, jobqueue, resultqueue, kwargs, multisegment).run()``.
* ``merging.py``: ``whoosh.writing.MERGE_SMALL`` given a stand-in for the writer, relying on
  it adding the segments it merges through ``writer.add_reader`` (and reading the rest of
  the writer's attributes through the stand-in).
* ``segments.py`` (for ``mlsearch check``): ``Index._segments()``,
  ``SegmentReader._terms`` (``items()``, ``matcher()``), ``W3LeafMatcher``'s block
  internals (``_read_ids``, ``_read_weights``, ``_read_values``, ``_next_block``, ``_ids``,
  ``_weights``, ``_values``, ``_blocklength``), and which of whoosh's source files decode
  index files.

Both sides:

* ``codec.py``: mlsearch's codec (``W3Codec`` subclassed through whoosh's ``Codec`` seam):
  ``W3FieldWriter``, ``W3PostingsWriter`` (``_ids``, ``_weights``, ``_values``,
  ``_blockcount``, ``_terminfo``, ``_new_block``), ``W3TermInfo`` (its statistics
  attributes), ``W3TermsReader`` (``_keycoder``, ``_keydecoder``, ``_tindex``) and
  ``W3LeafMatcher`` (its block walk, which reads ``_goto``, ``_read_*``) subclassed.

Read side (search):

* ``postings.py``: posting blocks of a term (ids, weights, positions), live document
  frequencies.
* ``columns.py``: a column's values whole, its default, variable-length byte columns, the
  field-length columns.
* ``collector.py``: a collector base that takes matches already scored (``_collect`` and
  ``_results`` overridden).
"""
