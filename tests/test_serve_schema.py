"""Property-based tests of the HTTP API against its OpenAPI document (schemathesis): a
live server on a fixture corpus is sent generated requests, valid and not, and every
answer must be documented: its status, its content type and its body's schema, and never
a server error. The number of examples is bounded to keep the run short."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from search.serve.openapi import document
from tests.serving import build, running

schema = schemathesis.openapi.from_dict(document())

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running(build(tmp_path_factory.mktemp("schema"))) as s:
        yield s


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_documented(case, server):
    case.call_and_validate(base_url=server.url, checks=CHECKS)


def test_the_hit_schema_is_the_hit_record():
    """Every field of a hit's JSON record (``search.results.Hit.as_json``) and of a saved
    run's hit is described, and the record's fields are the schema's required ones."""
    from dataclasses import fields

    from search.results import Hit
    from search.saved import SavedHit
    from search.serve.openapi import HIT

    hit = Hit(
        rank=1,
        id="a",
        score=1.0,
        title="t",
        date=None,
        langs=["en"],
        source=None,
        url=None,
        snippet="s",
        highlights=[],
    )
    record = {**hit.as_json(), "title_highlights": []}
    assert set(HIT["required"]) == set(record)
    described = set(HIT["properties"])
    assert set(record) <= described
    saved = {f.name for f in fields(SavedHit)} - {f.name for f in fields(Hit)}
    assert saved <= described, "a field of SavedHit is not in the OpenAPI Hit schema"
    assert HIT["additionalProperties"] is False
