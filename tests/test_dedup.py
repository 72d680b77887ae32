"""Near-duplicates: detection at index time, collapsing in search, and `similar`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.analyse import dedup
from indexer.write.build import build_index
from search import Searcher
from search.similar import key_terms
from tests.conftest import FIXTURES, build_fixture_index, fixture_copy, invoke

DUPS = FIXTURES / "dups"
EN_COPIES = {
    "dups/en/bernama_hotline.md",
    "dups/en/star_hotline.md",
    "dups/en/malaymail_hotline.md",
    "dups/en/nst_hotline.md",
}
ZH_COPIES = {"dups/zh/xinhua_hotline.md", "dups/zh/zaobao_hotline.md"}
MS_COPIES = {"dups/ms/bernama_talian.md", "dups/ms/utusan_talian.md"}
# Same topic, same day, many of the same words: different stories all the same.
LONERS = {
    "dups/en/hotline_analysis.md",
    "dups/en/ministers_cyber.md",
    "dups/zh/asean_cyber.md",
    "dups/ms/latihan_siber.md",
}


run = invoke  # mlsearch ARGS; fails the test on an internal error or a traceback


def groups_of(index_dir: Path) -> dict[str, str]:
    """Every article's group label."""
    from whoosh import index

    ix = index.open_dir(str(index_dir))
    try:
        with ix.reader() as reader:
            return {f["id"]: f["dup"] for f in reader.all_stored_fields()}
    finally:
        ix.close()


def copies(groups: dict[str, str]) -> list[set[str]]:
    """The groups of two or more articles."""
    by: dict[str, set[str]] = {}
    for doc_id, group in groups.items():
        by.setdefault(group, set()).add(doc_id)
    return sorted((ids for ids in by.values() if len(ids) > 1), key=sorted)


@pytest.fixture(scope="module")
def dups_index(tmp_path_factory) -> Path:
    index_dir = build_fixture_index(tmp_path_factory, "dups", DUPS)
    assert len(groups_of(index_dir)) == 12
    return index_dir


@pytest.fixture
def dups_copy(tmp_path) -> Path:
    return fixture_copy(DUPS, tmp_path)


def edited_copy(src: Path, dest: Path, title: str, replace: tuple[str, str]) -> None:
    """Another outlet's copy of ``src``: a new headline and one sentence reworded."""
    text = src.read_text(encoding="utf-8")
    old_title = next(line for line in text.splitlines() if line.startswith("title: "))
    text = text.replace(old_title, f"title: {title}").replace(*replace)
    assert replace[1] in text
    dest.write_text(text, encoding="utf-8")


# --- shingles and signatures --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Navies agree on a hotline.", {"navies agree on", "agree on a", "on a hotline"}),
        ("东盟防长会议", {"东 盟 防 长", "盟 防 长 会", "防 长 会 议"}),
        ("東盟防長會議", {"东 盟 防 长", "盟 防 长 会", "防 长 会 议"}),  # Traditional = Simplified
        ("ＡＳＥＡＮ  navies, AGREE!", {"asean navies agree"}),  # width, case, punctuation
    ],
)
def test_shingles_are_word_trigrams_or_han_4grams(body, expected):
    assert dedup.shingles("", body) == expected


def test_title_counts_only_when_the_body_is_short():
    long_body = " ".join(f"word{i}" for i in range(40))
    assert dedup.shingles("A headline", long_body) == dedup.shingles("Other words", long_body)
    assert dedup.shingles("A headline here", "short body") != dedup.shingles("", "short body")


def test_signatures_estimate_jaccard():
    words = [f"w{i}" for i in range(400)]
    a = dedup.article_signature("", " ".join(words))
    b = dedup.article_signature("", " ".join(words[:380] + [f"x{i}" for i in range(20)]))
    c = dedup.article_signature("", " ".join(f"y{i}" for i in range(400)))
    assert dedup.similarity(a, a) == 1.0
    assert 0.8 <= dedup.similarity(a, b) < 1.0  # true Jaccard 378/422 = 0.90
    assert dedup.similarity(a, c) < 0.1
    assert dedup.sig_from_bytes(a.tobytes()) == a
    assert len(dedup.band_terms(a)) == dedup.BANDS


