"""Writes that hold for every connector that takes them, checked through a real gateway.

For each entity the catalog says a system can create, update or delete, with the
sample inputs its case declares (values valid in that system): a created record
reads back equal LIVE and from the replica, right after the write and after a
sync (the sample gives every field only a create sets); an update with a stale
`ifMatch` is a CONFLICT; every field the update map calls writable is accepted
alone by the system and reads back; a deleted record is gone from the default
lists LIVE and in the replica.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.base import ConnectionConfig
from connectors.registry import connectors
from schema.entities import BY_NAME
from schema.errors import UnsupportedOperation
from tests.conformance.case import Ref, SystemCase, Writes
from tests.conformance.cases import all_cases
from tests.conformance.readback import Shapes
from tests.conformance.test_invariants import SETTINGS, Connected
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data
from tests.write_helpers import create, delete, error, update

pytestmark = pytest.mark.slow  # every writable entity of every system, read back live and from the replica

WRITE_DEFAULTS = (
    "mutation($id: ID!, $d: JSON) { updateConnectionSettings(id: $id, input: {writeDefaults: $d}) { writeDefaults } }"
)


def _plan(operation: str) -> list[Any]:
    """(case, entity) for every entity whose capability allows the operation."""
    params = []
    for case in all_cases():
        capabilities = connectors()[case.system].entry.capabilities
        # A system whose case declares no samples yet is not started for nothing: its checks xfail, saying so.
        marks = list(case.marks)
        if case.writes is None:
            marks.append(
                pytest.mark.xfail(
                    reason=f"{case.system} takes writes but its case declares no `writes` samples yet", run=False
                )
            )
        params += [
            pytest.param(case, entity, id=f"{case.system}-{entity}", marks=marks)
            for entity, capability in sorted(capabilities.items())
            if capability.allows(operation)
        ]
    return params


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-writes")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **SETTINGS)


class Writing(Connected):
    """A connected system, with what the write checks need: its write maps, samples and schema."""

    def __init__(self, gateway: Gateway, case: SystemCase, running: Any) -> None:
        super().__init__(gateway, case, running)
        self.shapes = Shapes(lambda query, variables: gateway.gql(self.token, query, variables))
        self.connector = connectors()[case.system](
            ConnectionConfig(case.hosting, running.instance_url, running.credentials)
        )
        self.refused_defaults: str | None = None
        defaults = dict(case.writes.write_defaults) if case.writes else {}
        if defaults:
            answer = gateway.gql(self.admin, WRITE_DEFAULTS, {"id": self.id, "d": defaults})
            self.refused_defaults = answer["errors"][0]["message"] if answer.get("errors") else None
        self._ids: dict[str, list[str]] = {}
        self._offered: dict[tuple[str, str], set[str]] = {}

    @property
    def writes(self) -> Writes:
        """The case's samples (the plan only runs write checks for cases that declare them)."""
        assert self.case.writes is not None, f"{self.case.system} declares no `writes`"
        return self.case.writes

    def writable(self, entity: str, operation: str) -> set[str]:
        """The unified fields the connector's write map takes for this operation."""
        by_operation = getattr(self.connector, "writes", None)
        try:
            writes = by_operation(entity, operation) if callable(by_operation) else self.connector.write_map(entity)
        except UnsupportedOperation:
            return set()
        fields = set(writes.fields) if writes is not None else set()
        if fields and callable(getattr(self.connector, "writable_fields", None)):
            fields &= self._allowed(entity, operation)
        return fields

    def _allowed(self, entity: str, operation: str) -> set[str]:
        """Where the connector asks the system which fields a write may set (`writable_fields`, e.g. Tryton's
        `fields_get`: a party's code only on create), the fields it offers; asked once, on a connector of its own
        (this one's client stays off the short-lived event loop)."""
        if (entity, operation) not in self._offered:

            async def ask() -> set[str]:
                connector: Any = connectors()[self.case.system](self.connector.config)  # one with `writable_fields`
                try:
                    return set(await connector.writable_fields(entity, operation))
                finally:
                    await connector.aclose()

            self._offered[(entity, operation)] = asyncio.run(ask())
        return self._offered[(entity, operation)]

    def resolve(self, value: Any) -> Any:
        """A sample value with its `Ref`s replaced by remote ids of records that exist upstream."""
        if isinstance(value, Ref):
            if value.entity not in self._ids:
                self._ids[value.entity] = self.ids(value.entity, "LIVE")
            ids = self._ids[value.entity][value.index : value.index + value.count]
            assert len(ids) == value.count, f"{self.case.system} has too few {value.entity} records for {value}"
            return ids if value.many else ids[0]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def sample(self, entity: str) -> dict[str, Any]:
        writes = self.case.writes
        assert writes is not None and entity in writes.create, (
            f"{self.case.system} can create {entity}: its case must declare a sample input"
        )
        return self.resolve(dict(writes.create[entity]))

    def fresh(self, entity: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """A new record made through the gateway; the written values beside it."""
        values = values or self.sample(entity)
        made = create(self.gateway, self.token, entity, values, "", key=uuid.uuid4().hex)
        assert not made.get("errors"), f"{self.case.system} refused to create {entity} {values}: {made['errors']}"
        return {"record": data(made)[f"create{entity}"]["record"], "values": values}

    def target(self, entity: str) -> dict[str, Any]:
        """A record to update: a new one where the system creates them, else the last one listed."""
        if entity in self.writes.create:
            return self.fresh(entity)["record"]
        remote_id = self.ids(entity, "LIVE")[-1]
        singular = BY_NAME[entity].singular
        query = f"query($r: String) {{ {singular}(remoteId: $r) {{ id remoteId remoteVersion }} }}"
        return data(self.gateway.gql(self.token, query, {"r": remote_id}))[singular]

    def live(self, entity: str, remote_id: str, selection: str) -> dict[str, Any] | None:
        singular = BY_NAME[entity].singular
        query = f"query($r: String) {{ {singular}(remoteId: $r) {{ remoteId remoteVersion {selection} }} }}"
        return data(self.gateway.gql(self.token, query, {"r": remote_id}))[singular]

    def replica(self, entity: str, remote_id: str, selection: str) -> dict[str, Any] | None:
        """The record as the replica holds it (default list: records deleted upstream left out)."""
        plural = BY_NAME[entity].plural
        after = None
        while True:
            query = (
                f"query($a: String) {{ {plural}(first: 200, after: $a, source: REPLICA) "
                f"{{ nodes {{ remoteId {selection} }} pageInfo {{ hasNextPage endCursor }} }} }}"
            )
            page = data(self.gateway.gql(self.token, query, {"a": after}))[plural]
            found = next((n for n in page["nodes"] if n["remoteId"] == remote_id), None)
            if found is not None or not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    def holds(
        self, entity: str, remote_id: str, values: dict[str, Any], returned: dict[str, Any] | None = None
    ) -> None:
        """The written values are what the mutation returned, LIVE reads and the replica holds."""
        selection = self.shapes.selection(entity, values)
        seen = {"LIVE": self.live(entity, remote_id, selection), "REPLICA": self.replica(entity, remote_id, selection)}
        if returned is not None:
            seen["returned"] = returned
        for where, record in seen.items():
            assert record is not None, f"{self.case.system} {entity} {remote_id}: not found ({where})"
            problems = self.shapes.differences(entity, values, record)
            assert not problems, f"{self.case.system} {entity} {remote_id} ({where}): {problems}"

    def returned(self, answer: dict[str, Any], field: str) -> dict[str, Any]:
        """The record a mutation returned (the system's refusal fails the test, with its message)."""
        assert not answer.get("errors"), f"{self.case.system} {field}: {answer['errors']}"
        return data(answer)[field]["record"]

    def close(self) -> None:
        asyncio.run(self.connector.aclose())
        super().close()


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest, gateway: Gateway) -> Iterator[Writing]:
    case: SystemCase = request.param
    with case.start() as running:
        made = Writing(gateway, case, running)
        made.wait_synced()
        yield made
        made.close()


