"""Which systems exist: every `connectors/<package>/connector.py`.

A connector module exports `CONNECTOR` (or `CONNECTORS` when one package serves
several systems, as SAP does). Adding a system is adding a package; nothing
else needs editing. Packages whose name starts with `_`, and the protocol
packages every system shares (`PROTOCOLS`), are not systems.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from functools import cache
from types import ModuleType

from .base import Connector
from .catalog import SystemEntry

PROTOCOLS = frozenset({"odata"})


def system_packages() -> list[str]:
    package = importlib.import_module(__package__)
    return sorted(
        f"{__package__}.{m.name}"
        for m in pkgutil.iter_modules(package.__path__)
        if m.ispkg and not m.name.startswith("_") and m.name not in PROTOCOLS
    )


def exported(module: ModuleType, single: str, many: str) -> tuple:
    """A module's `SINGLE` export, or its `MANY` tuple."""
    return tuple(getattr(module, many, None) or (getattr(module, single),))


@cache
def connectors() -> dict[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for package in system_packages():
        for cls in exported(importlib.import_module(f"{package}.connector"), "CONNECTOR", "CONNECTORS"):
            found[cls.entry.key] = cls
    return found


def connector_class(key: str) -> type[Connector] | None:
    return connectors().get(key)


def catalog() -> list[SystemEntry]:
    """Every system, in a stable order (tier, then name)."""
    return sorted((c.entry for c in connectors().values()), key=lambda e: (e.tier, e.name))
