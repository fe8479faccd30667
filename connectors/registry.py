"""Which systems exist: connector classes by catalog key."""

from __future__ import annotations

from .base import Connector
from .catalog import SystemEntry
from .upkeep.connector import UpKeepConnector

CONNECTORS: dict[str, type[Connector]] = {
    cls.entry.key: cls for cls in (UpKeepConnector,)
}


def connector_class(key: str) -> type[Connector] | None:
    return CONNECTORS.get(key)


def catalog() -> list[SystemEntry]:
    """Every system, in a stable order (tier, then name)."""
    return sorted((c.entry for c in CONNECTORS.values()), key=lambda e: (e.tier, e.name))
