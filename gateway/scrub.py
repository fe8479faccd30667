"""Secrets out of what the gateway keeps for people to read: request-log bodies and queries, audit changes.

A value is dropped when its key looks like a secret (password, token, api key,
signature, …), known secrets (a connection's credentials) are replaced
wherever they appear, and so are the gateway's own credentials and bearer tokens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"
# Key names (lower case, without _ - and .) that hold secrets.
SECRET_WORDS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "appkey",
    "accesskey",
    "privatekey",
    "authorization",
    "signature",
    "credential",
    "cookie",
    "session",
    "csrf",
)
_OWN_SECRETS = re.compile(r"\b(?:pg_(?:admin|conn|connect|code)_|whsec_)[A-Za-z0-9_\-+/=]+")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+")
_PAIR = re.compile(r"(?i)([A-Za-z0-9_.\-]+)=([^&\s]*)")
_JSON_PAIR = re.compile(r'"([^"\\]{1,100})"(\s*:\s*)"(?:[^"\\]|\\.)*"')  # JSON too long or cut to parse


def secret_key(name: str) -> bool:
    """Whether a field, parameter or header of this name holds a secret."""
    folded = re.sub(r"[_\-.\s]", "", name.lower())
    return any(word in folded for word in SECRET_WORDS)


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with known secrets, gateway credentials, bearer tokens and `secret=value` pairs replaced."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = _OWN_SECRETS.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JSON_PAIR.sub(
        lambda m: f'"{m.group(1)}"{m.group(2)}"{REDACTED}"' if secret_key(m.group(1)) else m.group(0), text
    )
    return _PAIR.sub(lambda m: f"{m.group(1)}={REDACTED}" if secret_key(m.group(1)) else m.group(0), text)


def scrub_value(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A JSON-like value with secret-named members replaced and secrets removed from every string."""
    secrets = tuple(secrets)
    if isinstance(value, dict):
        return {
            k: REDACTED if secret_key(str(k)) and v not in (None, "") else scrub_value(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_value(v, secrets) for v in value]
    if isinstance(value, str):
        return scrub_text(value, secrets)
    return value


def scrub_query(query: str, secrets: Iterable[str] = ()) -> str:
    """A URL query string with the values of secret-named parameters (and known secrets) replaced."""
    pairs = [(k, REDACTED if secret_key(k) else v) for k, v in parse_qsl(query, keep_blank_values=True)]
    return scrub_text(urlencode(pairs, safe="[]:/,'$@*"), secrets)


def scrub_url(url: str, secrets: Iterable[str] = ()) -> str:
    """A URL without user info and with its query scrubbed (a receiver's URL may carry a token)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, scrub_query(parts.query, secrets), ""))


def scrub_body(body: bytes, secrets: Iterable[str], limit: int) -> str:
    """A request or response body for the log: JSON members scrubbed, known secrets replaced, cut at `limit`."""
    text = body[: limit * 4].decode("utf-8", errors="replace")
    try:
        text = json.dumps(scrub_value(json.loads(text), secrets), ensure_ascii=False)
    except ValueError:
        text = scrub_text(text, secrets)
    return text if len(text) <= limit else text[:limit] + f"… [{len(body)} bytes in all]"
