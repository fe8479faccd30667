"""The JSON bodies SAP Gateway answers with: collections, single entities and errors.

A collection is `{"d": {"results": [...], "__count": "n", "__next": url}}` (v1
services send a bare `{"d": [...]}`), an entity `{"d": {...}}`, an error
`{"error": {"code", "message": {"lang", "value"}}}`; a navigation not expanded is
`{"__deferred": {"uri": ...}}`. A body of another shape is
an upstream failure, not an empty answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from schema.errors import SystemUnreachable

from ..http import default_error_message


@dataclass
class Collection:
    """One page of an entity set as the server sent it."""

    results: list[dict[str, Any]]
    count: int | None = None
    next_url: str | None = None

    def more(self, skip: int, top: int) -> bool:
        """Whether rows follow this page, read at `skip` with `$top=top`: by `__count` (which counts from
        the page's cursor on) when sent, else by `__next` or a full page."""
        if self.count is not None:
            return skip + len(self.results) < self.count
        return bool(self.next_url) or len(self.results) >= top


def read_collection(body: Any, system: str) -> Collection:
    """`{"d": {"results": [...], "__count": "n", "__next": url}}` (or v1's bare `{"d": [...]}`)."""
    d = body.get("d") if isinstance(body, dict) else None
    if isinstance(d, list):
        return Collection(d)
    if not isinstance(d, dict) or not isinstance(d.get("results"), list):
        raise SystemUnreachable(f"{system} sent a collection without 'd.results'")
    count = d.get("__count")
    return Collection(d["results"], int(count) if count not in (None, "") else None, d.get("__next"))


def read_entity(body: Any, system: str) -> dict[str, Any]:
    d = body.get("d") if isinstance(body, dict) else None
    if not isinstance(d, dict):
        raise SystemUnreachable(f"{system} sent an entity without 'd'")
    return d


def inline(entity: dict[str, Any], navigations: tuple[str, ...]) -> bool:
    """Whether an entity carries these navigations expanded: a deferred one is only
    `{"__deferred": {"uri": ...}}`, as after a create whose answer does not repeat what was inserted."""

    def deferred(value: Any) -> bool:
        return isinstance(value, dict) and "__deferred" in value

    return all(name in entity and not deferred(entity[name]) for name in navigations)


def error_message(response: httpx.Response) -> str:
    """`{"error": {"code", "message": {"lang", "value"}}}` → the value; else the generic text."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, dict) and isinstance(message.get("value"), str):
            return message["value"]
        if isinstance(message, str):
            return message
    return default_error_message(response)
