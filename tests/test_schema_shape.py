"""A connection's schema is shaped by its system: entities, filters, mutations and required fields.

Also: closed sets are enums shared with the admin schema, and every type, field,
argument and enum value of the data schemas has a description.
"""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    parse,
)
from strawberry.schema.schema import validate_document

from connectors.registry import connector_class, connectors
from gateway.graphql.admin import admin_schema
from gateway.graphql.builder import SchemaCache, build_schema
from gateway.graphql.limits import STANDARD_RULES
from gateway.graphql.shapes import field_sources, shape_of
from schema.model import CustomField, Extension
from tests.helpers import data

UPKEEP = shape_of(connector_class("upkeep"))


def upkeep_schema() -> GraphQLSchema:
    return build_schema(Extension(), UPKEEP, field_sources())._schema


def test_a_connection_schema_lists_only_what_its_system_does():
    shaped, unified = upkeep_schema(), build_schema()._schema
    query, mutation = shaped.query_type.fields, shaped.mutation_type.fields
    assert "maintenanceSchedules" not in query and "maintenanceSchedule" not in query
    assert "MaintenanceSchedule" not in shaped.type_map and "MaintenanceScheduleConnection" not in shaped.type_map
    assert {"workOrders", "parts", "users"} <= set(query)
    assert "deleteVendor" not in mutation and "deletePurchaseOrder" not in mutation  # UpKeep's API has neither
    assert {"createWorkOrder", "updateVendor", "deleteWorkOrder", "adjustPartStock"} <= set(mutation)
    assert "type" not in shaped.type_map["LocationFilter"].fields  # UpKeep's locations carry no type
    # Write inputs hold only what UpKeep's API takes: no start time or number on a work order, no vendor code.
    assert not {"startedAt", "number"} & set(shaped.type_map["WorkOrderCreateInput"].fields)
    assert "startedAt" not in shaped.type_map["WorkOrderUpdateInput"].fields
    assert "code" not in shaped.type_map["VendorCreateInput"].fields
    assert "dueDate" in shaped.type_map["WorkOrderCreateInput"].fields
    assert "status" in shaped.type_map["WorkOrderFilter"].fields
    # The default data schema keeps everything.
    assert {"maintenanceSchedules", "deleteVendor"} <= set(unified.query_type.fields) | set(
        unified.mutation_type.fields
    )
    assert "type" in unified.type_map["LocationFilter"].fields
    assert {"startedAt", "number"} <= set(unified.type_map["WorkOrderCreateInput"].fields)


def shaped(system: str, extension: Extension = Extension()) -> GraphQLSchema:
    return build_schema(extension, shape_of(connector_class(system)), field_sources())._schema


def refusals(schema: GraphQLSchema, document: str) -> list[str]:
    """The messages validation answers a document with (what the endpoint runs before executing)."""
    return [e.message for e in validate_document(schema, parse(document), STANDARD_RULES)]


# Per system: (type, a field its records lack, a field they carry, the list field reading that type),
# from each connector's mapping (Maximo's object structures, Tryton's models, the REST and OData streams).
FIELDS = {
    "business_central": ("Asset", "manufacturer", "serialNumber", "assets"),
    "d365_scm": ("Location", "address", "name", "locations"),
    "odoo": ("Asset", "criticality", "name", "assets"),
    "oracle_fusion": ("Asset", "model", "name", "assets"),
    "fiix": ("WorkOrder", "description", "title", "workOrders"),
    "limble": ("Location", "code", "name", "locations"),
    "limble_manifest": ("Location", "code", "name", "locations"),
    "maintainx": ("WorkOrder", "startedAt", "dueDate", "workOrders"),
    "maximo": ("Part", "description", "partNumber", "parts"),
    "sap_s4hana": ("WorkOrder", "assignees", "dueDate", "workOrders"),
    "sap_ecc": ("WorkOrder", "startedAt", "number", "workOrders"),
    "tryton": ("User", "role", "email", "users"),
    "upkeep": ("WorkOrder", "startedAt", "dueDate", "workOrders"),
}


