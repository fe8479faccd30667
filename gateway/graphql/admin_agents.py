"""On-premises agents in the admin schema: issue, rotate and retire their keys; see whether they are online."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import strawberry

from ..agents import registry
from ..audit import AuditAction, Target
from ..store.agent_tables import Agent as AgentRow
from .admin_audit import audited
from .context import RequestContext

AgentId = Annotated[strawberry.ID, strawberry.argument(description="The agent's id.")]


@strawberry.type(description="An on-premises agent: a process in a plant that carries the calls of its connections.")
class Agent:
    id: strawberry.ID = strawberry.field(description="The agent's id (createConnection's agentId).")
    name: str = strawberry.field(description="A name for people, e.g. the plant.")
    key_prefix: str = strawberry.field(description="The start of its current key, to tell keys apart.")
    online: bool = strawberry.field(description="Its socket is open and it sent a heartbeat recently.")
    version: Optional[str] = strawberry.field(description="The agent's release, as it last said (null: never seen).")
    last_heartbeat_at: Optional[datetime] = strawberry.field(description="When it last said it is alive.")
    connected_at: Optional[datetime] = strawberry.field(description="When its current (or last) socket opened.")
    disconnected_at: Optional[datetime] = strawberry.field(description="When its last socket closed.")
    connections_served: list[strawberry.ID] = strawberry.field(
        description="The connections whose calls go through it (not disconnected)."
    )
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def of(cls, row: AgentRow, serving: list[str], heartbeat: float) -> Agent:
        online = registry.online(row, heartbeat)
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            key_prefix=row.key_prefix,
            online=online,
            version=row.version,
            last_heartbeat_at=row.last_heartbeat_at,
            connected_at=row.connected_at,
            disconnected_at=row.disconnected_at if not online else None,
            connections_served=[strawberry.ID(c) for c in serving],
            created_at=row.created_at,
        )


@strawberry.type(description="An agent and its key.")
class AgentWithKey:
    agent: Agent = strawberry.field(description="The agent.")
    key: str = strawberry.field(
        description="The agent key for `plantgate agent` (PLANTGATE_AGENT_KEY). Shown once: store it now."
    )


def _view(ctx: RequestContext, agent_id: str) -> Agent:
    with ctx.services.store.read() as session:
        row = registry.owned(session, ctx.principal.organization_id, agent_id)
        return Agent.of(row, registry.serving(session, row.id), ctx.services.settings.agent_heartbeat_interval)


@strawberry.type
class AgentQuery:
    @strawberry.field(description="The organization's on-premises agents.")
    async def agents(self, info: strawberry.Info) -> Optional[list[Agent]]:
        ctx: RequestContext = info.context
        heartbeat = ctx.services.settings.agent_heartbeat_interval

        def read() -> list[Agent]:
            with ctx.services.store.read() as session:
                rows = registry.listed(session, ctx.principal.organization_id)
                return [Agent.of(r, registry.serving(session, r.id), heartbeat) for r in rows]

        return await ctx.services.store.run(read)

    @strawberry.field(description="One of the organization's agents (NOT_FOUND otherwise).")
    async def agent(self, info: strawberry.Info, id: AgentId) -> Optional[Agent]:
        ctx: RequestContext = info.context
        return await ctx.services.store.run(_view, ctx, str(id))


@strawberry.type
class AgentMutation:
    @strawberry.mutation(description="A new agent for a plant, and its key (shown once).")
    async def create_agent(
        self, info: strawberry.Info, name: Annotated[str, strawberry.argument(description="A name for people.")]
    ) -> Optional[AgentWithKey]:
        ctx: RequestContext = info.context

        def write() -> tuple[str, str]:
            with ctx.services.store.write() as session:
                row, key = registry.create(session, ctx.principal.organization_id, name)
                return row.id, key

        agent_id, key = await ctx.services.store.run(write)
        await audited(ctx, AuditAction.AGENT_CREATE, Target("AGENT", agent_id), {"name": name.strip()})
        return AgentWithKey(agent=await ctx.services.store.run(_view, ctx, agent_id), key=key)

    @strawberry.mutation(
        description="A new key for the agent; the old one stops working now and its open socket closes (4403) "
        "on every gateway process. For a key that may have leaked."
    )
    async def rotate_agent_key(self, info: strawberry.Info, id: AgentId) -> Optional[AgentWithKey]:
        ctx: RequestContext = info.context

        def write() -> str:
            with ctx.services.store.write() as session:
                return registry.rotate(session, ctx.principal.organization_id, str(id))

        key = await ctx.services.store.run(write)
        await ctx.services.agents.revoked(str(id))
        await audited(ctx, AuditAction.AGENT_KEY_ROTATE, Target("AGENT", str(id)))
        return AgentWithKey(agent=await ctx.services.store.run(_view, ctx, str(id)), key=key)

    @strawberry.mutation(
        description="Retire an agent no live connection goes through (BAD_USER_INPUT names those that do); "
        "its key stops working and its socket closes."
    )
    async def delete_agent(self, info: strawberry.Info, id: AgentId) -> Optional[bool]:
        ctx: RequestContext = info.context

        def write() -> None:
            with ctx.services.store.write() as session:
                registry.delete(session, ctx.principal.organization_id, str(id))

        await ctx.services.store.run(write)
        await ctx.services.agents.revoked(str(id))
        await audited(ctx, AuditAction.AGENT_DELETE, Target("AGENT", str(id)))
        return True
