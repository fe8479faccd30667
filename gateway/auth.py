"""Admin keys and connection tokens: issued once, stored as hashes, resolved per request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlmodel import select

from schema.errors import Unauthenticated

from .store.engine import Store
from .store.tables import AdminKey, Connection, ConnectionToken

ADMIN_PREFIX = "pg_admin_"
TOKEN_PREFIX = "pg_conn_"


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
            key = session.exec(
                select(AdminKey).where(AdminKey.key_hash == digest, AdminKey.revoked_at.is_(None))  # type: ignore[union-attr]
            ).first()
            if key and hmac.compare_digest(key.key_hash, digest):
                return Principal(key.organization_id), None
        elif token.startswith(TOKEN_PREFIX):
            row = session.exec(
                select(ConnectionToken, Connection)
                .join(Connection, Connection.id == ConnectionToken.connection_id)  # type: ignore[arg-type]
                .where(
                    ConnectionToken.token_hash == digest,
                    ConnectionToken.revoked_at.is_(None),  # type: ignore[union-attr]
                    Connection.status != "DISCONNECTED",
                )
            ).first()
            if row and hmac.compare_digest(row[0].token_hash, digest):
                return Principal(row[1].organization_id, row[1].id), row[1]
    raise Unauthenticated("the bearer token is not valid")
