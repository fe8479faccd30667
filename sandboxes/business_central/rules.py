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

from sandboxes.odata_v4 import Page, Refused, check_props

Exists = Callable[[str, Any], bool]  # (page, id) -> a record of that page has this id


def check_body(page: Page, body: Any, exists: Exists) -> None:
    """Refuse a create or update body the page would not take (lines are checked by their own page)."""
    check_props(page, body)
    for name, target in (("vendorId", "vendors"), ("itemId", "items")):
        if body.get(name) and not exists(target, str(body[name]).lower()):
            raise Refused(
                400,
                "Internal_RecordNotFound",
                f"The {target[:-1]} does not exist. Identification fields and values: Id='{body[name]}'",
            )
    if page.name == "vendors" and body.get("blocked") not in (None, " ", "Payment", "All"):
        raise Refused(400, "BadRequest", f"The value '{body['blocked']}' is not valid for blocked.")
