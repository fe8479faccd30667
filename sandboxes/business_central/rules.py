"""What the sandbox refuses in a write, as Business Central's API pages do.

A property the page does not have is refused with the OData library's message; a
read-only one, an over-long text, a value of the wrong type and a reference to a
record that does not exist (a purchase order's vendor, a line's item) are refused
with the platform's error codes (see docs/vendors/business_central.md, where the
unconfirmed wordings are marked).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .model import Page

Exists = Callable[[str, Any], bool]  # (page, id) -> a record of that page has this id


class Refused(ValueError):
    """A write the API refuses: HTTP status, error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _typed(prop_type: str, value: Any) -> bool:
    if value is None:
        return True
    if prop_type == "Edm.Decimal" or prop_type == "Edm.Int32":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if prop_type == "Edm.Boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def check_body(page: Page, body: Any, exists: Exists) -> None:
    """Refuse a create or update body the page would not take (lines are checked by their own page)."""
    if not isinstance(body, dict):
        raise Refused(400, "BadRequest", "The request body must be a JSON object.")
    for name, value in body.items():
        if name == page.lines and page.line_page is not None:
            if not isinstance(value, list):
                raise Refused(400, "BadRequest", f"The navigation property '{name}' takes a collection.")
            for line in value:
                check_body(page.line_page, line, exists)
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
    for name, target in (("vendorId", "vendors"), ("itemId", "items")):
        if body.get(name) and not exists(target, str(body[name]).lower()):
            raise Refused(
                400,
                "Internal_RecordNotFound",
                f"The {target[:-1]} does not exist. Identification fields and values: Id='{body[name]}'",
            )
    if page.name == "vendors" and body.get("blocked") not in (None, " ", "Payment", "All"):
        raise Refused(400, "BadRequest", f"The value '{body['blocked']}' is not valid for blocked.")