def test_too_little_text_has_no_signature():
    assert dedup.article_signature("Hi", "Short.") is None


# --- detection at index time ----------------------------------------------------------------


def test_copies_group_and_stories_on_the_same_topic_do_not(dups_index):
    groups = groups_of(dups_index)
    assert copies(groups) == sorted([EN_COPIES, MS_COPIES, ZH_COPIES], key=sorted)
    for doc_id in LONERS:
        assert groups[doc_id] == doc_id
    # the label is the id of a member, the first indexed
    for members in copies(groups):
        assert groups[next(iter(members))] in members


def test_the_fixture_news_has_no_duplicates(news_index):
    assert copies(groups_of(news_index)) == []


def test_copies_published_weeks_apart_are_different_stories(dups_copy, tmp_path):
    src = dups_copy / "en/bernama_hotline.md"
    text = src.read_text(encoding="utf-8").replace("date: 2025-11-01", "date: 2026-11-01")
    (dups_copy / "en/next_year.md").write_text(text, encoding="utf-8")
    groups = _build_groups(dups_copy, tmp_path / "index")
    assert groups["dups/en/next_year.md"] == "dups/en/next_year.md"


def _build_groups(root: Path, index_dir: Path) -> dict[str, str]:
    build_index([root], index_dir)
    return groups_of(index_dir)


def test_incremental_runs_keep_groups(dups_copy, tmp_path):
    index_dir = tmp_path / "index"
    label = _build_groups(dups_copy, index_dir)["dups/en/star_hotline.md"]
    # a new copy joins the group
    edited_copy(
        dups_copy / "en/bernama_hotline.md",
        dups_copy / "en/fmt_hotline.md",
        "Khaled: hotline will stop collisions becoming crises",
        ("told a press conference", "told reporters"),
    )
    report = build_index([dups_copy], index_dir)
    assert report.added == 1
    groups = groups_of(index_dir)
    assert groups["dups/en/fmt_hotline.md"] == label
    # deleting the article whose id is the label leaves the others collapsed
    (dups_copy / label.removeprefix("dups/")).unlink()
    build_index([dups_copy], index_dir)
    with Searcher(index_dir) as s:
        results = s.search("hotline tabletop", lang="en", match="all")
    assert [h.similar for h in results.hits] == [3]
    assert set(results.hits[0].similar_ids) | {results.hits[0].id} == (
        EN_COPIES | {"dups/en/fmt_hotline.md"}
    ) - {label}
    # and a later copy still finds the group through the copies that are left
    edited_copy(
        dups_copy / "en/star_hotline.md",
        dups_copy / "en/sun_hotline.md",
        "Hotline for ASEAN navies",
        ("ten member states", "10 member states"),
    )
    build_index([dups_copy], index_dir)
    assert groups_of(index_dir)["dups/en/sun_hotline.md"] == label


def test_an_updated_article_that_is_no_longer_a_copy_leaves_its_group(dups_copy, tmp_path):
    index_dir = tmp_path / "index"
    build_index([dups_copy], index_dir)
    other = (dups_copy / "en/ministers_cyber.md").read_text(encoding="utf-8")
    (dups_copy / "en/star_hotline.md").write_text(other.replace("cyber", "space"), "utf-8")
    report = build_index([dups_copy], index_dir)
    assert report.updated == 1
    groups = groups_of(index_dir)
    assert groups["dups/en/star_hotline.md"] != groups["dups/en/nst_hotline.md"]


# --- collapsing in search -----------------------------------------------------------------


def test_search_collapses_copies_into_the_best_ranked_one(dups_index):
    with Searcher(dups_index) as s:
        results = s.search("hotline", lang="en")
        every = s.search("hotline", lang="en", collapse=False)
    assert results.total == 2  # groups
    first, second = results.hits
    assert first.id in EN_COPIES and first.similar == 3
    assert set(first.similar_ids) == EN_COPIES - {first.id}
    assert second.id == "dups/en/hotline_analysis.md" and second.similar == 0
    assert second.similar_ids == []
    assert every.total == 5
    assert [h.id for h in every.hits][0] == first.id  # the same ranking, copies kept
    assert all(h.similar == 0 for h in every.hits)
    assert {h.group for h in every.hits if h.id in EN_COPIES} == {first.group}


