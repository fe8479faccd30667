"""One call on the agent: checked against the plant's policy, filled, sent, streamed back.

The answer goes back as `response`, `chunk`s and `end` while it arrives, up to
`max_bytes` (beyond: `error` too_large, the rest dropped). Credentials kept in
the plant are filled into the request and scrubbed from the answer, across
chunk boundaries.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from gateway.agents import protocol
from gateway.netguard import ForbiddenAddress

from .inject import MissingCredential, Scrubber, fill_body, fill_header, fill_url
from .policy import PlantPolicy

log = logging.getLogger("plantgate.agent")
Send = Callable[[dict[str, Any]], Awaitable[None]]
DECODED = frozenset({"content-encoding", "content-length", "transfer-encoding"})
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"})


class CallRefused(Exception):
    """The agent will not make this call (wrong connection, URL or address)."""


async def execute(
    call: dict[str, Any],
    send: Send,
    client: httpx.AsyncClient,
    policy: PlantPolicy,
    credentials: Mapping[str, str] | None,
    max_bytes: int,
) -> None:
    """Make `call` and send its answer (or the reason it failed) as frames."""
    call_id = call["id"]
    try:
        request, sent = build(call, policy, credentials, client)
    except (CallRefused, MissingCredential, ValueError, KeyError, httpx.InvalidURL) as exc:
        await send(protocol.error(call_id, protocol.REFUSED_CALL, str(exc)))
        return
    try:
        response = await client.send(request, stream=True)
    except ForbiddenAddress as exc:
        await send(protocol.error(call_id, protocol.REFUSED_CALL, exc.message))
        return
    except httpx.TimeoutException as exc:
        await send(protocol.error(call_id, protocol.TIMEOUT, type(exc).__name__))
        return
    except httpx.TransportError as exc:
        await send(protocol.error(call_id, protocol.UNREACHABLE, type(exc).__name__))
        return
    try:
        await stream(call_id, response, send, Scrubber(credentials or {}, sent), max_bytes)
    finally:
        await response.aclose()


def build(
    call: dict[str, Any], policy: PlantPolicy, credentials: Mapping[str, str] | None, client: httpx.AsyncClient
) -> tuple[httpx.Request, list[tuple[str, str]]]:
    """The request to make, and the header tokens filled in it (filled, as sent), so echoes of them are scrubbed."""
    url = call["url"]
    values = credentials or {}
    if credentials is not None:
        url = fill_url(url, values)
    if (reason := policy.refusal_of_url(url)) is not None:
        raise CallRefused(reason)
    given = [(str(k), str(v)) for k, v in call.get("headers", []) if str(k).lower() not in HOP_BY_HOP]
    headers = [(k, fill_header(v, values) if credentials is not None else v) for k, v in given]
    sent = [(filled.rpartition(" ")[2], v.rpartition(" ")[2]) for (_, v), (_, filled) in zip(given, headers)]
    body = protocol.decode(call.get("body") or "")
    if credentials is not None:
        content_type = next((v for k, v in given if k.lower() == "content-type"), "")
        body = fill_body(body, values, content_type)
    timeout = float(call.get("timeout") or 30.0)
    request = client.build_request(call["method"], url, headers=headers, content=body or None, timeout=timeout)
    return request, sent


async def stream(call_id: str, response: httpx.Response, send: Send, scrub: Scrubber, max_bytes: int) -> None:
    # The body goes back decoded (so it can be scrubbed): its encoding and length no longer apply.
    headers = [[k, scrub(v.encode()).decode()] for k, v in response.headers.multi_items() if k.lower() not in DECODED]
    await send(protocol.frame("response", id=call_id, status=response.status_code, headers=headers))
    carry, total = b"", 0
    try:
        async for piece in response.aiter_bytes(protocol.CHUNK_BYTES):
            total += len(piece)
            if total > max_bytes:
                message = f"the answer is larger than the agent's limit of {max_bytes} bytes"
                await send(protocol.error(call_id, protocol.TOO_LARGE, message))
                return
            data = scrub(carry + piece)
            keep = min(len(data), max(scrub.longest - 1, 0))  # a value split across pieces is scrubbed next time
            carry, data = data[len(data) - keep :], data[: len(data) - keep]
            if data:
                await send(protocol.frame("chunk", id=call_id, data=protocol.encode(data)))
    except httpx.TransportError as exc:
        await send(protocol.error(call_id, protocol.UNREACHABLE, type(exc).__name__))
        return
    if carry:
        await send(protocol.frame("chunk", id=call_id, data=protocol.encode(scrub(carry))))
    await send(protocol.frame("end", id=call_id))
