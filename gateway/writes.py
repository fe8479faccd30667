"""Writes through one connection: ids resolved, input checked, idempotency kept, replica updated.

Order matters: everything the gateway can check is checked before any upstream
call (entity, operation, ids, the connector's field rules). A create or stock
adjustment sent with an idempotency key is claimed in the store first, so a
retried or concurrent request with the same key never reaches the system twice;
its stored result is returned instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from connectors.base import Connector
from schema.entities import BY_NAME
from schema.errors import BadUserInput, PlantgateError, RateLimited, SystemUnreachable
from schema.record import Record

from . import replica, replica_version
from .ids import parse_global_id
from .store.engine import Store
from .store.tables import Connection, utcnow
from .store.write_tables import IdempotentWrite

PENDING, DONE, UNKNOWN = "PENDING", "DONE", "UNKNOWN"
MAX_KEY = 255
WAIT_FOR_TWIN = 10.0  # seconds a duplicate waits for the first request with its key


def write_options_of(connector: Connector | type[Connector], given: Any, field: str) -> dict[str, str]:
    """Write settings as given (writeOptions or writeDefaults): only the system's, as strings."""
    if given is None:
        return {}
    known = {s.name for s in connector.write_settings}
    if not isinstance(given, dict) or not all(isinstance(v, (str, int)) for v in given.values()):
        raise BadUserInput(f"{field} must be an object of names to string values", field=field)
    unknown = sorted(set(given) - known)
    if unknown:
        offered = ", ".join(sorted(known)) or "none"
        raise BadUserInput(
            f"{connector.entry.name} has no write setting {unknown[0]!r} (it takes: {offered})",
            field=f"{field}.{unknown[0]}",
        )
    return {k: str(v) for k, v in given.items() if v not in (None, "")}