def test_similar_counts_only_copies_that_match(dups_index):
    with Searcher(dups_index) as s:
        # "Bernama" is in one English copy's trailing line only
        results = s.search("hotline bernama", lang="en", match="all")
    assert [(h.id, h.similar) for h in results.hits] == [("dups/en/star_hotline.md", 0)]


def test_paging_and_total_count_groups(dups_index):
    with Searcher(dups_index) as s:
        pages = [s.search("hotline OR 热线 OR talian", limit=2, page=p) for p in (1, 2, 3)]
        by_date = s.search("hotline OR 热线 OR talian", sort="date")
    assert {p.total for p in pages} == {4}  # en, zh and ms copies, and the analysis
    ids = [h.id for p in pages for h in p.hits]
    assert len(ids) == 4 and pages[2].hits == []
    assert [h.rank for p in pages for h in p.hits] == [1, 2, 3, 4]
    assert by_date.total == 4
    assert by_date.hits[0].id == "dups/en/hotline_analysis.md"  # newest first


def test_cli_marks_similar_and_all_shows_every_copy(dups_index):
    res = run("search", "--index", dups_index, "hotline", "--lang", "en")
    assert res.exit_code == 0
    assert "(+3 similar)" in res.stdout
    assert "2 hits, showing 1–2" in res.stderr
    res = run("search", "--index", dups_index, "hotline", "--lang", "en", "--all")
    assert res.exit_code == 0
    assert "similar)" not in res.stdout
    assert all(doc_id in res.stdout for doc_id in EN_COPIES)


def test_json_carries_the_group(dups_index):
    res = run("search", "--index", dups_index, "--json", "热线")
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(records) == 1
    rec = records[0]
    assert rec["schema_version"] == 1
    assert rec["group"] == "dups/zh/xinhua_hotline.md"
    assert rec["similar"] == 1
    assert rec["similar_ids"] == list(ZH_COPIES - {rec["id"]})
    res = run("search", "--index", dups_index, "--json", "--all", "热线")
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert {r["id"] for r in records} == ZH_COPIES
    assert {r["group"] for r in records} == {"dups/zh/xinhua_hotline.md"}
    assert {r["similar"] for r in records} == {0}


def test_batch_collapses_unless_all(dups_index, tmp_path):
    queries = tmp_path / "q.txt"
    queries.write_text("talian\n", encoding="utf-8")
    res = run("search", "--index", dups_index, "--batch", queries)
    assert [json.loads(x)["similar"] for x in res.stdout.splitlines()] == [1]
    res = run("search", "--index", dups_index, "--batch", queries, "--all")
    assert [json.loads(x)["similar"] for x in res.stdout.splitlines()] == [0, 0]


def test_saved_run_new_ignores_a_new_copy_of_a_seen_story(dups_copy, tmp_path):
    index_dir = tmp_path / "index"
    build_index([dups_copy], index_dir)
    assert run("saved", "add", "--index", index_dir, "h", "hotline").exit_code == 0
    res = run("saved", "run", "--index", index_dir, "h")
    assert "(+3 similar)" in res.stdout
    stories = run("search", "--index", index_dir, "hotline").stderr.split(" hits")[0]
    assert f"== h: hotline — {stories} hits, first run" in res.stdout  # stories, as search
    edited_copy(
        dups_copy / "en/bernama_hotline.md",
        dups_copy / "en/fmt_hotline.md",
        "Khaled: hotline will stop collisions becoming crises",
        ("told a press conference", "told reporters"),
    )
    build_index([dups_copy], index_dir)
    res = run("saved", "run", "--index", index_dir, "h", "--new")
    assert res.exit_code == 1, res.stdout
    assert f"nothing new of {stories} hits" in res.stdout  # the new copy is no new story
    # a story nobody had seen is new
    (dups_copy / "en/other.md").write_text(
        "Fishermen welcome naval hotline\n\ndate 2025-11-04\n\n"
        "Fishing crews in Sabah said the new hotline between navies could make their trips "
        "safer, as coast guard ships often shadow their boats for hours near the reefs.\n",
        encoding="utf-8",
    )
    build_index([dups_copy], index_dir)
    res = run("saved", "run", "--index", index_dir, "h", "--new", "--json")
    assert [json.loads(x)["id"] for x in res.stdout.splitlines()] == ["dups/en/other.md"]


