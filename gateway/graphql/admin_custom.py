"""Admin API for a connection's settings: sync interval, custom fields, custom objects, field mappings.

Candidates come live from the connector (service metadata, object structures,
model fields, sampled records) so a UI can offer a picker; the chosen settings
are validated, stored, and take effect on the connection's next request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Optional, TypeVar

import strawberry
from strawberry.scalars import JSON

from connectors.base import Connector
from connectors.registry import connector_class
from schema.entities import BY_NAME
from schema.errors import BadUserInput

from ..audit import AuditAction, Target
from ..connections import owned
from ..customization import parse_fields, parse_objects
from ..remapping import ACCEPTS, check_mappings, new_sources, remappable_fields
from ..requestlog import kinds
from ..requestlog.recorder import BODY_SETTING
from ..store.tables import Connection, utcnow
from ..sync import schedule
from ..writes import write_options_of
from .admin_audit import audited
from .context import RequestContext


@strawberry.type(
    description="A field the connected system has beyond the unified model, as a custom field could map it."
)
class CustomFieldCandidate:
    entity: str = strawberry.field(description="The unified entity the field belongs to.")
    remote_path: str = strawberry.field(
        description="Where the value sits in the system's record (remotePath in customFields)."
    )
    name: str = strawberry.field(description="A suggested GraphQL name.")
    type: str = strawberry.field(
        description="The suggested GraphQL type: String, Int, Float, Boolean, DateTime, JSON or Enum."
    )
    label: str = strawberry.field(description="The system's label for it.")
    filterable: bool = strawberry.field(description="The system can filter on it.")
    writable: bool = strawberry.field(description="The system accepts it on writes.")
    enum_values: list[str] = strawberry.field(description="The values of an Enum field.")


@strawberry.type(description="A table or object type of the connected system that can become a custom object.")
class CustomObjectCandidate:
    remote_name: str = strawberry.field(description="The system's table or object type (remoteName in customObjects).")
    name: str = strawberry.field(description="A suggested GraphQL type name.")
    plural: str = strawberry.field(description="A suggested list field name.")
    id_path: str = strawberry.field(description="Where the record's id sits.")
    label: str = strawberry.field(description="The system's label for it.")
    fields: list[CustomFieldCandidate] = strawberry.field(description="Its fields.")


@strawberry.type(description="A unified field a connection may read from another field of its system.")
class RemappableField:
    name: str = strawberry.field(description="The unified field (field in fieldMappings).")
    type: str = strawberry.field(description="Its GraphQL type: String, Int, Float, Boolean or DateTime.")
    accepts: list[str] = strawberry.field(description="The discovered source types it can be read from.")


@strawberry.type(description="A value a write setting can take.")
class WriteSettingChoice:
    value: str = strawberry.field(description="The value to store.")
    label: str = strawberry.field(description="A label for a picker.")


LOG_BODIES = (
    "Whether the request log keeps the bodies of this connection's calls (redacted: credentials, tokens and "
    "password-like members removed; cut at PLANTGATE_REQUEST_LOG_BODY_BYTES). Off unless set."
)


@strawberry.type(description="A connection's settings.")
class ConnectionSettings:
    sync_interval_seconds: Optional[float] = strawberry.field(
        description="Seconds between syncs (null: the gateway's default)."
    )
    history_days: Optional[int] = strawberry.field(
        description="Days of history a full sync reads (0: all; null: the gateway's default)."
    )
    reconcile_interval_hours: Optional[float] = strawberry.field(
        description="Hours between full passes that find deleted records (null: the default, 24)."
    )
    write_defaults: JSON = strawberry.field(description="{name: value} for the system's write settings.")
    custom_fields: JSON = strawberry.field(
        description="The connection's custom fields (see ConnectionSettingsInput.customFields)."
    )
    custom_objects: JSON = strawberry.field(
        description="The connection's custom objects (see ConnectionSettingsInput.customObjects)."
    )
    log_bodies: bool = strawberry.field(description=LOG_BODIES)
    field_mappings: JSON = strawberry.field(
        description="The connection's field mappings (see ConnectionSettingsInput.fieldMappings), each with "
        "`writable` as the system's discovery says of its source field."
    )

    @classmethod
    def of(cls, settings: dict[str, Any]) -> ConnectionSettings:
        return cls(
            sync_interval_seconds=settings.get("syncIntervalSeconds"),
            history_days=settings.get("historyDays"),
            reconcile_interval_hours=settings.get("reconcileIntervalHours"),
            write_defaults=JSON(settings.get("writeDefaults") or {}),
            custom_fields=JSON(settings.get("customFields") or []),
            custom_objects=JSON(settings.get("customObjects") or []),
            log_bodies=bool(settings.get(BODY_SETTING)),
            field_mappings=JSON(settings.get("fieldMappings") or []),
        )


@strawberry.input(description="Settings to change: only the fields given change (null restores the default).")
class ConnectionSettingsInput:
    sync_interval_seconds: Optional[float] = strawberry.field(
        default=strawberry.UNSET, description="Seconds between syncs (at least the gateway's minimum)."
    )
    history_days: Optional[int] = strawberry.field(
        default=strawberry.UNSET,
        description="Days of history a full sync reads where the system filters by a modified time (0: the whole "
        "history; null: the gateway's default). Takes effect at the next full pass (triggerSync(full: true)).",
    )
    reconcile_interval_hours: Optional[float] = strawberry.field(
        default=strawberry.UNSET,
        description="Hours between full passes that find records deleted upstream (null: the gateway's default, 24).",
    )
    write_defaults: Optional[JSON] = strawberry.field(
        default=strawberry.UNSET,
        description="{name: value} for the system's write settings (see System.writeSettings, e.g. SAP companyCode, "
        "Maximo siteId); each mutation may override them with writeOptions. Replaces the object.",
    )
    custom_fields: Optional[JSON] = strawberry.field(
        default=strawberry.UNSET,
        description="[{entity, name, type (String|Int|Float|Boolean|DateTime|JSON|Enum), remotePath, "
        "enumValues?, filterable?, writable?, description?}] — replaces the list.",
    )
    custom_objects: Optional[JSON] = strawberry.field(
        default=strawberry.UNSET,
        description="[{name, plural?, remoteName, idPath, displayPath?, fields: [{name, type, remotePath}]}] — replaces the list.",
    )
    log_bodies: Optional[bool] = strawberry.field(default=strawberry.UNSET, description=LOG_BODIES)
    field_mappings: Optional[JSON] = strawberry.field(
        default=strawberry.UNSET,
        description="[{entity, field, remotePath, filterable?}]: read the unified `field` of `entity` from the "
        "system's `remotePath` (one customFieldCandidates offers, of a type the field holds; see remappableFields), "
        "live and in the replica; written there where the system writes it; `filterable` adds an equality filter. "
        "Replaces the list; a new source field requests a full sync.",
    )


ConnectionId = Annotated[strawberry.ID, strawberry.argument(description="The connection's id.")]
T = TypeVar("T")


def _ctx(info: strawberry.Info) -> RequestContext:
    return info.context


async def _established(info: strawberry.Info, id: strawberry.ID) -> Connection:
    """The organization's connection, once it has a system and credentials (not a pending link)."""
    ctx = _ctx(info)
    row = await ctx.services.store.run(ctx.services.connections.get, ctx.principal.organization_id, str(id))
    if row.status in ("PENDING", "DISCONNECTED") or connector_class(row.system) is None:
        raise BadUserInput(
            f"connection {id} is {row.status.lower()}: its settings apply once it is connected", field="id"
        )
    return row


