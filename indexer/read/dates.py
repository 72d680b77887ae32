"""Publication dates in news text: English, Malay and Chinese date expressions.

Only absolute dates with a four-digit year between 1900 and 2100 are recognised; relative
dates ("yesterday", "semalam", "3 hours ago") and bare numbers are never taken.  Numeric
day/month dates (``29/10/2025``) are accepted only when the day and month cannot be confused
(one of them is above 12, or both are equal); otherwise they are ignored entirely.

Public helpers:

* :func:`find_date` -- the first (or last) date expression in a piece of text;
* :func:`find_dates` -- every date expression with its position;
* :func:`parse_date_value` -- a date value from structured data (JSON fields, HTML meta);
* :func:`date_marker` -- the date of a line that is nothing but a date marker
  (``31 October 2025``, ``Published at Oct 29, 2025 12:06 pm``);
* :func:`split_date_prefix` -- a leading ``date 2025-09-26`` marker and the text after it;
* :func:`extract_article_date` -- the publication date of a plain-text article.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

__all__ = [
    "MIN_YEAR",
    "MAX_YEAR",
    "find_date",
    "find_dates",
    "parse_date_value",
    "date_marker",
    "split_date_prefix",
    "extract_article_date",
]

MIN_YEAR = 1900
MAX_YEAR = 2100

# Full-width digits (２０２５年) are matched as ASCII; the translation keeps string length,
# so match positions stay valid for the original text.
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

_MONTHS: dict[str, int] = {
    # English
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
    # Malay (April, Jun, September, November are spelled as in English)
    "januari": 1,
    "februari": 2,
    "mac": 3,
    "mei": 5,
    "julai": 7,
    "ogos": 8,
    "ogo": 8,
    "ogs": 8,
    "oktober": 10,
    "okt": 10,
    "disember": 12,
    "dis": 12,
}

_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"

# 2025-09-26, 2025/09/26, 2025.09.26 (optionally followed by a time, which is ignored)
_ISO = re.compile(r"(?<![\d/.\-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d|[/.\-]\d)")
# 29 October 2025, 31 Oct 2025, 6 Mac 2024, 29th of October, 2025, 31-Oct-2025
_DMY_NAME = re.compile(
    rf"(?<![\w.])(\d{{1,2}}){_ORD}[\s\-]+(?:of\s+)?({_MONTH_RE})\.?,?[\s\-]+(\d{{4}})(?!\d)",
    re.IGNORECASE,
)
# October 29, 2025; Oct. 29, 2025; Oct 29 2025
_MDY_NAME = re.compile(
    rf"(?<![A-Za-z])({_MONTH_RE})\.?\s+(\d{{1,2}}){_ORD},?\s+(\d{{4}})(?!\d)",
    re.IGNORECASE,
)
# 2025年10月29日, ２０２５年１０月２９日 (after digit translation)
_ZH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*(?:[日号號]|(?!\d))")
# 二〇二五年十月二十九日
_ZH_NUM = re.compile(
    r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})[日号號]"
)
# 29/10/2025, 29.10.2025, 29-10-2025 (unambiguous ones only)
_NUMERIC = re.compile(r"(?<![\d/.\-])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?!\d|[/.\-]\d)")

_ZH_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4}
_ZH_DIGITS.update({"五": 5, "六": 6, "七": 7, "八": 8, "九": 9})


def _zh_number(text: str) -> int | None:
    """一 .. 三十一 as an int (only what a month or day can be)."""
    if text == "十":
        return 10
    if "十" in text:
        tens, _, units = text.partition("十")
        t = _ZH_DIGITS.get(tens, 0) if tens else 1
        u = _ZH_DIGITS.get(units, 0) if units else 0
        if (tens and tens not in _ZH_DIGITS) or (units and units not in _ZH_DIGITS):
            return None
        return t * 10 + u
    if len(text) == 1 and text in _ZH_DIGITS:
        return _ZH_DIGITS[text]
    return None


def _make_date(year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, int, date]]:
    """Every date expression in ``text`` as ``(start, end, date)``, in text order.

    Overlapping matches are resolved in favour of the one that starts first (then the longest).
    """
    if not text:
        return []
    t = text.translate(_FULLWIDTH_DIGITS)
    found: list[tuple[int, int, date]] = []

    def add(m: re.Match, d: date | None) -> None:
        if d is not None:
            found.append((m.start(), m.end(), d))

    for m in _ISO.finditer(t):
        add(m, _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4))))
    for m in _DMY_NAME.finditer(t):
        add(m, _make_date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))))
    for m in _MDY_NAME.finditer(t):
        add(m, _make_date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))))
    for m in _ZH.finditer(t):
        add(m, _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in _ZH_NUM.finditer(t):
        year = int("".join(str(_ZH_DIGITS[c]) for c in m.group(1)))
        month, day = _zh_number(m.group(2)), _zh_number(m.group(3))
        if month is not None and day is not None:
            add(m, _make_date(year, month, day))
    for m in _NUMERIC.finditer(t):
        a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if a == b or (a > 12 >= b):
            add(m, _make_date(year, b, a))  # day/month/year
        elif b > 12 >= a:
            add(m, _make_date(year, a, b))  # month/day/year
        # both <= 12 and different: ambiguous, ignored

    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    result: list[tuple[int, int, date]] = []
    end = -1
    for f in found:
        if f[0] >= end:
            result.append(f)
            end = f[1]
    return result


# --- date markers -------------------------------------------------------------------------

_LABEL_WORDS = (
    r"first published|last updated|last modified|published|publish|posted|updated|modified|"
    r"release date|released|dated|date|on|at|"
    r"tarikh kemaskini|tarikh|diterbitkan|diterbit|terbit|dikemaskini|dikemas kini|"
    r"kemaskini|kemas kini|disiarkan|pada|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun|"
    r"isnin|selasa|rabu|khamis|jumaat|sabtu|ahad|"
    r"a\.m\.|p\.m\.|am|pm|pagi|tengah hari|tengahari|petang|malam|pg|ptg|mlm|hrs|"
    r"utc|gmt|myt|sgt|hkt|wib|cst|est|edt|bst|cet"
)
_MARKER_NOISE = re.compile(
    r"t?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+\-]\d{2}:?\d{2})?(?![a-z\d])"
    rf"|(?<![a-z])(?:{_LABEL_WORDS})(?![a-z])"
    r"|\d{1,2}[:.]\d{2}(?:[:.]\d{2})?"
    r"|[+\-]\d{1,2}(?::?\d{2})?"
    r"|发布时间|发布日期|发布于|发布|發佈時間|發佈|發布|发表于|发表|發表|更新时间|更新時間|更新于|更新|"
    r"日期|时间|時間|出版|刊登|上午|下午|中午|晚上|凌晨|早上|"
    r"(?:星期|礼拜|禮拜|周|週)[一二三四五六日天]|\d{1,2}\s*[时時点點](?:\s*\d{1,2}\s*分)?"
    r"|[\s\W_]",
)
_LEADING_LABEL = re.compile(
    rf"(?:(?<![a-z])(?:{_LABEL_WORDS})(?![a-z])|发布时间|发布日期|发布于|发布|发表于|发表|日期|[\s\W_])+",
    re.IGNORECASE,
)
_UPDATED = re.compile(r"updated|modified|kemas\s?kini|更新", re.IGNORECASE)
_MAX_MARKER_LEN = 80


def date_marker(line: str) -> date | None:
    """The date if ``line`` is nothing but a date marker, else None.

    A marker is a date with at most label words (``Published at``, ``Tarikh``, ``发布时间``),
    a weekday, a time and a time zone around it: ``31 October 2025``,
    ``Published at Oct 29, 2025 12:06 pm``, ``Rabu, 6 Mac 2024``, ``2025年10月29日 12:06``.
    """
    s = line.strip()
    if not s or len(s) > _MAX_MARKER_LEN:
        return None
    dates = find_dates(s)
    if not dates:
        return None
    rest = []
    pos = 0
    for start, end, _ in dates:
        rest.append(s[pos:start])
        pos = end
    rest.append(s[pos:])
    leftover = _MARKER_NOISE.sub("", " ".join(rest).lower().translate(_FULLWIDTH_DIGITS))
    return dates[0][2] if not leftover else None


_PREFIX = re.compile(r"^\s*(?:date|dated|tarikh|日期)\s*[:：]?\s*", re.IGNORECASE)
_PREFIX_TAIL = re.compile(
    r"^(?:\s*(?:T?\d{1,2}:\d{2}(?::\d{2})?(?:Z|[+\-]\d{2}:?\d{2})?))?[\s|:\-–—]*"
)


def split_date_prefix(line: str) -> tuple[date | None, str]:
    """Split a leading ``date 2025-09-26`` marker off a line.

    Returns ``(date, rest of the line)``, or ``(None, line)`` unchanged when the line does not
    start with such a marker.
    """
    m = _PREFIX.match(line)
    if not m:
        return None, line
    rest = line[m.end() :]
    dates = find_dates(rest)
    if not dates or dates[0][0] != 0:
        return None, line
    after = rest[dates[0][1] :]
    after = after[_PREFIX_TAIL.match(after).end() :]
    return dates[0][2], after.strip()


def find_date(text: str, where: str = "any") -> date | None:
    """A date expression with a four-digit year in ``text``, or None.

    ``where``: ``"any"`` (the first one found), ``"last"`` (the last one), ``"start"`` (only
    a date at the very beginning, optionally after a ``date``/``Published`` style label) or
    ``"line"`` (the whole text must be a date marker, see :func:`date_marker`).
    """
    if where not in ("any", "last", "start", "line"):
        raise ValueError(f"where must be 'any', 'last', 'start' or 'line', not {where!r}")
    if not text:
        return None
    if where == "line":
        return date_marker(text)
    if where == "start":
        d, _ = split_date_prefix(text)
        if d is not None:
            return d
        head = _LEADING_LABEL.match(text)
        skip = head.end() if head else 0
        dates = find_dates(text[skip:])
        return dates[0][2] if dates and dates[0][0] == 0 else None
    dates = find_dates(text)
    if not dates:
        return None
    return dates[-1][2] if where == "last" else dates[0][2]


def parse_date_value(value: object) -> date | None:
    """A date from a structured value (JSON ``date`` field, HTML meta content); None if bad.

    Accepts ISO dates and datetimes (``2025-10-29``, ``2025-10-29T12:06:00+08:00``, ``...Z``),
    RFC 2822 dates (``Wed, 29 Oct 2025 12:06:00 +0800``) and anything :func:`find_date`
    recognises at the start of the value.  The date is the one written, not converted to UTC.
    """
    if isinstance(value, datetime):
        d: date | None = value.date()
    elif isinstance(value, date):
        d = value
    elif isinstance(value, str):
        d = _parse_date_string(value.strip())
    else:
        return None
    if d is None or not MIN_YEAR <= d.year <= MAX_YEAR:
        return None
    return d


def _parse_date_string(s: str) -> date | None:
    if not s or len(s) > 200:
        return None
    try:
        return date.fromisoformat(s)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(s.replace("z", "Z")).date()
    except ValueError:
        pass
    if "," in s or " " in s:
        try:
            return parsedate_to_datetime(s).date()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass  # OverflowError: a field too large for datetime ("2:06:0777…")
    return find_date(s, where="start")


def extract_article_date(lines: list[str]) -> tuple[date | None, set[int]]:
    """The publication date of a plain-text article, and the lines that only carry it.

    Looks at the first 5 and the last 8 non-empty lines.  In order of preference the date
    comes from: a pure date marker line near the top (``Published at ...``, ``31 October
    2025``; "updated" markers rank below published ones), a leading ``date 2025-09-26``
    marker, a pure date line near the end (media releases end with one), and finally a date
    inside a short line near the top (a byline such as ``By X | 6 March 2024``).

    Returns ``(date or None, indices into lines of the pure date marker lines)``; those
    lines are metadata and can be removed from the body.  Lines that merely contain a date
    are never listed.
    """
    nonempty = [i for i, line in enumerate(lines) if line.strip()]
    head = nonempty[:5]
    tail = [i for i in nonempty[-8:] if i not in head]
    remove: set[int] = set()
    published: list[date] = []
    updated: list[date] = []
    prefixed: list[date] = []
    for i in head:
        d = date_marker(lines[i])
        if d is not None:
            remove.add(i)
            (updated if _UPDATED.search(lines[i]) else published).append(d)
            continue
        d, _ = split_date_prefix(lines[i])
        if d is not None:
            prefixed.append(d)
    ending: list[date] = []
    for i in tail:
        d = date_marker(lines[i])
        if d is not None:
            remove.add(i)
            ending.append(d)
    if published:
        return published[0], remove
    if prefixed:
        return prefixed[0], remove
    if updated:
        return updated[0], remove
    if ending:
        return ending[-1], remove
    for i in head:
        if len(lines[i].strip()) <= 100:
            d = find_date(lines[i])
            if d is not None:
                return d, remove
    return None, remove
