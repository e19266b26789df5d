"""The gateway's ASGI app.

`/readyz` asks every service's grpc.health.v1 endpoint through the same
clients the edge will route RPCs through, so "ready" means "the gateway can
reach them", not merely "the processes exist".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mesh.config import SERVICES, Settings
from mesh.discovery.base import grpc_service_name

log = logging.getLogger(__name__)

SERVING = "SERVING"
UNREACHABLE = "UNREACHABLE"
DEFAULT_READINESS_TIMEOUT = 1.5


class HealthClients(Protocol):
    """What the app needs from mesh.clients.ServiceClients."""

    def health_stub(self, service: str) -> health_pb2_grpc.HealthStub: ...


async def service_status(clients: HealthClients, service: str, deadline: float) -> str:
    """One service's health as a word: SERVING, NOT_SERVING, SERVICE_UNKNOWN, UNREACHABLE..."""
    request = health_pb2.HealthCheckRequest(service=grpc_service_name(service))
    try:
        reply = await clients.health_stub(service).Check(request, timeout=deadline)
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return "SERVICE_UNKNOWN"
        log.debug("health check of %s failed: %s", service, exc.code().name)
        return UNREACHABLE
    except Exception:
        # Readiness must answer 503, not 500, whatever goes wrong on the way to a service
        # (say, discovery cannot resolve it); the cause is worth a line in the log.
        log.warning("health check of %s could not be made", service, exc_info=True)
        return UNREACHABLE
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


class _HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "chatmesh_http_requests_total",
            "HTTP requests served by the gateway",
            ["method", "route", "code"],
            registry=registry,
        )
        self.latency = Histogram(
            "chatmesh_http_request_duration_seconds",
            "HTTP request latency at the gateway",
            ["method", "route"],
            registry=registry,
        )

    def middleware(self) -> Callable[[Request, RequestResponseEndpoint], Awaitable[Response]]:
        async def observe(request: Request, call_next: RequestResponseEndpoint) -> Response:
            started = time.perf_counter()
            response = await call_next(request)
            route = request.scope.get("route")
            label = getattr(route, "path", "unmatched")
            self.requests.labels(request.method, label, str(response.status_code)).inc()
            self.latency.labels(request.method, label).observe(time.perf_counter() - started)
            return response

        return observe


def _status_body(code: grpc.StatusCode, message: str) -> dict[str, Any]:
    """google.rpc.Status as JSON, the error shape grpc-gateway answers with (and so will the edge)."""
    return {"code": code.value[0], "message": message, "details": []}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        body = _status_body(grpc.StatusCode.NOT_FOUND, f"no route for {request.url.path}")
        return JSONResponse(body, 404)
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        return JSONResponse(_status_body(grpc.StatusCode.UNIMPLEMENTED, message), 405, headers=exc.headers)
    return JSONResponse(_status_body(grpc.StatusCode.UNKNOWN, str(exc.detail)), exc.status_code)


def _lifespan(
    on_shutdown: list[Callable[[], Awaitable[None]]],
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook()

    return lifespan


def create_app(
    settings: Settings,
    clients: HealthClients,
    *,
    readiness_timeout: float = DEFAULT_READINESS_TIMEOUT,
    on_shutdown: list[Callable[[], Awaitable[None]]] | None = None,
) -> Starlette:
    """Build the app; `clients` is a mesh.clients.ServiceClients (or anything with `health_stub`)."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    metrics = _HttpMetrics(registry)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        found = await asyncio.gather(*(service_status(clients, s, readiness_timeout) for s in SERVICES))
        statuses = dict(zip(SERVICES, found, strict=True))
        down = [name for name, status in statuses.items() if status != SERVING]
        if down:
            body = {"status": "not ready", "not_serving": down, "services": statuses}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", "services": statuses})

    async def prometheus(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", prometheus, methods=["GET"]),
        ],
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=metrics.middleware())],
        exception_handlers={HTTPException: _http_error},
        lifespan=_lifespan(list(on_shutdown or [])),
    )
    app.state.settings = settings
    app.state.clients = clients
    app.state.metrics_registry = registry
    return app
