"""Custom-field candidates from a Fusion resource's own metadata (`GET <resource>/describe`).

A resource describes its `attributes` (`name`, `type`, `queryable`, `updatable`, `title`) and its
`children`; a descriptive flexfield is such a child (`WorkOrderDFF`), one row per record, whose
attributes are the segments a customer defined. Attributes the mapping does not read become
candidates: `filterable` from `queryable`, `writable` from `updatable` (top-level attributes of a
resource the connector writes; flexfield segments are changed through the child, which the
connector does not write). docs/vendors/oracle_fusion.md has the sources.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from schema.errors import SystemRejected

from ..discovery import FieldCandidate, graphql_name
from ..mapping import dig

# The describe's type names as custom field types (unverified beyond `string`); others read as text.
TYPES = {
    "string": "String",
    "integer": "Int",
    "number": "Float",
    "boolean": "Boolean",
    "date": "DateTime",
    "datetime": "DateTime",
}


def described(body: Any, resource: str, system: str) -> Mapping[str, Any]:
    """The resource's entry in a describe answer (`{"Resources": {"<resource>": {...}}}`)."""
    found = dig(body, "Resources")
    entry = found.get(resource) if isinstance(found, Mapping) else None
    if not isinstance(entry, Mapping):
        raise SystemRejected(f"{system} described no resource {resource}")
    return entry


def candidates(
    entity: str, resource: Mapping[str, Any], skip: Collection[str], writable: bool, under: str = ""
) -> list[FieldCandidate]:
    """The described attributes not in `skip`, as candidates; `under` names the child they are read through."""
    found = []
    for attribute in resource.get("attributes") or []:
        name = attribute.get("name") if isinstance(attribute, Mapping) else None
        if not isinstance(name, str) or not name or name in skip:
            continue
        found.append(
            FieldCandidate(
                entity,
                f"{under}.{name}" if under else name,
                graphql_name(name),
                TYPES.get(str(attribute.get("type")), "String"),
                str(attribute.get("title") or name),
                filterable=attribute.get("queryable") is True,
                writable=writable and attribute.get("updatable") is True,
            )
        )
    return found


def child(resource: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A child resource's description ({} when the resource has no such child)."""
    children = resource.get("children")
    found = children.get(name) if isinstance(children, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def first_row(value: Any) -> Any:
    """The one row of an expanded single-row child: a collection's first item (framework 3 and later)
    or an array's first element (before it); None when there is none."""
    rows = value.get("items") if isinstance(value, Mapping) else value
    return rows[0] if isinstance(rows, list) and rows else None
