"""``mlsearch serve``: the JSON API against a running server on a fixture corpus, new
commits seen without a restart, a clean stop, and the safety rules (token, origin, host)."""

from __future__ import annotations

import json
import signal
from urllib.parse import quote

import pytest

from search import Searcher
from tests.conftest import invoke
from tests.serving import ARTICLES, HOSTILE_TITLE, build, running, stop, wait_until, write_corpus
from tests.serving import start as start_server


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def server(index):
    with running(index) as s:
        yield s


def test_search_answers_as_the_library_does(server, index):
    status, headers, body = server.get("/api/search?q=floods%20kelantan&limit=5")
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    with Searcher(index) as s:
        want = s.search("floods kelantan", limit=5)
    assert body["total"] == want.total
    assert [h["id"] for h in body["hits"]] == [h.id for h in want.hits]
    for got, hit in zip(body["hits"], want.hits, strict=True):
        assert {k: v for k, v in got.items() if k != "title_highlights"} == hit.as_json()
        assert got["title_highlights"] == [list(x) for x in hit.title_highlights]
    assert body["query"] == "floods kelantan"
    assert (body["page"], body["limit"], body["match"]) == (1, 5, "ranked")
    assert set(body) >= {"schema_version", "suggestion", "notes", "expansions", "cross_hint"}


def test_facets_count_stories_over_every_match(server):
    # en/floods-star and en/floods-nst are copies of one story: counted once, unless all=true.
    body = server.get("/api/search?q=kelantan&limit=1")[2]
    assert len(body["hits"]) == 1  # the facets are not the page's
    assert body["total"] == 2
    assert body["facets"]["lang"] == {"en": 1, "ms": 1}
    assert sum(body["facets"]["source"].values()) == 2
    assert body["facets"]["month"] == {"2025-10": 2}
    every = server.get("/api/search?q=kelantan&all=true")[2]
    assert every["total"] == 3
    assert every["facets"]["lang"] == {"en": 2, "ms": 1}
    assert every["facets"]["source"] == {"Bernama": 1, "NST": 1, "The Star": 1}


def test_warming_reads_what_facets_read_a_step_at_a_time(index, tmp_path):
    """``Searcher.warm`` (run by the server between requests after it starts) leaves the
    facet rows of every segment read, the same rows the first ``facets`` call reads."""
    with Searcher(index) as warmed, Searcher(index) as cold:
        steps = sum(1 for _ in warmed.warm(step=2))
        assert steps >= len(ARTICLES) // 2
        segments = len(warmed._searcher.leaf_searchers())
        assert len(warmed._facet_tables) == segments
        for q in ("kelantan", "floods", "水灾 OR banjir"):
            assert warmed.facets(q) == cold.facets(q)
        assert warmed._facet_tables == cold._facet_tables
        assert sum(1 for _ in warmed.warm()) == 0  # nothing left to read


def test_warming_stops_when_the_index_is_reopened(tmp_path):
    from tests.serving import ARTICLES as articles
    from tests.serving import write_corpus

    index = build(tmp_path / "a")
    with Searcher(index) as searcher:
        steps = searcher.warm(step=1)
        next(steps)
        from indexer.write.build import build_index

        extra = {**articles[0], "id": "ms/extra", "title": "Banjir lagi"}
        build_index([write_corpus(tmp_path / "more", [extra])], index)
        searcher.search("banjir")  # reopens the index: the new commit
        assert sum(1 for _ in steps) == 0
        assert searcher.facets("banjir")["lang"] == {"ms": 2}


def test_search_options(server):
    body = server.get("/api/search?q=kelantan&lang=ms")[2]
    assert [h["id"] for h in body["hits"]] == ["news/ms/banjir"]
    body = server.get("/api/search?q=kelantan&date=2025-10-02")[2]
    assert [h["id"] for h in body["hits"]] == ["news/ms/banjir"]
    body = server.get("/api/search?q=" + quote("floods ministers") + "&match=all")[2]
    assert body["total"] == 0 and body["match"] == "all"
    body = server.get("/api/search?q=kelantan&sort=date&limit=1&page=2")[2]
    assert [h["id"] for h in body["hits"]] == ["news/ms/banjir"] and body["page"] == 2
    body = server.get("/api/search?q=" + quote("水灾") + "&cross=true")[2]
    assert body["expansions"], body


