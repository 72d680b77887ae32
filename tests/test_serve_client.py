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
from hypothesis import given
from hypothesis import strategies as st

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
    ["search", "--explain", "kelantan"],
    ["search", "--explain", "--json", "floods"],
    ["search"],
    ["search", "--lang", "xx", "kelantan"],
    ["search", "--", "--batch"],
    ["show"],
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
    """Did ``mlsearch ARGS`` import whoosh (open the index itself)? When it did not, it
    did not import Click either: the server ran the command."""
    rc, _out, err = mlsearch(index, *args, env=env, importtime=True)
    assert rc in (0, 1), err
    imported = {line.split("|")[-1].strip() for line in err.splitlines() if "|" in line}
    if "whoosh" not in imported:
        assert not {"click", "json", "socket", "re"} & imported, sorted(imported)
    return "whoosh" in imported


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
    # files named on the command line are read here, not by the server
    batch = tmp_path / "queries.txt"
    batch.write_text("kelantan\nfloods\n", encoding="utf-8")
    assert loads_whoosh(index, "search", "--batch", str(batch))
    assert loads_whoosh(index, "search", f"--batch={batch}")


def test_the_index_named_any_way_is_the_servers(server, index, tmp_path):
    """--index before or after the command, relative to the working folder, or
    MLSEARCH_INDEX: the server runs it when it is its own index."""

    def run(args, cwd, **extra):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "search.cli", *args],
            env={**server_env(**extra), "PYTHONPATH": os.getcwd()},
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )
        asked = "whoosh" not in proc.stderr
        lines = [line for line in proc.stderr.splitlines() if not line.startswith("import time")]
        return asked, proc.returncode, proc.stdout, lines

    parent, name = index.parent, index.name
    through = [
        run(["--index", name, "search", "kelantan"], parent),
        run(["search", "kelantan", "--index", f"./{name}"], parent),
        run(["search", "kelantan"], parent, MLSEARCH_INDEX=name),
        run(["--index", "elsewhere", "search", "--index", str(index), "kelantan"], tmp_path),
    ]
    direct = run(["search", "kelantan", "--index", str(index)], tmp_path, MLSEARCH_NO_SERVER="1")
    for asked, *printed in through:
        assert asked
        assert printed == list(direct[1:])


def test_a_server_refuses_a_command_for_another_index(server, index, tmp_path):
    """A serve.json that names a live server but whose commands are for another index
    (the folder copied with the server running): the server answers 409, the command
    opens its own index and prints what it prints without any server."""
    record = json.loads((index / "serve.json").read_text())
    other = build(tmp_path)
    (other / "serve.json").write_text(json.dumps({**record, "index": str(other.resolve())}))
    rc, out, err = mlsearch(other, "search", "kelantan", importtime=True)
    assert "whoosh" in err  # it fell back
    assert mlsearch(other, "search", "kelantan") == mlsearch(
        other, "search", "kelantan", env=direct_env()
    )


def test_stdout_and_stderr_keep_their_order(server, index):
    """Both streams into one pipe: what the server ran is replayed in the order written."""

    def merged(env, *args):
        proc = subprocess.run(
            [sys.executable, "-m", "search.cli", *args, "--index", str(index)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
        return proc.returncode, proc.stdout

    for args in (["search", "kelantn"], ["similar", "news/en/floods-star"], ["search", "水灾"]):
        assert merged(server_env(), *args) == merged(direct_env(), *args)


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


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["search", "floods"], True),
        (["--index", "x", "search", "floods"], True),
        (["--index=x", "show", "ID"], True),
        (["similar", "ID", "--json"], True),
        (["search", "--", "--batch"], True),  # a query word after --
        (["search", "--batch", "q.txt"], False),
        (["search", "--batch=q.txt"], False),
        (["search", "--glossary", "g.tsv", "floods"], False),
        (["search", "--help"], False),
        (["search", "-h"], False),
        (["--version"], False),
        (["--color", "always", "search", "x"], False),  # not a group option
        (["index", "corpus"], False),
        (["saved", "run"], False),
        (["stats"], False),
        ([], False),
    ],
)
def test_which_commands_a_server_runs(argv, expected):
    from search.serve.client import forwardable

    assert forwardable(argv) is expected


@pytest.mark.parametrize(
    "argv, env, expected",
    [
        (["search", "x"], None, "index"),
        (["search", "x"], "from-env", "from-env"),
        (["--index", "g", "search", "x"], "from-env", "g"),
        (["--index", "g", "search", "x", "--index", "c"], None, "c"),
        (["--index=g", "search", "--index=c", "x"], None, "c"),
        (["search", "--", "--index", "q"], None, "index"),
    ],
)
def test_the_index_a_command_line_names(argv, env, expected, monkeypatch):
    from search.serve.client import index_of

    if env is None:
        monkeypatch.delenv("MLSEARCH_INDEX", raising=False)
    else:
        monkeypatch.setenv("MLSEARCH_INDEX", env)
    assert index_of(argv) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_the_client_json_is_json(value):
    from search.serve.wire import dumps, loads

    assert json.loads(dumps(value)) == value
    assert loads(json.dumps(value, ensure_ascii=False)) == value
    assert loads(f" {json.dumps(value)}\n") == value


@pytest.mark.parametrize("text", ["", "{not json", "[1,", '{"a": 1} x', "nul", "  "])
def test_the_client_json_refuses_what_is_not(text):
    from search.serve.wire import loads

    with pytest.raises(ValueError):
        loads(text)
