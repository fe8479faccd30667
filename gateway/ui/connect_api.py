"""The Connect page's JSON API, authorized by the link's token (`Authorization: Bearer pg_connect_...`).

The token travels in a header, never in these URLs, and credentials only in a
POST body; nothing here logs a body.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from limits import RateLimitItem
from starlette.requests import Request
from starlette.responses import JSONResponse

from connectors.catalog import SystemEntry
from connectors.registry import catalog, connector_class
from schema.errors import BadUserInput, NotFound, PlantgateError, RateLimited, Unauthenticated

from ..agents import registry as agents
from ..auth import bearer, hash_secret
from ..connect_sessions import OPEN, ConnectSessions, Link, LinkClosed
from ..connections import NewConnection
from ..ratelimit import RateLimiter, retry_after_header
from ..requestid import current_request_id
from ..store.engine import DatabaseUnavailable, Store

log = logging.getLogger("plantgate.connect")
MAX_BODY = 64 * 1024
STATUS = {Unauthenticated: 401, NotFound: 404, LinkClosed: 410, RateLimited: 429, DatabaseUnavailable: 503}


def system_json(entry: SystemEntry) -> dict[str, Any]:
    """What the page needs to offer a system and build its login form."""
    return {
        "key": entry.key,
        "name": entry.name,
        "vendor": entry.vendor,
        "category": entry.category,
        "tier": entry.tier,
        "hostings": list(entry.hostings),
        "credits": {h: entry.credits(h) for h in entry.hostings},
        "credentialFields": [
            {
                "name": f.name,
                "label": f.label,
                "type": f.type,
                "secret": f.secret,
                "required": f.required,
                "help": f.help,
                "default": f.default,
            }
            for f in entry.credential_fields
        ],
        "authGuide": entry.auth_guide or None,
        "defaultBaseUrl": entry.default_base_url,
    }


def offered_agents(store: Store, organization_id: str, heartbeat: float) -> list[dict[str, Any]]:
    """The organization's agents an on-premises connection may go through: id, name, online; never a key."""
    with store.read() as session:
        rows = agents.listed(session, organization_id)
    return [{"id": a.id, "name": a.name, "online": agents.online(a, heartbeat)} for a in rows]


def link_json(link: Link, offered: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    session, connection = link.session, link.connection
    state = link.state
    body: dict[str, Any] = {
        "state": state,
        "organization": link.organization_name,
        "expiresAt": session.expires_at.isoformat(),
    }
    if state != OPEN:
        body["message"] = LinkClosed(state).message
        return body
    preset = connector_class(session.system) if session.system else None
    body |= {
        "preset": {"system": session.system, "hosting": session.hosting, "name": connection.name or None},
        "redirects": session.redirect_url is not None,
        "systems": [system_json(e) for e in ([preset.entry] if preset else catalog())],
        "agents": offered or [],
    }
    return body


def error_response(exc: PlantgateError) -> JSONResponse:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    error = {"code": exc.code, "message": exc.message, **exc.extensions, "requestId": current_request_id.get()}
    headers = retry_after_header(exc) if isinstance(exc, (RateLimited, DatabaseUnavailable)) else None
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _token(request: Request) -> str:
    token = bearer(request.headers.get("authorization"))
    if not token:
        raise Unauthenticated("send the link's token as 'Authorization: Bearer <token>'")
    return token


async def _form(request: Request) -> NewConnection:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadUserInput("the request is too large")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise BadUserInput("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadUserInput("the body must be a JSON object")
    credentials = body.get("credentials") or {}
    if not isinstance(credentials, dict) or not all(isinstance(v, str) for v in credentials.values()):
        raise BadUserInput("credentials must be an object of string values", field="credentials")
    texts = {k: body.get(k) for k in ("system", "hosting", "name", "instanceUrl", "agentId", "agentCredentials")}
    if not all(v is None or isinstance(v, str) for v in texts.values()):
        raise BadUserInput("system, hosting, name, instanceUrl, agentId and agentCredentials must be strings")
    return NewConnection(
        system=texts["system"] or "",
        hosting=texts["hosting"] or "",
        name=texts["name"] or "",
        credentials={k: v for k, v in credentials.items() if v != ""},
        instance_url=(texts["instanceUrl"] or "").strip() or None,
        agent_id=texts["agentId"] or None,
        agent_credentials=(texts["agentCredentials"] or "").strip() or None,
    )


class ConnectApi:
    """GET: the link and what can be connected; POST: complete it."""

    def __init__(
        self, sessions: ConnectSessions, limiter: RateLimiter, attempts: RateLimitItem | None, heartbeat: float
    ) -> None:
        self.sessions = sessions
        self.limiter = limiter
        self.attempts = attempts  # completions per link per hour: a link is not a password oracle
        self.heartbeat = heartbeat  # the agents' heartbeat interval, to tell which are online

    async def handle(self, request: Request) -> JSONResponse:
        response = await self._answer(request)
        response.headers["Cache-Control"] = "no-store"  # it may carry a token
        return response

    async def _describe(self, token: str) -> JSONResponse:
        store = self.sessions.store
        link = await store.run(self.sessions.open, token)
        if link.state != OPEN:
            return JSONResponse(link_json(link), status_code=410)
        offered = await store.run(offered_agents, store, link.session.organization_id, self.heartbeat)
        return JSONResponse(link_json(link, offered))

    async def _answer(self, request: Request) -> JSONResponse:
        try:
            token = _token(request)
            if request.method == "GET":
                return await self._describe(token)
            await self.limiter.count("link", self.attempts, hash_secret(token)[:32], "attempts")
            done = await self.sessions.complete(token, await _form(request))
        except PlantgateError as exc:
            return error_response(exc)
        except Exception:
            log.exception("connect link completion failed (request %s)", current_request_id.get())
            return error_response(PlantgateError(f"Internal error (request id {current_request_id.get()})"))
        if done.redirect_to:
            return JSONResponse({"connectionId": done.connection.id, "redirectTo": done.redirect_to})
        return JSONResponse({"connectionId": done.connection.id, "name": done.connection.name, "token": done.token})
