"""Raw requests to a connection's system (passthrough), sent the way the connector sends its own.

A `RawRequest` is checked before anything leaves: a path relative to the instance URL
(no scheme or host, no dot segment escaping it, no control characters, also once
percent-decoded), a method the gateway knows, headers from an allow-list only (the
credentials, cookies and session headers are the connector's to add). `exchange` sends
it on the connector's own `UpstreamClient`, so the pinned transport, the concurrency
cap, the retry policy (reads only: a write is sent once) and 429 handling are the same
as for any call, adding the connector's authentication and logging in again once when
the session expired. `answer` turns the system's reply into a `RawResponse`: any status
the system sent, session and hop-by-hop headers dropped, and every secret the request
carried (credentials, session tokens, cookies) redacted from headers and body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote

import httpx

from schema.errors import BadUserInput

from .http import IDEMPOTENT, UpstreamClient

METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "MERGE")  # MERGE: OData v2 updates
# Request headers a caller may set; everything that authenticates is the connector's.
ALLOWED_HEADERS = frozenset(
    {
        "accept",
        "accept-language",
        "content-type",
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
        "prefer",
        "x-requested-with",
    }
)
# Never passed back: sessions, authentication, and what only made sense on the gateway's hop.
DROPPED_RESPONSE_HEADERS = frozenset(
    {
        "set-cookie",
        "set-cookie2",
        "authorization",
        "proxy-authorization",
        "www-authenticate",
        "proxy-authenticate",
        "x-csrf-token",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "content-encoding",
    }
)
# A vendor's method override turns a POST into another write; never allowed on a read.
METHOD_OVERRIDES = frozenset({"x-method-override", "x-http-method-override", "x-http-method"})
MAX_PATH = 2000
MAX_PAIRS = 100
MIN_COOKIE = 16  # a session cookie's value is a long token; shorter ones (a client number, a flag) are not secrets

Pairs = tuple[tuple[str, str], ...]
Auth = Callable[[], Awaitable[Mapping[str, str]]]


@dataclass(frozen=True)
class RawRequest:
    """A checked raw request: build it with `raw_request`."""

    method: str
    path: str
    query: Pairs = ()
    headers: Pairs = ()
    body: bytes | None = None

    @property
    def idempotent(self) -> bool:
        """Reads may follow the client's retry policy; anything else is sent once."""
        return self.method in IDEMPOTENT

    def url(self, instance_root: str) -> str:
        """The absolute URL under the instance (its host and path prefix cannot change: see `_check_path`)."""
        return instance_root.rstrip("/") + self.path

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)


@dataclass(frozen=True)
class RawResponse:
    """The system's answer as the caller sees it: redacted, without session headers."""

    status: int
    headers: Pairs
    body: bytes

    @property
    def text(self) -> str | None:
        """The body as text when it is UTF-8 (None: binary, see `body`)."""
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            return None


def raw_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]] = (),
    headers: Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
    *,
    extra_headers: frozenset[str] = frozenset(),
    field: str = "input",
) -> RawRequest:
    """Check a caller's raw request; BAD_USER_INPUT names the part (`input.path`, `input.headers`, ...)."""
    verb = method.strip().upper() if isinstance(method, str) else ""
    if verb not in METHODS:
        raise BadUserInput(f"method must be one of {', '.join(METHODS)}", field=at(field, "method"))
    _check_path(path, at(field, "path"))
    pairs = _pairs(query, at(field, "query"))
    sent = tuple((name.strip().lower(), value) for name, value in _pairs(headers, at(field, "headers")))
    allowed = ALLOWED_HEADERS | extra_headers
    for name, _ in sent:
        if name not in allowed:
            raise BadUserInput(
                f"header '{name}' cannot be sent through passthrough: the gateway adds the credentials, cookies and "
                f"session itself (allowed: {', '.join(sorted(allowed))})",
                field=at(field, "headers"),
            )
        if name in METHOD_OVERRIDES and verb != "POST":
            raise BadUserInput(f"header '{name}' goes with POST only", field=at(field, "headers"))
    if body is not None and verb in IDEMPOTENT:
        raise BadUserInput(f"a {verb} request has no body", field=at(field, "body"))
    return RawRequest(verb, path, pairs, sent, body)


def at(field: str, name: str) -> str:
    """An input member's name for errors: `input.path` in GraphQL, `path` in a JSON body (no `field`)."""
    return f"{field}.{name}" if field else name


