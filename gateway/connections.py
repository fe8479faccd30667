"""Connections: validated, checked live against the system, then stored with their credits.

Nothing is stored unless the system accepted the credentials and the pool had
the credits; the credits, the connection, its token and the ledger entry are
written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, select

from connectors.base import ConnectionConfig
from connectors.catalog import SystemEntry
from connectors.registry import connector_class
from schema.errors import BadUserInput, InsufficientCredits, NotFound

from . import credits
from .agents import registry as agents
from .agents.hub import Route
from .agents.protocol import CREDENTIALS_NAME, placeholder
from .auth import TOKEN_PREFIX, hash_secret, new_secret
from .events import revocation
from .events.bus import EventBus
from .requestlog.recorder import Owner
from .status import ACTIVE, DISCONNECTED, PENDING, locked, set_status
from .store.engine import Store
from .store.event_tables import Event
from .store.tables import Connection, ConnectionStatusChange, ConnectionToken, utcnow
from .sync import schedule
from .upstream import ConnectorPool

MAX_NAME = 200


@dataclass(frozen=True)
class NewConnection:
    system: str
    hosting: str
    name: str
    credentials: dict[str, str]
    instance_url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    agent_id: str | None = None  # on premises: the agent its calls go through
    agent_credentials: str | None = None  # the name of the login kept in the plant, by that agent
    plant_fields: tuple[str, ...] = ()  # the fields that login holds, as the agent says (never their values)

    def login(self, entry: SystemEntry) -> dict[str, str]:
        """The credentials the gateway keeps: the fields given, and placeholders for the other fields
        the login kept in the plant holds (the agent fills them in)."""
        known = {f.name for f in entry.credential_fields}
        kept = {name: placeholder(name) for name in self.plant_fields if name in known}
        return {**kept, **{k: v for k, v in self.credentials.items() if v}}

    def route(self, organization_id: str, connection_id: str | None) -> Route | None:
        if self.agent_id is None:
            return None
        return Route(self.agent_id, organization_id, connection_id, self.agent_credentials)


def validate(request: NewConnection, login: bool = True) -> SystemEntry:
    """Reject bad input before any upstream call, with a message that says what is wrong
    (`login=False`: all but the required login fields, which a login kept in the plant may hold)."""
    cls = connector_class(request.system)
    if cls is None:
        raise BadUserInput(f"unknown system '{request.system}'", field="system")
    entry = cls.entry
    if request.hosting not in entry.hostings:
        offered = ", ".join(entry.hostings)
        raise BadUserInput(f"{entry.name} is offered as {offered}, not {request.hosting}", field="hosting")
    if not request.name.strip() or len(request.name) > MAX_NAME:
        raise BadUserInput(f"name must be 1 to {MAX_NAME} characters", field="name")
    if request.instance_url is not None or entry.default_base_url is None:
        check_url(request.instance_url)
    known = {f.name for f in entry.credential_fields}
    unknown = sorted(set(request.credentials) - known)
    if unknown:
        raise BadUserInput(f"unknown credential field(s): {', '.join(unknown)}", field="credentials")
    check_agent(request)
    if login:
        require_login(request, entry)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in request.metadata.items()):
        raise BadUserInput("metadata must map strings to strings", field="metadata")
    return entry


def require_login(request: NewConnection, entry: SystemEntry) -> None:
    given = request.login(entry)
    for cred in entry.credential_fields:
        if cred.required and not str(given.get(cred.name) or "").strip():
            where = (
                f", and login '{request.agent_credentials}' in the plant lacks it" if request.agent_credentials else ""
            )
            raise BadUserInput(f"missing credential field '{cred.name}' ({cred.label}){where}", field=cred.name)


def check_agent(request: NewConnection) -> None:
    if request.agent_id is not None and request.hosting != "ON_PREMISES":
        raise BadUserInput("only an ON_PREMISES connection goes through an agent", field="agentId")
    if request.agent_credentials is not None:
        if request.agent_id is None:
            raise BadUserInput("credentials kept in the plant need the agent that holds them", field="agentId")
        if not CREDENTIALS_NAME.match(request.agent_credentials):
            raise BadUserInput(
                "agentCredentials is the name given to `plantgate agent credentials set` "
                "(letters, digits, '.', '_', '-'; up to 64)",
                field="agentCredentials",
            )


def check_url(url: str | None) -> None:
    if not url:
        raise BadUserInput("instanceUrl is required for this system", field="instanceUrl")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadUserInput(f"instanceUrl '{url}' is not an http(s) URL with a host", field="instanceUrl")


class ConnectionService:
    """Creates, reads and disconnects an organization's connections."""

    def __init__(self, store: Store, pool: ConnectorPool, bus: EventBus) -> None:
        self.store = store
        self.pool = pool
        self.bus = bus

    async def create(self, organization_id: str, request: NewConnection) -> tuple[Connection, str]:
        cost, request = await self.precheck(organization_id, request)
        connection, token, events = await self.store.run(self._insert, organization_id, request, cost)
        await self.bus.publish(*events)
        return connection, token  # type: ignore[return-value]  # a new connection always gets a token

    async def precheck(
        self, organization_id: str, request: NewConnection, connection_id: str | None = None
    ) -> tuple[int, NewConnection]:
        """Validate, look at the credits, then try the credentials live; returns the cost and the request
        with the fields of its login kept in the plant.

        The login's calls are logged for `connection_id` (a connect link's PENDING
        connection), or for the organization alone when the connection is new.
        """
        entry = validate(request, login=False)
        cost = entry.credits(request.hosting)
        await self.store.run(self._ensure_credits, organization_id, cost)
        if request.agent_id is not None:
            await self.store.run(self._ensure_agent, organization_id, request.agent_id)
        request = await self.with_plant_login(organization_id, request)
        require_login(request, entry)
        config = ConnectionConfig(request.hosting, request.instance_url, request.login(entry))
        route = request.route(organization_id, None)
        await self.pool.check(request.system, config, Owner(organization_id, connection_id), route)
        return cost, request

    async def with_plant_login(self, organization_id: str, request: NewConnection) -> NewConnection:
        """The request with the field names of its login kept in the plant, asked of the agent."""
        route = request.route(organization_id, None)
        if request.agent_credentials is None or route is None:
            return request
        fields = await self.pool.plant_fields(route)
        return replace(request, plant_fields=tuple(fields))

    def _ensure_agent(self, organization_id: str, agent_id: str) -> None:
        with self.store.read() as session:
            try:
                agents.owned(session, organization_id, agent_id)
            except NotFound as exc:
                raise BadUserInput(exc.message, field="agentId") from None

    def _ensure_credits(self, organization_id: str, cost: int) -> None:
        """Fail fast before calling the system; the insert re-checks atomically."""
        with self.store.read() as session:
            total, used = credits.balance(session, organization_id)
        if total - used < cost:
            raise InsufficientCredits(
                f"this connection needs {cost} credits but only {total - used} are available",
                needed=cost,
                available=total - used,
            )

    def _insert(
        self, organization_id: str, request: NewConnection, cost: int
    ) -> tuple[Connection, str | None, list[Event]]:
        with self.store.write() as session:
            connection = Connection(
                organization_id=organization_id,
                name=request.name,
                system=request.system,
                hosting=request.hosting,
                credentials_encrypted="",
            )
            return self.establish(session, connection, request, cost)

    def establish(
        self, session: Session, connection: Connection, request: NewConnection, cost: int, with_token: bool = True
    ) -> tuple[Connection, str | None, list[Event]]:
        """Store a checked connection with its credits (a new row, or a PENDING one completed), in the caller's transaction."""
        pending = connection.status == PENDING  # new rows start ACTIVE by default
        connection.system, connection.hosting = request.system, request.hosting
        connection.name, connection.instance_url = request.name.strip(), request.instance_url
        entry = validate(request)
        connection.credentials_encrypted = self.pool.vault.encrypt(request.login(entry))
        connection.agent_id, connection.agent_credentials = request.agent_id, request.agent_credentials
        connection.metadata_ = {**(connection.metadata_ or {}), **request.metadata}
        connection.settings = connection.settings or {}
        connection.credits, connection.updated_at = cost, utcnow()
        events: list[Event] = []
        if pending:
            events = set_status(session, self.bus, connection, ACTIVE, "connected through a connect link")
        else:
            connection.status = ACTIVE
            session.add(connection)
            session.flush()
            session.add(ConnectionStatusChange(connection_id=connection.id, status=ACTIVE, reason="created"))
        credits.consume(session, connection.organization_id, connection.id, cost)
        token = issue_token(session, connection.id) if with_token else None
        schedule.ensure(session, connection.id)  # the initial sync starts at once
        created = self.bus.record(
            session,
            connection.organization_id,
            "connection.created",
            {"connectionId": connection.id, "system": request.system, "name": connection.name},
            connection.id,
        )
        return connection, token, [created, *events]

    async def disconnect(self, organization_id: str, connection_id: str) -> Connection:
        connection, events = await self.store.run(self._disconnect, organization_id, connection_id)
        await self.pool.evict(connection_id)
        await self.bus.publish(*events)
        await revocation.publish(self.bus, organization_id, connection_id)  # its open sockets close
        return connection

    def _disconnect(self, organization_id: str, connection_id: str) -> tuple[Connection, list]:
        with self.store.write() as session:
            connection = owned(session, organization_id, connection_id, lock=True)
            if connection.status == DISCONNECTED:
                return connection, []  # credits already returned once
            now = utcnow()
            events = set_status(session, self.bus, connection, DISCONNECTED, "disconnected by the organization")
            connection.disconnected_at = now
            if connection.credits:  # a PENDING connection never held any
                credits.release(session, organization_id, connection.id, connection.credits)
            for token in session.exec(select(ConnectionToken).where(ConnectionToken.connection_id == connection.id)):
                token.revoked_at = token.revoked_at or now
            row = schedule.ensure(session, connection.id)
            row.next_run_at = None
            session.add(row)
        return connection, events

    async def trigger_sync(self, organization_id: str, connection_id: str, full: bool) -> None:
        def request() -> None:
            with self.store.write() as session:
                connection = owned(session, organization_id, connection_id, lock=True)
                if connection.status in (DISCONNECTED, PENDING):
                    raise BadUserInput(f"a {connection.status.lower()} connection is not synced", field="id")
                schedule.request(session, connection.id, full)

        await self.store.run(request)

    def get(self, organization_id: str, connection_id: str) -> Connection:
        with self.store.read() as session:
            return owned(session, organization_id, connection_id)


