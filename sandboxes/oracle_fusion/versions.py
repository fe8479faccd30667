"""A resource item's change indicator, as Fusion's REST framework hands it out and checks it.

Documented: a `GET` of one resource item answers its ETag in the `ETag` header; the same value is the
`changeIndicator` in the properties of an item's `self` link; a `PATCH` with `If-Match` is refused
with 412 when the item changed since (docs/vendors/oracle_fusion.md, [ETAG], [VERIFY]). How Fusion
derives the value is its own (an opaque hex string); here it is a digest of the item's attributes, so
any change to the item, a touch included, gives it a new one.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def change_indicator(record: dict[str, Any]) -> str:
    """The item's opaque version: upper-case hex, as Fusion's change indicators read."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest().upper()


def etag(record: dict[str, Any]) -> str:
    """The `ETag` header of the item: its change indicator, quoted."""
    return f'"{change_indicator(record)}"'


def if_match_holds(header: str | None, record: dict[str, Any]) -> bool:
    """Whether a write's `If-Match` (absent, `*`, or a list of tags) names the item as it is now."""
    if header is None:
        return True
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    current = change_indicator(record)
    return "*" in tags or any(tag.removeprefix("W/").strip('"') == current for tag in tags)
