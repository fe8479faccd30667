"""Odoo's external JSON-RPC transport: `POST /jsonrpc` with `{"service", "method", "args"}`.

Every call is one JSON-RPC 2.0 request; Odoo answers HTTP 200 with `result`, or
with `error: {code, message, data: {name, message, ...}}` where `data.name` is the
Python exception (`odoo.exceptions.AccessDenied` for a bad login or API key).
`common.authenticate(db, login, password, {})` gives the user id, or `false`;
`object.execute_kw(db, uid, password, model, method, args, kwargs)` runs a
model method. There is no session: every object call carries the password or
API key (Odoo documentation, "External API"; docs/vendors/odoo.md).
"""

from __future__ import annotations

import itertools
from typing import Any

from schema.errors import SystemAuthFailed, SystemRejected

from ..http import UpstreamClient

PATH = "/jsonrpc"
ACCESS_DENIED = "odoo.exceptions.AccessDenied"
_ids = itertools.count(1)


def error_text(error: Any) -> tuple[str, str]:
    """(exception name, message) of an Odoo JSON-RPC error."""
    data = error.get("data") if isinstance(error, dict) else None
    if isinstance(data, dict):
        return str(data.get("name") or ""), str(data.get("message") or error.get("message") or "")
    return "", str(error.get("message") if isinstance(error, dict) else error)


async def rpc(http: UpstreamClient, system: str, service: str, method: str, args: list[Any], idempotent: bool) -> Any:
    """One call; a refused login is SystemAuthFailed, any other Odoo error SystemRejected with its message."""
    body = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}
    answer = await http.json("POST", PATH, json={**body, "id": next(_ids)}, idempotent=idempotent)
    if not isinstance(answer, dict):
        raise SystemRejected(f"{system} sent an answer that is not a JSON-RPC response")
    if answer.get("error") is not None:
        name, message = error_text(answer["error"])
        if name == ACCESS_DENIED:
            raise SystemAuthFailed(f"{system} rejected the credentials: {message}")
        raise SystemRejected(f"{system} rejected the request: {message}", exception=name)
    if "result" not in answer:
        raise SystemRejected(f"{system} sent an answer without a result")
    return answer["result"]
