"""The built-in vendor sandboxes, for the demo and the tests.

A `connectors/<package>/sandbox.py` exports `SANDBOX` (or `SANDBOXES`), `SandboxSpec`s.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache

from .registry import exported, system_packages
from .sandboxkit import SandboxSpec


@cache
def sandboxes() -> dict[str, SandboxSpec]:
    found: dict[str, SandboxSpec] = {}
    for package in system_packages():
        if importlib.util.find_spec(f"{package}.sandbox") is None:
            continue
        module = importlib.import_module(f"{package}.sandbox")
        for spec in exported(module, "SANDBOX", "SANDBOXES"):
            found[spec.system] = spec
    return found
