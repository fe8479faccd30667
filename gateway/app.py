"""The ASGI application: routes, middleware, and the services' lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from connectors.registry import manifest_errors
from sandboxes.registry import sandboxes

from .accesslog import AccessLogMiddleware
from .agents.endpoint import AgentEndpoint
from .agents.protocol import PATH as AGENT_PATH
from .bodylimit import BodyLimitMiddleware
from .collector import tune_for_serving
from .connect_sessions import ConnectSessions
from .events.webhooks import WebhookDeliverer
from .graphql.endpoint import GraphQLEndpoint, error_response
from .graphql.http import response_media_type
from .graphql.ide import PREFIX as IDE_PREFIX
from .graphql.ide import serve_asset
from .graphql.websocket import SubscriptionEndpoint
from .metrics import MetricsMiddleware, metrics
from .passthrough_route import passthrough_endpoint
from .readiness import Readiness
from .requestid import RequestIdMiddleware
from .retention import Retention
from .services import Services
from .settings import Settings
from .store.engine import DatabaseUnavailable
from .sync.scheduler import SyncScheduler
from .ui.routes import ui_routes

SANDBOX_PREFIX = "/sandboxes"

# Client errors are answered with a code; only real failures are logged (by us).
logging.getLogger("strawberry.execution").setLevel(
    logging.CRITICAL
)  # a level survives uvicorn's dictConfig; `disabled` does not
# A busy tick skips the next one by design; that is not worth a warning each time.
logger = logging.getLogger("plantgate.app")
logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
logging.getLogger("apscheduler.executors.default").setLevel(logging.CRITICAL)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """A database outage, on any route: a GraphQL-style 503 the client may retry (the store logged it once)."""
    assert isinstance(exc, DatabaseUnavailable)
    media = response_media_type(request.headers.get("accept"))
    return error_response(exc, 503, media, {"Retry-After": str(exc.retry_after)})


def create_app(settings: Settings | None = None, services: Services | None = None) -> Starlette:
    """Build the gateway; `services` may be passed in (tests share one store)."""
    settings = settings or (services.settings if services else Settings.from_env())
    for problem in manifest_errors():  # a malformed manifest is left out; the other systems serve
        logger.error("connector manifest not loaded: %s", problem)
    owned = services is None
    services = services or Services.start(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tune_for_serving()
        scheduler = SyncScheduler(services) if settings.scheduler else None
        deliverer = None
        if scheduler:
            deliverer = WebhookDeliverer(services.store, services.pool.vault, settings, scheduler.owner, services.guard)
            scheduler.also_every_tick(deliverer.tick)
            scheduler.also_every_tick(ConnectSessions(services.connections).expire_due)
            services.bus.after_publish(deliverer.tick)
            scheduler.also_every(settings.retention_interval, Retention(services.store, settings).run)
            scheduler.start()
        app.state.scheduler = scheduler
        yield
        if scheduler and deliverer:
            await scheduler.stop()
            await deliverer.aclose()
        if owned:
            await services.aclose()

    graphql = GraphQLEndpoint(services)
    routes: list[BaseRoute] = [
        Route("/", lambda request: RedirectResponse("/graphql")),
        Route("/healthz", healthz),
        Route("/readyz", Readiness(services.store, settings).endpoint),
        Route("/metrics", metrics),
        Route(IDE_PREFIX + "{name}", serve_asset),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", SubscriptionEndpoint(graphql)),
        WebSocketRoute(AGENT_PATH, AgentEndpoint(services.store, services.agents).handle),
        Route("/passthrough", passthrough_endpoint(services), methods=["POST"]),
        *ui_routes(services),
    ]
    if settings.sandboxes:
        routes += [Mount(f"{SANDBOX_PREFIX}/{key}", app=spec.create_app()) for key, spec in sandboxes().items()]
    middleware = [
        Middleware(RequestIdMiddleware),  # outermost: the access line carries the request id
        Middleware(AccessLogMiddleware),
        Middleware(MetricsMiddleware, routes=routes),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),  # inside: 413s are logged and counted
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={DatabaseUnavailable: database_unavailable},
    )
    app.state.services = services
    return app
