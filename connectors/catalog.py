"""Catalog entries: what a system is, what it costs and what its login needs."""

from __future__ import annotations

from dataclasses import dataclass, field

CLOUD = "CLOUD"
ON_PREMISES = "ON_PREMISES"
HOSTINGS = (CLOUD, ON_PREMISES)

TIER_CREDITS = {1: 1, 2: 2, 3: 4}


@dataclass(frozen=True)
class CredentialField:
    """One input of a system's login form."""

    name: str
    label: str
    type: str = "string"  # string | password | url | number
    secret: bool = False
    required: bool = True
    help: str = ""
    default: str | None = None


@dataclass(frozen=True)
class Capability:
    """What the gateway can do with one entity of one system."""

    read: bool = True
    incremental: bool = False
    create: bool = False
    update: bool = False
    delete: bool = False
    adjust: bool = False  # stock adjustments (Part)

    def allows(self, operation: str) -> bool:
        return bool(getattr(self, operation, False))


@dataclass(frozen=True)
class SystemEntry:
    """A system of the catalog (PRODUCT.md "Concepts")."""

    key: str
    name: str
    vendor: str
    category: str
    tier: int
    hostings: tuple[str, ...]
    credential_fields: tuple[CredentialField, ...]
    capabilities: dict[str, Capability] = field(default_factory=dict)
    auth_guide: str = ""
    default_base_url: str | None = None
    deletions: str = ""  # what a record deleted (or cancelled, archived) in the system reads as here

    def credits(self, hosting: str) -> int:
        """Credits a connection holds: by tier, doubled on premises."""
        return TIER_CREDITS[self.tier] * (2 if hosting == ON_PREMISES else 1)

    def supports(self, entity: str) -> bool:
        cap = self.capabilities.get(entity)
        return bool(cap and cap.read)
