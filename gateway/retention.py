"""Old request log and audit entries deleted: each kept for its own number of days (0: kept)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col

from .settings import Settings
from .store.engine import Store
from .store.log_tables import AuditEvent, RequestLogEntry
from .store.tables import utcnow

log = logging.getLogger("plantgate.retention")


@dataclass(frozen=True)
class Pruned:
    request_logs: int
    audit_events: int


def prune(store: Store, settings: Settings, now: datetime | None = None) -> Pruned:
    """Delete the entries older than their retention, in one transaction. Blocking: run off the loop."""
    now = now or utcnow()
    with store.write() as session:
        counts = []
        for table, days in (
            (RequestLogEntry, settings.request_log_retention_days),
            (AuditEvent, settings.audit_retention_days),
        ):
            if days <= 0:
                counts.append(0)
                continue
            cutoff = now - timedelta(days=days)
            counts.append(session.exec(delete(table).where(col(table.created_at) < cutoff)).rowcount)
    pruned = Pruned(*counts)
    if pruned.request_logs or pruned.audit_events:
        log.info("pruned %d request log and %d audit entries", pruned.request_logs, pruned.audit_events)
    return pruned


class Retention:
    """The scheduler's pruning job."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    async def run(self) -> None:
        try:
            await self.store.run(prune, self.store, self.settings)
        except Exception:  # the next run tries again
            log.warning("could not prune the request log and audit trail", exc_info=True)
