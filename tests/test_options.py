"""search.options: each search option checked in one place, with the message users see."""

from __future__ import annotations

import pytest

from indexer.errors import QuerySyntaxError
from search.options import (
    check_date_spec,
    check_lang,
    check_limit,
    check_page,
    check_sort,
    is_date_spec,
)


@pytest.mark.parametrize(
    "check, message",
    [
        (lambda: check_limit(0), "limit must be at least 1"),
        (lambda: check_limit(0, 10000), "limit must be between 1 and 10000"),
        (lambda: check_limit(10001, 10000), "limit must be between 1 and 10000"),
        (lambda: check_page(0), "page must be at least 1"),
        (lambda: check_sort("random"), "unknown sort 'random' (use relevance or date)"),
        (lambda: check_lang("fr"), "unknown language 'fr' (use zh, ms or en)"),
        (lambda: check_date_spec("2025 TO 2026"), "cannot read the date '2025 TO 2026'"),
    ],
)
def test_a_bad_option_is_one_message(check, message):
    with pytest.raises(QuerySyntaxError) as info:
        check()
    assert info.value.message == message


def test_good_options_pass():
    check_limit(1)
    check_limit(20000)  # the library has no upper bound; commands and saved queries do
    check_limit(10000, 10000)
    check_page(3)
    for sort in ("relevance", "date"):
        check_sort(sort)
    for lang in (None, "zh", "ms", "en"):
        check_lang(lang)
    for spec in (None, "2025", "2025-10-29", "[2025-09-01 TO]", "{2025 TO 2026}"):
        check_date_spec(spec)
    assert not is_date_spec("") and not is_date_spec("2025 TO")


def test_the_searcher_checks_its_options_the_same_way(searcher):
    with pytest.raises(QuerySyntaxError, match=r"^unknown sort 'x' \(use relevance or date\)$"):
        searcher.search("ASEAN", sort="x")
    with pytest.raises(QuerySyntaxError, match=r"^page must be at least 1$"):
        searcher.similar("zh/bank.txt", page=0)
