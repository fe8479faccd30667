"""Write settings (organisational context for writes): only the system's own are taken, per call or as defaults."""

from __future__ import annotations

from tests.helpers import data, error_code

SETTINGS = (
    "mutation($id: ID!, $d: JSON) { updateConnectionSettings(id: $id, input: {writeDefaults: $d}) { writeDefaults } }"
)
CONNECTION_ID = "{ connection { id } }"


def test_a_system_without_write_settings_refuses_them_by_name(sqlite_gateway, admin_key, upkeep_sandbox):
    created = data(sqlite_gateway.connect(admin_key, upkeep_sandbox.url))["createConnection"]
    token, connection_id = created["token"], created["connection"]["id"]
    refused = sqlite_gateway.gql(admin_key, SETTINGS, {"id": connection_id, "d": {"companyCode": "1010"}})
    assert error_code(refused) == "BAD_USER_INPUT"
    assert refused["errors"][0]["extensions"]["field"] == "writeDefaults.companyCode"
    assert "UpKeep has no write setting 'companyCode' (it takes: none)" in refused["errors"][0]["message"]
    call = sqlite_gateway.gql(
        token, 'mutation { createVendor(input: {name: "Acme"}, writeOptions: {site: "X"}) { record { id } } }'
    )
    assert error_code(call) == "BAD_USER_INPUT" and call["errors"][0]["extensions"]["field"] == "writeOptions.site"
    kept = data(sqlite_gateway.gql(admin_key, SETTINGS, {"id": connection_id, "d": {}}))
    assert kept["updateConnectionSettings"]["writeDefaults"] == {}
    systems = data(sqlite_gateway.gql(admin_key, '{ system(key: "upkeep") { writeSettings { name } } }'))
    assert systems["system"]["writeSettings"] == []
