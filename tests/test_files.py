"""The index's own files written whole, and the stored body's form."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from indexer.files import atomic_write
from indexer.schema import pack_body, unpack_body


def test_atomic_write_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("old", "utf-8")
    atomic_write(path, '{"新": 1}')
    assert path.read_text("utf-8") == '{"新": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


@given(st.text())
def test_a_body_comes_back_as_it_was_stored(body):
    assert unpack_body(pack_body(body)) == body


def test_lone_surrogates_survive_storage():
    body = "a\udc80b"  # what a file with an undecodable byte can leave in a body
    assert unpack_body(pack_body(body)) == body
