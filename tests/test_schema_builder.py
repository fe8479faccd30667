"""The data schema is generated from the unified model and cached per extension."""

from __future__ import annotations

from graphql.utilities.print_schema import print_input_value

from gateway.graphql.builder import SchemaCache, build_schema
from schema.entities import ENTITIES
from schema.model import CustomField, CustomObject, Extension


def type_names(schema) -> set[str]:
    return set(schema._schema.type_map)


def signature(schema, field: str, type_name: str = "Query") -> str:
    """A field as the SDL declares it, without the descriptions that break it over lines."""
    found = schema._schema.get_type(type_name).fields[field]
    args = ", ".join(print_input_value(name, arg) for name, arg in found.args.items())
    return f"{field}({args}): {found.type}" if args else f"{field}: {found.type}"


def test_every_entity_has_types_lists_filters_and_by_id():
    schema = build_schema()
    sdl = schema.as_str()
    for entity in ENTITIES:
        assert {entity.name, f"{entity.name}Connection", f"{entity.name}Edge", f"{entity.name}Filter"} <= type_names(
            schema
        )
        assert (
            signature(schema, entity.plural)
            == f"{entity.plural}(first: Int, after: String, filter: {entity.name}Filter, source: Source! = LIVE, last: Int, before: String, orderBy: {entity.name}Order): {entity.name}Connection"
        )
        assert signature(schema, entity.singular) == f"{entity.singular}(id: ID, remoteId: String): {entity.name}"
        assert f"type {entity.name} implements Node" in sdl
    assert signature(schema, "node") == "node(id: ID!): Node"
    assert "statusRaw: String" in sdl and "remoteData: JSON" in sdl


def test_one_schema_shared_by_connections_on_the_default_model():
    cache = SchemaCache()
    assert cache.get(Extension()) is cache.get(Extension())
    assert len(cache) == 1


def test_extension_adds_fields_and_objects_to_its_schema_only():
    cache = SchemaCache()
    extension = Extension(
        custom_fields=(CustomField("WorkOrder", "costCenter", "String", "custom.costCenter"),),
        custom_objects=(
            CustomObject("Meter", "meters", "/meters", "id", (CustomField("Meter", "reading", "Float", "reading"),)),
        ),
    )
    extended, default = cache.get(extension), cache.get(Extension())
    assert extended is not default and len(cache) == 2
    assert "costCenter: String" in extended.as_str() and "costCenter" not in default.as_str()
    assert "meters(" in extended.as_str() and "Meter" not in type_names(default)
    assert (
        cache.get(Extension(custom_fields=extension.custom_fields, custom_objects=extension.custom_objects)) is extended
    )


def test_cache_evicts_least_recently_used():
    cache = SchemaCache(max_size=2)
    a, b, c = (Extension(custom_fields=(CustomField("Asset", f"f{i}", "Int", f"custom.f{i}"),)) for i in range(3))
    first_a = cache.get(a)
    cache.get(b)
    cache.get(a)  # a is now the most recent
    cache.get(c)  # evicts b
    assert len(cache) == 2 and cache.get(a) is first_a


def test_an_extension_shares_the_unified_types_it_does_not_reach():
    """Only the customized entity and those whose types reach it are made again (time, memory)."""
    vendor_field = Extension(custom_fields=(CustomField("Vendor", "rating", "Int", "rating"),))
    unified, extended = build_schema(), build_schema(vendor_field)
    same = {
        n
        for n in ("Location", "Asset", "WorkOrder", "User", "WorkOrderConnection", "VendorUpdateInput")
        if unified.get_type_by_name(n) is extended.get_type_by_name(n)
    }
    assert same == {"Location", "Asset", "WorkOrder", "User", "WorkOrderConnection"}
    # Vendor changed; Part and PurchaseOrder reach it (vendors, vendor), so they are made anew too.
    for name in ("Vendor", "Part", "PurchaseOrder", "PurchaseOrderLine", "VendorConnection"):
        assert unified.get_type_by_name(name) is not extended.get_type_by_name(name)
    assert "rating" not in str(unified) and "rating: Int" in str(extended)
