"""How Odoo's `read` and `search_read` write values, as mapping specs.

Odoo answers an empty field with `false` whatever its type, a many2one as
`[id, "display name"]`, and times as naive UTC text `"YYYY-MM-DD HH:MM:SS"`
(Odoo documentation, "External API" and "ORM API": fields, docs/vendors/odoo.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..mapping import Enum, Spec, dig, parse_datetime

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def present(value: Any) -> Any:
    """Odoo's `false` for an empty non-boolean field as None."""
    return None if value is False else value


def format_time(value: datetime) -> str:
    """An aware datetime as Odoo takes it in domains and writes: naive UTC text."""
    return value.astimezone(UTC).strftime(TIME_FORMAT)


@dataclass(frozen=True)
class Text(Spec):
    """A char, text or selection field (`false` when empty)."""

    path: str

    def extract(self, raw: Any) -> Any:
        return present(dig(raw, self.path))


@dataclass(frozen=True)
class Time(Spec):
    """A date or datetime field in Odoo's text form, as an aware UTC datetime."""

    path: str

    def extract(self, raw: Any) -> Any:
        return parse_datetime(present(dig(raw, self.path)))


@dataclass(frozen=True)
class Amount(Spec):
    """A float or monetary field; `false` only where the field is empty."""

    path: str

    def extract(self, raw: Any) -> Any:
        value = present(dig(raw, self.path))
        return None if value is None else float(value)


@dataclass(frozen=True)
class Many2one(Spec):
    """A many2one's id (`[id, name]`, or `false`) as the unified relation's remote id."""

    path: str

    def extract(self, raw: Any) -> Any:
        value = dig(raw, self.path)
        return str(value[0]) if isinstance(value, list) and value else None


@dataclass(frozen=True)
class Many2oneName(Spec):
    """A many2one's display name."""

    path: str

    def extract(self, raw: Any) -> Any:
        value = dig(raw, self.path)
        return value[1] if isinstance(value, list) and len(value) > 1 else None


@dataclass(frozen=True)
class NamedEnum(Enum):
    """An enum read from a many2one's display name (a maintenance stage): the raw value is the name."""

    def extract(self, raw: Any) -> Any:
        name = Many2oneName(self.path).extract(raw)
        return None if name is None else self.values.get(name, self.default)

    def raw(self, raw: Any) -> str | None:
        return Many2oneName(self.path).extract(raw)
