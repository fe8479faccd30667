"""What an upstream call was made for: set by the code path that makes it, read when the call is logged.

A connector is shared by live reads and writes (and passthrough), so the kind
is a context variable the caller sets around its calls; a call outside any of
them takes its connector's default (SYNC for a sync run's own connector,
LIVE_READ for the pooled one, CHECK for a login tried before it is stored).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum


class CallKind(StrEnum):
    SYNC = "SYNC"
    LIVE_READ = "LIVE_READ"
    WRITE = "WRITE"
    PASSTHROUGH = "PASSTHROUGH"
    CHECK = "CHECK"
    DISCOVERY = "DISCOVERY"  # custom field and object candidates, write setting choices


SYNC, LIVE_READ, WRITE = CallKind.SYNC, CallKind.LIVE_READ, CallKind.WRITE
PASSTHROUGH, CHECK, DISCOVERY = CallKind.PASSTHROUGH, CallKind.CHECK, CallKind.DISCOVERY

current_kind: contextvars.ContextVar[CallKind | None] = contextvars.ContextVar("upstream_call_kind", default=None)


@contextmanager
def calling(kind: CallKind) -> Iterator[None]:
    """Upstream calls made inside are logged as `kind`."""
    token = current_kind.set(kind)
    try:
        yield
    finally:
        current_kind.reset(token)