class Writer:
    """The write path of one connection for one request."""

    def __init__(
        self,
        connection: Connection,
        connector: Connector,
        store: Store,
        upstream: Callable[..., Awaitable[Any]],
    ) -> None:
        self.connection = connection
        self.connector = connector
        self.store = store
        self.upstream = upstream

    # -- ids --------------------------------------------------------------------

    def remote_id(self, value: str, entity: str, argument: str = "id") -> str:
        """A global id of this connection's `entity`, or a remote id as given; checked before any upstream call."""
        if not isinstance(value, str):
            raise BadUserInput(f"'{argument}' is not an id of a {entity}", field=argument)
        try:
            connection_id, kind, remote_id = parse_global_id(value)
        except BadUserInput:
            remote_id = value
        else:
            if connection_id != self.connection.id or kind != entity:
                raise BadUserInput(f"'{argument}' is not the id of a {entity} of this connection", field=argument)
        self.connector.check_id(entity, remote_id, argument)
        return remote_id

    def resolve_refs(self, entity: str, values: dict[str, Any]) -> dict[str, Any]:
        """Relation inputs (global or remote ids) as remote ids, lines included."""
        definition = BY_NAME[entity]
        out = dict(values)
        for relation in definition.relations:
            if out.get(relation.name) is not None:
                given = out[relation.name]
                out[relation.name] = (
                    [self.remote_id(v, relation.target, relation.name) for v in given]
                    if relation.many
                    else self.remote_id(given, relation.target, relation.name)
                )
        for component in definition.components:
            items = out.get(component.name)
            if isinstance(items, list):
                out[component.name] = [self._line_refs(component.embedded.relations, item) for item in items]
        return out

    def _line_refs(self, relations: Any, item: dict[str, Any]) -> dict[str, Any]:
        item = dict(item)
        for relation in relations:
            if item.get(relation.name) is not None:
                item[relation.name] = self.remote_id(item[relation.name], relation.target, relation.name)
        return item

    # -- operations ---------------------------------------------------------------

    async def write(
        self,
        operation: str,
        entity: str,
        id: str | None,
        values: dict[str, Any],
        if_match: str | None,
        idempotency_key: str | None,
        write_options: dict[str, Any] | None = None,
    ) -> tuple[Record, bool]:
        options = write_options_of(self.connector, write_options, "writeOptions")
        if entity not in BY_NAME or not (BY_NAME[entity].writable or operation == "adjust"):
            raise BadUserInput(f"{entity} cannot be written", field="entity")
        remote_id = self.remote_id(id, entity, "partId" if operation == "adjust" else "id") if id is not None else None
        if operation == "adjust":
            location = values.get("location") and self.remote_id(values["location"], "Location", "locationId")
            values = {**values, "location": location}
        else:
            values = self.resolve_refs(entity, values)
        self.connector.check_write(operation, entity, values)
        if operation == "update" and not values:
            raise BadUserInput("nothing to update: give at least one field", field="input")
        send = self._sender(operation, entity, remote_id, values, if_match, options)
        if idempotency_key is None or operation in ("update", "delete"):
            return await self._apply(operation, entity, remote_id, send), False
        return await self._idempotent(idempotency_key, operation, entity, remote_id, {**values, **options}, send)

    def _sender(
        self,
        operation: str,
        entity: str,
        remote_id: str | None,
        values: dict[str, Any],
        if_match: str | None,
        options: dict[str, str],
    ) -> Callable[[], Awaitable[Any]]:
        c = self.connector
        if operation == "create":
            return lambda: c.create(entity, values, options)
        if operation == "update":
            return lambda: c.update(entity, remote_id or "", values, if_match, options)
        if operation == "delete":
            return lambda: c.delete(entity, remote_id or "", if_match)
        if operation == "adjust":
            return lambda: c.adjust_stock(remote_id or "", values.get("location"), float(values["delta"]))
        raise BadUserInput(f"unknown operation '{operation}'")

    async def _apply(
        self, operation: str, entity: str, remote_id: str | None, send: Callable[[], Awaitable[Any]]
    ) -> Record:
        result = await self.upstream(send)
        if operation == "delete":
            if isinstance(result, Record):  # soft delete: the system keeps the record, marked deleted
                await self.store.run(self._replica_upsert, result)
                return result
            record = Record(entity, remote_id or "", {"remoteId": remote_id, "deletedAt": utcnow()})
            await self.store.run(self._replica_delete, entity, remote_id)
            return record
        await self.store.run(self._replica_upsert, result)
        return result

    def _replica_upsert(self, record: Record) -> None:
        with self.store.write() as session:
            status_field = BY_NAME[record.entity].status_field if record.entity in BY_NAME else None
            if replica.upsert(session, self.connection.id, [record], "write", status_field):
                replica_version.bump(session, self.connection.id, record.entity)

    def _replica_delete(self, entity: str, remote_id: str) -> None:
        with self.store.write() as session:
            replica.mark_gone(session, self.connection.id, entity, [remote_id])
            replica_version.bump(session, self.connection.id, entity)

    # -- idempotency --------------------------------------------------------------

    async def _idempotent(
        self,
        key: str,
        operation: str,
        entity: str,
        remote_id: str | None,
        values: dict[str, Any],
        send: Callable[[], Awaitable[Any]],
    ) -> tuple[Record, bool]:
        if not 1 <= len(key) <= MAX_KEY:
            raise BadUserInput(f"idempotencyKey must be 1 to {MAX_KEY} characters", field="idempotencyKey")
        fingerprint = _fingerprint(operation, entity, remote_id, values)
        stored = await self.store.run(self._claim, key, entity, fingerprint)
        deadline = asyncio.get_running_loop().time() + WAIT_FOR_TWIN
        while stored is not None and stored.state == PENDING and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)  # a twin request is sending it: wait for its result
            stored = await self.store.run(self._claim, key, entity, fingerprint)
        if stored is not None:
            return self._replay(stored), True
        try:
            record = await self._apply(operation, entity, remote_id, send)
        except PlantgateError as exc:
            unknown = isinstance(exc, SystemUnreachable) and exc.extensions.get("outcome") == "UNKNOWN"
            await self.store.run(self._settle, key, UNKNOWN if unknown else None, None)
            raise
        except BaseException:
            await self.store.run(self._settle, key, UNKNOWN, None)
            raise
        await self.store.run(self._settle, key, DONE, record)
        return record, False

    def _claim(self, key: str, entity: str, fingerprint: str) -> IdempotentWrite | None:
        """None when this request now owns the key; else the row of the request that does."""
        try:
            with self.store.write() as session:
                existing = session.get(IdempotentWrite, (self.connection.id, key))
                if existing is None:
                    session.add(
                        IdempotentWrite(
                            connection_id=self.connection.id, key=key, request_hash=fingerprint, entity=entity
                        )
                    )
                    return None
        except IntegrityError:  # a twin inserted it between our read and our insert
            with self.store.read() as session:
                existing = session.get(IdempotentWrite, (self.connection.id, key))
        if existing is None:  # pragma: no cover - the twin's row is there once it conflicted
            raise RateLimited("retry this request", retry_after=1)
        if existing.request_hash != fingerprint:
            raise BadUserInput(
                "this idempotencyKey was used for a different request; use a new key", field="idempotencyKey"
            )
        return existing

    def _settle(self, key: str, state: str | None, record: Record | None) -> None:
        """DONE with the result, UNKNOWN (never resend), or None: forget the key so a retry may send."""
        with self.store.write() as session:
            row = session.get(IdempotentWrite, (self.connection.id, key))
            if row is None:
                return
            if state is None:
                session.delete(row)
                return
            row.state, row.updated_at = state, utcnow()
            if record is not None:
                row.remote_id = record.remote_id
                row.result = {"values": replica.encode(record.values), "remoteData": replica.encode(record.remote_data)}
            session.add(row)

    def _replay(self, row: IdempotentWrite) -> Record:
        if row.state == DONE and row.result is not None:
            values = replica.decode(row.result["values"])
            return Record(row.entity, row.remote_id or "", values, replica.decode(row.result["remoteData"]))
        if row.state == UNKNOWN:
            raise SystemUnreachable(
                f"an earlier request with this idempotencyKey may have reached {self.connector.entry.name} "
                "but its answer was lost; check the system before retrying with a new key",
                outcome="UNKNOWN",
            )
        raise RateLimited("an earlier request with this idempotencyKey is still running; retry shortly", retry_after=1)


def _fingerprint(operation: str, entity: str, remote_id: str | None, values: dict[str, Any]) -> str:
    body = json.dumps([operation, entity, remote_id, values], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()
