"""Standard Webhooks verifiers as receivers run them: the Python package, and the npm one under Node."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.client_tools import node_script
from tests.webhook_receiver import Received


def python_verifies(secret: str, received: Received) -> bool:
    """Whether `Webhook(secret).verify` accepts the delivery (and hands back its JSON)."""
    try:
        return Webhook(secret).verify(received.body, received.headers) == received.json
    except (WebhookVerificationError, ValueError):  # ValueError: a secret that is not base64 at all
        return False


def node_verifies(cases: list[tuple[str, Received]]) -> list[str]:
    """The npm `standardwebhooks` package's verdict per (secret, delivery): "ok" or its error."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.json"
        path.write_text(
            json.dumps([{"secret": s, "body": r.body.decode(), "headers": r.headers} for s, r in cases]),
            encoding="utf-8",
        )
        return node_script("standard_webhooks_verify.cjs", {"PLANTGATE_WEBHOOK_CASES": str(path)})


def tampered(received: Received, body: bytes | None = None, **headers: str) -> Received:
    """The same delivery with its body or headers changed on the way."""
    return Received({**received.headers, **headers}, received.body if body is None else body, received.at)
