"""Odoo against its sandbox: the login, what the sandbox refuses with Odoo's error body, the mapping, and
the upstream calls a page and a fetch-many cost (one `search_read`, one `read` of many ids)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.odoo.connector import OdooConnector
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.odoo.app import SANDBOX, create_app
from sandboxes.odoo.seed import DEMO_DATABASE, DEMO_LOGIN, DEMO_PASSWORD, EXPIRED_API_KEY
from schema.errors import BadUserInput, SystemAuthFailed, SystemRejected
from schema.model import CustomField, Extension


@pytest.fixture
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
async def odoo(sandbox: ServerThread) -> AsyncIterator[OdooConnector]:
    made = OdooConnector(ConnectionConfig("CLOUD", sandbox.url, dict(SANDBOX.credentials)))
    yield made
    await made.aclose()


def calls(sandbox: ServerThread) -> list[tuple[str, str, list[Any]]]:
    return list(sandbox.app.state.calls)


def rpc(sandbox: ServerThread, service: str, method: str, *args: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": list(args)}}
    response = httpx.post(f"{sandbox.url}/jsonrpc", json={**body, "id": 7})
    assert response.status_code == 200  # Odoo answers its errors with HTTP 200 too
    answer = response.json()
    assert answer["jsonrpc"] == "2.0" and answer["id"] == 7
    return answer


def odoo_error(answer: dict[str, Any]) -> dict[str, Any]:
    """Odoo's error object: code 200, "Odoo Server Error", the exception in `data`."""
    error = answer["error"]
    assert error["code"] == 200 and error["message"] == "Odoo Server Error", error
    assert {"name", "message", "arguments", "debug", "context"} <= set(error["data"])
    return error["data"]


