"""OData v4 beside v2: literals, count option, envelopes and JSON batches."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from connectors.odata import envelope_v4
from connectors.odata.batch import batch_answers, batch_body
from connectors.odata.query import V2, V4, Query
from schema.errors import SystemUnreachable

GUID = UUID("f7a5738a-44e3-ea11-bb43-000d3a2feca1")


def test_literals_differ_by_version_only_where_the_protocols_do() -> None:
    moment = datetime(2026, 1, 1, 12, 0, 0, 500, tzinfo=UTC)
    assert V2.literal(moment) == "datetimeoffset'2026-01-01T12:00:00Z'"
    assert V4.literal(moment) == "2026-01-01T12:00:00Z"
    assert V2.literal(GUID) == f"guid'{GUID}'"
    assert V4.literal(GUID) == str(GUID)
    assert V4.literal("O'Neil") == V2.literal("O'Neil") == "'O''Neil'"


def test_count_option_by_version() -> None:
    assert Query(inlinecount=True).params() == {"$inlinecount": "allpages"}
    assert Query(inlinecount=True, dialect=V4).params() == {"$count": "true"}


def test_v4_collection_envelope() -> None:
    page = envelope_v4.read_collection({"value": [{"id": 1}], "@odata.count": 7, "@odata.nextLink": "u"}, "X")
    assert (page.results, page.count, page.next_url) == ([{"id": 1}], 7, "u")
    with pytest.raises(SystemUnreachable):
        envelope_v4.read_collection({"d": {"results": []}}, "X")
    assert envelope_v4.etag({"@odata.etag": 'W/"JzE7Jw=="'}) == 'W/"JzE7Jw=="'


def test_batch_answers_come_back_in_request_order() -> None:
    body = batch_body([("companies(1)/vendors", {"$filter": "number eq '1'"}), ("companies(1)/vendors", {})])
    assert [r["url"] for r in body["requests"]] == [
        "companies(1)/vendors?%24filter=number+eq+%271%27",
        "companies(1)/vendors",
    ]
    answers = batch_answers(
        {"responses": [{"id": "2", "status": 404, "body": {}}, {"id": "1", "status": 200, "body": {"value": []}}]},
        2,
        "X",
    )
    assert [a.status_code for a in answers] == [200, 404]
    with pytest.raises(SystemUnreachable):
        batch_answers({"responses": [{"id": "1", "status": 200}]}, 2, "X")
