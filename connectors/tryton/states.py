"""Which Tryton fields a write may set, decided from the model's own `fields_get`.

Tryton declares a field read-only statically (`readonly: true`) or by a PYSON
`states["readonly"]` expression evaluated on the record; since trytond 7 the
server enforces both on every RPC create and write (`check_modification`),
evaluating a create with `id = -1`. An expression is decided here in
three-valued logic from what is known without reading the record (its `id`:
negative on create, positive on update); anything else stays unknown, and an
unknown state leaves the field writable: Tryton then decides for the record
at hand, and its refusal comes back with its own message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

UNKNOWN = object()  # a PYSON value that depends on what the record holds
CREATE_ID, UPDATE_ID = -1, 1  # Tryton evaluates a new record as id -1; a stored one has a positive id


def _both(left: Any, right: Any) -> bool:
    return left is not UNKNOWN and right is not UNKNOWN


def _bool(value: Any) -> Any:
    return UNKNOWN if value is UNKNOWN else bool(value)


def _and(values: list[Any]) -> Any:
    if any(v is not UNKNOWN and not v for v in values):
        return False
    return UNKNOWN if any(v is UNKNOWN for v in values) else True


def _or(values: list[Any]) -> Any:
    if any(v is not UNKNOWN and v for v in values):
        return True
    return UNKNOWN if any(v is UNKNOWN for v in values) else False


def evaluate(node: Any, known: Mapping[str, Any]) -> Any:
    """A decoded PYSON node's value, or UNKNOWN where it reads a field not in `known`."""
    if isinstance(node, list):
        items = [evaluate(n, known) for n in node]
        return UNKNOWN if any(i is UNKNOWN for i in items) else items
    if not isinstance(node, dict) or "__class__" not in node:
        return node
    kind = node["__class__"]
    if kind == "Eval":
        return known.get(node["v"], UNKNOWN)
    if kind == "Not":
        value = _bool(evaluate(node["v"], known))
        return UNKNOWN if value is UNKNOWN else not value
    if kind == "Bool":
        return _bool(evaluate(node["v"], known))
    if kind in ("And", "Or"):
        values = [_bool(evaluate(n, known)) for n in node["s"]]
        return _and(values) if kind == "And" else _or(values)
    if kind in ("Equal", "Greater", "Less"):
        left, right = evaluate(node["s1"], known), evaluate(node["s2"], known)
        if not _both(left, right):
            return UNKNOWN
        if kind == "Equal":
            return left == right
        if kind == "Greater":
            return left >= right if node.get("e") else left > right
        return left <= right if node.get("e") else left < right
    if kind == "In":
        key, values = evaluate(node["k"], known), evaluate(node["v"], known)
        return key in values if _both(key, values) else UNKNOWN
    if kind == "If":
        condition = _bool(evaluate(node["c"], known))
        if condition is UNKNOWN:
            return UNKNOWN
        return evaluate(node["t"] if condition else node["e"], known)
    return UNKNOWN  # Get, Date, Id and the like: not decided here


def readonly_state(described: Mapping[str, Any]) -> Any:
    """The field's decoded `states["readonly"]` PYSON (fields_get sends `states` as a JSON string)."""
    states = described.get("states") or {}
    if isinstance(states, str):
        states = json.loads(states) if states else {}
    return states.get("readonly", False)


def writable(described: Mapping[str, Any] | None, record_id: int) -> bool:
    """False where Tryton's declaration makes the field read-only for a record with this id."""
    if described is None or described.get("readonly"):
        return False
    return evaluate(readonly_state(described), {"id": record_id}) is not True
