"""An OData v2 service's `$metadata`: entity sets, their properties and SAP's annotations.

Customization reads the system's own description of itself: every property
of an entity type (customer extension fields `YY1_…`/`ZZ1_…` included) is a
custom-field candidate, with `sap:filterable` saying whether the service can
filter on it and `sap:creatable`/`sap:updatable` whether it can be written;
entity sets the unified mapping does not read are custom-object candidates.
The document comes from the remote system, so it is parsed with defusedxml.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from schema.errors import SystemUnreachable

from ..discovery import FieldCandidate, ObjectCandidate, graphql_name

EXTENSION_PREFIXES = ("YY1_", "ZZ1_")
GRAPHQL_TYPES = {
    "Edm.String": "String",
    "Edm.Boolean": "Boolean",
    "Edm.DateTime": "DateTime",
    "Edm.DateTimeOffset": "DateTime",
    "Edm.Decimal": "Float",
    "Edm.Double": "Float",
    "Edm.Single": "Float",
    "Edm.Byte": "Int",
    "Edm.SByte": "Int",
    "Edm.Int16": "Int",
    "Edm.Int32": "Int",
}  # Edm.Int64, Edm.Guid, Edm.Time, Edm.Binary stay strings (Int64 does not fit GraphQL's Int)


@dataclass(frozen=True)
class PropertyInfo:
    name: str
    edm_type: str
    label: str = ""
    filterable: bool = True
    creatable: bool = True
    updatable: bool = True

    @property
    def extension(self) -> bool:
        return self.name.startswith(EXTENSION_PREFIXES)


@dataclass(frozen=True)
class SetInfo:
    """An entity set with its type's keys and properties, as `$metadata` describes them."""

    name: str
    keys: tuple[str, ...]
    properties: tuple[PropertyInfo, ...]
    creatable: bool = True
    updatable: bool = True
    deletable: bool = True


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sap(element: Element) -> dict[str, str]:
    """Attributes by local name (`sap:filterable` → `filterable`)."""
    return {_local(k): v for k, v in element.attrib.items()}


def _allowed(attrs: dict[str, str], flag: str) -> bool:
    return attrs.get(flag, "true") != "false"


def parse_metadata(document: bytes, system: str) -> dict[str, SetInfo]:
    """Entity sets of an EDMX document, by name."""
    try:
        root = ElementTree.fromstring(document)
    except (ElementTree.ParseError, DefusedXmlException):
        raise SystemUnreachable(f"{system} sent $metadata that is not readable EDMX") from None
    types: dict[str, Element] = {}
    for schema in (e for e in root.iter() if _local(e.tag) == "Schema"):
        namespace = schema.get("Namespace", "")
        for entity_type in (e for e in schema if _local(e.tag) == "EntityType"):
            types[f"{namespace}.{entity_type.get('Name')}"] = entity_type
    sets: dict[str, SetInfo] = {}
    for element in (e for e in root.iter() if _local(e.tag) == "EntitySet"):
        entity_type = types.get(element.get("EntityType", ""))
        if entity_type is None:
            continue
        keys = tuple(ref.get("Name", "") for child in entity_type if _local(child.tag) == "Key" for ref in child)
        properties = tuple(_property(p) for p in entity_type if _local(p.tag) == "Property")
        attrs = _sap(element)
        name = element.get("Name", "")
        sets[name] = SetInfo(
            name, keys, properties, *(_allowed(attrs, f) for f in ("creatable", "updatable", "deletable"))
        )
    return sets


def _property(element: Element) -> PropertyInfo:
    attrs = _sap(element)
    return PropertyInfo(
        name=attrs.get("Name", ""),
        edm_type=attrs.get("Type", "Edm.String"),
        label=attrs.get("label", ""),
        filterable=_allowed(attrs, "filterable"),
        creatable=_allowed(attrs, "creatable"),
        updatable=_allowed(attrs, "updatable"),
    )


def suggested_name(prop: PropertyInfo) -> str:
    """A GraphQL name; an extension field loses its prefix and context suffix (`YY1_ShiftCode_ORD` → `shiftCode`)."""
    if prop.extension:
        core = prop.name.split("_", 1)[1].rsplit("_", 1)[0]
        return graphql_name(core[0].lower() + core[1:]) if core else graphql_name(prop.name)
    return graphql_name(prop.name)


def field_candidates(entity: str, info: SetInfo, skip: set[str], writable: bool) -> list[FieldCandidate]:
    """Properties not read by the unified mapping; the customer's extension fields first.

    `writable` says whether the entity takes writes through this connector at all.
    """
    chosen = [p for p in info.properties if p.name not in skip]
    chosen.sort(key=lambda p: (not p.extension, p.name))
    return [
        FieldCandidate(
            entity=entity,
            remote_path=p.name,
            name=suggested_name(p),
            type=GRAPHQL_TYPES.get(p.edm_type, "String"),
            label=p.label or p.name,
            filterable=p.filterable,
            writable=writable and p.creatable and p.updatable,
        )
        for p in chosen
    ]


def object_candidate(service: str, info: SetInfo) -> ObjectCandidate:
    """An entity set as a custom object: read-only, keyed by its key properties."""
    name = graphql_name(info.name, upper=True)
    fields = field_candidates(name, info, set(), writable=False)
    return ObjectCandidate(
        remote_name=f"{service}/{info.name}",
        name=name,
        plural=f"{name[0].lower()}{name[1:]}s",
        id_path=",".join(info.keys),
        label=f"{info.name} ({service})",
        fields=tuple(fields),
    )
