"""Every example in README.md runs as printed against the shipped corpus/ (issue #13).

As sqlite-utils tests its documentation: the README's code blocks are extracted and run.
The conventions (README.md says them to its readers too, under "Examples in this README"):

- A ```sh block is a list of commands: every line that is neither blank nor a ``#`` comment
  is one command, run by ``bash -c`` (with ``pipefail``), in order, in one folder.
- A ```console block holds commands after ``$ `` and, under each, what it prints. The
  printed part is compared loosely, since the wording and wrapping of the text output may
  change: the article ids (``corpus/…``) must be those printed, in that order (or some of
  them, in order, when a line holding only ``…`` says the rest is left out), and JSON
  lines must match the real ones record by record on the fields that name an article or
  a query (not on scores or snippets).
- A ```python block is a script, run with the venv's Python.
- Each block runs in a fresh temporary folder holding a copy of corpus/, already indexed
  into ./index (``MLSEARCH_INDEX`` points there), as after the README's first
  ``mlsearch index``.
- A command must not crash (no traceback, no "internal error") and exits 0 (hits) or
  1 (none); a pipe into another program (``| python3 -m json.tool``, ``| jq``) exits 0; a
  command that shows an error on purpose says so in a trailing comment, ``# exit status 2``.
- A block right after ``<!-- not tested: REASON -->`` is not run (long-running, needs your
  own folders, changes your shell); the reason is in the test id.
  ``<!-- needs: PROGRAM -->`` runs the block only where PROGRAM is installed.
- A block after ``<!-- with: mlsearch serve -->`` runs while ``mlsearch serve`` serves the
  folder's index on the README's port (8765; skipped, saying so, when that port is taken
  or curl is missing); what each ``curl`` prints must be JSON, and not an error.
- Other blocks (```json, ```toml, ```text, plain ```) are not run; none of them may start
  with a ``$ `` command, which would escape this test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CORPUS = ROOT / "corpus"
BIN = Path(sys.executable).parent
MLSEARCH = BIN / "mlsearch"

RUN = {"sh", "console", "python"}
MARK = re.compile(r"<!--\s*(not tested|needs|with):\s*(.*?)\s*-->")
SERVE_PORT = 8765  # the port of the README's ``mlsearch serve`` examples (the default)
STATUS = re.compile(r"#\s*exit status (\d)\s*(?::.*)?$")
ID = re.compile(r"\bcorpus/[\w.-]+")
# The fields of a JSON record that say which article (or query, or saved query) it is.
ELIDED = "…"
KEYS = ("rank", "id", "title", "date", "group", "query", "line", "hits", "saved", "new")


@dataclass
class Command:
    line: str
    expected_output: list[str] = field(default_factory=list)

    @property
    def statuses(self) -> tuple[int, ...]:
        """The exit statuses that are not a failure: the one the README states, else 0 or 1
        (hits or none) when mlsearch has the last word, else 0 (a pipe into json.tool, jq)."""
        found = STATUS.search(self.line)
        if found:
            return (int(found.group(1)),)
        code = re.sub(r"\s+#\s.*$", "", self.line)
        return (0, 1) if re.search(r"(^|\|\s*)mlsearch [^|]*$", code) else (0,)


@dataclass
class Block:
    lineno: int  # of the opening fence
    lang: str
    text: str
    mark: tuple[str, str] | None  # ("not tested", reason) or ("needs", program)

    @property
    def test_id(self) -> str:
        label = f"line{self.lineno}-{self.lang or 'plain'}"
        if self.mark:
            label += f"-{self.mark[0]}: {self.mark[1]}"
        return label

    def commands(self) -> list[Command]:
        commands: list[Command] = []
        for raw in self.text.splitlines():
            line = raw.strip()
            if self.lang == "sh":
                if line and not line.startswith("#"):
                    assert not line.endswith("\\"), "one command a line: " + line
                    commands.append(Command(line))
            elif raw.startswith("$ "):
                commands.append(Command(raw[2:].strip()))
            elif commands and line:
                commands[-1].expected_output.append(line)
        return commands


def readme_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        start, indent, lang = i, fence.group(1), fence.group(2)
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        before = start - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        found = MARK.search(lines[before]) if before >= 0 else None
        mark = (found.group(1), found.group(2)) if found else None
        blocks.append(Block(start + 1, lang, "\n".join(body) + "\n", mark))
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
RUNNABLE = [b for b in BLOCKS if b.lang in RUN]


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSEARCH_")}
    env.pop("NO_COLOR", None)
    env["MLSEARCH_INDEX"] = str(folder / "index")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(folder / "home")  # nothing an example does may reach the real home
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of corpus/, indexed into ./index as `mlsearch index` run there would."""
    from indexer import build_index

    shutil.copytree(CORPUS, tmp_path / "corpus")
    (tmp_path / "home").mkdir()
    build_index([tmp_path / "corpus"], tmp_path / "index")
    return tmp_path


def assert_sound(what: str, res: subprocess.CompletedProcess) -> None:
    for stream in (res.stdout, res.stderr):
        assert "Traceback" not in stream, f"{what}\n{stream}"
        assert "internal error" not in stream, f"{what}\n{stream}"


