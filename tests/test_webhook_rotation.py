"""Secret rotation with an overlap: both secrets verify during the window, only the new one after it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from gateway.events.signing import SigningSecret
from gateway.store.event_tables import WebhookEndpoint
from sandboxes.kit import ServerThread
from tests.conftest import Gateway
from tests.helpers import data, error_code
from tests.test_webhooks import verify as legacy_verifies
from tests.webhook_flow import ROTATE, endpoint, hook_gateway, rotate, send_test
from tests.webhook_receiver import Receiver
from tests.webhook_verifiers import node_verifies, python_verifies

WINDOW = 6.0  # seconds: long enough for a delivery to go out inside it, short enough to wait for its end


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from hook_gateway(tmp_path_factory.mktemp("gw-rotation"))


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, ServerThread]]:
    made = Receiver()
    with ServerThread(made.app()) as server:
        yield made, server


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def test_both_secrets_verify_during_the_overlap_and_only_the_new_one_after(hooks, receiver):
    got, server = receiver
    admin = hooks.new_org()
    endpoint_id, old = endpoint(hooks, admin, f"{server.url}/hook")
    rotated = rotate(hooks, admin, endpoint_id, WINDOW / 3600)
    new, ends = rotated["secret"], _at(rotated["endpoint"]["previousSecretExpiresAt"])
    assert new != old and abs((ends - datetime.now(UTC)).total_seconds() - WINDOW) < 2

    during = send_test(hooks, admin, endpoint_id, got)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert python_verifies(new, during) and python_verifies(old, during)
    assert legacy_verifies(new, during)  # the deprecated header carries the current secret only

    time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.3)
    after = send_test(hooks, admin, endpoint_id, got)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert python_verifies(new, after) and not python_verifies(old, after)
    listed = data(hooks.gql(admin, "{ webhookEndpoints { previousSecretExpiresAt } }"))["webhookEndpoints"]
    assert listed == [{"previousSecretExpiresAt": None}]

    verdicts = node_verifies([(old, during), (new, during), (old, after), (new, after)])
    assert verdicts[:2] == ["ok", "ok"] and verdicts[3] == "ok", verdicts
    assert verdicts[2].startswith("WebhookVerificationError"), verdicts


def test_the_default_overlap_comes_from_the_settings_and_zero_switches_at_once(hooks, receiver):
    got, server = receiver
    admin = hooks.new_org()
    endpoint_id, first = endpoint(hooks, admin, f"{server.url}/hook")
    defaulted = rotate(hooks, admin, endpoint_id, None)
    hours = hooks.services.settings.webhook_rotation_overlap_hours
    expected = datetime.now(UTC) + timedelta(hours=hours)
    assert abs((_at(defaulted["endpoint"]["previousSecretExpiresAt"]) - expected).total_seconds()) < 5

    instant = rotate(hooks, admin, endpoint_id, 0)
    assert instant["endpoint"]["previousSecretExpiresAt"] is None
    received = send_test(hooks, admin, endpoint_id, got)
    assert python_verifies(instant["secret"], received)
    assert not python_verifies(defaulted["secret"], received) and not python_verifies(first, received)


@pytest.mark.parametrize("hours, code", [(-1, "BAD_USER_INPUT"), (24 * 31, "BAD_USER_INPUT")])
def test_an_overlap_out_of_range_is_refused(hooks, hours, code):
    admin = hooks.new_org()
    endpoint_id, _ = endpoint(hooks, admin, "http://127.0.0.1:9/hook")
    assert error_code(hooks.gql(admin, ROTATE, {"id": endpoint_id, "h": hours})) == code


def test_another_organizations_endpoint_is_not_rotated(hooks):
    endpoint_id, _ = endpoint(hooks, hooks.new_org(), "http://127.0.0.1:9/hook")
    assert error_code(hooks.gql(hooks.new_org(), ROTATE, {"id": endpoint_id, "h": 1})) == "NOT_FOUND"


def test_concurrent_rotations_each_keep_the_secret_they_replaced(gateway):
    """On both backends: the kept secret is always one some rotation issued, never a stale read."""
    admin = gateway.new_org()
    endpoint_id, original = endpoint(gateway, admin, "http://127.0.0.1:9/hook")
    with ThreadPoolExecutor(8) as pool:
        issued = list(pool.map(lambda _: rotate(gateway, admin, endpoint_id, 1)["secret"], range(8)))
    vault = gateway.services.webhooks.vault
    with gateway.services.store.read() as session:
        row = session.get(WebhookEndpoint, endpoint_id)
        assert row is not None and row.previous_secret_encrypted is not None
    current = SigningSecret.unsealed(vault.decrypt(row.secret_encrypted)).value
    previous = SigningSecret.unsealed(vault.decrypt(row.previous_secret_encrypted)).value
    assert len(set(issued)) == 8 and current in issued and previous in issued and previous != current
    assert original not in (current, previous)
