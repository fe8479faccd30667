"""Which sandboxes exist: every `sandboxes/<vendor>/app.py`.

An app module exports `SANDBOX` (or `SANDBOXES` when one imitation serves
several systems, as SAP's does), `SandboxSpec`s keyed by the system they imitate.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .kit import SandboxSpec


def vendor_packages() -> list[str]:
    package = importlib.import_module(__package__)
    return sorted(f"{__package__}.{m.name}" for m in pkgutil.iter_modules(package.__path__) if m.ispkg)


@cache
def sandboxes() -> dict[str, SandboxSpec]:
    found: dict[str, SandboxSpec] = {}
    for package in vendor_packages():
        module = importlib.import_module(f"{package}.app")
        specs = getattr(module, "SANDBOXES", None) or (module.SANDBOX,)
        for spec in specs:
            found[spec.system] = spec
    return found
