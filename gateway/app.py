"""The gateway's ASGI app: ops endpoints, explicit routes, and every annotated RPC.

Routes are tried in order: ``/healthz``, ``/readyz``, ``/metrics``; the web console's files
under ``/console/``; the edge routes (``/openapi.json``, the notification WebSocket); the
OpenAI/Anthropic-compatible routes,
which take over the transcoded ``/v1/chat/completions`` and friends; and last the one
transcoding route that serves every ``google.api.http`` binding found in the descriptors.

``/readyz`` asks every service's grpc.health.v1 endpoint through the same clients the
edge routes RPCs through, so "ready" means "the gateway can reach them", not merely
"the processes exist".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway import compat, edge_routes, policies
from gateway.console import console_routes
from gateway.edge_auth import Authenticator, PassThroughAuthenticator
from gateway.errors import error_response, internal_error_status
from gateway.invoke import Invoker
from gateway.transcoding import build_router, mesh_services
from gateway.transcoding.endpoint import Transcoder, TranscodingRoute
from mesh.config import SERVICES, Settings
from mesh.discovery.base import grpc_service_name
from mesh.telemetry import new_request_id

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


def _status_body(code: grpc.StatusCode, message: str) -> dict[str, Any]:
    """google.rpc.Status as JSON, the error shape grpc-gateway answers with (as every edge error does)."""
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


async def _unexpected(request: Request, exc: Exception) -> Response:
    """Last resort for a bug outside the transcoder: a generic 500 with the request id, never a trace."""
    request_id = getattr(request.state, "request_id", None) or new_request_id()
    log.error(
        "unhandled error on %s %s (request id %s)", request.method, request.url.path, request_id, exc_info=exc
    )
    return error_response(internal_error_status(request_id))


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


def _ops_routes(
    clients: HealthClients, registry: CollectorRegistry, readiness_timeout: float
) -> list[BaseRoute]:
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

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
    ]


def create_app(
    settings: Settings,
    clients: Any,
    *,
    readiness_timeout: float = DEFAULT_READINESS_TIMEOUT,
    on_shutdown: list[Callable[[], Awaitable[None]]] | None = None,
    authenticator: Authenticator | None = None,
    redis: Any = None,
    services: Iterable[tuple[str, ServiceDescriptor]] | None = None,
) -> Starlette:
    """Build the app.

    ``clients`` is a mesh.clients.ServiceClients (``channel``, ``stub``, ``health_stub``).
    ``authenticator`` decides who calls (gateway.edge_auth.EdgeAuthenticator); without one,
    credentials are forwarded unchecked for the services to judge. ``redis`` (a
    ``redis.asyncio.Redis``) enables the rate limits. ``services`` are the (mesh service,
    descriptor) pairs to serve; by default every service generated in gen/.
    """
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    auth = authenticator if authenticator is not None else PassThroughAuthenticator()
    router = build_router(mesh_services() if services is None else services)
    transcoder = Transcoder(
        Invoker(clients),
        auth,
        max_body_bytes=settings.gateway_max_body_bytes,
        max_upload_bytes=settings.gateway_max_upload_bytes,
        heartbeat_seconds=settings.gateway_sse_heartbeat_seconds,
        route_deadlines=settings.gateway_route_deadlines,
    )
    compatible = compat.routes(settings, clients, auth)
    app = Starlette(
        routes=[
            *_ops_routes(clients, registry, readiness_timeout),
            *console_routes(),
            *edge_routes.routes(settings, clients, auth, shadowing=compatible),
            *compatible,
            TranscodingRoute(router, transcoder),
        ],
        middleware=policies.middleware(settings, redis, registry=registry),
        exception_handlers={HTTPException: _http_error, Exception: _unexpected},
        lifespan=_lifespan(list(on_shutdown or [])),
    )
    app.state.settings = settings
    app.state.clients = clients
    app.state.metrics_registry = registry
    app.state.router = router
    return app
