"""Secret rotation with an overlap window, in one conditional UPDATE.

The old secret moves to `previous_secret_encrypted` in the same statement that
writes the new one (SET reads the row as it was), so two concurrent rotations
never both keep a stale secret: on PostgreSQL the row lock orders them, each
keeps the one it replaced. A rotation during an overlap ends that overlap.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from schema.errors import BadUserInput, NotFound

from ..secrets import CredentialVault
from ..store.engine import Store
from ..store.event_tables import WebhookEndpoint
from ..store.tables import utcnow
from .signing import SigningSecret

MAX_OVERLAP_HOURS = 24 * 30
_TABLE = WebhookEndpoint.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes at run time


def rotate(
    store: Store, vault: CredentialVault, organization_id: str, endpoint_id: str, overlap_hours: float
) -> tuple[WebhookEndpoint, str]:
    """A new secret signs from now on; the replaced one also signs for `overlap_hours` (0: not at all)."""
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise BadUserInput(f"overlapHours must be between 0 and {MAX_OVERLAP_HOURS}", field="overlapHours")
    secret = SigningSecret.new()
    keeps = overlap_hours > 0
    with store.write() as session:
        result = session.exec(
            update(_TABLE)
            .where(
                _TABLE.c.id == endpoint_id,
                _TABLE.c.organization_id == organization_id,
                _TABLE.c.deleted_at.is_(None),
            )
            .values(
                secret_encrypted=vault.encrypt(secret.sealed()),
                previous_secret_encrypted=_TABLE.c.secret_encrypted if keeps else None,
                previous_secret_expires_at=utcnow() + timedelta(hours=overlap_hours) if keeps else None,
            )
        )
        if result.rowcount != 1:
            raise NotFound(f"no webhook endpoint '{endpoint_id}'")
        endpoint = session.get(WebhookEndpoint, endpoint_id, populate_existing=True)
        assert endpoint is not None
    return endpoint, secret.value


def live_previous(endpoint: WebhookEndpoint) -> bool:
    """Whether the rotated-out secret still signs."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted is None or expires is None:
        return False
    return (expires if expires.tzinfo else expires.replace(tzinfo=utcnow().tzinfo)) > utcnow()