def test_every_system_is_covered():
    assert set(FIELDS) == set(connectors())


@pytest.mark.parametrize("system", sorted(FIELDS))
def test_a_type_holds_only_the_fields_the_system_fills(system):
    type_name, lacking, filled, plural = FIELDS[system]
    schema, unified = shaped(system), build_schema()._schema
    fields = schema.type_map[type_name].fields
    assert lacking not in fields and filled in fields
    assert {"id", "remoteId", "remoteData"} <= set(fields)
    assert lacking in unified.type_map[type_name].fields  # the default data schema keeps the unified type
    name = connector_class(system).entry.name
    assert refusals(schema, f"{{ {plural} {{ nodes {{ {filled} {lacking} }} }} }}") == [
        f"Cannot query field '{lacking}' on type '{type_name}': {name} does not fill {type_name}.{lacking}."
    ]
    assert refusals(schema, f"{{ {plural} {{ nodes {{ id {filled} }} }} }}") == []


def test_times_relations_lines_and_raw_values_follow_the_mapping():
    limble, maximo, upkeep, sap = shaped("limble"), shaped("maximo"), shaped("upkeep"), shaped("sap_ecc")
    # Maximo's inventory rows keep no change time, Limble's locations neither time: no field, no filter.
    assert not {"updatedAt", "createdAt"} & set(maximo.type_map["Part"].fields)
    assert not {"updatedAfter", "createdAfter"} & set(maximo.type_map["PartFilter"].fields)
    assert {"updatedAt", "updatedAfter"} <= set(maximo.type_map["Asset"].fields) | set(
        maximo.type_map["AssetFilter"].fields
    )
    assert "createdAfter" not in maximo.type_map["AssetFilter"].fields  # Maximo's assets keep no creation date
    assert "createdAfter" in maximo.type_map["WorkOrderFilter"].fields  # its work orders do (reportdate)
    assert not {"updatedAfter", "createdAfter"} & set(limble.type_map["LocationFilter"].fields)
    assert {"updatedAfter", "createdAfter"} <= set(build_schema()._schema.type_map["LocationFilter"].fields)
    # A relation stays where the system fills its id, an enum's raw value with its enum.
    assert "workOrder" not in maximo.type_map["MaintenanceRequest"].fields
    assert "asset" in maximo.type_map["MaintenanceRequest"].fields
    assert not {"type", "typeRaw", "code"} & set(upkeep.type_map["Location"].fields)
    # Embedded lines: UpKeep's purchase order lines carry no description or unit, nor take them.
    assert not {"description", "unitOfMeasure"} & set(upkeep.type_map["PurchaseOrderLine"].fields)
    assert set(upkeep.type_map["PurchaseOrderLineInput"].fields) == {
        "part",
        "quantity",
        "unitPrice",
        "receivedQuantity",
    }
    assert {"description", "unitOfMeasure", "lineNumber"} <= set(sap.type_map["PurchaseOrderLineInput"].fields)
    assert set(build_schema()._schema.type_map["PurchaseOrderLineInput"].fields) >= {"description", "lineNumber"}


def test_a_filter_or_line_field_the_system_lacks_fails_validation_naming_it():
    maximo, upkeep = shaped("maximo"), shaped("upkeep")
    assert refusals(maximo, '{ parts(filter: {updatedAfter: "2026-01-01T00:00:00Z"}) { nodes { id } } }') == [
        "Expected value of type 'PartFilter' not to include 'updatedAfter': IBM Maximo does not say when a Part "
        "changed."
    ]
    line = '{vendor: "1", lines: [{part: "2", quantity: 1, description: "bolts"}]}'
    assert refusals(upkeep, f"mutation {{ createPurchaseOrder(input: {line}) {{ replayed }} }}") == [
        "Expected value of type 'PurchaseOrderLineInput' not to include 'description': UpKeep cannot write "
        "PurchaseOrder.lines.description."
    ]
    assert refusals(upkeep, "{ purchaseOrders { nodes { lines { quantity unitOfMeasure } } } }") == [
        "Cannot query field 'unitOfMeasure' on type 'PurchaseOrderLine': UpKeep does not fill "
        "PurchaseOrder.lines.unitOfMeasure."
    ]


