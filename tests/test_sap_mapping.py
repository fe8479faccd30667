"""Each SAP entity maps to the unified model, read live through the gateway from the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.sap.app import ECC_CLIENT, LOGIN, create_app
from sandboxes.sap.seed import Dataset
from tests.helpers import data, error_code, page_all, type_fields

CREATE = """mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token connection { credits } } }"""


def ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def blank(value: str) -> str | None:
    return value or None


@pytest.fixture(scope="module")
def sap_sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.fixture(scope="module")
def ecc_sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_app(sap_client=ECC_CLIENT)) as server:
        yield server


@pytest.fixture
def dataset(sap_sandbox) -> Dataset:
    return sap_sandbox.app.state.data


@pytest.fixture
def token(sqlite_gateway, sap_sandbox) -> str:
    admin = sqlite_gateway.new_org()
    created = data(
        sqlite_gateway.gql(
            admin,
            CREATE,
            {
                "i": {
                    "system": "sap_s4hana",
                    "hosting": "CLOUD",
                    "name": "S/4",
                    "instanceUrl": sap_sandbox.url,
                    "credentials": LOGIN,
                }
            },
        )
    )
    assert created["createConnection"]["connection"]["credits"] == 4
    return created["createConnection"]["token"]


def by_id(nodes: list[dict]) -> dict[str, dict]:
    return {n["remoteId"]: n for n in nodes}


def test_work_orders(sqlite_gateway, token, dataset):
    nodes = by_id(
        page_all(
            sqlite_gateway,
            token,
            "workOrders",
            """
        remoteId displayValue number title status statusRaw priority priorityRaw type typeRaw
        dueDate updatedAt deletedAt remoteData asset { remoteId } location { remoteId }
    """,
            filter={"includeDeleted": True},
        )
    )
    rows = dataset.rows("MaintenanceOrder")
    assert len(nodes) == len(rows) >= 300
    # SAP has no creation time, actual start or completion on the order header: not in its schema.
    unsaid = {"createdAt", "startedAt", "completedAt", "description"}
    assert not unsaid & type_fields(sqlite_gateway, token, "WorkOrder")
    status = {
        "CRTD": "OPEN",
        "REL": "IN_PROGRESS",
        "PCNF": "IN_PROGRESS",
        "TECO": "COMPLETED",
        "CLSD": "COMPLETED",
        "DLFL": "CANCELLED",
    }
    priority = {"1": "URGENT", "2": "HIGH", "3": "MEDIUM", "4": "LOW"}
    kind = {"PM01": "CORRECTIVE", "PM02": "PREVENTIVE", "PM03": "OTHER", "PM05": "INSPECTION"}
    for r in rows:
        n = nodes[r["MaintenanceOrder"]]
        assert (n["number"], n["title"]) == (r["MaintenanceOrder"], r["MaintenanceOrderDesc"])
        assert n["displayValue"] == f"{r['MaintenanceOrder']} {r['MaintenanceOrderDesc']}"
        flagged = "DLFL" in r["SystemStatusText"].split()  # the deletion flag wins wherever it stands
        main = "DLFL" if flagged else r["SystemStatusText"].split()[0]
        assert (n["status"], n["statusRaw"]) == (status[main], r["SystemStatusText"])
        assert ts(n["deletedAt"]) == (r["LastChangeDateTime"] if flagged else None)
        assert (n["priority"], n["priorityRaw"]) == (priority.get(r["MaintPriority"]), blank(r["MaintPriority"]))
        assert (n["type"], n["typeRaw"]) == (kind[r["MaintenanceOrderType"]], r["MaintenanceOrderType"])
        assert (n["asset"] or {}).get("remoteId") == blank(r["Equipment"])
        assert n["location"]["remoteId"] == r["FunctionalLocation"]
        assert ts(n["dueDate"]) == r["MaintOrdBasicEndDateTime"]
        assert ts(n["updatedAt"]) == r["LastChangeDateTime"]
        assert n["remoteData"]["MaintenanceOrder"] == r["MaintenanceOrder"]
        assert n["remoteData"]["__metadata"]["type"] == "cds_api_maintenanceorder.MaintenanceOrderType"

    flagged = {r["MaintenanceOrder"] for r in rows if "DLFL" in r["SystemStatusText"]}
    assert flagged and any(
        not r["SystemStatusText"].startswith("DLFL") for r in rows if r["MaintenanceOrder"] in flagged
    )
    listed = page_all(sqlite_gateway, token, "workOrders", "remoteId")  # deleted records are left out by default
    assert {n["remoteId"] for n in listed} == {r["MaintenanceOrder"] for r in rows} - flagged

    completed = page_all(sqlite_gateway, token, "workOrders", "remoteId statusRaw", filter={"status": ["COMPLETED"]})
    expected = {r["MaintenanceOrder"] for r in rows if r["SystemStatusText"].split()[0] in ("TECO", "CLSD", "CNF")}
    assert {n["remoteId"] for n in completed} == expected and expected


def test_notifications(sqlite_gateway, token, dataset):
    nodes = by_id(
        page_all(
            sqlite_gateway,
            token,
            "maintenanceRequests",
            """
        remoteId title description status statusRaw priority createdAt updatedAt
        asset { remoteId } location { remoteId } workOrder { remoteId }
    """,
        )
    )
    rows = dataset.rows("MaintenanceNotification")
    assert len(nodes) == len(rows)
    phase = {"1": "OPEN", "2": "OPEN", "3": "CONVERTED", "4": "CLOSED"}
    for r in rows:
        n = nodes[r["MaintenanceNotification"]]
        on_equipment = r["TechObjIsEquipOrFuncnlLoc"] == "EAMS_EQUI"
        assert (n["title"], n["description"]) == (r["NotificationText"], blank(r["MaintNotificationLongText"]))
        assert (n["status"], n["statusRaw"]) == (phase[r["NotifProcessingPhase"]], r["NotifProcessingPhase"])
        assert (n["asset"] or {}).get("remoteId") == (r["TechnicalObject"] if on_equipment else None)
        assert n["location"]["remoteId"] == r["FunctionalLocation"]
        assert (n["workOrder"] or {}).get("remoteId") == blank(r["MaintenanceOrder"])
        assert ts(n["createdAt"]) == r["CreationDate"] + r["CreationTime"]
    closed = page_all(sqlite_gateway, token, "maintenanceRequests", "remoteId", filter={"status": ["CLOSED"]})
    assert {n["remoteId"] for n in closed} == {
        r["MaintenanceNotification"] for r in rows if r["NotifProcessingPhase"] == "4"
    }


def test_equipment_and_functional_locations(sqlite_gateway, token, dataset):
    assets = by_id(
        page_all(
            sqlite_gateway,
            token,
            "assets",
            """
        remoteId name code status statusRaw criticality category manufacturer model serialNumber
        createdAt updatedAt location { remoteId name } parent { remoteId }
    """,
        )
    )
    current = dataset.current_equipment()
    assert len(assets) == len(current) >= 150 < len(dataset.rows("Equipment"))  # one time segment each
    for r in current:
        n = assets[r["Equipment"]]
        assert (n["name"], n["code"], n["category"]) == (
            r["EquipmentName"],
            r["TechnicalObjectSortCode"],
            r["TechnicalObjectType"],
        )
        assert (n["manufacturer"], n["model"]) == (r["AssetManufacturerName"], r["ManufacturerPartTypeName"])
        assert (n["serialNumber"], n["criticality"]) == (r["ManufacturerSerialNumber"], r["ABCIndicator"])
        assert n["location"]["remoteId"] == r["FunctionalLocation"]  # the current segment's location
        assert (n["parent"] or {}).get("remoteId") == blank(r["SuperordinateEquipment"])
        # API_EQUIPMENT has no status text: the flags decide, an equipment with neither is in service.
        flag = next((f for f in ("EquipmentIsMarkedForDeletion", "EquipmentIsInactive") if r[f]), None)
        assert (n["status"], n["statusRaw"]) == (("RETIRED", flag) if flag else ("OPERATIONAL", "ACTIVE"))
        assert ts(n["createdAt"]) == r["CreationDate"]
    assert "description" not in type_fields(sqlite_gateway, token, "Asset")

    locations = by_id(page_all(sqlite_gateway, token, "locations", "remoteId name code address parent { remoteId }"))
    rows = dataset.rows("FunctionalLocation")
    assert len(locations) == len(rows)
    for r in rows:
        n = locations[r["FunctionalLocation"]]
        assert (n["name"], n["code"]) == (r["FunctionalLocationName"], r["FunctionalLocationLabelName"])
        assert (
            n["address"] == f"{r['StreetName']} {r['HouseNumber']}, {r['PostalCode']} {r['CityName']}, {r['Country']}"
        )
        assert (n["parent"] or {}).get("remoteId") == blank(r["SuperiorFunctionalLocation"])
    assert sorted(k for k, n in locations.items() if n["parent"] is None) == ["1010", "1020", "1710"]
    assert "type" not in type_fields(sqlite_gateway, token, "Location")


def test_products_and_suppliers(sqlite_gateway, token, dataset):
    parts = by_id(
        page_all(
            sqlite_gateway,
            token,
            "parts",
            """
        remoteId displayValue partNumber name unitOfMeasure quantityOnHand
        stockLevels { quantity location { remoteId } }
    """,
        )
    )
    levels: dict[str, dict[tuple[str, str], Decimal]] = {}
    for row in dataset.rows("A_MatlStkInAcctMod"):
        place = levels.setdefault(row["Material"], {})
        key = (row["Plant"], row["StorageLocation"])
        place[key] = place.get(key, Decimal(0)) + row["MatlWrhsStkQtyInMatlBaseUnit"]
    stock: dict[str, Decimal] = {}
    for row in dataset.rows("A_MatlStkInAcctMod"):
        stock[row["Material"]] = stock.get(row["Material"], Decimal(0)) + row["MatlWrhsStkQtyInMatlBaseUnit"]
    english = {
        d["Product"]: d["ProductDescription"] for d in dataset.rows("A_ProductDescription") if d["Language"] == "EN"
    }
    for r in dataset.rows("A_Product"):
        n = parts[r["Product"]]
        assert (n["partNumber"], n["name"], n["displayValue"]) == (
            r["Product"],
            english[r["Product"]],
            english[r["Product"]],
        )
        assert n["unitOfMeasure"] == r["BaseUnit"]
        assert n["quantityOnHand"] == float(stock.get(r["Product"], 0))
        # One level per plant and storage location (stock types summed), at the plant; their sum is on hand.
        expected = [
            {"quantity": float(q), "location": {"remoteId": plant}}
            for (plant, _), q in sorted(levels.get(r["Product"], {}).items())
        ]
        assert n["stockLevels"] == expected
        assert sum(level["quantity"] for level in n["stockLevels"]) == n["quantityOnHand"]
    assert len(parts) == len(dataset.rows("A_Product"))
    unsaid = {"unitCost", "minimumQuantity", "description", "vendors"}
    assert not unsaid & type_fields(sqlite_gateway, token, "Part")

    # Marked for deletion (archiving) without a change time: inactive, listed, never deleted.
    selection = "remoteId name code active deletedAt"
    vendors = by_id(page_all(sqlite_gateway, token, "vendors", selection))
    suppliers = dataset.rows("A_Supplier")
    assert len(vendors) == len(suppliers) and any(r["DeletionIndicator"] for r in suppliers)
    for r in dataset.rows("A_Supplier"):
        n = vendors[r["Supplier"]]
        blocked = r["PurchasingIsBlocked"] or r["PostingIsBlocked"] or r["DeletionIndicator"]
        assert (n["name"], n["code"], n["active"]) == (r["SupplierName"], r["Supplier"], not blocked)
        assert n["deletedAt"] is None
    assert not {"email", "phone", "updatedAt"} & type_fields(sqlite_gateway, token, "Vendor")


def test_purchase_orders_with_items(sqlite_gateway, token, dataset):
    orders = by_id(
        page_all(
            sqlite_gateway,
            token,
            "purchaseOrders",
            """
        remoteId number status statusRaw orderDate currency totalAmount vendor { remoteId name }
        lines { lineNumber description quantity unitOfMeasure unitPrice amount part { remoteId name } }
        deletedAt updatedAt
    """,
            filter={"includeDeleted": True},
        )
    )
    status = {"01": "DRAFT", "02": "APPROVED", "03": "SUBMITTED", "05": "APPROVED", "08": "CANCELLED"}
    items = dataset.rows("A_PurchaseOrderItem")
    codes = {r["PurchasingDocumentDeletionCode"] for r in dataset.rows("A_PurchaseOrder")}
    assert codes == {"", "L", "S"}  # active, deleted, blocked
    for r in dataset.rows("A_PurchaseOrder"):
        n = orders[r["PurchaseOrder"]]
        deleted = r["PurchasingDocumentDeletionCode"] == "L"  # 'S' (blocked) is no deletion
        expected = "CANCELLED" if deleted else status[r["PurchasingProcessingStatus"]]
        assert (n["status"], n["statusRaw"]) == (expected, r["PurchasingProcessingStatus"])
        changed = r["LastChangeDateTime"].replace(microsecond=r["LastChangeDateTime"].microsecond // 1000 * 1000)
        assert ts(n["deletedAt"]) == (changed if deleted else None)  # milliseconds on the wire
        assert n["vendor"]["remoteId"] == r["Supplier"] and n["vendor"]["name"]
        assert (n["currency"], ts(n["orderDate"])) == (r["DocumentCurrency"], r["PurchaseOrderDate"])
        mine = [i for i in items if i["PurchaseOrder"] == r["PurchaseOrder"]]
        assert [line["lineNumber"] for line in n["lines"]] == [int(i["PurchaseOrderItem"]) for i in mine]
        for line, item in zip(n["lines"], mine):
            unit = float(item["NetPriceAmount"] / item["NetPriceQuantity"])
            assert line["part"]["remoteId"] == item["Material"] and line["part"]["name"]
            assert (line["quantity"], line["unitOfMeasure"]) == (
                float(item["OrderQuantity"]),
                item["PurchaseOrderQuantityUnit"],
            )
            assert line["unitPrice"] == pytest.approx(unit)
            assert line["amount"] == pytest.approx(unit * float(item["OrderQuantity"]), abs=0.01)
        assert n["totalAmount"] == pytest.approx(sum(line["amount"] for line in n["lines"]), abs=0.01)


def test_incremental_reads_follow_last_change(sqlite_gateway, token, sap_sandbox):
    since = datetime.now(UTC) - timedelta(seconds=2)  # SAP stamps have whole seconds
    dataset = sap_sandbox.app.state.data
    dataset.touch("A_PurchaseOrder", ["4500000003"], "PurchaseOrder")
    found = page_all(sqlite_gateway, token, "purchaseOrders", "remoteId", filter={"updatedAfter": since.isoformat()})
    assert [n["remoteId"] for n in found] == ["4500000003"]


def test_catalog_entries_and_unsupported_entities(sqlite_gateway, token):
    admin = sqlite_gateway.new_org()
    for key, hosting in (("sap_s4hana", "CLOUD"), ("sap_ecc", "ON_PREMISES")):
        system = data(
            sqlite_gateway.gql(
                admin, f'{{ system(key: "{key}") {{ tier hostings capabilities {{ entity read incremental }} }} }}'
            )
        )["system"]
        caps = {c["entity"]: c["incremental"] for c in system["capabilities"] if c["read"]}
        assert system["tier"] == 3 and system["hostings"] == [hosting]
        assert caps == {
            "WorkOrder": True,
            "MaintenanceRequest": True,
            "Asset": True,
            "Location": True,
            "PurchaseOrder": True,
            "Part": True,
            "Vendor": False,
        }
    result = sqlite_gateway.gql(token, "{ users { nodes { id } } }")
    assert error_code(result) == "UNSUPPORTED_OPERATION" and "SAP S/4HANA" in result["errors"][0]["message"]


def test_ecc_connection_sends_its_client(sqlite_gateway, ecc_sandbox):
    admin = sqlite_gateway.new_org()
    created = sqlite_gateway.gql(
        admin,
        CREATE,
        {
            "i": {
                "system": "sap_ecc",
                "hosting": "ON_PREMISES",
                "name": "ECC",
                "instanceUrl": ecc_sandbox.url,
                "credentials": {**LOGIN, "sapClient": ECC_CLIENT},
            }
        },
    )
    connection = data(created)["createConnection"]
    assert connection["connection"]["credits"] == 8
    nodes = data(
        sqlite_gateway.gql(connection["token"], "{ assets(first: 3) { nodes { remoteId location { name } } } }")
    )
    assert [n["remoteId"] for n in nodes["assets"]["nodes"]] == ["10000000", "10000001", "10000002"]

    wrong = sqlite_gateway.gql(
        admin,
        CREATE,
        {
            "i": {
                "system": "sap_ecc",
                "hosting": "ON_PREMISES",
                "name": "ECC 200",
                "instanceUrl": ecc_sandbox.url,
                "credentials": {**LOGIN, "sapClient": "200"},
            }
        },
    )
    assert error_code(wrong) == "SYSTEM_AUTH_FAILED"
    assert LOGIN["password"] not in str(wrong)


def test_a_status_filter_sap_cannot_apply_reads_full_pages(sqlite_gateway, token, dataset, sap_sandbox):
    """`SystemStatusText` is `sap:filterable="false"`: the gateway filters, reading full server pages
    (not a `$top` shrunk to what is still missing, which cost ten calls for one page)."""
    control = SandboxControl(sap_sandbox.url)
    control.clear_requests()
    answer = data(
        sqlite_gateway.gql(
            token,
            """{ workOrders(first: 10, filter: {status: [COMPLETED]}) {
        nodes { remoteId status } pageInfo { hasNextPage } } }""",
        )
    )["workOrders"]
    assert len(answer["nodes"]) == 10 and {n["status"] for n in answer["nodes"]} == {"COMPLETED"}
    lists = [c for c in control.requests() if c["path"].endswith("/MaintenanceOrder")]
    assert lists and all(c["query"]["$top"] == "100" for c in lists)
    completed = sum(
        1
        for r in dataset.rows("MaintenanceOrder")
        if r["SystemStatusText"].split()[0] in ("CNF", "TECO", "CLSD") and "DLFL" not in r["SystemStatusText"]
    )
    assert len(lists) <= 2 and completed > 10
    assert "$filter" not in lists[0]["query"] or "SystemStatusText" not in lists[0]["query"]["$filter"]
