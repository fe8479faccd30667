"""`/data/$metadata`: the entity sets the sandbox serves as an OData v4 CSDL (EDMX) document.

Finance and operations apps describe every public data entity in one document: entity types in the
`Microsoft.Dynamics.DataEntities` namespace (their keys, properties with `Edm` types and lengths) and
one entity set each in the entity container. The sandbox describes its own sets the same way, so
custom-field discovery reads the same document shape (docs/vendors/d365_scm.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from sandboxes.odata_v4 import Page, Prop

NAMESPACE = "Microsoft.Dynamics.DataEntities"


def _property(prop: Prop) -> str:
    length = f" MaxLength={quoteattr(str(prop.max_length))}" if prop.max_length else ""
    return f"<Property Name={quoteattr(prop.name)} Type={quoteattr(prop.type)}{length} />"


def _entity_type(page: Page) -> str:
    keys = "".join(f"<PropertyRef Name={quoteattr(k)} />" for k in page.keys)
    props = "".join(_property(p) for p in page.props)
    navigation = (
        f"<NavigationProperty Name={quoteattr(page.lines)} Type={quoteattr(f'Collection({NAMESPACE}.{page.line_page.type_name})')} />"
        if page.lines and page.line_page
        else ""
    )
    return f"<EntityType Name={quoteattr(page.type_name)}><Key>{keys}</Key>{props}{navigation}</EntityType>"


def metadata_document(sets: Iterable[Page]) -> bytes:
    """The EDMX document of these entity sets (their line types included)."""
    pages = list(sets)
    types = {p.type_name: p for p in pages} | {p.line_page.type_name: p.line_page for p in pages if p.line_page}
    entity_sets = "".join(
        f"<EntitySet Name={quoteattr(p.name)} EntityType={quoteattr(f'{NAMESPACE}.{p.type_name}')} />" for p in pages
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>'
        f'<Schema Namespace="{NAMESPACE}" xmlns="http://docs.oasis-open.org/odata/ns/edm">'
        + "".join(_entity_type(t) for t in types.values())
        + f'<EntityContainer Name="Resources">{entity_sets}</EntityContainer>'
        "</Schema></edmx:DataServices></edmx:Edmx>"
    ).encode()
