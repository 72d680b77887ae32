"""``Ranked.combine``'s arithmetic done a group of documents at a time (search.matching
``_combined``): the same floats, in the same order, as a document at a time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from search.matching import Ranked, _combined

scores = st.floats(min_value=0.0, max_value=50.0, allow_nan=False)
part = st.dictionaries(st.integers(0, 60), scores, max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(part, min_size=1, max_size=5),
    raw_weights=st.lists(st.floats(0.5, 9.0), min_size=5, max_size=5),
    mode=st.sampled_from(["ranked", "all", "any"]),
)
def test_grouped_sums_are_those_of_one_document_at_a_time(parts, raw_weights, mode):
    weights = raw_weights[: len(parts)]
    q = Ranked([wq.Term("body_en", f"w{i}") for i in range(len(parts))], mode=mode)
    docs = set().union(*parts)
    total = sum(weights) or 1.0
    fast = _combined(parts, weights, docs, total, mode != "ranked")
    slow = q._combined_slowly(parts, weights, docs, total)
    assert list(fast.items()) == list(slow.items())  # same floats, same order


def test_combine_keeps_its_modes():
    parts = [{1: 2.0, 2: 1.0}, {2: 3.0, 3: 0.5}]
    weights = [1.0, 3.0]
    ranked = Ranked([wq.Term("body_en", "a"), wq.Term("body_en", "b")], mode="ranked")
    got = ranked.combine(parts, weights)
    assert got == {1: 2.0 * (1 / 4) ** 2, 2: 4.0, 3: 0.5 * (3 / 4) ** 2}
    every = Ranked([wq.Term("body_en", "a"), wq.Term("body_en", "b")], mode="all")
    assert every.combine(parts, weights) == {2: 4.0}
