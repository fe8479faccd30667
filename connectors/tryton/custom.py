"""Tryton customization: any model field as a custom field, any stored model as a custom object.

Candidates come from Tryton's own metadata: `fields_get` for a model's fields
(type, selection values, read-only flag and states, searchable) and `ir.model` / `ir.model.field`
for the models (a model with a `create_date` column is stored, so it can be
listed). Custom fields are read along in `search_read` (Tryton returns only
the fields asked for) and filtered in the search domain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from schema.errors import BadUserInput
from schema.model import CustomField, CustomObject
from schema.record import Record

from ..base import Page
from ..discovery import FieldCandidate, ObjectCandidate, coerce, graphql_name, map_object
from ..jsonrpc import next_cursor, page_start
from .states import CREATE_ID, UPDATE_ID
from .states import writable as settable
from .wire import decode

SCALAR_TYPES = {
    "char": "String",
    "text": "String",
    "selection": "String",
    "reference": "String",
    "time": "String",
    "integer": "Int",
    "biginteger": "Int",
    "float": "Float",
    "numeric": "Float",
    "timedelta": "Float",
    "boolean": "Boolean",
    "date": "DateTime",
    "datetime": "DateTime",
    "timestamp": "DateTime",
    "one2many": "JSON",
    "many2many": "JSON",
    "multiselection": "JSON",
    "dict": "JSON",
    "many2one": "Int",
}
STANDARD = {"id", "rec_name", "create_date", "write_date", "last_modified_at", "xml_id"}
ENUM_VALUE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
HIDDEN_MODELS = ("ir.",)  # Tryton's own machinery (menus, views, translations)


def field_candidate(entity: str, name: str, described: Mapping[str, Any], writable: bool) -> FieldCandidate | None:
    """One `fields_get` entry as a candidate; a many2one is offered as its record name."""
    kind = described.get("type", "")
    label = str(described.get("string") or name)
    searchable = bool(described.get("searchable"))
    if kind == "many2one":
        return FieldCandidate(entity, f"{name}.rec_name", graphql_name(name), "String", label, filterable=searchable)
    type_ = SCALAR_TYPES.get(kind)
    if type_ is None:
        return None  # binary and the like
    selection = described.get("selection")
    values = tuple(str(v[0]) for v in selection if v and v[0]) if isinstance(selection, list) else ()
    enum = kind == "selection" and values and all(ENUM_VALUE.match(v) for v in values)
    return FieldCandidate(
        entity,
        name,
        graphql_name(name),
        "Enum" if enum else type_,
        label,
        filterable=searchable and type_ not in ("JSON", "DateTime"),
        writable=writable and type_ != "JSON" and any(settable(described, i) for i in (CREATE_ID, UPDATE_ID)),
        enum_values=values if enum else (),
    )


def plural(name: str) -> str:
    """`partyAddress` -> `partyAddresses`, `stockLot` -> `stockLots` (English, regular cases)."""
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def tryton_value(raw: Any, path: str) -> Any:
    """A value read by `search_read`: `"party.name"` comes back as `{"party.": {"name": ...}}`."""
    *relations, last = path.split(".")
    value = raw
    for relation in relations:
        value = value.get(f"{relation}.") if isinstance(value, dict) else None
    return decode(value.get(last)) if isinstance(value, dict) else None


class TrytonCustomization:
    """Mixed into the Tryton connector (uses its `call`, `model`, `_search_read`, `entry`)."""

    def custom_value(self, raw: Any, custom: CustomField) -> Any:
        return coerce(tryton_value(raw, custom.remote_path), custom.type)

    async def discover_fields(self, entity: str) -> list[FieldCandidate]:
        model = self.model(entity)  # type: ignore[attr-defined]
        described = await self.call(f"model.{model.model}.fields_get", [None], {})  # type: ignore[attr-defined]
        mapped = {path.split(".")[0] for path in model.fields} | STANDARD | {model.status_remote}
        capability = self.entry.capabilities[entity]  # type: ignore[attr-defined]
        writable = model.writes is not None and (capability.create or capability.update)
        found = (
            field_candidate(entity, name, d, writable)
            for name, d in sorted(described.items())
            if name not in mapped and not name.startswith("_")
        )
        return [c for c in found if c is not None]

    async def discover_objects(self) -> list[ObjectCandidate]:
        """Stored models with their fields, from two reads of Tryton's model registry."""
        models = await self._search_read("ir.model", [], 0, None, ["name", "string"], {})  # type: ignore[attr-defined]
        fields = await self._search_read("ir.model.field", [], 0, None, ["name", "ttype", "model"], {})  # type: ignore[attr-defined]
        by_model: dict[str, list[dict[str, Any]]] = {}
        for f in fields:
            by_model.setdefault(f["model"], []).append(f)
        found = []
        for m in models:
            name, own = m["name"], by_model.get(m["name"], [])
            if name.startswith(HIDDEN_MODELS) or not any(f["name"] == "create_date" for f in own):
                continue
            type_name = graphql_name(name.replace(".", " "), upper=True)
            candidates = (
                field_candidate(type_name, f["name"], {"type": f["ttype"], "string": f["name"]}, False)
                for f in sorted(own, key=lambda f: f["name"])
                if f["name"] != "id"
            )
            found.append(
                ObjectCandidate(
                    name,
                    type_name,
                    plural(type_name[0].lower() + type_name[1:]),
                    "id",
                    str(m.get("string") or name),
                    tuple(c for c in candidates if c is not None),
                )
            )
        return found

    def _object_fields(self, obj: CustomObject) -> tuple[str, list[str]]:
        if not MODEL_NAME.match(obj.remote_name):
            raise BadUserInput(f"'{obj.remote_name}' is not a Tryton model name", field="remoteName")
        paths = [obj.id_path, *(f.remote_path for f in obj.fields), "_timestamp"]
        if obj.display_path:
            paths.append(obj.display_path)
        return obj.remote_name, list(dict.fromkeys(paths))

    def _object_record(self, obj: CustomObject, row: dict[str, Any]) -> Record:
        record = map_object(obj, row, self.custom_value, row.get("_timestamp"))
        if obj.display_path:
            display = tryton_value(row, obj.display_path)
            record.values["displayValue"] = None if display is None else str(display)
        return record

    async def list_objects(self, obj: CustomObject, cursor: str | None, limit: int) -> Page:
        """Keyset paging by id, as for the unified entities."""
        model, fields = self._object_fields(obj)
        after, offset = page_start(cursor)
        limit = min(limit, self.max_page_size)  # type: ignore[attr-defined]
        rows = await self._search_read(model, after, offset, limit, fields, {})  # type: ignore[attr-defined]
        return Page([self._object_record(obj, r) for r in rows], next_cursor(rows, limit))

    async def fetch_objects(self, obj: CustomObject, remote_ids: list[str]) -> list[Record]:
        """By id in one search (a plain `read` fails on the first missing id; archived rows count)."""
        model, fields = self._object_fields(obj)
        ids = sorted({int(i) for i in remote_ids if i.isdigit()})
        if not ids:
            return []
        rows = await self._search_read(model, [["id", "in", ids]], 0, None, fields, {"active_test": False})  # type: ignore[attr-defined]
        return [self._object_record(obj, r) for r in rows]
