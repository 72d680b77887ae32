"""A base for collectors that take matches already scored (Whoosh's private API).

Whoosh's ``ScoredCollector`` scores each match through its matcher and hands it to the
private hook ``_collect(global_docnum, score)``; its results are built by the private
``_results(items)``. ``ScoredMatchCollector`` is the one subclass that overrides and calls
them: its subclasses implement ``add`` (the hook's work, also called directly by code that
scored the match itself) and call ``results_of``.
"""

from __future__ import annotations

from whoosh import collectors


class ScoredMatchCollector(collectors.ScoredCollector):
    """A whoosh collector whose matches arrive in ``add(global_docnum, score)``: from
    whoosh's own search (``searcher.search_with_collector``), or directly from a caller that
    scored them (after ``prepare``). ``top_searcher`` is set by ``prepare``, as in whoosh."""

    def add(self, global_docnum: int, score: float):
        """One match of the search; returns its sort key, as whoosh's collectors do."""
        raise NotImplementedError

    def _collect(self, global_docnum, score):
        return self.add(global_docnum, score)

    def results_of(self, items: list[tuple[float, int]]):
        """Whoosh ``Results`` of ``(score, global docnum)`` items, in that order."""
        return self._results(items)
