"""The one place mlsearch touches Whoosh's private API.

whoosh3 is pinned to exactly 3.54.0 (setup.cfg); ``tests/test_whoosh_internals_write.py``
checks each thing below, and names the module that relies on it when one changes.

Write side:

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
* ``segments.py`` (for ``mlsearch check``): ``Index._segments()``,
  ``SegmentReader._terms`` (``items()``, ``matcher()``), ``W3LeafMatcher``'s block
  internals (``_read_ids``, ``_read_weights``, ``_read_values``, ``_next_block``, ``_ids``,
  ``_weights``, ``_values``, ``_blocklength``), and which of whoosh's source files decode
  index files.
"""
