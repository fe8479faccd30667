"""How deliveries are signed: Standard Webhooks headers, and the deprecated `Plantgate-Webhook-*` ones.

A secret is shown to its owner once as `whsec_<base64 key>`, so any Standard
Webhooks verifier accepts it. Endpoints created before carry a `whsec_<token>`
that is not base64: its text itself is the key (a verifier takes it as
`whsec_` + base64 of that text), and it keeps signing until rotated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
STANDARD = "standard"  # the sealed form's marker; secrets sealed without it are the older tokens


@dataclass(frozen=True)
class SigningSecret:
    """One endpoint secret as its owner holds it, and how it becomes a signing key."""

    value: str
    standard: bool = True

    @classmethod
    def new(cls) -> SigningSecret:
        return cls(SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode())

    @classmethod
    def unsealed(cls, sealed: dict[str, Any]) -> SigningSecret:
        return cls(sealed["secret"], sealed.get("format") == STANDARD)

    def sealed(self) -> dict[str, Any]:
        """What the vault encrypts: the secret with its format, so the key is never guessed from its shape."""
        return {"secret": self.value, "format": STANDARD} if self.standard else {"secret": self.value}

    def webhook(self) -> Webhook:
        return Webhook(self.value if self.standard else self.value.encode())


def legacy_signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the deprecated header, kept for one release."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def headers(event_id: str, body: bytes, signers: list[SigningSecret], timestamp: int) -> dict[str, str]:
    """Both header sets; `webhook-signature` lists one signature per live secret, the current one first."""
    when = datetime.fromtimestamp(timestamp, UTC)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signer.webhook().sign(event_id, when, body) for signer in signers),
        "Plantgate-Webhook-Id": event_id,
        "Plantgate-Webhook-Timestamp": str(timestamp),
        "Plantgate-Webhook-Signature": legacy_signature(signers[0].value, timestamp, body),
    }