async def _discover(info: strawberry.Info, id: strawberry.ID, ask: Callable[[Connector], Awaitable[T]]) -> T:
    """`ask` the connection's connector about its system; its calls are logged as DISCOVERY."""
    connector = await _ctx(info).services.pool.get(await _established(info, id))
    with kinds.calling(kinds.DISCOVERY):
        return await ask(connector)


def _widens(before: dict[str, Any], after: dict[str, Any], default: int) -> bool:
    """Does the replica's history window now reach further back (0 is the whole history)?"""
    old, new = int(before.get("historyDays", default)), int(after.get("historyDays", default))
    return old != new and (new == 0 or (old != 0 and new > old))


def _candidate(c: Any) -> CustomFieldCandidate:
    return CustomFieldCandidate(**{**dataclasses.asdict(c), "enum_values": list(c.enum_values)})


@strawberry.type
class CustomQuery:
    @strawberry.field(description="Fields of an entity the connected system has beyond the unified model.")
    async def custom_field_candidates(
        self,
        info: strawberry.Info,
        id: ConnectionId,
        entity: Annotated[str, strawberry.argument(description="The unified entity, e.g. WorkOrder.")],
    ) -> Optional[list[CustomFieldCandidate]]:
        async def ask(connector: Connector) -> list[Any]:
            connector.require(entity)
            return list(await connector.discover_fields(entity))

        return [_candidate(c) for c in await _discover(info, id, ask)]

    @strawberry.field(description="Tables / object types of the connected system that can become custom objects.")
    async def custom_object_candidates(
        self, info: strawberry.Info, id: ConnectionId
    ) -> Optional[list[CustomObjectCandidate]]:
        found = await _discover(info, id, lambda connector: connector.discover_objects())
        return [
            CustomObjectCandidate(
                remote_name=o.remote_name,
                name=o.name,
                plural=o.plural,
                id_path=o.id_path,
                label=o.label,
                fields=[_candidate(f) for f in o.fields],
            )
            for o in found
        ]

    @strawberry.field(description="The fields of a unified entity a connection may remap (fieldMappings).")
    def remappable_fields(
        self,
        entity: Annotated[str, strawberry.argument(description="The unified entity, e.g. WorkOrder.")],
    ) -> Optional[list[RemappableField]]:
        if entity not in BY_NAME:
            raise BadUserInput(f"unknown entity '{entity}'", field="entity")
        return [
            RemappableField(name=f.name, type=str(f.type), accepts=sorted(ACCEPTS[str(f.type)]))
            for f in remappable_fields(entity)
        ]

    @strawberry.field(description="Values the connected system offers for one of its write settings (for a picker).")
    async def write_setting_choices(
        self,
        info: strawberry.Info,
        id: ConnectionId,
        name: Annotated[str, strawberry.argument(description="The write setting (see System.writeSettings).")],
    ) -> Optional[list[WriteSettingChoice]]:
        async def ask(connector: Connector) -> list[tuple[str, str]]:
            if name not in {s.name for s in connector.write_settings}:
                raise BadUserInput(f"{connector.entry.name} has no write setting '{name}'", field="name")
            return list(await connector.write_setting_choices(name))

        return [WriteSettingChoice(value=v, label=label) for v, label in await _discover(info, id, ask)]

    @strawberry.field(description="A connection's settings.")
    async def connection_settings(self, info: strawberry.Info, id: ConnectionId) -> Optional[ConnectionSettings]:
        ctx = _ctx(info)
        row = await ctx.services.store.run(ctx.services.connections.get, ctx.principal.organization_id, str(id))
        return ConnectionSettings.of(row.settings)


