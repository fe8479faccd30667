"""Shared machinery for the vendor sandboxes.

Each connector is tested and benchmarked against a local imitation of its
vendor's API. What every imitation needs is the same: a log of the requests it
received (to assert on paging and incremental reads), faults that can be
switched on at runtime (to exercise retries and error mapping), control routes
for both, and a way to serve the app over real HTTP. Nothing here knows about
any vendor; the vendor only supplies the shape of its error body.

A fault may be scoped with `match`, a regular expression searched in the
request line `METHOD /path?query` (path relative to where the sandbox is
mounted, query percent-decoded) and in the request body, so that one entity of
a system can fail while the others answer (JSON-RPC systems name the model in
the body only).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote_plus

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/__sandbox/"
FAULT_MODES = ("none", "down", "slow", "error", "rate_limit", "unauthorized", "malformed", "truncate")
MALFORMED_BODY = b'{"success": tru'

# Builds the vendor's error body from a status code and a message.
ErrorBody = Callable[[int, str], dict[str, Any]]
ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the sandbox saw it (control routes are not logged)."""

    method: str
    path: str
    query: dict[str, str]
    at: float


@dataclass(frozen=True)
class Fault:
    """What the sandbox does instead of (or before) answering normally.

    `count` is how many requests the fault applies to before clearing itself;
    None keeps it until it is reset. `match` limits it to the requests whose
    line or body the regular expression is found in; others are served normally
    and do not count.
    """

    mode: str = "none"
    status: int = 500
    retry_after: int = 1
    delay: float = 2.0
    count: int | None = None
    match: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {self.mode!r}; expected one of {FAULT_MODES}")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1 (or null)")
        if self.match is not None:
            if not isinstance(self.match, str):
                raise ValueError("match must be a string (a regular expression)")
            try:
                re.compile(self.match)
            except re.error as exc:
                raise ValueError(f"match is not a valid regular expression: {exc}") from None

    def hits(self, line: str, body: str = "") -> bool:
        """Whether this fault applies to a request with this line and body text."""
        if self.match is None:
            return True
        return re.search(self.match, line) is not None or (bool(body) and re.search(self.match, body) is not None)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Reads a fault from a control-route body; absent or null keys take defaults."""
        given = {k: v for k, v in data.items() if v is not None}
        unknown = set(given) - {"mode", "status", "retry_after", "delay", "count", "match"}
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        return cls(
            mode=str(given.get("mode", "none")),
            status=int(given.get("status", 500)),
            retry_after=int(given.get("retry_after", 1)),
            delay=float(given.get("delay", 2.0)),
            count=int(given["count"]) if "count" in given else None,
            match=given.get("match"),
        )


class SandboxState:
    """Request log and current fault, shared between the server thread and tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[LoggedRequest] = []
        self._fault = Fault()

    def log(self, method: str, path: str, query: dict[str, str]) -> None:
        with self._lock:
            self._requests.append(LoggedRequest(method, path, dict(query), time.time()))

    @property
    def requests(self) -> list[LoggedRequest]:
        """A copy of the log, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def fault(self) -> Fault:
        with self._lock:
            return self._fault

    def set_fault(self, fault: Fault) -> None:
        with self._lock:
            self._fault = fault

    def clear_fault(self) -> None:
        self.set_fault(Fault())

    def take_fault(self, applies: Callable[[Fault], bool] | None = None) -> Fault | None:
        """The fault to apply to one request, counting it down; None when there is none
        or when `applies` says the current fault is not for this request (then nothing counts)."""
        with self._lock:
            fault = self._fault
            if fault.mode == "none" or (applies is not None and not applies(fault)):
                return None
            if fault.count is not None:
                left = fault.count - 1
                self._fault = Fault() if left == 0 else replace(fault, count=left)
            return fault


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


async def _send_body(send: Send, status: int, body: bytes, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SandboxMiddleware:
    """Logs API requests and applies the current fault; control routes pass untouched.

    Installed outermost (see `SandboxApp`) so that for mode "down" it can reach
    the server's transport and drop the connection before a single byte is sent.
    """

    def __init__(self, app: ASGIApp, state: SandboxState, error_body: ErrorBody) -> None:
        self.app = app
        self.state = state
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or route_path(scope).startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        raw_query = scope.get("query_string", b"").decode("latin-1")
        self.state.log(scope["method"], scope["path"], dict(parse_qsl(raw_query, keep_blank_values=True)))
        line = f"{scope['method']} {route_path(scope)}" + (f"?{unquote_plus(raw_query)}" if raw_query else "")
        body, receive = await self._body_for_match(scope, line, receive)
        fault = self.state.take_fault(lambda f: f.hits(line, body))
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.mode == "slow":
            await self._slow(fault.delay, scope, receive, send)
        elif fault.mode == "down":
            await _drop_connection(send)
        elif fault.mode == "malformed":
            await _send_body(send, 200, MALFORMED_BODY)
        elif fault.mode == "truncate":
            await self.app(scope, receive, _cut_midway(send))
        else:
            status = {"rate_limit": 429, "unauthorized": 401}.get(fault.mode, fault.status)
            headers = ((b"retry-after", str(fault.retry_after).encode()),) if status == 429 else ()
            payload = self.error_body(status, status_phrase(status))
            await _send_body(send, status, _json_bytes(payload), headers)

    async def _body_for_match(self, scope: Scope, line: str, receive: Receive) -> tuple[str, Receive]:
        """The body text, read only when a scoped fault misses the request line (JSON-RPC names
        the model in the body); the returned `receive` replays what was read."""
        fault = self.state.fault
        if fault.match is None or fault.hits(line) or not _has_body(scope):
            return "", receive
        messages = await _read_body(receive)
        text = b"".join(m.get("body", b"") for m in messages).decode("utf-8", "replace")
        return text, _replay(messages, receive)

    async def _slow(self, delay: float, scope: Scope, receive: Receive, send: Send) -> None:
        """Waits `delay` seconds, then answers normally unless the client gave up.

        The request body is read up front and replayed, so that waiting on the
        next message can tell us early when the client disconnects; otherwise a
        timed-out request would hold up server shutdown for the whole delay.
        """
        buffered = await _read_body(receive)
        if buffered[-1]["type"] == "http.disconnect":
            return
        try:
            message = await asyncio.wait_for(receive(), timeout=delay)
        except TimeoutError:
            pass
        else:
            if message["type"] == "http.disconnect":
                return
        await self.app(scope, _replay(buffered, receive), send)


def route_path(scope: Scope) -> str:
    """The request path relative to where the app is mounted (the demo mounts sandboxes under a prefix)."""
    path, root = scope["path"], scope.get("root_path", "")
    return (path[len(root) :] or "/") if root and path.startswith(root) else path


def _has_body(scope: Scope) -> bool:
    headers = dict(scope.get("headers", ()))
    return headers.get(b"content-length", b"0") not in (b"", b"0") or b"transfer-encoding" in headers


async def _read_body(receive: Receive) -> list[Message]:
    """Every message of the request body (or up to a disconnect), to be replayed to the app."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives the buffered messages first, then the real ones."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _cut_midway(send: Send) -> Send:
    """A `send` that delivers half of the body, then drops the connection (mid-page failure)."""
    cut = False

    async def send_half(message: Message) -> None:
        nonlocal cut
        if cut:
            return
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            cut = True
            await _drop_connection(send)
            return
        await send(message)

    return send_half


