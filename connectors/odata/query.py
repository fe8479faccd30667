"""The system query options of a read, and the literals and keys they are written with.

`$filter` literals quote strings with `'` doubled; the protocol versions differ in
the rest (`Dialect`): OData v2 writes datetimes as `datetimeoffset'…Z'`, GUIDs as
`guid'…'`, decimals with an `M` suffix and asks for counts with
`$inlinecount=allpages`; OData v4 writes datetimes, GUIDs and decimals bare and
asks with `$count=true`. Keys go into URLs the same way. Fetching many records
`or`-joins their keys, `KEYS_PER_CALL` at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from schema.model import CustomField

KEYS_PER_CALL = 40  # `or`-joined keys per fetch-many call, so URLs stay well below 8 KB

_KEY_PART = re.compile(r"(\w+)='((?:[^']|'')*)'(?:,|$)")


@dataclass(frozen=True)
class Dialect:
    """What differs between OData v2 and v4 in a query: literals and the inline count option."""

    version: int

    def literal(self, value: Any) -> str:
        """A `$filter` literal: strings quoted with `'` doubled, datetimes and GUIDs as the version writes them."""
        if isinstance(value, datetime):
            moment = value.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
            return moment if self.version >= 4 else f"datetimeoffset'{moment}'"
        if isinstance(value, UUID):
            return str(value) if self.version >= 4 else f"guid'{value}'"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    def custom_literal(self, field: CustomField, value: Any) -> str:
        """A custom field's filter value; floats as `Edm.Decimal` literals (`12.5M` in v2)."""
        if field.type == "Float" and not isinstance(value, bool):
            return f"{value}M" if self.version < 4 else str(value)
        return self.literal(value)

    def count_option(self) -> tuple[str, str]:
        """The option that asks for the total along with a page."""
        return ("$count", "true") if self.version >= 4 else ("$inlinecount", "allpages")


V2 = Dialect(2)
V4 = Dialect(4)


def literal(value: Any) -> str:
    """An OData v2 `$filter` literal (`Dialect.literal`)."""
    return V2.literal(value)


def key_text(names: tuple[str, ...], raw: Mapping[str, Any]) -> str:
    """A record's key as SAP writes it in URLs: the value, or `A='1',B='2'` for a composite key."""
    if len(names) == 1:
        return str(raw.get(names[0]))
    return ",".join(f"{n}={literal(str(raw.get(n) or ''))}" for n in names)


def key_values(names: tuple[str, ...], text: str) -> dict[str, str] | None:
    """`key_text` read back; None when it is not a key of these names."""
    if len(names) == 1:
        return {names[0]: text}
    parts = {m.group(1): m.group(2).replace("''", "'") for m in _KEY_PART.finditer(text)}
    return parts if set(parts) == set(names) else None


def eq_any(name: str, values: Iterable[Any], dialect: Dialect = V2) -> str:
    """`A eq 'x' or A eq 'y'` (parenthesized, so it can be and-ed with other clauses)."""
    clause = " or ".join(f"{name} eq {dialect.literal(v)}" for v in values)
    return f"({clause})"


def eq_all(values: Mapping[str, Any]) -> str:
    """`(A eq 'x' and B eq 'y')`: one record by its (composite) key."""
    return "(" + " and ".join(f"{k} eq {literal(v)}" for k, v in values.items()) + ")"


def all_of(clauses: Iterable[str | None]) -> str | None:
    parts = [c for c in clauses if c]
    return " and ".join(parts) or None


@dataclass(frozen=True)
class Query:
    """The system query options of one read."""

    filter: str | None = None
    select: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()
    orderby: tuple[str, ...] = ()
    top: int | None = None
    skip: int | None = None
    inlinecount: bool = False
    dialect: Dialect = V2

    def params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.filter:
            params["$filter"] = self.filter
        if self.select:
            params["$select"] = ",".join(self.select)
        if self.expand:
            params["$expand"] = ",".join(self.expand)
        if self.orderby:
            params["$orderby"] = ",".join(self.orderby)
        if self.top is not None:
            params["$top"] = str(self.top)
        if self.skip:
            params["$skip"] = str(self.skip)
        if self.inlinecount:
            option, value = self.dialect.count_option()
            params[option] = value
        return params
