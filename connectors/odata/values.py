"""OData v2 JSON values as SAP Gateway writes and reads them.

Dates are `/Date(ms)/` (UTC milliseconds), `Edm.Time` an ISO 8601 duration,
`Edm.Decimal` a string (to keep its precision), and a character field is never
null: the empty string means "no value".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from schema.errors import SystemUnreachable

_DATE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")
_DURATION = re.compile(r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def parse_date(value: Any) -> datetime | None:
    """`/Date(ms)/` or `/Date(ms+0000)/` (ms are UTC; the suffix is the offset in minutes)."""
    if value in (None, ""):
        return None
    match = _DATE.match(str(value))
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
    try:  # some services send ISO 8601 instead
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise SystemUnreachable(f"unreadable OData date {str(value)[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_time(value: Any) -> timedelta | None:
    """`Edm.Time` as SAP sends it: an ISO 8601 duration such as `PT15H51M04S`."""
    match = _DURATION.match(str(value or ""))
    if not value or not match:
        return None
    days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_decimal(value: Any) -> float | None:
    """`Edm.Decimal` arrives as a string (`"12.500"`) to keep its precision."""
    return None if value in (None, "") else float(value)


def lenient_date(value: Any) -> datetime | None:
    """`parse_date` for customer fields: a value that is no date is null, not an error."""
    try:
        return parse_date(value)
    except SystemUnreachable:
        return None


def text(value: Any) -> str | None:
    """SAP sends empty strings, not nulls, for unset character fields."""
    return None if value in (None, "") else str(value)


def edm_datetime(value: datetime) -> str:
    """`Edm.DateTime` / `Edm.DateTimeOffset` in OData v2 JSON (milliseconds since 1970, UTC)."""
    return f"/Date({int(value.timestamp() * 1000)})/"


def edm_decimal(value: Any) -> str:
    """`Edm.Decimal` as a string, without float noise (`0.1` stays `"0.1"`)."""
    return format(Decimal(str(value)), "f")


def v4_datetime(value: datetime) -> str:
    """`Edm.DateTimeOffset` in OData v4 JSON: ISO 8601 in UTC."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def v4_date(value: datetime) -> str:
    """`Edm.Date` in OData v4 JSON: the UTC calendar day."""
    return value.astimezone(UTC).date().isoformat()
