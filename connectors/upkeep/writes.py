"""What the UpKeep sandbox accepts on create and update, resource by resource.

UpKeep documents the work-order create fields (`title, description, priority
(0-3), category, dueDate (epoch ms), asset, location, assignedToUser`); the
rest follows the shape its reads return. Unknown fields are refused so a
mapping mistake shows up as a 400, not as silently dropped data. Exact
messages are unverified.
"""

from __future__ import annotations

from typing import Any, Callable

from connectors.sandbox_data import Record, iso

Check = Callable[[Any, Callable[[str, Any], bool]], str | None]


def text(value: Any, exists: Callable[[str, Any], bool]) -> str | None:
    return None if value is None or isinstance(value, str) else "must be a string"


def number(value: Any, exists: Callable[[str, Any], bool]) -> str | None:
    ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0)
    return None if ok else "must be a non-negative number"


def epoch_ms(value: Any, exists: Callable[[str, Any], bool]) -> str | None:
    return None if value is None or (isinstance(value, int) and not isinstance(value, bool)) else "must be epoch milliseconds"


def one_of(*allowed: Any) -> Check:
    def check(value: Any, exists: Callable[[str, Any], bool]) -> str | None:
        return None if value is None or value in allowed else f"must be one of {', '.join(map(str, allowed))}"

    return check


def ref(resource: str, many: bool = False) -> Check:
    def check(value: Any, exists: Callable[[str, Any], bool]) -> str | None:
        ids = value if many and isinstance(value, list) else [value]
        if many and not isinstance(value, list):
            return "must be a list of ids"
        missing = [i for i in ids if i is not None and not exists(resource, i)]
        return f"refers to unknown {resource} {missing[0]}" if missing else None

    return check


def mapping(value: Any, exists: Callable[[str, Any], bool]) -> str | None:
    return None if value is None or isinstance(value, dict) else "must be an object"


def lines(value: Any, exists: Callable[[str, Any], bool]) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list"
    for n, line in enumerate(value, 1):
        if not isinstance(line, dict) or set(line) - {"part", "quantity", "price", "quantityReceived"}:
            return f"line {n} has unknown fields"
        if not exists("parts", line.get("part")):
            return f"line {n} refers to unknown part {line.get('part')}"
        if number(line.get("quantity"), exists) or not line.get("quantity"):
            return f"line {n} needs a positive quantity"
        if number(line.get("price"), exists) or line.get("price") is None:
            return f"line {n} needs a price"
    return None


RULES: dict[str, dict[str, Check]] = {
    "work-orders": {
        "title": text, "description": text, "category": text,
        "status": one_of("open", "inProgress", "onHold", "complete"),
        "priority": one_of(0, 1, 2, 3), "dueDate": epoch_ms,
        "asset": ref("assets"), "location": ref("locations"),
        "assignedToUser": ref("users"), "additionalUsers": ref("users", many=True),
        "requestedByUser": ref("users"), "estimatedTime": number, "time": number,
        "customFields": mapping,
    },
    "requests": {
        "title": text, "description": text, "priority": one_of(0, 1, 2, 3),
        "status": one_of("pending", "approved", "declined"),
        "asset": ref("assets"), "location": ref("locations"), "requestedByUser": ref("users"),
        "workOrder": ref("work-orders"),
    },
    "assets": {
        "name": text, "barcode": text, "description": text, "criticality": text, "category": text,
        "make": text, "model": text, "serial": text,
        "status": one_of("active", "inactive", "maintenance", "retired"),
        "location": ref("locations"), "parentAsset": ref("assets"), "customFields": mapping,
    },
    "vendors": {
        "businessName": text, "email": text, "phoneNumber": text, "address": text, "website": text,
    },
    "purchase-orders": {
        "vendor": ref("vendors"), "dueDate": epoch_ms, "shipToLocation": ref("locations"),
        "currency": text, "title": text, "partsOrdered": lines,
        "status": one_of("requested", "approved", "declined", "cancelled", "partiallyFulfilled", "fulfilled"),
    },
    "parts": {"quantity": number},
}
REQUIRED = {
    "work-orders": ("title",),
    "requests": ("title",),
    "assets": ("name",),
    "vendors": ("businessName",),
    "purchase-orders": ("vendor", "partsOrdered"),
}
DELETABLE = ("work-orders", "requests", "assets", "vendors")
DEFAULTS = {"work-orders": {"status": "open", "priority": 0}, "requests": {"status": "pending"},
            "assets": {"status": "active"}, "purchase-orders": {"status": "requested", "currency": "USD"}}


def problem(resource: str, body: Any, exists: Callable[[str, Any], bool], creating: bool) -> str | None:
    """The first thing wrong with a write body, as UpKeep would say it; None if it is fine."""
    rules = RULES.get(resource)
    if rules is None or (creating and resource not in REQUIRED):
        return f"{resource} cannot be {'created' if creating else 'updated'} through the API"
    if not isinstance(body, dict) or not body:
        return "request body must be a non-empty JSON object"
    for name, value in body.items():
        if name not in rules:
            return f"Unknown field '{name}'"
        error = rules[name](value, exists)
        if error:
            return f"'{name}' {error}"
    if creating:
        missing = [n for n in REQUIRED[resource] if body.get(n) in (None, "", [])]
        if missing:
            return f"'{missing[0]}' is required"
    return None


def stored(resource: str, body: Record, current: Record | None) -> Record:
    """The write as UpKeep stores it: ISO dates, merged custom fields."""
    out = dict(body)
    if resource != "parts" and "dueDate" in out and out["dueDate"] is not None:
        out["dueDate"] = iso(out["dueDate"])
    if "customFields" in out and current is not None:
        out["customFields"] = {**(current.get("customFields") or {}), **(out["customFields"] or {})}
    return out
