"""Connect sessions (magic links): a single-use, expiring link that creates one connection.

Creating a session creates its connection at once, as PENDING (no credentials,
no credits), so the organization knows the connection's id from the start and
sees it in its list. Completing the link checks the credentials live, then
marks the link used and fills the connection in one transaction: a link
completes at most once, and a refused attempt (wrong password, no credits)
leaves it open for another try. Link tokens and redirect codes are stored only
as hashes.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import update
from sqlmodel import col, select

from connectors.registry import connector_class
from schema.errors import BadUserInput, NotFound, PlantgateError

from .audit import Actor, ActorType, AuditAction, Target, record_audit
from .auth import hash_secret, new_secret
from .connections import MAX_NAME, ConnectionService, NewConnection, issue_token, owned
from .status import DISCONNECTED, PENDING, locked, set_status
from .store.connect_tables import ConnectSession
from .store.event_tables import Event
from .store.tables import Connection, ConnectionStatusChange, Organization, as_utc, utcnow

LINK_PREFIX = "pg_connect_"
CODE_PREFIX = "pg_code_"
CODE_TTL = timedelta(minutes=10)
DEFAULT_MINUTES = 24 * 60
MAX_MINUTES = 30 * 24 * 60

OPEN, USED, EXPIRED, CANCELLED = "OPEN", "USED", "EXPIRED", "CANCELLED"


class LinkClosed(PlantgateError):
    """The link can no longer be completed; `state` says why (USED, EXPIRED, CANCELLED)."""

    code = "FORBIDDEN"

    def __init__(self, state: str) -> None:
        super().__init__(CLOSED_MESSAGES[state], linkState=state)
        self.state = state


CLOSED_MESSAGES = {
    USED: "This link has already been used: the connection was created. Ask for a new link to connect again.",
    EXPIRED: "This link has expired. Ask the organization that sent it for a new one.",
    CANCELLED: "This link was cancelled by the organization that sent it.",
}


@dataclass(frozen=True)
class SessionRequest:
    """What an organization may preset on a link; everything else the customer picks."""

    system: str | None = None
    hosting: str | None = None
    name: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    redirect_url: str | None = None
    expires_in_minutes: int = DEFAULT_MINUTES


@dataclass(frozen=True)
class Link:
    """A session as the Connect page sees it."""

    session: ConnectSession
    connection: Connection
    organization_name: str

    @property
    def state(self) -> str:
        status = self.session.status
        if status == "COMPLETED":
            return USED
        if status == "EXPIRED" or as_utc(self.session.expires_at) <= utcnow():
            return EXPIRED
        if self.connection.status != PENDING:  # disconnected by the organization
            return CANCELLED
        return OPEN


@dataclass(frozen=True)
class Completed:
    connection: Connection
    token: str | None  # shown on the page, unless the link redirects
    redirect_to: str | None  # redirectUrl with the one-time code


def _check_redirect(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadUserInput(f"redirectUrl '{url}' is not an http(s) URL with a host", field="redirectUrl")


def with_code(url: str, code: str) -> str:
    """`url` with `code=<code>` added to its query (its other parameters kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "code"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("code", code)])))


def validate_preset(request: SessionRequest) -> None:
    if request.system is not None:
        cls = connector_class(request.system)
        if cls is None:
            raise BadUserInput(f"unknown system '{request.system}'", field="system")
        if request.hosting is not None and request.hosting not in cls.entry.hostings:
            raise BadUserInput(f"{cls.entry.name} is not offered as {request.hosting}", field="hosting")
    if request.name is not None and not 0 < len(request.name.strip()) <= MAX_NAME:
        raise BadUserInput(f"name must be 1 to {MAX_NAME} characters", field="name")
    if request.redirect_url is not None:
        _check_redirect(request.redirect_url)
    if not 1 <= request.expires_in_minutes <= MAX_MINUTES:
        raise BadUserInput(f"expiresInMinutes must be 1 to {MAX_MINUTES}", field="expiresInMinutes")


def _routed(request: NewConnection) -> dict[str, str | None]:
    """The agent a completed link's connection goes through, for the audit record (none: nothing)."""
    if request.agent_id is None:
        return {}
    return {"agentId": request.agent_id, "agentCredentials": request.agent_credentials}


