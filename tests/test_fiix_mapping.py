"""Each Fiix entity maps to the unified model, read live through the gateway from the sandbox,
field by field against the sandbox's raw records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sandboxes.fiix.app import SANDBOX, create_app
from sandboxes.kit import ServerThread
from tests.helpers import data, error_code, page_all, type_fields

STATUS = {1: "OPEN", 2: "OPEN", 3: "OPEN", 4: "IN_PROGRESS", 5: "ON_HOLD", 6: "COMPLETED", 7: "CANCELLED"}
PRIORITY = {1: "URGENT", 2: "HIGH", 3: "MEDIUM", 4: "LOW", 5: "NONE"}
TYPE = {1: "CORRECTIVE", 2: "PREVENTIVE", 3: "INSPECTION", 4: "EMERGENCY", 5: "OTHER"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture
def raw(sandbox):
    return sandbox.app.state.data


@pytest.fixture
def token(sqlite_gateway, admin_key, sandbox) -> str:
    made = sqlite_gateway.connect(admin_key, sandbox.url, system="fiix", credentials=SANDBOX.credentials)
    return data(made)["createConnection"]["token"]


def ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)


def ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def rid(value: int | None) -> str | None:
    return None if value is None else str(value)


def nodes(gateway, token: str, field: str, selection: str) -> dict[str, dict]:
    return {n["remoteId"]: n for n in page_all(gateway, token, field, selection, first=100)}


def kind(raw, code: int) -> list[dict]:
    return [r for r in raw.records("Asset") if r["intSuperCategorySysCode"] == code]


def test_work_orders(sqlite_gateway, token, raw):
    found = nodes(
        sqlite_gateway,
        token,
        "workOrders",
        """remoteId displayValue number title status statusRaw priority priorityRaw type typeRaw dueDate
        completedAt createdAt updatedAt remoteVersion remoteData asset { remoteId } location { remoteId }
        requestedBy { remoteId } assignees { remoteId }""",
    )
    rows = raw.records("WorkOrder")
    assert len(found) == len(rows) == 260
    for r in rows:
        n = found[str(r["id"])]
        assert (n["number"], n["title"]) == (r["strCode"], r["strDescription"])
        assert n["displayValue"] == f"{r['strCode']} {r['strDescription']}"
        assert (n["status"], n["statusRaw"]) == (STATUS[r["intWorkOrderStatusID"]], str(r["intWorkOrderStatusID"]))
        assert (n["priority"], n["priorityRaw"]) == (PRIORITY[r["intPriorityID"]], str(r["intPriorityID"]))
        assert (n["type"], n["typeRaw"]) == (TYPE[r["intMaintenanceTypeID"]], str(r["intMaintenanceTypeID"]))
        assert ts(n["dueDate"]) == ms(r["dtmSuggestedCompletionDate"])
        assert ts(n["completedAt"]) == ms(r["dtmDateCompleted"])
        assert ts(n["createdAt"]) == ms(r["dtmDateCreated"]) and ts(n["updatedAt"]) == ms(r["dtmDateLastModified"])
        assert ts(n["remoteVersion"]) == ms(r["dtmDateLastModified"])
        assert n["asset"]["remoteId"] == r["strAssetIds"] and n["location"]["remoteId"] == str(r["intSiteID"])
        assert n["requestedBy"]["remoteId"] == str(r["intRequestedByUserID"])
        assert [a["remoteId"] for a in n["assignees"]] == [i for i in r["strAssignedUserIds"].split(",") if i]
        assert n["remoteData"] == {"className": "WorkOrder", **{k: v for k, v in r.items() if k != "strAssets"}}


def test_assets_locations_and_parts_are_told_apart_by_category(sqlite_gateway, token, raw):
    assets = nodes(
        sqlite_gateway,
        token,
        "assets",
        "remoteId name code description status statusRaw manufacturer model serialNumber remoteVersion "
        "location { remoteId } parent { remoteId }",
    )
    equipment = kind(raw, 2)
    assert set(assets) == {str(r["id"]) for r in equipment}
    for r in equipment:
        n = assets[str(r["id"])]
        assert (n["name"], n["code"], n["description"]) == (r["strName"], r["strCode"], r["strDescription"])
        assert (n["status"], n["statusRaw"]) == ("OPERATIONAL" if r["bolIsOnline"] else "DOWN", str(r["bolIsOnline"]))
        assert (n["manufacturer"], n["model"], n["serialNumber"]) == (r["strMake"], r["strModel"], r["strSerialNumber"])
        assert n["location"]["remoteId"] == str(r["intAssetLocationID"])
        assert (n["parent"] or {}).get("remoteId") == rid(r["intAssetParentID"])
        assert n["remoteVersion"] is None  # Fiix keeps no change time on assets
    assert not {"updatedAt", "createdAt"} & type_fields(sqlite_gateway, token, "Asset")

    locations = nodes(sqlite_gateway, token, "locations", "remoteId name code type typeRaw address parent { remoteId }")
    for r in kind(raw, 1):
        n = locations.pop(str(r["id"]))
        assert (n["name"], n["code"], n["address"]) == (r["strName"], r["strCode"], r["strAddress"])
        assert (n["type"], n["typeRaw"]) == ("SITE" if r["bolIsSite"] else "AREA", str(r["bolIsSite"]))
        assert (n["parent"] or {}).get("remoteId") == rid(r["intAssetLocationID"])
    assert not locations

    parts = nodes(
        sqlite_gateway,
        token,
        "parts",
        "remoteId partNumber name description unitCost quantityOnHand minimumQuantity vendors { remoteId name }",
    )
    vendor_names = {str(b["id"]): b["strName"] for b in raw.records("Business")}
    for r in kind(raw, 4):
        n = parts.pop(str(r["id"]))
        assert (n["partNumber"], n["name"], n["description"]) == (r["strCode"], r["strName"], r["strDescription"])
        assert (n["unitCost"], n["quantityOnHand"]) == (r["dblLastPrice"], r["qtyStockCount"])
        assert n["minimumQuantity"] == r["qtyMinStockCount"]
        ids = [i for i in r["strVendorIds"].split(",") if i]
        assert [(v["remoteId"], v["name"]) for v in n["vendors"]] == [(i, vendor_names[i]) for i in ids]
    assert not parts


def test_vendors_users_schedules(sqlite_gateway, token, raw):
    vendors = nodes(sqlite_gateway, token, "vendors", "remoteId name code email phone address")
    assert "website" not in type_fields(sqlite_gateway, token, "Vendor")  # Fiix's business record has none
    for r in raw.records("Business"):
        n = vendors[str(r["id"])]
        assert (n["name"], n["code"], n["email"]) == (r["strName"], r["strCode"], r["strPrimaryEmail"])
        assert (n["phone"], n["address"]) == (r["strPhone"], r["strAddress"])
    users = nodes(sqlite_gateway, token, "users", "remoteId displayValue name email role")
    assert "active" not in type_fields(sqlite_gateway, token, "User")
    for r in raw.records("User"):
        n = users[str(r["id"])]
        assert (n["name"], n["email"], n["role"]) == (r["strFullName"], r["strEmailAddress"], r["strUserTitle"])
        assert n["displayValue"] == r["strFullName"]
    schedules = nodes(
        sqlite_gateway, token, "maintenanceSchedules", "remoteId name createdAt updatedAt location { remoteId }"
    )
    for r in raw.records("ScheduledMaintenance"):
        n = schedules[str(r["id"])]
        assert (n["name"], n["location"]["remoteId"]) == (r["strDescription"], str(r["intSiteID"]))
        assert ts(n["createdAt"]) == ms(r["dtmCreateDate"]) and ts(n["updatedAt"]) == ms(r["dtmUpdatedDate"])
    assert len(vendors) == 25 and len(users) == 22 and len(schedules) == 45


def test_what_fiix_does_not_say_is_refused(sqlite_gateway, token):
    result = sqlite_gateway.gql(token, "{ purchaseOrders { nodes { id } } }")
    assert error_code(result) == "UNSUPPORTED_OPERATION" and "Fiix" in result["errors"][0]["message"]
    since = {"updatedAfter": "2026-01-01T00:00:00Z"}
    refused = sqlite_gateway.gql(token, "query($f: AssetFilter) { assets(filter: $f) { nodes { id } } }", {"f": since})
    assert error_code(refused) == "BAD_USER_INPUT"


def test_status_and_time_filters_are_answered_by_fiix(sqlite_gateway, token, raw, sandbox):
    rows = raw.records("WorkOrder")
    bound = sorted(r["dtmDateLastModified"] for r in rows)[len(rows) // 2]
    since = ms(bound)
    assert since is not None
    expected = {
        str(r["id"])
        for r in rows
        if STATUS[r["intWorkOrderStatusID"]] in ("OPEN", "ON_HOLD") and r["dtmDateLastModified"] > bound
    }
    sandbox.app.state.sandbox.clear_requests()
    found = page_all(
        sqlite_gateway,
        token,
        "workOrders",
        "remoteId",
        first=100,
        filter={"status": ["OPEN", "ON_HOLD"], "updatedAfter": since.isoformat()},
    )
    assert {n["remoteId"] for n in found} == expected
    calls = sandbox.app.state.sandbox.requests
    assert len(calls) == len(expected) // 100 + 1  # Fiix filters: only pages of matches are read
