"""Admin keys and connection tokens: issued once, stored as hashes, resolved per request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import bindparam
from sqlalchemy.sql.selectable import Select
from sqlmodel import col, select

from schema.errors import Unauthenticated

from .audit import OPERATOR, Actor, AuditAction, Target, record_audit
from .store.engine import Store
from .store.tables import AdminKey, Connection, ConnectionToken, utcnow

ADMIN_PREFIX = "pg_admin_"
TOKEN_PREFIX = "pg_conn_"
Query = TypeVar("Query", bound=Select)  # a SELECT of rows or of one column


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """SHA-256 is enough: the secrets are 256-bit random, not passwords."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organization's admin, or one connection's token."""

    organization_id: str
    connection_id: str | None = None
    key_id: str | None = None  # the admin key's id (never the key), for the audit trail

    @property
    def is_admin(self) -> bool:
        return self.connection_id is None


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def resolve_caller(store: Store, token: str) -> tuple[Principal, Connection | None]:
    """The principal a bearer token stands for and, for a connection token, its connection row.

    One query per request, read fresh every time: a revoked token or a
    disconnected connection is refused on the very next request. The lookup is
    by the SHA-256 of the token, so timing reveals nothing about a stored
    token; the final comparison is constant-time all the same. Blocking: run
    off the loop.
    """
    digest = hash_secret(token)
    with store.read() as session:
        if token.startswith(ADMIN_PREFIX):
            key = session.exec(_ADMIN_KEY, params={"digest": digest}).first()
            if key and hmac.compare_digest(key.key_hash, digest):
                return Principal(key.organization_id, key_id=key.id), None
        elif token.startswith(TOKEN_PREFIX):
            row = session.exec(_CONNECTION_TOKEN, params={"digest": digest}).first()
            if row and hmac.compare_digest(row[0], digest):
                return Principal(row[1].organization_id, row[1].id), row[1]
    raise Unauthenticated("the bearer token is not valid")


def still_valid(store: Store, digests: Collection[str]) -> set[str]:
    """Which of these credential hashes still authenticate: open sockets re-check theirs in one read."""
    if not digests:
        return set()
    wanted = list(digests)
    with store.read() as session:
        keys = session.exec(usable_keys(select(AdminKey.key_hash)).where(col(AdminKey.key_hash).in_(wanted)))
        tokens = session.exec(
            _usable_tokens(select(ConnectionToken.token_hash)).where(col(ConnectionToken.token_hash).in_(wanted))
        )
        return {*keys, *tokens}


def revoke_admin_key(store: Store, organization_id: str, key_id: str, actor: Actor = OPERATOR) -> bool:
    """Retire one of the organization's admin keys; False if it has no such usable key."""
    with store.write() as session:
        key = session.get(AdminKey, key_id)
        if key is None or key.organization_id != organization_id or key.revoked_at is not None:
            return False
        key.revoked_at = utcnow()
        session.add(key)
        record_audit(session, organization_id, actor, AuditAction.ADMIN_KEY_RETIRE, Target("ADMIN_KEY", key.id))
        return True


def usable_keys(query: Query) -> Query:
    return query.where(col(AdminKey.revoked_at).is_(None))


def _usable_tokens(query: Query) -> Query:
    """Not revoked, and the connection not disconnected."""
    return query.join(Connection, col(Connection.id) == col(ConnectionToken.connection_id)).where(
        col(ConnectionToken.revoked_at).is_(None),
        col(Connection.status) != "DISCONNECTED",
    )


# The per-request lookups, built once (building them cost about as much as running them).
_ADMIN_KEY = usable_keys(select(AdminKey)).where(AdminKey.key_hash == bindparam("digest"))
# The token's hash, not its row: one ORM object per request (the connection) instead of two.
_CONNECTION_TOKEN = _usable_tokens(select(ConnectionToken.token_hash, Connection)).where(
    ConnectionToken.token_hash == bindparam("digest")
)
