"""What a sandbox accepts in a write body, declared per attribute.

Sandboxes refuse what the real system would refuse (wrong type, a value
outside its domain, a reference to a record that does not exist, a missing
required attribute), so a connector's mapping mistake shows up as the vendor's
validation error instead of silently stored data. Each sandbox words the
problem in its vendor's error shape; this module only finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Exists = Callable[[str, Any], bool]  # (resource, id) -> is there such a record


@dataclass(frozen=True)
class Attr:
    """One writable attribute: its JSON kind, and optionally its domain, a referenced resource, a floor."""

    kind: str  # "text", "number", "integer", "boolean", "datetime", "object", "list"
    choices: tuple[Any, ...] = ()
    ref: str | None = None  # the resource an id (or each id of a list) must exist in
    minimum: float | None = None

    def problem(self, value: Any, exists: Exists) -> str | None:
        if value is None:
            return None
        if not _KINDS[self.kind](value):
            return f"must be {_WORDS[self.kind]}"
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(map(str, self.choices))}"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {self.minimum:g}"
        if self.ref is not None:
            missing = [i for i in (value if isinstance(value, list) else [value]) if not exists(self.ref, i)]
            if missing:
                return f"refers to an unknown {self.ref} record {missing[0]!r}"
        return None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


_KINDS: dict[str, Callable[[Any], bool]] = {
    "text": lambda v: isinstance(v, str),
    "number": _number,
    "integer": lambda v: _number(v) and float(v).is_integer(),
    "boolean": lambda v: isinstance(v, bool),
    "datetime": _datetime,
    "object": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
}
_WORDS = {
    "text": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "datetime": "an ISO 8601 date-time with an offset",
    "object": "an object",
    "list": "a list",
}


def first_problem(
    rules: Mapping[str, Attr], body: Any, exists: Exists, required: tuple[str, ...] = ()
) -> tuple[str | None, str] | None:
    """(attribute, what is wrong) for the first refused part of `body`; None when it is fine.

    The attribute is None when the body as a whole is wrong.
    """
    if not isinstance(body, dict) or not body:
        return None, "the request body must be a non-empty JSON object"
    for name, value in body.items():
        rule = rules.get(name)
        if rule is None:
            return name, "is not an attribute that can be written"
        wrong = rule.problem(value, exists)
        if wrong:
            return name, wrong
    for name in required:
        if body.get(name) in (None, "", []):
            return name, "is required"
    return None