def execute(sandbox: ServerThread, password: str, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
    return rpc(sandbox, "object", "execute_kw", DEMO_DATABASE, 3, password, model, method, list(args), kwargs)


def test_authenticate_answers_the_user_id_or_false(sandbox):
    assert (
        rpc(sandbox, "common", "authenticate", DEMO_DATABASE, DEMO_LOGIN, SANDBOX.credentials["password"], {})["result"]
        == 3
    )
    assert rpc(sandbox, "common", "authenticate", DEMO_DATABASE, DEMO_LOGIN, DEMO_PASSWORD, {})["result"] == 3
    assert rpc(sandbox, "common", "authenticate", DEMO_DATABASE, DEMO_LOGIN, "wrong", {})["result"] is False
    assert rpc(sandbox, "common", "authenticate", DEMO_DATABASE, DEMO_LOGIN, EXPIRED_API_KEY, {})["result"] is False


def test_object_calls_with_a_bad_or_expired_key_are_access_denied(sandbox):
    for password in ("wrong", EXPIRED_API_KEY, ""):
        data = odoo_error(execute(sandbox, password, "res.partner", "search_read", []))
        assert data["name"] == "odoo.exceptions.AccessDenied" and data["message"] == "Access Denied"
    assert "result" in execute(sandbox, DEMO_PASSWORD, "res.partner", "search_count", [])


def test_an_unknown_or_missing_database_is_refused(sandbox):
    for database in ("nope", ""):
        data = odoo_error(rpc(sandbox, "common", "authenticate", database, DEMO_LOGIN, DEMO_PASSWORD, {}))
        assert data["name"] == "psycopg2.OperationalError" and f'database "{database}"' in data["message"]


@pytest.mark.parametrize(
    "domain",
    [
        [["name", "=="]],
        [["name", "like_nothing", "x"]],
        [["no_such_field", "=", 1]],
        "not a list",
        ["|", ["id", "=", 1]],
    ],
)
def test_a_malformed_domain_is_a_value_error(sandbox, domain):
    data = odoo_error(execute(sandbox, DEMO_PASSWORD, "res.partner", "search_read", domain))
    assert data["name"] == "builtins.ValueError" and data["message"].startswith("Invalid")


def test_unknown_fields_and_readonly_models_are_refused(sandbox):
    assert odoo_error(execute(sandbox, DEMO_PASSWORD, "res.partner", "read", [10], fields=["nope"]))["name"] == (
        "builtins.ValueError"
    )
    refused = odoo_error(execute(sandbox, DEMO_PASSWORD, "product.product", "write", [1], {"name": "x"}))
    assert refused["name"] == "odoo.exceptions.AccessError"
    missing = odoo_error(execute(sandbox, DEMO_PASSWORD, "maintenance.request", "create", {"priority": "1"}))
    assert missing["name"] == "odoo.exceptions.ValidationError" and "Subjects" in missing["message"]


async def test_the_connector_refuses_bad_logins_and_names_the_database(sandbox):
    for creds, error in (
        ({**SANDBOX.credentials, "password": "not-the-key"}, SystemAuthFailed),
        ({**SANDBOX.credentials, "password": EXPIRED_API_KEY}, SystemAuthFailed),
        ({**SANDBOX.credentials, "database": "other"}, SystemRejected),
    ):
        connector = OdooConnector(ConnectionConfig("CLOUD", sandbox.url, creds))
        with pytest.raises(error) as caught:
            await connector.check()
        assert creds["password"] not in caught.value.message  # the key is never in an error
        await connector.aclose()
    assert 'database "other"' in str(caught.value.message)


async def test_work_orders_map_stage_priority_and_many2ones(sandbox, odoo):
    page = await odoo.list_page("WorkOrder", ListQuery(), None, 150)
    raw = {r.remote_id: r.remote_data for r in page.records}
    for record in page.records:
        row, values = raw[record.remote_id], record.values
        assert values["statusRaw"] == row["stage_id"][1]
        assert (
            values["status"]
            == {"New Request": "OPEN", "In Progress": "IN_PROGRESS", "Repaired": "COMPLETED", "Scrap": "CANCELLED"}[
                row["stage_id"][1]
            ]
        )
        assert values["asset"] == (str(row["equipment_id"][0]) if row["equipment_id"] else None)
        assert values["completedAt"] is None if row["close_date"] is False else values["completedAt"] is not None
        assert values["description"] is None or row["description"] is not False
    assert any(r.values["asset"] is None for r in page.records)  # a request without equipment reads null


async def test_status_and_time_filters_are_one_domain(sandbox, odoo):
    sandbox.app.state.calls.clear()
    since = datetime(2026, 1, 1, tzinfo=UTC)
    page = await odoo.list_page("WorkOrder", ListQuery(statuses=("COMPLETED",), updated_after=since), None, 200)
    assert page.records and all(
        r.values["status"] == "COMPLETED" and r.values["updatedAt"] > since for r in page.records
    )
    [(model, method, args)] = calls(sandbox)
    assert (model, method) == ("maintenance.request", "search_read")
    assert ["stage_id.name", "in", ["Repaired"]] in args[0]
    assert ["write_date", ">", "2026-01-01 00:00:00"] in args[0]


async def test_vendors_are_partners_bought_from_archived_ones_included(sandbox, odoo):
    vendors = (await odoo.list_page("Vendor", ListQuery(), None, 100)).records
    names = {v.values["name"] for v in vendors}
    assert "Riverside Foods" not in names  # a customer (supplier_rank 0)
    assert any(v.values["active"] is False for v in vendors)
    assert await odoo.count("Vendor", ListQuery()) == len(vendors)


async def test_fetch_many_is_one_read_of_every_id_and_skips_deleted_ones(sandbox, odoo):
    sandbox.app.state.calls.clear()
    found = await odoo.fetch_many("Asset", ["3", "1", "40", "999", "3"])
    assert sorted(r.remote_id for r in found) == ["1", "3", "40"]  # 40 is archived: read by id all the same
    assert calls(sandbox) == [("maintenance.equipment", "read", [[1, 3, 40, 999]])]


async def test_a_purchase_page_joins_its_lines_in_one_call(sandbox, odoo):
    await odoo.check()
    sandbox.app.state.calls.clear()
    page = await odoo.list_page("PurchaseOrder", ListQuery(), None, 10)
    assert [(m, method) for m, method, _ in calls(sandbox)] == [
        ("purchase.order", "search_read"),
        ("purchase.order.line", "search_read"),
    ]
    for order in page.records:
        lines = order.values["lines"]
        assert lines and round(sum(line["amount"] for line in lines), 2) == order.values["totalAmount"]


async def test_writes_send_odoo_values_and_read_back(sandbox, odoo):
    made = await odoo.create(
        "WorkOrder",
        {"title": "Check seal", "priority": "HIGH", "dueDate": datetime(2026, 12, 1, 10, tzinfo=UTC), "asset": "2"},
    )
    stored = sandbox.app.state.data.get("maintenance.request", int(made.remote_id))
    assert stored["schedule_date"] == "2026-12-01 10:00:00" and stored["priority"] == "3"
    assert stored["equipment_id"] == 2 and made.values["status"] == "OPEN"
    with pytest.raises(BadUserInput):
        await odoo.create("WorkOrder", {"title": "x", "status": "COMPLETED"})
    await odoo.delete("WorkOrder", made.remote_id, None)
    assert await odoo.fetch_many("WorkOrder", [made.remote_id]) == []


async def test_custom_fields_come_from_fields_get(odoo):
    found = {f.remote_path: f for f in await odoo.discover_fields("WorkOrder")}
    assert found["x_shift"].type == "Enum" and found["x_shift"].enum_values == ("day", "night")
    assert found["x_shift"].writable and "name" not in found


async def test_a_vendor_made_here_is_listed_and_one_with_orders_cannot_be_unlinked(sandbox, odoo):
    made = await odoo.create("Vendor", {"name": "New Supply", "email": "new@supply.example"})
    assert sandbox.app.state.data.get("res.partner", int(made.remote_id))["supplier_rank"] == 1
    assert made.remote_id in {v.remote_id for v in (await odoo.list_page("Vendor", ListQuery(), None, 100)).records}
    ordered_from = str(sandbox.app.state.data.records("purchase.order")[0]["partner_id"])
    with pytest.raises(SystemRejected) as refused:
        await odoo.delete("Vendor", ordered_from, None)
    assert "another model requires the record" in refused.value.message
    assert await odoo.fetch_many("Vendor", [ordered_from])  # still there
    await odoo.delete("Vendor", made.remote_id, None)
    assert await odoo.fetch_many("Vendor", [made.remote_id]) == []


async def test_a_key_revoked_meanwhile_is_refused_and_the_next_call_authenticates_again(sandbox):
    odoo = OdooConnector(ConnectionConfig("CLOUD", sandbox.url, {**SANDBOX.credentials, "password": DEMO_PASSWORD}))
    await odoo.check()
    sandbox.app.state.accounts.passwords[DEMO_LOGIN] = "changed"
    with pytest.raises(SystemAuthFailed):
        await odoo.count("Vendor", ListQuery())
    sandbox.app.state.accounts.passwords[DEMO_LOGIN] = DEMO_PASSWORD
    control = SandboxControl(sandbox.url)
    control.clear_requests()
    sandbox.app.state.calls.clear()
    assert await odoo.count("Vendor", ListQuery()) == 16
    assert len(control.requests()) == 2  # common.authenticate again, then the call
    assert [(m, method) for m, method, _ in calls(sandbox)] == [("res.partner", "search_count")]
    await odoo.aclose()


async def test_custom_values_keep_a_boolean_false_and_read_other_false_as_null(sandbox):
    extension = Extension(
        custom_fields=(
            CustomField("Vendor", "paymentBlock", "Boolean", "x_studio_payment_block"),
            CustomField("Vendor", "site", "String", "website"),
        )
    )
    odoo = OdooConnector(ConnectionConfig("CLOUD", sandbox.url, dict(SANDBOX.credentials), extension=extension))
    vendors = (await odoo.list_page("Vendor", ListQuery(), None, 100)).records
    await odoo.aclose()
    blocks = {v.values["paymentBlock"] for v in vendors}
    assert blocks == {True, False}
    unset = [v for v in vendors if v.remote_data["website"] is False]
    assert unset and all(v.values["site"] is None for v in unset)
