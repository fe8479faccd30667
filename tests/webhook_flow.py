"""Driving a gateway's webhooks from tests: a gateway that delivers fast, endpoints, test events, rotations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import Gateway, _start_gateway
from tests.helpers import data, wait_until
from tests.test_sync import FAST
from tests.webhook_receiver import Received, Receiver

HOOKS = {**FAST, "webhook_backoff_base": 0.2, "webhook_max_age": 4.0, "webhook_timeout": 2.0}
CREATE = """mutation($u: String!, $e: [String!], $r: Boolean! = false) {
  createWebhookEndpoint(url: $u, events: $e, includeRecord: $r) { secret endpoint { id includeRecord } }
}"""
SEND_TEST = "mutation($e: ID!) { sendTestWebhook(endpointId: $e) { id } }"
ROTATE = """mutation($id: ID!, $h: Float) {
  rotateWebhookSecret(id: $id, overlapHours: $h) { secret endpoint { id previousSecretExpiresAt } }
}"""


def hook_gateway(tmp: Path, **overrides: Any) -> Iterator[Gateway]:
    """A SQLite gateway whose scheduler sends deliveries within a tick."""
    yield from _start_gateway(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "sqlite", **{**HOOKS, **overrides})


def endpoint(
    gateway: Gateway, admin: str, url: str, events: list[str] | None = None, include_record: bool = False
) -> tuple[str, str]:
    """A new endpoint's id and the secret shown once."""
    created = data(gateway.gql(admin, CREATE, {"u": url, "e": events, "r": include_record}))["createWebhookEndpoint"]
    return created["endpoint"]["id"], created["secret"]


def send_test(gateway: Gateway, admin: str, endpoint_id: str, got: Receiver) -> Received:
    """Send a `webhook.test` event and wait for it to arrive."""
    before = len(got.events("webhook.test"))
    data(gateway.gql(admin, SEND_TEST, {"e": endpoint_id}))
    wait_until(lambda: len(got.events("webhook.test")) > before, timeout=10, what="the test delivery")
    return got.events("webhook.test")[-1]


def rotate(gateway: Gateway, admin: str, endpoint_id: str, overlap_hours: float | None) -> dict[str, Any]:
    """`rotateWebhookSecret`'s answer: the new secret and the endpoint."""
    return data(gateway.gql(admin, ROTATE, {"id": endpoint_id, "h": overlap_hours}))["rotateWebhookSecret"]
