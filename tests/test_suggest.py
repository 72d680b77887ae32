"""Did you mean: corrections in Malay, English and Chinese, on no hits and on weak hits.

The fixture corpus (tests/fixtures/suggest) has some twenty articles per language sharing
common words (government, tentera, kerjasama, 新加坡, 马来西亚), one article each with a typo
of them (goverment, tentra, 新加波), and one with a rare real place name (Sabak, next to the
common Sabah).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES, build_fixture_index, invoke

SUGGEST = FIXTURES / "suggest"


@pytest.fixture(scope="module")
def suggest_index(tmp_path_factory):
    return build_fixture_index(tmp_path_factory, "suggest", SUGGEST)


@pytest.fixture(scope="module")
def sx(suggest_index):
    from search import Searcher

    with Searcher(suggest_index) as s:
        yield s


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        # Malay
        ("kerjasma", None, "kerjasama"),
        ("Kerjasma tentera", None, "Kerjasama tentera"),  # the case as typed
        ("projet kerajaan", None, "projek kerajaan"),  # Malay context: projek, not project
        ("projet", "ms", "projek"),
        # English
        ("governmnet budget", None, "government budget"),  # two letters swapped
        ("projet budget", None, "project budget"),  # English context
        ("projet", "en", "project"),
        # Chinese: a wrong character in the middle, at the end, at the start
        ("国防布长", None, "国防部长"),
        ("马来西亜", None, "马来西亚"),
        ("过防部长", None, "国防部长"),
        ("吉隆波", None, "吉隆坡"),
        ("國防布長", None, "國防部長"),  # Traditional as typed, the one character fixed
    ],
)
def test_no_hits_suggests_a_correction(sx, query, lang, expected):
    res = sx.search(query, lang=lang, match="all")
    assert res.total == 0
    assert res.suggestion == expected
    assert sx.count(expected, lang=lang) > 0
    # ranked (the default), articles with some of the words are shown: none has them
    # all, so the correction is offered all the same
    assert sx.search(query, lang=lang).suggestion == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tentra", "tentera"),
        ("goverment", "government"),
        ("新加波", "新加坡"),
    ],
)
def test_weak_hits_also_suggest(sx, query, expected):
    res = sx.search(query)
    assert 0 < res.total <= 2
    assert res.hits  # the results are shown, the suggestion comes with them
    assert res.suggestion == expected
    assert sx.count(expected) >= 10 * res.total


@pytest.mark.parametrize(
    "query",
    [
        "Sabak",  # a real place, in one article; Sabah is in twenty
        "government",
        "tentera",
        "新加坡",
        "polis diraja",
        "qqqqzzzz",  # nothing near it
    ],
)
def test_no_suggestion_for_real_words(sx, query):
    assert sx.search(query).suggestion is None


def test_fallback_to_any_word_still_suggests(sx):
    res = sx.search("kerjasma tentera", fallback=True)
    assert res.total > 0  # tentera alone
    assert res.notes  # said it fell back
    assert res.suggestion == "kerjasama tentera"


@pytest.mark.parametrize(
    ("query", "lang"),
    [
        ("kerjasma", "en"),  # kerjasama is only in Malay articles
        ("kerjasma", "zh"),
        ("tentra", "en"),
        ("马来西亜", "ms"),
    ],
)
def test_lang_filter_is_respected(sx, query, lang):
    assert sx.search(query, lang=lang).suggestion is None


def test_suggestion_can_be_turned_off(sx):
    assert sx.search("kerjasma", suggest=False).suggestion is None


def test_field_values_and_operators_are_left_alone(sx):
    assert sx.suggest("lang:ms kerjasma") == "lang:ms kerjasama"
    assert sx.suggest("tentera NOT kerjasma", hits=0) is None  # a negated word


_CORPUS_WORDS = ["kerjasama", "tentera", "government", "budget", "latihan", "keselamatan"]
_HAN_WORDS = ["国防部长", "马来西亚", "新加坡", "吉隆坡"]


@st.composite
def typos(draw):
    word = draw(st.sampled_from(_CORPUS_WORDS + _HAN_WORDS))
    i = draw(st.integers(0, len(word) - 1))
    kind = draw(st.sampled_from(["drop", "swap", "replace", "insert"]))
    alphabet = "亜布过波洋" if word[0] > "\u3000" else "aeiouknrst"
    ch = draw(st.sampled_from(alphabet))
    if kind == "drop":
        word = word[:i] + word[i + 1 :]
    elif kind == "swap" and i + 1 < len(word):
        word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    elif kind == "replace":
        word = word[:i] + ch + word[i + 1 :]
    else:
        word = word[:i] + ch + word[i:]
    extra = draw(st.sampled_from(["", " tentera", " budget", " 合作"]))
    return word + extra


@settings(max_examples=60, deadline=None)
@given(query=typos(), lang=st.sampled_from([None, "zh", "ms", "en"]))
def test_any_suggestion_finds_something(sx, query, lang):
    hits = sx.count(query, lang=lang)
    suggestion = sx.suggest(query, lang=lang, hits=hits)
    if suggestion is not None:
        assert suggestion != query
        assert sx.count(suggestion, lang=lang) >= max(1, 10 * hits)


# --- the command line --------------------------------------------------------------------


run = invoke  # mlsearch ARGS; fails the test on an internal error or a traceback


def test_cli_no_hits_suggests_and_exits_1(suggest_index):
    res = run("search", "--index", suggest_index, "--all-words", "马来西亜")
    assert res.exit_code == 1
    assert res.stdout == ""
    assert res.stderr.splitlines() == ["no hits", "did you mean: 马来西亚"]
    # ranked: the articles with some of its words, and the same correction
    res = run("search", "--index", suggest_index, "马来西亜")
    assert res.exit_code == 0
    assert "missing: " in res.stdout
    assert res.stderr.splitlines()[-1] == "did you mean: 马来西亚"


def test_cli_weak_hits_show_results_and_suggestion(suggest_index):
    res = run("search", "--index", suggest_index, "tentra")
    assert res.exit_code == 0
    assert "**Tentra** darat terima kenderaan baharu" in res.stdout
    assert res.stderr.splitlines()[0] == "1 hit, showing 1–1"
    assert res.stderr.splitlines()[-1] == "did you mean: tentera"


def test_cli_json_keeps_stdout_for_hits(suggest_index):
    import json

    res = run("search", "--index", suggest_index, "--json", "goverment")
    assert res.exit_code == 0
    [record] = [json.loads(line) for line in res.stdout.splitlines()]
    assert record["title"] == "Goverment clerks protest over late pay"
    assert res.stderr == "did you mean: government\n"


def test_cli_lang_filter_no_suggestion(suggest_index):
    res = run("search", "--index", suggest_index, "--lang", "en", "kerjasma")
    assert res.exit_code == 1
    assert "did you mean" not in res.stderr
    res = run("search", "--index", suggest_index, "--lang", "ms", "projet")
    assert res.exit_code == 1
    assert "did you mean: projek" in res.stderr


def test_a_pasted_paragraph_gets_no_suggestion(monkeypatch):
    from search import suggest as sg

    calls = []
    text = "国防布长" * 30  # 120 characters of typos
    assert sg.suggest(None, lambda q: calls.append(q) or 1, text) is None
    assert calls == []
    assert len(text) > sg.MAX_QUERY_CHARS


# --- names and terms the dictionaries know are not typos (issue #13) ----------------------
#
# tests/fixtures/suggest_names: 24 Chinese articles with 总统 (president) and 纳入 (include),
# one with 纳吉 (Najib), none with 巫统 (UMNO); 22 Malay ones with "Rumah Putih" (White
# House); one Malay and one English article on UMNO and Najib, one English one on Putin.

NAMES = FIXTURES / "suggest_names"


@pytest.fixture(scope="module")
def names_index(tmp_path_factory):
    return build_fixture_index(tmp_path_factory, "suggest_names", NAMES)


@pytest.fixture(scope="module")
def nx(names_index):
    from search import Searcher

    with Searcher(names_index) as s:
        yield s


@pytest.mark.parametrize(
    ("query", "hits", "trap"),
    [
        ("巫统", 0, "总统"),  # UMNO is not a typo of president (glossary)
        ("纳吉", 1, "纳入"),  # nor Najib of "include" (glossary, user dictionary)
        ("巫统 预算", 0, "总统"),  # nor beside another word
        ("Putin", 1, "Putih"),  # a slip away from Malay "putih", white (glossary)
    ],
)
def test_known_names_are_not_corrected(nx, query, hits, trap):
    res = nx.search(query, match="all")
    assert res.total == hits
    assert nx.search(query).suggestion is None
    assert nx.count(trap) >= 20  # the common word is there to be offered
    assert res.suggestion is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("总充 预算", "总统 预算"),
        ("纳吉 出廷", "纳吉 出庭"),  # the name kept, the typo beside it fixed
    ],
)
def test_typos_beside_known_names_still_corrected(nx, query, expected):
    assert nx.search(query).suggestion == expected


def test_known_names_from_each_dictionary():
    from search.glossary import load_glossary
    from search.known import DICT_NAME_FREQ, KnownNames

    known = KnownNames(load_glossary(()))
    assert known.han_positions("巫统") == {0, 1}  # glossary (jieba tags it n)
    assert known.han_positions("巫统领袖") == {0, 1, 2, 3}  # and 领袖, a common word
    assert known.han_positions("慕尤丁") == {0, 1, 2}  # user dictionary and glossary
    assert known.han_positions("德里") == {0, 1}  # jieba's dictionary: Delhi, ns
    # jieba lists 吉隆波 as a name seen 3 times (吉隆坡: 85): a typo, not a name.
    assert DICT_NAME_FREQ > 3
    assert known.han_positions("吉隆波") == set()
    assert known.han_positions("新加波") == set()  # no HMM guesses (it would say ns)
    assert known.han_positions("国防布长") == {0, 1}  # 国防 (glossary), 布 is fair game
    assert known.latin("putin", "Putin") and known.latin("zahid", "zahid")  # Zahid Hamidi
    assert known.latin("pas", "PAS") and not known.latin("pas", "pas")  # an acronym form
    assert not known.latin("goverment", "goverment")
    assert not KnownNames(None).latin("putin", "Putin")
    assert KnownNames(None).han_positions("巫统") == set()  # jieba tags 巫统 n


def test_user_glossary_names_are_known_too(tmp_path, nx):
    from search import Searcher

    glossary = tmp_path / "mine.tsv"
    glossary.write_text("Putuh\tPutuh\t普图\tperson\n", encoding="utf-8")  # a made-up name
    assert nx.search("Rumah Putuh").suggestion == "Rumah Putih"
    with Searcher(nx.index_dir, glossary=[glossary]) as s:
        assert s.search("Rumah Putuh").suggestion is None


def test_an_unreadable_user_glossary_does_not_break_plain_search(nx, monkeypatch, tmp_path):
    monkeypatch.setenv("MLSEARCH_GLOSSARY", str(tmp_path / "missing.tsv"))
    res = nx.search("巫统")
    assert res.suggestion is None  # the shipped glossary still knows UMNO
    assert res.cross_hint is None  # --cross itself would say what is wrong
    assert nx.search("总充").suggestion == "总统"


@pytest.mark.parametrize(
    ("query", "hits", "total", "entries"),
    [
        ("巫统", 0, 2, ["UMNO/巫统"]),
        ("纳吉", 1, 3, ["Najib Razak/纳吉"]),
        ("najib", 2, 3, ["Najib Razak/纳吉"]),
    ],
)
def test_cross_is_offered_when_it_finds_more(nx, query, hits, total, entries):
    from search.results import CrossHint

    res = nx.search(query)
    assert res.total == hits
    assert res.cross_hint == CrossHint(total=total, entries=entries)
    assert nx.search(query, cross=True).total == total  # what the hint promises


@pytest.mark.parametrize(
    ("query", "options"),
    [
        ("巫统", {"cross": True}),  # already across languages
        ("巫统", {"lang": "zh"}),  # no Chinese article, translated or not
        ("巫统", {"suggest": False}),
        ("Putin", {}),  # 普京 is in no article: --cross finds the same one
        ("UMNO", {}),  # 2 hits, and --cross finds those 2
        ("总统", {}),  # 24 hits: not weak
        ("tentera", {}),  # no glossary entry
    ],
)
def test_cross_not_offered(nx, query, options):
    assert nx.search(query, **options).cross_hint is None


def test_cli_offers_cross_instead_of_a_common_word(names_index):
    res = run("search", "--index", names_index, "巫统")
    assert res.exit_code == 1
    assert res.stderr.splitlines() == [
        "no hits",
        "try --cross: 2 articles mention UMNO/巫统 in any language",
    ]
    res = run("search", "--index", names_index, "--json", "纳吉")
    assert res.exit_code == 0
    assert len(res.stdout.splitlines()) == 1
    assert res.stderr == "try --cross: 3 articles mention Najib Razak/纳吉 in any language\n"
    res = run("search", "--index", names_index, "--cross", "纳吉")
    assert res.stderr.splitlines()[0] == "3 hits, showing 1–3"
    assert "try --cross" not in res.stderr


# --- a common word missing from a small index is not a typo ------------------------------


def test_a_common_dictionary_word_is_not_corrected(tmp_path_factory):
    """合作 (cooperation) is missing from these articles, but 联合日报 gives the bigram 合日:
    the bigram repair once offered "东盟 合日". jieba's dictionary saw 合作 13,478 times."""
    from search import Searcher
    from search.known import DICT_WORD_FREQ, KnownNames

    folder = tmp_path_factory.mktemp("common_words")
    for i in range(6):
        (folder / f"a{i}.txt").write_text(
            f"东盟防长会议第{i}次举行\n\n东盟各国防长出席。作者 联合日报新闻室\n", encoding="utf-8"
        )
    with Searcher(build_fixture_index(tmp_path_factory, "common", folder)) as s:
        assert s.count("合日") > 0  # the bigram the repair would have used is there
        for query, some in (("东盟 合作", True), ("合作", False)):
            res = s.search(query)
            assert (res.total > 0) == some  # 东盟 is found, 合作 nowhere
            assert res.suggestion is None, query
    known = KnownNames(None)
    assert known.han_positions("合作") == {0, 1}
    assert known.han_positions("出廷") == set()  # not a word: 出庭 (in court) is fixable
    assert DICT_WORD_FREQ > 3  # 吉隆波, seen 3 times, stays a typo