async def _drop_connection(send: Send) -> None:
    """Closes the connection without answering, as a dead upstream would.

    Under uvicorn `send` is bound to the request cycle that owns the transport;
    aborting it gives the client "server disconnected without a response".
    Elsewhere, fall back to sending headers and no body, which the client also
    sees as a broken transport.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        # Let connection_lost run so the server knows not to send its own 500.
        for _ in range(3):
            await asyncio.sleep(0)
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
        }
    )


def sandbox_routes(state: SandboxState) -> list[Route]:
    """Control routes under /__sandbox/ for the request log and the fault."""

    async def list_requests(request: Request) -> Response:
        return JSONResponse([asdict(r) for r in state.requests])

    async def clear_requests(request: Request) -> Response:
        state.clear_requests()
        return JSONResponse({"cleared": True})

    async def put_fault(request: Request) -> Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            fault = Fault.from_json(body)
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        state.set_fault(fault)
        return JSONResponse(asdict(fault))

    async def clear_fault(request: Request) -> Response:
        state.clear_fault()
        return JSONResponse(asdict(state.fault))

    async def get_fault(request: Request) -> Response:
        return JSONResponse(asdict(state.fault))

    return [
        Route("/__sandbox/requests", list_requests, methods=["GET"]),
        Route("/__sandbox/requests", clear_requests, methods=["DELETE"]),
        Route("/__sandbox/fault", get_fault, methods=["GET"]),
        Route("/__sandbox/fault", put_fault, methods=["PUT"]),
        Route("/__sandbox/fault", clear_fault, methods=["DELETE"]),
    ]


def http_error_handler(error_body: ErrorBody, not_found: str | None = None) -> ExceptionHandler:
    """An `HTTPException` handler, so unknown paths and wrong methods answer in the vendor's
    error shape too: `not_found` for a 404 where the vendor words it its own way, else the status phrase."""

    async def handle(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = not_found if status == 404 and not_found is not None else status_phrase(status)
        return JSONResponse(error_body(status, message), status_code=status)

    return handle


class SandboxApp(Starlette):
    """A Starlette app with the control routes and `SandboxMiddleware` outermost.

    Starlette always puts its own error middleware first; overriding the stack
    keeps the sandbox middleware in front of it (see `_drop_connection`).
    `app.state.sandbox` is the shared `SandboxState`.
    """

    def __init__(
        self,
        routes: list[BaseRoute],
        *,
        error_body: ErrorBody,
        state: SandboxState | None = None,
        **kwargs: Any,
    ) -> None:
        self.sandbox = state or SandboxState()
        self._error_body = error_body
        super().__init__(routes=[*sandbox_routes(self.sandbox), *routes], **kwargs)
        self.state.sandbox = self.sandbox

    def build_middleware_stack(self) -> ASGIApp:
        return SandboxMiddleware(super().build_middleware_stack(), self.sandbox, self._error_body)


class ServerThread:
    """Serves an ASGI app with uvicorn on 127.0.0.1 from a background thread."""

    def __init__(
        self, app: ASGIApp, port: int = 0, start_timeout: float = 10.0, lifespan: Literal["auto", "on", "off"] = "off"
    ) -> None:
        self.app: Any = app  # tests reach into a sandbox's state (`app.state.data`)
        self.lifespan = lifespan
        self.port = port
        self.start_timeout = start_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        """Starts serving; returns once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        # Bind here and hand the socket over, so port 0 cannot race another process.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan=self.lifespan,
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not server.started:
            if not thread.is_alive():
                sock.close()
                raise RuntimeError("sandbox server exited during startup")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sandbox server did not start in time")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Asks uvicorn to exit and waits for the thread."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class SandboxSpec:
    """A system's built-in sandbox: how to make it, and a login that works on it."""

    system: str
    create_app: Callable[[], ASGIApp]
    credentials: dict[str, str]


