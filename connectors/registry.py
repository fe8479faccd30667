"""Which systems exist: every `connectors/<package>/connector.py`.

A connector module exports `CONNECTOR` (or `CONNECTORS` when one package serves
several systems, as SAP does). Adding a system is adding a package; nothing
else needs editing. Packages whose name starts with `_`, and the protocol
packages every system shares (`PROTOCOLS`), are not systems.

Systems declared as manifests (docs/manifests.md) join them from the directory
`PLANTGATE_CONNECTOR_DIR` names, read once per process; a manifest that fails to
load is left out and its error kept for the gateway to log at start.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from functools import cache
from pathlib import Path
from types import ModuleType

from .base import Connector
from .catalog import SystemEntry
from .manifests import ManifestError, load_dir

PROTOCOLS = frozenset({"odata", "manifests"})
CONNECTOR_DIR = "PLANTGATE_CONNECTOR_DIR"


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
def builtin() -> dict[str, type[Connector]]:
    """The systems of the connector packages."""
    found: dict[str, type[Connector]] = {}
    for package in system_packages():
        for cls in exported(importlib.import_module(f"{package}.connector"), "CONNECTOR", "CONNECTORS"):
            found[cls.entry.key] = cls
    return found


@cache
def _manifests() -> tuple[dict[str, type[Connector]], tuple[ManifestError, ...]]:
    directory = os.environ.get(CONNECTOR_DIR, "").strip()
    if not directory:
        return {}, ()
    if not Path(directory).is_dir():
        return {}, (ManifestError(directory, 1, CONNECTOR_DIR, "is not a directory"),)
    loaded, errors = load_dir(Path(directory), builtin())
    return {cls.entry.key: cls for cls in loaded}, tuple(errors)


def manifest_errors() -> tuple[ManifestError, ...]:
    """Why manifests of `PLANTGATE_CONNECTOR_DIR` were left out (`file:line: field: reason` each)."""
    return _manifests()[1]


@cache
def connectors() -> dict[str, type[Connector]]:
    """Every system: the packages', then the manifests'."""
    return {**builtin(), **_manifests()[0]}


def connector_class(key: str) -> type[Connector] | None:
    return connectors().get(key)


def catalog(manifests: bool = True) -> list[SystemEntry]:
    """Every system (without the manifests' if not `manifests`), in a stable order (tier, then name)."""
    systems = connectors() if manifests else builtin()
    return sorted((c.entry for c in systems.values()), key=lambda e: (e.tier, e.name))
