"""One connection's sync: each entity page by page into the replica, then the outcome.

Pages are upserted, the cursor after them saved and the lease renewed in one
transaction, so a crash or an outage mid-sync loses nothing and duplicates
nothing: the next run resumes from the last committed page. Pages are read
ahead while the previous ones commit; each transaction takes the pages read
meanwhile (one when the system is the slower side, up to what `read_ahead`
holds when the database is).

Entities fail on their own: a system that is unreachable, rate limiting or
refusing the credentials stops the whole run (the connection's status says so),
but an entity the system refuses or fails to list is recorded as FAILED (or
UNAVAILABLE when its endpoint is missing or forbidden), retried on its own
backoff, and the run goes on with the others; the connection is then DEGRADED.
Entities the system cannot filter by a modified time are read whole on every
pass; the others get a full pass (which also finds deleted records) on the
first run, when asked, and every `reconcile_interval`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.base import Connector, ListQuery
from connectors.tasks import discard
from schema.entities import BY_NAME
from schema.errors import PlantgateError, RateLimited, SystemAuthFailed, SystemRejected, SystemUnreachable

from .. import replica, replica_version
from ..events.records import RECORD_KEY, unified
from ..metrics import SYNC_FAILURES, SYNC_RECORDS, SYNC_RUNS
from ..services import Services
from ..status import ACTIVE, DEGRADED, DISCONNECTED, REAUTH_REQUIRED, UNREACHABLE, locked, set_status
from ..store.event_tables import Event
from ..store.sync_tables import SyncSchedule, SyncState
from ..store.tables import Connection, as_utc, utcnow
from . import page_state, read_ahead, schedule, statistics
from .backoff import full_jitter, retry_after, with_jitter
from .read_ahead import ReadAhead, ReadPage

log = logging.getLogger("plantgate.sync")
FULL, INCREMENTAL = "FULL", "INCREMENTAL"
RUNNING, SUCCEEDED, FAILED, UNAVAILABLE = "RUNNING", "SUCCEEDED", "FAILED", "UNAVAILABLE"
# Errors that concern the whole system, not one entity: they stop the run.
CONNECTION_LEVEL = (SystemUnreachable, SystemAuthFailed, RateLimited)


@dataclass
class Outcome:
    status: str | None  # connection status to move to (None: unchanged)
    next_delay: float | None  # None: not rescheduled until someone acts (re-auth)
    failures: int
    error: str | None = None


@dataclass
class EntityProblem:
    """An entity that did not sync in this run: failed now, or still waiting out its backoff."""

    entity: str
    state: str  # FAILED or UNAVAILABLE
    error: str
    code: str
    retry_at: datetime
    attempted: bool = True

    def as_event(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "state": self.state,
            "error": self.error,
            "code": self.code,
            "retryAt": self.retry_at.isoformat(),
        }


@dataclass
class RunResult:
    records: dict[str, int] = field(default_factory=dict)
    problems: list[EntityProblem] = field(default_factory=list)


def readable(connector: Connector) -> list[str]:
    return [name for name, cap in connector.entry.capabilities.items() if cap.read]


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
        connector: Connector | None = None
        try:
            connector = self.services.pool.open(
                connection
            )  # its own: a settings change mid-run closes nothing under it
            result = RunResult()
            for entity in readable(connector):
                await self._entity(connection, connector, entity, plan, result)
        except schedule.LeaseLost:
            log.warning("lost the sync lease of %s; another process continues", connection_id)
            return
        except PlantgateError as exc:
            SYNC_RUNS.labels(outcome="failed").inc()
            SYNC_FAILURES.labels(code=exc.code).inc()
            outcome = self._failure(exc, plan.failures + 1, connection)
            await self._finish(
                connection, outcome, "sync.failed", {"error": exc.message, "code": exc.code}, claimed_at, False
            )
            return
        except Exception:
            log.exception("sync of %s failed", connection_id)
            SYNC_RUNS.labels(outcome="failed").inc()
            SYNC_FAILURES.labels(code="INTERNAL").inc()
            outcome = Outcome(None, self._backoff(plan.failures + 1), plan.failures + 1, "internal error")
            await self._finish(
                connection, outcome, "sync.failed", {"error": "internal error", "code": "INTERNAL"}, claimed_at, False
            )
            return
        finally:
            if connector is not None:
                await connector.aclose()
        await self._conclude(connection, result, full, claimed_at)

    async def _conclude(self, connection: Connection, result: RunResult, full: bool, claimed_at: datetime) -> None:
        """ACTIVE and `sync.completed` when every entity synced; else DEGRADED, naming the entities."""
        interval = with_jitter(self._interval(connection), self.settings.sync_jitter)
        data: dict[str, Any] = {"mode": FULL if full else INCREMENTAL, "records": result.records}
        if not result.problems:
            SYNC_RUNS.labels(outcome="succeeded").inc()
            await self._finish(connection, Outcome(ACTIVE, interval, 0), "sync.completed", data, claimed_at, True)
            return
        now = utcnow()
        soonest = min((p.retry_at - now).total_seconds() for p in result.problems)
        reason = "; ".join(f"{p.entity} {p.state.lower()}: {p.error}" for p in result.problems)
        outcome = Outcome(DEGRADED, max(1.0, min(interval, soonest)), 0, reason)
        data["entities"] = [p.as_event() for p in result.problems]
        failed_now = [p for p in result.problems if p.attempted]
        if failed_now:
            SYNC_RUNS.labels(outcome="partial").inc()
            for problem in failed_now:
                SYNC_FAILURES.labels(code=problem.code).inc()
            data.update(error=reason, code="ENTITIES_FAILED")
        await self._finish(
            connection, outcome, "sync.failed" if failed_now else "sync.completed", data, claimed_at, True
        )

    # -- one entity ---------------------------------------------------------

    async def _entity(
        self, connection: Connection, connector: Connector, entity: str, plan: SyncSchedule, result: RunResult
    ) -> None:
        """Sync one entity; a failure of its own is recorded and does not stop the run."""
        store = self.services.store
        waiting = await store.run(self._waiting, connection.id, entity, plan)
        if waiting is not None:
            result.problems.append(waiting)
            return
        try:
            result.records[entity] = await self._sync_entity(connection, connector, entity, plan.full_requested)
            return
        except schedule.LeaseLost:
            raise
        except SystemAuthFailed as exc:
            if exc.extensions.get("status") != 403 or not await self._still_admitted(connector):
                raise
            state, error, code = UNAVAILABLE, exc.message, exc.code  # the login works: this entity is forbidden
        except CONNECTION_LEVEL:
            raise
        except SystemRejected as exc:
            state = UNAVAILABLE if exc.extensions.get("status") in (403, 404) else FAILED
            error, code = exc.message, exc.code
        except PlantgateError as exc:
            state, error, code = FAILED, exc.message, exc.code
        except Exception:
            log.exception("sync of %s %s failed", connection.id, entity)
            state, error, code = FAILED, "internal error", "INTERNAL"
        retry_at = await store.run(self._entity_failed, connection.id, entity, state, error)
        result.problems.append(EntityProblem(entity, state, error, code, retry_at))

    async def _still_admitted(self, connector: Connector) -> bool:
        """A 403 on one entity: is it this entity, or the whole login? One cheap check tells."""
        try:
            await connector.check()
        except SystemAuthFailed:
            return False
        return True

    def _waiting(self, connection_id: str, entity: str, plan: SyncSchedule) -> EntityProblem | None:
        """A failed entity waits out its own backoff, unless someone asked for this run."""
        with self.services.store.read() as session:
            state = session.get(SyncState, (connection_id, entity))
        if state is None or state.state not in (FAILED, UNAVAILABLE) or plan.requested or plan.full_requested:
            return None
        retry_at = as_utc(state.retry_at)
        if retry_at is None or retry_at <= utcnow():
            return None
        return EntityProblem(entity, state.state, state.last_error or "", "SYSTEM_REJECTED", retry_at, attempted=False)

    async def _sync_entity(self, connection: Connection, connector: Connector, entity: str, full: bool) -> int:
        store = self.services.store
        incremental = connector.incremental(entity)
        state = await store.run(self._begin, connection, entity, full, incremental)
        status_field = BY_NAME[entity].status_field if entity in BY_NAME else None
        query = ListQuery(updated_after=as_utc(state.run_since) if incremental else None)
        pages = ReadAhead(read_ahead.budget(store.dialect))
        reader = asyncio.create_task(self._read(connector, entity, query, state.cursor, status_field, pages))
        committed, synced = 0, state.records_synced  # pages this run committed; records the pass synced
        analyzing: asyncio.Task[bool] | None = None
        try:
            while True:
                batch = await pages.take()
                rows = batch[0].rows
                for page in batch[1:]:
                    rows.extend(page.rows)
                count = sum(page.read for page in batch)
                next_cursor = batch[-1].next_cursor
                last = next_cursor is None
                events = await store.run(self._commit_page, connection, entity, rows, count, next_cursor, last)
                SYNC_RECORDS.labels(entity=entity).inc(count)
                await self.services.bus.publish(*events)
                before, committed = committed, committed + len(batch)
                if before < statistics.AFTER_PAGES <= committed and not last:  # a large pass: tell the planner
                    # Beside the commits, not between them: on a table a first load has just filled, ANALYZE
                    # took as long as five page transactions, and the pass waited for it.
                    analyzing = asyncio.create_task(store.run(statistics.refresh_if_stale, store.engine))
                synced += count
                if last:
                    if analyzing is not None:
                        await analyzing
                    return synced
        finally:
            for task in (reader, analyzing):
                if task is not None and not task.done():
                    discard(task)

    async def _read(
        self,
        connector: Connector,
        entity: str,
        query: ListQuery,
        cursor: str | None,
        status_field: str | None,
        pages: ReadAhead,
    ) -> None:
        """Read pages ahead of the commits, each prepared as the replica stores it (off the committing
        thread, which the sync waits for); a failure is queued after the pages before it."""
        size = self.settings.sync_page_size
        dialect = self.services.store.engine.dialect
        try:
            async with aclosing(connector.read_pages(entity, query, cursor, size)) as reading:
                async for page in reading:
                    rows = replica.prepare(dialect, entity, page.records, status_field)
                    await pages.put(ReadPage.of(rows, len(page.records), page.next_cursor))
        except Exception as exc:
            pages.fail(exc)

    def _load(self, connection_id: str) -> tuple[Connection | None, SyncSchedule]:
        with self.services.store.read() as session:
            return session.get(Connection, connection_id), session.get(SyncSchedule, connection_id) or SyncSchedule(
                connection_id=connection_id
            )

    def _history_days(self, connection: Connection) -> int:
        return int(connection.settings.get("historyDays", self.settings.history_days))

    def _reconcile_due(self, connection: Connection, state: SyncState, now: datetime) -> bool:
        hours = connection.settings.get("reconcileIntervalHours")
        interval = timedelta(seconds=float(hours) * 3600 if hours is not None else self.settings.reconcile_interval)
        reconciled = as_utc(state.reconciled_at)
        return reconciled is None or now - reconciled >= interval

    def _begin(self, connection: Connection, entity: str, full: bool, incremental: bool) -> SyncState:
        """Resume a pass that was cut off (or failed midway), or start a new one."""
        with self.services.store.write() as session:
            schedule.renew(session, connection.id, self.owner, self.settings.lease_ttl)
            state = session.get(SyncState, (connection.id, entity))
            if state is None:
                state = SyncState(connection_id=connection.id, entity=entity)
            if state.state in (RUNNING, FAILED) and state.run_id and not full:
                state.state = RUNNING
                session.add(state)
                return state  # resume from the last committed page
            now = utcnow()
            days = self._history_days(connection)
            window = now - timedelta(days=days) if days > 0 and incremental else None
            owed = state.state == UNAVAILABLE and state.mode == FULL  # a full pass it missed is still owed
            if (
                not incremental
                or full
                or owed
                or state.watermark is None
                or self._reconcile_due(connection, state, now)
            ):
                mode, since = FULL, window
            else:
                mode, since = INCREMENTAL, as_utc(state.watermark) - timedelta(seconds=self.settings.sync_overlap)
            state.state, state.run_id, state.mode = RUNNING, uuid.uuid4().hex, mode
            state.cursor, state.run_since, state.run_started_at = None, since, now
            state.last_started_at, state.records_synced = now, 0
            session.add(state)
            return state

    def _commit_page(
        self,
        connection: Connection,
        entity: str,
        rows: replica.PageRows,
        count: int,
        next_cursor: str | None,
        last: bool,
    ) -> list[Event]:
        with self.services.store.write() as session:
            schedule.renew(session, connection.id, self.owner, self.settings.lease_ttl)
            run_id, watermark = page_state.running(session, connection.id, entity)
            changed = replica.upsert_rows(session, connection.id, rows, run_id, load=watermark is None)
            gone: list[str] = []
            if last:
                gone = self._end_pass(session, connection.id, entity, count)
            else:
                page_state.advance(session, connection.id, entity, next_cursor, count)
            if changed or gone:
                replica_version.bump(session, connection.id, entity)
            if watermark is None:  # the first pass of an entity is a load, not a change: no record.changed flood
                return []
            return self._record_events(session, connection, entity, changed, gone)

    def _end_pass(self, session: Any, connection_id: str, entity: str, count: int) -> list[str]:
        """The pass's last page: records a full pass did not see are gone; the watermark moves. Returns the gone."""
        state = session.get(SyncState, (connection_id, entity))
        state.records_synced += count
        gone: list[str] = []
        if state.mode == FULL:
            since = as_utc(state.run_since)
            gone = replica.mark_deleted(session, connection_id, entity, state.run_id, since)
            state.reconciled_at, state.history_start = state.run_started_at, since
        state.state, state.cursor, state.watermark = SUCCEEDED, None, state.run_started_at
        state.last_succeeded_at, state.last_error = utcnow(), None
        state.failures, state.retry_at = 0, None
        session.add(state)
        return gone

    def _record_events(
        self, session: Any, connection: Connection, entity: str, changed: list, gone: list[str]
    ) -> list[Event]:
        """`record.changed` for every change (opt-in); `record.deleted` for records deleted upstream."""
        bus = self.services.bus
        org = connection.organization_id
        deleted = gone + [r.remote_id for r in changed if r.values.get("deletedAt") is not None]
        upserted = [r for r in changed if r.values.get("deletedAt") is None]
        events: list[Event] = []
        if (upserted or deleted) and bus.has_listeners(session, org, "record.changed"):
            full = bus.wants_records(session, org)
            events += [
                bus.record(
                    session,
                    org,
                    "record.changed",
                    {"entity": entity, "remoteId": r.remote_id, "change": "upserted"}
                    | ({RECORD_KEY: unified(r)} if full else {}),
                    connection.id,
                )
                for r in upserted
            ]
            events += [
                bus.record(
                    session,
                    org,
                    "record.changed",
                    {"entity": entity, "remoteId": i, "change": "deleted"},
                    connection.id,
                )
                for i in deleted
            ]
        if deleted and bus.has_listeners(session, org, "record.deleted"):
            events += [
                bus.record(session, org, "record.deleted", {"entity": entity, "remoteId": i}, connection.id)
                for i in deleted
            ]
        return events

    def _entity_failed(self, connection_id: str, entity: str, state_name: str, error: str) -> datetime:
        """Record an entity's failure and its own backoff; a FAILED pass resumes from its cursor."""
        with self.services.store.write() as session:
            state = session.get(SyncState, (connection_id, entity)) or SyncState(
                connection_id=connection_id, entity=entity
            )
            state.failures += 1
            # A missing or forbidden endpoint will not appear by itself soon: ask again rarely.
            delay = self.settings.backoff_cap if state_name == UNAVAILABLE else self._backoff(state.failures)
            state.state, state.last_error = state_name, error[:1000]
            state.retry_at = utcnow() + timedelta(seconds=max(1.0, delay))
            if state_name == UNAVAILABLE:
                state.run_id, state.cursor = None, None
            session.add(state)
            return as_utc(state.retry_at)

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
        self,
        connection: Connection,
        outcome: Outcome,
        event_type: str,
        data: dict,
        claimed_at: datetime,
        full_done: bool,
    ) -> None:
        events = await self.services.store.run(
            self._record_outcome, connection.id, outcome, event_type, data, claimed_at, full_done
        )
        await self.services.bus.publish(*events)

    def _record_outcome(
        self, connection_id: str, outcome: Outcome, event_type: str, data: dict, claimed_at: datetime, full_done: bool
    ) -> list[Event]:
        bus = self.services.bus
        with self.services.store.write() as session:
            connection = locked(session, connection_id)  # a disconnect meanwhile wins: no status over it
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

    def _release(
        self, connection_id: str, next_run: datetime | None, failures: int, full_done: bool, claimed_at: datetime
    ) -> None:
        with self.services.store.write() as session:
            self._release_in(session, connection_id, next_run, failures, full_done, claimed_at)

    def _release_in(self, session, connection_id, next_run, failures, full_done, claimed_at):
        row = session.get(SyncSchedule, connection_id)
        if row is not None and row.next_run_at is not None and as_utc(row.next_run_at) > claimed_at:
            next_run = (
                row.next_run_at if next_run is None else min(as_utc(row.next_run_at), next_run)
            )  # triggered meanwhile
            full_done = False
        return schedule.release(session, connection_id, self.owner, next_run, failures, full_done)
