"""What the conformance kit needs to know about one system under test.

A case starts the system (a sandbox on a local port, or a real server behind a
fault proxy), says how to log in, how to change records, and what a nested
query may cost upstream. Each system adds one module in `cases/`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Callable

from connectors.sandboxkit import SandboxControl


@dataclass
class Running:
    """A started system: where it is and how to reach and steer it."""

    instance_url: str
    credentials: dict[str, str]
    bad_credentials: dict[str, str]
    control: SandboxControl
    touch: Callable[[str, list[str]], None]  # (unified entity, remote ids) -> bump their modified time
    state: Any = None


@dataclass
class SystemCase:
    system: str
    hosting: str
    start: Callable[[], AbstractContextManager[Running]]
    # A nested query through the gateway, and the exact number of upstream calls it
    # may make given its answer (the minimum the vendor API allows).
    nested_query: str
    expected_calls: Callable[[dict[str, Any], Running], int]
    # Entities to skip in the modified-since check (no change timestamp upstream).
    no_modified_since: frozenset[str] = field(default_factory=frozenset)
