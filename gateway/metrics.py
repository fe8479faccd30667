"""Every Prometheus metric of the gateway, registered here once, and the `/metrics` route.

Labels are bounded sets (route templates, systems, outcomes), never ids or
URLs, so the series count stays small whatever the traffic.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUESTS = Counter("plantgate_http_requests_total", "HTTP requests answered", ["route", "method", "status"])
HTTP_SECONDS = Histogram("plantgate_http_request_duration_seconds", "HTTP request latency", ["route", "method"])
UPSTREAM_CALLS = Counter("plantgate_upstream_calls_total", "Calls to connected systems", ["system", "outcome"])
UPSTREAM_SECONDS = Histogram(
    "plantgate_upstream_call_duration_seconds", "Latency of calls to connected systems", ["system"]
)
SYNC_RUNS = Counter("plantgate_sync_runs_total", "Sync runs finished", ["outcome"])
SYNC_RECORDS = Counter("plantgate_sync_records_total", "Records written to the replica by syncs", ["entity"])
SYNC_FAILURES = Counter("plantgate_sync_failures_total", "Failed sync runs by error code", ["code"])
WEBHOOK_DELIVERIES = Counter("plantgate_webhook_deliveries_total", "Webhook delivery attempts", ["outcome"])
RATE_LIMITED = Counter("plantgate_rate_limited_total", "Requests refused by a rate limit", ["scope"])
REQUEST_LOG_DROPPED = Counter(
    "plantgate_request_log_dropped_total",
    "Request log entries dropped: the buffer was full (database too slow or down)",
)


def observe_upstream(system: str, outcome: str, seconds: float) -> None:
    """`HttpPolicy.observe`: one finished call to a connected system."""
    UPSTREAM_CALLS.labels(system=system, outcome=outcome).inc()
    UPSTREAM_SECONDS.labels(system=system).observe(seconds)


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts and times every HTTP request by route template (not raw path) and status."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    def route_of(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return getattr(route, "path", "other")
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, method, started = self.route_of(scope), scope["method"], time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
            HTTP_SECONDS.labels(route=route, method=method).observe(time.perf_counter() - started)
