"""What the conformance kit needs to know about one system under test.

A case starts the system (a sandbox on a local port, or a real server behind a
fault proxy), says how to log in, how to change and delete records, how to aim a
fault at one entity's upstream requests, and what a nested query may cost
upstream. Each system adds one module in `cases/`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from connectors.sandboxkit import SandboxControl


@dataclass
class Running:
    """A started system: where it is and how to reach and steer it."""

    instance_url: str
    credentials: dict[str, str]
    bad_credentials: dict[str, str]
    control: SandboxControl
    touch: Callable[[str, list[str]], None]  # (unified entity, remote ids) -> bump their modified time
    # A fault `match` regex hitting exactly the upstream requests that list or fetch a unified
    # entity (KeyError for an entity the system does not have).
    entity_match: Callable[[str], str]
    remove: Callable[[str, list[str]], None]  # (unified entity, remote ids) -> deleted upstream, as a user would
    removable: str  # an entity whose records `remove` can delete (nothing upstream refers to them)
    create: Callable[[str], str] | None = None  # a new record of an entity -> its remote id, where needed
    state: Any = None


def path_matches(prefix: str, paths: dict[str, str]) -> Callable[[str], str]:
    """`entity_match` for REST layouts: a request line whose path is `<prefix>/<path>` (regexes), alone or
    followed by `/`, `?` or `(` (so `/parts` is not `/partsx`, `A_PurchaseOrder` not `A_PurchaseOrderItem`)."""
    return lambda entity: rf"^[A-Z]+ {prefix}/(?:{paths[entity]})(?:[/?(]|$)"


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
