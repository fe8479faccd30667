"""What the data schema needs to know of the connectors, as plain data (the schema layer imports no connector).

`shape_of` reads a system's capability matrix, its mappings (which fields it
fills, so which filters mean something) and its write maps (what a create
requires); `field_sources` says, for every unified field, which systems fill it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from connectors.base import Connector
from connectors.registry import connectors
from schema.entities import BY_NAME, ENTITIES
from schema.model import WRITE_OPERATIONS, EntityShape, Shape, Sources

COMPONENTS = frozenset(c.name for e in ENTITIES for c in e.components)


def _declarations(cls: type[Connector]) -> dict[str, Any]:
    """A connector's per-entity declarations (REST and OData streams, JSON-RPC models) by entity."""
    declared = getattr(cls, "streams", ()) or getattr(cls, "models", ())
    return {d.entity: d for d in declared}


def _required(declaration: Any) -> tuple[str, ...]:
    """What a create needs: the write map's required fields (OData systems keep one map per operation)."""
    writes = getattr(declaration, "writes", None)
    writes = getattr(writes, "create", writes)
    return tuple(getattr(writes, "required", ()))


def _writable(declaration: Any, operation: str) -> frozenset[str] | None:
    """The fields the write map of one operation takes (None: no map, so the connector checks nothing here).

    REST streams and RPC models keep one map for both operations, Maximo may add one for
    updates (`update_writes`), OData keeps one per operation."""
    writes = getattr(declaration, "writes", None)
    if operation == "update":
        writes = getattr(declaration, "update_writes", None) or getattr(writes, "update", writes)
    else:
        writes = getattr(writes, "create", writes)
    fields = getattr(writes, "fields", None)
    return frozenset(_with_parts(fields)) if fields else None


def _with_parts(fields: Mapping[str, Any]) -> set[str]:
    """Field names, plus `component.field` for each field of a list of embedded objects the spec names
    (an `Each` read or a `Lines` write); a component computed as a whole is `component.*`."""
    names = set(fields)
    for name, spec in fields.items():
        parts = getattr(spec, "fields", None)
        if isinstance(parts, Mapping):
            number = getattr(spec, "number", None)
            names |= {f"{name}.{part}" for part in (*parts, *([number] if number else []))}
        elif name in COMPONENTS:
            names.add(f"{name}.*")
    return names


def _filled(declaration: Any) -> set[str]:
    mapping = getattr(declaration, "mapping", None)
    if mapping is None:
        return set()
    stamps = {"createdAt": mapping.created_at, "updatedAt": mapping.updated_at}
    return _with_parts(mapping.fields) | {name for name, spec in stamps.items() if spec is not None}


def _fills(cls: type[Connector], entity: str, declaration: Any) -> frozenset[str] | None:
    """The unified fields a system fills: its mapping's and its hooks' (None: no declarative mapping,
    so every field)."""
    if getattr(declaration, "mapping", None) is None:
        return None
    return frozenset(_filled(declaration)) | cls.enriched.get(entity, frozenset())


def _status_filter(entity: str, declaration: Any) -> bool:
    status_field = BY_NAME[entity].status_field if entity in BY_NAME else None
    mapping = getattr(declaration, "mapping", None)
    return bool(status_field) and (mapping is None or status_field in mapping.fields)


@cache
def shape_of(cls: type[Connector]) -> Shape:
    """The schema shape of a system: the entities it reads, its write operations, required fields, filters."""
    declared = _declarations(cls)
    entities = tuple(
        EntityShape(
            entity=name,
            operations=frozenset(op for op in WRITE_OPERATIONS if capability.allows(op)),
            required=_required(declared.get(name)),
            status_filter=_status_filter(name, declared.get(name)),
            create_fields=_writable(declared.get(name), "create"),
            update_fields=_writable(declared.get(name), "update"),
            fields=_fills(cls, name, declared.get(name)),
        )
        for name, capability in cls.entry.capabilities.items()
        if capability.read
    )
    return Shape(cls.entry.name, entities)


@cache
def field_sources() -> Sources:
    """Every unified field with the systems whose mappings fill it (for the schema's descriptions)."""
    filled: dict[str, set[str]] = {}
    for cls in connectors().values():
        for entity, declaration in _declarations(cls).items():
            for name in (n for n in _fills(cls, entity, declaration) or () if "." not in n):  # lines aside
                filled.setdefault(f"{entity}.{name}", set()).add(cls.entry.name)
    return Sources(tuple((key, tuple(sorted(names))) for key, names in sorted(filled.items())))
