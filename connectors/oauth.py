"""OAuth 2.0 client credentials (RFC 6749 §4.4) as an httpx auth flow.

The token is fetched from the token endpoint on first use, sent as a bearer token,
renewed shortly before `expires_in` runs out and once more when the API answers 401
(a token revoked early). The token request goes through the connection's own
client, so the SSRF guard and timeouts apply to it too. A refused token request is
`SystemAuthFailed` naming the endpoint's error code, never the secret.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

import httpx

from schema.errors import SystemAuthFailed, SystemUnreachable

RENEW_MARGIN = 60.0  # seconds before expiry a token is renewed


class ClientCredentials(httpx.Auth):
    """Bearer tokens of one application (client id and secret) for one scope."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, scope: str, *, system: str) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.system = system
        self.token: str | None = None
        self.expires_at = 0.0
        self._lock = asyncio.Lock()  # concurrent first calls wait for one token

    def token_request(self) -> httpx.Request:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": self.scope,
        }
        return httpx.Request("POST", self.token_url, data=form, headers={"Accept": "application/json"})

    def take(self, response: httpx.Response) -> None:
        """Keep the token of a token endpoint's answer; refuse an answer without one."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise SystemUnreachable(f"{self.system}'s token endpoint sent no JSON (HTTP {response.status_code})")
        if response.status_code >= 400 or not isinstance(body.get("access_token"), str):
            code = body.get("error") if isinstance(body.get("error"), str) else f"HTTP {response.status_code}"
            status = response.status_code if response.status_code >= 400 else 401
            raise SystemAuthFailed(
                f"{self.system}'s token endpoint refused the client credentials: {code}", status=status
            )
        self.token = body["access_token"]
        expires_in = body.get("expires_in")
        lifetime = (
            float(expires_in) if isinstance(expires_in, (int, float, str)) and str(expires_in).isdigit() else 3600.0
        )
        self.expires_at = time.monotonic() + lifetime - RENEW_MARGIN

    def fresh(self) -> bool:
        return self.token is not None and time.monotonic() < self.expires_at

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not self.fresh():
            async with self._lock:
                if not self.fresh():
                    await self.renew((yield self.token_request()))
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            refused = self.token
            async with self._lock:
                if self.token == refused:  # not renewed meanwhile by a concurrent call
                    await self.renew((yield self.token_request()))
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request

    async def renew(self, response: httpx.Response) -> None:
        await response.aread()
        self.take(response)