# --- similar (more-like-this) -------------------------------------------------------------


def test_similar_finds_the_copies_first_and_collapses_them(dups_index):
    with Searcher(dups_index) as s:
        results = s.similar("dups/en/bernama_hotline.md", limit=5)
        every = s.similar("dups/en/bernama_hotline.md", limit=10, collapse=False)
    first = results.hits[0]
    assert first.id in EN_COPIES and first.similar == 2
    assert "dups/en/bernama_hotline.md" not in [h.id for h in every.hits]
    assert {h.id for h in every.hits[:3]} == EN_COPIES - {"dups/en/bernama_hotline.md"}
    assert "hotlin" in results.query.split()  # the key terms it searched for


def test_key_terms_per_language(dups_index):
    with Searcher(dups_index) as s:
        docnum = s._latest_searcher().document_number(id="dups/zh/xinhua_hotline.md")
        terms = key_terms(s._latest_searcher(), docnum)
    assert list(terms) == ["zh"]
    words = [t for t, _w in terms["zh"]]
    assert "热线" in words[:3]
    weights = [w for _t, w in terms["zh"]]
    assert weights[0] == 1.0 and weights == sorted(weights, reverse=True)


def test_similar_cli(dups_index):
    res = run("similar", "--index", dups_index, "dups/zh/xinhua_hotline.md", "-n", "3")
    assert res.exit_code == 0
    assert res.stdout.lstrip().startswith("1.")
    assert "dups/zh/zaobao_hotline.md" in res.stdout.splitlines()[1]
    assert "like dups/zh/xinhua_hotline.md: 热线" in res.stderr
    res = run(
        "similar", "--index", dups_index, "--json", "--lang", "ms", "dups/ms/bernama_talian.md"
    )
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert records[0]["id"] == "dups/ms/utusan_talian.md"
    assert all("ms" in r["langs"] for r in records)
    assert "dups/ms/bernama_talian.md" not in [r["id"] for r in records]


def test_similar_unknown_id_is_an_error(dups_index):
    res = run("similar", "--index", dups_index, "no/such.md")
    assert res.exit_code == 2
    assert "no article with id 'no/such.md'" in res.stderr


def test_similar_exit_1_when_nothing_is_similar(tmp_path):
    root = tmp_path / "two"
    root.mkdir()
    (root / "a.txt").write_text("Palm oil\n\nPalm oil exports rose sharply.\n", "utf-8")
    (root / "b.txt").write_text("Banjir\n\nBanjir kilat melanda Shah Alam.\n", "utf-8")
    build_index([root], tmp_path / "index")
    res = run("similar", "--index", tmp_path / "index", "two/a.txt")
    assert res.exit_code == 1
    assert res.stdout == ""


@pytest.mark.parametrize(
    "query, lang, sort",
    [
        ("hotline", None, "relevance"),
        ("hotline", None, "date"),
        ("ASEAN OR 东盟 OR talian", None, "relevance"),
        ("ASEAN OR 东盟 OR talian", "en", "relevance"),
        ("ASEAN OR 东盟 OR talian", None, "date"),
        ("cyber OR siber OR 网络", None, "relevance"),
    ],
)
def test_collapsed_pages_are_the_first_copy_of_each_group_of_the_full_list(
    dups_index, query, lang, sort
):
    """Collapsing (our one-pass collector, or whoosh's for date order) agrees with taking
    the uncollapsed ranking and keeping each group's first copy."""
    with Searcher(dups_index) as s:
        every = s.search(query, lang=lang, sort=sort, collapse=False, limit=1000)
        firsts, seen = [], set()
        for hit in every.hits:
            if hit.group not in seen:
                seen.add(hit.group)
                firsts.append(hit)
        pages = [s.search(query, lang=lang, sort=sort, limit=2, page=n) for n in (1, 2, 3, 4)]
    assert all(p.total == len(firsts) for p in pages)
    collapsed = [h for p in pages for h in p.hits]
    if sort == "relevance":
        assert [h.id for h in collapsed] == [h.id for h in firsts]
    else:  # newest first; on one date, stories (and copies) may come in any order
        by_date = lambda hits: sorted((h.date or "", h.group) for h in hits)  # noqa: E731
        assert by_date(collapsed) == by_date(firsts)
        dates = [h.date or "" for h in collapsed]
        assert dates == sorted(dates, reverse=True)


