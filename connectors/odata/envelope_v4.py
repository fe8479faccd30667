"""The JSON bodies an OData v4 service answers with (OData JSON Format 4.0).

A collection is `{"value": [...], "@odata.count": n, "@odata.nextLink": url}`,
an entity the bare object with its `@odata.etag`, an error
`{"error": {"code", "message"}}` (read by `envelope.error_message`, which knows
both forms). A body of another shape is an upstream failure, not an empty answer.
"""

from __future__ import annotations

from typing import Any

from schema.errors import SystemUnreachable

from .envelope import Collection

ETAG = "@odata.etag"


def read_collection(body: Any, system: str) -> Collection:
    rows = body.get("value") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise SystemUnreachable(f"{system} sent a collection without 'value'")
    count = body.get("@odata.count")
    return Collection(
        rows,
        int(count) if isinstance(count, (int, str)) and str(count).isdigit() else None,
        body.get("@odata.nextLink"),
    )


def read_entity(body: Any, system: str) -> dict[str, Any]:
    if not isinstance(body, dict) or "value" in body and isinstance(body["value"], list):
        raise SystemUnreachable(f"{system} sent no entity")
    return body


def etag(raw: Any) -> str | None:
    """A record's version: the `@odata.etag` it was read with."""
    value = raw.get(ETAG) if isinstance(raw, dict) else None
    return value if isinstance(value, str) and value else None
