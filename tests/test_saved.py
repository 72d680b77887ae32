"""Saved queries: mlsearch saved add|list|show|rm|run, the saved.toml file, what is new."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tomllib

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from indexer.write.build import build_index
from search import saved as saved_mod
from search.cli import main
from search.saved import (
    SavedQuery,
    SavedQueryError,
    add_saved,
    load_saved,
    run_saved,
    toml_string,
)
from tests.conftest import invoke

SAVED_HIT_FIELDS = {
    "schema_version",
    "rank",
    "id",
    "score",
    "title",
    "date",
    "langs",
    "source",
    "url",
    "snippet",
    "highlights",
    "group",
    "similar",
    "similar_ids",
    "matched",
    "missing",
    "saved",
    "new",
}


run = invoke  # mlsearch ARGS; fails the test on an internal error or a traceback


def article(folder, name, title, body, date="2025-11-01"):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n{date}\n\n{body}\n", encoding="utf-8")
    return path


@pytest.fixture
def ix(news_index, tmp_path, monkeypatch):
    """A private copy of the fixture index, the default for every command."""
    dest = tmp_path / "ix"
    shutil.copytree(news_index, dest)
    monkeypatch.setenv("MLSEARCH_INDEX", str(dest))
    return dest


@pytest.fixture
def docs(tmp_path, monkeypatch):
    """A small folder of articles indexed into tmp_path/dix (the default index)."""
    folder = tmp_path / "docs"
    article(folder, "a.txt", "Navy exercise off Penang", "The navy held an exercise.", "2025-10-01")
    article(folder, "b.txt", "Banjir di Kelantan", "Banjir melanda kampung itu.", "2025-10-05")
    index = tmp_path / "dix"
    build_index([folder], index)
    monkeypatch.setenv("MLSEARCH_INDEX", str(index))
    return folder


def reindex(folder):
    build_index([folder], os.environ["MLSEARCH_INDEX"])


# ---- add, list, show, rm ----------------------------------------------------------------


def test_add_list_show_rm(ix):
    res = run("saved", "add", "sea", "南海", "局势", "--lang", "zh", "--sort", "date", "-n", "5")
    assert res.exit_code == 0, res.output
    assert "saved sea" in res.stdout
    data = tomllib.loads((ix / "saved.toml").read_text(encoding="utf-8"))
    assert data["queries"]["sea"] == {
        "query": "南海 局势",
        "limit": 5,
        "sort": "date",
        "lang": "zh",
    }
    assert run("saved", "add", "asean", "ASEAN", "--date", "[2025-10 TO]").exit_code == 0

    res = run("saved", "list")
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["NAME", "QUERY", "LAST", "RUN", "HITS"]
    assert lines[1].split()[:2] == ["sea", "南海"] and "never" in lines[1]
    assert lines[2].split()[:2] == ["asean", "ASEAN"]

    res = run("saved", "show", "asean")
    assert "runs as:  (ASEAN) date:[2025-10 TO]" in res.stdout
    assert "last run: never" in res.stdout
    shown = json.loads(run("saved", "show", "--json", "sea").stdout)
    assert shown["query"] == "南海 局势" and shown["last_run"] is None and shown["limit"] == 5

    res = run("saved", "rm", "sea")
    assert (res.exit_code, res.stdout) == (0, "removed sea\n")
    assert list(load_saved(ix)) == ["asean"]
    res = run("saved", "rm", "sea")
    assert res.exit_code == 2
    assert "no saved query named 'sea'" in res.stderr and "Traceback" not in res.output


def test_list_after_runs_shows_last_run_and_hits(ix):
    run("saved", "add", "asean", "ASEAN")
    assert run("saved", "run", "asean").exit_code == 0
    line = run("saved", "list").stdout.splitlines()[1]
    assert "never" not in line and line.split()[-1] == "3"
    listed = json.loads(run("saved", "list", "--json").stdout)
    assert (listed["name"], listed["hits"], listed["seen"]) == ("asean", 3, 3)


def test_list_with_nothing_saved(ix):
    res = run("saved", "list")
    assert res.exit_code == 0 and res.stdout == ""
    assert "no saved queries" in res.stderr


def test_add_refuses_duplicates_bad_queries_and_missing_index(ix, tmp_path):
    assert run("saved", "add", "x", "ASEAN").exit_code == 0
    res = run("saved", "add", "x", "banjir")
    assert res.exit_code == 2 and "already a saved query named 'x'" in res.stderr
    assert "--replace" in res.stderr
    assert run("saved", "add", "--replace", "x", "banjir").exit_code == 0
    assert load_saved(ix)["x"].query == "banjir"

    before = (ix / "saved.toml").read_text(encoding="utf-8")
    for args in (
        ["bad", "date:someday"],
        ["bad", "ASEAN", "--date", "someday"],
        ["bad", "ASEAN", "--date", "2025-10-01 TO"],
        ["bad name", "ASEAN"],
        ["-n", "0", "bad", "ASEAN"],
    ):
        res = run("saved", "add", *args)
        assert res.exit_code == 2, args
        assert "Traceback" not in res.output
    assert (ix / "saved.toml").read_text(encoding="utf-8") == before

    res = run("saved", "add", "--index", tmp_path / "nowhere", "x", "ASEAN")
    assert res.exit_code == 2 and "no index at" in res.stderr


def test_unicode_names_and_awkward_queries_survive_the_file(ix):
    query = 'South "China" Sea \\ back\\slash\ttab'
    add_saved(SavedQuery("东盟-防长.1", query), ix)
    add_saved(SavedQuery("plain", "ASEAN"), ix)
    got = load_saved(ix)
    assert got["东盟-防长.1"].query == query
    assert '[queries."东盟-防长.1"]' in (ix / "saved.toml").read_text(encoding="utf-8")
    assert list(got) == ["东盟-防长.1", "plain"]


@given(st.text())
def test_toml_string_round_trips(text):
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


# ---- hand-edited files -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, line, words",
    [
        ('[queries.a]\nquery = "ASEAN\n', 2, "not valid TOML"),
        ('[queries.a]\nquery = "ASEAN"\nlimit = 3\nlimit = 4\n', 4, "not valid TOML"),
        ('[queries.a]\nquery = "ASEAN"\nlimt = 3\n', 3, "unknown key 'limt'"),
        ('[queries.a]\nquery = "ASEAN"\n\n[queries.b]\nquery = "x"\nlimit = "ten"\n', 6, "limit"),
        ('[queries.a]\nquery = "ASEAN"\nlang = "fr"\n', 3, "lang must be zh, ms or en"),
        ('[queries.a]\nquery = "ASEAN"\nsort = "random"\n', 3, "sort must be"),
        ("[queries.a]\nquery = 42\n", 2, "query must be a string"),
        ("[queries.a]\nlimit = 3\n", 1, "missing query"),
        ('[queries."bad name"]\nquery = "x"\n', 1, "names are letters"),
        ('version = 2\n[queries.a]\nquery = "x"\n', 1, "unknown setting 'version'"),
        ('[queries.a]\nquery = "x"\ndate = "2025 TO 2026"\n', 3, "date must be one date"),
    ],
)
def test_a_hand_edited_mistake_is_named_by_line(ix, body, line, words):
    text = "# my saved queries\n\n" + body
    (ix / "saved.toml").write_text(text, encoding="utf-8")
    for args in (["list"], ["run", "--all"], ["add", "new", "ASEAN"], ["show", "a"]):
        res = run("saved", *args)
        assert res.exit_code == 2, args
        assert "Traceback" not in res.output
        assert f"saved.toml, line {line + 2}" in res.stderr, res.stderr
        assert words in res.stderr
        assert "hint:" in res.stderr
    assert (ix / "saved.toml").read_text(encoding="utf-8") == text  # never overwritten


def test_a_hand_edited_query_that_does_not_parse_is_named(ix):
    (ix / "saved.toml").write_text('[queries.bad]\nquery = "date:someday"\n', "utf-8")
    res = run("saved", "run", "--all")
    assert res.exit_code == 2
    assert res.stderr.startswith("mlsearch: error: saved query 'bad': cannot read the date")
    assert "saved add --replace bad" in res.stderr


def test_hand_edits_and_comments_survive_add_and_rm(ix):
    text = (
        "# Topics for the morning briefing.\n"
        "\n"
        "# the sea\n"
        "[queries.sea]\n"
        'query = "南海"   # Chinese only\n'
        "\n"
        "# defence ministers, all languages\n"
        "[queries.adm]\n"
        'query = "ASEAN"\n'
        "limit = 3\n"
    )
    (ix / "saved.toml").write_text(text, encoding="utf-8")
    assert run("saved", "add", "banjir", "banjir", "--lang", "ms").exit_code == 0
    after = (ix / "saved.toml").read_text(encoding="utf-8")
    assert after.startswith(text)
    assert run("saved", "rm", "sea").exit_code == 0
    after = (ix / "saved.toml").read_text(encoding="utf-8")
    assert "# Topics for the morning briefing." in after
    assert "# defence ministers, all languages\n[queries.adm]" in after
    assert "南海" not in after and "# the sea" not in after
    assert list(load_saved(ix)) == ["adm", "banjir"]


def test_an_interrupted_write_keeps_the_saved_queries(ix, monkeypatch):
    add_saved(SavedQuery("keep", "ASEAN"), ix)
    before = (ix / "saved.toml").read_text(encoding="utf-8")

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(saved_mod.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        add_saved(SavedQuery("lost", "banjir"), ix)
    monkeypatch.undo()
    assert (ix / "saved.toml").read_text(encoding="utf-8") == before
    assert not [p for p in os.listdir(ix) if p.endswith(".tmp")]
    assert list(load_saved(ix)) == ["keep"]


def test_a_second_writer_waits_for_the_lock(ix, monkeypatch):
    monkeypatch.setattr(saved_mod, "LOCK_TIMEOUT", 0.2)
    fd = os.open(ix / "saved.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        res = run("saved", "add", "x", "ASEAN")
        assert res.exit_code == 2
        assert "another mlsearch process" in res.stderr
        assert "is changing the saved queries" in res.stderr
    finally:
        os.close(fd)
    assert run("saved", "add", "x", "ASEAN").exit_code == 0


def test_a_damaged_state_file_is_an_error_with_a_way_out(ix):
    run("saved", "add", "x", "ASEAN")
    (ix / "saved-state.json").write_text("{not json", encoding="utf-8")
    res = run("saved", "run", "x")
    assert res.exit_code == 2
    assert "saved-state.json" in res.stderr and "delete it" in res.stderr


def test_rebuild_keeps_saved_queries(docs):
    add_saved(SavedQuery("navy", "navy"))
    run_saved(["navy"])
    build_index([docs], os.environ["MLSEARCH_INDEX"], rebuild=True)
    assert list(load_saved()) == ["navy"]
    assert run("saved", "run", "--new", "navy").exit_code == 1  # nothing new after a rebuild


# ---- run, --new, --since --------------------------------------------------------------------


def test_run_new_reports_an_added_article_once_and_not_an_updated_one(docs):
    run("saved", "add", "navy", "navy", "OR", "banjir")
    res = run("saved", "run", "--new", "navy")
    assert res.exit_code == 0
    assert "first run: every hit is new" in res.stdout
    assert res.stdout.count("[new]") == 2

    res = run("saved", "run", "--new", "navy")
    assert res.exit_code == 1
    assert "nothing new" in res.stdout and "[new]" not in res.stdout

    article(docs, "c.txt", "Navy patrol in the strait", "A navy patrol was seen.", "2025-09-01")
    article(docs, "a.txt", "Navy exercise off Penang", "Updated: the navy exercise ended.")
    reindex(docs)
    res = run("saved", "run", "--new", "--json", "navy")
    assert res.exit_code == 0
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["id"] for r in records] == ["docs/c.txt"]  # a.txt was updated, not added
    assert set(records[0]) == SAVED_HIT_FIELDS
    assert (records[0]["saved"], records[0]["new"], records[0]["schema_version"]) == (
        "navy",
        True,
        1,
    )
    assert run("saved", "run", "--new", "navy").exit_code == 1  # exactly once

    res = run("saved", "run", "--json", "navy")  # a plain run lists all, none new
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert res.exit_code == 0
    assert {r["id"] for r in records} == {"docs/a.txt", "docs/b.txt", "docs/c.txt"}
    assert not any(r["new"] for r in records)


def test_run_all_new_is_one_report_grouped_by_query(docs):
    run("saved", "add", "navy", "navy", "OR", "laut")
    run("saved", "add", "banjir", "banjir", "--lang", "ms")
    run("saved", "add", "none", "submarine")
    assert run("saved", "run", "--all").exit_code == 0
    article(docs, "d.txt", "Banjir kilat", "Banjir kilat di Shah Alam.")
    article(docs, "e.txt", "Banjir lagi", "Banjir melanda Johor.")
    reindex(docs)
    res = run("saved", "run", "--all", "--new")
    assert res.exit_code == 0
    heads = [line for line in res.stdout.splitlines() if line.startswith("== ")]
    assert len(heads) == 3
    assert heads[0].startswith("== navy: navy OR laut — nothing new of 1 hit")
    assert heads[1].startswith("== banjir: banjir — 2 new of 3 hits")
    assert heads[2].startswith("== none: submarine — nothing new of 0 hits")
    assert res.stdout.count("[new]") == 2

    article(
        docs, "f.txt", "Tentera laut bantu mangsa banjir", "Tentera laut membantu mangsa banjir."
    )
    reindex(docs)
    res = run("saved", "run", "--all", "--new", "--json")
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(r["saved"], r["id"]) for r in records] == [
        ("navy", "docs/f.txt"),
        ("banjir", "docs/f.txt"),
    ]
    assert run("saved", "run", "--all", "--new").exit_code == 1


def test_a_run_prints_its_hits_as_search_does(ix):
    import click

    for colour in ("always", "never"):
        run("saved", "add", colour, "ASEAN")  # a first run: every hit is new
        ran = run("saved", "run", colour, "--color", colour).stdout.splitlines()
        searched = run("search", "ASEAN", "--color", colour).stdout.splitlines()
        new = click.style(" [new]", fg="green", bold=True) if colour == "always" else " [new]"
        assert ran[0].startswith("== ") and ran[1].count(new) == 1
        assert [line.replace(new, "") for line in ran[1:]] == [x for x in searched if x]


def test_run_since_a_date(docs):
    run("saved", "add", "both", "navy", "OR", "banjir")
    res = run("saved", "run", "--json", "--since", "2025-10-03", "both")
    assert [json.loads(x)["id"] for x in res.stdout.splitlines()] == ["docs/b.txt"]
    assert run("saved", "run", "--since", "2025-11", "both").exit_code == 1
    res = run("saved", "run", "--since", "last week", "both")
    assert res.exit_code == 2 and "cannot read the date" in res.stderr


def test_run_new_after_a_first_plain_run(docs):
    run("saved", "add", "navy", "navy")
    res = run("saved", "run", "navy")
    assert res.exit_code == 0 and "first run" in res.stdout
    assert run("saved", "run", "--new", "navy").exit_code == 1


def test_run_arguments(docs):
    run("saved", "add", "navy", "navy")
    res = run("saved", "run")
    assert res.exit_code == 2 and "--all" in res.stderr
    assert run("saved", "run", "--all", "navy").exit_code == 2
    res = run("saved", "run", "nope")
    assert res.exit_code == 2 and "no saved query named 'nope'" in res.stderr
    assert "saved: navy" in res.stderr


def test_rm_forgets_what_a_query_has_seen(docs):
    run("saved", "add", "navy", "navy")
    run("saved", "run", "navy")
    run("saved", "rm", "navy")
    run("saved", "add", "navy", "navy")
    assert "first run" in run("saved", "run", "--new", "navy").stdout


def test_python_api(docs):
    add_saved(SavedQuery("navy", "navy", limit=5))
    (first,) = run_saved(["navy"], new=True)
    assert first.first_run and first.total == first.new == 1
    assert [(h.id, h.new, h.saved) for h in first.hits] == [("docs/a.txt", True, "navy")]
    (again,) = run_saved(["navy"], new=True)
    assert (again.first_run, again.new, again.hits) == (False, 0, [])
    with pytest.raises(SavedQueryError):
        run_saved(["missing"])


# ---- shell completion ------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell):
    res = run("completion", shell)
    assert res.exit_code == 0
    assert "_MLSEARCH_COMPLETE" in res.stdout
    assert f"{shell}_complete" in res.stdout
    res = CliRunner().invoke(
        main, [], env={"_MLSEARCH_COMPLETE": f"{shell}_source"}, prog_name="mlsearch"
    )
    assert res.exit_code == 0 and "_MLSEARCH_COMPLETE" in res.stdout


def test_completion_of_commands_and_saved_names(ix):
    run("saved", "add", "sea", "南海")
    run("saved", "add", "asean", "ASEAN")
    env = {"_MLSEARCH_COMPLETE": "bash_complete", "COMP_WORDS": "mlsearch sa", "COMP_CWORD": "1"}
    res = CliRunner().invoke(main, [], env=env, prog_name="mlsearch")
    assert "plain,saved" in res.stdout.splitlines()
    env.update(COMP_WORDS="mlsearch saved run s", COMP_CWORD="3")
    res = CliRunner().invoke(main, [], env=env, prog_name="mlsearch")
    assert res.stdout.splitlines() == ["plain,sea"]


def test_every_new_command_has_help():
    for args in (
        ["saved"],
        ["saved", "add"],
        ["saved", "list"],
        ["saved", "show"],
        ["saved", "rm"],
        ["saved", "run"],
        ["completion"],
    ):
        res = run(*args, "--help")
        assert res.exit_code == 0, args
        assert "Usage:" in res.stdout
    assert "--batch FILE" in run("search", "--help").stdout
    assert "--watch" in run("index", "--help").stdout
