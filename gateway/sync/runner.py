"""One connection's sync: each entity page by page into the replica, then the outcome.

Every page is upserted, its cursor saved and the lease renewed in one
transaction, so a crash or an outage mid-sync loses nothing and duplicates
nothing: the next run resumes from the last committed page.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from connectors.base import Connector, ListQuery
from schema.entities import BY_NAME
from schema.errors import PlantgateError, RateLimited, SystemAuthFailed, SystemUnreachable

from .. import replica
from ..metrics import SYNC_FAILURES, SYNC_RECORDS, SYNC_RUNS
from ..services import Services
from ..status import ACTIVE, DISCONNECTED, REAUTH_REQUIRED, UNREACHABLE, set_status
from ..store.event_tables import Event
from ..store.sync_tables import SyncSchedule, SyncState
from ..store.tables import Connection, utcnow
from . import schedule, statistics
from .backoff import full_jitter, retry_after, with_jitter

log = logging.getLogger("plantgate.sync")
FULL, INCREMENTAL = "FULL", "INCREMENTAL"


@dataclass
class Outcome:
    status: str | None  # connection status to move to (None: unchanged)
    next_delay: float | None  # None: not rescheduled until someone acts (re-auth)
    failures: int
    error: str | None = None


def readable(connector: Connector) -> list[str]:
    return [name for name, cap in connector.entry.capabilities.items() if cap.read]


def _utc(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


class SyncRunner:
    """Runs syncs for the connections this process holds leases on."""

    def __init__(self, services: Services, owner: str) -> None:
        self.services = services
        self.owner = owner
        self.settings = services.settings

    async def run(self, connection_id: str) -> None:
        claimed_at = utcnow()
        store = self.services.store
        connection, plan = await store.run(self._load, connection_id)
        if connection is None or connection.status == DISCONNECTED:
            await store.run(self._release, connection_id, None, 0, False, claimed_at)
            return
        full = plan.full_requested
        try:
            connector = await self.services.pool.get(connection)
            totals = {}
            for entity in readable(connector):
                totals[entity] = await self._sync_entity(connection, connector, entity, full)
        except schedule.LeaseLost:
            log.warning("lost the sync lease of %s; another process continues", connection_id)
            return
        except PlantgateError as exc:
            SYNC_RUNS.labels(outcome="failed").inc()
            SYNC_FAILURES.labels(code=exc.code).inc()
            outcome = self._failure(exc, plan.failures + 1, connection)
            await self._finish(connection, outcome, "sync.failed", {"error": exc.message, "code": exc.code}, claimed_at, False)
            return
        except Exception:  # noqa: BLE001 - a bug must not stop the scheduler
            log.exception("sync of %s failed", connection_id)
            SYNC_RUNS.labels(outcome="failed").inc()
            SYNC_FAILURES.labels(code="INTERNAL").inc()
            outcome = Outcome(None, self._backoff(plan.failures + 1), plan.failures + 1, "internal error")
            await self._finish(connection, outcome, "sync.failed", {"error": "internal error", "code": "INTERNAL"}, claimed_at, False)
            return
        SYNC_RUNS.labels(outcome="succeeded").inc()
        outcome = Outcome(ACTIVE, with_jitter(self._interval(connection), self.settings.sync_jitter), 0)
        await self._finish(connection, outcome, "sync.completed", {"mode": FULL if full else INCREMENTAL, "records": totals}, claimed_at, full)

    # -- one entity ---------------------------------------------------------

    async def _sync_entity(self, connection: Connection, connector: Connector, entity: str, full: bool) -> int:
        store = self.services.store
        state = await store.run(self._begin, connection, entity, full)
        status_field = BY_NAME[entity].status_field if entity in BY_NAME else None
        query = ListQuery(updated_after=_utc(state.run_since))
        cursor = state.cursor
        pages = 0
        while True:
            try:
                page = await connector.list_page(entity, query, cursor, self.settings.sync_page_size)
            except PlantgateError as exc:
                await store.run(self._entity_failed, connection.id, entity, exc.message)
                raise
            last = page.next_cursor is None
            events = await store.run(self._commit_page, connection, entity, page.records, page.next_cursor, last, status_field)
            SYNC_RECORDS.labels(entity=entity).inc(len(page.records))
            await self.services.bus.publish(*events)
            pages += 1
            if pages == statistics.AFTER_PAGES and not last:  # a large pass: make sure the planner knows
                await store.run(statistics.refresh_if_stale, store.engine)
            if last:
                return state.records_synced + len(page.records)
            cursor = page.next_cursor

    def _load(self, connection_id: str) -> tuple[Connection | None, SyncSchedule]:
        with self.services.store.read() as session:
            return session.get(Connection, connection_id), session.get(SyncSchedule, connection_id) or SyncSchedule(connection_id=connection_id)

    def _begin(self, connection: Connection, entity: str, full: bool) -> SyncState:
        """Resume a run that was cut off, or start a new one."""
        with self.services.store.write() as session:
            schedule.renew(session, connection.id, self.owner, self.settings.lease_ttl)
            state = session.get(SyncState, (connection.id, entity))
            if state is None:
                state = SyncState(connection_id=connection.id, entity=entity)
            if state.state == "RUNNING" and state.run_id and not full:
                return state  # resume from the last committed page
            now = utcnow()
            mode = FULL if full or state.watermark is None else INCREMENTAL
            days = int(connection.settings.get("historyDays", self.settings.history_days))
            since = now - timedelta(days=days) if mode == FULL else _utc(state.watermark) - timedelta(seconds=self.settings.sync_overlap)
            state.state, state.run_id, state.mode = "RUNNING", uuid.uuid4().hex, mode
            state.cursor, state.run_since, state.run_started_at = None, since, now
            state.last_started_at, state.last_error, state.records_synced = now, None, 0
            session.add(state)
            return state

    def _commit_page(
        self, connection: Connection, entity: str, records: list, next_cursor: str | None, last: bool, status_field: str | None
    ) -> list[Event]:
        events: list[Event] = []
        bus = self.services.bus
        with self.services.store.write() as session:
            schedule.renew(session, connection.id, self.owner, self.settings.lease_ttl)
            state = session.get(SyncState, (connection.id, entity))
            assert state is not None and state.run_id
            # The first pass of an entity is a load, not a change: no record.changed flood.
            loaded_before = state.watermark is not None
            changed = replica.upsert(session, connection.id, records, state.run_id, status_field)
            state.cursor = next_cursor
            state.records_synced += len(records)
            deleted: list[str] = []
            if last:
                if state.mode == FULL:
                    deleted = replica.mark_deleted(session, connection.id, entity, state.run_id, _utc(state.run_since))
                state.state, state.cursor, state.watermark = "SUCCEEDED", None, state.run_started_at
                state.last_succeeded_at = utcnow()
            session.add(state)
            if loaded_before and (changed or deleted) and bus.has_listeners(session, connection.organization_id, "record.changed"):
                for record in changed:
                    events.append(bus.record(session, connection.organization_id, "record.changed",
                                             {"entity": entity, "remoteId": record.remote_id, "change": "upserted"}, connection.id))
                for remote_id in deleted:
                    events.append(bus.record(session, connection.organization_id, "record.changed",
                                             {"entity": entity, "remoteId": remote_id, "change": "deleted"}, connection.id))
        return events

    def _entity_failed(self, connection_id: str, entity: str, error: str) -> None:
        with self.services.store.write() as session:
            state = session.get(SyncState, (connection_id, entity))
            if state is not None:
                state.last_error = error[:1000]
                session.add(state)  # still RUNNING: the next run resumes from its cursor

    # -- outcome ------------------------------------------------------------

    def _interval(self, connection: Connection) -> float:
        wanted = float(connection.settings.get("syncIntervalSeconds", self.settings.sync_interval))
        return max(self.settings.min_sync_interval, wanted)

    def _backoff(self, failures: int) -> float:
        return full_jitter(failures, self.settings.backoff_base, self.settings.backoff_cap)

    def _failure(self, exc: PlantgateError, failures: int, connection: Connection) -> Outcome:
        if isinstance(exc, SystemAuthFailed):
            return Outcome(REAUTH_REQUIRED, None, failures, exc.message)  # no hammering: wait for re-auth
        if isinstance(exc, RateLimited):
            delay = retry_after(exc.retry_after, self.settings.retry_after_cap, self._backoff(failures))
            return Outcome(None, delay, failures, exc.message)
        if isinstance(exc, SystemUnreachable):
            return Outcome(UNREACHABLE, self._backoff(failures), failures, exc.message)
        return Outcome(None, self._backoff(failures), failures, exc.message)

    async def _finish(
        self, connection: Connection, outcome: Outcome, event_type: str, data: dict, claimed_at: datetime, full_done: bool
    ) -> None:
        events = await self.services.store.run(self._record_outcome, connection.id, outcome, event_type, data, claimed_at, full_done)
        await self.services.bus.publish(*events)

    def _record_outcome(
        self, connection_id: str, outcome: Outcome, event_type: str, data: dict, claimed_at: datetime, full_done: bool
    ) -> list[Event]:
        bus = self.services.bus
        with self.services.store.write() as session:
            connection = session.get(Connection, connection_id)
            if connection is None:
                return []
            events: list[Event] = []
            if outcome.status:
                reason = outcome.error or "sync succeeded"
                events += set_status(session, bus, connection, outcome.status, reason)
            next_run = None if outcome.next_delay is None else utcnow() + timedelta(seconds=outcome.next_delay)
            if connection.status == DISCONNECTED:
                next_run = None
            released = self._release_in(session, connection_id, next_run, outcome.failures, full_done, claimed_at)
            if released is None:
                return events  # the lease was taken over: the other process reports
            payload = {"connectionId": connection_id, **data}
            if released.next_run_at:
                payload["nextRunAt"] = released.next_run_at.isoformat()
            events.append(bus.record(session, connection.organization_id, event_type, payload, connection_id))
            return events

    def _release(self, connection_id: str, next_run: datetime | None, failures: int, full_done: bool, claimed_at: datetime) -> None:
        with self.services.store.write() as session:
            self._release_in(session, connection_id, next_run, failures, full_done, claimed_at)

    def _release_in(self, session, connection_id, next_run, failures, full_done, claimed_at):  # noqa: ANN001, ANN202
        row = session.get(SyncSchedule, connection_id)
        if row is not None and row.next_run_at is not None and _utc(row.next_run_at) > claimed_at:
            next_run = row.next_run_at if next_run is None else min(_utc(row.next_run_at), next_run)  # triggered meanwhile
            full_done = False
        return schedule.release(session, connection_id, self.owner, next_run, failures, full_done)
