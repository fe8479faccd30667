"""Reading written values back through the gateway, whatever the entity: selections and comparisons.

A write's input names relations by remote id and lines as objects; the record type
answers relations as objects and dates in the system's precision. The schema is read
once per type (introspection), so a new writable field needs no change here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.helpers import data

INTROSPECT = """query($n: String!) { __type(name: $n) { fields { name type { kind name
  ofType { kind name ofType { kind name ofType { kind name } } } } } } }"""


@dataclass(frozen=True)
class FieldType:
    base: str  # the named type at the bottom (String, DateTime, Asset, ...)
    kind: str  # SCALAR, ENUM or OBJECT
    many: bool


def _unwrap(node: dict[str, Any]) -> FieldType:
    many = False
    while node["kind"] in ("NON_NULL", "LIST"):
        many = many or node["kind"] == "LIST"
        node = node["ofType"]
    return FieldType(node["name"], node["kind"], many)


class Shapes:
    """Field types of the record types of one connection's schema, read on first use."""

    def __init__(self, ask: Callable[[str, dict[str, Any]], dict[str, Any]]) -> None:
        self._ask = ask
        self._types: dict[str, dict[str, FieldType]] = {}

    def of(self, type_name: str) -> dict[str, FieldType]:
        if type_name not in self._types:
            found = data(self._ask(INTROSPECT, {"n": type_name}))["__type"]
            self._types[type_name] = {f["name"]: _unwrap(f["type"]) for f in found["fields"]}
        return self._types[type_name]

    def selection(self, type_name: str, values: dict[str, Any]) -> str:
        """The fields to select to see `values` again: relations by remote id, lines field by field."""
        parts = []
        for name, value in values.items():
            kind = self.of(type_name)[name]
            if kind.kind != "OBJECT":
                parts.append(name)
            elif _lines(value):
                keys = {k: v for line in value for k, v in line.items()}
                parts.append(f"{name} {{ {self.selection(kind.base, keys)} }}")
            else:
                parts.append(f"{name} {{ remoteId }}")
        return " ".join(parts)

    def differences(self, type_name: str, written: dict[str, Any], read: dict[str, Any]) -> list[str]:
        """Each written field the read record does not hold, as `field: wrote X, read Y`."""
        out = []
        for name, value in written.items():
            kind, got = self.of(type_name)[name], read.get(name)
            if kind.kind == "OBJECT" and _lines(value):
                if not isinstance(got, list) or len(got) != len(value):
                    out.append(f"{name}: wrote {len(value)} lines, read {got!r}")
                    continue
                for n, (line, seen) in enumerate(zip(value, got), 1):
                    out += [f"{name}[{n}].{d}" for d in self.differences(kind.base, line, seen)]
            elif not _same(kind, value, got):
                out.append(f"{name}: wrote {value!r}, read {got!r}")
        return out


def _lines(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _same(kind: FieldType, written: Any, read: Any) -> bool:
    if kind.kind == "OBJECT":
        ids = [r["remoteId"] for r in read] if kind.many and read else (read or {}).get("remoteId")
        return sorted(ids or []) == sorted(written or []) if kind.many else ids == written
    if written is None or read is None:
        return written == read
    if kind.base == "DateTime":
        return _same_time(written, read)
    if kind.base == "Float":
        return abs(float(written) - float(read)) < 1e-6
    return written == read


def _same_time(written: str, read: str) -> bool:
    """The same instant, or the same day where the system keeps dates only (SAP, Tryton dates)."""
    wrote, got = _instant(written), _instant(read)
    if wrote == got:
        return True
    return got.time() == datetime.min.time() and got.date() == wrote.date()


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
