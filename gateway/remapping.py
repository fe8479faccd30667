"""Field remapping per connection: a unified field read from another field of the connected system.

A connection's settings may say `fieldMappings: [{entity, field, remotePath, filterable}]`, e.g.
`WorkOrder.title` from an UpKeep custom field or an SAP extension field. `check_mappings` validates
them against the connector's field discovery before anything is stored (the source field must be one
discovery offers, of a type the unified field can hold) and records whether the system writes it;
`parse_mappings` turns stored ones into the `CustomField`s the connection's `Extension` carries, each
named after the unified field it replaces, so connectors read, filter and write it as they do a
custom field (see `Connector.with_custom_values` and `WriteMap.payload`).
"""

from __future__ import annotations

from typing import Any

from connectors.base import Connector
from connectors.catalog import SystemEntry
from schema.entities import BY_NAME
from schema.errors import BadUserInput
from schema.model import CustomField, Field

MAX_MAPPINGS = 200
# The unified types a field can be remapped to, and the discovered types each can hold.
ACCEPTS: dict[str, frozenset[str]] = {
    "String": frozenset(("String", "Enum")),
    "Int": frozenset(("Int",)),
    "Float": frozenset(("Float", "Int")),
    "Boolean": frozenset(("Boolean",)),
    "DateTime": frozenset(("DateTime",)),
}


def remappable_fields(entity: str) -> tuple[Field, ...]:
    """The unified fields of an entity a connection may read from another source field: single scalar
    values (enums, relations, lines and the standard fields keep the system's mapping)."""
    return tuple(f for f in BY_NAME[entity].fields if not f.many and isinstance(f.type, str) and f.type in ACCEPTS)


def setting_text(item: dict[str, Any], key: str, where: str) -> str:
    """A required text of a settings item (custom fields and objects use it too)."""
    value = item.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 500:
        raise BadUserInput(f"{where}: '{key}' must be a non-empty string", field=key)
    return value.strip()


def _mapping(item: Any, where: str, entry: SystemEntry | None) -> CustomField:
    if not isinstance(item, dict):
        raise BadUserInput(f"{where} must be an object", field="fieldMappings")
    entity = setting_text(item, "entity", where)
    if entity not in BY_NAME or (entry is not None and not entry.supports(entity)):
        raise BadUserInput(f"{where}: unknown entity '{entity}' for this system", field="entity")
    name = setting_text(item, "field", where)
    target = next((f for f in remappable_fields(entity) if f.name == name), None)
    if target is None:
        offered = ", ".join(f.name for f in remappable_fields(entity))
        raise BadUserInput(
            f"{where}: {entity} has no field '{name}' that can be remapped (these can: {offered})", field="field"
        )
    return CustomField(
        entity=entity,
        name=name,
        type=target.type,
        remote_path=setting_text(item, "remotePath", where),
        filterable=bool(item.get("filterable", False)),
        writable=bool(item.get("writable", False)),
    )


def parse_mappings(items: Any, entry: SystemEntry | None) -> tuple[CustomField, ...]:
    """Stored (or given) mappings as the extension's fields; malformed ones are BAD_USER_INPUT naming them."""
    if not isinstance(items, list) or len(items) > MAX_MAPPINGS:
        raise BadUserInput(f"fieldMappings must be a list of at most {MAX_MAPPINGS}", field="fieldMappings")
    mappings = tuple(_mapping(item, f"fieldMappings[{n}]", entry) for n, item in enumerate(items, 1))
    seen: set[tuple[str, str]] = set()
    for m in mappings:
        if (m.entity, m.name) in seen:
            raise BadUserInput(f"fieldMappings: {m.entity}.{m.name} is mapped twice", field="field")
        seen.add((m.entity, m.name))
    return mappings


async def check_mappings(items: Any, connector: Connector) -> list[dict[str, Any]]:
    """The mappings to store, once each source field is one the system's discovery offers for the
    entity, of a type the unified field holds; `writable` is what discovery says of the source."""
    mappings = parse_mappings(items, connector.entry)
    discovered: dict[str, dict[str, Any]] = {}
    for entity in dict.fromkeys(m.entity for m in mappings):
        discovered[entity] = {c.remote_path: c for c in await connector.discover_fields(entity)}
    stored = []
    for n, m in enumerate(mappings, 1):
        where, system = f"fieldMappings[{n}]", connector.entry.name
        candidate = discovered[m.entity].get(m.remote_path)
        if candidate is None:
            raise BadUserInput(
                f"{where}: {system} has no {m.entity} field '{m.remote_path}' to read {m.name} from "
                "(customFieldCandidates lists those it has)",
                field="remotePath",
            )
        if candidate.type not in ACCEPTS[str(m.type)]:
            raise BadUserInput(
                f"{where}: {m.entity}.{m.name} is a {m.type}, but {m.remote_path} is a {candidate.type}",
                field="remotePath",
            )
        stored.append(
            {
                "entity": m.entity,
                "field": m.name,
                "remotePath": m.remote_path,
                "filterable": m.filterable,
                "writable": candidate.writable,
            }
        )
    return stored


def new_sources(before: Any, after: Any) -> bool:
    """Whether stored mappings now read a source field they did not (the replica's raw records may lack it)."""

    def sources(items: Any) -> set[tuple[Any, Any]]:
        return {(m.get("entity"), m.get("remotePath")) for m in items or [] if isinstance(m, dict)}

    return bool(sources(after) - sources(before))
