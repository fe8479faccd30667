"""What Tryton takes on writes, declared per entity and derived from the read mappings.

Tryton wants many2one ids as integers, dates and decimals as typed objects, and
one2many lines as commands (`[["create", [...]]]`) inside the parent's call, so
a purchase and its lines are one transaction. Two things need the server:
values named by a key (a currency code, a unit name, a product's purchase unit)
become `Find` markers the connector resolves with one search per kind before
writing, and a status is not a field but workflow buttons (`quote`, `confirm`,
`cancel`, `draft`) the connector presses after the write. Values Tryton keeps
in rows of a one2many (a party's contact mechanisms and addresses) are `Child`
writes the connector turns into one2many commands in the same call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schema.errors import BadUserInput

from ..jsonrpc import Ref
from ..mapping import Date, EntityMap, Number, as_spec
from ..writes import Lines, To, WriteMap, put
from .wire import encode_date, encode_decimal

BUTTONS = "__buttons__"  # payload key the connector pops: workflow buttons to press after the write
CHILDREN = "__children__"  # payload key the connector pops: values kept in one2many rows (`Child`)


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

    targets = ("party", "invoice_address")

    def write(self, payload: dict[str, Any], value: Any) -> None:
        payload["party"] = None if value is None else int(value)
        if value is not None:
            payload["invoice_address"] = Find("party.address", "party", int(value), optional=True)


@dataclass(frozen=True)
class Child:
    """A value kept in a row of a one2many: the first row whose fields equal `match` holds it in `field`.

    Tryton keeps a party's email, phone and website as contact mechanisms (the
    party's own fields can only be set on create) and its addresses as rows;
    the party's getter reads the first mechanism of a type, so the first one is
    the one written. Null deletes that row (`clear="delete"`) or empties the field.
    """

    relation: str
    field: str
    match: tuple[tuple[str, Any], ...] = ()
    clear: str = "delete"

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.relation,)

    def write(self, payload: dict[str, Any], value: Any) -> None:
        payload[CHILDREN] = (*payload.get(CHILDREN, ()), ChildValue(self, value))


@dataclass(frozen=True)
class ChildValue:
    """One `Child` write; `ensure` makes a create add the row even without a value (an empty address)."""

    child: Child
    value: Any
    ensure: bool = False


@dataclass(frozen=True)
class Buttons:
    """A normalized status reached by pressing workflow buttons in order. trytond refuses a button its
    `_buttons` states hide for the record's state ("You can not call ..."), so each goes with the states
    it is shown in (`shown`) and the connector skips it in any other: a draft asked to be DRAFT stays as is."""

    entity: str
    by_status: Mapping[str, tuple[str, ...]]
    shown: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # button -> raw states; absent: always
    targets = ()  # workflow methods, not fields

    def write(self, payload: dict[str, Any], value: str) -> None:
        if value not in self.by_status:
            allowed = ", ".join(self.by_status)
            raise BadUserInput(
                f"Tryton cannot set {self.entity}.status to {value}; use one of {allowed}", field="status"
            )
        payload[BUTTONS] = tuple((button, self.shown.get(button, ())) for button in self.by_status[value])


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
            writers[name] = To(spec.path)  # type: ignore[attr-defined]  # a writable field's spec has a path
    return writers


def targets(writer: Any) -> tuple[str, ...]:
    """The Tryton fields of the written model a unified field's writer sets (checked against fields_get)."""
    if isinstance(writer, (To, Lookup)):
        return (writer.path.split(".")[0],)
    if isinstance(writer, Lines):
        return (writer.path,)
    return tuple(writer.targets)


def contact(kind: str) -> Child:
    return Child("contact_mechanisms", "value", (("type", kind),))


ADDRESS = Child("addresses", "street", clear="blank")  # purchases refer to it: emptied, never deleted


def vendor_writes(read: EntityMap) -> WriteMap:
    """A new party gets an address, as Tryton's client gives one: a purchase needs it as invoice address."""
    fields = {
        **derived(read, ("name", "code")),
        "email": contact("email"),
        "phone": contact("phone"),
        "website": contact("website"),
        "address": ADDRESS,
        "active": To("active", bool),
    }
    defaults = {CHILDREN: (ChildValue(ADDRESS, None, ensure=True),)}
    return WriteMap("Tryton", read.entity, fields, required=("name",), defaults=defaults)


PURCHASE_BUTTONS = {
    "DRAFT": ("draft",),
    "SUBMITTED": ("quote",),
    "APPROVED": ("quote", "confirm"),
    "CANCELLED": ("cancel",),
}
# Where Tryton's purchase shows each button (purchase.py `_buttons`: `invisible` in every other state).
PURCHASE_BUTTONS_SHOWN = {
    "draft": ("cancelled", "quotation", "confirmed"),
    "quote": ("draft",),
    "confirm": ("quotation",),
    "cancel": ("draft", "quotation"),
}


def purchase_writes(read: EntityMap) -> WriteMap:
    """`number` is the supplier's reference (Tryton numbers a purchase itself when it is quoted)."""
    fields = {
        **derived(read, ("orderDate", "expectedDate", "shipTo")),
        "number": To("reference"),
        "vendor": Party(),
        "currency": Lookup("currency", "currency.currency", "code"),
        "status": Buttons(read.entity, PURCHASE_BUTTONS, PURCHASE_BUTTONS_SHOWN),
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
