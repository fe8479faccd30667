"""The built-in vendor sandboxes, for the demo and the tests: app factory and a login."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from starlette.types import ASGIApp

from .upkeep import sandbox as upkeep_sandbox


@dataclass(frozen=True)
class SandboxSpec:
    system: str
    create_app: Callable[[], ASGIApp]
    credentials: dict[str, str] = field(default_factory=dict)


SANDBOXES: dict[str, SandboxSpec] = {
    "upkeep": SandboxSpec(
        "upkeep",
        upkeep_sandbox.create_app,
        {"email": "demo@upkeep.example", "password": "upkeep-demo"},
    ),
}
