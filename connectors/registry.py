"""Which systems exist: every `connectors/<system>/connector.py` that exports `CONNECTOR`.

Adding a system is adding a package; nothing else needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .base import Connector
from .catalog import SystemEntry


def _system_packages() -> list[str]:
    package = importlib.import_module(__package__)
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.ispkg)


@cache
def connectors() -> dict[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for name in _system_packages():
        module = importlib.import_module(f"{__package__}.{name}.connector")
        cls = module.CONNECTOR
        found[cls.entry.key] = cls
    return found


@cache
def sandbox_modules() -> dict[str, str]:
    """System key -> module of its built-in sandbox, for systems that have one."""
    found: dict[str, str] = {}
    for name in _system_packages():
        module = f"{__package__}.{name}.sandbox"
        if importlib.util.find_spec(module) is not None:
            key = importlib.import_module(f"{__package__}.{name}.connector").CONNECTOR.entry.key
            found[key] = module
    return found


def connector_class(key: str) -> type[Connector] | None:
    return connectors().get(key)


def catalog() -> list[SystemEntry]:
    """Every system, in a stable order (tier, then name)."""
    return sorted((c.entry for c in connectors().values()), key=lambda e: (e.tier, e.name))
