"""Tests for indexer.read.dates: date expressions in English, Malay and Chinese news text."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.read.dates import (
    date_marker,
    extract_article_date,
    find_date,
    find_dates,
    parse_date_value,
    split_date_prefix,
)

D = date

FOUND = [
    # ISO, with and without time
    ("2025-09-26", D(2025, 9, 26)),
    ("date 2025-09-26", D(2025, 9, 26)),
    ("posted 2025-09-26T12:06:00+08:00 by staff", D(2025, 9, 26)),
    ("2025/09/26", D(2025, 9, 26)),
    ("2025.9.6", D(2025, 9, 6)),
    # English month names
    ("Published at Oct 29, 2025 12:06 pm", D(2025, 10, 29)),
    ("October 29, 2025", D(2025, 10, 29)),
    ("October 29 2025", D(2025, 10, 29)),
    ("Oct. 29, 2025", D(2025, 10, 29)),
    ("Sept 7, 2015", D(2015, 9, 7)),
    ("29 October 2025", D(2025, 10, 29)),
    ("31 Oct 2025", D(2025, 10, 31)),
    ("31-Oct-2025", D(2025, 10, 31)),
    ("the 29th of October, 2025", D(2025, 10, 29)),
    ("was convened on 31 October 2025, in Kuala Lumpur", D(2025, 10, 31)),
    ("Wednesday, 1 January 2020", D(2020, 1, 1)),
    # Malay month names and short forms
    ("6 Mac 2024", D(2024, 3, 6)),
    ("pada 4 hingga 6 Mac 2024.", D(2024, 3, 6)),  # a range: the last day
    ("4-6 Mac 2024", D(2024, 3, 6)),
    ("1 Januari 2023", D(2023, 1, 1)),
    ("14 Februari 2023", D(2023, 2, 14)),
    ("2 Mei 2022", D(2022, 5, 2)),
    ("30 Jun 2021", D(2021, 6, 30)),
    ("15 Julai 2020", D(2020, 7, 15)),
    ("31 Ogos 2019", D(2019, 8, 31)),
    ("31 Ogs 2019", D(2019, 8, 31)),
    ("16 September 2018", D(2018, 9, 16)),
    ("1 Okt 2017", D(2017, 10, 1)),
    ("20 Oktober 2017", D(2017, 10, 20)),
    ("25 Disember 2016", D(2016, 12, 25)),
    ("25 Dis 2016", D(2016, 12, 25)),
    ("Rabu, 6 Mac 2024 | 12.30 tengah hari", D(2024, 3, 6)),
    # Chinese
    ("2025年10月29日", D(2025, 10, 29)),
    ("２０２５年１０月２９日", D(2025, 10, 29)),
    ("发布时间：2025年1月2日 08:00", D(2025, 1, 2)),
    ("二〇二五年十月二十九日", D(2025, 10, 29)),
    ("（二○○○年十二月三十一日）", D(2000, 12, 31)),
    # numeric day/month only when unambiguous
    ("29/10/2025", D(2025, 10, 29)),
    ("29.10.2025", D(2025, 10, 29)),
    ("10/29/2025", D(2025, 10, 29)),
    ("05/05/2025", D(2025, 5, 5)),
    # limits
    ("1 January 1900", D(1900, 1, 1)),
    ("31 December 2100", D(2100, 12, 31)),
    ("29 Feb 2024", D(2024, 2, 29)),
]

NOT_FOUND = [
    "MOD.100/2/1/2 JLD 6 (11) 02/03",  # seed 004's reference number
    "05/06/2025",  # ambiguous day/month
    "1/2/2025",
    "02/03",
    "2024-2027 cycle",
    "30 Feb 2024",
    "29 Feb 2023",
    "2025-13-01",
    "31 December 1899",
    "1 January 2101",
    "Sept 7",  # no year
    "October 2025",  # no day
    "yesterday",
    "semalam",
    "3 hours ago",
    "2 hari lalu",
    "昨天",
    "ISBN 978-3-16-148410-0",
    "tel 03-2345 6789",
    "version 1.2.2024",
    "KP/12/25/2024",
    "",
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_find_date_recognises(text, expected):
    assert find_date(text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_find_date_ignores(text):
    assert find_date(text) is None


def test_find_date_where():
    text = "Dated 1 March 2024; revised on 5 April 2024."
    assert find_date(text) == D(2024, 3, 1)
    assert find_date(text, where="any") == D(2024, 3, 1)
    assert find_date(text, where="last") == D(2024, 4, 5)
    assert find_date(text, where="start") == D(2024, 3, 1)
    assert find_date("He said on 1 March 2024", where="start") is None
    assert find_date(text, where="line") is None
    assert find_date("Published: 1 March 2024", where="line") == D(2024, 3, 1)
    with pytest.raises(ValueError):
        find_date(text, where="middle")


def test_find_dates_positions_do_not_overlap():
    text = "From 2025-01-02 to ２０２５年１月５日 and 6 Mac 2025."
    found = find_dates(text)
    assert [d for _, _, d in found] == [D(2025, 1, 2), D(2025, 1, 5), D(2025, 3, 6)]
    assert text[found[0][0] : found[0][1]] == "2025-01-02"
    assert text[found[1][0] : found[1][1]] == "２０２５年１月５日"
    assert all(a[1] <= b[0] for a, b in zip(found, found[1:], strict=False))


MARKERS = [
    ("31 October 2025", D(2025, 10, 31)),
    ("Published at Oct 29, 2025 12:06 pm", D(2025, 10, 29)),
    ("Updated on 1 Ogos 2023 3:45 PM MYT", D(2023, 8, 1)),
    ("Tarikh: 6 Mac 2024", D(2024, 3, 6)),
    ("Rabu, 6 Mac 2024", D(2024, 3, 6)),
    ("2025-09-26T12:00:00Z", D(2025, 9, 26)),
    ("发布时间：2025年10月29日 12:06", D(2025, 10, 29)),
    ("2025年10月29日 星期三", D(2025, 10, 29)),
    ("- 6 Mac 2024 -", D(2024, 3, 6)),
]

NOT_MARKERS = [
    "The meeting was held on 31 October 2025.",
    "4 hingga 6 Mac 2024",  # a date range is an event, not a marker
    "Kuala Lumpur, 6 Mac 2024",
    "2025年10月29日举行会议",
    "Published yesterday",
    "",
]


@pytest.mark.parametrize(("line", "expected"), MARKERS)
def test_date_marker(line, expected):
    assert date_marker(line) == expected


@pytest.mark.parametrize("line", NOT_MARKERS)
def test_not_a_date_marker(line):
    assert date_marker(line) is None


def test_split_date_prefix():
    line = " date 2025-09-26 DESARU: Malaysia has successfully hosted the meeting."
    assert split_date_prefix(line) == (
        D(2025, 9, 26),
        "DESARU: Malaysia has successfully hosted the meeting.",
    )
    assert split_date_prefix("date 2025-09-26") == (D(2025, 9, 26), "")
    assert split_date_prefix("Tarikh: 6 Mac 2024 - Kenyataan") == (D(2024, 3, 6), "Kenyataan")
    assert split_date_prefix("dates are hard") == (None, "dates are hard")
    assert split_date_prefix("date of birth 2025-09-26") == (None, "date of birth 2025-09-26")


PARSED = [
    ("2025-10-29", D(2025, 10, 29)),
    ("2025-10-29T12:06:00", D(2025, 10, 29)),
    ("2025-10-29T12:06:00+08:00", D(2025, 10, 29)),
    ("2025-10-29T23:30:00-05:00", D(2025, 10, 29)),  # the date as written, not UTC
    ("2025-10-29T12:06:00.123Z", D(2025, 10, 29)),
    ("2025-10-29 12:06:00", D(2025, 10, 29)),
    ("20251029", D(2025, 10, 29)),
    (" 2025-10-29 ", D(2025, 10, 29)),
    ("Wed, 29 Oct 2025 12:06:00 +0800", D(2025, 10, 29)),
    ("Oct 29, 2025", D(2025, 10, 29)),
    ("29 Oktober 2025", D(2025, 10, 29)),
    ("2025年10月29日", D(2025, 10, 29)),
    ("garbage", None),
    ("", None),
    ("2025-13-01", None),
    ("2025-02-30", None),
    ("1800-01-01", None),
    ("0001-01-01T00:00:00", None),
    ("yesterday", None),
    ("The 29 October 2025 meeting", None),
    (1730000000, None),
    (None, None),
    (["2025-10-29"], None),
]


@pytest.mark.parametrize(("value", "expected"), PARSED)
def test_parse_date_value(value, expected):
    assert parse_date_value(value) == expected


def test_parse_date_value_accepts_date_objects():
    from datetime import datetime

    assert parse_date_value(D(2025, 1, 1)) == D(2025, 1, 1)
    assert parse_date_value(datetime(2025, 1, 1, 23, 59)) == D(2025, 1, 1)


def test_extract_article_date_published_marker():
    lines = [
        "东盟防长会议将从明日起至11月2日举行。",
        "",
        "ASEAN Defense Ministers' Meeting to Kick Off Tomorrow",
        "",
        "Published at Oct 29, 2025 12:06 pm",
        "The 19th ASEAN Defense Ministers' Meeting (ADMM) ... held from October 30.",
    ]
    assert extract_article_date(lines) == (D(2025, 10, 29), {4})


def test_extract_article_date_prefers_published_over_updated():
    lines = ["Title", "Updated: 2 March 2024", "Published: 1 March 2024", "Body text."]
    assert extract_article_date(lines) == (D(2024, 3, 1), {1, 2})


def test_extract_article_date_from_the_end_of_a_media_release():
    lines = ["KEMENTERIAN PERTAHANAN MALAYSIA", "SIARAN MEDIA", "MOD.100/2/1/2 JLD 6 (11) 02/03"]
    lines += ["Tajuk", "1. Menteri menghadiri sesi pada 4 hingga 6 Mac 2024." + " x" * 60]
    lines += [f"perenggan {i}" for i in range(10)]
    lines += ["-TAMAT-", "", "Kementerian Pertahanan Malaysia", "", "6 Mac 2024"]
    found, remove = extract_article_date(lines)
    assert found == D(2024, 3, 6)
    assert remove == {len(lines) - 1}


def test_extract_article_date_leading_prefix_is_not_removed():
    lines = [" date 2025-09-26 DESARU: Malaysia has hosted the meeting.", "", "More text."]
    assert extract_article_date(lines) == (D(2025, 9, 26), set())


def test_extract_article_date_byline():
    lines = ["Carmaker opens new plant", "By Staff Writer / 11 July 2018 6:43 pm / 0 comment"]
    lines.append("The carmaker announced a new assembly plant in the north.")
    assert extract_article_date(lines) == (D(2018, 7, 11), set())


def test_extract_article_date_ignores_dates_deep_in_long_paragraphs():
    lines = ["Title", "A long paragraph " * 10 + "mentioning 1 May 2020 in passing."]
    assert extract_article_date(lines) == (None, set())
    assert extract_article_date([]) == (None, set())


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_date_functions_never_raise(text):
    for where in ("any", "last", "start", "line"):
        result = find_date(text, where=where)
        assert result is None or 1900 <= result.year <= 2100
    parse_date_value(text)
    found, remove = extract_article_date(text.split("\n"))
    assert remove <= set(range(len(text.split("\n"))))


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)))
def test_round_trip_formats(d):
    months = "January February March April May June July August September October November"
    name = (months + " December").split()[d.month - 1]
    for text in (
        d.isoformat(),
        f"{d.day} {name} {d.year}",
        f"{name} {d.day}, {d.year}",
        f"{d.year}年{d.month}月{d.day}日",
    ):
        assert find_date(text) == d, text