@pytest.mark.parametrize(
    "path, status, words",
    [
        ("/api/search", 400, "missing q"),
        ("/api/search?q=x&page=0", 400, "page"),
        ("/api/search?q=x&limit=abc", 400, "limit"),
        ("/api/search?q=x&lang=fr", 400, "lang"),
        ("/api/search?q=x&cross=maybe", 400, "cross"),
        ("/api/search?q=x&date=" + quote("[2025 TO"), 400, "date"),
        ("/api/articles/news/nothing-here", 404, "no article"),
        ("/api/similar/news/nothing-here", 404, "no article"),
        ("/api/nowhere", 404, "not found"),
    ],
)
def test_errors_are_json_with_a_status(server, path, status, words):
    got, headers, body = server.get(path)
    assert got == status
    assert headers["content-type"].startswith("application/json")
    assert set(body) == {"error", "hint"} and words in body["error"]
    assert "Traceback" not in json.dumps(body)


def test_no_state_changes_on_get(server):
    status, _h, body = server.get("/api/saved/anything/run")
    assert status == 405 and body["error"] == "method not allowed"
    status, _h, body = server.request("POST", "/api/search?q=x")
    assert status == 405


def test_article_by_an_id_with_slashes_with_highlights(server, index):
    status, _h, body = server.get("/api/articles/news/en/defence?q=ministers")
    assert status == 200
    with Searcher(index) as s:
        art = s.get("news/en/defence")
    assert {k: body[k] for k in ("id", "title", "body", "date", "langs", "source")} == {
        "id": art.id,
        "title": art.title,
        "body": art.body,
        "date": art.date,
        "langs": art.langs,
        "source": art.source,
    }
    assert [art.body[a:b].lower() for a, b in body["highlights"]] == ["ministers"]
    assert server.get("/api/articles/news/en/defence")[2]["highlights"] == []


def test_the_page_comes_with_its_content_security_policy(server):
    """The header says what the page's <meta> says, and what only a header can: no
    framing (a page elsewhere must not overlay this one)."""
    import re

    status, headers, raw = server.get("/")
    html = raw.decode("utf-8")
    assert status == 200 and headers["content-type"].startswith("text/html")
    meta = re.search(r'http-equiv="Content-Security-Policy"\s+content="([^"]+)"', html)
    header = headers["content-security-policy"]
    assert header.startswith(meta.group(1).rstrip("; "))
    assert "frame-ancestors 'none'" in header
    assert headers["x-frame-options"] == "DENY"
    assert server.get("/api/stats")[1]["content-security-policy"] == header


def test_hostile_text_comes_back_as_json_text(server, index):
    status, headers, body = server.get("/api/articles/news/en/hostile")
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert headers["x-content-type-options"] == "nosniff"
    with Searcher(index) as s:
        art = s.get("news/en/hostile")
    assert (body["title"], body["body"]) == (art.title, art.body)
    assert body["title"] == HOSTILE_TITLE and 'href="javascript:' in body["body"]
    hits = server.get("/api/search?q=hostile")[2]["hits"]
    assert hits[0]["title"] == HOSTILE_TITLE


def test_similar_and_stats(server, index):
    body = server.get("/api/similar/news/en/floods-star")[2]
    with Searcher(index) as s:
        want = s.similar("news/en/floods-star")
    assert [h["id"] for h in body["hits"]] == [h.id for h in want.hits]
    assert body["query"] == want.query
    stats = server.get("/api/stats")[2]
    assert stats["articles"] == len(ARTICLES)
    assert stats["by_lang"]["en"] >= 3


def test_health_and_openapi(server, index):
    health = server.get("/api/health")[2]
    assert health["status"] == "ok" and health["index"] == str(index.resolve())
    doc = server.get("/openapi.json")[2]
    assert doc["openapi"].startswith("3.")
    assert {"/api/search", "/api/articles/{doc_id}", "/api/saved/{name}/run"} <= set(doc["paths"])