def _check_path(path: str, field: str) -> None:
    """Relative to the instance: `/` first, no scheme, host, query, fragment, backslash, control
    character or dot segment, also once percent-decoded (`%2e%2e%2f` is `../`)."""
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//") or len(path) > MAX_PATH:
        raise BadUserInput(
            f"path must start with one '/' and be relative to the instance URL (at most {MAX_PATH} characters)",
            field=field,
        )
    decoded = unquote(path)
    for text in (path, decoded):
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
            raise BadUserInput("path must not contain control characters (CR, LF, NUL, ...)", field=field)
        if "\\" in text:
            raise BadUserInput("path must not contain a backslash", field=field)
        if any(segment in (".", "..") for segment in text.split("/")):
            raise BadUserInput("path must not contain '.' or '..' segments", field=field)
    if "?" in path or "#" in path:
        raise BadUserInput("path must not carry a query or fragment: give the query as `query` pairs", field=field)
    if "://" in decoded:
        raise BadUserInput("path must be relative to the instance URL, not a URL", field=field)


def _pairs(items: Iterable[tuple[str, str]], field: str) -> Pairs:
    pairs = tuple(items)
    if len(pairs) > MAX_PAIRS:
        raise BadUserInput(f"at most {MAX_PAIRS} pairs", field=field)
    for name, value in pairs:
        if not name.strip():
            raise BadUserInput("a name must not be empty", field=field)
        if any(ord(c) < 0x20 and c != "\t" or ord(c) == 0x7F for c in name + value):
            raise BadUserInput(f"'{name}' must not contain control characters (CR, LF, NUL, ...)", field=field)
    return pairs


async def send(
    http: UpstreamClient,
    url: str,
    request: RawRequest,
    auth: Mapping[str, str],
    params: Pairs | None = None,
    content_type: str = "application/json",
) -> httpx.Response:
    """One raw call on the connector's client; the connector's `auth` headers win over the caller's."""
    headers = dict(request.headers)
    if request.body is not None and "content-type" not in headers:
        headers["content-type"] = content_type
    pairs = list(request.query if params is None else params)
    return await http.request(
        request.method,
        url,
        params=pairs or None,  # none: a query already in `url` (a signed one) stays as it is
        headers={**headers, **auth},
        content=request.body,
        idempotent=request.idempotent,
        checked=False,
    )


async def exchange(
    http: UpstreamClient,
    url: str,
    request: RawRequest,
    auth: Auth,
    renew: Callable[[], Awaitable[bool]] | None = None,
    *,
    content_type: str = "application/json",
) -> RawResponse:
    """Send with the connector's authentication; on 401/403, `renew` (a new login) and send once more.

    The system refused the first request, so sending it again runs nothing twice."""
    response = await send(http, url, request, await auth(), content_type=content_type)
    if response.status_code in (401, 403) and renew is not None and await renew():
        response = await send(http, url, request, await auth(), content_type=content_type)
    return answer(http, response, request)


def answer(http: UpstreamClient, response: httpx.Response, request: RawRequest) -> RawResponse:
    """The caller's view of a final response; 429 is the connector's RATE_LIMITED (with `retryAfter`)."""
    if response.status_code == 429:
        http.check(response)
    hidden = _secret_forms([*http.policy.redact, *_sent_secrets(response.request, request)])
    headers = tuple(
        (name, _redact_text(value, hidden))
        for name, value in response.headers.multi_items()  # a repeated header stays repeated (Link, Warning)
        if name.lower() not in DROPPED_RESPONSE_HEADERS
    )
    return RawResponse(response.status_code, headers, _redact_bytes(response.content, hidden))


# Headers httpx or the connector set that carry no secret (whatever else the connector adds is taken for one).
PLAIN_HEADERS = frozenset({"host", "user-agent", "accept-encoding", "connection", "content-length", "content-type"})


def _sent_secrets(sent: httpx.Request, request: RawRequest) -> list[str]:
    """The values of the authenticating headers the gateway added, which a system may echo back: whole,
    the token after a scheme (`Basic …`, `Session …`), and each session cookie's value."""
    given = {name for name, _ in request.headers}
    found: list[str] = []
    for name, value in sent.headers.items():
        name = name.lower()
        if name in given or name in ALLOWED_HEADERS or name in PLAIN_HEADERS:
            continue
        if name == "cookie":
            cookies = (c.partition("=")[2].strip() for c in value.split(";"))
            found += [c for c in cookies if len(c) >= MIN_COOKIE and "=" not in c]  # not `sap-client=100`
        else:
            found += [value, value.partition(" ")[2]]
    return found


def _secret_forms(secrets: Iterable[str]) -> list[str]:
    """Each secret as given, JSON-escaped and percent-encoded, longest first (a part inside a whole)."""
    forms = set()
    for secret in secrets:
        if len(secret) >= 4:
            forms |= {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}
    return sorted(forms, key=len, reverse=True)


def _redact_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


def _redact_bytes(body: bytes, secrets: list[str]) -> bytes:
    for secret in secrets:
        body = body.replace(secret.encode(), b"[redacted]")
    return body
