"""The command line as a client of a running server: ``search``, ``show`` and ``similar``
print exactly what they print without one (stdout, stderr, exit status), load no index
code when they use it, and fall back silently when the server is not theirs."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

from tests.serving import build, running
from tests.serving import server_env as _server_env


def server_env(**extra):
    # Whether the server is asked must not depend on how busy the machine is.
    return _server_env(MLSEARCH_SERVER_TIMEOUT="10", **extra)


CASES = [
    ["search", "floods", "kelantan"],
    ["search", "--json", "kelantan"],
    ["search", "--all", "--json", "kelantan"],
    ["search", "--lang", "ms", "kelantan"],
    ["search", "--sort", "date", "-n", "1", "--page", "2", "kelantan"],
    ["search", "--match", "all", "floods", "ministers"],
    ["search", "--any", "floods", "ministers"],
    ["search", "nosuchwordanywhere"],
    ["search", "kelantn"],
    ["search", "kelantan", "--page", "9"],
    ["search", "--color", "always", "kelantan", "floods"],
    ["search", "--cross", "水灾"],
    ["search", "hostile"],
    ["search", "title:("],
    ["show", "news/en/defence"],
    ["show", "--json", "news/en/hostile"],
    ["show", "news/nothing"],
    ["show", "nothing"],
    ["similar", "news/en/floods-star"],
    ["similar", "--json", "--all", "news/en/floods-star"],
    ["similar", "news/nothing"],
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build(tmp_path_factory.mktemp("client"))


@pytest.fixture(scope="module")
def server(index):
    with running(index) as s:
        yield s


def mlsearch(index, *args, env=None, importtime=False):
    """``mlsearch ARGS --index INDEX`` in a new process: (exit status, stdout, stderr)."""
    flags = ["-X", "importtime"] if importtime else []
    proc = subprocess.run(
        [sys.executable, *flags, "-m", "search.cli", *args, "--index", str(index)],
        env=env or server_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


def direct_env(**extra):
    return server_env(MLSEARCH_NO_SERVER="1", **extra)


def loads_whoosh(index, *args, env=None) -> bool:
    """Did ``mlsearch ARGS`` import whoosh (open the index itself)?"""
    rc, _out, err = mlsearch(index, *args, env=env, importtime=True)
    assert rc in (0, 1), err
    return "whoosh" in err


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_prints_the_same_with_and_without_the_server(server, index, args):
    through_server = mlsearch(index, *args)
    direct = mlsearch(index, *args, env=direct_env())
    assert through_server == direct


def test_the_server_is_asked_and_the_index_not_opened(server, index):
    assert not loads_whoosh(index, "search", "kelantan")
    assert not loads_whoosh(index, "show", "news/en/defence")
    assert not loads_whoosh(index, "similar", "news/en/defence")
    # the same without the server: the test can tell the two paths apart
    assert loads_whoosh(index, "search", "kelantan", env=direct_env())


def test_on_a_terminal_too(server, index):
    """Colour and wrapping to the window, on a pseudo-terminal, through the server or not."""

    def on_tty(env):
        leader, follower = pty.openpty()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "search.cli", "search", "kelantan", "--index", str(index)],
                env={**env, "COLUMNS": "40", "TERM": "xterm"},
                stdout=follower,
                stderr=subprocess.PIPE,
            )
            os.close(follower)
            chunks = []
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the other end closed: all read
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            err = proc.stderr.read()
            proc.stderr.close()
            return proc.wait(timeout=120), b"".join(chunks), err
        finally:
            os.close(leader)

    through_server = on_tty(server_env())
    direct = on_tty(direct_env())
    assert through_server == direct
    assert b"\x1b[" in through_server[1]  # coloured: it was a terminal


def test_falls_back_when_the_server_is_not_for_this_index_or_version(server, index, tmp_path):
    record = json.loads((index / "serve.json").read_text())
    other = build(tmp_path)
    # a serve.json naming another index's server (copied, or the folder moved)
    (other / "serve.json").write_text(json.dumps(record))
    assert loads_whoosh(other, "search", "kelantan")
    assert mlsearch(other, "search", "kelantan") == mlsearch(
        other, "search", "kelantan", env=direct_env()
    )
    # another version
    (other / "serve.json").write_text(
        json.dumps({**record, "index": str(other.resolve()), "version": "0.0.0"})
    )
    assert loads_whoosh(other, "search", "kelantan")
    # a dead process
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = {**record, "index": str(other.resolve()), "pid": int(done.stdout)}
    (other / "serve.json").write_text(json.dumps(dead))
    assert loads_whoosh(other, "search", "kelantan")
    # not JSON at all
    (other / "serve.json").write_text("{not json")
    assert mlsearch(other, "search", "kelantan") == mlsearch(
        other, "search", "kelantan", env=direct_env()
    )


def test_falls_back_when_the_environment_differs(server, index, tmp_path):
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text("en\tms\tzh\nflood\tbanjir\t水灾\n", encoding="utf-8")
    assert loads_whoosh(
        index, "search", "kelantan", env=server_env(MLSEARCH_GLOSSARY=str(glossary))
    )
    assert loads_whoosh(index, "search", "--glossary", str(glossary), "kelantan")
    assert loads_whoosh(index, "search", "--explain", "kelantan")


def test_a_server_with_a_token_is_used_with_the_token_only(tmp_path):
    index = build(tmp_path)
    with running(index, "--token", "t0k", token="t0k"):
        assert loads_whoosh(index, "search", "kelantan")
        assert not loads_whoosh(index, "search", "kelantan", env=server_env(MLSEARCH_TOKEN="t0k"))
        wrong = server_env(MLSEARCH_TOKEN="wrong")
        assert loads_whoosh(index, "search", "kelantan", env=wrong)
        assert mlsearch(index, "search", "kelantan", env=wrong) == mlsearch(
            index, "search", "kelantan", env=direct_env()
        )
