"""Connection credits: consumed atomically with a connection, returned on disconnect.

The pool row is changed by one conditional UPDATE, so concurrent connects can
never overdraw it, on SQLite and PostgreSQL alike; every change is a ledger entry.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from schema.errors import InsufficientCredits, NotFound

from .store.tables import CreditLedgerEntry, CreditPool


def balance(session: Session, organization_id: str) -> tuple[int, int]:
    """(total, used) of an organization's pool."""
    pool = session.get(CreditPool, organization_id, populate_existing=True)
    if pool is None:
        raise NotFound("the organization has no credit pool")
    return pool.total, pool.used


def consume(session: Session, organization_id: str, connection_id: str, amount: int) -> int:
    """Take `amount` credits for a connection; returns the balance after."""
    changed = session.exec(
        update(CreditPool)
        .where(
            col(CreditPool.organization_id) == organization_id,
            CreditPool.total - col(CreditPool.used) >= amount,
        )
        .values(used=CreditPool.used + amount)
    ).rowcount
    if changed != 1:
        total, used = balance(session, organization_id)
        raise InsufficientCredits(
            f"this connection needs {amount} credits but only {total - used} are available",
            needed=amount,
            available=total - used,
        )
    return _record(session, organization_id, connection_id, -amount, "connect")


def release(session: Session, organization_id: str, connection_id: str, amount: int) -> int:
    """Give a disconnected connection's credits back to the pool."""
    session.exec(
        update(CreditPool)
        .where(col(CreditPool.organization_id) == organization_id)
        .values(used=CreditPool.used - amount)
    )
    return _record(session, organization_id, connection_id, amount, "disconnect")


def _record(session: Session, organization_id: str, connection_id: str, amount: int, reason: str) -> int:
    total, used = balance(session, organization_id)
    session.add(
        CreditLedgerEntry(
            organization_id=organization_id,
            connection_id=connection_id,
            amount=amount,
            balance_after=total - used,
            reason=reason,
        )
    )
    return total - used


def ledger(session: Session, organization_id: str, limit: int = 100) -> list[CreditLedgerEntry]:
    return list(
        session.exec(
            select(CreditLedgerEntry)
            .where(CreditLedgerEntry.organization_id == organization_id)
            .order_by(col(CreditLedgerEntry.id).desc())
            .limit(limit)
        )
    )