def issue_token(session: Session, connection_id: str) -> str:
    """A new token for a connection (shown once; only its hash is kept)."""
    token = new_secret(TOKEN_PREFIX)
    session.add(ConnectionToken(connection_id=connection_id, token_hash=hash_secret(token)))
    return token


def owned(session: Session, organization_id: str, connection_id: str, lock: bool = False) -> Connection:
    """A connection of this organization; another organization's looks like no connection.

    `lock` reads it afresh under a row lock (FOR UPDATE on PostgreSQL; SQLite's write
    transaction already excludes other writers): a state transition decided on this
    read cannot race another one, on this process or another.
    """
    connection = locked(session, connection_id) if lock else session.get(Connection, connection_id)
    if connection is None or connection.organization_id != organization_id:
        raise NotFound(f"no connection '{connection_id}'")
    return connection


def describe(connection: Connection) -> dict[str, Any]:
    """The public view of a connection (never its credentials)."""
    cls = connector_class(connection.system)
    entry = cls.entry if cls else None
    return {
        "id": connection.id,
        "name": connection.name,
        "status": connection.status,
        "status_reason": connection.status_reason,
        "hosting": connection.hosting,
        "instance_url": connection.instance_url,
        "metadata": connection.metadata_,
        "credits": connection.credits,
        "created_at": connection.created_at,
        "system": entry,
    }
