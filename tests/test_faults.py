"""Faults: killed runs, concurrent runs, full or read-only disks, hostile input.

Marked ``faults``; CI runs them with everything else (``pytest -m faults`` runs them alone).
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.build import build_index
from indexer.errors import IndexLockedError, MlsearchError
from search import Searcher
from search.cli import main

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    "navy",
    "army",
    "exercise",
    "maritime",
    "patrol",
    "defence",
    "minister",
    "meeting",
    "ASEAN",
    "security",
    "cooperation",
    "latihan",
    "tentera",
    "laut",
    "pertahanan",
    "mesyuarat",
    "menteri",
    "keselamatan",
    "kerjasama",
    "serantau",
]


def make_corpus(folder: Path, n: int, seed: int = 7) -> set[str]:
    """n small articles, each with a unique marker word, in three formats."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = set()
    records = []
    for i in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(60))
        marker = f"marker{i:05d}"
        if i % 3 == 2:
            records.append({"id": f"rec-{i}", "title": f"Record {marker}", "body": words})
            ids.add(f"{folder.name}/rec-{i}")  # ids start with the folder's label
        else:
            name = f"a{i:05d}.txt" if i % 3 == 0 else f"sub/b{i:05d}.md"
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"Article {marker}\n\n{words}\n", encoding="utf-8")
            ids.add(f"{folder.name}/{name}")
    with gzip.open(folder / "feed.jsonl.gz", "wt", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return ids


def index_ids(index_dir: Path) -> list[str]:
    with Searcher(index_dir) as s:
        return [f["id"] for f in s._searcher.reader().all_stored_fields()]


def cli_env(**extra) -> dict:
    env = dict(os.environ)
    env.pop("MLSEARCH_INDEX", None)
    env.update(extra)
    return env


def run_index_process(docs: Path, index: Path, *args, **env):
    cmd = [
        sys.executable,
        "-m",
        "search.cli",
        "index",
        "-q",
        "--index",
        str(index),
        *args,
        str(docs),
    ]
    return subprocess.Popen(
        cmd, cwd=ROOT, env=cli_env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


# --- crash safety ------------------------------------------------------------------------------


def test_sigkill_at_random_moments_loses_and_doubles_nothing(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    expected = make_corpus(docs, 1500)
    rng = random.Random(2026)
    kills = 0
    for _ in range(5):
        proc = run_index_process(docs, index, MLSEARCH_COMMIT_EVERY="40")
        time.sleep(rng.uniform(0.5, 2.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate()
        if (index / "mlsearch.json").exists() and any(index.glob("*.toc")):
            ids = index_ids(index)  # opens, answers, and holds only real articles, once each
            assert len(ids) == len(set(ids))
            assert set(ids) <= expected
    assert kills >= 3
    # The next run finishes the work.
    proc = run_index_process(docs, index)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    ids = index_ids(index)
    assert sorted(ids) == sorted(expected)
    with Searcher(index) as s:
        for i in rng.sample(range(1500), 10):
            assert s.search(f"marker{i:05d}").total == 1


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_sigkill_of_a_parallel_run_leaves_no_process_and_loses_nothing(tmp_path):
    """kill -9 of mlsearch while its writer sub-processes work: they go within seconds,
    the index stays at its last commit, and the next run finishes."""
    docs, index = tmp_path / "docs", tmp_path / "ix"
    expected = make_corpus(docs, 600)
    marker = f"parallel-kill-{tmp_path.name}"
    script = (
        f"# {marker}\n"
        "import sys, indexer.build as b\n"
        "b.PARALLEL_BYTES = 0\n"
        "b.build_index([sys.argv[1]], sys.argv[2])\n"
    )
    env = cli_env(MLSEARCH_PROCS="2", MLSEARCH_COMMIT_EVERY="100")
    rng = random.Random(7)
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(docs), str(index)], cwd=ROOT, env=env
        )
        deadline = time.monotonic() + 30
        while len(_processes_with(marker)) < 3 and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(rng.uniform(0.1, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while _processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _processes_with(marker)
        if any(index.glob("*.toc")):
            ids = index_ids(index)
            assert len(ids) == len(set(ids)) and set(ids) <= expected
    proc = run_index_process(docs, index)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert sorted(index_ids(index)) == sorted(expected)


def test_sigkill_during_rebuild_keeps_the_old_index(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    expected = make_corpus(docs, 120)
    build_index([docs], index)
    proc = run_index_process(docs, index, "--rebuild", MLSEARCH_COMMIT_EVERY="10")
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert sorted(index_ids(index)) == sorted(expected)
    r = build_index([docs], index, rebuild=True)
    assert r.rebuilt and r.added == 120


def test_interrupted_swap_is_recovered(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    make_corpus(docs, 9)
    build_index([docs], index)
    # killed between the two renames of a rebuild: only index.old is left
    os.replace(index, tmp_path / "ix.old")
    assert len(index_ids(index)) == 9  # searching still works, from the old copy
    r = build_index([docs], index)
    assert r.unchanged == 9 and index.exists() and not (tmp_path / "ix.old").exists()


# --- concurrency -------------------------------------------------------------------------------


def test_second_writer_waits_then_names_the_holder(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    make_corpus(docs, 6)
    build_index([docs], index)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from indexer.locking import IndexLock; "
            f"l = IndexLock(__import__('pathlib').Path({str(index)!r})).acquire(); "
            "print('locked', flush=True); time.sleep(60)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"locked"
        started = time.monotonic()
        with pytest.raises(IndexLockedError) as exc:
            build_index([docs], index, lock_timeout=1.0)
        assert time.monotonic() - started >= 1.0  # it waited
        assert f"pid {holder.pid}" in exc.value.message
        res = CliRunner().invoke(main, ["index", "--index", str(index), "--wait", "0.3", str(docs)])
        assert res.exit_code == 2
        assert f"pid {holder.pid}" in res.stderr
    finally:
        holder.kill()
        holder.communicate()
    # once the holder is gone its lock is gone with it
    r = build_index([docs], index, lock_timeout=1.0)
    assert r.unchanged == 6


def test_stale_lock_of_a_dead_process_is_cleared(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    make_corpus(docs, 3)
    build_index([docs], index)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (index / "mlsearch.lock").write_text(json.dumps({"pid": dead.pid, "command": "mlsearch index"}))
    r = build_index([docs], index, lock_timeout=1.0)
    assert any(f"stale lock left by pid {dead.pid}" in n for n in r.notes)
    assert r.unchanged == 3


# When a commit deletes segments while a reader is opening them, whoosh leaves the ones it
# had opened to the garbage collector (the Searcher then retries on the new generation).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_searches_during_indexing_see_a_consistent_state(tmp_path, monkeypatch):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    make_corpus(docs, 150)
    first = docs / "first"
    first.mkdir()
    (first / "x.txt").write_text("Seed\n\nnavy seed article\n", encoding="utf-8")
    build_index([first], index)
    monkeypatch.setenv("MLSEARCH_COMMIT_EVERY", "10")
    errors: list[BaseException] = []

    def writer():
        try:
            build_index([docs], index)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=writer)
    t.start()
    seen = []
    while t.is_alive():
        with Searcher(index) as s:
            total = s.count("lang:en")
            ids = [f["id"] for f in s._searcher.reader().all_stored_fields()]
        assert len(ids) == len(set(ids))
        seen.append(total)
    t.join()
    assert not errors, errors
    assert seen == sorted(seen)  # the view only ever moves forward, commit by commit
    # the 150, first/x.txt under docs, and x.txt indexed earlier with first/ as its root
    assert len(index_ids(index)) == 152


# --- disk and permissions ---------------------------------------------------------------------


def _fail_commit(monkeypatch, err: int):
    from whoosh import writing

    def commit(self, *a, **kw):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(writing.SegmentWriter, "commit", commit)


@pytest.mark.parametrize(
    "err, words",
    [
        (errno.ENOSPC, "no space left"),
        (errno.EACCES, "cannot write"),
        (errno.EROFS, "cannot write"),
    ],
)
def test_disk_errors_leave_the_previous_index_intact(tmp_path, monkeypatch, err, words):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    expected = make_corpus(docs, 12)
    build_index([docs], index)
    (docs / "new.txt").write_text("New\n\nnavy new article\n", encoding="utf-8")
    _fail_commit(monkeypatch, err)
    with pytest.raises(MlsearchError) as exc:
        build_index([docs], index)
    assert words in exc.value.message
    monkeypatch.undo()
    assert sorted(index_ids(index)) == sorted(expected)
    res = CliRunner().invoke(main, ["search", "--index", str(index), "navy"])
    assert res.exit_code == 0
    r = build_index([docs], index)
    assert r.added == 1


# Whoosh leaves its segment files open when a write fails; the process exits after an error
# anyway, but here the leak would surface as warnings.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_real_full_disk_if_a_small_tmpfs_can_be_mounted(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if (
        subprocess.call(
            ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)],
            stderr=subprocess.DEVNULL,
        )
        != 0
    ):
        pytest.skip("cannot mount a tmpfs here")
    try:
        docs, index = tmp_path / "docs", mnt / "ix"
        make_corpus(docs, 5)
        build_index([docs], index)
        before = sorted(index_ids(index))
        make_corpus(docs / "more", 600, seed=9)
        with pytest.raises(MlsearchError, match="no space left"):
            build_index([docs], index)
        assert sorted(index_ids(index)) == before
    finally:
        subprocess.call(["umount", str(mnt)])


def test_read_only_index_can_still_be_searched(tmp_path, monkeypatch):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    make_corpus(docs, 6)
    build_index([docs], index)
    real_open = os.open

    def no_writes(path, flags, *a, **kw):
        if str(path).startswith(str(index)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(os, "open", no_writes)
    with Searcher(index) as s:
        assert s.search("navy").total > 0
    with pytest.raises(MlsearchError, match="cannot write"):
        build_index([docs], index)


# --- hostile and broken input -----------------------------------------------------------------


def test_hostile_folder_is_indexed_without_a_crash_or_a_hang(tmp_path):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    docs.mkdir()
    good = {
        "東盟 國防 名字.txt": "東盟防長會議\n\n各國國防部長出席。\n",
        "ملف عربي.txt": "Arabic name\n\nThe navy exercise went well.\n",
        "file with spaces.md": "# Spaced name\n\nA maritime patrol.\n",
        "ไฟล์ไทย.txt": "Thai name\n\nLatihan tentera laut.\n",
    }
    for name, text in good.items():
        (docs / name).write_text(text, encoding="utf-8")
    (docs / "binary.txt").write_bytes(os.urandom(4096))
    (docs / "empty.txt").write_bytes(b"")
    (docs / "latin1.txt").write_bytes("Défense française à Brest, énergie\n".encode("cp1252"))
    (docs / "gbk.txt").write_bytes("东盟防长会议在吉隆坡举行\n\n各国防长出席会议。\n".encode("gbk"))
    (docs / "big5.txt").write_bytes("東盟國防部長會議\n\n各國國防部長出席會議。\n".encode("big5"))
    with open(docs / "huge.txt", "wb") as f:  # 200 MB, sparse: refused without being read
        f.truncate(200 * 1024 * 1024)
    good_lines = [
        json.dumps({"id": f"j{i}", "title": f"Rec {i}", "body": "navy"}) for i in range(3)
    ]
    (docs / "mixed.jsonl").write_text(
        good_lines[0] + "\n{not json\n" + good_lines[1] + "\n[1, 2]\n" + good_lines[2] + "\n",
        encoding="utf-8",
    )
    blob = gzip.compress(("\n".join(good_lines).replace("j", "g") + "\n").encode() * 50)
    (docs / "truncated.jsonl.gz").write_bytes(blob[: len(blob) // 2])
    (docs / "loop").mkdir()
    os.symlink(docs, docs / "loop" / "back")  # a symlink loop
    os.symlink(docs / "nowhere.txt", docs / "dangling.txt")
    junk = (
        "<div><script>alert('x')</script><iframe src='x'></iframe><span>junk</span></div>" * 30000
    )
    html = (
        "<html><head><title>Heavy page</title><style>p{}</style></head><body>"
        f"<nav>menu</nav>{junk}<article><p>The navy commissioned a ship.</p></article>"
        "<footer>foot</footer></body></html>"
    )
    (docs / "heavy.html").write_text(html, encoding="utf-8")
    assert (docs / "heavy.html").stat().st_size > 2_000_000

    report = build_index([docs], index)
    reasons = {s.path: s.reason for s in report.skipped}
    assert "binary.txt" in reasons and "empty.txt" in reasons and "huge.txt" in reasons
    assert "too large" in reasons["huge.txt"]
    assert "latin1.txt" in reasons
    assert any(s.path == "mixed.jsonl" and s.line == 2 for s in report.skipped)
    assert any(s.path == "mixed.jsonl" and s.line == 4 for s in report.skipped)
    assert any(s.path == "truncated.jsonl.gz" for s in report.skipped)
    ids = {i.removeprefix("docs/") for i in index_ids(index)}
    assert set(good) <= ids
    assert {"j0", "j1", "j2", "gbk.txt", "big5.txt", "heavy.html"} <= ids
    with Searcher(index) as s:
        found = {h.id for h in s.search("国防部长").hits}
        assert found >= {"docs/big5.txt", "docs/東盟 國防 名字.txt"}
        assert "docs/gbk.txt" in {h.id for h in s.search("东盟 防长").hits}
        heavy = s.get("docs/heavy.html")
        assert "alert" not in heavy.body and "junk" not in heavy.body
        assert "navy commissioned" in heavy.body


def test_unreadable_file_is_skipped_with_a_reason(tmp_path, monkeypatch):
    docs, index = tmp_path / "docs", tmp_path / "ix"
    make_corpus(docs, 3)
    secret = docs / "secret.txt"
    secret.write_text("Secret\n\nnavy\n", encoding="utf-8")
    real_open = open

    def guarded(file, *a, **kw):
        if str(file) == str(secret):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *a, **kw)

    import builtins

    monkeypatch.setattr(builtins, "open", guarded)
    report = build_index([docs], index)
    assert report.added == 3
    assert [s.path for s in report.skipped] == ["secret.txt"]


# --- queries -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    index = tmp_path_factory.mktemp("q") / "ix"
    build_index([ROOT / "tests" / "fixtures" / "news"], index)
    return index


class Hang(Exception):
    pass


def _alarm(_sig, _frame):
    raise Hang


ANY_QUERY = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.sampled_from(
            [
                '"',
                "(",
                ")",
                "[",
                "]",
                "{",
                "}",
                ":",
                "*",
                "~",
                "^",
                " AND ",
                " OR ",
                " NOT ",
                "date:",
                "lang:",
                "title:",
                "东盟",
                "😀",
                "\x1b[2J",
                "\x00",
                "a~9",
                "*a*",
                "TO",
                "-",
                "\u202e",
            ]
        ),
        max_size=15,
    ).map("".join),
    st.just("x" * 10_000),
    st.just("东" * 3000),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(ANY_QUERY)
def test_any_query_gives_results_or_one_line_error(small_index, text):
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)  # a hang guard, not a speed assertion (generous: CI machines are shared)
    try:
        res = CliRunner().invoke(main, ["search", "--index", str(small_index), "--", text])
    finally:
        signal.alarm(0)
    assert res.exit_code in (0, 1, 2), res.output
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert lines[0].startswith("mlsearch: error: ")
        assert len(lines) <= 2  # the error and perhaps a hint
        assert "\x1b" not in res.stderr


def test_huge_wildcard_and_fuzzy_expansions_are_capped(small_index, monkeypatch):
    import search.query
    import search.searcher

    monkeypatch.setattr(search.query, "MAX_EXPANSION", 3)
    monkeypatch.setattr(search.searcher, "MAX_EXPANSION", 3)
    with Searcher(small_index) as s:
        res = s.search("m*")
        assert res.notes and "searched the 3 most common" in res.notes[0]
        assert res.total > 0
    res = CliRunner().invoke(main, ["search", "--index", str(small_index), "s*"])
    assert "note: s" in res.stderr