def test_the_preceding_characters_table_is_kept_per_reader(sx, suggest_index):
    """Built once per open index reader: two Searchers taking turns (a ranked and an
    --all-words one) each keep theirs, instead of rebuilding it (0.3-1 s at 15k) each turn."""
    from search import Searcher
    from search.suggest import _preceding_chars

    with Searcher(suggest_index) as other:
        mine, theirs = sx._latest_searcher().reader(), other._latest_searcher().reader()
        first = _preceding_chars(mine)
        assert "来" in first and "马" in first["来"]  # 马来西亚: 马 comes before 来
        assert _preceding_chars(theirs) is not first
        assert _preceding_chars(mine) is first  # still kept after the other reader's turn


def test_preceding_characters_are_kept_between_runs_under_the_segments(suggest_index, monkeypatch):
    """The table of characters before each character in the Chinese words (for a typo at
    a two-character word's start) is built once per index state, then read back by the
    next process (a fresh reader here), and built again when the segments change."""
    from search import Searcher
    from search import suggest as sg
    from search.tablecache import cache_dir

    built = []
    build = sg._build_preceding_chars
    monkeypatch.setattr(sg, "_build_preceding_chars", lambda r: built.append(1) or build(r))
    for old in cache_dir().glob("zh-preceding-chars*.pickle"):
        old.unlink()
    with Searcher(suggest_index) as s:
        first = sg._preceding_chars(s._snapshot().reader)
    assert built == [1] and first and all(isinstance(v, str) for v in first.values())
    with Searcher(suggest_index) as s:  # another reader: from the cache
        reader = s._snapshot().reader
        assert sg._preceding_chars(reader) == first
        assert sg._preceding_chars(reader) is sg._preceding_chars(reader)
        assert first == build(reader)
        key = sg._segments_key(reader)
    assert built == [1] and key and len(key) >= 1
    monkeypatch.setattr(sg, "_segments_key", lambda r: key + (("another segment", 1),))
    with Searcher(suggest_index) as s:
        assert sg._preceding_chars(s._snapshot().reader) == first
    assert built == [1, 1]
    # two indexes searched in turn (here: two index states) each keep their own table
    monkeypatch.setattr(sg, "_segments_key", lambda r: key)
    with Searcher(suggest_index) as s:
        assert sg._preceding_chars(s._snapshot().reader) == first
    assert built == [1, 1]
    assert len(list(cache_dir().glob("zh-preceding-chars-*.pickle"))) == 2


