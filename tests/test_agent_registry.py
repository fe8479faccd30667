"""Agent presence transitions on PostgreSQL: each one conditional, so a late step of an old socket never wins.

An agent that redials lands on any process, possibly before the process holding
its old socket has noticed that socket is dead. The old socket's heartbeat and
its close must then change nothing (and mark nothing offline); a rotated key
must fail the heartbeat of the socket it opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from gateway.agents import registry
from gateway.agents.presence import Presence
from gateway.auth import hash_secret
from gateway.events.broker import LocalBroker
from gateway.events.bus import EventBus
from gateway.organizations import create_organization
from gateway.status import ACTIVE
from gateway.store.agent_tables import Agent
from gateway.store.engine import Store, make_engine, migrate
from gateway.store.tables import Connection


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    engine = make_engine(pg_url)
    migrate(engine)
    made = Store(engine)
    yield made
    made.close()


def _agent(store: Store) -> tuple[str, str]:
    organization = create_organization(store, "Plant", 10).organization.id
    with store.write() as session:
        agent, key = registry.create(session, organization, "Plant 1")
        return agent.id, key


def _step(store: Store, transition, *args):
    with store.write() as session:
        return transition(session, *args)


def test_a_newer_socket_wins_over_the_late_steps_of_an_older_one(store: Store) -> None:
    agent_id, key = _agent(store)
    digest = hash_secret(key)
    assert _step(store, registry.attach, agent_id, digest, "process-a/1", "0.1.0")
    assert _step(store, registry.attach, agent_id, digest, "process-b/2", "0.1.0")  # redialled elsewhere
    assert not _step(store, registry.beat, agent_id, digest, "process-a/1")
    assert not _step(store, registry.detach, agent_id, "process-a/1")  # the old close marks nothing offline
    with store.read() as session:
        agent = session.get(Agent, agent_id)
        assert agent is not None and agent.holder == "process-b/2" and agent.disconnected_at is None
    assert _step(store, registry.beat, agent_id, digest, "process-b/2")


def test_two_sockets_attaching_at_once_leave_exactly_one_holder(store: Store) -> None:
    agent_id, key = _agent(store)
    digest = hash_secret(key)
    holders = [f"process-{i}/socket" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(lambda h: _step(store, registry.attach, agent_id, digest, h, "0.1.0"), holders))
    beats = [_step(store, registry.beat, agent_id, digest, h) for h in holders]
    assert beats.count(True) == 1  # only the last attach holds the agent


def test_a_rotated_key_fails_the_heartbeat_of_the_socket_it_opened(store: Store) -> None:
    agent_id, key = _agent(store)
    organization = _organization(store, agent_id)
    assert _step(store, registry.attach, agent_id, hash_secret(key), "process-a/1", "0.1.0")
    new_key = _step(store, registry.rotate, organization, agent_id)
    assert not _step(store, registry.beat, agent_id, hash_secret(key), "process-a/1")
    assert not _step(store, registry.attach, agent_id, hash_secret(key), "process-a/2", "0.1.0")
    with store.read() as session:
        assert registry.authenticate(session, key) is None
        found = registry.authenticate(session, new_key)
        assert found is not None and found.id == agent_id


def _organization(store: Store, agent_id: str) -> str:
    with store.read() as session:
        agent = session.get(Agent, agent_id)
        assert agent is not None
        return agent.organization_id


async def test_a_socket_attached_between_an_old_ones_close_and_its_offline_marking_keeps_the_connections(
    store: Store,
) -> None:
    """The old socket's detach committed, a redial attached, then the old close marks offline: nothing changes."""
    agent_id, key = _agent(store)
    digest = hash_secret(key)
    with store.write() as session:
        connection = Connection(
            organization_id=_organization(store, agent_id),
            system="maximo",
            hosting="ON_PREMISES",
            name="Plant Maximo",
            credentials_encrypted="-",
            agent_id=agent_id,
        )
        session.add(connection)
    assert _step(store, registry.attach, agent_id, digest, "process-a/1", "0.1.0")
    assert _step(store, registry.detach, agent_id, "process-a/1")  # the old socket's close
    assert _step(store, registry.attach, agent_id, digest, "process-b/2", "0.1.0")  # the redial, elsewhere
    await Presence(store, EventBus(LocalBroker())).offline(agent_id, "Plant 1")  # the old close, late
    with store.read() as session:
        row = session.get(Connection, connection.id)
        assert row is not None and row.status == ACTIVE
