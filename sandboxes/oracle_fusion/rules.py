"""What the Oracle Fusion sandbox accepts when a work order or work request is created or changed.

The attributes the connector writes, typed as the REST reference describes them; anything else is
refused, so a mapping mistake shows up as a 400. Messages are the sandbox's own (unverified).
"""

from __future__ import annotations

from typing import Any

from sandboxes.oracle_fusion.seed import WO_STATUSES, WO_TYPES
from sandboxes.rules import Attr, Exists, first_problem

WORK_ORDER = {
    "WorkOrderDescription": Attr("text"),
    "WorkOrderLongDescription": Attr("text"),
    "WorkOrderStatusCode": Attr("text", WO_STATUSES),
    "WorkOrderPriority": Attr("integer", (1, 2, 3, 4, 5)),
    "WorkOrderTypeCode": Attr("text", WO_TYPES),
    "AssetId": Attr("integer", ref="installedBaseAssets"),
    "PlannedStartDate": Attr("datetime"),
    "PlannedCompletionDate": Attr("datetime"),
}
WORK_REQUEST = {
    "WorkRequestName": Attr("text"),
    "Description": Attr("text"),
    "AssetId": Attr("integer", ref="installedBaseAssets"),
}
RULES = {"maintenanceWorkOrders": WORK_ORDER, "maintenanceWorkRequests": WORK_REQUEST}
UPDATABLE = frozenset({"maintenanceWorkOrders"})  # changed with PATCH; work requests are only created
REQUIRED = {
    "maintenanceWorkOrders": ("WorkOrderDescription", "AssetId"),
    "maintenanceWorkRequests": ("WorkRequestName",),
}
DEFAULTS: dict[str, dict[str, Any]] = {
    "maintenanceWorkOrders": {
        "WorkOrderStatusCode": "ORA_UNRELEASED",
        "WorkOrderPriority": 3,
        "OrganizationCode": "M1",
    },
    "maintenanceWorkRequests": {"WorkRequestStatusCode": "ORA_OPEN", "OrganizationCode": "M1"},
}


def problem(resource: str, body: Any, exists: Exists, creating: bool) -> str | None:
    """The first thing wrong with a write, as the sandbox words it; None if it is fine."""
    found = first_problem(RULES[resource], body, exists, REQUIRED[resource] if creating else ())
    if found is None:
        return None
    name, wrong = found
    return f"The attribute {name} {wrong}." if name else f"The request {wrong}."
