"""Organizations: created with a credit pool and a first admin key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from schema.errors import Unauthenticated

from .audit import OPERATOR, Actor, ActorType, AuditAction, Target, record_audit
from .auth import ADMIN_PREFIX, hash_secret, new_secret, usable_keys
from .store.engine import Store
from .store.tables import AdminKey, CreditPool, Organization, utcnow


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
        key = add_admin_key(session, org.id, OPERATOR)
    return NewOrganization(org, key)


def issue_admin_key(store: Store, organization_id: str) -> str:
    with store.write() as session:
        return add_admin_key(session, organization_id, OPERATOR)


def add_admin_key(session: Session, organization_id: str, actor: Actor) -> str:
    """A new admin key in the caller's transaction (audited); the key is returned once."""
    key, row = _new_key(session, organization_id)
    record_audit(session, organization_id, actor, AuditAction.ADMIN_KEY_CREATE, Target("ADMIN_KEY", row.id))
    return key


def _new_key(session: Session, organization_id: str) -> tuple[str, AdminKey]:
    """Only the key's hash is kept."""
    key = new_secret(ADMIN_PREFIX)
    row = AdminKey(organization_id=organization_id, key_hash=hash_secret(key), prefix=key[:12])
    session.add(row)
    return key, row


def find_by_name(store: Store, name: str) -> Organization | None:
    with store.read() as session:
        return session.exec(select(Organization).where(Organization.name == name)).first()


def rotate_admin_key(store: Store, organization_id: str, digest: str) -> str:
    """A new admin key (returned once) in place of the organization's usable key with this hash."""
    with store.write() as session:
        key = session.exec(usable_keys(select(AdminKey)).where(AdminKey.key_hash == digest).with_for_update()).first()
        if key is None or key.organization_id != organization_id:
            raise Unauthenticated("the bearer token is not valid")
        key.revoked_at = utcnow()
        session.add(key)
        new, row = _new_key(session, organization_id)
        actor = Actor(ActorType.ADMIN_KEY, key.id)
        changes = {"newKeyId": row.id}
        record_audit(
            session, organization_id, actor, AuditAction.ADMIN_KEY_ROTATE, Target("ADMIN_KEY", key.id), changes
        )
        return new
