"""The sandbox's reading of `q` RowMatch expressions (REST framework version 2 and later).

The subset the Fusion documentation shows: `Attr op value` with `=`, `!=`, `<>`, `>`, `>=`, `<`,
`<=`, `Attr IN (v, …)`, terms joined by `and` / `or` (and binding tighter) and parentheses. Strings
are single-quoted (a quote doubled inside), numbers bare. A string compared with a date-time
attribute is read as a date-time. Anything else is a malformed expression (`QError`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

Row = dict[str, Any]
Test = Callable[[Row], bool]
TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><>|!=|>=|<=|=|>|<)|(?P<p>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)


class QError(ValueError):
    """A `q` the service cannot read."""


def _tokens(text: str) -> list[tuple[str, Any]]:
    found, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = TOKEN.match(text, at)
        if match is None:
            raise QError(f"unexpected text at position {at}")
        kind = match.lastgroup or ""
        raw = match.group(kind)
        value: Any = raw[1:-1].replace("''", "'") if kind == "str" else float(raw) if kind == "num" else raw
        found.append((kind, value))
        at = match.end()
    return found


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _comparable(field: Any, value: Any) -> tuple[Any, Any] | None:
    """The two sides in one type, or None when they cannot be compared (the row does not match)."""
    if field is None:
        return None
    if isinstance(value, float):
        return (float(field), value) if isinstance(field, (int, float)) and not isinstance(field, bool) else None
    if isinstance(field, str) and (left := _moment(field)) is not None and (right := _moment(value)) is not None:
        if (left.tzinfo is None) != (right.tzinfo is None):
            return None
        return left, right
    return str(field), str(value)


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<>": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


class _Parser:
    def __init__(self, text: str, attributes: frozenset[str]) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.attributes = attributes

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str, value: Any = None) -> Any:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and str(token[1]).lower() != value):
            raise QError(f"expected {value or kind} at token {self.at + 1}")
        self.at += 1
        return token[1]

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and str(token[1]).lower() == word:
            self.at += 1
            return True
        return False

    def parse(self) -> Test:
        test = self.disjunction()
        if self.peek() is not None:
            raise QError(f"unexpected token {self.peek()[1]!r}")  # type: ignore[index]
        return test

    def disjunction(self) -> Test:
        terms = [self.conjunction()]
        while self.keyword("or"):
            terms.append(self.conjunction())
        return lambda row: any(t(row) for t in terms)

    def conjunction(self) -> Test:
        terms = [self.term()]
        while self.keyword("and"):
            terms.append(self.term())
        return lambda row: all(t(row) for t in terms)

    def value(self) -> Any:
        token = self.peek()
        if token is None or token[0] not in ("str", "num"):
            raise QError(f"expected a value at token {self.at + 1}")
        self.at += 1
        return token[1]

    def term(self) -> Test:
        token = self.peek()
        if token == ("p", "("):
            self.at += 1
            test = self.disjunction()
            self.take("p", ")")
            return test
        name = self.take("word")
        if name not in self.attributes:
            raise QError(f"{name} is not a queryable attribute of this resource")
        if self.keyword("in"):
            self.take("p", "(")
            values = [self.value()]
            while self.peek() == ("p", ","):
                self.at += 1
                values.append(self.value())
            self.take("p", ")")
            return lambda row: any(_holds(row.get(name), "=", v) for v in values)
        op = self.take("op")
        value = self.value()
        return lambda row: _holds(row.get(name), op, value)


def _holds(field: Any, op: str, value: Any) -> bool:
    pair = _comparable(field, value)
    return pair is not None and COMPARE[op](*pair)


def row_match(text: str, attributes: frozenset[str]) -> Test:
    """The test a `q` expression stands for over rows whose `attributes` may be queried; QError when
    malformed or naming another attribute."""
    return _Parser(text, attributes).parse()
