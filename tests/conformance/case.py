"""What the conformance kit needs to know about one system under test.

A case starts the system (a sandbox on a local port, or a real server behind a
fault proxy), says how to log in, how to change and delete records, how to aim a
fault at one entity's upstream requests, and what a nested query may cost
upstream. Each system adds one module in `cases/`. Where the connector takes
writes, the case also declares sample inputs valid in that system (`Writes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from sandboxes.kit import SandboxControl, SandboxSpec, ServerThread


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


def related_ids(answer: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The distinct asset ids and asset-location ids behind the kit's nested work-order query."""
    nodes = answer["workOrders"]["nodes"]
    assets = {n["asset"]["remoteId"] for n in nodes if n["asset"]}
    locations = {n["asset"]["location"]["remoteId"] for n in nodes if n["asset"] and n["asset"]["location"]}
    return assets, locations


@contextmanager
def served(
    sandbox: SandboxSpec,
    *,
    bad_credentials: dict[str, str],
    collections: Mapping[str, str],
    entity_match: Callable[[str], str],
    removable: str,
    remote_id: Callable[[str], Any] = str,
) -> Iterator[Running]:
    """A sandbox on a local port, steered through its control routes: `collections` names the sandbox's
    collection of each unified entity, `remote_id` turns a remote id into the sandbox's key type."""
    with ServerThread(sandbox.create_app()) as server:
        control = SandboxControl(server.url)
        yield Running(
            instance_url=server.url,
            credentials=dict(sandbox.credentials),
            bad_credentials=bad_credentials,
            control=control,
            touch=lambda entity, ids: control.touch(collections[entity], [remote_id(i) for i in ids]),
            entity_match=entity_match,
            remove=lambda entity, ids: control.remove(collections[entity], [remote_id(i) for i in ids]),
            removable=removable,
            state=server.app.state.data,
        )


@dataclass(frozen=True)
class Ref:
    """A sample value naming records that exist upstream: the remote ids of the `count` records
    starting at `index` in the entity's LIVE list (one id unless `many`)."""

    entity: str
    index: int = 0
    many: bool = False
    count: int = 1


@dataclass(frozen=True)
class Writes:
    """What the write checks of the kit need from one system.

    `create`: per creatable entity, an input the system accepts. `update`: per updatable entity, a
    value per field the update map declares writable (a field missing here is updated with its
    create value). `versioned`: the system (or the connector) compares `ifMatch`; `unversioned`: entities
    of a versioned system whose records carry no version (there, an update with `ifMatch` is refused).
    `write_defaults`: organisational context set on the connection (`writeDefaults`) before any write."""

    create: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    update: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    versioned: bool = True
    unversioned: frozenset[str] = field(default_factory=frozenset)
    write_defaults: Mapping[str, str] = field(default_factory=dict)


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
    writes: Writes | None = None  # None: the connector takes no writes
    # pytest marks for every test of this case (`tryton`: it needs a real trytond).
    marks: tuple[pytest.MarkDecorator, ...] = ()
    # Entities whose unfiltered LIVE `totalCount` is null, as the README's table says: the system cannot
    # count them in one call (EVERY_ENTITY where its lists carry no total).
    uncounted: frozenset[str] = frozenset()

    def counts_live(self, entity: str) -> bool:
        return not self.uncounted & {entity, "*"}


EVERY_ENTITY = frozenset({"*"})
