"""What a connection could add to its schema: candidate custom fields and objects.

Connectors offer candidates (from service metadata, object-structure attributes,
model fields, or by sampling records); an admin UI shows them as a picker and
stores the chosen ones as connection settings. Values are coerced to the
declared GraphQL type here, once, for every system.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from schema.model import CustomField, CustomObject, EnumDef
from schema.record import Record

from .mapping import dig, parse_datetime

_NOT_NAME = re.compile(r"[^0-9A-Za-z]+")


@dataclass(frozen=True)
class FieldCandidate:
    """A remote field a connection may expose as a custom field."""

    entity: str
    remote_path: str
    name: str
    type: str
    label: str = ""
    filterable: bool = False
    writable: bool = False
    enum_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectCandidate:
    """A remote table / object structure / model a connection may expose as a custom object."""

    remote_name: str
    name: str
    plural: str
    id_path: str
    label: str = ""
    fields: tuple[FieldCandidate, ...] = ()


def graphql_name(remote: str, upper: bool = False) -> str:
    """`YY1_ShiftCode_ORD` -> `yy1ShiftCodeOrd`; a name GraphQL accepts, derived from the remote one."""
    parts = [p.capitalize() if p.isupper() else p for p in _NOT_NAME.split(remote) if p]
    if not parts:
        return "field"
    name = parts[0][0].lower() + parts[0][1:] + "".join(p[0].upper() + p[1:] for p in parts[1:])
    if name[0].isdigit():
        name = "f" + name
    return name[0].upper() + name[1:] if upper else name


def infer_type(value: Any) -> str:
    """A GraphQL scalar for a sampled JSON value (strings stay strings unless they are dates)."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Int"
    if isinstance(value, (float, Decimal)):
        return "Float"
    if isinstance(value, (dict, list)):
        return "JSON"
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
        return "DateTime"
    return "String"


def sampled_fields(
    entity: str,
    rows: Iterable[Mapping[str, Any]],
    skip: set[str],
    under: str = "",
    writable: bool = False,
) -> list[FieldCandidate]:
    """Candidates from sample records: every key (below `under`) not already mapped."""
    seen: dict[str, Any] = {}
    for row in rows:
        source = dig(row, under) if under else row
        for key, value in (source or {}).items():
            path = f"{under}.{key}" if under else key
            if path not in skip and not key.startswith("_") and value is not None:
                seen.setdefault(path, value)
    return [
        FieldCandidate(entity, path, graphql_name(path.split(".")[-1]), infer_type(value), path, writable=writable)
        for path, value in sorted(seen.items())
    ]


def coerce(value: Any, type_: str | EnumDef, parse_date: Callable[[Any], datetime | None] = parse_datetime) -> Any:
    """A remote value as the custom field's declared type; what does not fit is null, never invented."""
    if value is None or value == "":
        return None
    try:
        if isinstance(type_, EnumDef):
            text = str(value)
            return text if text in type_.values else None
        if type_ == "String":
            return value if isinstance(value, str) else str(value)
        if type_ == "Int":
            return int(Decimal(str(value)))
        if type_ == "Float":
            return float(Decimal(str(value)))
        if type_ == "Boolean":
            return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "x", "yes")
        if type_ == "DateTime":
            return parse_date(value)
    except (ValueError, ArithmeticError, TypeError):
        return None
    return value  # JSON


def map_object(
    obj: CustomObject,
    raw: Any,
    value_of: Callable[[Any, CustomField], Any],
    version: Any = None,
) -> Record:
    """A raw row of a custom object as a Record with its declared fields."""
    remote_id = dig(raw, obj.id_path)
    values = {f.name: value_of(raw, f) for f in obj.fields}
    display = dig(raw, obj.display_path) if obj.display_path else None
    values.update(
        remoteId=str(remote_id),
        displayValue=None if display is None else str(display),
        createdAt=None,
        updatedAt=None,
        deletedAt=None,
        remoteVersion=None if version is None else str(version),
    )
    return Record(obj.name, str(remote_id), values, raw)
