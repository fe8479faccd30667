"""The unified fields a live read's query selects, so that mapping its records skips the others.

A 100-row list that selects six of twenty fields would otherwise parse every date and build
every list of each record only to drop them: mapping was the largest part of the gateway's
own CPU on such a read. The gateway names the fields around its upstream list call
(`mapping_only`); `EntityMap.map` of that entity maps only those within it, and the record
maps the rest when asked (`Record.complete`). Nothing else names fields: syncs and writes map
whole records. A context variable, so that no connector's `list_page` signature carries it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_ONLY: ContextVar[tuple[str, frozenset[str]] | None] = ContextVar("mapping_only", default=None)


@contextmanager
def mapping_only(entity: str, names: frozenset[str]) -> Iterator[None]:
    """Within: records of `entity` are mapped for these unified field names only."""
    token = _ONLY.set((entity, names))
    try:
        yield
    finally:
        _ONLY.reset(token)


def only(entity: str) -> frozenset[str] | None:
    """The field names records of `entity` are mapped for here; None: every field."""
    selected = _ONLY.get()
    return selected[1] if selected is not None and selected[0] == entity else None