class SandboxControl:
    """The client side of the control routes: faults, request log, record changes (tests, bench, demo)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def fault(self, mode: str, **settings: Any) -> None:
        """Sets the fault; `match="regex"` scopes it to the requests whose line or body it is found in."""
        httpx.put(f"{self.base_url}/__sandbox/fault", json={"mode": mode, **settings}).raise_for_status()

    def clear_fault(self) -> None:
        httpx.delete(f"{self.base_url}/__sandbox/fault").raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.base_url}/__sandbox/requests").json()

    def clear_requests(self) -> None:
        httpx.delete(f"{self.base_url}/__sandbox/requests").raise_for_status()

    def touch(self, resource: str, ids: list[Any]) -> None:
        """Marks records modified now, as a user editing them would (`POST /__sandbox/touch`)."""
        self._change("touch", resource, ids)

    def remove(self, resource: str, ids: list[Any]) -> None:
        """Deletes records, as a user deleting them in the system would (`POST /__sandbox/delete`)."""
        self._change("delete", resource, ids)

    def _change(self, action: str, resource: str, ids: list[Any]) -> None:
        httpx.post(f"{self.base_url}/__sandbox/{action}", json={"resource": resource, "ids": ids}).raise_for_status()


def fault_proxy(target: str, error_body: ErrorBody) -> SandboxApp:
    """A forwarding proxy with the sandbox's faults and request log, for real servers (Tryton)."""
    client = httpx.AsyncClient(base_url=target.rstrip("/"), timeout=60)

    async def forward(request: Request) -> Response:
        upstream = await client.request(
            request.method,
            request.url.path,
            params=request.query_params,
            content=await request.body(),
            headers={k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")},
        )
        excluded = ("content-length", "transfer-encoding", "connection", "content-encoding")
        headers = {k: v for k, v in upstream.headers.items() if k.lower() not in excluded}
        return Response(upstream.content, status_code=upstream.status_code, headers=headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return SandboxApp([Route("/{path:path}", forward, methods=methods)], error_body=error_body)