class ConnectSessions:
    def __init__(self, connections: ConnectionService) -> None:
        self.connections = connections
        self.store = connections.store
        self.bus = connections.bus

    # -- the organization's side (admin API) --------------------------------

    def create(
        self, organization_id: str, request: SessionRequest, base_url: str
    ) -> tuple[ConnectSession, Connection, str]:
        """A new link and its PENDING connection; returns them with the link's URL (shown once)."""
        validate_preset(request)
        token = new_secret(LINK_PREFIX)
        with self.store.write() as session:
            connection = Connection(
                organization_id=organization_id,
                system=request.system or "",
                hosting=request.hosting or "",
                name=(request.name or "").strip(),
                credentials_encrypted="",
                metadata_=dict(request.metadata),
                settings={},
                status=PENDING,
                status_reason="waiting for the connect link to be completed",
            )
            session.add(connection)
            session.flush()
            session.add(
                ConnectionStatusChange(connection_id=connection.id, status=PENDING, reason="connect link created")
            )
            link = ConnectSession(
                organization_id=organization_id,
                connection_id=connection.id,
                token_hash=hash_secret(token),
                system=request.system,
                hosting=request.hosting,
                redirect_url=request.redirect_url,
                expires_at=utcnow() + timedelta(minutes=request.expires_in_minutes),
            )
            session.add(link)
        return link, connection, f"{base_url.rstrip('/')}/connect/{token}"

    def list(self, organization_id: str, status: str | None = None, limit: int = 100) -> list[ConnectSession]:
        with self.store.read() as session:
            query = select(ConnectSession).where(ConnectSession.organization_id == organization_id)
            if status:
                query = query.where(ConnectSession.status == status)
            return list(session.exec(query.order_by(col(ConnectSession.created_at).desc()).limit(limit)))

    def exchange(self, organization_id: str, code: str) -> tuple[Connection, str]:
        """The token of a connection completed through a redirecting link, once per code."""
        with self.store.write() as session:
            link = session.exec(select(ConnectSession).where(ConnectSession.code_hash == hash_secret(code))).first()
            if link is None or link.organization_id != organization_id:
                raise BadUserInput("unknown code", field="code")
            if link.code_used_at is not None:
                raise BadUserInput(
                    "this code was already exchanged; rotate the connection's token if it was lost", field="code"
                )
            if link.code_expires_at is None or as_utc(link.code_expires_at) <= utcnow():
                raise BadUserInput("this code has expired; rotate the connection's token to get one", field="code")
            claimed = session.exec(
                update(ConnectSession)
                .where(col(ConnectSession.id) == link.id, col(ConnectSession.code_used_at).is_(None))
                .values(code_used_at=utcnow())
            ).rowcount
            if claimed != 1:
                raise BadUserInput("this code was already exchanged", field="code")
            connection = owned(session, organization_id, link.connection_id, lock=True)
            if connection.status == DISCONNECTED:
                raise BadUserInput("the connection was disconnected", field="code")
            return connection, issue_token(session, connection.id)

    # -- the customer's side (Connect page) ---------------------------------

    def open(self, token: str) -> Link:
        """The link behind a token; an unknown token is NOT_FOUND (whatever its shape)."""
        with self.store.read() as session:
            link = session.exec(select(ConnectSession).where(ConnectSession.token_hash == hash_secret(token))).first()
            if link is None:
                raise NotFound("this link is not valid: check that it was copied completely")
            connection = session.get(Connection, link.connection_id)
            organization = session.get(Organization, link.organization_id)
            assert connection is not None and organization is not None
            return Link(link, connection, organization.name)

    async def complete(self, token: str, form: NewConnection) -> Completed:
        """Complete the link with what the page submitted; the link's presets win over it."""
        link = await self.store.run(self.open, token)
        if link.state != OPEN:
            raise LinkClosed(link.state)
        pending = link.connection
        request = NewConnection(
            system=link.session.system or form.system,
            hosting=link.session.hosting or form.hosting,
            name=pending.name or form.name,
            credentials=dict(form.credentials),
            instance_url=form.instance_url or None,
            metadata={},  # the organization's, already on the pending connection
            agent_id=form.agent_id,  # precheck checks the link's organization owns it
            agent_credentials=form.agent_credentials,
        )
        cost, request = await self.connections.precheck(link.session.organization_id, request, pending.id)
        completed, events = await self.store.run(self._complete, link.session.id, request, cost)
        await self.bus.publish(*events)
        return completed

    def _complete(self, session_id: str, request: NewConnection, cost: int) -> tuple[Completed, builtins.list[Event]]:
        now = utcnow()
        with self.store.write() as session:
            claimed = session.exec(
                update(ConnectSession)
                .where(
                    col(ConnectSession.id) == session_id,
                    col(ConnectSession.status) == "PENDING",
                    col(ConnectSession.expires_at) > now,
                )
                .values(status="COMPLETED", completed_at=now, system=request.system, hosting=request.hosting)
            ).rowcount
            link = session.get(ConnectSession, session_id, populate_existing=True)
            assert link is not None
            connection = locked(session, link.connection_id)  # a disconnect racing this waits, or wins
            assert connection is not None
            if claimed != 1 or connection.status != PENDING:
                # Raised inside the transaction, so the claim (if any) is rolled back.
                raise LinkClosed(Link(link, connection, "").state if claimed != 1 else CANCELLED)
            redirect = link.redirect_url
            connection, token, events = self.connections.establish(
                session, connection, request, cost, with_token=redirect is None
            )
            record_audit(
                session,
                link.organization_id,
                Actor(ActorType.CONNECT_LINK, link.id),
                AuditAction.CONNECT_LINK_COMPLETE,
                Target("CONNECTION", connection.id),
                {"system": request.system, "hosting": request.hosting, "name": connection.name, **_routed(request)},
            )
            if redirect is None:
                return Completed(connection, token, None), events
            code = new_secret(CODE_PREFIX)
            link.code_hash, link.code_expires_at = hash_secret(code), now + CODE_TTL
            session.add(link)
            return Completed(connection, None, with_code(redirect, code)), events

    # -- expiry --------------------------------------------------------------

    async def expire_due(self) -> None:
        """Links that ran out unused: their PENDING connection ends DISCONNECTED (run each scheduler tick)."""
        events = await self.store.run(self._expire_due)
        await self.bus.publish(*events)

    def _expire_due(self, limit: int = 100) -> builtins.list[Event]:
        now = utcnow()
        events: list[Event] = []
        with self.store.write() as session:
            due = session.exec(
                select(ConnectSession)
                .where(ConnectSession.status == "PENDING", col(ConnectSession.expires_at) <= now)
                .limit(limit)
            ).all()
            for link in due:
                claimed = session.exec(
                    update(ConnectSession)
                    .where(col(ConnectSession.id) == link.id, col(ConnectSession.status) == "PENDING")
                    .values(status="EXPIRED")
                ).rowcount
                if claimed != 1:
                    continue  # another process expired it
                connection = locked(session, link.connection_id)
                if connection is not None and connection.status == PENDING:
                    events += set_status(session, self.bus, connection, DISCONNECTED, "the connect link expired unused")
                    connection.disconnected_at = now
        return events