@strawberry.type
class CustomMutation:
    @strawberry.mutation(
        description="Change a connection's settings; custom fields, objects and field mappings apply from the next request."
    )
    async def update_connection_settings(
        self,
        info: strawberry.Info,
        id: ConnectionId,
        input: Annotated[ConnectionSettingsInput, strawberry.argument(description="The settings to change.")],
    ) -> Optional[ConnectionSettings]:
        ctx = _ctx(info)
        services = ctx.services
        row = await _established(info, id)
        connector = connector_class(row.system)
        assert connector is not None  # an established connection's system is registered
        entry = connector.entry
        changes: dict[str, Any] = {}
        if input.sync_interval_seconds is not strawberry.UNSET:
            interval = input.sync_interval_seconds
            if interval is not None and not services.settings.min_sync_interval <= interval <= 31 * 86400:
                raise BadUserInput(
                    f"syncIntervalSeconds must be between {services.settings.min_sync_interval:g} and {31 * 86400}",
                    field="syncIntervalSeconds",
                )
            changes["syncIntervalSeconds"] = interval
        if input.history_days is not strawberry.UNSET:
            if input.history_days is not None and not 0 <= input.history_days <= 36500:
                raise BadUserInput("historyDays must be between 0 (everything) and 36500", field="historyDays")
            changes["historyDays"] = input.history_days
        if input.reconcile_interval_hours is not strawberry.UNSET:
            hours = input.reconcile_interval_hours
            if hours is not None and not 1 <= hours <= 31 * 24:
                raise BadUserInput(
                    f"reconcileIntervalHours must be between 1 and {31 * 24}", field="reconcileIntervalHours"
                )
            changes["reconcileIntervalHours"] = hours
        if input.write_defaults is not strawberry.UNSET:
            changes["writeDefaults"] = write_options_of(connector, input.write_defaults or {}, "writeDefaults")
        if input.custom_fields is not strawberry.UNSET:
            parse_fields(input.custom_fields or [], entry)
            changes["customFields"] = input.custom_fields or []
        if input.log_bodies is not strawberry.UNSET:
            changes[BODY_SETTING] = input.log_bodies or None  # off is the default: not stored
        if input.custom_objects is not strawberry.UNSET:
            parse_objects(input.custom_objects or [])
            changes["customObjects"] = input.custom_objects or []
        if input.field_mappings is not strawberry.UNSET:
            changes["fieldMappings"] = await check_mappings(input.field_mappings or [], await services.pool.get(row))

        def store() -> Connection:
            with services.store.write() as session:
                connection = owned(session, ctx.principal.organization_id, str(id), lock=True)
                before = connection.settings or {}
                merged = {**before, **changes}
                connection.settings = {k: v for k, v in merged.items() if v is not None}
                if new_sources(before.get("fieldMappings"), connection.settings.get("fieldMappings")):
                    schedule.request(session, connection.id, full=True)  # stored raw records may lack them
                elif _widens(before, connection.settings, services.settings.history_days):
                    schedule.request(session, connection.id, full=True)  # older records are not replicated yet
                connection.updated_at = utcnow()  # the connector and schema are rebuilt from it
                session.add(connection)
                return connection

        updated = await services.store.run(store)
        await audited(ctx, AuditAction.CONNECTION_SETTINGS_UPDATE, Target("CONNECTION", updated.id), changes)
        return ConnectionSettings.of(updated.settings)
