"""A page of whoosh results as ``Hit`` dataclasses: stored fields, a snippet and highlights
for the query's words, and the near-duplicate copies collapsed into each hit."""

from __future__ import annotations

from indexer.config import SNIPPET_COLUMNS
from indexer.schema import unpack_body

from .collect import Snapshot, matching_docs
from .query import positive_terms
from .results import Hit, iso_date, split_langs
from .snippets import find_spans, make_snippet, needles_from


def build_hits(snap: Snapshot, results, q, matching=None) -> list[Hit]:
    """Hit dataclasses of a page of Whoosh results, with snippets for the words of ``q``.

    ``matching``: the results were collapsed; this query (``q`` with its filters) finds
    the other copies of each hit that matched as well, to count and name them.
    """
    from whoosh import query as wq

    searcher = snap.searcher
    reader = searcher.reader()
    needles = needles_from(positive_terms(q), reader)
    # the groups that two or more matches have (search.collect.Page): another hit has
    # no copy among them, and is not looked up in every segment's dictionary for one;
    # None (whoosh's matcher path): a group of two or more articles is searched
    repeated = getattr(results, "repeated", None)
    hits = []
    for hit in results:
        stored = hit.fields()
        body = unpack_body(stored["body"])
        snippet, highlights = make_snippet(body, find_spans(body, needles), SNIPPET_COLUMNS)
        title = stored.get("title", "")
        group = stored.get("dup")
        others: list[str] = []
        if (
            matching is not None
            and group
            and (
                reader.doc_frequency("dup", group) > 1
                if repeated is None
                else group.encode("utf-8") in repeated
            )
        ):
            # The copies collapsed into this hit: only a group two or more matches have.
            copies = matching_docs(snap, wq.And([wq.Term("dup", group), matching]))
            ids = (searcher.stored_fields(d)["id"] for _score, d in copies)
            others = [i for i in ids if i != stored["id"]]
        hits.append(
            Hit(
                rank=hit.rank + 1,
                id=stored["id"],
                score=float(hit.score or 0.0),
                title=title,
                date=iso_date(stored.get("date")),
                langs=split_langs(stored.get("lang")),
                source=stored.get("source"),
                url=stored.get("url"),
                snippet=snippet,
                highlights=highlights,
                group=group,
                similar=len(others),
                similar_ids=others,
                title_highlights=[list(s) for s in find_spans(title, needles)],
                path=stored.get("path"),
            )
        )
    return hits
