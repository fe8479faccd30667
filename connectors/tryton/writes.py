"""What Tryton takes on writes, declared per entity and derived from the read mappings.

Tryton wants many2one ids as integers, dates and decimals as typed objects, and
one2many lines as commands (`[["create", [...]]]`) inside the parent's call, so
a purchase and its lines are one transaction. Two things need the server:
values named by a key (a currency code, a unit name, a product's purchase unit)
become `Find` markers the connector resolves with one search per kind before
writing, and a status is not a field but workflow buttons (`quote`, `confirm`,
`cancel`, `draft`) the connector presses after the write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from schema.errors import BadUserInput

from ..jsonrpc import Ref
from ..mapping import Date, EntityMap, Number, as_spec
from ..writes import Lines, To, WriteMap, put
from .wire import encode_date, encode_decimal

BUTTONS = "__buttons__"  # payload key the connector pops: workflow buttons to press after the write


@dataclass(frozen=True)
class Find:
    """A value Tryton knows by id, given here by another field: `take` of the `model` row whose `key` is `value`."""

    model: str
    key: str
    value: Any
    take: str = "id"
    optional: bool = False  # no such row: null rather than an error


@dataclass(frozen=True)
class Lookup:
    """A unified value written as the id of the row it names (a currency by code)."""

    path: str
    model: str
    key: str

    def write(self, payload: dict[str, Any], value: Any) -> None:
        put(payload, self.path, None if value is None else Find(self.model, self.key, value))


@dataclass(frozen=True)
class Party:
    """The purchase's party; the invoice address follows it, as Tryton's client fills it in."""

    def write(self, payload: dict[str, Any], value: Any) -> None:
        payload["party"] = None if value is None else int(value)
        if value is not None:
            payload["invoice_address"] = Find("party.address", "party", int(value), optional=True)


@dataclass(frozen=True)
class Buttons:
    """A normalized status reached by pressing workflow buttons in order (each one skips what it cannot move)."""

    entity: str
    by_status: Mapping[str, tuple[str, ...]]

    def write(self, payload: dict[str, Any], value: str) -> None:
        if value not in self.by_status:
            allowed = ", ".join(self.by_status)
            raise BadUserInput(f"Tryton cannot set {self.entity}.status to {value}; use one of {allowed}", field="status")
        payload[BUTTONS] = self.by_status[value]


@dataclass(frozen=True)
class PurchaseLines(Lines):
    """Lines created with their purchase; the unit defaults to the product's purchase unit."""

    def write(self, payload: dict[str, Any], value: Any) -> None:
        lines = [self.line(item or {}, n) for n, item in enumerate(value or [], 1)]
        for line in lines:
            line.setdefault("unit", Find("product.product", "id", line["product"], "purchase_uom"))
        put(payload, self.path, [["create", lines]])


def derived(read: EntityMap, names: tuple[str, ...]) -> dict[str, Any]:
    """Writers from the read mapping in Tryton's types: ids as ints, dates and numbers typed."""
    writers: dict[str, Any] = {}
    for name in names:
        spec = as_spec(read.fields[name])
        if isinstance(spec, Ref):
            writers[name] = To(spec.path, int)
        elif isinstance(spec, Date):
            writers[name] = To(spec.path, encode_date)
        elif isinstance(spec, Number):
            writers[name] = To(spec.path, encode_decimal)
        else:
            writers[name] = To(spec.path)
    return writers


def vendor_writes(read: EntityMap) -> WriteMap:
    """Contact fields are setters on the party: Tryton refuses to overwrite an existing one."""
    fields = {
        **derived(read, ("name", "code")),
        "email": To("email"),
        "phone": To("phone"),
        "website": To("website"),
        "active": To("active", bool),
    }
    return WriteMap("Tryton", read.entity, fields, required=("name",))


PURCHASE_BUTTONS = {
    "DRAFT": ("draft",),
    "SUBMITTED": ("quote",),
    "APPROVED": ("quote", "confirm"),
    "CANCELLED": ("cancel",),
}


def purchase_writes(read: EntityMap) -> WriteMap:
    """`number` is the supplier's reference (Tryton numbers a purchase itself when it is quoted)."""
    fields = {
        **derived(read, ("orderDate", "expectedDate", "shipTo")),
        "number": To("reference"),
        "vendor": Party(),
        "currency": Lookup("currency", "currency.currency", "code"),
        "status": Buttons(read.entity, PURCHASE_BUTTONS),
        "lines": PurchaseLines(
            "lines",
            {
                "part": To("product", int),
                "quantity": To("quantity", float),
                "unitPrice": To("unit_price", encode_decimal),
                "description": To("description"),
                "unitOfMeasure": Lookup("unit", "product.uom", "name"),
            },
            required=("part", "quantity", "unitPrice"),
        ),
    }
    return WriteMap("Tryton", read.entity, fields, required=("vendor",))
