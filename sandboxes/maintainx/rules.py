"""What the MaintainX sandbox accepts on create and update, resource by resource.

MaintainX documents `POST /workorders` and `PATCH /workorders/{id}` with the
work-order fields its reads return; the other resources follow the same shape.
Unverified: the exact set of writable fields per resource, that status changes
go through the same PATCH, that work requests cannot be updated (they are
approved or declined in the app), and the wording of the messages. A create
answers `{"id": ...}` alone.
"""

from __future__ import annotations

from typing import Any

from sandboxes.data import Record, iso, now_ms, parse_ms
from sandboxes.rules import Attr, Exists, first_problem

PRIORITY = Attr("text", ("NONE", "LOW", "MEDIUM", "HIGH"))
ITEM = {
    "partId": Attr("integer", ref="parts"),
    "name": Attr("text"),
    "quantity": Attr("number", minimum=0.001),
    "unitCost": Attr("number", minimum=0),
    "quantityReceived": Attr("number", minimum=0),
}
ASSIGNEE = {"type": Attr("text", ("USER", "TEAM")), "id": Attr("integer")}

RULES: dict[str, dict[str, Attr]] = {
    "workorders": {
        "title": Attr("text"),
        "description": Attr("text"),
        "status": Attr("text", ("OPEN", "IN_PROGRESS", "ON_HOLD", "DONE")),
        "priority": PRIORITY,
        "categories": Attr("list"),
        "assetId": Attr("integer", ref="assets"),
        "locationId": Attr("integer", ref="locations"),
        "assignees": Attr("list"),
        "requesterId": Attr("integer", ref="users"),
        "dueDate": Attr("datetime"),
        "extraFields": Attr("object"),
    },
    "assets": {
        "name": Attr("text"),
        "description": Attr("text"),
        "barcode": Attr("text"),
        "serialNumber": Attr("text"),
        "model": Attr("text"),
        "manufacturer": Attr("text"),
        "assetTypes": Attr("list"),
        "status": Attr("text", ("ONLINE", "OFFLINE", "DO_NOT_TRACK")),
        "locationId": Attr("integer", ref="locations"),
        "parentId": Attr("integer", ref="assets"),
        "extraFields": Attr("object"),
    },
    "vendors": {
        "name": Attr("text"),
        "description": Attr("text"),
        "email": Attr("text"),
        "phoneNumber": Attr("text"),
        "address": Attr("text"),
        "website": Attr("text"),
    },
    "purchaseorders": {
        "title": Attr("text"),
        "vendorId": Attr("integer", ref="vendors"),
        "shipToLocationId": Attr("integer", ref="locations"),
        "dueDate": Attr("datetime"),
        "currency": Attr("text"),
        "items": Attr("list"),
        "status": Attr("text", ("REQUESTED", "APPROVED", "DECLINED", "PARTIALLY_FULFILLED", "FULFILLED", "CANCELED")),
    },
    "workrequests": {
        "title": Attr("text"),
        "description": Attr("text"),
        "priority": PRIORITY,
        "assetId": Attr("integer", ref="assets"),
        "locationId": Attr("integer", ref="locations"),
        "requesterId": Attr("integer", ref="users"),
    },
}
REQUIRED = {
    "workorders": ("title",),
    "assets": ("name",),
    "vendors": ("name",),
    "purchaseorders": ("vendorId", "items"),
    "workrequests": ("title",),
}
UPDATABLE = ("workorders", "assets", "vendors", "purchaseorders")
# MaintainX documents DELETE for work orders and work requests (docs/vendors/maintainx.md).
DELETABLE = ("workorders", "workrequests", "assets", "vendors")
# Every record of a resource carries all its keys (MaintainX sends nulls): the defaults of a new one.
NEW: dict[str, Record] = {
    "workorders": {
        "description": None,
        "status": "OPEN",
        "priority": "NONE",
        "categories": [],
        "assetId": None,
        "locationId": None,
        "assignees": [],
        "requesterId": None,
        "dueDate": None,
        "completedAt": None,
        "extraFields": {},
    },
    "assets": {
        "description": None,
        "barcode": None,
        "serialNumber": None,
        "model": None,
        "manufacturer": None,
        "assetTypes": [],
        "status": "ONLINE",
        "locationId": None,
        "parentId": None,
        "extraFields": {},
    },
    "vendors": {"description": None, "email": None, "phoneNumber": None, "address": None, "website": None},
    "purchaseorders": {
        "title": None,
        "status": "REQUESTED",
        "shipToLocationId": None,
        "dueDate": None,
        "currency": "USD",
    },
    "workrequests": {
        "description": None,
        "status": "PENDING",
        "priority": "NONE",
        "assetId": None,
        "locationId": None,
        "requesterId": None,
        "workOrderId": None,
    },
}


def problem(resource: str, body: Any, exists: Exists, creating: bool) -> str | None:
    """The first thing wrong with a write body, as MaintainX would say it; None if it is fine."""
    allowed = REQUIRED if creating else UPDATABLE
    if resource not in allowed:
        return f"{resource} cannot be {'created' if creating else 'updated'} through the API"
    found = first_problem(RULES[resource], body, exists, REQUIRED[resource] if creating else ())
    if found is None and isinstance(body, dict):
        found = _nested(body, exists)
    if found is None:
        return None
    name, wrong = found
    return f"'{name}' {wrong}" if name else wrong


def _nested(body: dict[str, Any], exists: Exists) -> tuple[str | None, str] | None:
    for n, item in enumerate(body.get("items") or [], 1):
        found = first_problem(ITEM, item, exists, ("partId", "quantity", "unitCost"))
        if found:
            return _inside(f"items[{n}]", found)
    if body.get("items") == []:
        return "items", "must not be empty"
    for n, who in enumerate(body.get("assignees") or [], 1):
        found = first_problem(ASSIGNEE, who, exists, ("type", "id"))
        if found is None and not exists("users" if who["type"] == "USER" else "teams", who["id"]):
            found = "id", f"refers to an unknown {who['type'].lower()} {who['id']!r}"
        if found:
            return _inside(f"assignees[{n}]", found)
    return None


def _inside(where: str, found: tuple[str | None, str]) -> tuple[str, str]:
    name, wrong = found
    return (f"{where}.{name}" if name else where), wrong


def stored(resource: str, body: Record, current: Record | None) -> Record:
    """The write as MaintainX keeps it: dates normalized, extra fields merged, completion stamped."""
    out = dict(body)
    if out.get("dueDate") is not None:
        out["dueDate"] = iso(parse_ms(out["dueDate"]))
    if "extraFields" in out and current is not None:
        out["extraFields"] = {**(current.get("extraFields") or {}), **(out["extraFields"] or {})}
    if resource == "workorders" and "status" in out:
        was_done = current is not None and current.get("status") == "DONE"
        if out["status"] == "DONE" and not was_done:
            out["completedAt"] = iso(now_ms())
        elif out["status"] != "DONE":
            out["completedAt"] = None
    if resource == "purchaseorders" and "items" in out:
        out["items"] = [{"name": None, "quantityReceived": 0, **item} for item in out["items"]]
    return out
