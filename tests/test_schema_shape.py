"""A connection's schema is shaped by its system: entities, filters, mutations and required fields.

Also: closed sets are enums shared with the admin schema, and every type, field,
argument and enum value of the data schemas has a description.
"""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

from connectors.registry import connector_class
from gateway.graphql.admin import admin_schema
from gateway.graphql.builder import SchemaCache, build_schema
from gateway.graphql.shapes import field_sources, shape_of
from schema.model import Extension
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
