"""Mapping specs for OData values: what `connectors/mapping.py` reads, knowing SAP's JSON.

`Text` and `Code` treat the empty string as no value, `ODate` reads `/Date(ms)/`
(optionally plus an `Edm.Time` of the same day), `Decimal` the string form of
`Edm.Decimal`. `writes.write_map` derives writers from these same specs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..mapping import Enum, Spec, dig
from .values import parse_date, parse_decimal, parse_time, text


@dataclass(frozen=True)
class Text(Spec):
    """A character field; empty means unset (relations, codes)."""

    path: str

    def extract(self, raw: Any) -> Any:
        return text(dig(raw, self.path))


@dataclass(frozen=True)
class Code(Enum):
    """A coded value (`Enum`) where an empty string means no value."""

    def extract(self, raw: Any) -> Any:
        value = text(dig(raw, self.path))
        return None if value is None else self.values.get(value, self.default)

    def raw(self, raw: Any) -> str | None:
        return text(dig(raw, self.path))


@dataclass(frozen=True)
class ODate(Spec):
    """An `Edm.DateTime`/`Edm.DateTimeOffset`, optionally plus an `Edm.Time` of the same day;
    `date_only`: an OData v4 `Edm.Date` (`2026-01-31`), written without a time."""

    path: str
    time_path: str | None = None
    date_only: bool = False

    def extract(self, raw: Any) -> Any:
        moment = parse_date(dig(raw, self.path))
        if moment is not None and self.time_path:
            moment += parse_time(dig(raw, self.time_path)) or timedelta()
        return moment


@dataclass(frozen=True)
class Decimal(Spec):
    path: str

    def extract(self, raw: Any) -> Any:
        return parse_decimal(dig(raw, self.path))