def test_custom_fields_stay_and_a_system_shares_its_types_across_extensions():
    vendor_field = Extension(custom_fields=(CustomField("Vendor", "rating", "Int", "rating"),))
    base, extended = build_schema(shape=UPKEEP), build_schema(vendor_field, UPKEEP)
    vendor = extended._schema.type_map["Vendor"].fields
    assert "rating" in vendor and "code" not in vendor
    assert base.get_type_by_name("WorkOrder") is extended.get_type_by_name("WorkOrder")  # built once for UpKeep
    assert base.get_type_by_name("Vendor") is not extended.get_type_by_name("Vendor")
    assert build_schema(shape=UPKEEP) is base  # and the system's own schema once
    # A field remapped by the connection's settings is filled, whatever the system's own mapping says.
    remapped = build_schema(Extension(field_mappings=(CustomField("Location", "code", "String", "barcode"),)), UPKEEP)
    assert (
        "code" in remapped._schema.type_map["Location"].fields
        and "type" not in remapped._schema.type_map["Location"].fields
    )
    assert "code" not in base._schema.type_map["Location"].fields


def test_introspection_and_queries_see_the_shaped_type(connection_token, sqlite_gateway, admin_key):
    found = data(sqlite_gateway.gql(connection_token, '{ __type(name: "WorkOrder") { fields { name } } }'))
    names = {f["name"] for f in found["__type"]["fields"]}
    assert "dueDate" in names and "startedAt" not in names
    answer = sqlite_gateway.gql(connection_token, "{ workOrders { nodes { id startedAt } } }")
    assert "data" not in answer
    assert [e["message"] for e in answer["errors"]] == [
        "Cannot query field 'startedAt' on type 'WorkOrder': UpKeep does not fill WorkOrder.startedAt."
    ]
    # The admin schema still shows UpKeep's whole capability matrix, unread entities included.
    system = data(sqlite_gateway.gql(admin_key, '{ system(key: "upkeep") { capabilities { entity read } } }'))
    rows = {row["entity"]: row["read"] for row in system["system"]["capabilities"]}
    assert rows == {name: c.read for name, c in connector_class("upkeep").entry.capabilities.items()}


def test_create_input_requires_what_the_system_requires_update_input_nothing():
    shaped = upkeep_schema()
    create, update = shaped.type_map["WorkOrderCreateInput"], shaped.type_map["WorkOrderUpdateInput"]
    assert str(create.fields["title"].type) == "String!" and str(create.fields["description"].type) == "String"
    assert str(update.fields["title"].type) == "String"
    assert str(shaped.type_map["PurchaseOrderCreateInput"].fields["vendor"].type) == "ID!"
    assert str(shaped.mutation_type.fields["createWorkOrder"].args["input"].type) == "WorkOrderCreateInput!"
    assert str(shaped.mutation_type.fields["updateWorkOrder"].args["input"].type) == "WorkOrderUpdateInput!"
    assert "WorkOrderInput" not in shaped.type_map


def test_connections_with_the_same_shape_share_one_schema():
    cache = SchemaCache()
    maximo = shape_of(connector_class("maximo"))
    assert cache.get(Extension(), UPKEEP) is cache.get(Extension(), shape_of(connector_class("upkeep")))
    assert cache.get(Extension(), maximo) is not cache.get(Extension(), UPKEEP)
    assert cache.get(Extension()) is build_schema() and len(cache) == 3


