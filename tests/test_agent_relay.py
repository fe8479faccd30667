"""The relay between gateway processes on a real Redis: one bad message or one failed delivery costs one call.

Two relays stand for two processes: the caller's and the one holding the
agent's socket (its delivery is the function a hub would give it).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis

from gateway.agents import protocol
from gateway.agents.relay import PREFIX, Relay
from gateway.store.engine import DatabaseUnavailable

Frames = asyncio.Queue[dict[str, Any]]


async def failing(agent_id: str, frame: dict[str, Any], sink: Any) -> None:
    raise DatabaseUnavailable()  # the holder's store is down when it checks the connection


async def ignoring(agent_id: str, frame: dict[str, Any], sink: Any) -> None:
    return None


@pytest.fixture
async def relays(redis_url: str) -> AsyncIterator[tuple[Relay, Relay]]:
    caller = Relay(redis_url, f"caller-{uuid.uuid4().hex}", ignoring)
    holder = Relay(redis_url, f"holder-{uuid.uuid4().hex}", failing)
    await caller.start()
    await holder.start()
    yield caller, holder
    await caller.aclose()
    await holder.aclose()


def call(call_id: str) -> dict[str, Any]:
    return protocol.frame("call", id=call_id, organizationId="o", connectionId="c", method="GET", url="http://x/")


async def test_a_malformed_message_fails_no_call_waiting(relays: tuple[Relay, Relay], redis_url: str) -> None:
    caller, _ = relays
    answers: Frames = asyncio.Queue()
    await caller.forward(f"gone-{uuid.uuid4().hex}", "agent-1", call("c1"), answers.put_nowait)
    client = redis.from_url(redis_url)
    try:
        for junk in (
            b"not json",
            b"[]",
            b"[" * 100_000,
            json.dumps({"kind": "call"}),
            json.dumps({"kind": "frame", "frame": 3}),
        ):
            await client.publish(PREFIX + caller.process, junk)
        await asyncio.sleep(0.5)
        assert answers.empty(), answers.get_nowait()  # the waiting call is not failed by someone else's junk
        await client.publish(
            PREFIX + caller.process, json.dumps({"kind": "frame", "frame": {"type": "end", "id": "c1"}})
        )
        assert (await asyncio.wait_for(answers.get(), 5)) == {"type": "end", "id": "c1"}
    finally:
        await client.aclose()


async def test_a_delivery_that_fails_on_the_holder_answers_the_caller(relays: tuple[Relay, Relay]) -> None:
    caller, holder = relays
    answers: Frames = asyncio.Queue()
    await caller.forward(holder.process, "agent-1", call("c2"), answers.put_nowait)
    answer = await asyncio.wait_for(answers.get(), 5)  # not left to the caller's timeout
    assert answer["type"] == "error" and answer["id"] == "c2" and answer["kind"] == protocol.UNREACHABLE