def test_daily_templated_items_do_not_chain_into_one_group():
    """Each day's item is a copy of the day before; a group still spans at most a week."""
    from datetime import datetime, timedelta

    class EmptyIndex:
        def doc_count(self):
            return 0

    body = (
        "The weather service said on {} that skies over Kuala Lumpur will be mostly cloudy "
        "with a chance of thunderstorms in the afternoon across the Klang Valley and parts of "
        "Selangor, with temperatures between 24 and 33 degrees Celsius, and residents are "
        "advised to stay indoors during storms."
    )
    finder = dedup.DupFinder(EmptyIndex())
    groups: dict[str, list[datetime]] = {}
    for day in range(60):
        when = datetime(2024, 1, 1) + timedelta(days=day)
        text = body.format("Monday" if day % 2 else "Tuesday")
        groups.setdefault(finder.fields(f"w{day}", "Weather", text, when)["dup"], []).append(when)
    assert len(groups) >= 60 // (dedup.MAX_DAYS_APART + 1)
    assert all((max(d) - min(d)).days <= dedup.MAX_DAYS_APART for d in groups.values())


def test_candidates_per_band_are_capped(monkeypatch):
    """A thousand articles of one boilerplate body: each compares with the newest few."""
    from datetime import datetime

    class EmptyIndex:
        def doc_count(self):
            return 0

    finder = dedup.DupFinder(EmptyIndex())
    body = " ".join(f"paywall notice word{i}" for i in range(40))
    compared = []
    real = dedup.similarity
    monkeypatch.setattr(dedup, "similarity", lambda a, b: compared.append(1) or real(a, b))
    for n in range(1000):
        finder.fields(f"p{n}", "Subscribe", body, datetime(2024, 1, 1))
    assert len(compared) <= 1000 * dedup.MAX_PER_BAND


@pytest.mark.parametrize("first", ["a.txt", "b.txt"])
def test_tied_copies_show_the_same_copy_whatever_the_index_order(tmp_path, first):
    """Exact copies score alike. The copy shown must not depend on which came first in
    the index (that depends on run order and, in a parallel build, on timing): the one
    with the smaller id, docs/a.txt, in both orders."""
    text = "Patrol boats\n\nTwo patrol boats sailed from Labuan at dawn on 3 March 2025.\n"
    other = "Patrol drill\n\nA patrol drill was held off Sandakan at dawn on 3 March 2025.\n"
    docs = tmp_path / "docs"
    docs.mkdir()
    later = "b.txt" if first == "a.txt" else "a.txt"
    for name, body in ((first, text), ("z.txt", other), (later, text)):
        (docs / name).write_text(body, "utf-8")
        build_index([docs], tmp_path / "ix")  # a segment a run: index order is run order
    with Searcher(tmp_path / "ix") as s:
        shown = {h.id: h.similar_ids for h in s.search("patrol", limit=10).hits}
    assert shown == {"docs/a.txt": ["docs/b.txt"], "docs/z.txt": []}


def _reference_pending(items):
    """The pending table as it was before PendingBands: band -> list of entries."""
    table: dict[str, list] = {}
    for doc_id, group, sig, when, bands in items:
        entry = (doc_id, group, sig, when)
        for band in bands:
            table.setdefault(band, []).append(entry)
    return lambda band: table.get(band, [])[-dedup.MAX_PER_BAND :]