def test_page_and_static_files(server):
    status, headers, body = server.get("/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert server.get("/static/index.html")[0] == 200
    assert server.get("/static/../app.py")[0] == 404


def test_saved_queries_add_list_run_new_remove(tmp_path):
    index = build(tmp_path)
    with running(index) as server:
        query = {"name": "floods", "query": "kelantan", "sort": "date", "match": "ranked"}
        status, _h, body = server.request("POST", "/api/saved", body=query)
        assert status == 201 and body["name"] == "floods" and body["last_run"] is None
        status, _h, body = server.request("POST", "/api/saved", body=query)
        assert status == 400 and "already" in body["error"]
        listed = server.get("/api/saved")[2]
        assert [(q["name"], q["unseen"]) for q in listed] == [("floods", 2)]  # not run yet
        assert server.get("/api/saved")[2] == listed  # a GET records nothing

        first = server.request("POST", "/api/saved/floods/run?new=true")[2]
        assert first["first_run"] and first["total"] == 2
        assert server.get("/api/saved")[2][0]["unseen"] == 0
        again = server.request("POST", "/api/saved/floods/run?new=true")[2]
        assert (again["new"], again["hits"]) == (0, [])

        more = {"id": "late", "title": "Kelantan floods recede", "body": "Kelantan is drying."}
        write_corpus(tmp_path / "news", [more], name="late.jsonl")
        invoke("index", "--index", index, "-q", tmp_path / "news")
        # the badge's count: one story no run has seen, counted again on every GET
        assert [server.get("/api/saved")[2][0]["unseen"] for _ in range(2)] == [1, 1]
        news = server.request("POST", "/api/saved/floods/run?new=true")[2]
        assert [h["id"] for h in news["hits"]] == ["news/late"] and news["hits"][0]["new"]
        # the CLI sees what the server's runs recorded
        assert "floods" in invoke("saved", "list", "--index", index).stdout

        assert server.request("DELETE", "/api/saved/floods")[0] == 200
        assert server.request("DELETE", "/api/saved/floods")[0] == 404
        assert server.request("POST", "/api/saved/floods/run")[0] == 404
        assert server.get("/api/saved")[2] == []


@pytest.mark.parametrize(
    "body, words",
    [
        ({"name": "x"}, "missing query"),
        ({"name": "x", "query": "a", "limit": "ten"}, "wrong type"),
        ({"name": "x", "query": "a", "colour": "red"}, "unknown field"),
        ({"name": "bad name!", "query": "a"}, "name"),
        (["x"], "JSON object"),
    ],
)
def test_saved_add_refuses_bad_bodies(server, body, words):
    status, _h, answer = server.request("POST", "/api/saved", body=body)
    assert status == 400 and words in answer["error"], answer


def test_saved_add_wants_json(server):
    status, _h, body = server.request(
        "POST",
        "/api/saved",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 415 and "JSON" in body["error"]


def test_sees_new_commits_without_a_restart(tmp_path):
    index = build(tmp_path)
    with running(index) as server:
        assert server.get("/api/search?q=tsunami")[2]["total"] == 0
        late = {"id": "wave", "title": "Tsunami warning lifted", "body": "The tsunami warning."}
        write_corpus(tmp_path / "news", [late], name="wave.jsonl")
        invoke("index", "--index", index, "-q", tmp_path / "news")
        body = server.get("/api/search?q=tsunami")[2]
        assert [h["id"] for h in body["hits"]] == ["news/wave"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_on_a_signal(index, sig):
    server = start_server(index)
    assert (index / "serve.json").exists()
    rc, _out, err = stop(server.proc, sig)
    assert rc == 0, err
    assert "Traceback" not in err
    assert not (index / "serve.json").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_worker_processes_answer_side_by_side_and_stop_together(index, sig):
    """--workers 2: two processes answer on the one port, each with the index open (their
    answers agree), and a signal to the server stops both."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    server = start_server(index, "--workers", "2")
    try:
        pids, answers = set(), set()

        def ask(_):
            status, _h, body = server.get("/api/health")
            hits = server.get("/api/search?q=kelantan")[2]
            return status, body["pid"], json.dumps(hits, sort_keys=True)

        with ThreadPoolExecutor(8) as pool:
            for status, pid, hits in pool.map(ask, range(200)):
                assert status == 200
                pids.add(pid)
                answers.add(hits)
                if len(pids) == 2:
                    break
        assert len(pids) == 2, "one process answered every request"
        assert len(answers) == 1
        assert server.proc.pid in pids
    finally:
        rc, _out, err = stop(server.proc, sig)
    assert rc == 0, err
    assert "Traceback" not in err
    assert not (index / "serve.json").exists()
    for pid in pids - {server.proc.pid}:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


# --- safe by default -----------------------------------------------------------------------


def test_off_loopback_needs_a_token(index):
    res = invoke("serve", "--index", index, "--host", "0.0.0.0", "--port", "0")
    assert res.exit_code == 2
    assert "needs a token" in res.stderr and "--token" in res.stderr
    assert not (index / "serve.json").exists()


def test_a_token_is_required_on_every_api_request(index):
    with running(index, "--token", "s3cret", token="s3cret") as server:
        assert server.get("/api/search?q=kelantan")[0] == 200
        status, headers, body = server.get("/api/search?q=kelantan", token=False)
        assert status == 401 and body["error"] == "this server needs a token"
        assert headers["www-authenticate"] == "Bearer"
        status, _h, body = server.get(
            "/api/stats", headers={"Authorization": "Bearer wrong"}, token=False
        )
        assert status == 401 and body["error"] == "wrong token"
        assert server.request("DELETE", "/api/saved/x", token=False)[0] == 401
        # the page itself holds no data
        assert server.get("/", token=False)[0] == 200
        info = json.loads((index / "serve.json").read_text())
        assert info["token_required"] is True and "s3cret" not in json.dumps(info)


def test_the_token_from_the_environment(index):
    from tests.serving import server_env

    env = server_env(MLSEARCH_TOKEN="from-env")
    with running(index, env=env, token="from-env") as server:
        assert server.get("/api/stats")[0] == 200
        assert server.get("/api/stats", token=False)[0] == 401


def test_cross_origin_requests_are_refused(server):
    own = server.url
    assert server.get("/api/stats", headers={"Origin": own})[0] == 200
    status, headers, body = server.get("/api/stats", headers={"Origin": "http://evil.example"})
    assert status == 403 and "cross-origin" in body["error"]
    assert "access-control-allow-origin" not in headers
    query = {"name": "csrf", "query": "x"}
    status = server.request(
        "POST", "/api/saved", body=query, headers={"Origin": "http://evil.example"}
    )[0]
    assert status == 403
    assert server.get("/api/saved")[2] == []


def test_a_dns_rebinding_host_is_refused(server):
    status, _h, body = server.get(
        "/api/stats",
        headers={"Host": "evil.example:80", "Origin": "http://evil.example:80"},
    )
    assert status == 403 and "localhost" in body["error"]
    assert server.get("/api/stats", headers={"Host": "localhost"})[0] == 200


def test_allowed_origins(index):
    with running(index, "--allow-origin", "http://app.example:3000") as server:
        ok = {"Origin": "http://app.example:3000"}
        status, headers, _b = server.get("/api/stats", headers=ok)
        assert status == 200
        assert headers["access-control-allow-origin"] == "http://app.example:3000"
        status, headers, _b = server.request(
            "OPTIONS", "/api/saved", headers={**ok, "Access-Control-Request-Method": "POST"}
        )
        assert status == 204 and "POST" in headers["access-control-allow-methods"]
        assert server.get("/api/stats", headers={"Origin": "http://other.example"})[0] == 403


def test_serve_json_is_removed_and_a_second_server_on_the_port_fails(index):
    server = start_server(index)
    try:
        port = server.url.rsplit(":", 1)[1]
        res = invoke("serve", "--index", index, "--port", port)
        assert res.exit_code == 2 and "cannot listen" in res.stderr
        # the running server's record was left alone
        assert json.loads((index / "serve.json").read_text())["pid"] == server.proc.pid
    finally:
        stop(server.proc)
    assert not (index / "serve.json").exists()


def test_waits_for_nothing_it_does_not_need(index):
    """wait_until is a polling helper: it returns the first true value."""
    assert wait_until(lambda: 3, "three") == 3


def test_concurrent_clients_while_the_index_changes(tmp_path):
    """A smoke version of bench/serve_load.py: 8 clients at once while articles are added
    and committed; every request answered with 200 (the bench runs 50 for 60 s)."""
    import threading

    index = build(tmp_path)
    answers: list[int] = []
    with running(index) as server:

        def client(n: int) -> None:
            for i in range(15):
                q = ["kelantan", "floods", "水灾", "ministers"][(n + i) % 4]
                answers.append(server.get(f"/api/search?q={quote(q)}")[0])

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for k in range(3):
            extra = {"id": f"more{k}", "title": f"Kelantan update {k}", "body": "Floods."}
            write_corpus(tmp_path / "news", [extra], name=f"more{k}.jsonl")
            invoke("index", "--index", index, "-q", tmp_path / "news")
        for t in threads:
            t.join()
        assert answers == [200] * 8 * 15
        body = server.get("/api/search?q=update&all=true")[2]
        assert body["total"] == 3
