"""Odoo domains, evaluated on the sandbox's records.

A domain is a list of leaves `[field, operator, value]` joined by AND, with the
prefix operators `"&"`, `"|"` and `"!"` (Odoo documentation, "ORM API": Search
domains). A field may follow a many2one (`stage_id.name`). A leaf Odoo could not
parse raises `DomainError` with the text Odoo's `ValueError` carries (unverified).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "in", "not in", "like", "ilike", "=like", "=ilike", "not ilike")
Resolve = Callable[[dict[str, Any], str], Any]  # (record, dotted path) -> value
Predicate = Callable[[dict[str, Any]], bool]
Known = Callable[[str], bool]  # is the dotted path a field of the model


class DomainError(ValueError):
    """A domain Odoo refuses: the message of its ValueError."""


def _compare(value: Any, operator: str, wanted: Any) -> bool:
    if operator in ("in", "not in"):
        if not isinstance(wanted, (list, tuple)):
            raise DomainError(f"Invalid leaf: the value of '{operator}' must be a list")
        found = value in wanted or (value is False and False in wanted)
        return found if operator == "in" else not found
    if operator in ("like", "ilike", "=like", "=ilike", "not ilike"):
        text, needle = str(value or ""), str(wanted)
        hit = needle.lower() in text.lower() if "ilike" in operator else needle in text
        return not hit if operator == "not ilike" else hit
    if operator == "=":
        return bool(value == wanted)
    if operator == "!=":
        return bool(value != wanted)
    if value is False or value is None or wanted is False:
        return False
    try:
        return bool({">": value > wanted, ">=": value >= wanted, "<": value < wanted, "<=": value <= wanted}[operator])
    except TypeError:
        raise DomainError(f"Invalid leaf: cannot compare {value!r} with {wanted!r}") from None


def _joined(operator: str, left: Predicate, right: Predicate) -> Predicate:
    if operator == "&":
        return lambda r: left(r) and right(r)
    return lambda r: left(r) or right(r)


def _negated(inner: Predicate) -> Predicate:
    return lambda r: not inner(r)


def _leaf(leaf: Any, resolve: Resolve, known: Known, model: str) -> Callable[[dict[str, Any]], bool]:
    if not isinstance(leaf, (list, tuple)) or len(leaf) != 3 or not isinstance(leaf[0], str):
        raise DomainError(f"Invalid leaf {leaf!r}")
    path, operator, wanted = leaf
    if operator not in OPERATORS:
        raise DomainError(f"Invalid leaf {leaf!r}: unknown operator {operator!r}")
    if not known(path):
        raise DomainError(f"Invalid field {model}.{path} in leaf {tuple(leaf)!r}")
    if operator in ("in", "not in") and not isinstance(wanted, (list, tuple)):
        raise DomainError(f"Invalid leaf {tuple(leaf)!r}: the value of '{operator}' must be a list")

    def test(record: dict[str, Any]) -> bool:
        return _compare(resolve(record, path), operator, wanted)

    return test


def compile_domain(domain: Any, resolve: Resolve, known: Known, model: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate for `domain`; raises DomainError for one Odoo would refuse."""
    if not isinstance(domain, list):
        raise DomainError(f"Invalid domain {domain!r}")
    stack: list[Callable[[dict[str, Any]], bool]] = []
    for item in reversed(domain):  # prefix notation: evaluate from the end
        if item in ("&", "|"):
            if len(stack) < 2:
                raise DomainError(f"Invalid domain: '{item}' needs two operands")
            left, right = stack.pop(), stack.pop()
            stack.append(_joined(item, left, right))
        elif item == "!":
            if not stack:
                raise DomainError("Invalid domain: '!' needs an operand")
            stack.append(_negated(stack.pop()))
        else:
            stack.append(_leaf(item, resolve, known, model))
    checks = stack  # what is left is joined by AND
    return lambda record: all(check(record) for check in checks)
