"""Write maps that know the OData mapping specs, and custom field values as OData v2 JSON.

SAP Gateway takes dates as `/Date(ms)/`, decimals as strings and never null
for a character field (an empty string is "no value"). `write_map` derives the
writers from a read mapping as `WriteMap.inverse` does, knowing `Text`,
`Code`, `ODate` and `Decimal` too; `Writes` holds an entity's create and
update maps, because SAP fixes some properties once a record exists
(`sap:updatable="false"`), e.g. the order type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schema.model import CustomField

from ..mapping import EntityMap
from ..writes import CREATE, Lines, To, WriteMap, enum_writer, put
from .query import V2, Dialect
from .specs import Code, Decimal, ODate, Text
from .values import edm_datetime, edm_decimal, v4_date, v4_datetime


@dataclass(frozen=True)
class Blank(To):
    """A character field: null is written as the empty string SAP uses for "no value"."""

    def write(self, payload: dict[str, Any], value: Any) -> None:
        put(payload, self.path, "" if value is None else self.encode(value))


def writer_for(spec: Any, dialect: Dialect = V2) -> To | None:
    """A writer for the OData specs of `specs.py` (None: not one of them). OData v2 (SAP) writes
    `/Date(ms)/` and decimal strings; v4 ISO 8601 dates and JSON numbers."""
    v4 = dialect.version >= 4
    if isinstance(spec, Text):
        return Blank(spec.path)
    if isinstance(spec, Code):
        return Blank(spec.path, enum_writer(spec).encode)
    if isinstance(spec, ODate) and spec.time_path is None:
        return To(spec.path, (v4_date if spec.date_only else v4_datetime) if v4 else edm_datetime)
    if isinstance(spec, Decimal):
        return To(spec.path, float if v4 else edm_decimal)
    return None


def write_map(
    system: str,
    read: EntityMap,
    names: tuple[str, ...],
    required: tuple[str, ...] = (),
    extra: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
    dialect: Dialect = V2,
) -> WriteMap:
    """`WriteMap.inverse` for an OData mapping: writers for `names`, plus explicit `extra` ones."""
    odata = {name: writer for name in names if (writer := writer_for(read.fields[name], dialect)) is not None}
    plain = tuple(name for name in names if name not in odata and name not in (extra or {}))
    return WriteMap.inverse(system, read, plain, required, {**odata, **(extra or {})}, defaults)


def custom_json(field: CustomField, value: Any) -> Any:
    """A writable custom field's value as SAP takes it (by its GraphQL type; decimals as strings)."""
    if value is None:
        return "" if field.type == "String" else None
    if field.type == "DateTime":
        return edm_datetime(value)
    if field.type == "Float":
        return edm_decimal(value)
    return value


@dataclass(frozen=True)
class Writes:
    """An entity's writable fields when creating and when updating (None: not allowed); deletable or not.

    `settings` pairs a connector's write setting with the property a create sends it in: organisational
    context the system requires (e.g. SAP's company code) that the unified input does not carry.
    """

    create: WriteMap | None = None
    update: WriteMap | None = None
    delete: bool = False
    settings: tuple[tuple[str, str], ...] = ()

    def of(self, operation: str) -> WriteMap | None:
        return self.create if operation == CREATE else self.update

    def payload(self, operation: str, values: Mapping[str, Any], custom: tuple[CustomField, ...]) -> dict[str, Any]:
        """The request body: standard fields by the map, writable custom fields at their remote path."""
        writes = self.of(operation)
        assert writes is not None, operation
        writes.validate(operation, values, custom)
        body = writes.payload(operation, {k: v for k, v in values.items() if k in writes.fields})
        for field in custom:
            if field.writable and field.name in values:
                put(body, field.remote_path, custom_json(field, values[field.name]))
        return body


def item_lines(path: str, part: str, description: str, quantity: str, unit: str, price: str) -> Lines:
    """Purchase-order lines written at `path`: an item, its text, quantity, unit and price per line (the
    names are the service's properties); a line needs its item and quantity."""
    numbers = {"quantity": quantity, "unitPrice": price}
    texts = {"part": part, "description": description, "unitOfMeasure": unit}
    fields = {**{k: To(v) for k, v in texts.items()}, **{k: To(v, float) for k, v in numbers.items()}}
    return Lines(path, fields, required=("part", "quantity"))


@dataclass(frozen=True)
class Flags:
    """One boolean written to several flags; `negate` when the flags say the opposite (blocks)."""

    paths: tuple[str, ...]
    negate: bool = False

    def write(self, payload: dict[str, Any], value: Any) -> None:
        for path in self.paths:
            put(payload, path, (not value) if self.negate else bool(value))


def written_properties(writes: WriteMap, settings: tuple[tuple[str, str], ...] = ()) -> set[str]:
    """Every property a write map can send, `Nav/Property` for deep-inserted lines: what the
    service's `$metadata` must mark creatable (or updatable) for the connector to offer it."""

    def paths(writer: Any) -> set[str]:
        if isinstance(writer, Lines):
            nav = writer.path.split(".")[0]
            return {f"{nav}/{p}" for w in writer.fields.values() for p in paths(w)}
        if hasattr(writer, "paths"):
            return set(writer.paths)
        return {writer.path.split(".")[0]}

    found = {p for writer in writes.fields.values() for p in paths(writer)}
    return found | set(writes.defaults) | {prop for _, prop in settings}
