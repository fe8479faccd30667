"""The conformance kit's invariants, for an on-premises connection whose every call goes through a real agent.

The same checks as tests/conformance/test_invariants.py (replica equals LIVE,
counts equal paging, time filters, deletions reconciled, paging past deletions,
one failing entity), on a gateway whose SSRF guard refuses the sandbox's
loopback address, so nothing can reach the system but the agent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agent_process import AGENT_STATE, CREATE_AGENT, AgentProcess
from tests.conformance import test_invariants as kit
from tests.conformance.cases.maximo import CASE
from tests.conformance.test_invariants import SETTINGS, Connected
from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, wait_until

pytestmark = pytest.mark.slow

# The kit's checks, collected here in the kit's order (later ones delete records upstream).
test_the_replica_holds_exactly_what_live_paging_returns = kit.test_the_replica_holds_exactly_what_live_paging_returns
test_total_count_equals_the_records_paged = kit.test_total_count_equals_the_records_paged
test_a_time_filter_keeps_the_later_records_or_is_refused_never_an_empty_list = (
    kit.test_a_time_filter_keeps_the_later_records_or_is_refused_never_an_empty_list
)
test_a_record_deleted_upstream_is_reconciled = kit.test_a_record_deleted_upstream_is_reconciled
test_live_paging_skips_nothing_when_records_before_the_cursor_are_deleted = (
    kit.test_live_paging_skips_nothing_when_records_before_the_cursor_are_deleted
)
test_one_failing_entity_leaves_the_others_synced_and_the_connection_degraded = (
    kit.test_one_failing_entity_leaves_the_others_synced_and_the_connection_degraded
)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw-agent-invariants")
    settings = {**SETTINGS, "allowed_hosts": (), "agent_heartbeat_interval": 2.0}
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **settings)


@pytest.fixture(scope="module")
def connected(gateway: Gateway, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connected]:
    tmp = tmp_path_factory.mktemp("agent")
    with CASE.start() as running:
        admin = gateway.new_org()
        made = data(gateway.gql(admin, CREATE_AGENT, {"n": "Invariants plant"}))["createAgent"]
        agent_id = made["agent"]["id"]
        process = AgentProcess(gateway.url, made["key"], [running.instance_url], tmp, tmp / "agent.log").start()
        try:
            wait_until(lambda: data(gateway.gql(admin, AGENT_STATE, {"id": agent_id}))["agent"]["online"], timeout=20)
            through = Connected(gateway, CASE, running, admin=admin, extra={"agentId": agent_id})
            through.wait_synced()
            yield through
            through.close()
        finally:
            process.stop()
