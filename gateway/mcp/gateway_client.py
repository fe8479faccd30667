"""The MCP server's only way to the data: the gateway's GraphQL endpoint, with one token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from graphql import GraphQLSchema, build_client_schema, get_introspection_query


class GatewayError(Exception):
    """The gateway refused or could not answer; the message is safe to show a user."""


@dataclass
class GraphQLAnswer:
    """One GraphQL response: `data` and the error messages, kept apart so tools can report both."""

    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)


def _answer(response: httpx.Response) -> GraphQLAnswer:
    """Turn an HTTP response into an answer; auth and transport failures become GatewayError."""
    try:
        body = response.json()
    except ValueError:
        raise GatewayError(f"the gateway answered HTTP {response.status_code} without JSON") from None
    errors = body.get("errors") or []
    if response.status_code in (401, 403):
        detail = "; ".join(str(e.get("message")) for e in errors) or f"HTTP {response.status_code}"
        raise GatewayError(f"the gateway refused the token: {detail}")
    if not isinstance(body, dict) or ("data" not in body and not errors):
        raise GatewayError(f"the gateway answered HTTP {response.status_code} with no GraphQL result")
    return GraphQLAnswer(body.get("data"), list(errors))


class GatewayClient:
    """Posts GraphQL to `<url>/graphql` with the connection token as the bearer."""

    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        self.endpoint = url.rstrip("/") + "/graphql"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = timeout

    def schema(self) -> GraphQLSchema:
        """The connection's shaped schema, read once at startup (blocking, so a bad token stops the command)."""
        try:
            response = httpx.post(
                self.endpoint,
                json={"query": get_introspection_query(descriptions=True)},
                headers=self._headers,
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise GatewayError(f"cannot reach the gateway at {self.endpoint}: {exc}") from None
        answer = _answer(response)
        if answer.errors or not answer.data:
            messages = "; ".join(str(e.get("message")) for e in answer.errors)
            raise GatewayError(f"the gateway refused introspection: {messages or 'no data'}")
        return build_client_schema(answer.data)  # type: ignore[arg-type]

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> GraphQLAnswer:
        """Run one operation; GraphQL errors come back in the answer, not as exceptions."""
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(
                    self.endpoint, json={"query": query, "variables": variables or {}}, headers=self._headers
                )
        except httpx.HTTPError as exc:
            raise GatewayError(f"cannot reach the gateway at {self.endpoint}: {exc}") from None
        return _answer(response)
