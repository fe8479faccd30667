"""The built-in vendor sandboxes, for the demo and the tests.

Each `connectors/<system>/sandbox.py` exports `SANDBOX`, a `SandboxSpec`.
"""

from __future__ import annotations

import importlib

from .registry import sandbox_modules
from .sandboxkit import SandboxSpec


def sandboxes() -> dict[str, SandboxSpec]:
    return {key: importlib.import_module(module).SANDBOX for key, module in sandbox_modules().items()}
