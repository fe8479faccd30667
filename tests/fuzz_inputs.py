"""Generated inputs for fuzzing a gateway, shared by tests/test_fuzz.py and the long run in bench/fuzz.py.

Raw HTTP bodies and headers, GET parameters, and graphql-transport-ws
sessions (a few messages, valid or not, in any order), plus the checks an
answer must pass whatever the input: no 5xx, no `INTERNAL` code, no trace.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import schemathesis
import websockets
from hypothesis import strategies as st

from tests.helpers import WS_PROTOCOL

GRAPHQL_RESPONSE = "application/graphql-response+json"
TRACE_MARKERS = ("Traceback", 'File "', "site-packages", '.py", line')
# Closes the protocol defines for a client's fault; anything else (1011, 4500, no close frame) is a failure.
WS_EXPECTED_CLOSES = frozenset({1000, 1001, 4400, 4401, 4403, 4406, 4408, 4409, 4429})


def graphql_api(url: str, headers: dict[str, str]) -> Any:
    """schemathesis over the caller's schema, without `rotateAdminKey`: it would end the run's own key."""
    api = schemathesis.graphql.from_url(f"{url}/graphql", headers=headers, timeout=30)
    return api.exclude(name_regex=r"rotateAdminKey")


def register_json_scalar() -> None:
    """Lets schemathesis fill the data schema's free-form `JSON` scalar (remoteData, metadata)."""
    nodes = schemathesis.graphql.nodes
    schemathesis.graphql.scalar(
        "JSON",
        st.one_of(
            st.text(max_size=20).map(nodes.String),
            st.integers(-1000, 1000).map(nodes.Int),
            st.booleans().map(nodes.Boolean),
            st.just(nodes.Null),
        ),
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {},
        optional={
            "query": st.one_of(st.text(max_size=200), json_values),
            "variables": json_values,
            "operationName": st.one_of(st.text(max_size=20), json_values),
            "extensions": json_values,
        },
    ).map(lambda v: json.dumps(v).encode()),
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "", "multipart/form-data"]
)
accepts = st.sampled_from(["", GRAPHQL_RESPONSE, "application/json", "*/*", "text/html", f"{GRAPHQL_RESPONSE};q=x"])
get_parameters = st.dictionaries(
    st.sampled_from(["query", "variables", "operationName", "extensions"]), st.text(max_size=80)
)


def authorizations(*tokens: str) -> st.SearchStrategy[str]:
    """Header values a client can send: junk, wrong schemes, and damaged or valid bearer tokens."""
    printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
    damaged = st.builds(lambda t, cut, tail: t[:cut] + tail, st.sampled_from(tokens), st.integers(0, 80), printable)
    schemes = st.sampled_from(["Bearer ", "bearer ", "Basic ", "Bearer  ", ""])
    return st.one_of(printable, st.builds(str.__add__, schemes, st.one_of(damaged, st.sampled_from(tokens), printable)))


# -- graphql-transport-ws ------------------------------------------------------------------

SUBSCRIPTIONS = [
    "subscription { connectionStatusChanged { connectionId status } }",
    "subscription { syncEvents { connectionId } }",
    "subscription S { connectionStatusChanged { status } }",
    "subscription { connectionStatusChanged { nope } }",
    "query { credits { total } }",
    'mutation { rotateConnectionToken(id: "x") { token } }',
    "{ __typename }",
]


def _init(token: str) -> st.SearchStrategy[Any]:
    payloads = st.one_of(st.just({"Authorization": f"Bearer {token}"}), json_values)
    return st.builds(lambda p: {"type": "connection_init", "payload": p}, payloads)


_ids = st.sampled_from(["1", "2", "a"]) | st.text(max_size=5)
_subscribe = st.builds(
    lambda id_, query, variables, name: {
        "type": "subscribe",
        "id": id_,
        "payload": {"query": query, "variables": variables, "operationName": name},
    },
    _ids,
    st.sampled_from(SUBSCRIPTIONS) | st.text(max_size=60),
    st.none() | json_values,
    st.none() | st.text(max_size=8),
)
_other = st.one_of(
    st.builds(lambda id_: {"type": "complete", "id": id_}, _ids),
    st.sampled_from([{"type": "ping"}, {"type": "pong"}, {"type": "connection_ack"}, {"type": "next"}]),
    st.dictionaries(st.sampled_from(["type", "id", "payload"]), json_values, max_size=3),
    json_values,
)


@st.composite
def ws_sessions(draw: st.DrawFn, token: str) -> list[str | bytes]:
    """Frames of one session: usually a valid `connection_init` first, then anything."""
    valid_init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    first = valid_init if draw(st.integers(0, 3)) < 3 else draw(st.one_of(_init(token), _subscribe, _other))
    rest = draw(st.lists(st.one_of(_subscribe, _subscribe, _other), max_size=5))
    frames: list[str | bytes] = [json.dumps(m) for m in (first, *rest)]
    if draw(st.booleans()) and frames:  # a raw frame: text that is no JSON, or binary
        frames.insert(draw(st.integers(0, len(frames))), draw(st.text(max_size=40) | st.binary(max_size=40)))
    return frames


@dataclass
class WsOutcome:
    close_code: int | None = None  # None: the socket was still open at the end (the client closed it)
    received: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None


async def run_ws_session(url: str, frames: list[str | bytes], quiet: float = 0.2) -> WsOutcome:
    """Send the frames, then a ping as a barrier; read until the pong, a close or `quiet` s of silence.

    As a real client does, the frame after a `connection_init` waits for the server's answer to it.
    """
    outcome = WsOutcome()
    try:
        async with websockets.connect(url, subprotocols=[WS_PROTOCOL], open_timeout=10, close_timeout=2) as ws:
            for frame in [*frames, json.dumps({"type": "ping", "payload": {"barrier": True}})]:
                await ws.send(frame)
                if isinstance(frame, str) and frame.startswith('{"type": "connection_init"'):
                    outcome.received.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), quiet))
                outcome.received.append(message)
                if message.get("type") == "pong":
                    break
    except TimeoutError:
        pass
    except websockets.ConnectionClosed as closed:
        outcome.close_code = closed.rcvd.code if closed.rcvd else None
        if outcome.close_code not in WS_EXPECTED_CLOSES:
            outcome.failure = f"closed with {outcome.close_code or 'no close frame'}"
    except (OSError, websockets.InvalidHandshake) as exc:
        outcome.failure = f"handshake failed: {exc!r}"
    if outcome.failure is None:
        outcome.failure = next((f"INTERNAL in {m}" for m in outcome.received if "INTERNAL" in json.dumps(m)), None)
    return outcome


# -- what every answer must satisfy ---------------------------------------------------------


def failure(status: int, text: str) -> str | None:
    """Why an HTTP answer is a failure whatever the input (None: it is not)."""
    if status >= 500:
        return f"status {status}"
    if any(marker in text for marker in TRACE_MARKERS):
        return "a stack trace in the answer"
    if '"INTERNAL"' in text:
        return "an INTERNAL error code"
    return None


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
