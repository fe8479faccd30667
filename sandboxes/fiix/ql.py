"""The part of Fiix's `ql` filter language the sandbox understands.

A `FindRequest` filter is `{"ql": "<where clause>", "parameters": [...]}`, each `?`
taking the next parameter. Understood here: clauses joined by `AND`, each
`<field> <op> ?` with `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, or `<field> IN (?, ...)`.
Anything else is refused as Fiix refuses a query it cannot parse (unverified wording).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection
from typing import Any

Row = dict[str, Any]
Predicate = Callable[[Row], bool]

_CLAUSE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=|!=|<>|<=|>=|<|>)\s*\?\s*$")
_IN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+IN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)\s*$", re.IGNORECASE)
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class QlError(ValueError):
    """A filter the sandbox cannot read (or that names an unknown field)."""


def _compare(name: str, op: str, value: Any) -> Predicate:
    test = _OPS[op]

    def keep(row: Row) -> bool:
        have = row.get(name)
        if op in ("=", "!=", "<>"):
            return bool(test(have, value))
        return have is not None and value is not None and bool(test(have, value))

    return keep


def predicate(filters: Any, fields: Collection[str]) -> Predicate:
    """One row test for a request's `filters` (all must hold); QlError when one cannot be read."""
    if filters in (None, []):
        return lambda row: True
    if not isinstance(filters, list):
        raise QlError("filters must be a list")
    tests: list[Predicate] = []
    for item in filters:
        if not isinstance(item, dict) or not isinstance(item.get("ql"), str):
            raise QlError("a filter needs a ql string")
        parameters = list(item.get("parameters") or [])
        for clause in re.split(r"\s+AND\s+", item["ql"].strip(), flags=re.IGNORECASE):
            tests.append(_clause(clause, parameters, fields))
        if parameters:
            raise QlError("more parameters than ? in the filter")
    return lambda row: all(test(row) for test in tests)


def _clause(clause: str, parameters: list[Any], fields: Collection[str]) -> Predicate:
    found = _CLAUSE.match(clause)
    if found:
        name, op = found.groups()
        return _compare(_field(name, fields), op, _take(parameters, 1)[0])
    found = _IN.match(clause)
    if found:
        name = _field(found.group(1), fields)
        wanted = _take(parameters, clause.count("?"))
        return lambda row: row.get(name) in wanted
    raise QlError(f"cannot parse the filter clause '{clause.strip()}'")


def _field(name: str, fields: Collection[str]) -> str:
    if name not in fields:
        raise QlError(f"unknown field '{name}'")
    return name


def _take(parameters: list[Any], count: int) -> list[Any]:
    if len(parameters) < count:
        raise QlError("fewer parameters than ? in the filter")
    taken = parameters[:count]
    del parameters[:count]
    return taken
