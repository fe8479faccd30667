"""The unified record inside `record.changed`, for endpoints that ask for it (`includeRecord`).

It is captured when the change is recorded, so a delivery retried later still
says what changed then, not what the replica holds by the time it goes out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schema.record import Record

RECORD_KEY = "record"


def plain(value: Any) -> Any:
    """JSON as a receiver reads it: datetimes as ISO 8601 UTC strings."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def unified(record: Record) -> dict[str, Any]:
    """The record's unified fields, as the data schema names them."""
    return plain(dict(record.values))


def without_record(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data for receivers that did not ask for the record."""
    return {k: v for k, v in data.items() if k != RECORD_KEY}
