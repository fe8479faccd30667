"""The OData sandboxes' reading of `$filter` expressions and key predicates (SAP: v2, Business Central: v4).

Comparisons (`eq ne gt ge lt le`) of a property with a literal, joined by
`and`/`or`/`not` and parentheses: what generated clients send. Literals:
`'text'` (`''` escapes a quote), numbers, `true`/`false`/`null`; in v2
`datetime'…'` and `datetimeoffset'…'`, in v4 bare ISO 8601 date-times and GUIDs
(`guid'…'` and `datetime'…'` are v2 only: a v4 service refuses them). Properties
are checked against the set's model (`FilterableSet`), including whether they
are filterable.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from uuid import UUID

Row = dict[str, Any]
Predicate = Callable[[Row], bool]

_V2_TOKEN = re.compile(
    r"\s*(?:(?P<typed>(?:datetimeoffset|datetime|time|guid)'[^']*')"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<num>-?\d+(?:\.\d+)?[mMdDlLfF]?)"
    r"|(?P<punct>[(),=])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_/]*))"
)
_V4_TOKEN = re.compile(
    r"\s*(?:(?P<moment>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))"
    r"|(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"|(?P<day>\d{4}-\d{2}-\d{2})(?![\dT])"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<punct>[(),=])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_/]*))"
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_TYPE_OF_LITERAL = {
    "Edm.String": str,
    "Edm.DateTime": datetime,
    "Edm.DateTimeOffset": datetime,
    "Edm.Decimal": Decimal,
    "Edm.Boolean": bool,
    "Edm.Guid": UUID,
}


class FilterableProp(Protocol):
    @property
    def type(self) -> str: ...

    @property
    def filterable(self) -> bool: ...


class FilterableSet(Protocol):
    """What the parser needs of an entity set's model."""

    @property
    def type_name(self) -> str: ...

    @property
    def keys(self) -> tuple[str, ...]: ...

    def prop(self, name: str) -> FilterableProp | None: ...


class FilterError(ValueError):
    """An expression the service refuses (answered with a 400 error body)."""


class _Literal:
    def __init__(self, value: Any) -> None:
        self.value = value


def tokenize(text: str, version: int = 2) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    grammar = _V4_TOKEN if version >= 4 else _V2_TOKEN
    while pos < len(text):
        match = grammar.match(text, pos)
        if not match or match.end() == pos:
            raise FilterError(f"Invalid token at position {pos + 1} in '{text}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def literal_value(kind: str, raw: str) -> Any:
    if kind == "str":
        return raw[1:-1].replace("''", "'")
    if kind == "num":
        try:
            return Decimal(raw.rstrip("mMdDlLfF"))
        except InvalidOperation:
            raise FilterError(f"Invalid number {raw}") from None
    if kind == "typed":
        prefix, _, value = raw[:-1].partition("'")
        if prefix in ("datetime", "datetimeoffset"):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise FilterError(f"Invalid {prefix} literal {raw}") from None
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        raise FilterError(f"Literals of type {prefix} are not supported here")
    if kind in ("moment", "day"):
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if kind == "guid":
        return UUID(raw)
    words = {"true": True, "false": False, "null": None}
    if raw in words:
        return words[raw]
    raise FilterError(f"Unexpected '{raw}'")


class _Parser:
    def __init__(self, text: str, entity_set: FilterableSet, version: int) -> None:
        self.tokens = tokenize(text, version)
        self.pos = 0
        self.entity_set = entity_set

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise FilterError("Unexpected end of filter expression")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise FilterError(f"Expected '{value}' in filter expression")

    def parse(self) -> Predicate:
        predicate = self.or_()
        if self.peek() is not None:
            raise FilterError(f"Unexpected '{self.peek()}' in filter expression")
        return predicate

    def or_(self) -> Predicate:
        return self.joined("or", self.and_, any)

    def and_(self) -> Predicate:
        return self.joined("and", self.unary, all)

    def joined(
        self, word: str, operand: Callable[[], Predicate], combine: Callable[[Iterable[bool]], bool]
    ) -> Predicate:
        """Operands joined by `word` (`and` binds tighter than `or` because `or_` reads `and_` operands)."""
        parts = [operand()]
        while self.peek() == word:
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else (lambda row: combine(p(row) for p in parts))

    def unary(self) -> Predicate:
        if self.peek() == "not":
            self.take()
            inner = self.unary()
            return lambda row: not inner(row)
        if self.peek() == "(":
            self.take()
            inner = self.or_()
            self.expect(")")
            return inner
        return self.comparison()

    def operand(self) -> str | _Literal:
        kind, raw = self.take()
        if kind == "name" and raw not in ("true", "false", "null"):
            prop = self.entity_set.prop(raw)
            if prop is None:
                raise FilterError(f"Property {raw} not found in type {self.entity_set.type_name}")
            if not prop.filterable:
                raise FilterError(f"Property {raw} is not filterable")
            return raw
        return _Literal(literal_value(kind, raw))

    def comparison(self) -> Predicate:
        left = self.operand()
        _, op = self.take()
        if op not in _COMPARE:
            raise FilterError(f"Unknown operator '{op}'")
        right = self.operand()
        if isinstance(left, _Literal) == isinstance(right, _Literal):
            raise FilterError("A comparison needs one property and one literal")
        if isinstance(right, str):  # literal on the left: read it the other way round
            left, right = right, left
            op = {"gt": "lt", "lt": "gt", "ge": "le", "le": "ge"}.get(op, op)
        name, value = left, right
        assert isinstance(name, str) and isinstance(value, _Literal)
        self.check_type(name, value.value)
        compare, wanted = _COMPARE[op], value.value

        def predicate(row: Row) -> bool:
            actual = row.get(name)
            if actual is None or wanted is None:
                return compare(actual, wanted) if op in ("eq", "ne") else False
            return bool(compare(actual, wanted))

        return predicate

    def check_type(self, name: str, value: Any) -> None:
        prop = self.entity_set.prop(name)
        expected = _TYPE_OF_LITERAL.get(prop.type if prop else "")
        if value is not None and expected is not None and not isinstance(value, expected):
            raise FilterError(f"Invalid parametertype used at function '{name}' (Type {prop.type if prop else '?'})")


def parse_filter(text: str, entity_set: FilterableSet, version: int = 2) -> Predicate:
    return _Parser(text, entity_set, version).parse()


def parse_key(text: str, entity_set: FilterableSet, version: int = 2) -> dict[str, Any]:
    """`'4000001'` or `Equipment='1',ValidityEndDate=datetime'9999-12-31T00:00:00'` → key values."""
    tokens = tokenize(text, version)
    if len(tokens) == 1 and len(entity_set.keys) == 1:
        return {entity_set.keys[0]: literal_value(*tokens[0])}
    values: dict[str, Any] = {}
    for i in range(0, len(tokens), 4):
        part = tokens[i : i + 4]
        if len(part) < 3 or part[1][1] != "=" or (len(part) == 4 and part[3][1] != ","):
            raise FilterError(f"Invalid key predicate ({text})")
        values[part[0][1]] = literal_value(*part[2])
    if set(values) != set(entity_set.keys):
        raise FilterError(f"Invalid key predicate ({text}): expected {', '.join(entity_set.keys)}")
    return values