def test_tables_kept_per_key_keep_the_ones_used_last(monkeypatch, tmp_path):
    """``cached_table(..., keep=N)``: a file per key, the N used last kept (reading one
    counts as using it), the others deleted."""
    import os
    import time

    from search import tablecache

    monkeypatch.setenv("MLSEARCH_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "t.pickle").write_bytes(b"the one file of before")
    built = []

    def table(key):
        return tablecache.cached_table("t", (key,), lambda: built.append(key) or key, keep=2)

    assert [table("a"), table("b"), table("a")] == ["a", "b", "a"]
    assert built == ["a", "b"]  # "a" read back, not rebuilt
    files = sorted(tmp_path.joinpath("cache").glob("t-*.pickle"))
    assert len(files) == 2
    assert not (tmp_path / "cache" / "t.pickle").exists()  # not left behind
    # make the times unambiguous: "b" used longest ago, then "a" read again
    for i, p in enumerate(files):
        os.utime(p, ns=(time.time_ns() - 10**10 * (i + 1),) * 2)
    table("a")
    table("c")  # a third key: the one used longest ago ("b") goes
    assert built == ["a", "b", "c"]
    assert len(list(tmp_path.joinpath("cache").glob("t-*.pickle"))) == 2
    assert table("a") == "a" and built == ["a", "b", "c"]
    assert table("b") == "b" and built == ["a", "b", "c", "b"]


def test_a_correction_is_written_as_the_articles_write_it(tmp_path_factory, tmp_path):
    """A suggested word the articles' bodies write in capitals (an acronym) is offered in
    capitals whatever the case typed (``unclosed`` -> ``UNCLOS``); a word only headlines
    write in capitals keeps the case typed."""
    import json

    from search import Searcher

    docs = tmp_path / "docs"
    docs.mkdir()
    rows = [
        {
            "id": f"u-{i}",
            "lang": "en",
            "title": "MINISTERS MEET ON MARITIME LAW",
            "body": "The ministers said UNCLOS sets the rules at sea. Under UNCLOS, coastal "
            "states claim zones. The treaty was discussed by ministers again.",
        }
        for i in range(6)
    ]
    (docs / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    index = build_fixture_index(tmp_path_factory, "written", docs)
    with Searcher(index) as s:
        assert s.search("unclosed").suggestion == "UNCLOS"
        assert s.search('"unclosed').suggestion == '"UNCLOS'
        assert s.search("Unclosed").suggestion == "UNCLOS"
        # MARITIME is in capitals in the headlines only: the case as typed
        assert s.search("maritim").suggestion in (None, "maritime")
        assert s.search("ministres").suggestion == "ministers"
        assert s.search("Ministres").suggestion == "Ministers"
