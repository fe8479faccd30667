"""A sync's reading of an entity through the REST kit (`read_pages`), against the UpKeep sandbox over
real HTTP: the next page is asked for while the current one is still being handled, one request at a
time; a failed request fails the reading after the pages before it; a reading stopped early drops the
request it made ahead. (That it yields what `list_page` after `list_page` yields is checked for every
connector in the conformance kit.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import aclosing

import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.http import HttpPolicy
from connectors.paging import OVERLAP
from connectors.upkeep.connector import UpKeepConnector
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.upkeep.app import SANDBOX, create_app
from schema.errors import SystemUnreachable
from tests.helpers import wait_until

POLICY = HttpPolicy(connect_timeout=2.0, read_timeout=5.0, retries=0)
LIMIT = 50
# Where the second and third pages are read from: an offset page re-reads OVERLAP rows before its cursor.
SECOND, THIRD = LIMIT - OVERLAP, 2 * LIMIT - OVERLAP


@pytest.fixture
async def upkeep() -> AsyncIterator[tuple[UpKeepConnector, SandboxControl]]:
    with ServerThread(create_app()) as server:
        connector = UpKeepConnector(ConnectionConfig("CLOUD", server.url, dict(SANDBOX.credentials)), POLICY)
        await connector.check()  # logged in: the requests below are the listing's own
        control = SandboxControl(server.url)
        control.clear_requests()
        try:
            yield connector, control
        finally:
            control.clear_fault()
            await connector.aclose()


def offsets_asked(control: SandboxControl) -> list[int]:
    """The work-order pages the sandbox was asked for, by offset, in the order asked."""
    return [int(r["query"].get("offset", 0)) for r in control.requests() if r["path"].endswith("/work-orders")]


async def test_the_next_page_is_asked_for_while_this_one_is_handled_one_request_at_a_time(upkeep):
    connector, control = upkeep
    async with aclosing(connector.read_pages("WorkOrder", ListQuery(), None, LIMIT)) as pages:
        first = await anext(pages)
        assert len(first.records) == LIMIT
        # The second page was asked for before this one was handed on: it reaches the sandbox while
        # this event loop is blocked (a request still to be sent would not), and nothing further.
        wait_until(lambda: offsets_asked(control) == [0, SECOND], timeout=5, what="the second page asked for")
        await asyncio.sleep(0.2)
        assert offsets_asked(control) == [0, SECOND]
        second = await anext(pages)
        wait_until(lambda: offsets_asked(control) == [0, SECOND, THIRD], timeout=5, what="the third page asked for")
    assert not {r.remote_id for r in first.records} & {r.remote_id for r in second.records}


async def test_a_failed_request_fails_the_reading_after_the_pages_before_it(upkeep):
    connector, control = upkeep
    control.fault("error", status=503, match=rf"[?&]offset={THIRD}\b")
    read: list[str] = []
    with pytest.raises(SystemUnreachable):
        async with aclosing(connector.read_pages("WorkOrder", ListQuery(), None, LIMIT)) as pages:
            async for page in pages:
                read += [r.remote_id for r in page.records]
    listed = await connector.list_page("WorkOrder", ListQuery(), None, 2 * LIMIT)
    assert read == [r.remote_id for r in listed.records]  # the two pages before the failure, whole


async def test_a_reading_stopped_early_drops_the_request_it_made_ahead(upkeep):
    connector, control = upkeep
    control.fault("slow", delay=4, match=rf"[?&]offset={SECOND}\b")
    async with aclosing(connector.read_pages("WorkOrder", ListQuery(), None, LIMIT)) as pages:
        await anext(pages)
        wait_until(lambda: SECOND in offsets_asked(control), timeout=5, what="the second page asked for")
        started = time.monotonic()
    assert time.monotonic() - started < 2, "closing waited for the slow request instead of dropping it"
    control.clear_fault()
    page = await connector.list_page("WorkOrder", ListQuery(), None, LIMIT)  # the connector still reads
    assert len(page.records) == LIMIT