def json_records(lines: list[str]) -> list[dict]:
    records = []
    for line in lines:
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


def assert_output_matches(cmd: Command, out: str) -> None:
    """Loosely: the ids in order, and the JSON records on the fields that name things."""
    expected = cmd.expected_output
    want_ids = text_ids(expected)
    got_ids = text_ids(out.splitlines())
    if ELIDED in expected:  # a line "…" alone: the README shows the start of the output
        assert _in_order(want_ids, got_ids), f"{cmd.line}: shown {want_ids}, printed:\n{out}"
    else:
        assert got_ids == want_ids, f"{cmd.line}: shown {want_ids}, printed:\n{out}"
    want = json_records(expected)
    if want:
        got = json_records(out.splitlines())
        assert len(got) == len(want), f"{cmd.line}: {len(want)} records shown, got:\n{out}"
        for w, g in zip(want, got, strict=True):
            for key in KEYS:
                if key in w:
                    assert g.get(key) == w[key], f"{cmd.line}: {key} shown {w}, got {g}"
            assert set(w) == set(g), f"{cmd.line}: fields shown {sorted(w)}, got {sorted(g)}"


def text_ids(lines: list[str]) -> list[str]:
    """The article ids in the text (not JSON) lines, in order."""
    return [i for line in lines if not line.startswith("{") for i in ID.findall(line)]


def _in_order(want: list[str], got: list[str]) -> bool:
    it = iter(got)
    return all(any(w == g for g in it) for w in want)


def test_the_readme_has_examples_to_run():
    assert len([b for b in RUNNABLE if not b.mark]) >= 8
    assert sum(len(b.commands()) for b in RUNNABLE if b.lang != "python") >= 30


def test_no_command_hides_in_a_block_that_is_not_run():
    for block in BLOCKS:
        if block.lang not in RUN:
            assert not re.search(r"^\$ ", block.text, re.M), block.test_id


def test_ids_in_the_readme_are_articles_of_the_shipped_corpus():
    text = README.read_text(encoding="utf-8")
    ids = set(ID.findall(text))
    assert ids, "the README shows no article of corpus/"
    for article in ids:
        assert (ROOT / article).is_file(), f"{article} is not in corpus/"


@pytest.mark.skipif(not MLSEARCH.exists(), reason="needs the installed mlsearch command")
@pytest.mark.parametrize("block", RUNNABLE, ids=[b.test_id for b in RUNNABLE])
def test_readme_block_runs_as_printed(block: Block, folder: Path):
    if block.mark and block.mark[0] == "not tested":
        pytest.skip(block.mark[1])
    if block.mark and block.mark[0] == "needs" and not shutil.which(block.mark[1]):
        pytest.skip(f"{block.mark[1]} is not installed")
    env = _env(folder)
    if block.mark and block.mark[0] == "with":
        assert block.mark[1] == "mlsearch serve", block.mark
        if not shutil.which("curl"):
            pytest.skip("curl is not installed")
        if not _port_free(SERVE_PORT):
            pytest.skip(f"port {SERVE_PORT} (the README's) is in use")
        with _serving(folder, env):
            _run_commands(block, folder, env, json_answers=True)
        return
    if block.lang == "python":
        script = folder / "readme_example.py"
        script.write_text(block.text, encoding="utf-8")
        res = subprocess.run(
            [sys.executable, str(script)],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,  # only guards against a hang
        )
        assert_sound(block.test_id, res)
        assert res.returncode == 0, res.stderr
        return
    _run_commands(block, folder, env)


def _run_commands(block: Block, folder: Path, env: dict, json_answers: bool = False) -> None:
    for cmd in block.commands():
        res = subprocess.run(
            ["bash", "-c", "set -o pipefail\n" + cmd.line],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,  # only guards against a hang
        )
        what = f"{block.test_id}: {cmd.line}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
        assert_sound(what, res)
        assert res.returncode in cmd.statuses, what
        if cmd.expected_output:
            assert_output_matches(cmd, res.stdout + res.stderr)
        if json_answers and cmd.line.startswith("curl "):
            answer = json.loads(res.stdout)
            assert not (isinstance(answer, dict) and "error" in answer), what


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def _serving(folder: Path, env: dict):
    """``mlsearch serve`` on the folder's index (the README's port), until the block ends."""
    import signal
    import time

    proc = subprocess.Popen(
        [str(MLSEARCH), "serve"],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # only guards against a hang
        while not (folder / "index" / "serve.json").exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "mlsearch serve did not start"
            time.sleep(0.05)
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        proc.stderr.close()


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("page", ["README.md", "bench/README.md", "eval/README.md"])
def test_links_between_the_readmes_lead_somewhere(page):
    source = ROOT / page
    text = source.read_text(encoding="utf-8")
    for target, anchor in re.findall(r"\]\(([^)#:\s]*)(?:#([^)\s]+))?\)", text):
        path = (source.parent / target).resolve() if target else source
        assert path.exists(), f"{page}: link to {target}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
            assert anchor in {_anchor(h) for h in headings}, f"{page}: no #{anchor} in {target}"
