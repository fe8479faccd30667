"""A connection's two secrets after it exists: its token (rotated) and its system login (re-authorized).

Both keep the connection itself: same id, settings, replica and credits.
Re-authorization checks the new login live first, so wrong credentials change
nothing; a good one returns the connection to ACTIVE and syncs it at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from connectors.base import ConnectionConfig
from schema.errors import BadUserInput

from .agents.protocol import placeholder
from .connections import ConnectionService, NewConnection, issue_token, owned, validate
from .requestlog.recorder import Owner
from .status import ACTIVE, DISCONNECTED, PENDING, set_status
from .store.event_tables import Event
from .store.tables import Connection, ConnectionToken, utcnow
from .sync import schedule


def _require_established(connection: Connection, action: str) -> None:
    if connection.status in (DISCONNECTED, PENDING):
        raise BadUserInput(f"a {connection.status.lower()} connection cannot {action}", field="id")


@dataclass(frozen=True)
class Reauthorization:
    credentials: dict[str, str]
    instance_url: str | None = None  # None keeps the current one


class ConnectionSecrets:
    def __init__(self, connections: ConnectionService) -> None:
        self.connections = connections
        self.store = connections.store

    def rotate_token(self, organization_id: str, connection_id: str) -> tuple[Connection, str]:
        """A new token (shown once); every earlier token of the connection stops working now."""
        with self.store.write() as session:
            connection = owned(session, organization_id, connection_id, lock=True)  # rotations queue up here
            _require_established(connection, "get a new token")
            now = utcnow()
            for token in session.exec(
                select(ConnectionToken).where(
                    ConnectionToken.connection_id == connection.id,
                    col(ConnectionToken.revoked_at).is_(None),
                )
            ):
                token.revoked_at = now
                session.add(token)
            return connection, issue_token(session, connection.id)

    async def reauthorize(self, organization_id: str, connection_id: str, change: Reauthorization) -> Connection:
        current = await self.store.run(self.connections.get, organization_id, connection_id)
        _require_established(current, "be re-authorized")
        given = dict(change.credentials)
        if current.agent_credentials is not None:  # a login in the plant: the gateway's fields stay unless replaced
            given = {**self._given_at_connect(current), **given}
        request = NewConnection(
            system=current.system,
            hosting=current.hosting,
            name=current.name,
            credentials=given,
            instance_url=change.instance_url or current.instance_url,
            agent_id=current.agent_id,
            agent_credentials=current.agent_credentials,
        )
        validate(request, login=False)
        request = await self.connections.with_plant_login(organization_id, request)
        entry = validate(request)
        config = ConnectionConfig(request.hosting, request.instance_url, request.login(entry))
        route = request.route(organization_id, connection_id)
        await self.connections.pool.check(current.system, config, Owner(organization_id, connection_id), route)
        connection, events = await self.store.run(
            self._store_login, organization_id, connection_id, request, request.login(entry)
        )
        await self.connections.pool.evict(connection_id)
        await self.connections.bus.publish(*events)
        return connection

    def _given_at_connect(self, connection: Connection) -> dict[str, str]:
        """The fields of a plant-kept login that the gateway holds itself (not the placeholders `NewConnection.login`
        stored for the agent's fields)."""
        stored = self.connections.pool.vault.decrypt(connection.credentials_encrypted)
        return {name: value for name, value in stored.items() if value != placeholder(name)}

    def _store_login(
        self, organization_id: str, connection_id: str, request: NewConnection, login: dict[str, str]
    ) -> tuple[Connection, list[Event]]:
        with self.store.write() as session:
            connection = owned(session, organization_id, connection_id, lock=True)
            _require_established(connection, "be re-authorized")  # disconnected meanwhile
            connection.credentials_encrypted = self.connections.pool.vault.encrypt(login)
            connection.instance_url = request.instance_url
            connection.updated_at = utcnow()  # new connector version: the pool builds a fresh client
            session.add(connection)
            events = set_status(session, self.connections.bus, connection, ACTIVE, "re-authorized by the organization")
            row = schedule.request(session, connection.id, full=False)  # sync now, on the normal schedule after
            row.failures = 0
            return connection, events