def _ready(system: Writing, entity: str) -> None:
    """xfail, saying why, where the connection refused the write settings the case needs (that part
    of the connector is not there yet)."""
    if system.refused_defaults:
        pytest.xfail(
            f"{system.case.system} refused writeDefaults {dict(system.writes.write_defaults)}: "
            f"{system.refused_defaults}"
        )


@pytest.mark.parametrize("system,entity", _plan("create"), indirect=["system"])
def test_a_created_record_reads_back_live_and_from_the_replica(system: Writing, entity: str):
    _ready(system, entity)
    values = system.sample(entity)
    fields = system.writable(entity, "create")
    unknown = set(values) - fields
    assert not unknown, f"the {entity} sample writes fields the create map does not take: {unknown}"
    # A field only a create sets is checked nowhere else (no update check without an update): the sample gives it.
    updatable = connectors()[system.case.system].entry.capabilities[entity].allows("update")
    create_only = sorted(fields - (system.writable(entity, "update") if updatable else set()) - set(values))
    assert not create_only, (
        f"{system.case.system} sets {entity}.{create_only} only on create: the sample must give them"
    )
    selection = system.shapes.selection(entity, values)
    answer = create(system.gateway, system.token, entity, values, selection, key=uuid.uuid4().hex)
    made = system.returned(answer, f"create{entity}")
    system.holds(entity, made["remoteId"], values, returned=made)
    system.sync()
    system.holds(entity, made["remoteId"], values)