def test_pending_bands_find_what_a_dict_of_lists_finds():
    """Same entries, same order (oldest of the newest MAX_PER_BAND first), whatever the
    table's growth; bands shared by many articles (boilerplate) capped as before."""
    import random
    from array import array
    from datetime import datetime

    rng = random.Random(5)
    shared = [array("I", (rng.getrandbits(32) for _ in range(dedup.NUM_HASHES))) for _ in range(3)]
    items = []
    for n in range(3000):
        sig = array("I", (rng.getrandbits(32) for _ in range(dedup.NUM_HASHES)))
        if n % 7 == 0:  # shares its first bands with many others
            base = shared[n % 3]
            sig[: 4 * dedup.ROWS] = base[: 4 * dedup.ROWS]
        when = datetime(2024, 1, 1 + n % 28) if n % 5 else None
        group = f"g{n % 11}" if n % 4 == 0 else f"d{n}"
        items.append((f"d{n}", group, sig, when, dedup.band_terms(sig)))
    pending = dedup.PendingBands()
    for item in items:
        pending.add(*item)
    assert len(pending) == len(items)
    expected = _reference_pending(items)
    for doc_id, _group, _sig, _when, bands in items[::13] + items[:20]:
        for band in bands:
            got = [pending.entry(e) for e in pending.newest(band)]
            assert got == expected(band), (doc_id, band)
    assert pending.newest("f0123456789") == []  # a term no article has
    pending.clear()
    assert len(pending) == 0 and pending.newest(items[0][4][0]) == []


def test_pending_bands_take_less_memory_than_a_dict_of_lists():
    import random
    import tracemalloc
    from array import array

    rng = random.Random(9)
    items = []
    for n in range(4000):
        sig = array("I", (rng.getrandbits(32) for _ in range(dedup.NUM_HASHES)))
        items.append((f"d{n}", f"d{n}", sig, None, dedup.band_terms(sig)))

    def held(build) -> int:
        tracemalloc.start()
        try:
            kept = build()
            size = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        del kept
        return size

    def compact():
        pending = dedup.PendingBands()
        for item in items:
            pending.add(*item)
        return pending

    def dict_of_lists():
        table: dict[str, list] = {}
        for doc_id, group, sig, when, bands in items:
            entry = (doc_id, group, array("I", sig), when)  # each its own signature
            for band in bands:
                table.setdefault(band, []).append(entry)
        return table

    assert held(compact) < 0.7 * held(dict_of_lists)


# --- the filter of band terms a run added ------------------------------------------------


def test_band_bloom_answers_yes_for_every_term_added_and_rarely_otherwise(monkeypatch):
    """No false "no" (a copy would be missed), across the filters it grows into."""
    import random

    monkeypatch.setattr(dedup.BandBloom, "FIRST_CAPACITY", 1000)
    rng = random.Random(3)
    keys = [rng.getrandbits(44) for _ in range(20000)]
    bloom = dedup.BandBloom()
    for n in range(0, len(keys), 16):
        bloom.add(keys[n : n + 16])
    assert len(bloom) > 3  # it grew
    assert all(key in bloom for key in keys)
    others = [rng.getrandbits(44) for _ in range(20000)]
    assert sum(key in bloom for key in others) < 0.05 * len(others)
    assert 5 not in dedup.BandBloom()  # empty


def _spied_filter(monkeypatch) -> list[bool]:
    answers: list[bool] = []
    real = dedup.BandBloom.__contains__
    monkeypatch.setattr(
        dedup.BandBloom,
        "__contains__",
        lambda self, key: answers.append(real(self, key)) or answers[-1],
    )
    return answers


@pytest.mark.parametrize("use_filter", [True, False])
def test_copies_are_found_across_commits_and_runs(dups_copy, tmp_path, monkeypatch, use_filter):
    """A commit after every article: each copy's candidates come from the committed index,
    in segments of this run (the filter skips bands it never added) and of the run before
    (always asked). The groups are the same with and without the filter."""
    monkeypatch.setenv("MLSEARCH_COMMIT_EVERY", "1")
    answers = _spied_filter(monkeypatch)
    if not use_filter:
        monkeypatch.setattr(dedup.DupFinder, "_readers_of_before", lambda self, reader: None)
    index_dir = tmp_path / "index"
    # first run: every copy but one; the second adds the last copy of each language
    held = {
        name: dups_copy.parent / f"held_{n}"
        for n, name in enumerate(
            ["en/star_hotline.md", "zh/zaobao_hotline.md", "ms/utusan_talian.md"]
        )
    }
    for name, dest in held.items():
        (dups_copy / name).rename(dest)
    first = _build_groups(dups_copy, index_dir)
    assert copies(first) == [s - {"dups/en/star_hotline.md"} for s in [EN_COPIES]]
    for name, dest in held.items():
        dest.rename(dups_copy / name)
    groups = _build_groups(dups_copy, index_dir)
    assert copies(groups) == sorted([EN_COPIES, ZH_COPIES, MS_COPIES], key=sorted)
    assert {groups[i] for i in EN_COPIES} == {first["dups/en/bernama_hotline.md"]}
    if use_filter:
        assert False in answers  # look-ups were skipped
    else:
        assert answers == []


