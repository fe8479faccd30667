"""Invariants that hold for every connector, whatever its system: checked through the gateway.

Each system (a sandbox, or the real Tryton server) is connected to a gateway
whose scheduler syncs for real, with the whole history. Then, for every entity
the connector lists: the replica holds exactly what paging LIVE returns;
`totalCount` equals the records paged wherever it is not null; `updatedAfter` and
`createdAfter` keep exactly the records whose own time is later, or are refused
where the records carry no such time (never an empty list); a record deleted
upstream is marked deleted after one reconciliation pass; one entity made to
fail leaves every other entity synced and the connection DEGRADED, then ACTIVE
again; and, unless the connector pages by plain offsets, deleting records
before the cursor skips nothing that still exists.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.registry import connectors
from gateway.store.sync_tables import SyncSchedule
from gateway.store.tables import utcnow
from schema.entities import BY_NAME
from tests.conformance.case import Running, SystemCase
from tests.conformance.cases import all_cases, case_params
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, filter_type, type_fields, wait_until

pytestmark = pytest.mark.slow  # a full sync of every system before its checks

CASES = all_cases()
SETTINGS = {
    "scheduler": True,
    "sync_tick": 0.05,
    "sync_interval": 3600.0,  # runs here are the first one and those the tests trigger
    "min_sync_interval": 0.1,
    "history_days": 0,  # the whole history: the replica must equal LIVE
    "reconcile_interval": 3600.0,
    "backoff_base": 0.2,
    "backoff_cap": 30.0,  # an entity made unavailable is not retried during the test
    "lease_ttl": 10.0,
    "upstream_read_timeout": 5.0,
    "upstream_retries": 0,
}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-invariants")
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **SETTINGS)


class Connected:
    """A system under test connected to the gateway."""

    def __init__(
        self,
        gateway: Gateway,
        case: SystemCase,
        running: Running,
        admin: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """`admin` and `extra` (more createConnection input, e.g. an agentId) for a connection made another way."""
        self.gateway, self.case, self.running = gateway, case, running
        self.admin = admin or gateway.new_org()
        created = data(
            gateway.gql(
                self.admin,
                """
            mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token connection { id } } }""",
                {
                    "i": {
                        "system": case.system,
                        "hosting": case.hosting,
                        "name": "invariants",
                        "instanceUrl": running.instance_url,
                        "credentials": running.credentials,
                        **(extra or {}),
                    }
                },
            )
        )["createConnection"]
        self.id, self.token = created["connection"]["id"], created["token"]
        connector = connectors()[case.system]
        self.entities = [name for name, capability in connector.entry.capabilities.items() if capability.read]
        self.paging = connector.live_paging

    def status(self) -> dict[str, Any]:
        return data(
            self.gateway.gql(
                self.admin,
                "query($id: ID!) { connection(id: $id) { status statusReason syncStatus { entity state lastError } } }",
                {"id": self.id},
            )
        )["connection"]

    def states(self) -> dict[str, str]:
        return {s["entity"]: s["state"] for s in self.status()["syncStatus"]}

    def _schedule(self) -> SyncSchedule | None:
        with self.gateway.services.store.read() as session:
            return session.get(SyncSchedule, self.id)

    def _idle_since(self, moment: Any) -> bool:
        plan = self._schedule()
        return bool(
            plan
            and plan.lease_owner is None
            and plan.last_run_at is not None
            and plan.last_run_at.replace(tzinfo=moment.tzinfo) >= moment
            and not plan.requested
        )

    def sync(self, full: bool = False) -> None:
        """Trigger a run and wait until it has finished."""
        asked = utcnow()
        data(
            self.gateway.gql(
                self.admin,
                "mutation($id: ID!, $f: Boolean!) { triggerSync(id: $id, full: $f) { id } }",
                {"id": self.id, "f": full},
            )
        )
        wait_until(lambda: self._idle_since(asked), timeout=120)

    def page(
        self, entity: str, source: str, first: int = 100, fields: str = "remoteId deletedAt", **filter: Any
    ) -> list[dict[str, Any]]:
        """Every node of an entity's list, following endCursor to the end."""
        plural = BY_NAME[entity].plural
        nodes: list[dict[str, Any]] = []
        after = None
        for _ in range(2000):
            page = self.list(plural, source, first, after, filter or None, fields)
            nodes += page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return nodes
            after = page["pageInfo"]["endCursor"]
        raise AssertionError("paging did not end")

    def list(
        self,
        plural: str,
        source: str,
        first: int,
        after: str | None,
        filter: dict | None,
        fields: str = "remoteId deletedAt",
    ) -> dict[str, Any]:
        return data(self.answer(plural, source, first, after, filter, fields))[plural]

    def answer(
        self, plural: str, source: str, first: int, after: str | None, filter: dict | None, fields: str
    ) -> dict[str, Any]:
        """The whole GraphQL answer of one page of a list (errors included)."""
        query = (
            f"query($first: Int, $after: String, $filter: {filter_type(plural)}, $source: Source!) "
            f"{{ {plural}(first: $first, after: $after, filter: $filter, source: $source) "
            f"{{ totalCount nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        )
        return self.gateway.gql(self.token, query, {"first": first, "after": after, "filter": filter, "source": source})

    def fields(self, entity: str) -> set[str]:
        """The fields of an entity's type in this connection's schema (shaped by the system)."""
        return type_fields(self.gateway, self.token, entity)

    def ids(self, entity: str, source: str, **filter: Any) -> builtins.list[str]:
        return [n["remoteId"] for n in self.page(entity, source, **filter)]

    def wait_synced(self) -> None:
        """Until the first sync has read every entity (the replica is complete)."""
        wait_until(
            lambda: (s := self.states()) and len(s) == len(self.entities) and all(v == "SUCCEEDED" for v in s.values()),
            timeout=180,
        )

    def close(self) -> None:
        self.running.control.clear_fault()
        data(self.gateway.gql(self.admin, "mutation($id: ID!) { disconnect(id: $id) { id } }", {"id": self.id}))


@pytest.fixture(scope="module", params=case_params(CASES))
def connected(request: pytest.FixtureRequest, gateway: Gateway) -> Iterator[Connected]:
    case: SystemCase = request.param
    with case.start() as running:
        made = Connected(gateway, case, running)
        made.wait_synced()
        yield made
        made.close()


def test_the_replica_holds_exactly_what_live_paging_returns(connected):
    for entity in connected.entities:
        for filter in ({}, {"includeDeleted": True}):
            live = connected.ids(entity, "LIVE", **filter)
            replica = connected.ids(entity, "REPLICA", **filter)
            assert len(live) == len(set(live)), f"{entity}: LIVE repeats records {filter}"
            assert len(replica) == len(set(replica)), f"{entity}: REPLICA repeats records {filter}"
            assert sorted(replica) == sorted(live), f"{entity}: replica differs from LIVE {filter}"
        assert live, f"{entity}: the system has records"


def test_total_count_equals_the_records_paged(connected):
    for entity in connected.entities:
        plural = BY_NAME[entity].plural
        for source in ("LIVE", "REPLICA"):
            counted = connected.list(plural, source, 1, None, None)["totalCount"]
            if counted is None:
                assert source == "LIVE", f"{entity}: the replica can always count"
                assert not connected.case.counts_live(entity), f"{entity}: the system counts it, yet null"
                continue
            assert source == "REPLICA" or connected.case.counts_live(entity), f"{entity}: counted, yet declared null"
            assert counted == len(connected.ids(entity, source)), f"{entity} {source}"


TIME_FILTERS = {"updatedAfter": "updatedAt", "createdAfter": "createdAt"}


def between(times: builtins.list[datetime]) -> datetime:
    """A whole second strictly between two records' times near the middle (so a filter keeps some and drops
    some, whatever the precision the system compares at), else a day before the earliest."""
    gaps = [(low, high) for low, high in zip(times, times[1:], strict=False) if high - low >= timedelta(seconds=2)]
    if not gaps:
        return times[0] - timedelta(days=1)
    low, high = min(gaps, key=lambda gap: abs(times.index(gap[0]) - len(times) // 2))
    return (low + (high - low) / 2).replace(microsecond=0)


def test_a_time_filter_keeps_the_later_records_or_is_refused_never_an_empty_list(connected):
    """`updatedAfter`/`createdAfter` answer, live and from the replica, exactly the records whose own time is
    later (pushed to the system or applied here); where the records carry no such time, neither the time
    nor its filter is in the connection's schema, and a filter on it fails validation naming the system."""
    system = connectors()[connected.case.system].entry.name
    for entity in connected.entities:
        plural = BY_NAME[entity].plural
        carried = [field for field in TIME_FILTERS.values() if field in connected.fields(entity)]
        everything = connected.page(entity, "LIVE", fields=" ".join(["remoteId", *carried]))
        for name, field in TIME_FILTERS.items():
            stamped = {n["remoteId"]: datetime.fromisoformat(n[field]) for n in everything if n.get(field)}
            since = between(sorted(set(stamped.values()))) if stamped else datetime(2000, 1, 1, tzinfo=UTC)
            expected = sorted(i for i, time in stamped.items() if time > since)
            for source in ("LIVE", "REPLICA"):
                filter = {name: since.isoformat()}
                first = connected.answer(plural, source, 100, None, filter, "remoteId")
                if field not in carried:
                    [error] = first["errors"]
                    assert error["extensions"]["code"] == "BAD_USER_INPUT", (entity, name, first)
                    assert f"not to include '{name}': {system} does not say when" in error["message"]
                    continue
                assert not first.get("errors"), (entity, name, source, first)
                found = connected.ids(entity, source, **filter)
                assert sorted(found) == expected, f"{entity} {name} > {since} {source}"


def test_a_record_deleted_upstream_is_reconciled(connected):
    running, entity = connected.running, connected.running.removable
    if running.create is not None:
        running.create(entity)
        connected.sync()
    victim = connected.ids(entity, "LIVE")[-1]
    assert victim in connected.ids(entity, "REPLICA")
    running.remove(entity, [victim])
    connected.sync(full=True)
    assert victim not in connected.ids(entity, "REPLICA")
    kept = {n["remoteId"]: n["deletedAt"] for n in connected.page(entity, "REPLICA", includeDeleted=True)}
    assert kept.get(victim), f"{entity} {victim} is kept with deletedAt for consumers of includeDeleted"
    assert sorted(connected.ids(entity, "REPLICA")) == sorted(connected.ids(entity, "LIVE"))


def test_live_paging_skips_nothing_when_records_before_the_cursor_are_deleted(connected):
    if connected.paging == "offset":
        pytest.skip(f"{connected.case.system} pages by {connected.paging}: README says what that guarantees")
    running, entity = connected.running, connected.running.removable
    created = [running.create(entity) for _ in range(4)] if running.create is not None else []
    plural = BY_NAME[entity].plural
    everything = connected.ids(entity, "LIVE")
    deletable = set(created) or set(everything)
    seen: list[str] = []
    after = None
    while not deletable & set(seen):  # page until a record we may delete lies before the cursor
        page = connected.list(plural, "LIVE", 2, after, None)
        seen += [n["remoteId"] for n in page["nodes"]]
        assert page["pageInfo"]["hasNextPage"], f"{entity}: too few records to page"
        after = page["pageInfo"]["endCursor"]
    running.remove(entity, [next(i for i in seen if i in deletable)])  # a record before the cursor goes away
    rest: list[str] = []
    while True:
        page = connected.list(plural, "LIVE", 2, after, None)
        rest += [n["remoteId"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert set(everything) - set(seen) <= set(rest), "a record after the cursor was skipped"
    assert not set(seen) & set(rest), "a record before the cursor came again"


def test_one_failing_entity_leaves_the_others_synced_and_the_connection_degraded(connected):
    running = connected.running
    broken = next(e for e in connected.entities if e != running.removable)
    running.control.fault("error", status=404, match=running.entity_match(broken))
    try:
        connected.sync(full=True)
        states = connected.states()
        assert states[broken] == "UNAVAILABLE", states
        assert all(state == "SUCCEEDED" for entity, state in states.items() if entity != broken), states
        status = connected.status()
        assert status["status"] == "DEGRADED" and broken in status["statusReason"]
        for entity in connected.entities:
            if entity != broken:
                assert sorted(connected.ids(entity, "REPLICA")) == sorted(connected.ids(entity, "LIVE")), entity
    finally:
        running.control.clear_fault()
    connected.sync()
    assert connected.status()["status"] == "ACTIVE"
    assert all(state == "SUCCEEDED" for state in connected.states().values())


def test_every_connector_has_a_case():
    """The invariants run for every connector the registry knows: a new system brings its case."""
    assert sorted(case.system for case in CASES) == sorted(connectors())
