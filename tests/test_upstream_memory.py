"""An upstream response is freed as soon as it is dropped, not when the cycle collector next runs.

A serving process collects cycles seldom (`gateway.collector`); a response kept alive by a
reference cycle held its whole body until then, and a sync's read pages piled up by the tens of MB.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.http import UpstreamClient
from sandboxes.kit import ServerThread

BODY = b'{"results": [' + b",".join(b'{"id": "%d"}' % n for n in range(20_000)) + b"]}"


async def page(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(Starlette(routes=[Route("/page", page)])) as running:
        yield running


@pytest.fixture
def no_collector() -> Iterator[None]:
    """Only reference counting frees anything while the test runs."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_a_read_response_is_freed_when_dropped_and_still_reads(server, no_collector):
    client = UpstreamClient(server.url, system="Test")
    try:
        gone = []
        for _ in range(5):
            response = await client.request("GET", "/page")
            assert len(response.json()["results"]) == 20_000
            assert response.content == BODY and b"".join([chunk async for chunk in response.aiter_bytes()]) == BODY
            gone.append(weakref.ref(response))
            del response
        assert [ref() for ref in gone] == [None] * 5
    finally:
        await client.aclose()
