"""Routes of the Connect page and the dashboard: two HTML pages, their static files, the page API."""

from __future__ import annotations

from pathlib import Path

from limits import RateLimitItemPerHour
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..connect_sessions import ConnectSessions
from ..services import Services
from .connect_api import ConnectApi
from .redact import mask_link_tokens

STATIC = Path(__file__).parent / "static"
STATIC_PREFIX = "/ui"

# Only our own scripts, styles and endpoints; no framing; the link's token never leaves as a Referer.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def page(name: str):
    async def serve(request: Request) -> Response:
        return FileResponse(STATIC / name, media_type="text/html", headers=PAGE_HEADERS)

    return serve


def ui_routes(services: Services) -> list[BaseRoute]:
    attempts = services.settings.connect_attempts_per_link
    api = ConnectApi(
        ConnectSessions(services.connections),
        services.limiter,
        RateLimitItemPerHour(attempts) if attempts else None,
        services.settings.agent_heartbeat_interval,
    )
    mask_link_tokens()
    return [
        Route("/connect/api/link", api.handle, methods=["GET", "POST"]),
        Route("/connect/{token}", page("connect.html")),
        Route("/dashboard", page("dashboard.html")),
        Mount(STATIC_PREFIX, app=StaticFiles(directory=STATIC), name="ui"),
    ]
