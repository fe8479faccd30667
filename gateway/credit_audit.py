"""The credit invariant, checked: the pool, the ledger and the live connections must agree.

For every organization: `used` on the pool = credits held by connections that
are not disconnected = what the ledger consumed minus what it returned. Any
difference is drift (a lost update, a hand edit); `plantgate check` and the
admin `credits { audit }` field report it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from .store.tables import Connection, CreditLedgerEntry, CreditPool


@dataclass(frozen=True)
class CreditAudit:
    organization_id: str
    pool_used: int
    held_by_connections: int
    ledger_used: int

    @property
    def consistent(self) -> bool:
        return self.pool_used == self.held_by_connections == self.ledger_used

    def describe(self) -> str:
        verdict = "ok" if self.consistent else "DRIFT"
        return (
            f"{self.organization_id}: {verdict} (pool used {self.pool_used}, held by connections "
            f"{self.held_by_connections}, ledger {self.ledger_used})"
        )


def audit(session: Session, organization_id: str) -> CreditAudit:
    pool = session.get(CreditPool, organization_id, populate_existing=True)
    held = session.exec(
        select(func.coalesce(func.sum(Connection.credits), 0)).where(
            Connection.organization_id == organization_id, Connection.status != "DISCONNECTED"
        )
    ).one()
    returned = session.exec(
        select(func.coalesce(func.sum(CreditLedgerEntry.amount), 0)).where(
            CreditLedgerEntry.organization_id == organization_id
        )
    ).one()
    return CreditAudit(organization_id, pool.used if pool else 0, int(held), -int(returned))


def audit_all(session: Session) -> list[CreditAudit]:
    return [audit(session, pool.organization_id) for pool in session.exec(select(CreditPool))]