def test_a_segment_of_before_merged_away_means_every_segment_is_asked(dups_copy, tmp_path):
    """The filter knows only this run's bands: once a segment that was there when the run
    started has been merged into a new one, no look-up is skipped."""
    from whoosh import index

    index_dir = tmp_path / "index"
    build_index([dups_copy], index_dir)
    ix = index.open_dir(str(index_dir))
    try:
        finder = dedup.DupFinder(ix)
        finder._index_reader()
        assert finder._old_readers is not None and len(finder._old_readers) == 1
        finder.close()
        writer = ix.writer()
        writer.add_document(id="new", title="new")
        writer.commit(optimize=True)  # the old segment and the new one, merged
        finder._index_reader()
        assert finder._old_readers is None
        finder.close()
    finally:
        ix.close()


def test_group_labels_are_sliced_when_looked_up_then_listed(dups_index):
    """A segment's first query gets its group labels sliced one by one as it looks them
    up (search.cache.GroupLabels), later queries a list of them all: the same labels, the
    same pages."""
    from search.cache import GroupLabels, SegmentData

    with Searcher(dups_index) as s:
        first = s.search("hotline OR 热线 OR talian", limit=2)
        kinds = {type(seg._labels) for seg in s._cache._segments.values()}
        pages = [s.search("hotline OR 热线 OR talian", limit=2, page=p) for p in (1, 2)]
        later = {type(seg._labels) for seg in s._cache._segments.values()}
    assert kinds == {GroupLabels} and later == {list}
    assert [h.id for h in first.hits] == [h.id for h in pages[0].hits]
    assert {p.total for p in [first, *pages]} == {4}
    assert len({h.id for p in pages for h in p.hits}) == 4

    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(dups_index))
    with ix.reader() as r:
        for sub, _offset in r.leaf_readers():
            segment = SegmentData(sub)
            data, starts, lengths = segment.groups()
            expected = [data[a : a + n] or None for a, n in zip(starts, lengths, strict=True)]
            lazy = segment.group_labels()
            assert type(lazy) is GroupLabels and len(lazy) == 0
            assert segment.group_labels() is lazy  # not filled: still sliced one by one
            last = len(expected) - 1
            assert lazy[last] == expected[last] and len(lazy) == 1
            with pytest.raises(IndexError):
                lazy[len(expected)]
            lazy.fill({0, last})
            assert dict(lazy) == {0: expected[0], last: expected[last]}
            assert lazy.as_list() == expected
            assert segment.group_labels() == expected  # after a fill: the list
            assert type(segment.group_labels()) is list


def test_a_page_knows_which_groups_have_copies_among_the_matches(dups_index):
    """``run_page`` hands ``search.hits`` the group labels two or more matches have
    (``Page.repeated``): a hit of another group is not looked up for copies, and the
    copies found are those of looking up every hit's group."""
    from search.hits import build_hits
    from search.plan import QueryPlan

    with Searcher(dups_index) as s:
        snap = s._snapshot()
        plan = QueryPlan.build(snap, s._parsers, "hotline", False, "en", None)
        page, total = plan.page(1, 10, "relevance", True)
        assert total == 2 and page.repeated is not None
        copies = {h.fields()["dup"] for h in page if h.fields()["id"] in EN_COPIES}
        assert {label.decode("utf-8") for label in page.repeated} == copies
        fast = build_hits(snap, page, plan.query, plan.matching())
        page.repeated = None  # not known: every hit's group looked up, as before
        slow = build_hits(snap, page, plan.query, plan.matching())
    assert fast == slow
    assert [(h.id in EN_COPIES, h.similar) for h in fast] == [(True, 3), (False, 0)]