def test_asking_for_what_the_system_lacks_fails_validation_naming_the_system(connection_token, sqlite_gateway):
    answer = sqlite_gateway.gql(connection_token, "{ maintenanceSchedules { nodes { id } } }")
    message = answer["errors"][0]["message"]
    assert (
        message
        == "Cannot query field 'maintenanceSchedules' on type 'Query': UpKeep has no MaintenanceSchedule records."
    )
    answer = sqlite_gateway.gql(connection_token, 'mutation { deleteVendor(id: "1") { deleted } }')
    assert "UpKeep does not support delete of Vendor" in answer["errors"][0]["message"]
    missing = sqlite_gateway.gql(
        connection_token, 'mutation { createWorkOrder(input: {description: "x"}) { replayed } }'
    )
    assert "'WorkOrderCreateInput' to include required field 'title'" in missing["errors"][0]["message"]
    unwritable = sqlite_gateway.gql(
        connection_token,
        'mutation { createWorkOrder(input: {title: "x", startedAt: "2026-01-01T00:00:00Z"}) { replayed } }',
    )
    assert "data" not in unwritable  # refused in validation, before anything ran
    assert [(e["message"], e["extensions"]["code"]) for e in unwritable["errors"]] == [
        (
            "Expected value of type 'WorkOrderCreateInput' not to include 'startedAt': UpKeep cannot write "
            "WorkOrder.startedAt.",
            "BAD_USER_INPUT",
        )
    ]


def test_closed_sets_are_enums_shared_with_the_admin_schema(connection_token, sqlite_gateway):
    shaped, admin = upkeep_schema(), admin_schema._schema
    expected = {
        ("Connection", "status"): "ConnectionStatus!",
        ("Connection", "hosting"): "Hosting!",
        ("EntitySyncStatus", "state"): "SyncState!",
        ("EntitySyncStatus", "mode"): "SyncMode",
        ("ConnectionStatusEvent", "status"): "ConnectionStatus!",
        ("ConnectionStatusEvent", "previousStatus"): "ConnectionStatus",
        ("SyncEvent", "type"): "SyncEventType!",
    }
    assert {key: str(shaped.type_map[key[0]].fields[key[1]].type) for key in expected} == expected
    for name in ("ConnectionStatus", "Hosting"):
        assert set(shaped.type_map[name].values) == set(admin.type_map[name].values)
    # The admin schema's own closed sets are enums too.
    admin_expected = {
        ("System", "category"): "SystemCategory!",
        ("ConnectSession", "status"): "ConnectSessionStatus!",
        ("ConnectSession", "hosting"): "Hosting",
        ("WebhookDelivery", "status"): "WebhookDeliveryStatus!",
    }
    assert {key: str(admin.type_map[key[0]].fields[key[1]].type) for key in admin_expected} == admin_expected
    query = admin.query_type.fields
    assert str(query["systems"].args["category"].type) == "SystemCategory"
    assert str(query["connectSessions"].args["status"].type) == "ConnectSessionStatus"
    answer = data(sqlite_gateway.gql(connection_token, "{ connection { status hosting syncStatus { state } } }"))
    assert answer["connection"]["status"] == "ACTIVE" and answer["connection"]["hosting"] == "CLOUD"


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument and enum value without a description (introspection types aside)."""
    found: list[str] = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__"):
            continue
        found += [] if graphql_type.description else [name]
        if isinstance(graphql_type, GraphQLEnumType):
            found += [f"{name}.{v}" for v, value in graphql_type.values.items() if not value.description]
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in graphql_type.fields.items():
                found += [] if field.description else [f"{name}.{field_name}"]
                args = getattr(field, "args", {})
                found += [f"{name}.{field_name}({a})" for a, arg in args.items() if not arg.description]
    return found


def test_every_part_of_the_data_schemas_is_described():
    assert undescribed(build_schema(sources=field_sources())._schema) == []
    assert undescribed(upkeep_schema()) == []


def test_every_part_of_the_admin_schema_is_described():
    assert undescribed(admin_schema._schema) == []
    offset = admin_schema._schema.query_type.fields["connections"].args["offset"]
    assert offset.deprecation_reason and "after" in offset.deprecation_reason


def test_descriptions_say_which_systems_fill_a_field():
    fields = build_schema(sources=field_sources())._schema.type_map["Asset"].fields
    assert "Filled by" in fields["serialNumber"].description and "UpKeep" in fields["serialNumber"].description
    assert build_schema()._schema.type_map["MaintenanceSchedule"].description
