"""The connector every manifest compiles to: the kit's `RestConnector` with the manifest's login.

Calls go through the kit's `UpstreamClient` like any REST connector's, so the SSRF guard,
timeouts, retries and limits of the connection apply unchanged, to the login calls too.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from schema.errors import SystemAuthFailed, SystemRejected
from schema.record import Record

from ..base import ConnectionConfig
from ..http import HttpPolicy
from ..mapping import dig
from ..oauth import ClientCredentials
from ..rest import RestConnector
from .model import PLACEHOLDER, BasicAuth, HeaderAuth, Manifest, OAuthClientCredentials, SessionAuth


class ManifestConnector(RestConnector):
    """A REST system declared by a manifest (subclassed once per manifest by `compile_manifest`)."""

    manifest: ClassVar[Manifest]
    source_file: ClassVar[str]
    later: ClassVar[Mapping[str, tuple[str, ...]]] = {}  # per entity: fields a create leaves to an update

    def __init__(self, config: ConnectionConfig, policy: HttpPolicy | None = None) -> None:
        super().__init__(config, policy)
        self._session: str | None = None
        self._login_lock = asyncio.Lock()
        auth = self.manifest.auth
        if isinstance(auth, OAuthClientCredentials):
            self.http.client.auth = ClientCredentials(
                self.fill(auth.token_url),
                self.credential(auth.client_id),
                self.credential(auth.client_secret),
                auth.scope,
                system=self.entry.name,
            )

    @property
    def base_url(self) -> str:
        """The instance URL and the manifest's `api_prefix`, each credential in it one quoted path segment
        (a company id can never name another path)."""
        return self.instance_root + self.fill(self.manifest.api_prefix, lambda value: quote(value, safe=""))

    def credential(self, name: str) -> str:
        return str(self.config.credentials.get(name, "")).strip()  # pasted values often carry a newline

    def fill(self, template: str, encode: Callable[[str], str] = str) -> str:
        """A template with `{field}` replaced by the connection's credential values (nothing else)."""
        return PLACEHOLDER.sub(lambda m: encode(self.credential(m.group(1))), template)

    def format_time(self, value: Any) -> Any:
        style = self.manifest.time_format
        if style == "epoch_ms":
            return int(value.timestamp() * 1000)
        if style == "epoch_s":
            return int(value.timestamp())
        return value.isoformat()

    # -- login ------------------------------------------------------------------------------------

    async def auth_headers(self) -> dict[str, str]:
        auth = self.manifest.auth
        if isinstance(auth, BasicAuth):
            pair = f"{self.credential(auth.username)}:{self.credential(auth.password)}"
            return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        if isinstance(auth, HeaderAuth):
            return {auth.name: self.fill(auth.value)}
        if isinstance(auth, SessionAuth):
            async with self._login_lock:
                if self._session is None:
                    self._session = await self.login(auth)
            return {auth.header: auth.prefix + self._session}
        return {}  # OAuth: the client's auth flow adds the token

    async def login(self, auth: SessionAuth) -> str:
        """The login call; a refused login (any 4xx) is a failed login, not a rejected request."""
        body = {name: self.fill(value) for name, value in auth.body.items()}
        try:
            answer = await self.http.json(auth.method, auth.path, json=body or None, idempotent=True)
        except SystemRejected as exc:
            raise SystemAuthFailed(f"{self.entry.name} rejected the login: {exc.message.split(': ', 1)[-1]}") from None
        token = dig(answer, auth.token)
        if not isinstance(token, str) or not token:
            raise SystemAuthFailed(f"{self.entry.name} did not return a session token at '{auth.token}'")
        return token

    async def on_auth_failure(self) -> bool:
        """A session may expire: log in again once."""
        if not isinstance(self.manifest.auth, SessionAuth):
            return False
        async with self._login_lock:
            self._session = None
        return True

    # -- writes -----------------------------------------------------------------------------------

    async def create(self, entity: str, values: dict[str, Any], options: Mapping[str, str] | None = None) -> Record:
        """Fields the system refuses on a create (`later`) are written by an update right after it."""
        later = {k: values[k] for k in self.later.get(entity, ()) if values.get(k) is not None}
        created = await super().create(entity, {k: v for k, v in values.items() if k not in later}, options)
        pending = {k: v for k, v in later.items() if created.values.get(k) != v}
        if not pending:
            return created
        return await self.update(entity, created.remote_id, pending, None, options)
