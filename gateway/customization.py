"""A connection's custom fields and objects: validated settings in, a schema `Extension` out.

Settings are stored as plain JSON on the connection; `extension_of` turns them
into the hashable `Extension` the schema cache and the connector read. Every
name is checked here, before it is stored, so a bad setting can never break a
connection's schema at request time. Its field mappings (`gateway/remapping.py`)
go into the same `Extension`.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from strawberry.types.base import StrawberryObjectDefinition

from connectors.catalog import SystemEntry
from gateway.graphql.builder import build_schema
from gateway.remapping import parse_mappings, setting_text
from schema.entities import BY_NAME
from schema.errors import BadUserInput
from schema.model import SCALARS, STANDARD_FIELDS, CustomField, CustomObject, EnumDef, Extension

FIELD_NAME = re.compile(r"^[a-z][A-Za-z0-9]{0,62}$")
TYPE_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,62}$")
ENUM_VALUE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
FIELD_TYPES = tuple(t for t in SCALARS if t != "ID") + ("Enum",)
MAX_FIELDS = 200
MAX_OBJECTS = 50
RESERVED_FIELDS = {f.name for f in STANDARD_FIELDS} | {"id", "remoteData"}


@lru_cache(maxsize=1)
def _default_names() -> tuple[frozenset[str], frozenset[str]]:
    """Type and root-field names of the unified schema, which custom objects must not take."""
    schema = build_schema()
    query = schema.get_type_by_name("Query")
    fields = frozenset(f.name for f in query.fields) if isinstance(query, StrawberryObjectDefinition) else frozenset()
    return frozenset(schema._schema.type_map), fields


def _text(item: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    if item.get(key) is None and not required:
        return ""
    return setting_text(item, key, where)


def _custom_field(item: Any, entity: str, where: str, type_prefix: str) -> CustomField:
    if not isinstance(item, dict):
        raise BadUserInput(f"{where} must be an object", field="customFields")
    name = _text(item, "name", where)
    if not FIELD_NAME.match(name):
        raise BadUserInput(f"{where}: name '{name}' must look like camelCase letters and digits", field="name")
    if name in RESERVED_FIELDS or name.endswith("Raw"):
        raise BadUserInput(f"{where}: name '{name}' is reserved", field="name")
    kind = _text(item, "type", where)
    if kind not in FIELD_TYPES:
        raise BadUserInput(f"{where}: type must be one of {', '.join(FIELD_TYPES)}", field="type")
    type_: str | EnumDef = kind
    if kind == "Enum":
        values = item.get("enumValues")
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and ENUM_VALUE.match(v) for v in values)
        ):
            raise BadUserInput(f"{where}: an Enum needs enumValues, each a GraphQL name", field="enumValues")
        type_ = EnumDef(f"{type_prefix}{name[0].upper()}{name[1:]}", tuple(dict.fromkeys(values)))
        if type_.name in _default_names()[0]:
            raise BadUserInput(
                f"{where}: its enum type {type_.name} would clash with the schema; rename it", field="name"
            )
    return CustomField(
        entity=entity,
        name=name,
        type=type_,
        remote_path=_text(item, "remotePath", where),
        filterable=bool(item.get("filterable", False)),
        writable=bool(item.get("writable", False)),
        description=_text(item, "description", where, required=False),
    )


def _unique(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise BadUserInput(f"{where}: '{name}' is declared twice", field="name")
        seen.add(name)


def parse_fields(items: Any, entry: SystemEntry | None) -> tuple[CustomField, ...]:
    if not isinstance(items, list) or len(items) > MAX_FIELDS:
        raise BadUserInput(f"customFields must be a list of at most {MAX_FIELDS}", field="customFields")
    fields = []
    for n, item in enumerate(items, 1):
        entity = _text(item, "entity", f"customFields[{n}]") if isinstance(item, dict) else ""
        if entity not in BY_NAME or (entry is not None and not entry.supports(entity)):
            raise BadUserInput(f"customFields[{n}]: unknown entity '{entity}' for this system", field="entity")
        made = _custom_field(item, entity, f"customFields[{n}]", f"{entity}Custom")
        unified = {f.name for f in BY_NAME[entity].fields} | {r.name for r in BY_NAME[entity].relations}
        unified |= {c.name for c in BY_NAME[entity].components}
        if made.name in unified:
            raise BadUserInput(f"customFields[{n}]: {entity} already has a field '{made.name}'", field="name")
        fields.append(made)
    for entity in {f.entity for f in fields}:
        _unique([f.name for f in fields if f.entity == entity], f"customFields of {entity}")
    return tuple(fields)


def parse_objects(items: Any) -> tuple[CustomObject, ...]:
    if not isinstance(items, list) or len(items) > MAX_OBJECTS:
        raise BadUserInput(f"customObjects must be a list of at most {MAX_OBJECTS}", field="customObjects")
    types, root_fields = _default_names()
    objects = []
    for n, item in enumerate(items, 1):
        where = f"customObjects[{n}]"
        if not isinstance(item, dict):
            raise BadUserInput(f"{where} must be an object", field="customObjects")
        name = _text(item, "name", where)
        if not TYPE_NAME.match(name) or any(
            made in types for made in (name, f"{name}Connection", f"{name}Edge", f"{name}Filter")
        ):
            raise BadUserInput(f"{where}: '{name}' must be a PascalCase name not used by the schema", field="name")
        plural = _text(item, "plural", where, required=False) or f"{name[0].lower()}{name[1:]}s"
        singular = name[0].lower() + name[1:]
        if not FIELD_NAME.match(plural) or plural in root_fields or singular in root_fields or plural == singular:
            raise BadUserInput(f"{where}: plural '{plural}' is not a free query field name", field="plural")
        fields_in = item.get("fields") or []
        if not isinstance(fields_in, list) or len(fields_in) > MAX_FIELDS:
            raise BadUserInput(f"{where}: fields must be a list of at most {MAX_FIELDS}", field="fields")
        fields = tuple(_custom_field(f, name, f"{where}.fields[{i}]", name) for i, f in enumerate(fields_in, 1))
        _unique([f.name for f in fields], f"{where}.fields")
        objects.append(
            CustomObject(
                name=name,
                plural=plural,
                remote_name=_text(item, "remoteName", where),
                id_path=_text(item, "idPath", where),
                fields=fields,
                display_path=_text(item, "displayPath", where, required=False),
            )
        )
    _unique([o.name for o in objects], "customObjects")
    _unique([o.plural for o in objects] + [o.singular for o in objects], "customObjects plural/singular names")
    return tuple(objects)


def extension_of(connection: Any) -> Extension:
    """The schema extension a connection's settings declare (cached by their JSON)."""
    settings = connection.settings or {}
    declared = [settings.get(key) or [] for key in ("customFields", "customObjects", "fieldMappings")]
    if not any(declared):
        return Extension()
    return _extension(json.dumps(declared, sort_keys=True))


@lru_cache(maxsize=4096)
def _extension(declared: str) -> Extension:
    fields, objects, mappings = json.loads(declared)
    return Extension(parse_fields(fields, None), parse_objects(objects), parse_mappings(mappings, None))
