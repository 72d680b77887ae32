"""The search page at / (issue 16 part 3), in a real browser: Debian's chromium driven by
Playwright, against ``mlsearch serve`` running on a fixture corpus (three languages,
near-duplicate copies, and articles made to attack the page: ``<script>`` in a title,
``onerror=`` in a body, a ``javascript:`` url, escape sequences, a bidi override).

Every test fails if the page raised a JavaScript error or any dialog opened (an
``alert(…)`` from article text would). Screenshots go to ``MLSEARCH_SCREENSHOTS`` (default:
a temporary folder, printed at the end of the session), never into the repository.

Skipped, with the reason, where chromium (``apt-get install chromium chromium-driver``) or
the playwright package is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import FIXTURES, NEWS

CHROMIUM = os.environ.get("MLSEARCH_CHROMIUM") or shutil.which("chromium")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (Debian: apt-get install chromium chromium-driver)",
    ),
]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
expect = sync_api.expect

HOSTILE = [
    {
        "id": "hostile-1",
        "lang": "en",
        "title": "<script>alert(1)</script> Navy hotline <b>bold</b>",
        "date": "2025-10-05",
        "source": "<img src=x onerror=alert(2)>",
        "url": "javascript:alert(3)",
        "body": "The navy hotline story. <img src=x onerror=alert(4)> Then \x1b[31mred\x1b[0m "
        'and \x1b]0;title\x07 here. <a href="javascript:alert(5)">click</a> \u202eevil',
    },
    {
        "id": "hostile-2",
        "lang": "ms",
        "title": "Talian hotline <iframe src=javascript:alert(6)></iframe>",
        "date": "2025-08-10",
        "source": "Sumber",
        "url": "https://ok.example/a?x=<script>",
        # 𠮷 is outside the BMP: one code point, two UTF-16 units, before a highlight
        "body": "Berita talian hotline tentera laut </textarea><svg onload=alert(7)> 𠮷 hotline.",
    },
]
# Years apart: the timeline draws years, and a year kept by month.
ARCHIVE = [
    {
        "id": "tin-1987",
        "lang": "en",
        "title": "Tin miners strike in Perak",
        "date": "1987-03-02",
        "body": "Tin miners in Perak stopped work on Monday as tin prices fell again.",
    },
    {
        "id": "tin-2025",
        "lang": "en",
        "title": "Tin prices rise again",
        "date": "2025-06-01",
        "body": "Tin prices rose for a second week on demand for solder.",
    },
]
NEW_ARTICLE = {
    "id": "late-1",
    "lang": "en",
    "title": "Navies test the new hotline for the first time",
    "date": "2025-12-02",
    "source": "Bernama",
    "url": "https://bernama.example/en/news/hotline-test",
    "body": "ASEAN navies tested their new hotline on Tuesday, a month after it was agreed.",
}


def write_jsonl(path: Path, records) -> None:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )


def start_server(index: Path, *options: str):
    """``mlsearch serve --index INDEX --port 0 OPTIONS``: (process, its url)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSEARCH_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "search.cli", "serve", "--index", str(index), "--port", "0"]
        + list(options),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    line = proc.stderr.readline()
    found = re.search(r"at (http://\S+)", line)
    if not found:
        stop_server(proc)
        pytest.fail(f"mlsearch serve said: {line!r}")
    return proc, found.group(1)


