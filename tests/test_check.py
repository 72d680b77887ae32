"""`mlsearch check`, and damaged indexes: each damage x each command, then the repair.

Marked ``faults``. Every damage is deterministic (no random offsets): a flipped byte in a
posting block header can make whoosh's unpickler allocate gigabytes for a minute, which a
random flip hits now and then (see the fuzz figures in the report of issue #11).
"""

from __future__ import annotations

import gc
import json
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.errors import IndexDamagedError
from indexer.write.check import check_index, is_damage, reading
from search import Searcher
from search.cli import main
from tests.conftest import NEWS

pytestmark = [
    pytest.mark.faults,
    # whoosh leaves the file of a segment it failed to read to the garbage collector
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

WORD = "ASEAN"  # in several articles, and in fields whose postings are not inlined


@pytest.fixture(autouse=True)
def _close_what_whoosh_left_open():
    """Collect the files whoosh left open here, while their ResourceWarnings are ignored:
    left to a later collection, they surfaced as errors in whichever test ran it (one run
    in several of the fault suite failed test_faults.py's rebuild-kill test that way)."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def run(*args):
    # catch_exceptions: a traceback would show up as result.exception, not on stderr
    return CliRunner().invoke(main, [str(a) for a in args])


def _seg(index: Path) -> Path:
    (seg,) = index.glob("MAIN_*.seg")
    return seg


def _subfile(index: Path, suffix: str) -> tuple[int, int]:
    """(offset, length) of a segment's sub-file inside its compound .seg file."""
    from whoosh.filedb.filestore import FileStorage

    storage = FileStorage(str(index), supports_mmap=False, readonly=True)
    ix = storage.open_index()
    (seg,) = ix._segments()
    files = seg.open_compound_file(storage)
    try:
        (name,) = [n for n in files._dir if n.endswith(suffix)]
        return files.range(name)
    finally:
        files.close()
        ix.close()


def _flip(path: Path, offsets) -> None:
    data = bytearray(path.read_bytes())
    for at in offsets:
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate_segment(index: Path) -> None:
    seg = _seg(index)
    seg.write_bytes(seg.read_bytes()[: seg.stat().st_size // 2])


def flip_postings(index: Path) -> None:
    """Flip the header bytes of every posting list of WORD: searching it reads them."""
    from whoosh.filedb.filestore import FileStorage

    ix = FileStorage(str(index), supports_mmap=False, readonly=True).open_index()
    with ix.reader() as reader:
        terms = reader._terms
        starts = []
        for field in ix.schema.names():
            if not field.startswith(("title_", "body_")):
                continue
            for text in {"asean", "ASEAN"}:
                if (field, text.encode()) in terms:
                    info = terms.term_info(field, text.encode())
                    if not info.is_inlined():
                        starts.append(info.extent()[0])
    ix.close()
    assert starts
    pst, _length = _subfile(index, ".pst")
    _flip(_seg(index), [pst + s + i for s in starts for i in range(4)])


def flip_stored(index: Path) -> None:
    """Flip the first bytes of the stored fields (the first article's record)."""
    offset, _length = _subfile(index, "_stored.col")
    _flip(_seg(index), range(offset, offset + 16))


def delete_toc(index: Path) -> None:
    for toc in index.glob("_MAIN_*.toc"):
        toc.unlink()


def garble_toc(index: Path) -> None:
    (toc,) = index.glob("_MAIN_*.toc")
    size = toc.stat().st_size
    _flip(toc, range(size // 3, size // 3 + 20))


def garble_meta(index: Path) -> None:
    (index / "mlsearch.json").write_text('{"schema_vers', encoding="utf-8")


def garble_state(index: Path) -> None:
    (index / "state.json").write_text('{"generation": 1, "doc', encoding="utf-8")


ERROR, EITHER, FINE = "error", "either", "fine"
# What each command must do on each damage: ERROR, one line pointing at check/--rebuild;
# FINE, its ordinary answer; EITHER, one or the other (the damage is in data it may not
# read: `index` with nothing changed reads no posting and no stored field).
DAMAGES = {
    "truncated segment": (truncate_segment, {"search": ERROR, "stats": ERROR, "index": ERROR}),
    "flipped postings": (flip_postings, {"search": ERROR, "stats": FINE, "index": EITHER}),
    "flipped stored fields": (flip_stored, {"search": EITHER, "stats": ERROR, "index": EITHER}),
    "deleted TOC": (delete_toc, {"search": ERROR, "stats": ERROR, "index": ERROR}),
    "garbled TOC": (garble_toc, {"search": ERROR, "stats": ERROR, "index": ERROR}),
    "garbled mlsearch.json": (garble_meta, {"search": ERROR, "stats": ERROR, "index": ERROR}),
    # state.json is a cache: search and stats never read it, index re-reads every file.
    "garbled state.json": (garble_state, {"search": FINE, "stats": FINE, "index": FINE}),
}
COMMANDS = {
    "search": lambda index: ("search", "--index", index, WORD),
    "stats": lambda index: ("stats", "--index", index),
    "index": lambda index: ("index", "--index", index, NEWS),
}


@pytest.fixture
def damaged_copy(news_index, tmp_path):
    def make(damage: str) -> Path:
        index = tmp_path / "index"
        shutil.copytree(news_index, index)
        DAMAGES[damage][0](index)
        return index

    return make


def assert_points_at_check(res, index: Path) -> None:
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    lines = res.stderr.splitlines()
    assert len(lines) == 2, res.stderr
    assert lines[0].startswith(f"mlsearch: error: the index in {index} is damaged"), lines
    assert "mlsearch check" in lines[1] and "mlsearch index --rebuild" in lines[1], lines
    assert "Traceback" not in res.output


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_each_command_on_each_damage_answers_or_points_at_check(damaged_copy, damage, command):
    index = damaged_copy(damage)
    res = run(*COMMANDS[command](index))
    expect = DAMAGES[damage][1][command]
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    if expect == ERROR or (expect == EITHER and res.exit_code == 2):
        assert_points_at_check(res, index)
    else:
        assert res.exit_code == 0, res.output
    if damage == "garbled state.json" and command == "index":
        assert "note: state.json could not be used" in res.stderr
        json.loads((index / "state.json").read_text(encoding="utf-8"))  # written anew


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_check_reports_each_damage_and_rebuild_recovers(damaged_copy, damage):
    index = damaged_copy(damage)
    res = run("check", "--index", index)
    assert res.exit_code == 2, res.output
    assert "problem: " in res.stdout and "damaged: " in res.stdout
    (fix,) = [line for line in res.stdout.splitlines() if line.startswith("fix: ")]
    if damage == "garbled state.json":  # `index` rewrites it; no need to rebuild
        assert fix == f"fix: mlsearch index --index {index} {NEWS}"
    else:
        assert fix == f"fix: mlsearch index --rebuild --index {index} {NEWS}"
    as_json = json.loads(run("check", "--json", "--index", index).stdout)
    assert as_json["sound"] is False and as_json["problems"]

    res = run("index", "--rebuild", "--index", index, NEWS)
    assert res.exit_code == 0, res.output
    assert run("check", "--index", index).exit_code == 0
    res = run("search", "--index", index, WORD)
    assert res.exit_code == 0, res.output


def test_check_of_a_sound_index(news_index):
    res = run("check", "--index", news_index)
    assert res.exit_code == 0, res.output
    assert "sound: " in res.stdout and "problem" not in res.stdout
    report = check_index(news_index)
    assert report.sound and report.fix is None
    with Searcher(news_index) as s:
        assert report.articles == s.stats().articles
    assert report.segments and all(s.postings > 0 for s in report.segments)


def test_check_of_no_index_is_an_error(tmp_path):
    res = run("check", "--index", tmp_path / "nothing")
    assert res.exit_code == 2
    assert "no index at" in res.stderr


def test_state_that_claims_the_commit_but_lacks_an_article(news_copy, tmp_path):
    """A state file of the right generation and count that lacks an article: `check`
    names it, and `index` does not trust it (it would add the article a second time)."""
    from indexer.write.build import build_index

    index = tmp_path / "index"
    build_index([news_copy], index)
    path = index / "state.json"
    state = json.loads(path.read_text(encoding="utf-8"))
    gone = sorted(state["docs"])[0]
    del state["docs"][gone]
    path.write_text(json.dumps(state), encoding="utf-8")

    report = check_index(index)
    assert not report.sound
    assert any("missing from state.json" in p and repr(gone) in p for p in report.problems)

    before = report.articles
    res = run("index", "--index", index, news_copy)
    assert res.exit_code == 0, res.output
    with Searcher(index) as s:
        assert s.stats().articles == before
    assert check_index(index).sound


def test_python_api_raises_index_damaged_error(damaged_copy):
    index = damaged_copy("flipped postings")
    with Searcher(index) as s, pytest.raises(IndexDamagedError) as info:
        s.search(WORD)
    assert "mlsearch check" in info.value.hint


def test_our_own_errors_are_not_taken_for_damage(tmp_path):
    """Inside the reading boundary, an error raised by mlsearch's code is a bug, not damage."""
    with pytest.raises(KeyError), reading(tmp_path):
        {}["missing"]
    try:
        {}["missing"]
    except KeyError as exc:
        assert not is_damage(exc)
    import zlib

    try:
        zlib.decompress(b"not zlib")
    except zlib.error as exc:
        assert is_damage(exc)  # a decoding error, whoever called the decoder
