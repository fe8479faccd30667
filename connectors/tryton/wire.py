"""Tryton's JSON values: dates, datetimes and decimals travel as `{"__class__": ...}` objects.

Decoding turns them into plain JSON (ISO strings, decimal strings) so that a
record's `remoteData` stays serializable and lossless; encoding builds the
typed objects that domains and writes need.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

_DATE = ("year", "month", "day")
_TIME = ("hour", "minute", "second", "microsecond")


def _typed(value: dict[str, Any]) -> Any:
    kind = value["__class__"]
    if kind == "datetime":
        return dt.datetime(*(value.get(k, 0) for k in _DATE + _TIME)).isoformat()
    if kind == "date":
        return dt.date(*(value[k] for k in _DATE)).isoformat()
    if kind == "time":
        return dt.time(*(value.get(k, 0) for k in _TIME)).isoformat()
    if kind == "Decimal":
        return value["decimal"]
    if kind == "timedelta":
        return value["seconds"]
    if kind == "bytes":
        return value["base64"]
    return value


def decode(value: Any) -> Any:
    """A JSON-RPC answer with typed objects replaced by plain JSON values."""
    if isinstance(value, dict):
        if "__class__" in value:
            return _typed(value)
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def encode_datetime(value: dt.datetime) -> dict[str, Any]:
    """An aware datetime as Tryton's naive-UTC typed object."""
    utc = value.astimezone(dt.UTC)
    return {"__class__": "datetime", **{k: getattr(utc, k) for k in _DATE + _TIME}}


def encode_date(value: dt.date | dt.datetime) -> dict[str, Any]:
    """A date (an aware datetime counts by its UTC date) as Tryton's typed object."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).date()
    return {"__class__": "date", **{k: getattr(value, k) for k in _DATE}}


def encode_decimal(value: Any) -> dict[str, Any]:
    """A number as Tryton's Decimal (numeric fields refuse floats)."""
    return {"__class__": "Decimal", "decimal": str(Decimal(str(value)))}


def encode_as(kind: str, value: Any) -> Any:
    """A plain value typed for a field of Tryton type `kind` (from `fields_get`)."""
    if value is None:
        return None
    if kind == "date":
        return encode_date(value if isinstance(value, (dt.date, dt.datetime)) else dt.date.fromisoformat(str(value)))
    if kind in ("datetime", "timestamp") and isinstance(value, dt.datetime):
        return encode_datetime(value)
    if kind == "numeric":
        return encode_decimal(value)
    return value