@pytest.mark.parametrize("system,entity", _plan("update"), indirect=["system"])
def test_an_update_with_a_stale_version_is_a_conflict(system: Writing, entity: str):
    _ready(system, entity)
    if not system.writes.versioned:
        pytest.skip(f"{system.case.system} keeps no record versions: ifMatch cannot be checked")
    field, value = next(iter(_changes(system, entity).items()))
    target = system.target(entity)
    if entity in system.writes.unversioned:
        assert target["remoteVersion"] is None, f"{system.case.system} {entity}: declared unversioned, has a version"
        refused = error(update(system.gateway, system.token, entity, target["id"], {field: value}, if_match="1"))
        assert refused.get("field") == "ifMatch", f"{entity}: an ifMatch that cannot be compared was taken: {refused}"
        return
    stale = target["remoteVersion"]
    assert stale, f"{system.case.system} {entity}: a record without remoteVersion cannot be checked"
    moved = system.returned(
        update(system.gateway, system.token, entity, target["id"], {field: value}), f"update{entity}"
    )
    assert moved["remoteVersion"] != stale, f"{entity}: an update did not change the version"
    refused = error(update(system.gateway, system.token, entity, target["id"], {field: value}, if_match=stale))
    assert refused.get("reason") == "CONFLICT" or refused.get("code") == "CONFLICT", refused
    assert refused.get("currentVersion") in (None, moved["remoteVersion"]), refused


@pytest.mark.parametrize("system,entity", _plan("update"), indirect=["system"])
def test_every_field_the_update_map_takes_is_accepted_and_reads_back(system: Writing, entity: str):
    _ready(system, entity)
    target = system.target(entity)
    for field, value in _changes(system, entity).items():
        values = {field: value}
        answer = update(
            system.gateway, system.token, entity, target["id"], values, system.shapes.selection(entity, values)
        )
        returned = system.returned(answer, f"update{entity}")
        system.holds(entity, target["remoteId"], values, returned=returned)
    system.sync()  # some fields exclude each other (SAP's technical object): the replica equals LIVE
    selection = system.shapes.selection(entity, _changes(system, entity))
    live = system.live(entity, target["remoteId"], selection)
    assert live is not None
    assert system.replica(entity, target["remoteId"], selection) == {
        k: v for k, v in live.items() if k != "remoteVersion"
    }


@pytest.mark.parametrize("system,entity", _plan("delete"), indirect=["system"])
def test_a_deleted_record_is_gone_from_the_default_lists(system: Writing, entity: str):
    _ready(system, entity)
    target = system.fresh(entity)["record"]
    gone = data(delete(system.gateway, system.token, entity, target["id"]))[f"delete{entity}"]
    assert gone["remoteId"] == target["remoteId"]
    for moment in ("after the write", "after a sync"):
        assert target["remoteId"] not in system.ids(entity, "LIVE"), f"{entity} still listed LIVE {moment}"
        assert target["remoteId"] not in system.ids(entity, "REPLICA"), f"{entity} still in the replica {moment}"
        system.sync()


def _changes(system: Writing, entity: str) -> dict[str, Any]:
    """A value for every field the update map takes: the case's change, else the create value."""
    writes = system.case.writes
    assert writes is not None
    fields = system.writable(entity, "update")
    given = system.resolve(dict(writes.update.get(entity, {})))
    unknown = set(given) - fields
    assert not unknown, f"the {entity} update sample names fields the update map does not take: {unknown}"
    fallback = system.sample(entity) if entity in writes.create else {}
    missing = sorted(fields - set(given) - set(fallback))
    assert not missing, f"{system.case.system} can update {entity}.{missing}: the case must give values"
    return {name: given[name] if name in given else fallback[name] for name in sorted(fields)}
