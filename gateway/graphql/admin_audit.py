"""The admin schema's audit trail: every admin action, newest first; and `audited`, which mutations record with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Optional

import strawberry
from sqlmodel import select
from strawberry.scalars import JSON

from .. import audit
from ..audit import Actor, ActorType, Target
from ..store.log_tables import AuditEvent
from . import admin_paging as paging
from .context import RequestContext
from .described_enum import described

AuditAction = described(
    audit.AuditAction,
    "AuditAction",
    "What an admin action did.",
    {
        "CONNECTION_CREATE": "createConnection: changes hold system, hosting, name, instanceUrl, metadata and "
        "loginFields (the credential fields given, never their values).",
        "CONNECTION_DISCONNECT": "disconnect.",
        "CONNECTION_SYNC": "triggerSync: changes.full.",
        "CONNECTION_TOKEN_ROTATE": "rotateConnectionToken (the token is never kept).",
        "CONNECTION_REAUTHORIZE": "reauthorizeConnection: instanceUrl and loginFields.",
        "CONNECTION_SETTINGS_UPDATE": "updateConnectionSettings: the settings given.",
        "WEBHOOK_CREATE": "createWebhookEndpoint: url (secret-looking query values redacted), events, includeRecord.",
        "WEBHOOK_UPDATE": "updateWebhookEndpoint: the values given.",
        "WEBHOOK_DELETE": "deleteWebhookEndpoint.",
        "WEBHOOK_SECRET_ROTATE": "rotateWebhookSecret: until when the old secret still signs.",
        "WEBHOOK_REDELIVER": "redeliverWebhook: the event's id.",
        "WEBHOOK_TEST": "sendTestWebhook: the delivery's id.",
        "CONNECT_LINK_CREATE": "createConnectSession: its presets and expiry (never the link).",
        "CONNECT_LINK_EXCHANGE": "exchangeConnectCode (neither the code nor the token is kept).",
        "CONNECT_LINK_COMPLETE": "A customer completed a connect link: system, hosting, name.",
        "ADMIN_KEY_CREATE": "An admin key was issued (plantgate create-org, the demo).",
        "ADMIN_KEY_ROTATE": "rotateAdminKey: the retired key is the target, changes.newKeyId the new one.",
        "ADMIN_KEY_RETIRE": "An admin key was retired.",
        "ADMIN_KEY_USE": "An admin key sent requests (recorded once per key and hour per process).",
        "ORGANIZATION_SETTINGS_UPDATE": "updateOrganizationSettings: the settings given (passthrough).",
        "AGENT_CREATE": "createAgent: its name (the key is never kept).",
        "AGENT_KEY_ROTATE": "rotateAgentKey: the old key stopped working and its socket closed.",
        "AGENT_DELETE": "deleteAgent.",
    },
)
AuditActorType = described(
    audit.ActorType,
    "AuditActorType",
    "Who acted.",
    {
        "ADMIN_KEY": "An admin key: actorId is the key's id (never the key).",
        "CONNECT_LINK": "A customer on a connect link: actorId is the connect session's id.",
        "OPERATOR": "The command line (plantgate create-org, the demo) or the gateway's operator.",
    },
)


async def audited(ctx: RequestContext, action: audit.AuditAction, target: Target, changes: Any = None) -> None:
    """Record an admin mutation that just committed, with the key that sent it."""
    actor = Actor(ActorType.ADMIN_KEY, ctx.principal.key_id)
    await audit.audit(ctx.services.store, ctx.principal.organization_id, actor, action, target, changes)


@strawberry.type(name="AuditEvent", description="One admin action: who, what, on what, and the change (no secrets).")
class AuditEventInfo:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    at: datetime = strawberry.field(description="When it happened.")
    action: AuditAction = strawberry.field(description="What was done.")  # type: ignore[valid-type]
    actor_type: AuditActorType = strawberry.field(description="Who did it.")  # type: ignore[valid-type]
    actor_id: Optional[str] = strawberry.field(
        description="The admin key's id (never the key) or the connect session's id; null for the operator."
    )
    target_type: str = strawberry.field(
        description="What it was done to: CONNECTION, WEBHOOK_ENDPOINT, WEBHOOK_DELIVERY, CONNECT_SESSION, ADMIN_KEY, "
        "ORGANIZATION or AGENT."
    )
    target_id: Optional[str] = strawberry.field(description="The target's id.")
    changes: JSON = strawberry.field(
        description="What changed, with secrets removed (credentials: their field names only, as loginFields)."
    )
    request_id: Optional[str] = strawberry.field(description="The gateway request that did it (its X-Request-Id).")

    @classmethod
    def of(cls, row: AuditEvent) -> AuditEventInfo:
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.created_at,
            action=AuditAction(row.action),
            actor_type=AuditActorType(row.actor_type),
            actor_id=row.actor_id,
            target_type=row.target_type,
            target_id=row.target_id,
            changes=JSON(row.changes),
            request_id=row.request_id,
        )


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="The organization's audit trail, newest first, filtered; paged the Relay way. Kept "
        "PLANTGATE_AUDIT_RETENTION_DAYS days (365 unless set)."
    )
    async def audit_events(
        self,
        info: strawberry.Info,
        action: Annotated[
            Optional[AuditAction],  # type: ignore[valid-type]
            strawberry.argument(description="Only this action."),
        ] = None,
        key_id: Annotated[
            Optional[str], strawberry.argument(description="Only actions of this admin key (its id).")
        ] = None,
        target_id: Annotated[Optional[str], strawberry.argument(description="Only actions on this target.")] = None,
        since: paging.Since = None,
        until: paging.Until = None,
        first: paging.First = None,
        after: paging.After = None,
        last: paging.Last = None,
        before: paging.Before = None,
    ) -> paging.List[AuditEventInfo]:
        ctx: RequestContext = info.context
        window = paging.Window(first, after, last, before)
        query = select(AuditEvent).where(AuditEvent.organization_id == ctx.principal.organization_id)
        if action is not None:
            query = query.where(AuditEvent.action == action.value)
        if key_id is not None:
            query = query.where(AuditEvent.actor_type == ActorType.ADMIN_KEY.value, AuditEvent.actor_id == key_id)
        if target_id is not None:
            query = query.where(AuditEvent.target_id == target_id)
        query = paging.between(query, AuditEvent.created_at, since, until)
        store = ctx.services.store
        page = await paging.newest_first(store, query, "audit_event", AuditEvent.created_at, AuditEvent.id, window)
        return paging.listing(page, [AuditEventInfo.of(r) for r in page.rows])
