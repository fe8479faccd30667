"""Odoo against its sandbox: the external JSON-RPC API at `/jsonrpc`, login by API key."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sandboxes.odoo.app import SANDBOX
from tests.conformance.case import Ref, Running, SystemCase, Writes, served

MODELS = {
    "Location": "stock.location",
    "Asset": "maintenance.equipment",
    "WorkOrder": "maintenance.request",
    "Part": "product.product",
    "Vendor": "res.partner",
    "PurchaseOrder": "purchase.order",
    "User": "res.users",
}
# The models each entity's reads name (purchase lines are joined per page).
READS = {**MODELS, "PurchaseOrder": "purchase.order|purchase.order.line"}


def entity_match(entity: str) -> str:
    """`execute_kw` names the model in the body's args: `[db, uid, password, "<model>", "<method>", ...]`."""
    models = READS[entity].replace(".", r"\.")
    return rf'"execute_kw".*"(?:{models})",\s*"(?:search_read|search_count|read)"'


def start() -> AbstractContextManager[Running]:
    return served(
        SANDBOX,
        bad_credentials={**SANDBOX.credentials, "password": "not-the-key"},
        collections=MODELS,
        entity_match=entity_match,
        removable="WorkOrder",  # nothing refers to a maintenance request
        remote_id=int,
    )


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """One `search_read`, then one `read` of every distinct equipment (equipment has no location relation,
    so Odoo's Asset type has no `location` to follow)."""
    assets = {n["asset"]["remoteId"] for n in answer["workOrders"]["nodes"] if n["asset"]}
    return 1 + bool(assets)


WRITES = Writes(
    create={
        "WorkOrder": {
            "title": "Conformance: replace belt",
            "description": "Made by the conformance kit",
            "priority": "HIGH",
            "type": "PREVENTIVE",
            "dueDate": "2026-12-01T10:00:00.000Z",
            "estimatedHours": 1.5,
            "asset": Ref("Asset"),
            "requestedBy": Ref("User", 2),
        },
        "Vendor": {
            "name": "Conformance Supplies",
            "code": "VCONF1",
            "email": "orders@conformance.example.com",
            "phone": "+1 555 0199",
            "website": "https://conformance.example.com",
            "active": True,
        },
    },
    update={
        "WorkOrder": {
            "title": "Conformance: belt replaced",
            "description": "Done",
            "priority": "LOW",
            "type": "CORRECTIVE",
            "dueDate": "2027-01-10T08:30:00.000Z",
            "estimatedHours": 3.0,
            "asset": Ref("Asset", 1),
            "requestedBy": Ref("User", 3),
        },
        "Vendor": {
            "name": "Conformance Supplies (renamed)",
            "code": "VCONF2",
            "email": "buy@conformance.example.com",
            "phone": "+1 555 0100",
            "website": "https://conformance2.example.com",
            "active": False,
        },
    },
    versioned=False,  # `write_date` is whole seconds: two writes in one second keep one version
)

CASE = SystemCase(
    system="odoo",
    hosting="CLOUD",
    start=start,
    nested_query="{ workOrders(first: 100) { nodes { remoteId asset { remoteId name } } } }",
    expected_calls=expected_calls,
    writes=WRITES,
)
