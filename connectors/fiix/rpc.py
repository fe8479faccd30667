"""Fiix's wire: every call is one signed `POST <tenant>/api/?...` with a JSON request object.

The URL carries the keys and a millisecond timestamp; the `Authorization` header is
the lowercase hex HMAC-SHA256 of that URL without its scheme, keyed by the secret
(docs/vendors/fiix.md). Fiix answers application errors, throttling included, with
HTTP 200 and an `error` object in the response, so they are mapped here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote, urlsplit

from schema.errors import NotFound, RateLimited, SystemAuthFailed, SystemRejected

API_PATH = "/api/"
THROTTLED = 1100  # the official client retries these after the advisory wait
WAIT_ADVISORY = "P_CLIENT_AUTO_RETRY_WAIT_ADVISORY_MS"
# Unverified: the codes for an unknown key, a bad signature, an expired timestamp, a missing record.
AUTH_CODES = frozenset({7001, 7002, 7003})
NOT_FOUND = 7404


def signed(
    base_url: str, action: str, keys: dict[str, str], now_ms: int | None = None, path: str = API_PATH
) -> tuple[str, str]:
    """The request path with its query, and its signature (over host, path and query)."""
    stamp = int(time.time() * 1000) if now_ms is None else now_ms
    params = {
        "action": action,
        "service": "cmms",
        "appKey": keys.get("app_key", ""),
        "accessKey": keys.get("access_key", ""),
        "signatureMethod": "HmacSHA256",
        "signatureVersion": "1",
        "timestamp": str(stamp),
    }
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in params.items())
    parts = urlsplit(base_url.rstrip("/"))
    message = f"{parts.netloc}{parts.path}{path}?{query}"
    secret = keys.get("secret_key", "").encode()
    return f"{path}?{query}", hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def checked(answer: Any) -> dict[str, Any]:
    """A response object, or the API error its `error` names."""
    if not isinstance(answer, dict):
        raise SystemRejected("Fiix sent an answer that is not a response object")
    error = answer.get("error")
    if not error:
        return answer
    code = error.get("code") if isinstance(error, dict) else None
    message = str(error.get("message") or f"error {code}") if isinstance(error, dict) else str(error)
    throttled(error)
    if code in AUTH_CODES:
        raise SystemAuthFailed(f"Fiix rejected the credentials: {message}")
    if code == NOT_FOUND:
        raise NotFound(f"Fiix: {message}")
    raise SystemRejected(f"Fiix rejected the request: {message}")


def throttled(error: Any) -> None:
    """RATE_LIMITED for a throttling error object (code 1100), with the wait Fiix advises."""
    if isinstance(error, dict) and error.get("code") == THROTTLED:
        wait = (error.get("object") or {}).get(WAIT_ADVISORY)
        raise RateLimited("Fiix is throttling requests", retry_after=None if wait is None else wait / 1000)


def request_class(body: bytes | None) -> str:
    """The `_maCn` of a raw request object (the `action` Fiix's clients put in the URL), empty if none."""
    try:
        request = json.loads(body or b"")
    except ValueError:
        return ""
    name = request.get("_maCn") if isinstance(request, dict) else None
    return name if isinstance(name, str) else ""


def answer_error(text: str | None) -> Any:
    """The `error` of a raw answer's response object (None: no error, or no response object)."""
    try:
        answer = json.loads(text or "")
    except ValueError:
        return None
    return answer.get("error") if isinstance(answer, dict) else None


def ql(domain: list[Any]) -> list[dict[str, Any]]:
    """`[field, op, value]` clauses as one Fiix filter: `a = ? AND b IN (?, ?)` with its parameters."""
    if not domain:
        return []
    parts, parameters = [], []
    for name, op, value in domain:
        if op.lower() == "in":
            parts.append(f"{name} IN ({', '.join('?' for _ in value)})")
            parameters += list(value)
        else:
            parts.append(f"{name} {op} ?")
            parameters.append(value)
    return [{"ql": " AND ".join(parts), "parameters": parameters}]
