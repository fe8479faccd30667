"""What OData v4 sandboxes share: entity sets described by their properties' EDM types, weak
ETags, typed values for `$filter`/`$orderby`, and the refusal of a write body the set would not take.

The wordings are those of the OData library behind Business Central's API pages
(docs/vendors/business_central.md); the Supply Chain Management sandbox uses them too
(docs/vendors/d365_scm.md marks that as unverified).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandboxes.data import Record

NUMBERS = ("Edm.Decimal", "Edm.Int32", "Edm.Int64")  # JSON numbers


@dataclass(frozen=True)
class Prop:
    name: str
    type: str = "Edm.String"
    editable: bool = True
    max_length: int | None = None
    filterable: bool = True


@dataclass(frozen=True)
class Page:
    """One API page (entity set): `type_name` as in `Microsoft.NAV.<type>`; `lines` the navigation
    holding its lines (deep-inserted with the header), `line_page` their page."""

    name: str
    type_name: str
    props: tuple[Prop, ...]
    lines: str | None = None
    line_page: Page | None = None
    keys: tuple[str, ...] = ("id",)

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)


def s(name: str, max_length: int | None = None, **kw: Any) -> Prop:
    return Prop(name, "Edm.String", max_length=max_length, **kw)


def etag(row: Record) -> str:
    """A weak ETag that changes with any change of the record (base64, as the API's are)."""
    digest = hashlib.sha1(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()
    return 'W/"' + base64.b64encode(f"JzE5OzE{digest};".encode()).decode() + '"'


def typed(page: Page, row: Record) -> Record:
    """A row with EDM values as Python values, for `$filter` and `$orderby`."""
    out: Record = {}
    for prop in page.props:
        value = row.get(prop.name)
        if value in (None, ""):
            out[prop.name] = value
        elif prop.type == "Edm.Guid":
            out[prop.name] = uuid.UUID(str(value))
        elif prop.type in ("Edm.DateTimeOffset", "Edm.Date"):
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            out[prop.name] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        elif prop.type in NUMBERS:
            out[prop.name] = Decimal(str(value))
        else:
            out[prop.name] = value
    return out


class Refused(ValueError):
    """A write the API refuses: HTTP status, error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _typed(prop_type: str, value: Any) -> bool:
    if value is None:
        return True
    if prop_type in NUMBERS:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if prop_type == "Edm.Boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def check_props(page: Page, body: Any) -> None:
    """Refuse a body whose shape, properties, types or lengths the entity set would not take (lines too)."""
    if not isinstance(body, dict):
        raise Refused(400, "BadRequest", "The request body must be a JSON object.")
    for name, value in body.items():
        if name == page.lines and page.line_page is not None:
            if not isinstance(value, list):
                raise Refused(400, "BadRequest", f"The navigation property '{name}' takes a collection.")
            for line in value:
                check_props(page.line_page, line)
            continue
        prop = page.prop(name)
        if prop is None:
            raise Refused(
                400,
                "BadRequest",
                f"The property '{name}' does not exist on type 'Microsoft.NAV.{page.type_name}'. Make sure to only "
                "use property names that are defined by the type or mark the type as open type.",
            )
        if not prop.editable:
            raise Refused(400, "BadRequest", f"The property '{name}' is read-only.")
        if not _typed(prop.type, value):
            raise Refused(
                400, "BadRequest", f"Cannot convert the literal '{value}' to the expected type '{prop.type}'."
            )
        if prop.max_length and isinstance(value, str) and len(value) > prop.max_length:
            raise Refused(
                400,
                "BadRequest_InvalidValue",
                f"The length of the string is {len(value)}, but it must be less than or equal to "
                f"{prop.max_length} characters. Value: {value}",
            )
