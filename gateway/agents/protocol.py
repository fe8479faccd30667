"""The agent protocol: JSON text frames on one WebSocket, the same for both ends.

Gateway to agent: `welcome` (once), `assign` (the connections it serves now),
`call` (one HTTP request), `ack` (a heartbeat answered). Agent to gateway:
`hello` (once, its version), `heartbeat`, and for each call either `response`
then `chunk`s then `end`, or `error`. Bodies travel base64-encoded in chunks,
so a large answer streams instead of filling one frame.
"""

from __future__ import annotations

import base64
import re
from typing import Any

PATH = "/agent"  # the gateway's WebSocket route
VERSION = "1"  # the protocol; an agent of another version is refused at hello
CHUNK_BYTES = 256 * 1024
REVOKED = 4403  # close code: the key no longer authenticates (rotated, deleted)
REFUSED = 4400  # close code: a frame broke the protocol
REPLACED = 4409  # close code: a newer socket with the same key took over (another agent process)

# What a call is for: an upstream request of a connection, of a credential check before the
# connection exists, or the field names of a login kept in the plant (no request is made).
CALL, CHECK, DESCRIBE = "call", "check", "describe"

# Errors an agent answers a call with (`kind`), mapped by the gateway to transport errors.
UNREACHABLE = "unreachable"  # the local system did not answer
TIMEOUT = "timeout"
REFUSED_CALL = "refused"  # not an assigned connection, an address or URL the plant does not allow
TOO_LARGE = "too_large"
BUSY = "busy"
OFFLINE = "offline"  # said by the gateway itself: the agent's socket closed with the call in flight

# What stands in for a credential kept in the plant: unreserved URL characters only, so it
# survives query strings, form bodies and JSON unchanged; the agent swaps it for the value.
CREDENTIALS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # a login kept in the plant, by name
PLACEHOLDER_PREFIX = "__plantgate_agent_"
PLACEHOLDER = re.compile(r"__plantgate_agent_([A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)__")


def placeholder(field: str) -> str:
    """The text the gateway stores and sends instead of credential `field`."""
    return f"{PLACEHOLDER_PREFIX}{field}__"


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def chunks(data: bytes, size: int = CHUNK_BYTES) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def frame(frame_type: str, /, **fields: Any) -> dict[str, Any]:
    return {"type": frame_type, **fields}


def error(call_id: str | None, kind: str, message: str) -> dict[str, Any]:
    """A call's failure: `kind` is one of the error kinds above."""
    return frame("error", id=call_id, kind=kind, message=message)