def stop_server(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stderr.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``mlsearch serve`` on the fixture corpus, on a free port: (base url, index, folder)."""
    from indexer.write.build import build_index

    root = tmp_path_factory.mktemp("page")
    shutil.copytree(NEWS, root / "news")
    shutil.copytree(FIXTURES / "dups", root / "dups")
    (root / "hostile").mkdir()
    write_jsonl(root / "hostile" / "hostile.jsonl", HOSTILE)
    (root / "archive").mkdir()
    write_jsonl(root / "archive" / "archive.jsonl", ARCHIVE)
    index = root / "index"
    folders = [root / "news", root / "dups", root / "hostile", root / "archive"]
    report = build_index(folders, index)
    assert not report.skipped, report.skipped
    proc, url = start_server(index)
    try:
        yield url, index, root
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("MLSEARCH_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\nscreenshots of the search page: {folder}")


class Page:
    """A fresh browser context on the site; the test fails on any dialog or script error."""

    def __init__(self, browser, base, shots):
        self.base = base
        self.shots = shots
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.outside: list[str] = []

        def on_dialog(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        # Nothing may come from anywhere but mlsearch itself (no CDN, no web fonts).
        self.page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(base) or r.url.startswith("data:")
                else self.outside.append(r.url)
            ),
        )

    def open(self, path="/"):
        self.page.goto(self.base + path)
        return self.page

    def search_ready(self):
        expect(self.page.locator("#summary")).not_to_have_text(re.compile("searching"))

    def shot(self, name):
        self.page.screenshot(path=str(self.shots / f"{name}.png"))

    def params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.page.url).query).items()}

    def hit_ids(self) -> list[str]:
        return self.page.locator("#hits > li.hit").evaluate_all("els => els.map(e => e.dataset.id)")


@pytest.fixture
def web(browser, site, shots):
    page = Page(browser, site[0], shots)
    yield page
    page.context.close()
    assert page.dialogs == [], f"a dialog opened: {page.dialogs}"
    assert page.errors == [], f"script errors: {page.errors}"
    assert page.outside == [], f"requests outside mlsearch: {page.outside}"


def test_a_query_typed_and_entered_shows_hits_with_marked_words(web):
    page = web.open("/")
    expect(page.locator("#q")).to_be_focused()
    page.locator("#q").fill("hotline")
    page.keyboard.press("Enter")
    expect(page.locator("#summary")).to_have_text(re.compile(r"^\d+ hits, showing 1–"))
    assert web.params()["q"] == "hotline"
    marks = page.locator("#hits .snippet mark").all_inner_texts()
    assert marks and all(m.lower() == "hotline" for m in marks), marks
    assert page.locator("#hits h3 mark").count() > 0  # title highlights too
    web.shot("search-hotline")


def test_back_and_forward_restore_the_search_and_a_url_can_be_shared(web):
    page = web.open("/?q=hotline")
    web.search_ready()
    first = web.hit_ids()
    page.locator("#q").fill("ASEAN")
    page.keyboard.press("Enter")
    expect(page.locator("#q")).to_have_value("ASEAN")
    web.search_ready()
    assert web.hit_ids() != first
    page.go_back()
    expect(page.locator("#q")).to_have_value("hotline")
    web.search_ready()
    assert web.hit_ids() == first
    page.go_forward()
    expect(page.locator("#q")).to_have_value("ASEAN")


def test_a_language_filter_keeps_that_language_and_shows_counts(web):
    page = web.open("/?q=ASEAN")
    web.search_ready()
    facet = page.locator("#facet-lang a.facet", has_text="Malay")
    count = int(facet.locator(".count").inner_text())
    facet.click()
    expect(page.locator("#facet-lang a.facet.chosen")).to_have_count(1)
    web.search_ready()
    assert web.params()["lang"] == "ms"
    langs = page.locator("#hits .meta .langs").all_inner_texts()
    assert len(langs) == count and all("ms" in x.split(",") for x in langs), langs
    page.locator("#facet-lang a.facet.chosen").click()
    expect(page.locator("#facet-lang a.facet.chosen")).to_have_count(0)
    assert "lang" not in web.params()


def test_a_source_filter_keeps_that_source(web):
    page = web.open("/?q=hotline")
    web.search_ready()
    page.locator("#facet-source a.facet", has_text="New Straits Times").click()
    expect(page.locator("#facet-source a.facet.chosen")).to_have_count(1)
    web.search_ready()
    assert page.locator("#hits .meta .source").all_inner_texts() == ["New Straits Times"]


def test_paging_moves_through_the_hits(web):
    page = web.open("/?q=South+China+Sea&cross=true")
    web.search_ready()
    expect(page.locator("#summary")).to_have_text(re.compile(r"^1[1-9] hits, showing 1–10"))
    first = web.hit_ids()
    page.locator("#pager a", has_text="next").click()
    expect(page.locator("#summary")).to_have_text(re.compile(r"showing 11–"))
    assert web.params()["page"] == "2"
    assert not set(web.hit_ids()) & set(first)
    assert page.locator("#hits").get_attribute("start") == "11"


def test_the_cross_language_switch_searches_other_languages_and_says_what_it_added(web):
    page = web.open("/?q=South+China+Sea")
    web.search_ready()
    plain = len(web.hit_ids())
    # without the switch, at most same-language synonyms (SCS), no translation
    shown = page.locator(".expansions")
    assert shown.count() == 0 or "南海" not in shown.inner_text()
    page.locator("#cross").check()
    expansions = page.locator(".expansions")
    expect(expansions).to_contain_text("南海")
    expect(expansions).to_contain_text("Laut China Selatan")
    assert web.params()["cross"] == "true"
    langs = ",".join(page.locator("#hits .meta .langs").all_inner_texts())
    assert "zh" in langs and len(web.hit_ids()) >= plain
    web.shot("cross")


def test_did_you_mean_searches_the_correction(web):
    page = web.open("/?q=hotlnie")
    expect(page.locator("#summary")).to_have_text("no hits")
    link = page.locator(".suggestion a")
    expect(link).to_have_text("hotline")
    link.click()
    expect(page.locator("#q")).to_have_value("hotline")
    web.search_ready()
    assert web.hit_ids()


def test_missing_words_are_shown_and_all_words_requires_them(web):
    page = web.open("/?q=hotline+siber")
    web.search_ready()
    expect(page.locator("#messages .note")).to_contain_text("no article has all the words")
    missing = page.locator("#hits .missing")
    assert missing.count() >= 2
    texts = missing.all_inner_texts()
    assert any(t.startswith("Missing: siber") for t in texts), texts
    assert any(t.startswith("Missing: hotline") for t in texts), texts
    page.locator("#allwords").check()
    expect(page.locator("#summary")).to_have_text("no hits")
    assert web.params()["match"] == "all"


def test_plus_n_similar_opens_the_copies(web):
    page = web.open("/?q=hotline+navies")
    web.search_ready()
    button = page.locator("#hits button.similar").first
    expect(button).to_have_text("+3 similar")
    button.click()
    copies = page.locator("#hits .copy-list").first.locator("li.copy")
    expect(copies).to_have_count(3)
    expect(copies.first.locator(".meta")).to_be_visible()  # titles and dates fetched
    ids = copies.locator("a.open").evaluate_all("els => els.map(e => e.dataset.id)")
    assert all(i.startswith("dups/en/") and i.endswith("_hotline.md") for i in ids), ids
    web.shot("copies")
    copies.first.locator("a.open").click()
    expect(page.locator("#article-view")).to_be_visible()
    assert web.params()["article"] == ids[0]


def test_the_article_view_shows_the_whole_article_highlighted_and_articles_like_it(web):
    page = web.open("/?q=hotline")
    web.search_ready()
    page.locator("#hits a.open[data-id='dups/en/hotline_analysis.md']").click()
    view = page.locator("#article-view")
    expect(view).to_be_visible()
    expect(page.locator("#article-title")).to_contain_text("Analysis: will a naval")
    body = page.locator("#article-body")
    expect(body).to_contain_text("Supporters reply that trust is built in small steps")
    marks = body.locator("mark").all_inner_texts()
    assert len(marks) == 2 and {m.lower() for m in marks} == {"hotline"}, marks
    expect(page.locator("#article-title mark")).to_have_text("hotline")
    expect(page.locator("#article-similar li.hit").first).to_be_visible()
    web.shot("article")
    page.keyboard.press("Escape")
    expect(view).to_be_hidden()
    assert "article" not in web.params()


def test_a_timeline_bar_filters_by_its_month(web):
    page = web.open("/?q=hotline")
    web.search_ready()
    bars = page.locator("#timeline svg g.bar")
    months = bars.evaluate_all("els => els.map(e => e.dataset.month)")
    assert months[0] == "2025-08" and months[-1] == "2025-11" and len(months) == 4
    web.shot("timeline")
    page.locator("#timeline g.bar[data-month='2025-11']").click()
    expect(page.locator("#date-active")).to_contain_text("2025-11")
    web.search_ready()
    assert web.params()["date"] == "2025-11"
    dates = page.locator("#hits .meta time").all_inner_texts()
    assert dates and all(d.startswith("2025-11") for d in dates), dates
    # The chart still shows the whole period, the month kept marked.
    expect(page.locator("#timeline g.bar")).to_have_count(4)
    expect(page.locator("#timeline g.bar.selected")).to_have_attribute("data-month", "2025-11")
    # Shift-click another month: the range between them.
    page.locator("#timeline g.bar[data-month='2025-10']").click(modifiers=["Shift"])
    expect(page.locator("#timeline g.bar.selected")).to_have_count(2)
    assert web.params()["date"] == "[2025-10-01 TO 2025-11-30]"


def test_over_many_years_the_timeline_draws_years_and_a_year_kept_by_month(web):
    page = web.open("/?q=tin")
    web.search_ready()
    expect(page.locator("#timeline-caption")).to_have_text("Matching articles per year")
    years = page.locator("#timeline g.bar").evaluate_all("els => els.map(e => e.dataset.period)")
    assert years == [str(y) for y in range(1987, 2026)]
    page.locator("#timeline g.bar[data-period='2025']").click()
    expect(page.locator("#timeline-caption")).to_contain_text("per month in the period kept")
    assert web.params()["date"] == "2025"
    assert web.hit_ids() == ["archive/tin-2025"]
    web.shot("timeline-year-kept")
    page.locator("#timeline-caption a", has_text="the whole period").click()
    expect(page.locator("#timeline-caption")).to_have_text("Matching articles per year")
    assert "date" not in web.params()


def test_the_date_range_form_filters(web):
    page = web.open("/?q=hotline")
    web.search_ready()
    page.locator("#date-from").fill("2025-08")
    page.locator("#date-to").fill("2025-10-31")
    page.locator("#date-form button").click()
    web.search_ready()
    assert web.params()["date"] == "[2025-08 TO 2025-10-31]"
    dates = page.locator("#hits .meta time").all_inner_texts()
    assert sorted(dates) == ["2025-08-10", "2025-10-05"], dates


def test_a_saved_query_shows_a_badge_for_what_is_new(web, site):
    from indexer.write.build import build_index

    _, index, root = site
    page = web.open("/?q=hotline")
    web.search_ready()
    page.locator("#save-name").fill("hotline")
    page.locator("#save-form button").click()
    expect(page.locator("#saved-msg")).to_have_text("saved hotline")
    item = page.locator("#saved-list a.saved-name", has_text="hotline")
    item.click()  # its first run: every hit is new
    expect(page.locator("#summary")).to_contain_text("first run")
    expect(page.locator("#hits .badge.new").first).to_be_visible()
    # An article arrives; the next run marks it, and only it, new.
    late = root / "late"
    late.mkdir()
    write_jsonl(late / "late.jsonl", [NEW_ARTICLE])
    build_index([late], index)
    try:
        saw_the_new_article(web, page)
    finally:  # the other tests see the corpus as it was
        (late / "late.jsonl").unlink()
        build_index([late], index)


def saw_the_new_article(web, page):
    # The list counts what no run has seen, without running the query (nothing recorded):
    # the badge stays until a run.
    for _ in range(2):
        page = web.open("/")
        expect(page.locator("#saved-list .badge.new")).to_have_text("1 new")
    web.shot("saved")
    page.locator("#saved-list a.saved-name", has_text="hotline").click()
    expect(page.locator("#summary")).to_contain_text("1 new hit")
    new = page.locator("#hits li.hit:has(.badge.new)")
    expect(new).to_have_count(1)
    expect(new).to_have_attribute("data-id", "late/late-1")
    page = web.open("/")  # the run saw it: nothing new now
    expect(page.locator("#saved-list a.saved-name", has_text="hotline")).to_be_visible()
    expect(page.locator("#saved-list .badge.new")).to_have_count(0)


def test_keyboard_only(web):
    page = web.open("/")
    page.locator("body").press("Escape")
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("hotline")
    page.keyboard.press("Enter")
    web.search_ready()
    page.keyboard.press("Escape")  # leave the box
    page.keyboard.press("j")
    links = page.locator("#hits > li > h3 > a.open")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("ArrowDown")
    expect(links.nth(2)).to_be_focused()
    page.keyboard.press("k")
    expect(links.nth(1)).to_be_focused()
    # the focus ring is visible
    outline = links.nth(1).evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
    wanted = links.nth(1).get_attribute("data-id")
    web.shot("keyboard-focus")
    page.keyboard.press("Enter")
    expect(page.locator("#article-view")).to_be_visible()
    assert web.params()["article"] == wanted
    page.keyboard.press("Escape")
    expect(page.locator("#article-view")).to_be_hidden()
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()


def test_hostile_articles_show_as_text_and_run_nothing(web):
    page = web.open("/?q=hotline")
    web.search_ready()
    titles = page.locator("#hits h3").all_inner_texts()
    assert "<script>alert(1)</script> Navy hotline <b>bold</b>" in titles, titles
    assert "Talian hotline <iframe src=javascript:alert(6)></iframe>" in titles, titles
    hit = page.locator("#hits li.hit[data-id='hostile/hostile-1']")
    meta = hit.locator(".meta")
    expect(meta).to_contain_text("<img src=x onerror=alert(2)>")
    expect(meta).to_contain_text("javascript:alert(3)")
    assert hit.locator("a[href^='javascript']").count() == 0
    # The other's https url is a link, its '<script>' part only text.
    ok = page.locator("#hits li.hit", has_text="Talian hotline")
    assert ok.locator("a.url").get_attribute("href").startswith("https://ok.example/a?x=")
    # A highlight after a character outside the BMP falls on the word.
    assert ok.locator(".snippet mark").all_inner_texts() == ["hotline", "hotline"]
    web.shot("hostile-results")
    hit.locator("a.open").click()
    body = page.locator("#article-body")
    expect(body).to_contain_text("<img src=x onerror=alert(4)>")
    expect(body).to_contain_text('<a href="javascript:alert(5)">click</a>')
    expect(body).to_contain_text("\\u202eevil")  # a bidi override shown, not obeyed
    assert "\x1b" not in body.inner_text() and "\u202e" not in body.inner_text()
    expect(page.locator("#article-title")).to_have_text(
        "<script>alert(1)</script> Navy hotline <b>bold</b>"
    )
    web.shot("hostile-article")
    page.locator("#article-view").click(position={"x": 5, "y": 5})
    dom = page.evaluate(
        """() => ({
            scripts: Array.from(document.scripts).map(s => s.getAttribute('src')),
            foreign: document.querySelectorAll(
              '#hits :is(img, iframe, svg, b), #article-view :is(img, iframe, svg, b)').length,
            handlers: Array.from(document.querySelectorAll('*')).filter(e =>
              Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
            js_links: document.querySelectorAll('a[href^="javascript"]').length,
        })"""
    )
    assert dom == {"scripts": ["/static/app.js"], "foreign": 0, "handlers": 0, "js_links": 0}
    # The second one, opened from a shared link.
    page.goto(web.base + "/?q=tentera&article=hostile%2Fhostile-2")
    expect(page.locator("#article-body")).to_contain_text("</textarea><svg onload=alert(7)>")
    page.wait_for_timeout(300)  # time for anything that would run to run


def test_a_query_the_server_cannot_read_shows_its_error_and_hint(web):
    page = web.open("/?q=date:someday")
    error = page.locator("#messages .error")
    expect(error).to_contain_text("cannot read the date in date:someday")
    assert page.locator("#hits li").count() == 0


def test_the_timeline_from_the_keyboard(web):
    page = web.open("/?q=hotline")
    web.search_ready()
    bar = page.locator("#timeline g.bar[tabindex='0']")
    expect(bar).to_have_attribute("data-month", "2025-11")  # the latest month with hits
    bar.focus()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#timeline g.bar[data-month='2025-10']")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#date-active")).to_contain_text("2025-10")
    web.search_ready()
    assert page.locator("#hits .meta time").all_inner_texts() == ["2025-10-05"]


def test_a_server_with_a_token_asks_for_it_once(browser, site, shots):
    proc, url = start_server(site[1], "--token", "s3cret")
    try:
        web = Page(browser, url, shots)
        page = web.open("/?q=hotline")
        expect(page.locator("#token-box")).to_be_visible()
        page.locator("#token").fill("s3cret")
        page.keyboard.press("Enter")
        expect(page.locator("#token-box")).to_be_hidden()
        expect(page.locator("#summary")).to_have_text(re.compile(r"^\d+ hits"))
        # From the address's fragment: taken, and taken out of the address.
        other = Page(browser, url, shots)
        page = other.open("/?q=hotline#token=s3cret")
        expect(page.locator("#summary")).to_have_text(re.compile(r"^\d+ hits"))
        assert "token" not in page.url and page.locator("#token-box").is_hidden()
        for p in (web, other):
            p.context.close()
            assert p.dialogs == [] and p.errors == [] and p.outside == []
    finally:
        stop_server(proc)
