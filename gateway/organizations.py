"""Organizations: created with a credit pool and a first admin key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from .auth import ADMIN_PREFIX, hash_secret, new_secret
from .store.engine import Store
from .store.tables import AdminKey, CreditPool, Organization


@dataclass(frozen=True)
class NewOrganization:
    organization: Organization
    admin_key: str  # shown once


def create_organization(store: Store, name: str, credits: int) -> NewOrganization:
    with store.write() as session:
        org = Organization(name=name)
        session.add(org)
        session.flush()
        session.add(CreditPool(organization_id=org.id, total=credits, used=0))
        key = _add_admin_key(session, org.id)
    return NewOrganization(org, key)


def issue_admin_key(store: Store, organization_id: str) -> str:
    with store.write() as session:
        return _add_admin_key(session, organization_id)


def _add_admin_key(session, organization_id: str) -> str:  # noqa: ANN001
    key = new_secret(ADMIN_PREFIX)
    session.add(
        AdminKey(organization_id=organization_id, key_hash=hash_secret(key), prefix=key[:12])
    )
    return key


def find_by_name(store: Store, name: str) -> Organization | None:
    with store.read() as session:
        return session.exec(select(Organization).where(Organization.name == name)).first()
