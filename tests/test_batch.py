"""mlsearch search --batch: many queries, one process, JSON Lines with query and line."""

from __future__ import annotations

import json

from tests.conftest import invoke

BATCH = """\
# morning topics
ASEAN

南海 局势
date:someday
submarinezzz
"""


run = invoke  # mlsearch ARGS; fails the test on an internal error or a traceback


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_batch_from_a_file(news_index, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text(BATCH, encoding="utf-8")
    res = run("search", "--index", news_index, "--batch", queries, "-n", "2")
    assert res.exit_code == 2  # one line failed: its record says why
    got = records(res.stdout)
    assert [(r["line"], r["query"]) for r in got] == [
        (2, "ASEAN"),
        (2, "ASEAN"),
        (4, "南海 局势"),
        (4, "南海 局势"),  # the second has 南海 only
        (5, "date:someday"),
        (6, "submarinezzz"),
    ]
    assert got[5] == {"schema_version": 1, "query": "submarinezzz", "line": 6, "hits": 0}
    for r in got[:4]:
        assert r["schema_version"] == 1
        assert {"rank", "id", "score", "title", "snippet", "highlights"} <= set(r)
    assert [r["rank"] for r in got[:4]] == [1, 2, 1, 2]
    assert got[2]["id"] == "news/zh/south_china_sea.txt"
    assert (got[2]["missing"], got[3]["missing"]) == ([], ["局势"])
    error = got[4]
    assert set(error) == {"schema_version", "line", "query", "error"}
    assert error["error"].startswith("cannot read the date")
    assert "1 of 4 queries failed" in res.stderr


def test_batch_answers_the_same_as_single_searches(news_index):
    res = run("search", "--index", news_index, "--batch", "-", "--json", input="ASEAN\n")
    batch = [
        {k: v for k, v in r.items() if k not in ("query", "line")} for r in records(res.stdout)
    ]
    single = records(run("search", "--index", news_index, "--json", "ASEAN").stdout)
    assert batch == single


def test_batch_from_stdin_with_options_and_exit_status(news_index):
    idx = ["--index", news_index]
    res = run("search", *idx, "--batch", "-", "--lang", "ms", "-n", "50", input="\ufeffASEAN\n")
    assert res.exit_code == 0
    assert {r["id"] for r in records(res.stdout)} == {
        "news/ms/latihan_maritim.txt",
        "news/ms/mesyuarat_menteri.txt",
    }
    res = run("search", *idx, "--batch", "-", input="submarinezzz\n# nothing else\n\n")
    assert res.exit_code == 1
    # every line is answered, so a script feeding stdin never waits in vain
    assert records(res.stdout) == [
        {"schema_version": 1, "query": "submarinezzz", "line": 1, "hits": 0}
    ]
    res = run("search", *idx, "--batch", "-", input="")
    assert res.exit_code == 1


def test_batch_line_that_is_not_utf8(news_index, tmp_path):
    queries = tmp_path / "q.txt"
    queries.write_bytes(b"\xff\xfe bad\nASEAN\n")
    res = run("search", "--index", news_index, "--batch", queries, "-n", "1")
    assert res.exit_code == 2
    got = records(res.stdout)
    assert got[0] == {"schema_version": 1, "query": "", "line": 1, "error": got[0]["error"]}
    assert "UTF-8" in got[0]["error"]
    assert (got[1]["line"], got[1]["query"]) == (2, "ASEAN")


def test_batch_usage_errors(news_index, tmp_path):
    idx = ["--index", news_index]
    res = run("search", *idx, "--batch", "-", "ASEAN", input="x\n")
    assert res.exit_code == 2 and "--batch" in res.stderr
    res = run("search", *idx)
    assert res.exit_code == 2 and "missing QUERY" in res.stderr
    res = run("search", *idx, "--batch", tmp_path / "missing.txt")
    assert res.exit_code == 2 and "Traceback" not in res.output
    res = run("search", "--index", tmp_path / "noindex", "--batch", "-", input="ASEAN\n")
    assert res.exit_code == 2 and "no index at" in res.stderr
