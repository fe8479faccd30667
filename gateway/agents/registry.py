"""Agents in the store: keys issued once and kept hashed, and each socket's presence.

Every transition of shared state (a rotation, a heartbeat, taking or releasing
the socket) is one conditional UPDATE, so two processes cannot both win it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from schema.errors import BadUserInput, NotFound

from ..auth import hash_secret, new_secret
from ..status import DISCONNECTED
from ..store.agent_tables import Agent
from ..store.tables import Connection, utcnow

KEY_PREFIX = "pg_agent_"
MAX_NAME = 200


def create(session: Session, organization_id: str, name: str) -> tuple[Agent, str]:
    """A new agent and its key (the only time the key is seen)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise BadUserInput(f"name must be 1 to {MAX_NAME} characters", field="name")
    key = new_secret(KEY_PREFIX)
    agent = Agent(organization_id=organization_id, name=name, key_hash=hash_secret(key), key_prefix=key[:13])
    session.add(agent)
    session.flush()
    return agent, key


def owned(session: Session, organization_id: str, agent_id: str) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None or agent.organization_id != organization_id or agent.deleted_at is not None:
        raise NotFound(f"no agent '{agent_id}' in this organization")
    return agent


def listed(session: Session, organization_id: str) -> list[Agent]:
    query = select(Agent).where(Agent.organization_id == organization_id, col(Agent.deleted_at).is_(None))
    return list(session.exec(query.order_by(col(Agent.created_at), col(Agent.id))))


def rotate(session: Session, organization_id: str, agent_id: str) -> str:
    """A new key in place of the old one, which stops authenticating now."""
    key = new_secret(KEY_PREFIX)
    changed = session.exec(
        update(Agent)
        .where(
            col(Agent.id) == agent_id, col(Agent.organization_id) == organization_id, col(Agent.deleted_at).is_(None)
        )
        .values(key_hash=hash_secret(key), key_prefix=key[:13])
    ).rowcount
    if changed != 1:
        raise NotFound(f"no agent '{agent_id}' in this organization")
    return key


def delete(session: Session, organization_id: str, agent_id: str) -> Agent:
    """Retire an agent no live connection uses; its key stops authenticating."""
    agent = owned(session, organization_id, agent_id)
    using = serving(session, agent.id)
    if using:
        raise BadUserInput(
            f"connections still go through this agent: {', '.join(using)}; disconnect them first", field="id"
        )
    agent.deleted_at = utcnow()
    agent.key_hash = hash_secret(new_secret(KEY_PREFIX))  # no key of the past authenticates a deleted agent
    session.add(agent)
    return agent


def authenticate(session: Session, key: str) -> Agent | None:
    if not key.startswith(KEY_PREFIX):
        return None
    agent = session.exec(select(Agent).where(Agent.key_hash == hash_secret(key))).first()
    return agent if agent is not None and agent.deleted_at is None else None


def serving(session: Session, agent_id: str) -> list[str]:
    """The connections routed through the agent that are not disconnected."""
    query = select(Connection.id).where(Connection.agent_id == agent_id, col(Connection.status) != DISCONNECTED)
    return list(session.exec(query.order_by(col(Connection.id))))


def serves(session: Session, agent_id: str, organization_id: str, connection_id: str) -> bool:
    connection = session.get(Connection, connection_id)
    return (
        connection is not None
        and connection.agent_id == agent_id
        and connection.organization_id == organization_id
        and connection.status != DISCONNECTED
    )


def attach(session: Session, agent_id: str, key_hash: str, holder: str, version: str) -> bool:
    """This socket holds the agent now (a newer socket replaces an older one); False if the key was revoked."""
    now = utcnow()
    changed = session.exec(
        update(Agent)
        .where(col(Agent.id) == agent_id, col(Agent.key_hash) == key_hash, col(Agent.deleted_at).is_(None))
        .values(holder=holder, version=version[:64], connected_at=now, last_heartbeat_at=now, disconnected_at=None)
    ).rowcount
    return changed == 1


def beat(session: Session, agent_id: str, key_hash: str, holder: str) -> bool:
    """A heartbeat on the socket that holds the agent; False if the key is revoked or another socket took over."""
    changed = session.exec(
        update(Agent)
        .where(
            col(Agent.id) == agent_id,
            col(Agent.key_hash) == key_hash,
            col(Agent.holder) == holder,
            col(Agent.deleted_at).is_(None),
        )
        .values(last_heartbeat_at=utcnow())
    ).rowcount
    return changed == 1


def keyed(session: Session, agent_id: str, key_hash: str) -> bool:
    """The agent still exists with this key (so a failed heartbeat means another socket took over)."""
    agent = session.get(Agent, agent_id)
    return agent is not None and agent.key_hash == key_hash and agent.deleted_at is None


def detach(session: Session, agent_id: str, holder: str) -> bool:
    """The socket closed; True if it still held the agent (not replaced by a newer socket meanwhile)."""
    changed = session.exec(
        update(Agent)
        .where(col(Agent.id) == agent_id, col(Agent.holder) == holder)
        .values(holder=None, disconnected_at=utcnow())
    ).rowcount
    return changed == 1


def online(agent: Agent, heartbeat: float, now: datetime | None = None) -> bool:
    """Held by a socket that beat recently (a process that died holding it stops beating)."""
    if agent.holder is None or agent.last_heartbeat_at is None:
        return False
    last = agent.last_heartbeat_at
    last = last if last.tzinfo else last.replace(tzinfo=(now or utcnow()).tzinfo)
    return (now or utcnow()) - last <= timedelta(seconds=3 * heartbeat)
