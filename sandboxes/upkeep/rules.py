"""What the UpKeep sandbox accepts on create and update, resource by resource.

UpKeep documents the work-order create fields (`title, description, priority
(0-3), category, dueDate (epoch ms), asset, location, assignedToUser`); the
rest follows the shape its reads return. Unknown fields are refused so a
mapping mistake shows up as a 400, not as silently dropped data. Vendors have
no delete in the API Reference; the exact messages are unverified.
"""

from __future__ import annotations

from typing import Any

from sandboxes.data import Record, iso
from sandboxes.rules import Attr, Exists, first_problem

PRIORITY = Attr("integer", (0, 1, 2, 3))
AMOUNT = Attr("number", minimum=0)
TEXT = Attr("text")
LINE = {
    "part": Attr("text", ref="parts"),
    "quantity": Attr("number", minimum=0.001),
    "price": AMOUNT,
    "quantityReceived": AMOUNT,
}

RULES: dict[str, dict[str, Attr]] = {
    "work-orders": {
        "title": TEXT,
        "description": TEXT,
        "category": TEXT,
        "status": Attr("text", ("open", "inProgress", "onHold", "complete")),
        "priority": PRIORITY,
        "dueDate": Attr("integer"),
        "asset": Attr("text", ref="assets"),
        "location": Attr("text", ref="locations"),
        "assignedToUser": Attr("text", ref="users"),
        "additionalUsers": Attr("list", ref="users"),
        "requestedByUser": Attr("text", ref="users"),
        "estimatedTime": AMOUNT,
        "time": AMOUNT,
        "customFields": Attr("object"),
    },
    "requests": {
        "title": TEXT,
        "description": TEXT,
        "priority": PRIORITY,
        "status": Attr("text", ("pending", "approved", "declined")),
        "asset": Attr("text", ref="assets"),
        "location": Attr("text", ref="locations"),
        "requestedByUser": Attr("text", ref="users"),
        "workOrder": Attr("text", ref="work-orders"),
    },
    "assets": {
        "name": TEXT,
        "barcode": TEXT,
        "description": TEXT,
        "criticality": TEXT,
        "category": TEXT,
        "make": TEXT,
        "model": TEXT,
        "serial": TEXT,
        "status": Attr("text", ("active", "inactive", "maintenance", "retired")),
        "location": Attr("text", ref="locations"),
        "parentAsset": Attr("text", ref="assets"),
        "customFields": Attr("object"),
    },
    "vendors": {"businessName": TEXT, "email": TEXT, "phoneNumber": TEXT, "address": TEXT, "website": TEXT},
    "purchase-orders": {
        "vendor": Attr("text", ref="vendors"),
        "dueDate": Attr("integer"),
        "shipToLocation": Attr("text", ref="locations"),
        "currency": TEXT,
        "title": TEXT,
        "partsOrdered": Attr("list"),
        "status": Attr("text", ("requested", "approved", "declined", "cancelled", "partiallyFulfilled", "fulfilled")),
    },
    "parts": {"quantity": AMOUNT},
}
REQUIRED = {
    "work-orders": ("title",),
    "requests": ("title",),
    "assets": ("name",),
    "vendors": ("businessName",),
    "purchase-orders": ("vendor", "partsOrdered"),
}
# UpKeep's API Reference offers no "Delete a Specific Vendor" (docs/vendors/upkeep.md).
DELETABLE = ("work-orders", "requests", "assets")
DEFAULTS: dict[str, Record] = {
    "work-orders": {"status": "open", "priority": 0},
    "requests": {"status": "pending"},
    "assets": {"status": "active"},
    "purchase-orders": {"status": "requested", "currency": "USD"},
}


def problem(resource: str, body: Any, exists: Exists, creating: bool) -> str | None:
    """The first thing wrong with a write body, as UpKeep would say it; None if it is fine."""
    if resource not in RULES or (creating and resource not in REQUIRED):
        return f"{resource} cannot be {'created' if creating else 'updated'} through the API"
    found = first_problem(RULES[resource], body, exists, REQUIRED[resource] if creating else ())
    for n, line in enumerate((body or {}).get("partsOrdered") or [] if found is None else [], 1):
        found = first_problem(LINE, line, exists, ("part", "quantity", "price"))
        if found:
            found = (f"partsOrdered[{n}].{found[0]}" if found[0] else f"partsOrdered[{n}]"), found[1]
            break
    if found is None:
        return None
    name, wrong = found
    return f"'{name}' {wrong}" if name else wrong


def stored(resource: str, body: Record, current: Record | None) -> Record:
    """The write as UpKeep stores it: ISO dates, merged custom fields."""
    out = dict(body)
    if out.get("dueDate") is not None:
        out["dueDate"] = iso(out["dueDate"])
    if "customFields" in out and current is not None:
        out["customFields"] = {**(current.get("customFields") or {}), **(out["customFields"] or {})}
    return out
